//! The section on reports the core computes from real scorings: the shipped model scoring
//! leads of `data/leads.csv` (as the server logs them), with and without outcomes, shifted or not.

use leadscore_core::monitor::{compare_paired, report, LoggedLeads, Resamples, Scores};
use leadscore_core::value::{parse_day, RawValue};
use leadscore_core::Artifact;

use super::*;

fn shipped() -> Artifact {
    crate::testing::shipped().1
}

/// `data/leads.csv` (a file without quoted cells).
fn leads_csv() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/leads.csv");
    std::fs::read_to_string(path).expect("data/leads.csv")
}

/// How a test's leads arrive.
#[derive(Clone, Copy)]
struct Traffic {
    /// Leads scored.
    n: usize,
    /// Whether their outcomes came back.
    outcomes: bool,
    /// Whether every lead comes from an industry the model never saw.
    new_industry: bool,
}

/// Lead `row`'s value of column `name`: every industry a new one when `new_industry`.
fn value<'t>(header: &[&str], row: &[&'t str], name: &str, new_industry: bool) -> RawValue<'t> {
    match (name, header.iter().position(|h| *h == name)) {
        ("industry", _) if new_industry => RawValue::Text("Space Mining"),
        (_, Some(i)) => RawValue::Text(row[i]),
        (_, None) => RawValue::Missing,
    }
}

/// The monitor's report of the shipped model on `traffic`: each lead scored as the server
/// scores it, over five days from 2026-11-01.
fn scored(a: &Artifact, traffic: Traffic) -> (MonitorReport, Vec<f64>, Vec<bool>) {
    let text = leads_csv();
    scored_from(a, &text, traffic)
}

fn scored_from<'t>(a: &Artifact, text: &'t str, traffic: Traffic) -> (MonitorReport, Vec<f64>, Vec<bool>) {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let rows: Vec<Vec<&str>> = lines.take(traffic.n).map(|l| l.split(',').collect()).collect();
    let at = |name: &str| header.iter().position(|h| *h == name);
    let value = |row: &[&'t str], name: &str| value(&header, row, name, traffic.new_industry);
    let threshold = leadscore_core::threshold::default(a).threshold;
    let scores: Vec<_> = rows.iter().map(|r| a.score(|name| value(r, name)).expect("scores")).collect();
    let probs: Vec<f64> = scores.iter().map(|s| s.probability).collect();
    let tiers: Vec<&str> = scores.iter().map(|s| s.tier.as_str()).collect();
    let mql: Vec<bool> = probs.iter().map(|&p| p >= threshold).collect();
    let thresholds = vec![threshold; probs.len()];
    let first = parse_day("2026-11-01").expect("a date");
    let days: Vec<i32> = (0..probs.len()).map(|i| first + (i % 5) as i32).collect();
    let outcome = at("outcome").expect("an outcome column");
    let labels: Vec<bool> = rows.iter().map(|r| r[outcome] == "won").collect();
    let outcomes: Vec<Option<bool>> = labels.iter().map(|&y| traffic.outcomes.then_some(y)).collect();
    let fields: Vec<(&str, Vec<RawValue<'_>>)> = a
        .encoder
        .features
        .iter()
        .map(|f| (f.name.as_str(), rows.iter().map(|r| value(r, &f.name)).collect()))
        .collect();
    let leads = LoggedLeads {
        probs: &probs,
        tiers: &tiers,
        mql: &mql,
        thresholds: &thresholds,
        days: &days,
        outcomes: &outcomes,
        fields: &fields,
    };
    (report(a, &leads, 50, 7).expect("a report"), probs, labels)
}

fn section(live: &Live<'_>) -> String {
    let mut out = String::new();
    live_section(&mut out, live);
    out
}

fn plain(report: &MonitorReport) -> String {
    section(&Live { report, rules: None, rules_name: None, challengers: &[] })
}

/// The `data-value` of the element with `id`.
fn value_of(html: &str, id: &str) -> Option<f64> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("data-value=\"")? + "data-value=\"".len();
    rest[start..].split('"').next()?.parse().ok()
}

/// The `data-state` of the drift table's row of `feature`.
fn drift_state<'h>(html: &'h str, feature: &str) -> &'h str {
    let at = html.find(&format!("data-feature=\"{feature}\" data-state=\"")).expect(feature);
    let rest = &html[at + format!("data-feature=\"{feature}\" data-state=\"").len()..];
    rest.split('"').next().unwrap_or("")
}

