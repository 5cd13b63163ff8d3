//! The training report (`report.html`): one page that tells a marketer whether
//! to trust a model and a data scientist how it behaves.
//!
//! Why a page of its own: the model card (`card.json`) is for machines and
//! dashboards; people need the figures in words, the warnings first, and the
//! curves drawn. The page is self-contained (inline CSS and SVG from
//! [`crate::plot`], no script, no network), so it opens offline from the model
//! registry or an e-mail attachment.
//!
//! It is built from the [`Artifact`] alone, so it can be regenerated from any
//! `model.bin`. Every curve comes from the stored held-out operating curve:
//! ROC and gains from its cumulative counts, the score histogram from the
//! differences of those counts between bin edges. All text that comes from
//! data (column names, levels, messages) is escaped, and the output holds no
//! timestamp and iterates no hash map: the same artifact gives the same bytes.

use std::fmt::Write as _;

use leadscore_core::curve::OperatingCurve;
use leadscore_core::evidence::{odds_text, signals, Signal};
use leadscore_core::model::score_1_99;
use leadscore_core::promotion::GateRecord;
use leadscore_core::report::{Holdout, Interval, Warning};
use leadscore_core::Artifact;

use crate::plot::{
    escape, format_number, nice_step, Axis, BarChart, BarSeries, Color, HeatMap, Histogram, HistogramSeries, LineChart,
    Series, Style,
};

/// Size of a chart in the two-column grid.
pub(crate) const CHART_W: u32 = 560;
/// Height of a chart in the two-column grid.
pub(crate) const CHART_H: u32 = 380;
/// Width of a full-width chart.
const WIDE_W: u32 = 1100;
/// Coefficients drawn in the bar chart.
const TOP_COEFFICIENTS: usize = 20;
/// Fewest flagged leads a precision is drawn for.
const MIN_FLAGGED: u64 = 10;
/// About this many bins in the score histogram.
const SCORE_BINS: f64 = 20.0;

