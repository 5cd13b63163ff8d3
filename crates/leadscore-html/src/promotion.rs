//! The promotion gate's section of `report.html`: the candidate against the version current when
//! it was trained, on the same leads (paired figures with the interval of each difference, both
//! ROC curves, what changed in the inputs, and the verdict in one sentence).

use std::fmt::Write as _;

use leadscore_core::monitor::figures::Paired;
use leadscore_core::promotion::GateRecord;

use crate::plot::{escape, Axis, Color, LineChart, Series, Style};
use crate::report::{CHART_H, CHART_W};

fn cell(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn row(out: &mut String, figure: &str, p: &Paired, digits: usize, better: &str) {
    let interval = p.interval.map_or_else(|| "n/a".into(), |i| format!("[{:+.digits$}, {:+.digits$}]", i.low, i.high));
    let _ = writeln!(
        out,
        "<tr><td>{figure}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{interval}</td><td>{better}</td></tr>",
        cell(p.a, digits),
        cell(p.b, digits),
        p.difference.map_or_else(|| "n/a".into(), |d| format!("{d:+.digits$}")),
    );
}

/// The section, for a version the gate judged.
pub fn gate_section(out: &mut String, gate: &GateRecord) {
    let (a, b) = (escape(&gate.against), escape(&gate.candidate));
    let c = &gate.comparison;
    let verdict = if gate.verdict.passed { "passed" } else { "refused" };
    let _ = writeln!(out, "<section id=\"promotion\">\n<h2>Against {a}, before promotion: {verdict}</h2>");
    let _ = writeln!(out, "<p><strong>{}</strong></p>", escape(&gate.verdict.sentence));
    let _ = writeln!(
        out,
        "<p>Both models scored the same {} leads ({} won): {}. Each interval is of the difference {b} − {a} over {} bootstrap resamples that draw the same leads for both models.</p>",
        c.n_leads,
        c.n_won,
        escape(&gate.evidence.leads),
        c.replicates
    );
    let _ = writeln!(
        out,
        "<table><thead><tr><th>figure</th><th>{a} (current)</th><th>{b} (candidate)</th><th>difference</th><th>95% interval</th><th>better</th></tr></thead><tbody>"
    );
    row(out, "AUC", &c.auc, 4, "higher");
    row(out, "log loss", &c.log_loss, 4, "lower");
    row(out, "Brier score", &c.brier, 4, "lower");
    row(out, "lift in the top 10%", &c.lift_top_decile, 2, "higher");
    row(
        out,
        &format!("precision at each one's threshold ({:.3} / {:.3})", c.threshold_a, c.threshold_b),
        &c.precision,
        3,
        "higher",
    );
    row(out, "recall at each one's threshold", &c.recall, 3, "higher");
    out.push_str("</tbody></table>\n");
    let lines = gate.inputs.lines();
    if lines.is_empty() {
        out.push_str("<p>The inputs are the same: same features, same levels.</p>\n");
    } else {
        out.push_str("<p>What changed in the inputs:</p>\n<ul>\n");
        for l in lines {
            let _ = writeln!(out, "<li>{}</li>", escape(&l));
        }
        out.push_str("</ul>\n");
    }
    if !gate.roc.current.is_empty() && !gate.roc.candidate.is_empty() {
        let chart = LineChart::new(
            "ROC curves on the compared leads",
            Axis::new("Lost leads flagged (false positive rate)").range(0.0, 1.0).percent(),
            Axis::new("Won leads flagged (true positive rate)").range(0.0, 1.0).percent(),
        )
        .series(Series::new("random order (AUC 0.5)", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)))
        .series(Series::new(
            format!("{} current (AUC {})", gate.against, cell(c.auc.a, 3)),
            gate.roc.current.clone(),
            Style::line(Color::ORANGE),
        ))
        .series(Series::new(
            format!("{} candidate (AUC {})", gate.candidate, cell(c.auc.b, 3)),
            gate.roc.candidate.clone(),
            Style::line(Color::BLUE),
        ));
        let _ = writeln!(
            out,
            "<figure>{}<figcaption>Both models on the same leads: the curve further to the top left ranks won leads above lost ones more often.</figcaption></figure>",
            chart.to_svg(CHART_W, CHART_H)
        );
    }
    out.push_str("</section>\n");
}