#[test]
fn an_empty_log_says_no_lead_was_logged_and_draws_nothing() {
    let a = shipped();
    let (r, _, _) = scored(&a, Traffic { n: 0, outcomes: false, new_industry: false });
    let html = plain(&r);
    assert!(html.contains("id=\"live-empty\"") && html.contains("No lead logged yet"), "{html}");
    assert!(!html.contains("<svg"), "no chart of nothing");
}

#[test]
fn traffic_without_outcomes_shows_volume_and_drift_and_asks_for_outcomes() {
    let a = shipped();
    let (r, probs, _) = scored(&a, Traffic { n: 500, outcomes: false, new_industry: false });
    let html = plain(&r);
    assert_eq!(value_of(&html, "live-scored"), Some(500.0));
    let threshold = leadscore_core::threshold::default(&a).threshold;
    let mql_rate = probs.iter().filter(|&&p| p >= threshold).count() as f64 / 500.0;
    assert_eq!(value_of(&html, "live-mql-rate"), Some(mql_rate));
    assert!(html.contains("from 2026-11-01 to 2026-11-05 (5 days)"), "{html}");
    assert!(html.contains("id=\"live-no-outcomes\"") && html.contains("post them to <code>/v1/outcomes</code>"));
    assert!(!html.contains("id=\"live-auc\""), "no live AUC without outcomes");
    // Leads per day, MQL rate per day, PSI.
    assert_eq!(html.matches("<svg xmlns").count(), 3);
    assert!(html.contains("Leads scored per day") && html.contains("MQL rate per day"));
    assert!(html.contains("held-out curve&#39;s prediction") || html.contains("held-out curve's prediction"));
    // Every feature and the score have a drift row; 500 unchanged leads flag nothing.
    for f in &a.encoder.features {
        assert!(html.contains(&format!("data-feature=\"{}\"", f.name)), "{} has no drift row", f.name);
    }
    assert!(html.contains("data-feature=\"(score)\""));
    assert!(html.contains("<p id=\"live-drifted\">No feature is flagged.</p>"));
    assert!(html.contains("id=\"live-drift-rule\"") && html.contains("once in 1,000"), "says what a flag means");
}

#[test]
fn outcomes_bring_live_figures_beside_the_held_out_auc() {
    let a = shipped();
    let (r, _, _) = scored(&a, Traffic { n: 3000, outcomes: true, new_industry: false });
    let o = r.outcomes.as_ref().expect("both outcomes among 3,000 leads");
    let html = plain(&r);
    assert!(!html.contains("live-no-outcomes"));
    assert_eq!(value_of(&html, "live-outcomes"), Some(3000.0));
    assert_eq!(value_of(&html, "live-auc"), o.figures.auc.value);
    assert_eq!(value_of(&html, "live-log-loss"), o.figures.log_loss.value);
    assert_eq!(value_of(&html, "live-brier"), o.figures.brier.value);
    assert_eq!(value_of(&html, "live-holdout-auc"), a.holdout.auc);
    let ci = o.figures.auc.interval.expect("an interval");
    assert!(html.contains(&format!("data-low=\"{}\" data-high=\"{}\"", ci.low, ci.high)));
    // Leads and MQL per day, calibration by decile, won rate by tier, PSI.
    assert_eq!(html.matches("<svg xmlns").count(), 5);
    assert!(html.contains("Calibration in production") && html.contains("Won rate by tier"));
    for t in &a.tiers.tiers {
        assert!(html.contains(&format!("data-tier=\"{}\"", t.name)), "tier {} missing", t.name);
    }
    assert!(html.contains("id=\"live-figures\"") && html.contains("lift in the top 10%"));
    assert!(!html.contains("NaN"));
}

