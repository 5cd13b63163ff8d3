//! `compare.html`: the model held against marketing's points rules, on one page.
//!
//! Why a page: marketers decide with a table and a picture, not a JSON file.
//! The page leads with the 2x2 agreement table (both MQL, model only, rules
//! only, neither, with each cell's actual won rate), then the same-volume
//! figures, then the curves, each rule's signal and the leads the two disagree
//! on most. Built from the [`Comparison`] alone, self-contained (inline CSS
//! and SVG from [`crate::plot`], no script, no network), every data string
//! escaped, no timestamp: the same comparison gives the same bytes.

use std::fmt::Write as _;

use leadscore_core::compare::{
    Comparison, Curve, Disagreement, EqualVolume, Operating, ScatterPoint, ScoreHistogram, MODEL, RULES,
};

use crate::plot::{escape, format_number, Axis, Color, Histogram, HistogramSeries, LineChart, Series, Style};
use crate::report::{count, Figure};

const CHART_W: u32 = 560;
const CHART_H: u32 = 380;

const CSS: &str = "
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--blue:#2563eb;--orange:#ea580c}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}
h2{font-size:19px;margin:32px 0 10px}
p.sub{margin:0 0 16px;color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f1f5f9;padding:0 3px;border-radius:3px}
.verdict{font-size:17px;margin:8px 0 14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .k{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .v{font-size:26px;font-weight:650;line-height:1.2;margin:2px 0}
.card .h{font-size:13px;color:var(--muted);margin-top:4px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.agree{width:auto;font-size:16px}
table.agree td{text-align:center;padding:14px 22px;min-width:200px}
table.agree td .big{font-size:24px;font-weight:650;display:block}
table.agree th{text-align:center}
td.good{background:#ecfdf5}
td.bad{background:#fff7ed}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:13px;color:var(--muted);margin:6px 4px 2px}
ul.notes{color:var(--muted);font-size:14px}
footer{margin-top:36px;font-size:13px;color:var(--muted)}
";

fn pct(x: Option<f64>) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "n/a".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn fixed(x: Option<f64>, d: usize) -> String {
    x.filter(|v| v.is_finite()).map_or_else(|| "n/a".to_owned(), |v| format!("{v:.d$}"))
}

/// Wins, whole or (with ties counted pro rata) with one decimal.
fn wins(x: f64) -> String {
    if x.fract() == 0.0 {
        count(x as u64)
    } else {
        format!("{x:.1}")
    }
}

/// `model's`, `rules'`.
fn possessive(scorer: &str) -> String {
    if scorer.ends_with('s') {
        format!("{scorer}'")
    } else {
        format!("{scorer}'s")
    }
}

fn threshold(scorer: &str, t: f64) -> String {
    if scorer == MODEL {
        format!("p ≥ {}", format_number(t))
    } else {
        format!("≥ {} points", format_number(t))
    }
}

/// The comparison as a self-contained HTML page.
pub fn compare_html(c: &Comparison) -> String {
    let mut out = String::with_capacity(128 * 1024);
    let l = &c.labels;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{} vs {} · leadscore comparison</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n\
         <h1>Model vs rules</h1>\n<p class=\"sub\">Model <code>{}</code> (MQL at its <code>{}</code> threshold) against \
         the points rules <code>{}</code>, on {}: {} leads, {} won ({}).</p>\n",
        escape(&l.model),
        escape(&l.rules),
        escape(&l.model),
        escape(&l.model_threshold_name),
        escape(&l.rules),
        escape(&l.data),
        count(c.n_leads),
        count(c.n_won),
        pct(Some(c.won_rate))
    );
    verdict(&mut out, c);
    cards(&mut out, c);
    agreement(&mut out, c);
    volumes(&mut out, c);
    charts(&mut out, c);
    rule_table(&mut out, c);
    disagreements(&mut out, c);
    out.push_str("<section id=\"notes\">\n<h2>How to read this page</h2>\n<ul class=\"notes\">\n");
    for note in &c.notes {
        let _ = writeln!(out, "<li>{}</li>", escape(note));
    }
    out.push_str(
        "</ul>\n</section>\n<footer>Generated by leadscore; this page loads nothing from the network. \
         The same figures are in <code>compare.json</code>.</footer>\n</main>\n</body>\n</html>\n",
    );
    out
}

fn find<'a>(c: &'a Comparison, volume_of: &str, scorer: &str) -> Option<&'a EqualVolume> {
    c.equal_volume.iter().find(|e| e.volume_of == volume_of && e.scorer == scorer)
}

fn verdict(out: &mut String, c: &Comparison) {
    let (Some(m), Some(r)) = (find(c, RULES, MODEL), find(c, RULES, RULES)) else { return };
    let _ = writeln!(
        out,
        "<p class=\"verdict\">With as many MQLs as the rules make today ({}), the model's MQLs would close <strong>{}</strong> \
         of the time against the rules' <strong>{}</strong>, catching <strong>{}</strong> of all wins against <strong>{}</strong>.</p>",
        count(r.volume),
        pct(m.precision),
        pct(r.precision),
        pct(m.recall),
        pct(r.recall)
    );
}

fn card(out: &mut String, key: &str, value: &str, hint: &str) {
    let _ = writeln!(
        out,
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"h\">{}</div></div>",
        escape(key),
        escape(value),
        escape(hint)
    );
}

fn cards(out: &mut String, c: &Comparison) {
    out.push_str("<section id=\"ranking\">\n<h2>Ranking quality</h2>\n<div class=\"cards\">\n");
    for s in &c.scorers {
        card(
            out,
            &format!("AUC · {}", s.scorer),
            &fixed(s.auc, 3),
            "Chance a won lead outranks a lost one (0.5 = coin toss; ties count half).",
        );
    }
    for s in &c.scorers {
        card(
            out,
            &format!("Average precision · {}", s.scorer),
            &fixed(s.average_precision, 3),
            &format!("How clean the top of the list is; random order scores {}.", fixed(Some(c.won_rate), 3)),
        );
    }
    if let Some(m) = c.scorers.iter().find(|s| s.scorer == MODEL) {
        card(out, "Log loss · model", &fixed(m.log_loss, 4), "Of the probabilities (lower is better).");
        card(out, "Brier · model", &fixed(m.brier, 4), "Mean squared error of the probabilities.");
    }
    card(out, "Log loss · rules", "n/a", "Points are not probabilities, and none is invented for them.");
    if let Some(cost) = c.points_version_auc_cost {
        card(
            out,
            "Rounding to points costs",
            &format!("{cost:+.4} AUC"),
            "Model AUC minus the AUC of its points version (leadscore export-points).",
        );
    }
    out.push_str("</div>\n</section>\n");
}

fn agreement(out: &mut String, c: &Comparison) {
    let a = &c.agreement;
    let m = c.own_threshold.iter().find(|o| o.scorer == MODEL);
    let r = c.own_threshold.iter().find(|o| o.scorer == RULES);
    let cell = |cell: &leadscore_core::compare::Cell, class: &str| {
        format!(
            "<td class=\"{class}\"><span class=\"big\">{}</span>leads<br>{} won · <strong>{}</strong> won rate</td>",
            count(cell.leads),
            count(cell.won),
            pct(cell.won_rate)
        )
    };
    let _ = write!(
        out,
        "<section id=\"agreement\">\n<h2>Who agrees, and who was right</h2>\n\
         <p>Each lead is an MQL or not for the model ({}) and for the rules ({}). The won rate in each cell is what \
         actually happened: the off-diagonal cells show which scorer was right when they disagree.</p>\n\
         <table class=\"agree\">\n<thead><tr><th></th><th>Model: MQL</th><th>Model: not MQL</th></tr></thead>\n<tbody>\n\
         <tr><th>Rules: MQL</th>{}{}</tr>\n<tr><th>Rules: not MQL</th>{}{}</tr>\n</tbody>\n</table>\n",
        m.map_or_else(String::new, |o| escape(&threshold(MODEL, o.threshold))),
        r.map_or_else(String::new, |o| escape(&threshold(RULES, o.threshold))),
        cell(&a.both, ""),
        cell(&a.rules_only, if better(&a.rules_only, &a.model_only) { "good" } else { "bad" }),
        cell(&a.model_only, if better(&a.model_only, &a.rules_only) { "good" } else { "bad" }),
        cell(&a.neither, "")
    );
    out.push_str("</section>\n");
}

/// Whether `a`'s won rate beats `b`'s.
fn better(a: &leadscore_core::compare::Cell, b: &leadscore_core::compare::Cell) -> bool {
    a.won_rate.unwrap_or(0.0) > b.won_rate.unwrap_or(0.0)
}

fn operating_row(out: &mut String, o: &Operating) {
    let _ = writeln!(
        out,
        "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
         <td class=\"n\">{}</td><td class=\"n\">{}×</td></tr>",
        escape(&o.scorer),
        escape(&threshold(&o.scorer, o.threshold)),
        count(o.mql_count),
        count(o.won),
        pct(o.precision),
        pct(o.recall),
        fixed(o.lift, 2)
    );
}

fn volumes(out: &mut String, c: &Comparison) {
    out.push_str(
        "<section id=\"volumes\">\n<h2>At each one's own MQL threshold</h2>\n<table>\n<thead><tr><th>Scorer</th>\
         <th class=\"n\">Threshold</th><th class=\"n\">MQLs</th><th class=\"n\">Won</th><th class=\"n\">Precision (MQL → won)</th>\
         <th class=\"n\">Recall (share of wins)</th><th class=\"n\">Lift</th></tr></thead>\n<tbody>\n",
    );
    for o in &c.own_threshold {
        operating_row(out, o);
    }
    out.push_str(
        "</tbody>\n</table>\n<h2>At equal MQL volume</h2>\n<p>Each scorer takes exactly the same number of leads from the \
         top of its ranking. Leads tied at the cut count pro rata (see the notes column).</p>\n<table>\n<thead><tr>\
         <th>Volume of</th><th>Scorer</th><th class=\"n\">MQLs</th><th class=\"n\">Won</th><th class=\"n\">Precision</th>\
         <th class=\"n\">Recall</th><th class=\"n\">Lift</th><th>Ties at the cut</th></tr></thead>\n<tbody>\n",
    );
    for e in &c.equal_volume {
        let _ = writeln!(
            out,
            "<tr><td>{} MQLs</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}×</td><td>{}</td></tr>",
            escape(&possessive(&e.volume_of)),
            escape(&e.scorer),
            count(e.volume),
            wins(e.won),
            pct(e.precision),
            pct(e.recall),
            fixed(e.lift, 2),
            if e.note.is_empty() { "none partly taken".to_owned() } else { escape(&e.note) }
        );
    }
    out.push_str("</tbody>\n</table>\n<h2>Matching thresholds</h2>\n<ul>\n");
    for m in &c.matching {
        let other = if m.scorer == MODEL { RULES } else { MODEL };
        let Some(t) = m.threshold else { continue };
        let o = m.operating.as_ref();
        let _ = writeln!(
            out,
            "<li>The {} threshold that gives the {} volume ({} MQLs) is <strong>{}</strong>: {} MQLs, {} of them won, \
             {} of all wins.</li>",
            escape(&m.scorer),
            escape(&possessive(other)),
            count(m.target_volume),
            escape(&threshold(&m.scorer, t)),
            count(m.volume),
            pct(o.and_then(|o| o.precision)),
            pct(o.and_then(|o| o.recall))
        );
    }
    out.push_str("</ul>\n</section>\n");
}

fn figure(out: &mut String, svg: &str, caption: &str) {
    let _ = writeln!(out, "<figure>{svg}<figcaption>{}</figcaption></figure>", escape(caption));
}

fn color_of(scorer: &str) -> Color {
    match scorer {
        MODEL => Color::BLUE,
        RULES => Color::ORANGE,
        _ => Color::PURPLE,
    }
}

fn curve_series(curves: &[Curve], c: &Comparison, with_auc: bool) -> Vec<Series> {
    curves
        .iter()
        .map(|curve| {
            let auc = c.scorers.iter().find(|s| s.scorer == curve.scorer).and_then(|s| s.auc);
            let name = match (with_auc, auc) {
                (true, Some(a)) => format!("{} (AUC {a:.3})", curve.scorer),
                _ => curve.scorer.clone(),
            };
            let style = if curve.scorer == MODEL || curve.scorer == RULES {
                Style::line(color_of(&curve.scorer))
            } else {
                Style::dashed(color_of(&curve.scorer))
            };
            Series::new(name, curve.points.clone(), style)
        })
        .collect()
}

fn histogram(out: &mut String, h: &ScoreHistogram, x_label: &str, caption: &str) {
    if h.edges.len() < 2 {
        return;
    }
    let chart = Histogram {
        title: format!("{}: won vs lost leads", capital(&h.scorer)),
        x: Axis::new(x_label),
        y: Axis::new("Share of the group's leads").percent(),
        edges: h.edges.clone(),
        series: vec![
            HistogramSeries { name: "lost".into(), color: Color::ORANGE, values: h.lost.clone() },
            HistogramSeries { name: "won".into(), color: Color::BLUE, values: h.won.clone() },
        ],
    };
    figure(out, &chart.to_svg(CHART_W, CHART_H), caption);
}

fn capital(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// ROC curves of the model, the rules and the points version on the compared leads.
pub fn roc_figure(c: &Comparison) -> Figure {
    let mut roc = LineChart::new(
        "ROC: model vs rules",
        Axis::new("Lost leads flagged (false positive rate)").range(0.0, 1.0).percent(),
        Axis::new("Won leads flagged (true positive rate)").range(0.0, 1.0).percent(),
    )
    .series(Series::new("random order", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)));
    for s in curve_series(&c.plots.roc, c, true) {
        roc = roc.series(s);
    }
    Figure {
        svg: roc.to_svg(CHART_W, CHART_H),
        caption: escape(
            "Each point is a threshold. The higher and further left a curve runs, the better it separates won from lost \
             leads. Points tie a lot, so the rules' curve has long straight steps.",
        ),
    }
}

/// Cumulative gains of the model, the rules and the points version on the compared leads.
pub fn gains_figure(c: &Comparison) -> Figure {
    let mut gains = LineChart::new(
        "Cumulative gains: model vs rules",
        Axis::new("Leads contacted, best scores first").range(0.0, 1.0).percent(),
        Axis::new("Share of all wins reached").range(0.0, 1.0).percent(),
    )
    .series(Series::new("random order", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)));
    for s in curve_series(&c.plots.gains, c, false) {
        gains = gains.series(s);
    }
    Figure {
        svg: gains.to_svg(CHART_W, CHART_H),
        caption: escape(
            "If sales calls leads from the top of each list down, how many of the eventual wins do they reach?",
        ),
    }
}

fn charts(out: &mut String, c: &Comparison) {
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n");
    let p = &c.plots;
    for f in [roc_figure(c), gains_figure(c)] {
        let _ = writeln!(out, "<figure>{}<figcaption>{}</figcaption></figure>", f.svg, f.caption);
    }
    if !p.calibration.is_empty() {
        let top = p
            .calibration
            .iter()
            .flat_map(|b| [b.upper, b.mean_predicted, b.observed_rate])
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max);
        let hi = ((top / 0.1).ceil() * 0.1).clamp(0.1, 1.0);
        let points: Vec<(f64, f64)> = p.calibration.iter().map(|b| (b.mean_predicted, b.observed_rate)).collect();
        let sizes: Vec<f64> = p.calibration.iter().map(|b| b.n as f64).collect();
        let chart = LineChart::new(
            "Calibration of the model",
            Axis::new("Predicted probability (bin average)").range(0.0, hi).percent(),
            Axis::new("Observed won rate").range(0.0, hi).percent(),
        )
        .series(Series::new("perfect calibration", vec![(0.0, 0.0), (hi, hi)], Style::dashed(Color::GREY)))
        .series(
            Series::new("model (dot area ∝ leads)", points, Style::line(Color::BLUE).with_markers(11.0)).sizes(sizes),
        );
        figure(
            out,
            &chart.to_svg(CHART_W, CHART_H),
            "Do leads predicted at 30% close 30% of the time? Rules have no probabilities, so only the model is drawn.",
        );
    }
    for h in &p.histograms {
        let (label, caption) = if h.scorer == MODEL {
            ("Predicted probability of winning", "Where the model puts won and lost leads, each as shares of itself.")
        } else {
            ("Rule points", "Where the rules put won and lost leads, each as shares of itself.")
        };
        histogram(out, h, label, caption);
    }
    let (won, lost): (Vec<&ScatterPoint>, Vec<&ScatterPoint>) = p.scatter.iter().partition(|s| s.won);
    let chart = LineChart::new(
        "Rule points vs model probability",
        Axis::new("Rule points"),
        Axis::new("Model probability").range(0.0, 1.0).percent(),
    )
    .series(Series::new(
        "lost",
        lost.iter().map(|s| (s.points, s.probability)).collect(),
        Style::markers(Color::ORANGE, 2.5),
    ))
    .series(Series::new(
        "won",
        won.iter().map(|s| (s.points, s.probability)).collect(),
        Style::markers(Color::BLUE, 2.5),
    ));
    figure(
        out,
        &chart.to_svg(CHART_W, CHART_H),
        &format!(
            "Each dot is a lead ({} of {} drawn), coloured by outcome. Dots high on the left are leads the model rates \
             and the rules do not; dots low on the right the reverse.",
            count(p.scatter.len() as u64),
            count(c.n_leads)
        ),
    );
    out.push_str("</div>\n</section>\n");
}

