//! `leadscore promote` and `leadscore rollback`: move a model's `CURRENT` by hand, through the
//! registry (atomic, locked, recorded in the history); a running server follows on its reload.

use std::path::PathBuf;

use leadscore_train::registry::{Change, Registry};

use super::promotion::{print_record, Exit, EXIT_NOT_PROMOTED};

/// Arguments of `leadscore promote`.
#[derive(clap::Args, Debug)]
pub struct PromoteArgs {
    /// The registered model.
    #[arg(long)]
    pub model: String,
    /// The version to make current, e.g. `v3`.
    #[arg(long)]
    pub version: String,
    /// Promote even if the gate refused it, or never compared it with the current version.
    #[arg(long)]
    pub force: bool,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
}

/// Arguments of `leadscore rollback`.
#[derive(clap::Args, Debug)]
pub struct RollbackArgs {
    /// The registered model.
    #[arg(long)]
    pub model: String,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
}

fn said(out: &mut String, name: &str, change: &Change) {
    match &change.entry {
        None => outln!(out, "{name} {} is already current; nothing changed.", change.current),
        Some(e) => outln!(
            out,
            "{name}: CURRENT {} -> {} ({} at {})",
            e.from.as_deref().unwrap_or("none"),
            change.current,
            e.command,
            e.at
        ),
    }
}

/// Runs `leadscore promote`.
pub fn run_promote(args: PromoteArgs) -> anyhow::Result<()> {
    let registry = Registry::new(&args.models);
    let mut out = String::new();
    if let Some(record) = registry.gate_record(&args.model, &args.version)? {
        print_record(&mut out, &record);
        outln!(out, "  gate       {}", record.verdict.sentence);
    }
    match registry.promote(&args.model, &args.version, args.force, "promote") {
        Ok(change) => {
            said(&mut out, &args.model, &change);
            super::emit(&out)
        }
        Err(err @ leadscore_train::registry::Error::Refused { .. }) => {
            super::emit(&out)?;
            eprintln!("leadscore: {err}");
            Err(Exit(EXIT_NOT_PROMOTED).into())
        }
        Err(err) => Err(err.into()),
    }
}

/// Runs `leadscore rollback`.
pub fn run_rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let change = Registry::new(&args.models).rollback(&args.model, "rollback")?;
    let mut out = String::new();
    said(&mut out, &args.model, &change);
    super::emit(&out)
}
