//! `leadscore synth`: synthetic leads for demos, tests and benchmarks.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use leadscore_train::synth::{write_csv, SynthParams};

/// Arguments of `leadscore synth`.
#[derive(clap::Args, Debug)]
pub struct SynthArgs {
    /// Number of leads.
    #[arg(long, default_value_t = 20_000)]
    pub rows: usize,
    /// Seed: the same seed gives byte-identical output.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Add two pair effects to the ground truth (a senior lead who asked for a demo, Software with 2+
    /// pricing visits): the same leads, outcomes that only pair terms can fit.
    #[arg(long)]
    pub interactions: bool,
    /// Output CSV (default: stdout).
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

/// Runs `leadscore synth`.
pub fn run(args: SynthArgs) -> anyhow::Result<()> {
    let params = SynthParams { rows: args.rows, seed: args.seed, interactions: args.interactions };
    match &args.out {
        Some(path) => {
            let tmp = path.with_extension("csv.tmp");
            let file = std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            write_csv(&params, &mut w).context("writing synthetic leads")?;
            w.flush().context("writing synthetic leads")?;
            drop(w);
            std::fs::rename(&tmp, path).with_context(|| format!("renaming into {}", path.display()))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            write_csv(&params, &mut w).context("writing synthetic leads")?;
            w.flush()?;
        }
    }
    Ok(())
}