pub(crate) const CSS: &str = "
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--blue:#2563eb;--warn:#b45309;--warnbg:#fffbeb}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:26px;margin:0 0 4px}
h1 .ver{color:var(--muted);font-weight:500}
h2{font-size:19px;margin:32px 0 10px}
p.sub{margin:0 0 16px;color:var(--muted)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f1f5f9;padding:0 3px;border-radius:3px}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:8px 20px;margin:0;padding:14px 16px;background:var(--card);border:1px solid var(--line);border-radius:8px}
.facts div{min-width:0}
.facts dt{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.warnings{margin:20px 0 0;padding:14px 18px;background:var(--warnbg);border:1px solid #fcd34d;border-left:6px solid #f59e0b;border-radius:8px}
.warnings h2{margin:0 0 6px;color:var(--warn)}
.warnings ul{margin:0;padding-left:20px}
.warnings li{margin:6px 0}
.ok{margin:20px 0 0;padding:10px 16px;background:#ecfdf5;border:1px solid #a7f3d0;border-radius:8px}
.verdict{font-size:17px;margin:8px 0 14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.card .k{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .v{font-size:28px;font-weight:650;line-height:1.2;margin:2px 0}
.card .ci{font-size:13px;color:var(--ink)}
.card .h{font-size:13px;color:var(--muted);margin-top:4px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px}
figure.wide{grid-column:1/-1}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:13px;color:var(--muted);margin:6px 4px 2px}
table{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#f1f5f9;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr:nth-child(even) td{background:#fafafa}
details{margin-top:12px}
summary{cursor:pointer;color:var(--blue)}
footer{margin-top:36px;font-size:13px;color:var(--muted)}
";

/// A self-contained HTML report of a trained model published as `version`.
pub fn report_html(artifact: &Artifact, version: &str) -> String {
    report_html_with(artifact, version, None)
}

/// [`report_html`] with the promotion gate's comparison against the version current when this
/// one was trained, for a version the gate judged.
pub fn report_html_with(artifact: &Artifact, version: &str, gate: Option<&GateRecord>) -> String {
    let mut out = String::with_capacity(96 * 1024);
    let name = escape(&artifact.name);
    let version_text = escape(version);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{name} {version_text} · leadscore training report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
    );
    header(&mut out, artifact, version);
    warnings(&mut out, &artifact.warnings);
    headline(&mut out, artifact);
    if let Some(gate) = gate {
        crate::promotion::gate_section(&mut out, gate);
    }
    charts(&mut out, artifact);
    shapes_section(&mut out, artifact);
    pairs_section(&mut out, artifact);
    tables(&mut out, artifact);
    let _ = write!(
        out,
        "<footer>Generated by leadscore {} from model <code>{name}</code> {version_text}. \
         All figures are on the held-out leads unless marked cross-validated; this page loads nothing from the network.</footer>\n\
         </main>\n</body>\n</html>\n",
        escape(&artifact.training.leadscore_version)
    );
    out
}

// ---------------------------------------------------------------------------
// Number formatting
// ---------------------------------------------------------------------------

/// A share as a percentage with one decimal (`12.3%`), `n/a` if not finite.
pub(crate) fn pct(share: f64) -> String {
    if share.is_finite() {
        format!("{:.1}%", share * 100.0)
    } else {
        "n/a".to_owned()
    }
}

/// A number with `d` decimals, `n/a` if not finite.
pub(crate) fn fixed(v: f64, d: usize) -> String {
    if v.is_finite() {
        format!("{v:.d$}")
    } else {
        "n/a".to_owned()
    }
}

/// An optional number with `d` decimals.
pub(crate) fn opt(v: Option<f64>, d: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| fixed(v, d))
}

/// `95% interval 0.781 – 0.842`, or empty.
pub(crate) fn interval(ci: Option<&Interval>, d: usize, suffix: &str) -> String {
    ci.map_or_else(String::new, |ci| {
        format!("{:.0}% interval {}{suffix} – {}{suffix}", ci.level * 100.0, fixed(ci.low, d), fixed(ci.high, d))
    })
}

/// A count with thousands separators (`12,345`).
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `num / den` as a share, 0 when `den` is 0.
pub(crate) fn share(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Escaped text with `` `code` `` spans turned into `<code>` (warning messages
/// quote column names that way).
fn rich(text: &str) -> String {
    let escaped = escape(text);
    let mut out = String::with_capacity(escaped.len() + 16);
    let parts: Vec<&str> = escaped.split('`').collect();
    // An odd number of backticks leaves the last one literal.
    let pairs = (parts.len() - 1) / 2 * 2;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            if i <= pairs {
                out.push_str(if i % 2 == 1 { "<code>" } else { "</code>" });
            } else {
                out.push('`');
            }
        }
        out.push_str(part);
    }
    out
}

/// The first letter in upper case.
fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

// ---------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------

fn header(out: &mut String, artifact: &Artifact, version: &str) {
    let t = &artifact.training;
    let target = &artifact.spec.target;
    let positive: Vec<String> = target.positive.iter().map(|v| format!("<code>{}</code>", escape(v))).collect();
    let _ = write!(
        out,
        "<header>\n<h1>Lead scoring model <code>{}</code> <span class=\"ver\">{}</span></h1>\n\
         <p class=\"sub\">Predicts the chance that a lead is won: column <code>{}</code> = {} counts as won, anything else as lost.</p>\n\
         <dl class=\"facts\">\n",
        escape(&artifact.name),
        escape(version),
        escape(&target.column),
        if positive.is_empty() { "n/a".to_owned() } else { positive.join(" or ") }
    );
    let mut fact = |label: &str, value: String| {
        let _ = writeln!(out, "<div><dt>{}</dt><dd>{value}</dd></div>", escape(label));
    };
    fact(
        "Training data",
        format!("{} leads, {} won ({})", count(t.n_rows), count(t.n_positives), pct(share(t.n_positives, t.n_rows))),
    );
    fact("Fitted on", escape(&artifact.fitted_on.describe(t)));
    let how = match &t.holdout {
        Holdout::Newest { column, from } => {
            format!("the newest leads by <code>{}</code>, from {}", escape(column), escape(from))
        }
        Holdout::Stratified { seed } => {
            format!("a random share with the same won rate (seed {seed})")
        }
    };
    fact(
        "Held out for testing",
        format!("{} leads ({} won): {how}", count(t.n_holdout), count(artifact.holdout.n_positives)),
    );
    if let Some((from, to)) = &t.date_range {
        fact("Lead dates", format!("{} to {}", escape(from), escape(to)));
    }
    let columns = artifact.encoder.n_columns;
    fact("Features", format!("{} columns of the data, {} model inputs", artifact.encoder.features.len(), columns));
    let l2 = artifact.regularisation.l2;
    fact(
        "Penalty (L2)",
        format!(
            "{} (scikit-learn C = {})",
            format_number(l2),
            format_number(if l2 > 0.0 { 1.0 / l2 } else { f64::INFINITY })
        ),
    );
    let hash: String = t.data_hash.chars().take(12).collect();
    fact("Data hash", format!("<code title=\"{}\">{}</code>", escape(&t.data_hash), escape(&hash)));
    fact("Seed", t.seed.to_string());
    fact("leadscore version", escape(&t.leadscore_version));
    out.push_str("</dl>\n</header>\n");
}

/// A plain-words heading for a warning code.
fn warning_label(code: &str) -> &str {
    match code {
        "leakage" => "Possible leakage",
        "few_wins" => "Few wins to learn from",
        "rare_class" => "Rare outcome",
        "few_rows_per_feature" => "Small data for the number of features",
        "dropped_feature" => "Feature dropped",
        other => other,
    }
}

fn warnings(out: &mut String, warnings: &[Warning]) {
    if warnings.is_empty() {
        out.push_str(
            "<p class=\"ok\">No warnings: no sign of leakage, and enough data for the number of features.</p>\n",
        );
        return;
    }
    let n = warnings.len();
    let _ = write!(
        out,
        "<section class=\"warnings\" id=\"warnings\">\n<h2>Read this first: {n} warning{}</h2>\n<ul>\n",
        if n == 1 { "" } else { "s" }
    );
    for w in warnings {
        let feature = w.feature.as_ref().map_or_else(String::new, |f| format!(" (<code>{}</code>)", escape(f)));
        let _ = writeln!(
            out,
            "<li><strong>{}</strong>{feature}: {}</li>",
            escape(warning_label(&w.code)),
            rich(&capitalise(&w.message))
        );
    }
    out.push_str("</ul>\n</section>\n");
}

/// How good an AUC is, in words.
pub(crate) fn auc_words(auc: f64) -> &'static str {
    if auc >= 0.95 {
        "almost perfectly, which is suspicious: check the warnings and the top coefficients for leakage"
    } else if auc >= 0.85 {
        "very well"
    } else if auc >= 0.75 {
        "well"
    } else if auc >= 0.65 {
        "moderately well"
    } else if auc > 0.55 {
        "weakly"
    } else {
        "no better than chance"
    }
}

/// Log loss and Brier score of always predicting the base rate `p`.
fn baseline_losses(p: f64) -> (f64, f64) {
    if p <= 0.0 || p >= 1.0 {
        return (0.0, 0.0);
    }
    (-(p * p.ln() + (1.0 - p) * (1.0 - p).ln()), p * (1.0 - p))
}

fn card(out: &mut String, key: &str, value: &str, ci: &str, hint: &str) {
    let _ = write!(out, "<div class=\"card\"><div class=\"k\">{key}</div><div class=\"v\">{value}</div>");
    if !ci.is_empty() {
        let _ = write!(out, "<div class=\"ci\">{ci}</div>");
    }
    let _ = writeln!(out, "<div class=\"h\">{hint}</div></div>");
}

fn headline(out: &mut String, artifact: &Artifact) {
    let h = &artifact.holdout;
    let base = share(h.n_positives, h.n_rows);
    out.push_str("<section id=\"headline\">\n<h2>How good is it?</h2>\n");
    let mut verdict = match h.auc {
        Some(auc) => format!("On leads it never saw, the model ranks won above lost leads {}.", auc_words(auc)),
        None => "The held-out leads have only one outcome, so ranking quality cannot be measured.".to_owned(),
    };
    if let Some(lift) = h.lift_top_decile {
        let _ = write!(
            verdict,
            " The 10% of leads it scores highest are won {} as often as the average lead ({} base rate).",
            if lift.is_finite() { format!("{lift:.1} times") } else { "n/a times".to_owned() },
            pct(base)
        );
    }
    let _ = writeln!(out, "<p class=\"verdict\">{}</p>\n<div class=\"cards\">", escape(&verdict));
    card(
        out,
        "AUC (held out)",
        &opt(h.auc, 3),
        &interval(h.auc_ci.as_ref(), 3, ""),
        "Chance a random won lead scores above a random lost one: 0.5 is a coin flip, 1 is perfect.",
    );
    match &artifact.cv {
        Some(cv) => card(
            out,
            "AUC (cross-validated)",
            &opt(cv.auc, 3),
            &format!("{}-fold, on the training leads", cv.folds),
            "Should be close to the held-out AUC; a much higher figure here suggests overfitting or drift.",
        ),
        None => card(out, "AUC (cross-validated)", "n/a", "", "Not run: the penalty was fixed instead of searched."),
    }
    card(
        out,
        "Lift in the top 10%",
        &h.lift_top_decile.map_or_else(|| "n/a".to_owned(), |l| format!("{}×", fixed(l, 2))),
        &interval(h.lift_ci.as_ref(), 2, "×"),
        "How many times more often the top-scored 10% are won than leads picked at random.",
    );
    let (ll0, brier0) = baseline_losses(base);
    card(
        out,
        "Log loss",
        &fixed(h.log_loss, 4),
        "",
        &format!("Lower is better. Predicting the base rate for every lead gives {}.", fixed(ll0, 4)),
    );
    card(
        out,
        "Brier score",
        &fixed(h.brier, 4),
        "",
        &format!("Mean squared error of the probability; lower is better. Base-rate guess: {}.", fixed(brier0, 4)),
    );
    card(
        out,
        "Average precision",
        &opt(h.average_precision, 3),
        "",
        &format!("Area under precision vs recall; a random order scores the won rate, {}.", fixed(base, 3)),
    );
    out.push_str("</div>\n</section>\n");
}

// ---------------------------------------------------------------------------
// Charts
// ---------------------------------------------------------------------------

fn figure(out: &mut String, svg: &str, caption: &str, wide: bool) {
    let _ = writeln!(
        out,
        "<figure{}>{svg}<figcaption>{caption}</figcaption></figure>",
        if wide { " class=\"wide\"" } else { "" }
    );
}

/// Won and lost held-out leads whose rounded probability is `>= t`.
fn at_or_above(curve: &OperatingCurve, t: f64) -> (u64, u64) {
    let k = curve.points.partition_point(|p| p.threshold >= t);
    k.checked_sub(1).and_then(|i| curve.points.get(i)).map_or((0, 0), |p| (p.pos_at_or_above, p.neg_at_or_above))
}

/// A probability rounded to 6 decimals, as the curve stores thresholds.
fn round6(p: f64) -> f64 {
    (p * 1e6).round() / 1e6 + 0.0
}

/// Bin width and upper edge of the score axis: nice bins from 0 to just
/// above the highest held-out probability.
pub(crate) fn score_bins(curve: &OperatingCurve) -> (f64, f64) {
    let max = curve.points.first().map_or(1.0, |p| p.threshold).clamp(1e-6, 1.0);
    let width = nice_step(max / SCORE_BINS).min(0.05);
    let hi = ((max / width).floor() + 1.0) * width;
    (width, round6(hi.min(1.0)))
}

fn charts(out: &mut String, artifact: &Artifact) {
    let curve = &artifact.curve;
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n<div class=\"charts\">\n");
    if let (Some(roc), Some(gains)) = (roc_figure(artifact), gains_figure(artifact)) {
        figure(out, &roc.svg, &roc.caption, false);
        figure(out, &gains.svg, &gains.caption, false);
        let scores = score_figure(curve);
        figure(out, &scores.svg, &scores.caption, false);
        threshold_chart(out, artifact);
    } else {
        out.push_str(
            "<p>The held-out leads have only one outcome, so ROC, gains and score histograms cannot be drawn.</p>\n",
        );
    }
    if let Some(calibration) = calibration_figure(artifact) {
        figure(out, &calibration.svg, &calibration.caption, false);
    }
    regularisation_chart(out, artifact);
    coefficient_chart(out, artifact);
    out.push_str("</div>\n</section>\n");
}

/// A drawn chart and its caption (HTML), as the report shows them; the dashboard shows the same.
#[derive(Clone, Debug, PartialEq)]
pub struct Figure {
    /// One `<svg>` element.
    pub svg: String,
    /// What to read in it, for people (HTML).
    pub caption: String,
}

/// Whether the held-out curve has both outcomes (ROC, gains and histograms need them).
fn has_both(curve: &OperatingCurve) -> bool {
    curve.n_pos > 0 && curve.n_neg > 0 && !curve.points.is_empty()
}

/// The held-out ROC curve; `None` when the held-out leads have one outcome only.
pub fn roc_figure(artifact: &Artifact) -> Option<Figure> {
    let curve = &artifact.curve;
    if !has_both(curve) {
        return None;
    }
    let mut roc = vec![(0.0, 0.0)];
    for p in &curve.points {
        roc.push((share(p.neg_at_or_above, curve.n_neg), share(p.pos_at_or_above, curve.n_pos)));
    }
    let auc = artifact.holdout.auc.map_or_else(String::new, |a| format!(" (AUC {a:.3})"));
    let chart = LineChart::new(
        "ROC curve (held out)",
        Axis::new("Lost leads flagged (false positive rate)").range(0.0, 1.0).percent(),
        Axis::new("Won leads flagged (true positive rate)").range(0.0, 1.0).percent(),
    )
    .series(Series::new("random order (AUC 0.5)", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)))
    .series(Series::new(format!("model{auc}"), roc, Style::line(Color::BLUE)));
    Some(Figure {
        svg: chart.to_svg(CHART_W, CHART_H),
        caption:
            "Each point is a threshold: lowering it flags more won leads (up) at the cost of more lost leads (right). \
             The further the curve bows to the top left, the better; the dashed line is a random order."
                .to_owned(),
    })
}

