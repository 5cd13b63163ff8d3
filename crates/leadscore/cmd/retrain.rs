//! `leadscore retrain`: the scheduled job. Trains a model again on new data with the current
//! version's own spec, seed and penalty search, compares it with the current version, promotes
//! it or not, and says so in the exit code (0 promoted, 3 kept but not promoted, 4 skipped:
//! too few new closed deals, 2 an error).

use std::path::PathBuf;

use anyhow::Context;
use leadscore_core::promotion::Policy;
use leadscore_core::report::FittedOn;
use leadscore_train::params::{Refit, TrainParams};
use leadscore_train::registry::{Alias, Registry, MODEL_FILE};

use super::promotion::GateArgs;
use super::train::{train_gated, Job, Source};
use crate::progress::Ui;

/// Arguments of `leadscore retrain`.
#[derive(clap::Args, Debug)]
pub struct RetrainArgs {
    /// The registered model to retrain (it must have a current version).
    #[arg(long)]
    pub model: String,
    /// Labelled CSV of closed leads, or a PostgreSQL database (`postgres://USER@HOST/DB`) with --query or --table.
    #[arg(long)]
    pub data: PathBuf,
    /// With a postgres:// --data: the query returning the training rows.
    #[arg(long, conflicts_with = "table")]
    pub query: Option<String>,
    /// With a postgres:// --data: the table holding the training rows.
    #[arg(long)]
    pub table: Option<String>,
    /// Skip retraining (exit code 4) when fewer new closed deals than this arrived since the
    /// current version's training data: dated after its last training day with a time column,
    /// else the growth of the data.
    #[arg(long, default_value_t = 0)]
    pub min_new_leads: u64,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// Print a JSON summary on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Runs `leadscore retrain`.
pub fn run(args: RetrainArgs, ui: &Ui) -> anyhow::Result<()> {
    let registry = Registry::new(&args.models);
    let name = args.model.as_str();
    // Held until this process exits: a second retrain of the same model fails here at once.
    let _retraining = registry.lock_retrain(name)?;
    let version = registry.alias(name, Alias::Current)?.with_context(|| {
        format!("model `{name}` has no current version in {}; train one with `leadscore train`", args.models.display())
    })?;
    let path = registry.root().join(name).join(&version).join(MODEL_FILE);
    let (current, _) = Registry::load(&path)?;
    // The current version's own choices: spec, seed, and how its penalty was chosen.
    let refit = match current.fitted_on {
        FittedOn::TrainingPart => Refit::Train,
        FittedOn::AllRows { .. } => Refit::All,
    };
    let params = TrainParams::default().seed(current.training.seed).refit(refit);
    let params = match &current.cv {
        Some(cv) => params.cv_folds(cv.folds),
        None => params.cv_folds(0).l2(Some(current.regularisation.l2)),
    }
    .check()?;
    let stored = registry.stored_policy(name, &version)?;
    let explicit = stored.is_some() || args.gate.any();
    let policy = args.gate.policy(stored.unwrap_or_else(Policy::default))?;
    let job = Job {
        name: name.to_owned(),
        spec: current.spec.clone(),
        notes: Vec::new(),
        params,
        policy,
        policy_explicit: explicit,
        mode: args.gate.promote.into(),
        command: "retrain",
        models: &args.models,
        json: args.json,
        min_new_leads: Some(args.min_new_leads),
    };
    drop(current);
    train_gated(job, Source { data: &args.data, query: args.query.as_deref(), table: args.table.as_deref() }, ui)
}
