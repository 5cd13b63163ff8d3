//! `leadscore score`: CSV in, CSV out, streaming.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use leadscore_io::score_csv::{score_csv, ScoreOptions};

use super::{model_threshold, ModelArgs, ThresholdArgs};
use crate::progress::Ui;

/// Arguments of `leadscore score`.
#[derive(clap::Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// CSV of leads to score (`-` for stdin). Needs every feature column the model uses.
    #[arg(long)]
    pub data: PathBuf,
    /// Output CSV (default: stdout).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub threshold: ThresholdArgs,
    /// Number of top factor columns.
    #[arg(long, default_value_t = 3)]
    pub explain: usize,
    /// Scoring threads (default: one per core). The output is the same for any number.
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
}

/// Runs `leadscore score`.
pub fn run(args: ScoreArgs, ui: &Ui) -> anyhow::Result<()> {
    let (artifact, _, _) = args.model.load()?;
    let (threshold, _) = model_threshold(&artifact, &args.threshold)?;
    let options = ScoreOptions { threads: args.threads, ..ScoreOptions::new(threshold, args.explain) };
    let progress = ui.progress();
    let summary = match &args.out {
        Some(path) => {
            let tmp = path.with_extension("csv.tmp");
            let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            let result = score_csv(&artifact, &args.data, std::io::BufWriter::new(file), &options, &progress);
            match result {
                Ok(s) => {
                    std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
                    s
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&tmp);
                    return Err(e.into());
                }
            }
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            let s = score_csv(&artifact, &args.data, &mut lock, &options, &progress)?;
            lock.flush()?;
            s
        }
    };
    tracing::info!(leads = summary.n_rows, mql = summary.n_mql, threshold, "scored");
    Ok(())
}
