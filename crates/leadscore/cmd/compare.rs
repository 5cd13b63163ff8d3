//! `leadscore compare`: the model against marketing's points rules on labelled leads.

use std::path::PathBuf;

use anyhow::Context;
use leadscore_core::compare::{Comparison, MODEL, RULES};
use leadscore_core::rules::RuleSet;
use leadscore_html::compare::compare_html;
use leadscore_train::compare_csv::{compare_csv, CompareNames, CompareOptions};

use super::{model_threshold, opt, version_of, ModelArgs, ThresholdArgs};
use crate::progress::Ui;

/// Arguments of `leadscore compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The points rules (TOML, see `leadscore rules check`).
    #[arg(long)]
    pub rules: PathBuf,
    /// Labelled CSV: the model's target column, its features and the rules' fields.
    #[arg(long)]
    pub data: PathBuf,
    /// Folder for compare.json and compare.html (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Print the comparison as JSON on stdout (the same as compare.json).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub threshold: ThresholdArgs,
    /// Only the leads the model was held out on (needs the model's training file).
    #[arg(long)]
    pub holdout: bool,
    /// Disagreements listed each way.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Points that double the odds in the model's points version (see `leadscore export-points`).
    #[arg(long, default_value_t = 100.0)]
    pub points_scale: f64,
}

/// Runs `leadscore compare`.
pub fn run(args: CompareArgs, ui: &Ui) -> anyhow::Result<()> {
    let (artifact, path, _) = args.model.load()?;
    let (threshold, threshold_name) = model_threshold(&artifact, &args.threshold)?;
    let text = std::fs::read_to_string(&args.rules).with_context(|| format!("reading {}", args.rules.display()))?;
    let rules = RuleSet::from_toml_str(&text, &artifact.spec)
        .with_context(|| format!("{} (checked against the model's spec)", args.rules.display()))?;
    let names = CompareNames {
        model: format!("{} {}", artifact.name, version_of(&path)),
        rules: rules.name.clone().unwrap_or_else(|| {
            args.rules.file_stem().map_or_else(|| "rules".into(), |s| s.to_string_lossy().into_owned())
        }),
    };
    let options = CompareOptions {
        model_threshold: threshold,
        model_threshold_name: threshold_name,
        top: args.top,
        factors: 3,
        holdout_only: args.holdout,
        points_scale: Some(args.points_scale),
    };
    let progress = ui.progress();
    let comparison = compare_csv(&artifact, &rules, &names, &args.data, &options, &progress)?;
    let json = serde_json::to_string_pretty(&comparison)?;
    std::fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    super::write_output(Some(&args.out.join("compare.json")), &format!("{json}\n"))?;
    super::write_output(Some(&args.out.join("compare.html")), &compare_html(&comparison))?;
    if args.json {
        return super::emit(&format!("{json}\n"));
    }
    super::emit(&summary(&comparison, &args.out))
}

fn summary(c: &Comparison, out_dir: &std::path::Path) -> String {
    let mut out = String::new();
    let pct = |x: Option<f64>| x.map_or_else(|| "n/a".into(), |v| format!("{:.1}%", 100.0 * v));
    outln!(out, "{} vs {} on {}", c.labels.model, c.labels.rules, c.labels.data);
    outln!(out, "  {} leads, {} won ({})", c.n_leads, c.n_won, pct(Some(c.won_rate)));
    outln!(out, "  {:<15} {:>7} {:>7} {:>9}", "", "AUC", "AP", "log loss");
    for s in &c.scorers {
        outln!(
            out,
            "  {:<15} {:>7} {:>7} {:>9}",
            s.scorer,
            opt(s.auc, 4),
            opt(s.average_precision, 4),
            s.log_loss.map_or_else(|| "n/a".into(), |v| format!("{v:.4}"))
        );
    }
    if let Some(cost) = c.points_version_auc_cost {
        outln!(out, "  rounding the model to points costs {cost:.4} AUC");
    }
    outln!(out, "  at each one's own MQL threshold:");
    for o in &c.own_threshold {
        let t =
            if o.scorer == MODEL { format!("p >= {:.4}", o.threshold) } else { format!(">= {} points", o.threshold) };
        outln!(
            out,
            "    {:<15} {:<18} MQL {:>6}  precision {:>6}  recall {:>6}  lift {}",
            o.scorer,
            t,
            o.mql_count,
            pct(o.precision),
            pct(o.recall),
            opt(o.lift, 2)
        );
    }
    outln!(out, "  at equal MQL volume:");
    for e in &c.equal_volume {
        outln!(
            out,
            "    {:<6} volume {:>6}: {:<15} won {:>8.1}  precision {:>6}  recall {:>6}{}",
            e.volume_of,
            e.volume,
            e.scorer,
            e.won,
            pct(e.precision),
            pct(e.recall),
            if e.note.is_empty() {
                String::new()
            } else {
                format!("  ({} of {} tied at the cut)", e.taken_from_tie, e.tied_at_cut)
            }
        );
    }
    let a = &c.agreement;
    let cell = |x: &leadscore_core::compare::Cell| format!("{:>6} leads, {:>6} won", x.leads, pct(x.won_rate));
    outln!(out, "  agreement:            {:<28} model not MQL", "model MQL");
    outln!(out, "    rules MQL           {:<28} {}", cell(&a.both), cell(&a.rules_only));
    outln!(out, "    rules not MQL       {:<28} {}", cell(&a.model_only), cell(&a.neither));
    for m in &c.matching {
        if let Some(t) = m.threshold {
            let other = if m.scorer == MODEL { RULES } else { MODEL };
            outln!(
                out,
                "  {} threshold for the {} volume ({}): {} ({} MQLs)",
                m.scorer,
                if other == MODEL { "model's" } else { "rules'" },
                m.target_volume,
                if m.scorer == MODEL { format!("p >= {t:.4}") } else { format!("{} points", round2(t)) },
                m.volume
            );
        }
    }
    outln!(out, "  wrote {} and {}", out_dir.join("compare.json").display(), out_dir.join("compare.html").display());
    out
}

/// Points as printed: at most two decimals (decay makes fractions).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}
