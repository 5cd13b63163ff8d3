//! `--store` and the period flags, shared by the commands that read or change the prediction log.

/// Where the prediction log is.
#[derive(clap::Args, Debug, Clone)]
pub struct StoreArgs {
    /// The prediction log: an SQLite file (created when absent) or a `postgres://` URL.
    #[arg(long, env = "LEADSCORE_STORE", default_value = "leadscore-log.db")]
    pub store: String,
}

impl StoreArgs {
    /// Opens (and migrates) the store.
    pub fn open(&self) -> anyhow::Result<Box<dyn leadscore_store::Store>> {
        Ok(leadscore_store::open(&self.store)?)
    }
}

/// `--since` and `--until`, whole UTC days, both included.
#[derive(clap::Args, Debug, Clone)]
pub struct PeriodArgs {
    /// First day of the period (`YYYY-MM-DD`, UTC), included.
    #[arg(long)]
    pub since: Option<String>,
    /// Last day of the period (`YYYY-MM-DD`, UTC), included.
    #[arg(long)]
    pub until: Option<String>,
}

impl PeriodArgs {
    /// `(since_ms, until_ms)`: the start of `--since` and the end of `--until` (exclusive).
    pub fn bounds(&self) -> anyhow::Result<(Option<i64>, Option<i64>)> {
        leadscore_store::day_bounds(self.since.as_deref(), self.until.as_deref()).map_err(|e| anyhow::anyhow!("--{e}"))
    }

    /// The period in words.
    pub fn describe(&self) -> String {
        match (&self.since, &self.until) {
            (None, None) => "all time".into(),
            (Some(s), None) => format!("since {s}"),
            (None, Some(u)) => format!("until {u}"),
            (Some(s), Some(u)) => format!("{s} to {u}"),
        }
    }
}
