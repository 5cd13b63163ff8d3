//! `leadscore spec infer`: draft a spec from the data for a person to review.

use std::path::PathBuf;

use leadscore_io::csv_source::CsvFile;
use leadscore_train::infer::{infer, InferOptions};

/// Spec subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum SpecCommand {
    /// Infer a spec (types, ids, exclusions with reasons) from a CSV.
    Infer(InferArgs),
}

/// Column choices shared by `spec infer` and `train`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ColumnArgs {
    /// The outcome column (e.g. `Converted`, `stage`).
    #[arg(long)]
    pub target: Option<String>,
    /// A value of the target meaning won (repeatable). Inferred for 1/yes/true/won/closed won.
    #[arg(long)]
    pub positive: Vec<String>,
    /// A value meaning lost (repeatable); when given, any other value is an error.
    #[arg(long)]
    pub negative: Vec<String>,
    /// An identifier column (repeatable): carried through scoring, never a feature.
    #[arg(long = "id")]
    pub ids: Vec<String>,
    /// A column to leave out (repeatable): leakage, personal data.
    #[arg(long)]
    pub exclude: Vec<String>,
    /// An extra token meaning missing (repeatable), besides "", NA, N/A, NULL, None, nan, Select, -.
    #[arg(long)]
    pub missing: Vec<String>,
    /// A date column ordering leads in time: the newest 20% become the held-out set.
    #[arg(long)]
    pub time_column: Option<String>,
    /// Also use the time column as a feature: its month, weekday and (when the cells have a
    /// time) hour, no age. Its age would mostly measure how long a lead has had to close.
    #[arg(long)]
    pub time_feature: bool,
}

impl ColumnArgs {
    /// As inference options.
    pub fn options(&self) -> InferOptions {
        InferOptions {
            target: self.target.clone().unwrap_or_default(),
            positive: self.positive.clone(),
            negative: self.negative.clone(),
            ids: self.ids.clone(),
            exclude: self.exclude.clone(),
            missing: self.missing.clone(),
            time_column: self.time_column.clone(),
            time_feature: self.time_feature,
        }
    }
}

/// Arguments of `leadscore spec infer`.
#[derive(clap::Args, Debug)]
pub struct InferArgs {
    /// Labelled CSV to infer from (the first 200,000 rows are read).
    #[arg(long)]
    pub data: PathBuf,
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Where to write the spec (default: stdout).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Runs `leadscore spec`.
pub fn run(command: SpecCommand) -> anyhow::Result<()> {
    match command {
        SpecCommand::Infer(args) => {
            if args.columns.target.is_none() {
                anyhow::bail!("--target is required: name the outcome column");
            }
            let inference = infer(CsvFile::open(&args.data)?, &args.columns.options())?;
            let mut text = format!(
                "# Inferred by `leadscore spec infer` from {}. Review before training:\n# check [exclude] for post-contact columns (filled in after the outcome).\n# Why each column was read as it is:\n",
                args.data.display(),
            );
            for (column, why) in &inference.reasons {
                text.push_str(&format!("#   {column}: {why}\n"));
            }
            text.push_str(&inference.spec.to_toml_string()?);
            super::write_output(args.out.as_deref(), &text)
        }
    }
}
