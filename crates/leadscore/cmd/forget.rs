//! `leadscore forget`: an erasure request, every row of one lead deleted from the log.

use super::store::StoreArgs;

/// Arguments of `leadscore forget`.
#[derive(clap::Args, Debug)]
pub struct ForgetArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The lead's id, as logged.
    #[arg(long)]
    pub id: String,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Runs `leadscore forget`.
pub fn run(args: ForgetArgs) -> anyhow::Result<()> {
    leadscore_store::check_lead_id(&args.id)?;
    let mut store = args.store.open()?;
    let gone = store.forget(&args.id)?;
    let mut out = String::new();
    if args.json {
        outln!(out, "{}", serde_json::to_string_pretty(&gone)?);
    } else {
        outln!(
            out,
            "lead {:?}: {} scorings and {} outcome deleted from {}",
            args.id,
            gone.predictions,
            gone.outcomes,
            store.location()
        );
    }
    super::emit(&out)
}
