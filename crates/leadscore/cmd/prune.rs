//! `leadscore prune`: remove old versions of a model, never the current, previous (the one
//! `rollback` returns to) or challenger version.

use std::path::PathBuf;

use leadscore_train::registry::Registry;

/// Arguments of `leadscore prune`.
#[derive(clap::Args, Debug)]
pub struct PruneArgs {
    /// The registered model.
    #[arg(long)]
    pub model: String,
    /// How many of the newest versions to keep (besides current, previous and challenger).
    #[arg(long)]
    pub keep: usize,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
}

/// Runs `leadscore prune`.
pub fn run(args: PruneArgs) -> anyhow::Result<()> {
    let pruned = Registry::new(&args.models).prune(&args.model, args.keep)?;
    let mut out = String::new();
    let list = |v: &[String]| if v.is_empty() { "none".to_owned() } else { v.join(", ") };
    outln!(out, "{}: removed {}; kept {}", args.model, list(&pruned.removed), list(&pruned.kept));
    super::emit(&out)
}
