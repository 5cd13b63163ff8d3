//! `leadscore export-points`: the model as a points table marketers can type into their tool.

use std::path::PathBuf;

use leadscore_core::points::PointsTable;

use super::{model_threshold, ThresholdArgs};
use super::{version_of, ModelArgs};

/// Arguments of `leadscore export-points`.
#[derive(clap::Args, Debug)]
pub struct ExportPointsArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Points that double the odds of winning (credit scorecards use 20; larger means finer points).
    #[arg(long, default_value_t = 100.0)]
    pub scale: f64,
    /// `toml`: leadscore's rules format (for `leadscore compare`); `csv`: field, condition, points.
    #[arg(long, default_value = "toml", value_parser = ["toml", "csv"])]
    pub format: String,
    /// Output file (default: stdout).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub threshold: ThresholdArgs,
}

/// Runs `leadscore export-points`.
pub fn run(args: ExportPointsArgs) -> anyhow::Result<()> {
    let (artifact, path, _) = args.model.load()?;
    let (threshold, name) = model_threshold(&artifact, &args.threshold)?;
    let table = PointsTable::from_model(&artifact, args.scale, threshold, &name)?;
    let text = if args.format == "csv" { table.to_csv() } else { table.to_rules_toml() };
    super::write_output(args.out.as_deref(), &text)?;
    tracing::info!(
        model = %artifact.name,
        version = %version_of(&path),
        rows = table.entries.len(),
        mql_points = table.mql_threshold,
        "points table written"
    );
    Ok(())
}
