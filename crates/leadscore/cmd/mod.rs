//! One module per subcommand: its arguments (the help text is the documentation) and its `run`.
/// `writeln!` into a `String` (cannot fail), so a command prints its output in one place, [`emit`].
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

pub mod challenger;
pub mod compare;
pub mod evaluate;
pub mod export_points;
pub mod export_sql;
pub mod export_training;
pub mod forget;
pub mod history;
pub mod inspect;
pub mod monitor;
pub mod outcomes;
pub mod promote;
pub mod promotion;
pub mod prune;
pub mod retrain;
pub mod rules;
pub mod score;
pub mod serve;
pub mod spec;
pub mod store;
pub mod synth;
pub mod train;

use std::path::{Path, PathBuf};

use anyhow::Context;
use leadscore_core::Artifact;
use leadscore_train::registry::Registry;

/// `--model` and `--models`, shared by the commands that read a trained model.
#[derive(clap::Args, Debug, Clone)]
pub struct ModelArgs {
    /// A model: a registered name (`leads`, `leads@v2`), a model folder, a version folder or a model.bin file.
    /// Default: the registry's only model.
    #[arg(long, short)]
    pub model: Option<String>,
    /// The model registry written by `leadscore train`.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
}

impl ModelArgs {
    /// Loads the model and returns it with its path and bytes.
    pub fn load(&self) -> anyhow::Result<(Artifact, PathBuf, Vec<u8>)> {
        let path = Registry::new(&self.models).resolve(self.model.as_deref())?;
        let (artifact, bytes) = Registry::load(&path)?;
        Ok((artifact, path, bytes))
    }
}

/// Writes `text` to `out`, or stdout when `out` is None, atomically for files.
pub fn write_output(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            }
            Ok(leadscore_train::registry::write_atomic(path, text.as_bytes())?)
        }
        None => emit(text),
    }
}

/// The version folder name of a model path (`.../leads/v3/model.bin` → `v3`).
pub fn version_of(path: &Path) -> String {
    path.parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unversioned".into())
}

/// Formats an optional figure.
pub fn opt(x: Option<f64>, digits: usize) -> String {
    x.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

/// Writes a command's output to stdout. A closed pipe (`leadscore inspect | head`) is
/// not an error: the reader has what it wanted.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// One suggested threshold as the commands print it.
pub fn threshold_row(strategy: &str, threshold: f64, mql_rate: f64, precision: f64, recall: f64, lift: f64) -> String {
    format!(
        "{strategy:<16} {threshold:.4}  MQL {:>5.1}%  precision {:>5.1}%  recall {:>5.1}%  lift {lift:.2}",
        100.0 * mql_rate,
        100.0 * precision,
        100.0 * recall
    )
}

/// Which model threshold makes a lead an MQL, shared by `score`, `compare` and `export-points`.
#[derive(clap::Args, Debug, Clone)]
pub struct ThresholdArgs {
    /// The model's MQL threshold as a probability; default: the model's first suggestion (max_f1).
    #[arg(long, conflicts_with = "strategy")]
    pub threshold: Option<f64>,
    /// The model's MQL threshold by a suggestion stored in the model (max_f1, youden, capacity, precision, recall).
    #[arg(long)]
    pub strategy: Option<String>,
}

/// The model threshold and its name: given, a stored suggestion by name, or the default (the core's
/// `threshold` module decides, for every command and the server alike).
pub fn model_threshold(artifact: &Artifact, args: &ThresholdArgs) -> anyhow::Result<(f64, String)> {
    let choice = match args.threshold {
        Some(p) => leadscore_core::threshold::ThresholdChoice::Probability(p),
        None => leadscore_core::threshold::ThresholdChoice::Strategy(args.strategy.clone()),
    };
    let chosen = choice.resolve(artifact).map_err(|e| match args.threshold {
        Some(_) => anyhow::anyhow!("--threshold: {e}"),
        None => anyhow::anyhow!("--strategy: {e}"),
    })?;
    Ok((chosen.threshold, chosen.strategy))
}

/// A bootstrap interval as ` [low, high]`, or nothing.
pub fn interval(ci: Option<leadscore_core::report::Interval>) -> String {
    ci.map_or_else(String::new, |c| format!(" [{:.3}, {:.3}]", c.low, c.high))
}
