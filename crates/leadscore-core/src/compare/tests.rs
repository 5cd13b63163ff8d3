//! Unit tests of the comparison on ten leads worked out by hand.

use super::*;
use crate::spec::{FeatureSpec, Kind, Spec, TargetSpec};
use crate::value::RawValue;

/// (probability, points, won) of ten leads; won rate 4/10.
const LEADS: [(f64, f64, bool); 10] = [
    (0.90, 80.0, true),
    (0.80, 20.0, true),
    (0.70, 60.0, false),
    (0.60, 60.0, true),
    (0.50, 60.0, false),
    (0.40, 10.0, false),
    (0.30, 70.0, false),
    (0.20, 0.0, true),
    (0.10, 0.0, false),
    (0.05, 20.0, false),
];

fn labels() -> CompareLabels {
    CompareLabels {
        model: "m v1".into(),
        model_threshold_name: "given".into(),
        rules: "r".into(),
        data: "ten leads".into(),
    }
}

/// Model MQL at p >= 0.55 (leads 0-3), rules MQL at >= 60 points (leads 0, 2, 3, 4, 6).
fn comparison(with_points_version: bool) -> Comparison {
    let p: Vec<f64> = LEADS.iter().map(|l| l.0).collect();
    let pts: Vec<f64> = LEADS.iter().map(|l| l.1).collect();
    let won: Vec<bool> = LEADS.iter().map(|l| l.2).collect();
    let input = CompareInput {
        won: &won,
        probability: &p,
        points: &pts,
        model_threshold: 0.55,
        rules_threshold: 60.0,
        points_version: with_points_version.then_some((pts.as_slice(), 60.0)),
    };
    compare(labels(), &input, vec![], 5).unwrap()
}

#[track_caller]
fn close(got: Option<f64>, want: f64) {
    let got = got.unwrap_or(f64::NAN);
    assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
}

#[test]
fn ranking_quality_of_both() {
    let c = comparison(true);
    // Model: won {0.9, 0.8, 0.6, 0.2} vs lost {0.7, 0.5, 0.4, 0.3, 0.1, 0.05}: 6 + 6 + 5 + 2 = 19 of 24 pairs.
    close(c.scorers[0].auc, 19.0 / 24.0);
    // Rules: won {80, 20, 60, 0} vs lost {60, 60, 10, 70, 0, 20}:
    // 80 beats 6; 20 beats 2, ties 1 (2.5); 60 beats 3, ties 2 (4); 0 ties 1 (0.5): 13 of 24.
    close(c.scorers[1].auc, 13.0 / 24.0);
    assert!(c.scorers[0].log_loss.is_some() && c.scorers[0].brier.is_some());
    assert_eq!((c.scorers[1].log_loss, c.scorers[1].brier), (None, None));
    assert!(c.scorers[1].note.as_deref().unwrap_or("").contains("not probabilities"));
    // The points version here is the rules' points: it costs 19/24 - 13/24 = 1/4.
    close(c.points_version_auc_cost, 0.25);
}

#[test]
fn own_thresholds() {
    let c = comparison(false);
    let m = &c.own_threshold[0];
    // Leads 0-3 are MQLs, 0, 1 and 3 won: precision 3/4, recall 3/4, lift 0.75 / 0.4.
    assert_eq!((m.mql_count, m.won), (4, 3));
    close(m.precision, 0.75);
    close(m.recall, 0.75);
    close(m.lift, 1.875);
    let r = &c.own_threshold[1];
    // Leads 0, 2, 3, 4, 6 have >= 60 points; 0 and 3 won: 2/5, 2/4, lift 1.
    assert_eq!((r.mql_count, r.won), (5, 2));
    close(r.precision, 0.4);
    close(r.recall, 0.5);
    close(r.lift, 1.0);
}

#[test]
fn agreement_cells_sum_to_the_leads() {
    let a = comparison(false).agreement;
    // both {0, 2, 3}: 2 won; model only {1}: won; rules only {4, 6}: none; neither {5, 7, 8, 9}: 7 won.
    assert_eq!((a.both.leads, a.both.won), (3, 2));
    assert_eq!((a.model_only.leads, a.model_only.won), (1, 1));
    assert_eq!((a.rules_only.leads, a.rules_only.won), (2, 0));
    assert_eq!((a.neither.leads, a.neither.won), (4, 1));
    close(a.both.won_rate, 2.0 / 3.0);
    close(a.rules_only.won_rate, 0.0);
    close(a.neither.won_rate, 0.25);
}

#[test]
fn equal_volume_takes_exactly_the_volume_with_ties_pro_rata() {
    let c = comparison(false);
    let find = |of: &str, scorer: &str| {
        c.equal_volume.iter().find(|e| e.volume_of == of && e.scorer == scorer).cloned().unwrap()
    };
    // The model's volume is 4. The rules' top: 80 (won), 70 (lost), then 2 of the 3 leads tied
    // at 60 (one of them won): 1 + 1 * 2/3 = 5/3 wins in exactly 4 leads.
    let r = find(MODEL, RULES);
    assert_eq!((r.volume, r.cut, r.tied_at_cut, r.taken_from_tie), (4, Some(60.0), 3, 2));
    close(Some(r.won), 5.0 / 3.0);
    close(r.precision, 5.0 / 12.0);
    close(r.recall, 5.0 / 12.0);
    close(r.lift, 5.0 / 12.0 / 0.4);
    assert!(r.note.contains("2 of the 3 leads tied at 60 points"), "{}", r.note);
    let m = find(MODEL, MODEL);
    assert_eq!((m.volume, m.won, m.note.as_str()), (4, 3.0, ""));
    // The rules' volume is 5: the tie at 60 is taken whole; the model's top 5 hold 3 wins.
    let r = find(RULES, RULES);
    assert_eq!((r.volume, r.won, r.tied_at_cut, r.taken_from_tie), (5, 2.0, 3, 3));
    assert!(r.note.is_empty());
    let m = find(RULES, MODEL);
    assert_eq!((m.volume, m.won), (5, 3.0));
    close(m.precision, 0.6);
}