/// The held-out cumulative gains; `None` when the held-out leads have one outcome only.
pub fn gains_figure(artifact: &Artifact) -> Option<Figure> {
    let curve = &artifact.curve;
    if !has_both(curve) {
        return None;
    }
    let n = curve.n_pos + curve.n_neg;
    let mut gains = vec![(0.0, 0.0)];
    for p in &curve.points {
        gains.push((share(p.pos_at_or_above + p.neg_at_or_above, n), share(p.pos_at_or_above, curve.n_pos)));
    }
    let base = share(curve.n_pos, n);
    let chart = LineChart::new(
        "Cumulative gains (held out)",
        Axis::new("Leads contacted, best scores first").range(0.0, 1.0).percent(),
        Axis::new("Share of all wins captured").range(0.0, 1.0).percent(),
    )
    .series(Series::new("random order", vec![(0.0, 0.0), (1.0, 1.0)], Style::dashed(Color::GREY)))
    .series(Series::new("perfect ranking", vec![(0.0, 0.0), (base, 1.0), (1.0, 1.0)], Style::dashed(Color::GREEN)))
    .series(Series::new("model", gains, Style::line(Color::BLUE)));
    let top20 = curve
        .points
        .iter()
        .take_while(|p| share(p.pos_at_or_above + p.neg_at_or_above, n) <= 0.2 + 1e-12)
        .last()
        .map(|p| (share(p.pos_at_or_above + p.neg_at_or_above, n), share(p.pos_at_or_above, curve.n_pos)));
    let example = top20.map_or_else(String::new, |(x, y)| {
        format!(" Here, calling the top {} of leads reaches {} of the wins.", pct(x), pct(y))
    });
    Some(Figure {
        svg: chart.to_svg(CHART_W, CHART_H),
        caption: format!(
            "If sales works leads from the highest score down, how many of the eventual wins do they reach?{example} \
             Random calling reaches wins in proportion (dashed grey)."
        ),
    })
}

