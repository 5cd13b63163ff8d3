//! `leadscore export-sql`: the model as one SQL query, to score leads inside a warehouse or Spark.

use std::path::PathBuf;

use leadscore_core::Artifact;
use leadscore_sql::{export_sql, Dialect, ExportOptions, Provenance, ThresholdChoice};

use super::ModelArgs;

/// Arguments of `leadscore export-sql`.
#[derive(clap::Args, Debug)]
pub struct ExportSqlArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// The engine: postgres, spark, duckdb, bigquery or snowflake.
    #[arg(long)]
    pub dialect: Dialect,
    /// The table (or view) holding the leads, optionally qualified (`crm.public.leads`).
    #[arg(long, default_value = "leads")]
    pub table: String,
    /// The column that identifies a lead (default: the spec's first id column).
    #[arg(long)]
    pub id: Option<String>,
    /// Print `CREATE OR REPLACE VIEW NAME AS ...` instead of a bare SELECT.
    #[arg(long, value_name = "NAME")]
    pub view: Option<String>,
    /// MQL threshold by a suggested strategy stored in the model (max_f1, youden, capacity, precision,
    /// recall); default: max_f1, as `leadscore score`.
    #[arg(long, value_name = "STRATEGY")]
    pub threshold_strategy: Option<String>,
    /// MQL threshold as a probability.
    #[arg(long, conflicts_with = "threshold_strategy")]
    pub threshold: Option<f64>,
    /// Add a `top_feature` column: the feature contributing most to the lead's score.
    #[arg(long)]
    pub top_feature: bool,
    /// Write the query here instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Runs `leadscore export-sql`.
pub fn run(args: ExportSqlArgs) -> anyhow::Result<()> {
    let (artifact, path, bytes) = args.model.load()?;
    let provenance = Provenance {
        name: artifact.name.clone(),
        version: super::version_of(&path),
        checksum: Artifact::checksum(&bytes),
    };
    let threshold = match args.threshold {
        Some(p) => ThresholdChoice::Probability(p),
        None => ThresholdChoice::Strategy(args.threshold_strategy.clone()),
    };
    let options = ExportOptions {
        dialect: args.dialect,
        table: args.table,
        id: args.id,
        view: args.view,
        threshold,
        top_feature: args.top_feature,
    };
    let sql = export_sql(&artifact, &provenance, &options)?;
    super::write_output(args.out.as_deref(), &sql)
}