#[test]
fn one_kind_of_outcome_says_both_are_needed() {
    let a = shipped();
    let (mut r, _, _) = scored(&a, Traffic { n: 200, outcomes: true, new_industry: false });
    // As if only won leads had come back.
    r.outcomes = None;
    r.n_outcomes = 7;
    r.n_won = 7;
    let html = plain(&r);
    assert!(html.contains("id=\"live-one-outcome\"") && html.contains("7 outcomes so far, all won"), "{html}");
}

#[test]
fn a_new_industry_is_flagged_only_once_enough_leads_came() {
    let a = shipped();
    let (r, _, _) = scored(&a, Traffic { n: 3000, outcomes: false, new_industry: true });
    let industry = r.features.iter().find(|f| f.feature == "industry").expect("industry is a feature");
    assert!(industry.psi.flagged);
    let html = plain(&r);
    assert_eq!(drift_state(&html, "industry"), "major shift");
    assert!(html.contains("class=\"flag\">Flagged:") && html.contains("industry"));
    assert_eq!(drift_state(&html, "job_level"), "stable", "an unchanged feature stays stable");
    assert!(html.contains("industry (flagged)"), "the PSI chart marks it");

    // The same shift on a handful of leads: PSI is as large, but too few leads to tell.
    let (small, _, _) = scored(&a, Traffic { n: 20, outcomes: false, new_industry: true });
    let psi = &small.features.iter().find(|f| f.feature == "industry").expect("industry").psi;
    assert!(psi.psi.is_some_and(|p| p > PSI_MAJOR) && psi.min_leads.is_some_and(|m| m > 20), "{psi:?}");
    let html = plain(&small);
    assert_eq!(drift_state(&html, "industry"), "too few leads to tell");
    assert!(html.contains("No feature is flagged."));
}

#[test]
fn the_rules_live_figures_sit_beside_the_models() {
    let a = shipped();
    let (r, probs, labels) = scored(&a, Traffic { n: 1000, outcomes: true, new_industry: false });
    // A coarser scorer standing in for the rules: the probability rounded to tenths.
    let rules: Vec<f64> = probs.iter().map(|p| (p * 10.0).round() / 10.0).collect();
    let resamples = Resamples::drawn(labels.len(), 50, 7);
    let paired = compare_paired(
        &labels,
        Scores { probs: &probs, threshold: 0.3 },
        Scores { probs: &rules, threshold: 0.3 },
        &resamples,
    )
    .expect("a comparison");
    let html = section(&Live { report: &r, rules: Some(&paired), rules_name: Some("Q3 points"), challengers: &[] });
    assert!(html.contains("id=\"live-rules\"") && html.contains("<em>Q3 points</em>"));
    let row = &html[html.find("data-figure=\"auc\"").expect("an AUC row")..];
    let row = &row[..row.find("</tr>").expect("a row end")];
    assert!(row.contains(&format!("data-value=\"{}\"", paired.auc.a.expect("model AUC"))), "{row}");
    assert!(row.contains(&format!("data-value=\"{}\"", paired.auc.b.expect("rules AUC"))), "{row}");
    let ci = paired.auc.interval.expect("a paired interval");
    assert!(row.contains(&format!("[{}, {}]", fixed(ci.low, 3), fixed(ci.high, 3))), "{row}");

    // Rules on, but no lead scored with them has an outcome yet.
    let html = section(&Live { report: &r, rules: None, rules_name: Some("Q3 points"), challengers: &[] });
    assert!(html.contains("id=\"live-rules-pending\"") && !html.contains("id=\"live-rules\""));
    // No rules at all: nothing said about them.
    assert!(!plain(&r).contains("live-rules"));
}

