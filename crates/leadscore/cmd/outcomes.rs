//! `leadscore outcomes import`: what became of logged leads, from a CRM export.

use std::path::PathBuf;

use leadscore_store::outcomes_csv::{read_outcomes, OutcomeColumns};

use super::store::StoreArgs;
use super::ModelArgs;

/// `leadscore outcomes ...`.
#[derive(clap::Subcommand, Debug)]
pub enum OutcomesCommand {
    /// Store the outcomes of a CSV of closed leads (idempotent: importing a file twice is harmless).
    Import(ImportArgs),
}

/// Arguments of `leadscore outcomes import`.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The model whose target labels read the outcome column (`won`/`lost` for the shipped model).
    #[command(flatten)]
    pub model: ModelArgs,
    /// CSV of closed leads (read like training data: same errors, with line and column).
    #[arg(long)]
    pub data: PathBuf,
    /// The column with the lead id the server logged.
    #[arg(long)]
    pub id: String,
    /// The outcome column (default: the model's target column).
    #[arg(long)]
    pub target: Option<String>,
    /// A column with the day each deal closed (`YYYY-MM-DD`).
    #[arg(long)]
    pub closed_at: Option<String>,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `leadscore outcomes`.
pub fn run(command: OutcomesCommand) -> anyhow::Result<()> {
    let OutcomesCommand::Import(args) = command;
    let (artifact, _, _) = args.model.load()?;
    let mut target = artifact.spec.target.clone();
    if let Some(column) = &args.target {
        target.column = column.clone();
    }
    let columns = OutcomeColumns { id: args.id.clone(), target, closed_at: args.closed_at.clone() };
    let outcomes = read_outcomes(&args.data, &columns)?;
    let mut store = args.store.open()?;
    let report = store.upsert_outcomes(&outcomes, leadscore_store::row::now_ms())?;
    let mut out = String::new();
    if args.json {
        outln!(out, "{}", serde_json::to_string_pretty(&report)?);
    } else {
        outln!(
            out,
            "{}: {} outcomes read, {} stored in {}, {} for leads the log never scored",
            args.data.display(),
            report.received,
            report.stored,
            store.location(),
            report.unknown
        );
        if !report.unknown_ids.is_empty() {
            let more = report.unknown.saturating_sub(report.unknown_ids.len() as u64);
            let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
            outln!(out, "  unknown ids: {}{tail}", report.unknown_ids.join(", "));
        }
    }
    super::emit(&out)
}
