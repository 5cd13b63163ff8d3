//! `leadscore promote` and `leadscore rollback`: move a model's `CURRENT` by hand, through the
//! registry (atomic, locked, recorded in the history); a running server follows on its reload.

use std::path::PathBuf;

use leadscore_core::promotion::GateRecord;
use leadscore_train::registry::{Change, Registry};

use leadscore_store::PairFilter;

use super::promotion::{print_record, print_shadow, AgeArg, Exit, EXIT_NOT_PROMOTED};

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
    // The gate's comparison in the version's card is judged again at the current version's age
    // now, by the policy stored with it; the flag replaces its stale-version limit.
    #[command(flatten)]
    pub age: AgeArg,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// The prediction log (an SQLite file or a `postgres://` URL): when it holds shadow scorings
    /// of this version beside the current one (the version was the CHALLENGER), print that live
    /// evidence beside the gate's figures. Not opened without the flag.
    #[arg(long)]
    pub store: Option<String>,
    /// Bootstrap replicates of the live evidence's intervals.
    #[arg(long, default_value_t = leadscore_core::monitor::bootstrap::DEFAULT_REPLICATES)]
    pub replicates: u32,
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
    let max_age = args.age.checked()?;
    let registry = Registry::new(&args.models);
    let mut out = String::new();
    let stored = registry.gate_record(&args.model, &args.version)?;
    if let Some(record) = &stored {
        print_record(&mut out, record);
    }
    if let Some(store) = &args.store {
        live_evidence(&mut out, &registry, &args, store)?;
    }
    // The verdict printed is the one this promotion makes (judged again at the current
    // version's age now); without one against the current version, the card's.
    let verdict = |out: &mut String, judged: Option<&GateRecord>| {
        if let Some(record) = judged.or(stored.as_ref()) {
            outln!(out, "  gate       {}", record.verdict.sentence);
        }
    };
    match registry.promote_with(&args.model, &args.version, args.force, max_age, "promote") {
        Ok(change) => {
            verdict(&mut out, change.record.as_ref());
            said(&mut out, &args.model, &change);
            super::emit(&out)
        }
        Err(err @ leadscore_train::registry::Error::Refused { .. }) => {
            if let leadscore_train::registry::Error::Refused { record, .. } = &err {
                verdict(&mut out, record.as_deref());
            }
            super::emit(&out)?;
            eprintln!("leadscore: {err}");
            Err(Exit(EXIT_NOT_PROMOTED).into())
        }
        Err(err) => Err(err.into()),
    }
}

/// The version's shadow scorings beside the current version, from the log: the evidence of
/// `/v1/monitor`'s challengers, computed by the same store function.
fn live_evidence(out: &mut String, registry: &Registry, args: &PromoteArgs, store: &str) -> anyhow::Result<()> {
    registry.check_version(&args.model, &args.version)?;
    let current = registry.current(&args.model)?;
    let seed =
        Registry::load(&registry.root().join(&args.model).join(&current).join(leadscore_train::registry::MODEL_FILE))?
            .0
            .training
            .seed;
    let mut log = leadscore_store::open(store)?;
    let filter = PairFilter {
        model: args.model.clone(),
        champion: Some(current.clone()),
        challenger: Some(args.version.clone()),
        since_ms: None,
        until_ms: None,
        ..PairFilter::default()
    };
    let reports = leadscore_store::monitor::challengers(log.as_mut(), &filter, args.replicates, seed)?;
    match reports.first() {
        Some(report) => print_shadow(out, report),
        None => outln!(
            out,
            "  live       {} holds no shadow scoring of {} beside {} (set it as the challenger first: `leadscore challenger set`)",
            log.location(),
            args.version,
            current
        ),
    }
    Ok(())
}

/// Runs `leadscore rollback`.
pub fn run_rollback(args: RollbackArgs) -> anyhow::Result<()> {
    let change = Registry::new(&args.models).rollback(&args.model, "rollback")?;
    let mut out = String::new();
    said(&mut out, &args.model, &change);
    super::emit(&out)
}