/// Held-out scores of won vs lost leads, from differences of the curve's cumulative counts.
pub fn score_figure(curve: &OperatingCurve) -> Figure {
    let (width, hi) = score_bins(curve);
    let n_bins = ((hi / width).round() as usize).max(1);
    let edges: Vec<f64> = (0..=n_bins).map(|k| round6(k as f64 * width).min(hi)).collect();
    let mut won = Vec::with_capacity(n_bins);
    let mut lost = Vec::with_capacity(n_bins);
    for (k, edge) in edges.windows(2).enumerate() {
        let (p_lo, n_lo) = at_or_above(curve, edge[0]);
        // The last bin is closed: it takes everything from its lower edge up.
        let (p_hi, n_hi) = if k + 1 == n_bins { (0, 0) } else { at_or_above(curve, edge[1]) };
        won.push(share(p_lo.saturating_sub(p_hi), curve.n_pos));
        lost.push(share(n_lo.saturating_sub(n_hi), curve.n_neg));
    }
    let chart = Histogram {
        title: "Held-out scores of won vs lost leads".into(),
        x: Axis::new("Predicted probability of winning"),
        y: Axis::new("Share of the group's leads").percent(),
        edges,
        series: vec![
            HistogramSeries { name: format!("lost ({})", count(curve.n_neg)), color: Color::ORANGE, values: lost },
            HistogramSeries { name: format!("won ({})", count(curve.n_pos)), color: Color::BLUE, values: won },
        ],
    };
    Figure {
        svg: chart.to_svg(CHART_W, CHART_H),
        caption: "Where the model puts won (blue) and lost (orange) leads, each group as shares of itself. \
         The less the two overlap, the better the separation; won leads should sit to the right."
            .to_owned(),
    }
}

