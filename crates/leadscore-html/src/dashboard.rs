//! The server's dashboard (`GET /`): the model for marketers, on one page.
//!
//! What a marketer asks, in order: is the model any good (the card in plain
//! words), what makes a lead likely to win, and where to put the MQL cut-off
//! (a slider showing MQL volume, precision and recall as it moves, beside the
//! rules' figures when a comparison is known). Then how it does in
//! production, from the server's prediction log (the section
//! [`crate::monitor::live_section`] also draws for `leadscore monitor --html`),
//! and the held-out charts, drawn by the same functions as the training report.
//!
//! The slider needs no request and no lead data: the page carries the
//! figures of every threshold from 0 to the top held-out score in steps of
//! 0.001, each computed by [`leadscore_core::curve::OperatingCurve::at`] on
//! the curve stored in the artifact, which is exactly what `GET
//! /v1/thresholds?strategy=fixed&value=T` answers. The script only looks
//! them up. Like the reports, the page is self-contained (inline CSS, SVG
//! and a few lines of script; no network, no font file) and escapes every
//! string that comes from data.

use std::fmt::Write as _;

use leadscore_core::compare::{Comparison, MODEL, RULES};
use leadscore_core::evidence::{odds_text, signals, Signal, MIN_LEADS};
use leadscore_core::rules::RuleSet;
use leadscore_core::Artifact;

use crate::monitor::{live_section, Live, LIVE_CSS};
use crate::plot::escape;
use crate::report::{
    auc_words, calibration_figure, count, fixed, gains_figure, interval, opt, pair_maps, pct, roc_figure, score_bins,
    score_figure, share, strategy_label, Figure,
};

/// Slider step (probability).
const STEP: f64 = 0.001;
/// Factors listed each way in "what predicts conversion".
const FACTORS: usize = 6;

const CSS: &str = "
:root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;--blue:#2563eb;--orange:#ea580c;--green:#059669;--red:#dc2626}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:20px 20px 48px}
h1{font-size:25px;margin:0 0 2px}
h1 .ver{color:var(--muted);font-weight:500}
h2{font-size:19px;margin:28px 0 10px}
h3{font-size:15px;margin:0 0 8px}
p.sub{margin:0 0 14px;color:var(--muted)}
a{color:var(--blue)}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em;background:#f1f5f9;padding:0 3px;border-radius:3px}
.verdict{font-size:17px;margin:6px 0 14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.k{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.card .v{font-size:26px;font-weight:650;line-height:1.2;margin:2px 0}
.card .ci{font-size:13px}
.h{font-size:13px;color:var(--muted);margin-top:4px}
.factors{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.factors ul{margin:0;padding:0;list-style:none}
.factors li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:10px;padding:4px 0;border-bottom:1px solid var(--line)}
.factors li span.x{font-variant-numeric:tabular-nums;white-space:nowrap;font-weight:600}
.factors li span.ev{flex-basis:100%;font-size:12px;color:var(--muted)}
.up .x{color:var(--green)}
.down .x{color:var(--red)}
.slider{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px}
.slider .row{display:flex;align-items:center;gap:14px;flex-wrap:wrap}
.slider input[type=range]{flex:1;min-width:260px;accent-color:var(--blue)}
.slider output{font-size:22px;font-weight:650;font-variant-numeric:tabular-nums;min-width:70px}
.presets{margin-top:8px;display:flex;gap:6px;flex-wrap:wrap}
.presets button{font:inherit;font-size:13px;border:1px solid var(--line);background:#f1f5f9;border-radius:14px;padding:2px 10px;cursor:pointer}
.presets button:hover{border-color:var(--blue)}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:12px;margin-top:12px}
.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 14px}
.panel.model{border-top:4px solid var(--blue)}
.panel.rules{border-top:4px solid var(--orange)}
.figs{display:grid;grid-template-columns:repeat(5,1fr);gap:8px}
.fig .v{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.25}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:16px}
figure{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px}
figure svg{display:block;width:100%;height:auto}
figcaption{font-size:13px;color:var(--muted);margin:6px 4px 2px}
footer{margin-top:32px;font-size:13px;color:var(--muted)}
";

