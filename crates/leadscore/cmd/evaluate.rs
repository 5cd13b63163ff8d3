//! `leadscore evaluate`: a model's metrics on any labelled CSV (e.g. last quarter's closed deals).

use std::path::PathBuf;

use leadscore_core::curve::OperatingCurve;
use leadscore_io::csv_source::read_table;
use leadscore_train::design::design_matrix;
use leadscore_train::evaluate::{default_replicates, evaluate};
use leadscore_train::fit::predict;
use serde::Serialize;

use super::{opt, version_of, ModelArgs};
use crate::progress::Ui;

/// Arguments of `leadscore evaluate`.
#[derive(clap::Args, Debug)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Labelled CSV with the model's target column and features.
    #[arg(long)]
    pub data: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Output<'a> {
    model: &'a str,
    version: String,
    data: String,
    evaluation: leadscore_core::report::Evaluation,
    thresholds: Vec<leadscore_core::curve::OperatingPoint>,
}

/// Runs `leadscore evaluate`.
pub fn run(args: EvaluateArgs, ui: &Ui) -> anyhow::Result<()> {
    let mut out = String::new();
    let (artifact, path, _) = args.model.load()?;
    let mut spec = artifact.spec.clone();
    // Only what the model uses: a dropped feature or the time column need not be in the file.
    spec.features.retain(|name, _| artifact.encoder.features.iter().any(|f| &f.name == name));
    spec.time_column = None;
    let progress = ui.progress();
    let table = read_table(&args.data, &spec, &progress)?;
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    let x = design_matrix(&artifact.encoder, &table, &rows)?;
    let probs = predict(&artifact.model, x.view());
    let evaluation = evaluate(&probs, &table.target, default_replicates(probs.len()), artifact.training.seed);
    let curve = OperatingCurve::from_predictions(&probs, &table.target);
    let thresholds = artifact.thresholds.iter().map(|s| curve.at(s.threshold)).collect::<Vec<_>>();
    if args.json {
        let summary = Output {
            model: &artifact.name,
            version: version_of(&path),
            data: args.data.display().to_string(),
            evaluation,
            thresholds,
        };
        outln!(out, "{}", serde_json::to_string_pretty(&summary)?);
        return super::emit(&out);
    }
    let e = &evaluation;
    outln!(
        out,
        "{} {} on {} ({} leads, {} won)",
        artifact.name,
        version_of(&path),
        args.data.display(),
        e.n_rows,
        e.n_positives
    );
    let ci = super::interval(e.auc_ci);
    outln!(
        out,
        "  AUC {}{}  log loss {:.4}  Brier {:.4}  lift@10% {}",
        opt(e.auc, 4),
        ci,
        e.log_loss,
        e.brier,
        opt(e.lift_top_decile, 2)
    );
    outln!(out, "  at the model's suggested thresholds:");
    for (s, p) in artifact.thresholds.iter().zip(&thresholds) {
        outln!(
            out,
            "    {}",
            super::threshold_row(&s.strategy, p.threshold, p.mql_rate, p.precision, p.recall, p.lift)
        );
    }
    outln!(out, "  calibration (predicted vs observed won rate):");
    for b in &e.calibration {
        outln!(
            out,
            "    [{:.1}, {:.1})  n {:>6}  predicted {:.3}  observed {:.3}",
            b.lower,
            b.upper,
            b.n,
            b.mean_predicted,
            b.observed_rate
        );
    }
    super::emit(&out)
}