/// Whether a rule's firing agrees with its sign, in words.
fn signal(points: f64, ratio: Option<f64>, share: f64) -> &'static str {
    match ratio {
        _ if share < 0.01 => "rarely fires",
        None => "fires for every lead or none",
        Some(r) if (points > 0.0 && r >= 1.2) || (points < 0.0 && r <= 1.0 / 1.2) => "carries signal",
        Some(r) if (points > 0.0 && r <= 1.0 / 1.2) || (points < 0.0 && r >= 1.2) => "points the wrong way",
        Some(_) => "little signal",
    }
}

fn rule_table(out: &mut String, c: &Comparison) {
    out.push_str(
        "<section id=\"rules\">\n<h2>Each rule on these leads</h2>\n<p>How often each rule fires, and the won rate of the \
         leads it fires for against those it does not. A rule whose leads win more often than the rest deserves its \
         points; one that fires for leads that win less often points the wrong way.</p>\n<table>\n<thead><tr><th>Rule</th>\
         <th>Group</th><th class=\"n\">Points</th><th class=\"n\">Fires for</th><th class=\"n\">Won rate when it fires</th>\
         <th class=\"n\">…when it does not</th><th class=\"n\">Ratio</th><th>Verdict</th></tr></thead>\n<tbody>\n",
    );
    for r in &c.rules {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
            escape(&r.name),
            r.group.as_deref().map_or_else(String::new, escape),
            format_number(r.points),
            count(r.fired),
            pct(Some(r.fired_share)),
            pct(r.won_rate_fired),
            pct(r.won_rate_not_fired),
            fixed(r.ratio, 2),
            signal(r.points, r.ratio, r.fired_share)
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

fn disagreement_table(out: &mut String, title: &str, intro: &str, list: &[Disagreement]) {
    let _ = write!(out, "<h2>{}</h2>\n<p>{}</p>\n", escape(title), escape(intro));
    if list.is_empty() {
        out.push_str("<p>None.</p>\n");
        return;
    }
    out.push_str(
        "<table>\n<thead><tr><th>Lead</th><th class=\"n\">Points</th><th class=\"n\">Probability</th><th>Outcome</th>\
         <th>Top model factors</th><th>Rules that fired</th></tr></thead>\n<tbody>\n",
    );
    for d in list {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}<br>(top {})</td><td class=\"n\">{}<br>(top {})</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&d.id),
            format_number(d.points),
            pct(Some(d.rules_top_share)),
            fixed(Some(d.probability), 3),
            pct(Some(d.model_top_share)),
            if d.won { "won" } else { "lost" },
            d.model_factors.iter().map(|f| escape(f)).collect::<Vec<_>>().join("<br>"),
            if d.rules_fired.is_empty() {
                "none".to_owned()
            } else {
                d.rules_fired.iter().map(|f| escape(f)).collect::<Vec<_>>().join("<br>")
            }
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn disagreements(out: &mut String, c: &Comparison) {
    out.push_str("<section id=\"disagreements\">\n");
    disagreement_table(
        out,
        "Model says MQL, rules say no",
        "The model's MQLs the rules rank lowest. \"Top x%\" is the share of leads each scorer ranks above the lead.",
        &c.disagreements.model_only,
    );
    disagreement_table(
        out,
        "Rules say MQL, model says no",
        "The rules' MQLs the model ranks lowest.",
        &c.disagreements.rules_only,
    );
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::compare::{compare, CompareInput, CompareLabels};

    #[test]
    fn page_is_self_contained_and_escapes_names() {
        let won = [true, false, true, false, false];
        let p = [0.9, 0.2, 0.6, 0.4, 0.1];
        let pts = [10.0, 10.0, 0.0, 20.0, 0.0];
        let input = CompareInput {
            won: &won,
            probability: &p,
            points: &pts,
            model_threshold: 0.5,
            rules_threshold: 10.0,
            points_version: None,
        };
        let labels = CompareLabels {
            model: "m <v1>".into(),
            model_threshold_name: "given".into(),
            rules: "r&d".into(),
            data: "x.csv".into(),
        };
        let c = compare(labels, &input, vec![], 3).unwrap();
        let html = compare_html(&c);
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("m &lt;v1&gt;") && html.contains("r&amp;d"));
        // No script, nothing fetched (the only URL is the SVG namespace).
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href=\"http"));
        // Both MQL: lead 0 (1 lead, won); the 2x2 and six charts are there.
        assert!(html.contains("<span class=\"big\">1</span>leads<br>1 won"), "{html}");
        assert_eq!(html.matches("</figure>").count(), 6);
        assert_eq!(html, compare_html(&c), "deterministic");
    }
}
