//! `leadscore monitor --html`: the monitor's report of one model version as a page, with the
//! charts drawn by [`crate::plot`] like every other page (MQL rate per day against the held-out
//! curve's prediction, calibration by decile and by tier, PSI per feature).

use std::fmt::Write as _;

use leadscore_core::monitor::drift::{PSI_MAJOR, PSI_SHIFT};
use leadscore_core::monitor::figures::Estimate;
use leadscore_core::monitor::MonitorReport;

use crate::plot::{escape, Axis, BarChart, BarSeries, Color, LineChart, Series, Style};
use crate::report::{opt, pct, CHART_H, CHART_W, CSS};

fn estimate(e: &Estimate, d: usize) -> String {
    let ci = e.interval.map_or_else(String::new, |i| format!(" [{:.d$}, {:.d$}]", i.low, i.high));
    format!("{}{ci}", opt(e.value, d))
}

/// The page of `report` for `model` `version` over `period` (text such as `since 2026-11-01`).
pub fn monitor_html(model: &str, version: &str, period: &str, report: &MonitorReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let title = format!("{} {}", escape(model), escape(version));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title} · leadscore in production</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <h1>{title} in production</h1>\n<p>{} · {} leads scored, {} with an outcome ({} won).</p>\n",
        escape(period),
        report.n_scored,
        report.n_outcomes,
        report.n_won
    );
    if report.drifted.is_empty() {
        out.push_str("<p>No feature is flagged for drift.</p>\n");
    } else {
        let _ = writeln!(out, "<p><strong>Drift flagged:</strong> {}.</p>", escape(&report.drifted.join(", ")));
    }
    if let Some(o) = &report.outcomes {
        let f = &o.figures;
        let held = o.holdout_auc_interval.map_or_else(String::new, |i| format!(" [{:.3}, {:.3}]", i.low, i.high));
        let _ = write!(
            out,
            "<h2>On leads with outcomes</h2>\n<table>\n<tr><th>figure</th><th>live (95% bootstrap interval)</th></tr>\n\
             <tr><td>AUC</td><td>{} (held out: {}{held})</td></tr>\n<tr><td>log loss</td><td>{}</td></tr>\n\
             <tr><td>Brier</td><td>{}</td></tr>\n<tr><td>lift in the top 10%</td><td>{}</td></tr>\n\
             <tr><td>precision at {:.4}</td><td>{}</td></tr>\n<tr><td>recall at {:.4}</td><td>{}</td></tr>\n</table>\n",
            estimate(&f.auc, 3),
            opt(o.holdout_auc, 3),
            estimate(&f.log_loss, 4),
            estimate(&f.brier, 4),
            estimate(&f.lift_top_decile, 2),
            f.threshold,
            estimate(&f.precision, 3),
            f.threshold,
            estimate(&f.recall, 3),
        );
        let deciles: Vec<(f64, f64)> = o.by_decile.iter().map(|r| (r.mean_predicted, r.observed_rate)).collect();
        let chart = LineChart::new(
            "Calibration in production (deciles of live probability)",
            Axis::new("Mean predicted probability").range(0.0, 1.0).percent(),
            Axis::new("Realised won rate").range(0.0, 1.0).percent(),
        )
        .series(Series::new("perfect calibration", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)))
        .series(Series::new("live leads", deciles, Style::line(Color::BLUE).with_markers(4.0)));
        let _ = writeln!(out, "<figure>{}</figure>", chart.to_svg(CHART_W, CHART_H));
        let tiers: Vec<String> = o.by_tier.iter().map(|r| format!("{} ({} leads)", r.group, r.n)).collect();
        let chart = BarChart::new("Won rate by tier", Axis::new("Won rate").percent(), tiers)
            .series(BarSeries {
                name: "predicted".into(),
                color: Color::GREY,
                values: o.by_tier.iter().map(|r| r.mean_predicted).collect(),
            })
            .series(BarSeries {
                name: "realised".into(),
                color: Color::BLUE,
                values: o.by_tier.iter().map(|r| r.observed_rate).collect(),
            });
        let _ = writeln!(out, "<figure>{}</figure>", chart.to_svg(CHART_W, CHART_H));
    } else {
        out.push_str("<p>No figures on outcomes yet: they need both a won and a lost lead.</p>\n");
    }
    if !report.days.is_empty() {
        let points = |f: &dyn Fn(&leadscore_core::monitor::daily::Day) -> f64| {
            report.days.iter().enumerate().map(|(i, d)| (i as f64, f(d))).collect::<Vec<_>>()
        };
        let chart = LineChart::new(
            format!("MQL rate per day ({} to {})", report.days[0].day, report.days[report.days.len() - 1].day),
            Axis::new("Day"),
            Axis::new("MQL rate").percent(),
        )
        .series(Series::new(
            "held-out curve's prediction",
            points(&|d| d.expected_mql_rate),
            Style::dashed(Color::GREY),
        ))
        .series(Series::new("live", points(&|d| d.mql_rate), Style::line(Color::BLUE).with_markers(3.0)));
        let _ = writeln!(out, "<figure>{}</figure>", chart.to_svg(CHART_W, CHART_H));
    }
    let mut names = vec!["(score)".to_owned()];
    let mut values = vec![report.score_drift.psi.unwrap_or(0.0)];
    for f in &report.features {
        names.push(if f.psi.flagged { format!("{} (flagged)", f.feature) } else { f.feature.clone() });
        values.push(f.psi.psi.unwrap_or(0.0));
    }
    let chart = BarChart::new(
        format!("PSI against training (flag above {PSI_SHIFT} with enough leads; major above {PSI_MAJOR})"),
        Axis::new("PSI"),
        names,
    )
    .series(BarSeries { name: String::new(), color: Color::BLUE, values });
    let _ = writeln!(
        out,
        "<figure>{}</figure>",
        chart.to_svg(CHART_W, CHART_H.max(24 * report.features.len() as u32 + 80))
    );
    out.push_str(
        "<h2>Drift by feature</h2>\n<table>\n<tr><th>feature</th><th>PSI</th><th>flag</th><th>leads (needed to flag)</th>\
         <th>missing: training / live</th><th>unseen levels</th></tr>\n",
    );
    for f in &report.features {
        let flag = if f.psi.major {
            "major"
        } else if f.psi.flagged {
            "flagged"
        } else if f.psi.min_leads.is_some_and(|m| f.psi.n < m) {
            "too few leads to tell"
        } else {
            "stable"
        };
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{flag}</td><td>{} ({})</td><td>{} / {}</td><td>{}</td></tr>",
            escape(&f.feature),
            opt(f.psi.psi, 3),
            f.psi.n,
            f.psi.min_leads.map_or_else(|| "n/a".into(), |m| m.to_string()),
            pct(f.missing.training),
            pct(f.missing.live),
            f.unseen.map_or_else(String::new, |u| pct(u.live)),
        );
    }
    out.push_str("</table>\n<footer>Generated by leadscore from the prediction log; this page loads nothing from the network.</footer>\n</main>\n</body>\n</html>\n");
    out
}
