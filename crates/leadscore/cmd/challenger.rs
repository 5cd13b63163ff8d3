//! `leadscore challenger set|clear`: the version to shadow beside the current one (the server's
//! shadow scoring reads `CHALLENGER`); each change recorded in the history.

use std::path::PathBuf;

use leadscore_train::registry::Registry;

/// `leadscore challenger`.
#[derive(clap::Subcommand, Debug)]
pub enum ChallengerCommand {
    /// Name a version as the challenger.
    Set {
        /// The registered model.
        #[arg(long)]
        model: String,
        /// The version, e.g. `v4`.
        #[arg(long)]
        version: String,
        /// The model registry.
        #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
        models: PathBuf,
    },
    /// Remove the challenger.
    Clear {
        /// The registered model.
        #[arg(long)]
        model: String,
        /// The model registry.
        #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
        models: PathBuf,
    },
}

/// Runs `leadscore challenger`.
pub fn run(command: ChallengerCommand) -> anyhow::Result<()> {
    let mut out = String::new();
    match command {
        ChallengerCommand::Set { model, version, models } => {
            let e = Registry::new(models).set_challenger(&model, &version, "challenger set")?;
            outln!(out, "{model}: CHALLENGER {} -> {version}", e.from.as_deref().unwrap_or("none"));
        }
        ChallengerCommand::Clear { model, models } => {
            match Registry::new(models).clear_challenger(&model, "challenger clear")? {
                Some(e) => outln!(out, "{model}: CHALLENGER {} cleared", e.from.as_deref().unwrap_or("none")),
                None => outln!(out, "{model} has no challenger; nothing changed."),
            }
        }
    }
    super::emit(&out)
}