/// The figures the slider shows at each step; the script below reads them by index.
const SCRIPT: &str = r#"
(function () {
  var grid = JSON.parse(document.getElementById('curve-data').textContent);
  var slider = document.getElementById('threshold');
  var out = document.getElementById('t-value');
  function pct(x) { return (x * 100).toFixed(1) + '%'; }
  function put(id, value, text) {
    var el = document.getElementById(id);
    el.setAttribute('data-value', String(value));
    el.textContent = text;
  }
  function show() {
    var k = Math.min(grid.length - 1, Math.max(0, Math.round(parseFloat(slider.value) * 1000)));
    var row = grid[k];
    out.value = row[0].toFixed(3);
    out.textContent = row[0].toFixed(3);
    out.setAttribute('data-value', String(row[0]));
    put('m-rate', row[2], pct(row[2]));
    put('m-count', row[1], row[1].toLocaleString('en-US'));
    put('m-precision', row[3], pct(row[3]));
    put('m-recall', row[4], pct(row[4]));
    put('m-lift', row[5], row[5].toFixed(2) + '\u00d7');
  }
  slider.addEventListener('input', show);
  var buttons = document.querySelectorAll('button[data-threshold]');
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener('click', function (e) {
      slider.value = e.currentTarget.getAttribute('data-threshold');
      show();
    });
  }
  var volume = document.getElementById('match-rules');
  if (volume) {
    volume.addEventListener('click', function () {
      var target = parseFloat(volume.getAttribute('data-rate'));
      var best = 0;
      for (var k = 0; k < grid.length; k++) {
        if (Math.abs(grid[k][2] - target) < Math.abs(grid[best][2] - target)) { best = k; }
      }
      slider.value = (best / 1000).toFixed(3);
      show();
    });
  }
  show();
})();
"#;

/// What the dashboard shows.
#[derive(Clone, Copy, Debug)]
pub struct Dashboard<'a> {
    /// The served model.
    pub artifact: &'a Artifact,
    /// Its name in the registry.
    pub name: &'a str,
    /// Its version folder.
    pub version: &'a str,
    /// The server's rules compiled for this model, when it has them.
    pub rules: Option<&'a RuleSet>,
    /// Why the server's rules do not fit this model, when they do not.
    pub rules_problem: Option<&'a str>,
    /// The latest comparison of the model with the rules, when one is known.
    pub comparison: Option<&'a Comparison>,
    /// What the prediction log says of this version.
    pub production: Production<'a>,
}

/// The "In production" section's state.
#[derive(Clone, Copy, Debug)]
pub enum Production<'a> {
    /// The server keeps no prediction log (`--no-log`).
    NotLogging,
    /// The log could not be read, and nothing was computed from it before (why).
    Unreadable(&'a str),
    /// The monitor's figures, and when they were computed, in words (`as of 2026-12-06 10:04 UTC`).
    Live {
        /// The figures.
        live: Live<'a>,
        /// When they were computed, and any problem reading the log since (HTML-escaped by the page).
        as_of: &'a str,
    },
}

/// The slider's figures: `[threshold, MQLs, MQL rate, precision, recall, lift]` at
/// `k * 0.001` for `k = 0..=top`, from the stored held-out curve.
pub fn slider_grid(artifact: &Artifact) -> Vec<[f64; 6]> {
    let (_, hi) = score_bins(&artifact.curve);
    let top = (hi / STEP).ceil() as usize;
    (0..=top)
        .map(|k| {
            let t = k as f64 / 1000.0;
            let p = artifact.curve.at(t);
            [t, p.mql_count as f64, p.mql_rate, p.precision, p.recall, p.lift]
        })
        .collect()
}

/// The dashboard page.
pub fn dashboard_html(d: &Dashboard<'_>) -> String {
    let mut out = String::with_capacity(128 * 1024);
    let a = d.artifact;
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{} {} · leadscore dashboard</title>\n<style>{CSS}{LIVE_CSS}</style>\n</head>\n<body>\n<main>\n",
        escape(d.name),
        escape(d.version)
    );
    header(&mut out, d);
    plain_words(&mut out, a);
    slider(&mut out, d);
    production(&mut out, d);
    charts(&mut out, d);
    let _ = write!(
        out,
        "<footer>leadscore {} · model <code>{}</code> {} · the model's figures are on its held-out leads; \
         this page loads nothing from the network and shows no lead. \
         API: <a href=\"/openapi.json\">/openapi.json</a>, <a href=\"/v1/models/{}\">model card</a>.</footer>\n\
         </main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(&a.training.leadscore_version),
        escape(d.name),
        escape(d.version),
        escape(d.name)
    );
    out
}

