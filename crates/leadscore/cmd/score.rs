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
    /// Scoring threads (default: one per core, at most 256). The output is the same for any number.
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    pub threads: usize,
    /// Stop at the first row that cannot be scored (exit 2, no output file), and refuse columns
    /// the model's spec does not name. Without it, such a row gets an `error` cell and the run goes on.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `leadscore score`.
pub fn run(args: ScoreArgs, ui: &Ui) -> anyhow::Result<()> {
    let (artifact, _, _) = args.model.load()?;
    let (threshold, _) = model_threshold(&artifact, &args.threshold)?;
    let options =
        ScoreOptions { threads: args.threads, strict: args.strict, ..ScoreOptions::new(threshold, args.explain) };
    // Sizes first: a bad --threads is refused before the model's file is read or a file created.
    options.check()?;
    let progress = ui.progress();
    let summary = match &args.out {
        Some(path) => {
            // A temporary file beside the output, removed when dropped (an error, a panic's
            // unwinding): the output appears whole or not at all, and nothing is left behind.
            let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            let mut builder = tempfile::Builder::new();
            #[cfg(unix)]
            {
                // As `File::create` would make it (the umask applies), not tempfile's owner-only 0600.
                use std::os::unix::fs::PermissionsExt;
                builder.permissions(std::fs::Permissions::from_mode(0o666));
            }
            let tmp = builder
                .prefix(".leadscore-score-")
                .suffix(".csv.tmp")
                .tempfile_in(dir)
                .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
            let summary =
                score_csv(&artifact, &args.data, std::io::BufWriter::new(tmp.as_file()), &options, &progress)?;
            tmp.persist(path).with_context(|| format!("renaming into {}", path.display()))?;
            summary
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            let s = score_csv(&artifact, &args.data, &mut lock, &options, &progress)?;
            lock.flush()?;
            s
        }
    };
    tracing::info!(leads = summary.n_rows, mql = summary.n_mql, failed = summary.n_failed, threshold, "scored");
    if summary.n_failed > 0 {
        eprintln!(
            "warning: {} of {} rows could not be scored; their `error` cells say why (--strict stops at the first)",
            summary.n_failed,
            summary.n_failed + summary.n_rows
        );
    }
    Ok(())
}
