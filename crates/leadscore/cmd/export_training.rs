//! `leadscore export-training`: the next training set from the log, point in time.

use std::path::PathBuf;

use anyhow::Context;
use leadscore_store::Filter;

use super::store::{PeriodArgs, StoreArgs};
use super::ModelArgs;

/// Arguments of `leadscore export-training`.
#[derive(clap::Args, Debug)]
pub struct ExportTrainingArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The model whose logged leads to export (every version); its spec names the columns.
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// The CSV to write (written whole or not at all).
    #[arg(long)]
    pub out: PathBuf,
    /// Also write the model's spec here, for `leadscore train --data OUT --spec SPEC_OUT`.
    #[arg(long)]
    pub spec_out: Option<PathBuf>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `leadscore export-training`.
pub fn run(args: ExportTrainingArgs) -> anyhow::Result<()> {
    let (artifact, _, _) = args.model.load()?;
    let (since_ms, until_ms) = args.period.bounds()?;
    let filter = Filter::served(&artifact.name, None, since_ms, until_ms);
    let mut store = args.store.open()?;
    let rows = leadscore_store::read::rows_in_pages(store.as_mut(), &filter, None)?.rows;
    let summary = leadscore_store::export::export_training_file(&artifact.spec, &rows, &args.out)?;
    if let Some(path) = &args.spec_out {
        let text = artifact.spec.to_toml_string()?;
        leadscore_train::registry::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let mut out = String::new();
    if args.json {
        outln!(out, "{}", serde_json::to_string_pretty(&summary)?);
    } else {
        outln!(
            out,
            "{}: {} leads with outcomes ({} won) from {} ({}), as logged when scored",
            args.out.display(),
            summary.rows,
            summary.won,
            store.location(),
            args.period.describe()
        );
        if summary.without_fields > 0 {
            outln!(out, "  {} leads left out: logged without fields (--log-fields none)", summary.without_fields);
        }
        if summary.scored_after_outcome > 0 {
            outln!(out, "  {} leads left out: scored only after their outcome", summary.scored_after_outcome);
        }
    }
    super::emit(&out)
}