fn header(out: &mut String, d: &Dashboard<'_>) {
    let target = &d.artifact.spec.target;
    let positive: Vec<String> = target.positive.iter().map(|v| format!("<code>{}</code>", escape(v))).collect();
    let _ = write!(
        out,
        "<header>\n<h1>Lead scoring: <code>{}</code> <span class=\"ver\">{}</span></h1>\n\
         <p class=\"sub\">The chance that a lead is won (column <code>{}</code> = {}), learned from {} closed leads.</p>\n</header>\n",
        escape(d.name),
        escape(d.version),
        escape(&target.column),
        if positive.is_empty() { "n/a".to_owned() } else { positive.join(" or ") },
        count(d.artifact.training.n_rows)
    );
}

fn card(out: &mut String, key: &str, value: &str, ci: &str, hint: &str) {
    let _ = write!(out, "<div class=\"card\"><div class=\"k\">{key}</div><div class=\"v\">{value}</div>");
    if !ci.is_empty() {
        let _ = write!(out, "<div class=\"ci\">{ci}</div>");
    }
    let _ = writeln!(out, "<div class=\"h\">{hint}</div></div>");
}

fn plain_words(out: &mut String, a: &Artifact) {
    let h = &a.holdout;
    let base = share(h.n_positives, h.n_rows);
    out.push_str("<section id=\"card\">\n<h2>Is the model any good?</h2>\n");
    let mut verdict = match h.auc {
        Some(auc) => format!(
            "On {} leads it never saw in training, the model ranks won above lost leads {}.",
            count(h.n_rows),
            auc_words(auc)
        ),
        None => "The held-out leads have only one outcome, so ranking quality cannot be measured.".to_owned(),
    };
    if let Some(lift) = h.lift_top_decile.filter(|l| l.is_finite()) {
        let _ = write!(
            verdict,
            " The 10% it scores highest are won {lift:.1} times as often as the average lead ({} are won).",
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
    card(
        out,
        "Lift in the top 10%",
        &h.lift_top_decile.map_or_else(|| "n/a".to_owned(), |l| format!("{}×", fixed(l, 2))),
        &interval(h.lift_ci.as_ref(), 2, "×"),
        "How many times more often the top-scored 10% are won than leads picked at random.",
    );
    card(
        out,
        "Held-out leads",
        &count(h.n_rows),
        &format!("{} won ({})", count(h.n_positives), pct(base)),
        "Kept aside when training: every figure on this page is measured on them.",
    );
    card(
        out,
        "Features",
        &a.encoder.features.len().to_string(),
        "",
        "Columns of your data the model reads; everything else in a lead is ignored.",
    );
    out.push_str("</div>\n</section>\n");

    let rows = signals(a);
    let item = |s: &&Signal| {
        let evidence = describe(s);
        format!(
            "<li data-leads=\"{}\" data-clear=\"{}\"><span>{}</span><span class=\"x\">odds ×{}</span>{}</li>",
            s.leads.map_or_else(String::new, |n| n.to_string()),
            s.clear.map_or("", |c| if c { "true" } else { "false" }),
            escape(&s.column),
            fixed(s.odds_ratio, 2),
            if evidence.is_empty() {
                String::new()
            } else {
                format!("<span class=\"ev\">{}</span>", escape(&evidence))
            }
        )
    };
    let listed: Vec<&Signal> = rows.iter().filter(|s| s.listable()).collect();
    let up: Vec<String> = listed.iter().filter(|s| s.coefficient > 0.0).take(FACTORS).map(item).collect();
    let down: Vec<String> = listed.iter().filter(|s| s.coefficient < 0.0).take(FACTORS).map(item).collect();
    let left_out = rows.len() - listed.len();
    let _ = write!(
        out,
        "<section id=\"factors\">\n<h2>What predicts conversion</h2>\n\
         <p class=\"sub\">The model's strongest signals: how much each multiplies a lead's odds of winning \
         (for a category against the average lead; for a number per standard deviation), with its 95% interval and \
         the training leads that carry it. Ranked by the smallest effect the interval allows, so a term seen on a \
         handful of leads cannot top the list on luck{}.</p>\n\
         <div class=\"factors\">\n<div class=\"card up\"><h3>Raise the chance</h3><ul>{}</ul></div>\n\
         <div class=\"card down\"><h3>Lower the chance</h3><ul>{}</ul></div>\n</div>\n</section>\n",
        if left_out > 0 {
            format!(
                "; {left_out} term{} carried by fewer than {MIN_LEADS} training leads, whose interval includes no effect, {} left out",
                if left_out == 1 { "" } else { "s" },
                if left_out == 1 { "is" } else { "are" }
            )
        } else {
            String::new()
        },
        if up.is_empty() { "<li>none</li>".to_owned() } else { up.concat() },
        if down.is_empty() { "<li>none</li>".to_owned() } else { down.concat() }
    );
    let maps = pair_maps(a);
    if !maps.is_empty() {
        out.push_str(
            "<section id=\"pairs\">\n<h2>Features that work together</h2>\n<p class=\"sub\">Where two features together \
             say more than each alone, the model adds a weight for each combination of their values.</p>\n<div class=\"charts\">\n",
        );
        for map in &maps {
            let _ = writeln!(out, "<figure>{}<figcaption>{}</figcaption></figure>", map.svg, map.caption);
        }
        out.push_str("</div>\n</section>\n");
    }
}

/// A plain text of a signal's evidence: "95% interval x1.41-x2.05, 2,940 leads".
fn describe(signal: &Signal) -> String {
    let mut parts = Vec::new();
    if let Some((low, high)) = signal.odds_interval {
        parts.push(format!("95% interval x{}-x{}", odds_text(low), odds_text(high)));
    }
    if let Some(n) = signal.leads {
        parts.push(format!("{} leads", count(n)));
    }
    parts.join(", ")
}

fn fig(out: &mut String, key: &str, id: &str, hint: &str) {
    let _ = write!(
        out,
        "<div class=\"fig\"><div class=\"k\">{key}</div><div class=\"v\" id=\"{id}\"></div><div class=\"h\">{hint}</div></div>"
    );
}

/// A figure known when the page is built (the rules'), with its value for tests.
fn fixed_fig(out: &mut String, key: &str, id: &str, value: Option<f64>, text: &str, hint: &str) {
    let data = value.filter(|v| v.is_finite()).map_or_else(String::new, |v| format!(" data-value=\"{v}\""));
    let _ = write!(
        out,
        "<div class=\"fig\"><div class=\"k\">{key}</div><div class=\"v\" id=\"{id}\"{data}>{text}</div><div class=\"h\">{hint}</div></div>"
    );
}

fn slider(out: &mut String, d: &Dashboard<'_>) {
    let a = d.artifact;
    let grid = slider_grid(a);
    let max = (grid.len().saturating_sub(1)) as f64 * STEP;
    let start = leadscore_core::threshold::default(a).threshold.clamp(0.0, max);
    let _ = write!(
        out,
        "<section id=\"mql\">\n<h2>Where to put the MQL threshold</h2>\n\
         <p class=\"sub\">A lead becomes an MQL when its probability of winning is at or above the threshold. \
         Move the slider: the figures are what this threshold gave on the {} held-out leads.</p>\n\
         <div class=\"slider\">\n<div class=\"row\"><label for=\"threshold\"><strong>Threshold</strong></label>\
         <input type=\"range\" id=\"threshold\" min=\"0\" max=\"{max:.3}\" step=\"0.001\" value=\"{start:.3}\">\
         <output id=\"t-value\" for=\"threshold\">{start:.3}</output></div>\n<div class=\"presets\">",
        count(a.curve.n_pos + a.curve.n_neg)
    );
    for s in a.thresholds.iter().filter(|s| s.threshold.is_finite()) {
        let t = (s.threshold / STEP).round() * STEP;
        let _ = write!(
            out,
            "<button type=\"button\" data-threshold=\"{:.3}\" title=\"{}\">{} · {:.3}</button>",
            t.clamp(0.0, max),
            escape(&s.explanation),
            escape(&strategy_label(&s.strategy)),
            s.threshold
        );
    }
    let rules_rate = d.comparison.and_then(|c| c.own_threshold.iter().find(|o| o.scorer == RULES)).map(|o| o.mql_rate);
    if let Some(rate) = rules_rate {
        let _ = write!(
            out,
            "<button type=\"button\" id=\"match-rules\" data-rate=\"{rate}\">Same MQL volume as the rules ({})</button>",
            pct(rate)
        );
    }
    out.push_str("</div>\n</div>\n<div class=\"panels\">\n<div class=\"panel model\"><h3>The model at this threshold</h3><div class=\"figs\">");
    fig(out, "MQL volume", "m-rate", "of all leads become MQLs");
    fig(out, "MQLs", "m-count", &format!("of {} held-out leads", count(a.curve.n_pos + a.curve.n_neg)));
    fig(out, "Precision", "m-precision", "of MQLs are won");
    fig(out, "Recall", "m-recall", "of all wins are MQLs");
    fig(out, "Lift", "m-lift", "times the won rate");
    out.push_str("</div></div>\n");
    rules_panel(out, d);
    out.push_str("</div>\n");
    let json = serde_json::to_string(&grid).unwrap_or_else(|_| "[]".to_owned());
    let _ = writeln!(out, "<script type=\"application/json\" id=\"curve-data\">{json}</script>\n</section>");
}

fn rules_panel(out: &mut String, d: &Dashboard<'_>) {
    out.push_str("<div class=\"panel rules\">");
    let Some(c) = d.comparison else {
        let text = match (d.rules, d.rules_problem) {
            (Some(set), _) => format!(
                "The rules <strong>{}</strong> (MQL at {} points) are loaded. Post labelled leads to \
                 <code>/v1/compare</code>, or start the server with <code>--compare DIR</code> (a \
                 <code>leadscore compare</code> output), to see their figures here.",
                escape(set.name.as_deref().unwrap_or("rules")),
                fixed(set.mql_threshold, 0)
            ),
            (None, Some(problem)) => {
                format!("The server's rules do not fit this model: {}", escape(problem.lines().next().unwrap_or("")))
            }
            (None, None) => "Start the server with <code>--rules FILE</code> and <code>--compare DIR</code> to hold \
                 marketing's points rules against the model here."
                .to_owned(),
        };
        let _ = writeln!(out, "<h3>Marketing's points rules</h3><p>{text}</p></div>");
        return;
    };
    let rules = c.own_threshold.iter().find(|o| o.scorer == RULES);
    let _ = write!(
        out,
        "<h3>The rules <em>{}</em> at their own threshold{}</h3><div class=\"figs\">",
        escape(&c.labels.rules),
        rules.map_or_else(String::new, |r| format!(" ({} points)", fixed(r.threshold, 0)))
    );
    let p = |x: Option<f64>| x.map_or_else(|| "n/a".to_owned(), pct);
    if let Some(r) = rules {
        fixed_fig(out, "MQL volume", "r-rate", Some(r.mql_rate), &pct(r.mql_rate), "of all leads become MQLs");
        fixed_fig(
            out,
            "MQLs",
            "r-count",
            Some(r.mql_count as f64),
            &count(r.mql_count),
            &format!("of {} compared leads", count(c.n_leads)),
        );
        fixed_fig(out, "Precision", "r-precision", r.precision, &p(r.precision), "of MQLs are won");
        fixed_fig(out, "Recall", "r-recall", r.recall, &p(r.recall), "of all wins are MQLs");
        let lift = r.lift.map_or_else(|| "n/a".to_owned(), |l| format!("{}×", fixed(l, 2)));
        fixed_fig(out, "Lift", "r-lift", r.lift, &lift, "times the won rate");
    }
    out.push_str("</div>");
    let model_same = c.equal_volume.iter().find(|e| e.volume_of == RULES && e.scorer == MODEL);
    if let Some(m) = model_same {
        let _ = write!(
            out,
            "<p class=\"h\">With the same number of MQLs ({}), the model's top leads have precision <strong>{}</strong> \
             and recall <strong>{}</strong>.",
            count(m.volume),
            p(m.precision),
            p(m.recall)
        );
    }
    let cell = &c.agreement;
    let _ = writeln!(
        out,
        " Leads only the model calls MQLs are won {}; leads only the rules call MQLs, {}. \
         Measured on {} ({} leads).</p></div>",
        p(cell.model_only.won_rate),
        p(cell.rules_only.won_rate),
        escape(&c.labels.data),
        count(c.n_leads)
    );
}

fn production(out: &mut String, d: &Dashboard<'_>) {
    out.push_str("<section id=\"production\">\n<h2>In production</h2>\n");
    match d.production {
        Production::NotLogging => out.push_str(
            "<p class=\"empty\" id=\"live-off\">This server keeps no prediction log (it was started with \
             <code>--no-log</code>), so there is nothing to show of the leads it scored. Start it without that flag \
             (the log is the SQLite file <code>leadscore-log.db</code>, or <code>--store FILE</code>, or \
             <code>--store postgres://...</code>) to see here how the model does on real leads.</p>\n",
        ),
        Production::Unreadable(reason) => {
            let _ = writeln!(
                out,
                "<p class=\"empty\" id=\"live-unreadable\">The prediction log cannot be read right now: {}. \
                 Scoring goes on; the figures appear here once the store answers again.</p>",
                escape(reason)
            );
        }
        Production::Live { live, as_of } => {
            let query = format!("model={}&version={}", url_component(d.name), url_component(d.version));
            let _ = writeln!(
                out,
                "<p class=\"sub\">How <code>{}</code> {} does on the leads this server logged, {}. The same figures \
                 as <a href=\"/v1/monitor?{}\">/v1/monitor</a> (JSON) and <code>leadscore monitor --html</code>.</p>",
                escape(d.name),
                escape(d.version),
                escape(as_of),
                escape(&query)
            );
            live_section(out, &live);
        }
    }
    out.push_str("</section>\n");
}

/// `text` as a URL query component (model names and versions are plain, but nothing is assumed).
fn url_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn charts(out: &mut String, d: &Dashboard<'_>) {
    let a = d.artifact;
    let figure = |out: &mut String, f: &Figure| {
        let _ = writeln!(out, "<figure>{}<figcaption>{}</figcaption></figure>", f.svg, f.caption);
    };
    out.push_str("<section id=\"charts\">\n<h2>How the model ranks the held-out leads</h2>\n<div class=\"charts\">\n");
    let mut drawn = 0;
    for f in [roc_figure(a), gains_figure(a), calibration_figure(a)].iter().flatten() {
        figure(out, f);
        drawn += 1;
    }
    if a.curve.n_pos > 0 && a.curve.n_neg > 0 && !a.curve.points.is_empty() {
        figure(out, &score_figure(&a.curve));
        drawn += 1;
    }
    if drawn == 0 {
        out.push_str("<p>The held-out leads have only one outcome, so no curve can be drawn.</p>\n");
    }
    out.push_str("</div>\n</section>\n");
    if let Some(c) = d.comparison {
        let _ = write!(
            out,
            "<section id=\"compare\">\n<h2>Model vs rules</h2>\n<p class=\"sub\">{} against <em>{}</em> on {}.</p>\n\
             <div class=\"charts\">\n",
            escape(&c.labels.model),
            escape(&c.labels.rules),
            escape(&c.labels.data)
        );
        figure(out, &crate::compare::roc_figure(c));
        figure(out, &crate::compare::gains_figure(c));
        out.push_str("</div>\n</section>\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Artifact {
        crate::testing::shipped().1
    }

    #[test]
    fn the_slider_grid_is_the_curve_at_each_step() {
        let a = shipped();
        let grid = slider_grid(&a);
        // Index k is the threshold k/1000, and every figure is `curve.at` there.
        for (k, row) in grid.iter().enumerate().step_by(37) {
            let p = a.curve.at(k as f64 / 1000.0);
            assert_eq!(row, &[k as f64 / 1000.0, p.mql_count as f64, p.mql_rate, p.precision, p.recall, p.lift]);
        }
        assert_eq!(grid[0][2], 1.0, "at 0 every lead is an MQL");
        assert_eq!(grid.last().map(|r| r[1]), Some(0.0), "above the top score none is");
    }

    /// Issue 13, item 6: on the shipped model, no term carried by fewer than 30 training leads
    /// is among the top signals unless its interval excludes no effect. `country = (other)`
    /// (12 training leads, odds x2.28, every country without effect in the generator) topped the
    /// list by weight alone; it must not appear, and every listed term shows its interval and leads.
    #[test]
    fn top_signals_are_backed_by_enough_leads_or_a_clear_interval() {
        let a = shipped();
        assert_eq!(a.evidence.len(), a.encoder.n_columns, "the shipped model records its evidence");
        let all = signals(&a);
        let rare =
            all.iter().find(|s| s.column == "country = (other)").expect("the shipped model has country = (other)");
        assert!(rare.leads.is_some_and(|n| n < MIN_LEADS) && rare.clear == Some(false), "{rare:?}");
        assert!(rare.odds_ratio > 2.0, "large by weight alone: {rare:?}");
        let html = dashboard_html(&Dashboard {
            artifact: &a,
            name: "leads",
            version: "v1",
            rules: None,
            rules_problem: None,
            comparison: None,
            production: Production::NotLogging,
        });
        let section = &html[html.find("id=\"factors\"").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let items: Vec<&str> = section.split("<li ").skip(1).collect();
        assert_eq!(items.len(), 2 * FACTORS, "six up and six down: {section}");
        for item in &items {
            let attr = |name: &str| {
                let start = item.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                item[start..].split('"').next().unwrap().to_owned()
            };
            let leads: u64 = attr("data-leads").parse().unwrap();
            assert!(leads >= MIN_LEADS || attr("data-clear") == "true", "{item}");
            assert!(item.contains("95% interval x") && item.contains(" leads"), "{item}");
        }
        assert!(!section.contains("country = (other)"), "{section}");
        assert!(section.contains("left out"), "says what was left out: {section}");
        // The first listed term raising the chance is the one whose interval allows the largest effect.
        let best_up = all
            .iter()
            .filter(|s| s.listable() && s.coefficient > 0.0)
            .max_by(|x, y| x.assured().total_cmp(&y.assured()));
        assert!(items[0].contains(&escape(&best_up.unwrap().column)), "{}", items[0]);
    }

    #[test]
    fn the_page_is_self_contained_and_escapes_data() {
        let mut a = shipped();
        a.spec.target.column = "<script>x</script>".into();
        let html = dashboard_html(&Dashboard {
            artifact: &a,
            name: "leads",
            version: "v1",
            rules: None,
            rules_problem: None,
            comparison: None,
            production: Production::NotLogging,
        });
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;") && !html.contains("<script>x"));
        assert_eq!(html.matches("<svg xmlns").count(), 4, "ROC, gains, calibration, scores");
        for id in ["id=\"threshold\"", "id=\"m-rate\"", "id=\"m-precision\"", "id=\"m-recall\"", "id=\"curve-data\""] {
            assert!(html.contains(id), "missing {id}");
        }
        // Nothing from the network: no script or image source, no style sheet, no font; the icon is
        // an empty data URL (else browsers ask for /favicon.ico).
        assert_eq!(html.matches("<link").count(), 1);
        assert!(html.contains("<link rel=\"icon\" href=\"data:,\">"));
        assert!(!html.contains("src=") && !html.contains("url(") && !html.contains("NaN"));
        assert!(html.contains("--rules FILE"), "says how to bring the rules in");
        assert!(html.contains("id=\"live-off\"") && html.contains("--no-log"), "says why nothing is in production");
    }

    #[test]
    fn in_production_shows_the_monitor_section_with_its_time() {
        let a = shipped();
        let report = leadscore_core::monitor::report(
            &a,
            &leadscore_core::monitor::LoggedLeads {
                probs: &[],
                tiers: &[],
                mql: &[],
                thresholds: &[],
                days: &[],
                outcomes: &[],
                fields: &[],
            },
            10,
            1,
        )
        .unwrap();
        let live = Live { report: &report, rules: None, rules_name: None, challengers: &[] };
        let page = |production| {
            dashboard_html(&Dashboard {
                artifact: &a,
                name: "leads <&>",
                version: "v1",
                rules: None,
                rules_problem: None,
                comparison: None,
                production,
            })
        };
        let html = page(Production::Live { live, as_of: "as of 2026-12-06 10:04 UTC" });
        let section = &html[html.find("<section id=\"production\">").unwrap()..];
        let section = &section[..section.find("</section>").unwrap()];
        let mut expected = String::new();
        live_section(&mut expected, &live);
        assert!(section.contains(&expected), "the dashboard shows the monitor's own section");
        assert!(section.contains("as of 2026-12-06 10:04 UTC") && section.contains("No lead logged yet"));
        assert!(section.contains("/v1/monitor?model=leads%20%3C%26%3E&amp;version=v1"), "{section}");
        // In production comes after the threshold and before the held-out charts.
        let at = |id: &str| html.find(&format!("<section id=\"{id}\">")).unwrap();
        assert!(at("mql") < at("production") && at("production") < at("charts"));

        let html = page(Production::Unreadable("database is locked <x>"));
        assert!(html.contains("id=\"live-unreadable\"") && html.contains("database is locked &lt;x&gt;"));
    }
}