#[test]
fn matching_thresholds() {
    let c = comparison(false);
    // Rules volumes by threshold: 80 -> 1, 70 -> 2, 60 -> 5, 20 -> 7, ...; nearest to 4 is 60 (5 leads).
    let r = &c.matching[0];
    assert_eq!((r.scorer.as_str(), r.target_volume, r.threshold, r.volume), (RULES, 4, Some(60.0), 5));
    // The model reaches the rules' 5 exactly at p >= 0.5.
    let m = &c.matching[1];
    assert_eq!((m.scorer.as_str(), m.target_volume, m.threshold, m.volume), (MODEL, 5, Some(0.5), 5));
    assert_eq!(m.operating.as_ref().map(|o| o.won), Some(3));
}

#[test]
fn disagreements_most_extreme_first() {
    let d = comparison(false).disagreements;
    // Top shares: model rank r -> r/10. Rules: 80 -> 0, 70 -> 0.1, 60 (3 tied) -> (2 + 1)/10 = 0.3,
    // 20 (2 tied) -> (5 + 0.5)/10 = 0.55, 10 -> 0.7, 0 (2 tied) -> 0.85.
    // Model only: lead 1 (model 0.1, rules 0.55).
    assert_eq!(d.model_only.len(), 1);
    let one = &d.model_only[0];
    assert_eq!((one.row, one.points, one.won), (1, 20.0, true));
    close(Some(one.model_top_share), 0.1);
    close(Some(one.rules_top_share), 0.55);
    // Rules only: lead 6 (model 0.6 vs rules 0.1: gap 0.5) before lead 4 (0.4 vs 0.3: gap 0.1).
    let rows: Vec<u64> = d.rules_only.iter().map(|x| x.row).collect();
    assert_eq!(rows, [6, 4]);
}

#[test]
fn plots_cover_every_lead() {
    let c = comparison(false);
    let roc = &c.plots.roc[1].points;
    assert_eq!(roc.first(), Some(&(0.0, 0.0)));
    assert_eq!(roc.last(), Some(&(1.0, 1.0)));
    let rules_hist = &c.plots.histograms[1];
    // Points 0..80 in bins of nice_step(80 / 20) = 5: 17 bins from 0 to 85; 80 lands in the last.
    assert_eq!(rules_hist.edges.len(), 18);
    assert_eq!(rules_hist.won[16], 0.25);
    close(Some(rules_hist.won.iter().sum()), 1.0);
    close(Some(rules_hist.lost.iter().sum()), 1.0);
    assert_eq!(c.plots.scatter.len(), 10);
    assert_eq!(c.plots.calibration.iter().map(|b| b.n).sum::<u64>(), 10);
}

#[test]
fn rule_hits_count_firings_and_won_rates() {
    let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
    spec.features.insert("visits".into(), FeatureSpec::new(Kind::Numeric));
    let set = RuleSet::from_toml_str(
        "mql_threshold = 10\n[[rules]]\nname = \"five+\"\nwhen = { field = \"visits\", gte = 5 }\npoints = 10\n\
         [[rules]]\nname = \"per visit\"\nper = \"visits\"\npoints = 2\n",
        &spec,
    )
    .unwrap();
    let mut hits = RuleHits::new(&set);
    for (visits, won) in [("6", true), ("1", false), ("7", false), ("", true)] {
        let score = set.score(|_| RawValue::Text(visits)).unwrap();
        hits.record(&score, won);
    }
    let stats = hits.stats();
    // five+: fires for 6 and 7 (1 of 2 won); not for 1 and blank (1 of 2 won): ratio 1.
    assert_eq!(stats[0].fired, 2);
    close(stats[0].won_rate_fired, 0.5);
    close(stats[0].won_rate_not_fired, 0.5);
    close(stats[0].ratio, 1.0);
    // per visit: fires whenever visits is present (6, 1, 7: 1 of 3 won), not for blank (won):
    // ratio (1/3) / 1; average points (12 + 2 + 14) / 3.
    assert_eq!(stats[1].fired, 3);
    close(stats[1].ratio, 1.0 / 3.0);
    close(Some(stats[1].average_points), 28.0 / 3.0);
    close(Some(stats[1].fired_share), 0.75);
}

#[test]
fn bad_input_is_an_error() {
    let input = CompareInput {
        won: &[true, false],
        probability: &[0.5],
        points: &[1.0, 2.0],
        model_threshold: 0.5,
        rules_threshold: 1.0,
        points_version: None,
    };
    assert!(matches!(compare(labels(), &input, vec![], 3), Err(Error::Compare(_))));
    let empty = CompareInput {
        won: &[],
        probability: &[],
        points: &[],
        model_threshold: 0.5,
        rules_threshold: 1.0,
        points_version: None,
    };
    assert!(matches!(compare(labels(), &empty, vec![], 3), Err(Error::Compare(_))));
}

#[test]
fn the_result_is_json() {
    let c = comparison(true);
    let json = serde_json::to_string(&c).unwrap();
    let back: Comparison = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
}