#[test]
fn a_challenger_sits_beside_the_version_it_shadowed() {
    let a = shipped();
    let (r, probs, labels) = scored(&a, Traffic { n: 1000, outcomes: true, new_industry: false });
    // A challenger standing in: the probabilities squeezed towards 0.2.
    let other: Vec<f64> = probs.iter().map(|p| 0.2 + 0.5 * (p - 0.2)).collect();
    let paired = compare_paired(
        &labels,
        Scores { probs: &probs, threshold: 0.3 },
        Scores { probs: &other, threshold: 0.25 },
        &Resamples::drawn(labels.len(), 50, 7),
    )
    .expect("a comparison");
    let agreement = leadscore_core::monitor::figures::Agreement { n_leads: 1000, mql: Some(0.9), rank: Some(1.0) };
    let shadow = ShadowReport {
        champion: "v1".into(),
        challenger: "<v2>".into(),
        n_paired: 1000,
        agreement,
        outcomes: Some(paired.clone()),
    };
    let html = section(&Live { report: &r, rules: None, rules_name: None, challengers: std::slice::from_ref(&shadow) });
    assert!(html.contains("The challenger &lt;v2&gt; on the same leads") && !html.contains("<v2>"), "escaped");
    assert!(html.contains("data-paired=\"1000\"") && html.contains("90.0%"), "agreement");
    let table = &html[html.find("data-challenger=\"&lt;v2&gt;\"").expect("the challenger's table")..];
    for (key, p) in [("auc", &paired.auc), ("log_loss", &paired.log_loss), ("brier", &paired.brier)] {
        let row = &table[table.find(&format!("data-figure=\"{key}\"")).expect("a row")..];
        let row = &row[..row.find("</tr>").expect("a row end")];
        assert!(row.contains(&format!("data-value=\"{}\"", p.a.expect("champion"))), "{row}");
        assert!(row.contains(&format!("data-value=\"{}\"", p.b.expect("challenger"))), "{row}");
    }
    // Before outcomes: the agreement, and what is still to come.
    let pending = ShadowReport { outcomes: None, ..shadow };
    let html =
        section(&Live { report: &r, rules: None, rules_name: None, challengers: std::slice::from_ref(&pending) });
    assert!(html.contains("live-challenger-&lt;v2&gt;") && !html.contains("data-challenger"));
    assert!(!plain(&r).contains("challenger"), "no challenger, nothing said");
}

#[test]
fn data_is_escaped() {
    let a = shipped();
    let (mut r, _, _) = scored(&a, Traffic { n: 300, outcomes: true, new_industry: false });
    r.features[0].feature = "<script>f</script>".into();
    r.drifted = vec!["<script>f</script>".into()];
    if let Some(o) = r.outcomes.as_mut() {
        o.by_tier[0].group = "<b>A</b>".into();
    }
    let html = section(&Live { report: &r, rules: None, rules_name: Some("<i>rules</i>"), challengers: &[] });
    assert!(!html.contains("<script>f") && !html.contains("<b>A") && !html.contains("<i>rules"));
    assert!(html.contains("&lt;script&gt;f&lt;/script&gt;") && html.contains("&lt;b&gt;A&lt;/b&gt;"));
}

#[test]
fn the_cli_page_is_the_section_on_a_page_of_its_own() {
    let a = shipped();
    let (r, _, _) = scored(&a, Traffic { n: 400, outcomes: true, new_industry: false });
    let live = Live { report: &r, rules: None, rules_name: None, challengers: &[] };
    let page = monitor_html("leads", "v1", "all time", &live);
    assert!(page.contains(&section(&live)), "the page holds the dashboard's section unchanged");
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<title>leads v1 · leadscore in production</title>"));
    assert!(!page.contains("src=") && !page.contains("url("), "self-contained");
}