fn threshold_chart(out: &mut String, artifact: &Artifact) {
    let curve = &artifact.curve;
    let n = curve.n_pos + curve.n_neg;
    let mut precision = Vec::with_capacity(curve.points.len());
    let mut recall = Vec::with_capacity(curve.points.len());
    let mut mql = Vec::with_capacity(curve.points.len());
    for p in curve.points.iter().rev() {
        let flagged = p.pos_at_or_above + p.neg_at_or_above;
        // Precision over a handful of leads is noise: left undrawn.
        if flagged >= MIN_FLAGGED {
            precision.push((p.threshold, share(p.pos_at_or_above, flagged)));
        }
        recall.push((p.threshold, share(p.pos_at_or_above, curve.n_pos)));
        mql.push((p.threshold, share(flagged, n)));
    }
    let (_, hi) = score_bins(curve);
    let (points, tips): (Vec<(f64, f64)>, Vec<String>) = artifact
        .thresholds
        .iter()
        .filter(|s| s.threshold.is_finite())
        .map(|s| {
            (
                (s.threshold, s.precision),
                format!(
                    "{}: threshold {}, precision {}, recall {}, MQL rate {}",
                    strategy_label(&s.strategy),
                    fixed(s.threshold, 3),
                    pct(s.precision),
                    pct(s.recall),
                    pct(s.mql_rate)
                ),
            )
        })
        .unzip();
    let chart = LineChart::new(
        "Precision, recall and MQL rate by threshold",
        Axis::new("MQL threshold (predicted probability)").range(0.0, hi),
        Axis::new("Share").range(0.0, 1.0).percent(),
    )
    .series(Series::new("MQL rate (leads flagged)", mql, Style::line(Color::GREY)))
    .series(Series::new("recall (wins caught)", recall, Style::line(Color::GREEN)))
    .series(Series::new("precision (MQLs won)", precision, Style::line(Color::BLUE)))
    .series(Series::new("suggested thresholds", points, Style::markers(Color::RED, 5.0)).tooltips(tips));
    figure(
        out,
        &chart.to_svg(CHART_W, CHART_H),
        "Raising the threshold makes fewer leads MQLs (grey), more of them convert (blue), but fewer of all wins are caught \
         (green). Red dots are the suggested thresholds in the table below; hover for details. \
         Precision is drawn where at least 10 leads are flagged.",
        false,
    );
}

/// Held-out calibration: predicted probability vs observed won rate per bin; `None` without bins.
pub fn calibration_figure(artifact: &Artifact) -> Option<Figure> {
    let bins = &artifact.holdout.calibration;
    if bins.is_empty() {
        return None;
    }
    let top = bins
        .iter()
        .flat_map(|b| [b.upper, b.mean_predicted, b.observed_rate])
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let hi = ((top / 0.1).ceil() * 0.1).clamp(0.1, 1.0);
    let points: Vec<(f64, f64)> = bins.iter().map(|b| (b.mean_predicted, b.observed_rate)).collect();
    let sizes: Vec<f64> = bins.iter().map(|b| b.n as f64).collect();
    let tips: Vec<String> = bins
        .iter()
        .map(|b| {
            format!(
                "{} leads predicted {} on average; {} were won",
                count(b.n),
                pct(b.mean_predicted),
                pct(b.observed_rate)
            )
        })
        .collect();
    let chart = LineChart::new(
        "Calibration (held out)",
        Axis::new("Predicted probability (bin average)").range(0.0, hi).percent(),
        Axis::new("Observed won rate").range(0.0, hi).percent(),
    )
    .series(Series::new("perfect calibration", vec![(0.0, 0.0), (hi, hi)], Style::dashed(Color::GREY)))
    .series(
        Series::new("model (dot area ∝ leads)", points, Style::line(Color::BLUE).with_markers(11.0))
            .sizes(sizes)
            .tooltips(tips),
    );
    Some(Figure {
        svg: chart.to_svg(CHART_W, CHART_H),
        caption: "Leads grouped by predicted probability: do leads predicted at 30% convert 30% of the time? \
         Dots on the dashed line mean the probabilities can be read at face value (for expected pipeline, or cost vs value)."
            .to_owned(),
    })
}

fn regularisation_chart(out: &mut String, artifact: &Artifact) {
    let reg = &artifact.regularisation;
    let grid: Vec<_> = reg.grid.iter().filter(|g| g.l2 > 0.0 && g.l2.is_finite()).collect();
    if grid.is_empty() {
        return;
    }
    let points: Vec<(f64, f64)> = grid.iter().map(|g| (g.l2, g.cv_log_loss)).collect();
    let tips: Vec<String> = grid
        .iter()
        .map(|g| {
            format!("l2 {}: CV log loss {}, CV AUC {}", format_number(g.l2), fixed(g.cv_log_loss, 4), opt(g.cv_auc, 3))
        })
        .collect();
    let chosen = grid
        .iter()
        .min_by(|a, b| (a.l2.ln() - reg.l2.ln()).abs().total_cmp(&(b.l2.ln() - reg.l2.ln()).abs()))
        .filter(|g| (g.l2 / reg.l2 - 1.0).abs() < 1e-9);
    let mut chart = LineChart::new(
        "Penalty search (cross-validated)",
        Axis::new("L2 penalty (log scale; stronger to the right)").log(),
        Axis::new("Cross-validated log loss (lower is better)"),
    )
    .series(Series::new("CV log loss", points, Style::line(Color::BLUE).with_markers(3.5)).tooltips(tips));
    if let Some(g) = chosen {
        chart = chart.series(
            Series::new(
                format!("chosen (l2 = {})", format_number(g.l2)),
                vec![(g.l2, g.cv_log_loss)],
                Style::markers(Color::RED, 7.0),
            )
            .tooltips(vec![format!(
                "chosen l2 {}: CV log loss {}, CV AUC {}",
                format_number(g.l2),
                fixed(g.cv_log_loss, 4),
                opt(g.cv_auc, 3)
            )]),
        );
    }
    figure(
        out,
        &chart.to_svg(CHART_W, CHART_H),
        "Each penalty was tried by cross-validation on the training leads; the one with the lowest out-of-fold log loss \
         was kept. A weak penalty (left) lets the model chase noise; a strong one (right) flattens every effect.",
        false,
    );
}

