//! Unit tests of the points table on a small model whose points can be worked out by hand.

use super::*;
use crate::rules::RuleSet;
use crate::testing::{artifact, spec};

/// 20 points double the odds: 20 / ln 2 = 28.8539 points per log-odds.
fn table() -> PointsTable {
    PointsTable::from_model(&artifact(), 20.0, 0.5, "max_f1").unwrap()
}

#[test]
fn points_are_scaled_log_odds_contributions() {
    let t = table();
    assert!((t.factor - 20.0 / std::f64::consts::LN_2).abs() < 1e-12 && (t.factor - 28.8539).abs() < 1e-4);
    let rows: Vec<(String, i64)> = t.entries.iter().map(|e| (e.rule_name(), e.points)).collect();
    // demo: yes 0.5 * 28.854 = 14.43 -> 14; no is the reference (0);
    //   blank fills as no plus the indicator: -0.2 * 28.854 = -5.77 -> -6.
    // source: one-hot weights, an unseen level scores 0 as in the model:
    //   google 1.0 -> 28.85 -> 29; referral -0.5 -> -14.43 -> -14; (other) = {fair} 0.25 -> 7.21 -> 7.
    // visits: 0.4 per SD of sqrt(1.6) = 1.2649; g(x) = 0.3162 (x - 3). Deciles 1, 3, 5 make the
    //   ranges (-inf, 3) and [3, inf); each moves by 0.316 > 0.2 log-odds, so each splits in two at whole
    //   numbers into (-inf, 2), [2, 3), [3, 4), [4, inf). Averages over their whole numbers:
    //   g(1) = -0.6325, g(2) = -0.3162, g(3) = 0, (g(4) + g(5)) / 2 = 0.4743. The lowest is the
    //   reference: 0, 0.3162, 0.6325, 1.1068 log-odds -> 0, 9.12 -> 9, 18.25 -> 18, 31.94 -> 32.
    //   Blank: the median 3 plus the indicator 0.1: 0.1 + 0.6325 = 0.7325 -> 21.13 -> 21.
    let expected = [
        ("demo is yes", 14),
        ("demo is no", 0),
        ("demo is blank", -6),
        ("source is google", 29),
        ("source is referral", -14),
        ("source is one of 1 rare levels", 7),
        ("visits is less than 2", 0),
        ("visits is at least 2 and less than 3", 9),
        ("visits is at least 3 and less than 4", 18),
        ("visits is at least 4", 32),
        ("visits is blank", 21),
    ];
    let expected: Vec<(String, i64)> = expected.iter().map(|(n, p)| ((*n).to_owned(), *p)).collect();
    assert_eq!(rows, expected);
    // offset = intercept + the references: -1 + 0 (demo no) + 0 (unseen source) - 0.6325 (visits 1).
    assert!((t.offset - (-1.0 - 0.4 * 2.0 / 1.6f64.sqrt())).abs() < 1e-12);
    // p = 0.5 is log-odds 0: (0 - offset) * 28.854 = 1.6325 * 28.854 = 47.10 -> at least 48 points.
    assert_eq!(t.mql_threshold, 48);
}

#[test]
fn the_rules_file_scores_what_the_table_says() {
    let t = table();
    let text = t.to_rules_toml();
    let set = RuleSet::from_toml_str(&text, &spec()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(crate::rules::check(&text, Some(&spec())), vec![]);
    assert_eq!(set.mql_threshold, 48.0);
    let score = |lead: &[(&str, &str)]| {
        set.score(|n| lead.iter().find(|(k, _)| *k == n).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v)))
            .unwrap()
            .total
    };
    // yes 14 + google 29 + visits 4 -> 32 = 75
    assert_eq!(score(&[("demo", "Yes"), ("source", " GOOGLE "), ("visits", "4")]), 75.0);
    // blank -6 + fair (other) 7 + visits 1 -> 0 = 1
    assert_eq!(score(&[("source", "Fair"), ("visits", "1")]), 1.0);
    // no 0 + an unseen source 0 + blank visits 21 = 21
    assert_eq!(score(&[("demo", "no"), ("source", "TikTok")]), 21.0);
    // 2.5 visits fall in [2, 3): 9
    assert_eq!(score(&[("demo", "no"), ("visits", "2.5")]), 9.0);
}

