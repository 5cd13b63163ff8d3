//! The server's configuration: one struct, validated at start-up.

use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know, from flags or `LEADSCORE_*` variables.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The model registry written by `leadscore train`.
    pub models: PathBuf,
    /// The model served when a request names none (default: the only one, or `leads`).
    pub default_model: Option<String>,
    /// Most leads in one request (413 above).
    pub max_leads: usize,
    /// Largest request body in bytes (413 above).
    pub max_body_bytes: usize,
    /// A request taking longer is answered 503.
    pub request_timeout: Duration,
    /// Requests handled at once; more wait.
    pub concurrency: usize,
    /// Bearer keys for every route but health; empty = no authentication.
    pub api_keys: Vec<String>,
    /// Bearer keys that may also call admin routes.
    pub admin_keys: Vec<String>,
    /// How often the registry is checked for new versions (zero = never).
    pub watch_interval: Duration,
    /// Marketing's points rules (TOML): scores also carry `rule_points`, and `/v1/compare` works.
    pub rules: Option<PathBuf>,
    /// A `leadscore compare --out` folder whose `compare.json` the dashboard shows until one is posted.
    pub compare: Option<PathBuf>,
    /// The prediction log: every scored lead recorded in a store (`None`: nothing is logged).
    pub log: Option<crate::log::LogSettings>,
    /// Repeated 5xx answers of one kind are logged as one line with their count per this interval.
    pub failure_log_interval: Duration,
    /// CSV uploads scored at once (each streams on its own threads); more are answered 503.
    pub csv_uploads: usize,
    /// A CSV upload is judged over each such span of the server waiting for its bytes (a
    /// silent one is cut after it).
    pub upload_timeout: Duration,
    /// Bytes per second a CSV upload must send over each `upload_timeout` of waiting (0: any
    /// byte will do).
    pub upload_min_rate: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        Self {
            models: PathBuf::from("models"),
            default_model: None,
            max_leads: 10_000,
            max_body_bytes: 32 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            concurrency: 512,
            api_keys: Vec::new(),
            admin_keys: Vec::new(),
            watch_interval: Duration::from_secs(1),
            rules: None,
            compare: None,
            log: None,
            failure_log_interval: Duration::from_secs(10),
            csv_uploads: 64,
            upload_timeout: Duration::from_secs(10),
            upload_min_rate: 1024,
        }
    }
}

impl ServeConfig {
    /// Checks the values that can be wrong; the message names the setting.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_leads == 0 {
            return Err("max leads per request must be at least 1".into());
        }
        if self.max_body_bytes < 1024 {
            return Err("the body size limit must be at least 1024 bytes".into());
        }
        if self.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        if self.request_timeout.is_zero() {
            return Err("the request timeout must be positive".into());
        }
        if self.csv_uploads == 0 {
            return Err("CSV uploads at once must be at least 1".into());
        }
        if self.upload_timeout.is_zero() {
            return Err("the upload timeout must be positive".into());
        }
        if self.failure_log_interval.is_zero() {
            return Err("the interval of the failure log must be positive".into());
        }
        if self.api_keys.iter().chain(&self.admin_keys).any(|k| k.trim() != k || k.len() < crate::auth::MIN_KEY_LEN) {
            return Err(format!(
                "API keys must be at least {} characters, without spaces around them",
                crate::auth::MIN_KEY_LEN
            ));
        }
        if let Some(log) = &self.log {
            if log.store.trim().is_empty() {
                return Err("the prediction log store is empty: give a file path or a postgres:// URL".into());
            }
            let w = &log.writer;
            if w.capacity == 0 || w.batch_rows == 0 || w.max_delay.is_zero() {
                return Err("the prediction log's queue, batch and delay must be positive".into());
            }
            if w.retention.is_some_and(|r| r.is_zero()) {
                return Err("the prediction log's retention must be at least one day".into());
            }
            if !(1..=crate::log::MAX_MONITOR_ROWS).contains(&log.monitor_rows) {
                return Err(format!(
                    "the monitor's rows must be 1 to {} (each is held in memory while the report is made)",
                    crate::log::MAX_MONITOR_ROWS
                ));
            }
        }
        if !self.models.is_dir() {
            return Err(format!("the model registry {} is not a folder", self.models.display()));
        }
        Ok(())
    }

    /// Whether authentication is on.
    pub fn auth_enabled(&self) -> bool {
        !self.api_keys.is_empty() || !self.admin_keys.is_empty()
    }
}