fn coefficient_chart(out: &mut String, artifact: &Artifact) {
    let rows = signals(artifact);
    if rows.is_empty() {
        return;
    }
    let top: Vec<&Signal> = rows.iter().filter(|s| s.listable()).take(TOP_COEFFICIENTS).collect();
    let chart = BarChart {
        negative: Some(("lowers the chance".into(), Color::ORANGE)),
        ..BarChart::new(
            format!("Top {} signals of {}", top.len(), rows.len()),
            Axis::new("Weight (change in log-odds of winning)"),
            top.iter().map(|r| r.column.clone()).collect(),
        )
    }
    .series(BarSeries {
        name: "raises the chance".into(),
        color: Color::BLUE,
        values: top.iter().map(|r| r.coefficient).collect(),
    });
    let height = 110 + 24 * top.len() as u32;
    figure(
        out,
        &chart.to_svg(WIDE_W, height),
        "What drives the score. Numbers are standardised, so a number's weight is the effect of one standard deviation; \
         a level (<code>column = value</code>) or a yes/no is the effect of having it, against the leads without it. \
         A weight of +0.7 doubles the odds of winning (e<sup>0.7</sup> ≈ 2). Ranked by the smallest effect each weight's 95% \
         interval allows, so a term carried by a handful of leads cannot top the list on luck; one carried by fewer than \
         30 training leads is shown only when its interval excludes no effect (the table below lists every term).",
        true,
    );
}

/// Each pair term as a heat map of its weights, as the report and the dashboard draw them.
pub fn pair_maps(artifact: &Artifact) -> Vec<Figure> {
    leadscore_core::card::pairs(artifact)
        .into_iter()
        .map(|pair| {
            let map = HeatMap {
                title: pair.name.to_owned(),
                row_label: pair.features[0].to_owned(),
                column_label: pair.features[1].to_owned(),
                rows: pair.rows.clone(),
                columns: pair.columns.clone(),
                values: pair.weights.clone(),
                notes: pair.leads.iter().map(|row| row.iter().map(|n| format!("{} training leads", count(*n))).collect()).collect(),
            };
            Figure {
                svg: map.to_svg(),
                caption: format!(
                    "<code>{}</code>: what a lead adds to its log-odds for having both values, on top of each feature's own \
                     effect (orange raises the chance, blue lowers it; +0.7 doubles the odds). Hover a cell for its training leads.",
                    escape(pair.name)
                ),
            }
        })
        .collect()
}