#[test]
fn points_rank_leads_as_the_model_does() {
    let a = artifact();
    let t = table();
    let set = RuleSet::from_toml_str(&t.to_rules_toml(), &spec()).unwrap();
    // On whole visit counts every range holds one value (or averages two), so the points'
    // log-odds equal the model's up to rounding (at most 3 rows of half a point) and the
    // [4, inf) average (g(4) vs g(5) differ from their mean by 0.158).
    for demo in ["yes", "no", ""] {
        for source in ["google", "referral", "fair", "new", ""] {
            for visits in ["1", "2", "3", "4", "5", ""] {
                let lead = [("demo", demo), ("source", source), ("visits", visits)];
                let field =
                    |n: &str| lead.iter().find(|(k, _)| *k == n).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v));
                let model = a.score(field).unwrap().log_odds;
                let points = set.score(field).unwrap().total;
                let from_points = t.offset + points / t.factor;
                assert!((model - from_points).abs() < 1.5 / t.factor + 0.16, "{lead:?}: {model} vs {from_points}");
            }
        }
    }
}

#[test]
fn csv_lists_every_row_and_the_threshold() {
    let csv = table().to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "field,condition,points");
    assert_eq!(lines[1], "demo,is yes,14");
    assert_eq!(lines[2], "demo,is no,0");
    assert_eq!(lines[6], "source,is one of fair,7");
    assert_eq!(lines[8], "visits,is at least 2 and less than 3,9");
    assert_eq!(lines.last().copied(), Some("(total),MQL when at least (max_f1 threshold: p >= 0.5),48"));
}

#[test]
fn bad_parameters_are_refused() {
    let a = artifact();
    for (scale, p) in [(0.0, 0.5), (-3.0, 0.5), (f64::NAN, 0.5), (20.0, 0.0), (20.0, 1.0)] {
        assert!(matches!(PointsTable::from_model(&a, scale, p, "x"), Err(Error::Points(_))), "{scale} {p}");
    }
}

#[test]
fn edges_print_as_people_write_them() {
    assert_eq!(format!("{}", significant(2_999_999.999_999_999_5, 2)), "3000000");
    assert_eq!(format!("{}", significant(4_466_999.0, 2)), "4500000");
    assert_eq!(format!("{}", significant(0.012_345, 2)), "0.012");
    assert_eq!(format!("{}", significant(-169_627_045.0, 2)), "-170000000");
    // Small whole numbers of a count column stay exact; other values get two digits.
    assert_eq!((nice(7.0, true), nice(106_171.0, true), nice(2.345, false)), (7.0, 110_000.0, 2.3));
}

/// A pair term becomes one `all` rule per cell, worth the cell's weight: `demo × source` cell
/// (yes, referral) has weight 0.25 -> 7.21 -> 7 points; `source × visits` cell (referral,
/// [4, inf)) -0.8 -> -23.08 -> -23; (other) cells name the rare levels.
#[test]
fn pair_terms_become_rules_on_both_fields() {
    let a = crate::testing::artifact_with_pairs();
    let t = PointsTable::from_model(&a, 20.0, 0.5, "max_f1").unwrap();
    let pairs: Vec<(String, i64)> =
        t.entries.iter().filter(|e| e.feature.contains('×')).map(|e| (e.rule_name(), e.points)).collect();
    assert_eq!(pairs.len(), 9 + 12);
    assert!(pairs.contains(&("demo × source: demo is yes and source is referral".to_owned(), 7)), "{pairs:?}");
    assert!(pairs.contains(&("source × visits: source is referral and visits is at least 4".to_owned(), -23)));
    assert!(pairs.contains(&("demo × source: demo is blank and source is one of 1 rare levels".to_owned(), 13)));
    assert!(
        pairs.contains(&("source × visits: source is google and visits is at least 2 and less than 4".to_owned(), 16))
    );
    let text = t.to_rules_toml();
    assert_eq!(crate::rules::check(&text, Some(&spec())), vec![], "{text}");
    assert!(text
        .contains("when = { all = [{ field = \"source\", equals = \"referral\" }, { field = \"visits\", gte = 4 }] }"));
    let set = RuleSet::from_toml_str(&text, &spec()).unwrap();
    for demo in ["yes", "no", ""] {
        for source in ["google", "referral", "fair", "new", ""] {
            for visits in ["1", "2", "3", "4", "5", ""] {
                let lead = [("demo", demo), ("source", source), ("visits", visits)];
                let field =
                    |n: &str| lead.iter().find(|(k, _)| *k == n).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v));
                let model = a.score(field).unwrap().log_odds;
                let points = set.score(field).unwrap().total;
                let from_points = t.offset + points / t.factor;
                // The features' tolerance above, and half a point for each pair's rounding.
                assert!((model - from_points).abs() < 2.5 / t.factor + 0.16, "{lead:?}: {model} vs {from_points}");
            }
        }
    }
}
