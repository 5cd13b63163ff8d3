//! `leadscore history`: every change of a model's `CURRENT` and `CHALLENGER`, oldest first:
//! when, from, to, by which command, and the gate's figures and verdict.

use std::path::PathBuf;

use leadscore_train::registry::{Alias, HistoryEntry, Registry};

/// Arguments of `leadscore history`.
#[derive(clap::Args, Debug)]
pub struct HistoryArgs {
    /// The registered model.
    #[arg(long)]
    pub model: String,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// One JSON object per change (the history file's own lines, unreadable ones left out).
    #[arg(long)]
    pub json: bool,
}

fn line(out: &mut String, e: &HistoryEntry) {
    let alias = match e.alias {
        Alias::Current => "CURRENT",
        Alias::Challenger => "CHALLENGER",
    };
    let (from, to) = (e.from.as_deref().unwrap_or("-"), e.to.as_deref().unwrap_or("-"));
    if e.refused {
        outln!(
            out,
            "{}  {alias:<10} {from} kept; {} refused  ({})",
            e.at,
            e.candidate.as_deref().unwrap_or("?"),
            e.command
        );
    } else {
        outln!(out, "{}  {alias:<10} {from} -> {to}  ({})", e.at, e.command);
    }
    if let Some(g) = &e.gate {
        let c = &g.comparison;
        let f = |v: Option<f64>| v.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"));
        let interval = c.auc.interval.map_or_else(String::new, |i| format!(" [{:+.4}, {:+.4}]", i.low, i.high));
        outln!(
            out,
            "    gate {}{} against {}{}: AUC {} -> {} ({}{interval}), log loss {} -> {}, {} leads",
            if g.passed { "passed" } else { "refused" },
            if g.forced { " (promoted anyway)" } else { "" },
            g.against,
            if g.stale { " (stale: current past the age limit)" } else { "" },
            f(c.auc.a),
            f(c.auc.b),
            c.auc.difference.map_or_else(|| "n/a".into(), |d| format!("{d:+.4}")),
            f(c.log_loss.a),
            f(c.log_loss.b),
            c.n_leads
        );
    }
}

/// Runs `leadscore history`.
pub fn run(args: HistoryArgs) -> anyhow::Result<()> {
    let registry = Registry::new(&args.models);
    let history = registry.history(&args.model)?;
    let mut out = String::new();
    if args.json {
        for e in &history.entries {
            outln!(out, "{}", serde_json::to_string(e)?);
        }
    } else {
        if history.entries.is_empty() {
            outln!(out, "no recorded change of `{}` (the history starts with the first change made by this version of leadscore)", args.model);
        }
        for e in &history.entries {
            line(&mut out, e);
        }
        outln!(
            out,
            "current: {}; challenger: {}",
            registry.alias(&args.model, Alias::Current)?.as_deref().unwrap_or("none"),
            registry.challenger(&args.model)?.as_deref().unwrap_or("none")
        );
    }
    for (line, reason) in &history.skipped {
        eprintln!("warning: history line {line} cannot be read (left out): {reason}");
    }
    super::emit(&out)
}