/// The pair terms and what the search tried.
fn pairs_section(out: &mut String, artifact: &Artifact) {
    let maps = pair_maps(artifact);
    if maps.is_empty() && artifact.pair_search.is_none() {
        return;
    }
    out.push_str("<section id=\"pairs\">\n<h2>Pairs of features</h2>\n");
    if maps.is_empty() {
        out.push_str(
            "<p>No pair of features predicts better together than each does alone: the model is additive.</p>\n",
        );
    } else {
        out.push_str(
            "<p>Where two features together say more than each alone (a month and a day of the month make a \
             campaign wave), the model has a pair term: one weight per combination of their values.</p>\n<div class=\"charts\">\n",
        );
        for map in &maps {
            figure(out, &map.svg, &map.caption, false);
        }
        out.push_str("</div>\n");
    }
    if let Some(search) = &artifact.pair_search {
        let _ = writeln!(
            out,
            "<p>The search ranked {} pairs of features by FAST (the log loss a pair term on the additive model's residuals \
             would remove) on {} training leads, then tried the best in cross-validation: a pair is kept when it lowers the \
             out-of-fold log loss by at least {} and by two standard errors. Out-of-fold log loss {} without the searched \
             pairs, {} with them; {}.</p>",
            count(search.n_ranked),
            count(search.n_rank_rows),
            fixed(search.min_gain, 5),
            fixed(search.base_log_loss, 4),
            fixed(search.log_loss, 4),
            escape(&search.stopped)
        );
        if !search.candidates.is_empty() {
            out.push_str(
                "<table>\n<thead><tr><th>Pair</th><th class=\"n\">FAST gain</th><th class=\"n\">Out-of-fold gain</th>\
                 <th class=\"n\">Standard error</th><th class=\"n\">Penalty</th><th class=\"n\">Pull</th><th>Kept</th></tr></thead>\n<tbody>\n",
            );
            for c in &search.candidates {
                let _ = writeln!(
                    out,
                    "<tr><td><code>{} × {}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                     <td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                    escape(&c.features[0]),
                    escape(&c.features[1]),
                    fixed(c.fast_gain, 1),
                    fixed(c.cv_gain, 5),
                    fixed(c.cv_gain_se, 5),
                    fixed(c.l2, 1),
                    fixed(c.pull, 1),
                    if c.kept { "yes" } else { "no" }
                );
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
    out.push_str("</section>\n");
}

/// Each searched number's shapes, their out-of-fold log loss and the one the model has.
fn shapes_section(out: &mut String, artifact: &Artifact) {
    let Some(search) = &artifact.shape_search else { return };
    out.push_str("<section id=\"shapes\">\n<h2>Shapes of numbers</h2>\n");
    let _ = writeln!(
        out,
        "<p>For each number the spec left to the data (<code>shape = \"auto\"</code>), training tried a line, \
         <code>log1p</code>, quantile bins on top of either, finer bins fitted as penalised steps (<code>smooth</code>, a \
         smooth staircase) and, for integer codes, one column per value, each fitted \
         in cross-validation with the rest of the model held: a shape with more columns had to lower the out-of-fold log \
         loss by {} per added column. Out-of-fold log loss {} at the starting shapes, {} with the shapes chosen; {}.</p>",
        fixed(search.min_gain, 5),
        fixed(search.base_log_loss, 4),
        fixed(search.log_loss, 4),
        escape(&search.stopped)
    );
    if !search.features.is_empty() {
        out.push_str(
            "<table>\n<thead><tr><th>Number</th><th>Chosen</th><th>Started as</th><th>Out-of-fold log loss of each shape</th>\
             <th>Why</th></tr></thead>\n<tbody>\n",
        );
        for c in &search.features {
            let tried: Vec<String> = c
                .candidates
                .iter()
                .map(|t| format!("{} {} ({} columns)", t.shape.as_str(), fixed(t.log_loss, 5), t.columns))
                .collect();
            let _ = writeln!(
                out,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&c.feature),
                c.chosen.as_str(),
                c.start.as_str(),
                escape(&tried.join(", ")),
                escape(&c.why)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

/// A readable name of a threshold strategy.
pub(crate) fn strategy_label(name: &str) -> String {
    match name {
        "max_f1" => "Best balance (max F1)".to_owned(),
        "youden" => "Best separation (Youden's J)".to_owned(),
        "capacity" => "Sales capacity".to_owned(),
        "capacity_per_period" => "Sales capacity per period".to_owned(),
        "precision" => "Conversion target".to_owned(),
        "recall" => "Catch most wins".to_owned(),
        "expected_value" => "Cost vs deal value".to_owned(),
        other => other.to_owned(),
    }
}

fn tables(out: &mut String, artifact: &Artifact) {
    out.push_str("<section id=\"thresholds\">\n<h2>Suggested MQL thresholds</h2>\n");
    if artifact.thresholds.is_empty() {
        out.push_str("<p>No threshold could be suggested from the held-out leads.</p>\n");
    } else {
        out.push_str(
            "<p>A lead becomes an MQL when its predicted probability is at least the threshold. \
             Figures are what that threshold did on the held-out leads.</p>\n<table>\n<thead><tr><th>Strategy</th>\
             <th class=\"n\">Threshold</th><th class=\"n\">MQL rate</th><th class=\"n\">Precision</th>\
             <th class=\"n\">Recall</th><th class=\"n\">Lift</th><th>What it means</th></tr></thead>\n<tbody>\n",
        );
        for s in &artifact.thresholds {
            let _ = writeln!(
                out,
                "<tr><td>{}<br><code>{}</code></td><td class=\"n\">{} <br>(score {})</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}×</td><td>{}</td></tr>",
                escape(&strategy_label(&s.strategy)),
                escape(&s.strategy),
                fixed(s.threshold, 3),
                score_1_99(s.threshold),
                pct(s.mql_rate),
                pct(s.precision),
                pct(s.recall),
                fixed(s.lift, 2),
                escape(&s.explanation)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");

    let curve = &artifact.curve;
    let n = curve.n_pos + curve.n_neg;
    out.push_str(
        "<section id=\"tiers\">\n<h2>Tiers</h2>\n<p>Each lead gets the best tier whose minimum probability it reaches. \
         Held-out figures show how the tiers actually split the leads.</p>\n<table>\n<thead><tr><th>Tier</th>\
         <th class=\"n\">Minimum probability</th><th class=\"n\">Cut for share</th><th class=\"n\">Held-out leads</th>\
         <th class=\"n\">Held-out won rate</th><th class=\"n\">Share of all wins</th></tr></thead>\n<tbody>\n",
    );
    let mut above = (0u64, 0u64);
    for tier in &artifact.tiers.tiers {
        let here = if tier.min_probability <= 0.0 {
            (curve.n_pos, curve.n_neg)
        } else {
            at_or_above(curve, round6(tier.min_probability))
        };
        let won = here.0.saturating_sub(above.0);
        let lost = here.1.saturating_sub(above.1);
        above = (above.0.max(here.0), above.1.max(here.1));
        let _ = writeln!(
            out,
            "<tr><td><strong>{}</strong></td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{} ({})</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&tier.name),
            if tier.min_probability <= 0.0 { "any".to_owned() } else { fixed(tier.min_probability, 4) },
            pct(tier.share),
            count(won + lost),
            pct(share(won + lost, n)),
            if won + lost == 0 { "n/a".to_owned() } else { pct(share(won, won + lost)) },
            pct(share(won, curve.n_pos))
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");

    let bins = &artifact.holdout.calibration;
    if !bins.is_empty() {
        out.push_str(
            "<section id=\"calibration\">\n<h2>Calibration table</h2>\n<table>\n<thead><tr><th>Predicted probability</th>\
             <th class=\"n\">Held-out leads</th><th class=\"n\">Mean predicted</th><th class=\"n\">Observed won rate</th>\
             <th class=\"n\">Observed − predicted</th></tr></thead>\n<tbody>\n",
        );
        for b in bins {
            let _ = writeln!(
                out,
                "<tr><td>{} – {}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{:+.1} pts</td></tr>",
                pct(b.lower),
                pct(b.upper),
                count(b.n),
                pct(b.mean_predicted),
                pct(b.observed_rate),
                (b.observed_rate - b.mean_predicted) * 100.0
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }

    out.push_str("<section id=\"details\">\n<h2>Details</h2>\n");
    let grid = &artifact.regularisation.grid;
    if !grid.is_empty() {
        out.push_str(
            "<details><summary>Penalty search grid</summary>\n<table>\n<thead><tr><th class=\"n\">L2</th>\
             <th class=\"n\">scikit-learn C</th><th class=\"n\">CV log loss</th><th class=\"n\">CV AUC</th><th></th></tr></thead>\n<tbody>\n",
        );
        for g in grid {
            let chosen = (g.l2 / artifact.regularisation.l2 - 1.0).abs() < 1e-9;
            let _ = writeln!(
                out,
                "<tr><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>",
                format_number(g.l2),
                format_number(if g.l2 > 0.0 { 1.0 / g.l2 } else { f64::INFINITY }),
                fixed(g.cv_log_loss, 4),
                opt(g.cv_auc, 4),
                if chosen { "chosen" } else { "" }
            );
        }
        out.push_str("</tbody>\n</table>\n</details>\n");
    }
    let rows = signals(artifact);
    let _ = write!(
        out,
        "<details><summary>All {} coefficients</summary>\n<p>Intercept {} (log-odds of a lead whose inputs are all zero); \
         the average training lead has log-odds {}. Strongest first by the smallest effect the 95% interval allows; \
         <em>leads</em> are the training leads that carry the term (for a number, those where it was present).</p>\n<table>\n\
         <thead><tr><th>Model input</th><th class=\"n\">Weight</th><th class=\"n\">Odds ratio</th>\
         <th class=\"n\">95% interval</th><th class=\"n\">Leads</th></tr></thead>\n<tbody>\n",
        rows.len(),
        fixed(artifact.model.intercept, 4),
        fixed(artifact.baseline_log_odds(), 4)
    );
    for s in &rows {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&s.column),
            fixed(s.coefficient, 4),
            format_number(s.odds_ratio),
            s.odds_interval.map_or_else(|| "—".to_owned(), |(l, h)| format!("{}–{}", odds_text(l), odds_text(h))),
            s.leads.map_or_else(|| "—".to_owned(), count)
        );
    }
    out.push_str("</tbody>\n</table>\n</details>\n</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trained() -> Artifact {
        crate::testing::shipped().1
    }

    /// The registry's `report.html` is this function's output: the page can be rebuilt from `model.bin`.
    #[test]
    fn shipped_report_is_rebuilt_byte_for_byte() {
        let (version, artifact) = crate::testing::shipped();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/leads");
        let shipped = std::fs::read_to_string(root.join(&version).join("report.html")).expect("report.html");
        assert!(report_html(&artifact, &version) == shipped, "report.html differs from a rebuild");
    }

    #[test]
    fn report_of_a_trained_model_is_complete_and_deterministic() {
        let mut artifact = trained();
        artifact.warnings.push(Warning {
            code: "leakage".into(),
            feature: Some("<script>alert('x')</script>".into()),
            message: "`<script>` alone ranks leads & more".into(),
        });
        let html = report_html(&artifact, "v1");
        // Write it where a person can open it (best effort).
        let _ = std::fs::write(std::env::temp_dir().join("leadscore_report_test.html"), &html);
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
        for needle in [
            "ROC curve (held out)",
            "Cumulative gains (held out)",
            "Calibration (held out)",
            "Held-out scores of won vs lost leads",
            "Penalty search (cross-validated)",
            "Top 20 signals",
            "95% interval",
            "Suggested MQL thresholds",
            "Possible leakage",
            "AUC (held out)",
            "Lift in the top 10%",
        ] {
            assert!(html.contains(needle), "missing {needle}");
        }
        assert_eq!(html.matches("<svg xmlns").count(), 7);
        // Data text is escaped, and backticks became code spans.
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(html.contains("<code>&lt;script&gt;</code> alone ranks leads &amp; more"));
        // Nothing is loaded from anywhere.
        assert!(!html.contains("NaN") && !html.contains("src=") && !html.contains("<link") && !html.contains("url("));
        assert_eq!(html, report_html(&artifact, "v1"));
    }

    #[test]
    fn histogram_counts_come_from_curve_differences() {
        // Won at 0.9, 0.62; lost at 0.62, 0.3, 0.1.
        let curve = OperatingCurve::from_predictions(&[0.9, 0.62, 0.62, 0.3, 0.1], &[true, true, false, false, false]);
        assert_eq!(at_or_above(&curve, 0.62), (2, 1));
        assert_eq!(at_or_above(&curve, 0.61), (2, 1));
        assert_eq!(at_or_above(&curve, 0.95), (0, 0));
        assert_eq!(at_or_above(&curve, 0.0), (2, 3));
        // Max 0.9 -> bins of 0.05 up to 0.95.
        assert_eq!(score_bins(&curve), (0.05, 0.95));
        let out = score_figure(&curve).svg;
        // Won: half in [0.6, 0.65), half in [0.9, 0.95].
        assert!(out.contains("won (2): [0.6, 0.65): 50%"), "{out}");
        assert!(out.contains("won (2): [0.9, 0.95): 50%"));
        assert!(out.contains("lost (3): [0.1, 0.15): 33.3%"));
    }

    #[test]
    fn rich_text_makes_code_spans_safely() {
        assert_eq!(rich("`a<b` and `c`"), "<code>a&lt;b</code> and <code>c</code>");
        assert_eq!(rich("odd ` tick"), "odd ` tick");
        assert_eq!(rich("no ticks"), "no ticks");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(capitalise("only 3 won"), "Only 3 won");
    }
}
