//! `leadscore serve`: the scoring service on the model registry.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use leadscore_server::log::LogSettings;
use leadscore_server::{AppState, ServeConfig};

/// How often the default model's all-time monitor report is recomputed from the log (the drift
/// gauges of `/metrics`, the dashboard's "In production").
const MONITOR_REFRESH: Duration = Duration::from_secs(300);

/// Arguments of `leadscore serve` (every flag also reads a `LEADSCORE_*` variable).
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The model registry written by `leadscore train`.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// Address to listen on.
    #[arg(long, env = "LEADSCORE_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Model served when a request names none (default: the only one, or `leads`).
    #[arg(long, env = "LEADSCORE_MODEL")]
    pub model: Option<String>,
    /// Most leads in one request.
    #[arg(long, env = "LEADSCORE_MAX_LEADS", default_value_t = 10_000)]
    pub max_leads: usize,
    /// Largest JSON body in bytes.
    #[arg(long, env = "LEADSCORE_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds before a request is answered 503. A CSV upload is bounded by this until its
    /// header is read; after that it streams as long as it keeps `--upload-min-rate`.
    #[arg(long, env = "LEADSCORE_REQUEST_TIMEOUT", default_value_t = 30)]
    pub request_timeout: u64,
    /// Requests handled at once (JSON requests, and CSV uploads until their header is read).
    #[arg(long, env = "LEADSCORE_CONCURRENCY", default_value_t = 512)]
    pub concurrency: usize,
    /// CSV uploads (`POST /v1/score` with text/csv) streaming at once; each holds two threads
    /// while it streams. Past this, an upload is answered 503 with `Retry-After: 1` before its
    /// body is read.
    #[arg(long, env = "LEADSCORE_CSV_UPLOADS", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub csv_uploads: u64,
    /// Seconds of waiting for a CSV upload's bytes over which its pace is judged: an upload that
    /// sends nothing for this long is cut (408 before its header, else a last row saying so).
    #[arg(long, env = "LEADSCORE_UPLOAD_TIMEOUT", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub upload_timeout: u64,
    /// Bytes per second a CSV upload must send, judged over each `--upload-timeout` of waiting
    /// for it (time the server spends scoring or waiting for the client to read the answer does
    /// not count); slower uploads are cut. 0: only silence is cut.
    #[arg(long, env = "LEADSCORE_UPLOAD_MIN_RATE", default_value_t = 1024)]
    pub upload_min_rate: u64,
    /// Comma-separated API keys; when set, every route but /healthz and /readyz needs `Authorization: Bearer KEY`.
    /// Set but holding no key (`""`, `",,"`) is an error, never "no authentication".
    #[arg(long, env = "LEADSCORE_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
    /// Comma-separated admin keys (may also call /v1/admin/*).
    #[arg(long, env = "LEADSCORE_ADMIN_KEYS", hide_env_values = true)]
    pub admin_keys: Option<String>,
    /// Milliseconds between registry checks for new versions (0 = only on SIGHUP or /v1/admin/reload).
    #[arg(long, env = "LEADSCORE_WATCH_MS", default_value_t = 1000)]
    pub watch_ms: u64,
    /// Marketing's points rules (TOML, see `leadscore rules check`): scores also carry
    /// `rule_points`, `/v1/compare` works, the dashboard shows the rules. Checked against
    /// the served model's spec at start-up; a mistake stops the server with its line.
    #[arg(long, env = "LEADSCORE_RULES")]
    pub rules: Option<PathBuf>,
    /// A `leadscore compare --out` folder (or its compare.json): the dashboard shows the
    /// rules' figures from it until a comparison is posted to /v1/compare.
    #[arg(long, env = "LEADSCORE_COMPARE")]
    pub compare: Option<PathBuf>,
    /// The prediction log every scored lead is recorded in: an SQLite file (created when absent)
    /// or a `postgres://` URL shared by several replicas. Outcomes (`POST /v1/outcomes`) and the
    /// monitor (`GET /v1/monitor`) read it.
    #[arg(long, env = "LEADSCORE_STORE", default_value = "leadscore-log.db")]
    pub store: String,
    /// Do not log scorings (no store is opened; /v1/outcomes and /v1/monitor answer 503).
    #[arg(long, env = "LEADSCORE_NO_LOG", conflicts_with_all = ["log_fields", "log_retention_days", "monitor_rows"])]
    pub no_log: bool,
    /// Which input fields a logged row keeps: `model` (the fields the model reads, as they
    /// arrived: drift per feature and export-training need them) or `none` (scores only).
    /// Columns the spec excludes are never stored.
    #[arg(long, env = "LEADSCORE_LOG_FIELDS", value_parser = ["model", "none"])]
    pub log_fields: Option<String>,
    /// Delete logged scorings older than this many days (checked hourly); default: keep all.
    #[arg(long, env = "LEADSCORE_LOG_RETENTION_DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub log_retention_days: Option<u32>,
    /// Most scorings one monitor report reads (`GET /v1/monitor`, the dashboard, `/metrics`):
    /// the newest of its period, the response saying when older ones were left out. Each is
    /// held in memory (about 2.7 KB) while the report is made.
    #[arg(long, env = "LEADSCORE_MONITOR_ROWS", default_value_t = leadscore_server::log::MONITOR_ROWS,
          value_parser = clap::value_parser!(u64).range(1..=leadscore_server::log::MAX_MONITOR_ROWS))]
    pub monitor_rows: u64,
    /// Repeated server errors (5xx) are logged as one line per kind with their count every
    /// this many seconds; the first of each kind in an interval is logged at once.
    #[arg(long, env = "LEADSCORE_FAILURE_LOG_SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub failure_log_seconds: u64,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C.
    #[arg(long, env = "LEADSCORE_DRAIN_SECONDS", default_value_t = 30)]
    pub drain_seconds: u64,
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// A key list from its flag, or from `env` when set at all (clap reads an empty variable
/// as absent: here it is a list without keys, an error).
fn keys(what: &str, flag: Option<&str>, env: &str) -> anyhow::Result<Vec<String>> {
    let from_env = std::env::var(env).ok();
    leadscore_server::auth::parse_keys(what, flag.or(from_env.as_deref())).map_err(|e| anyhow::anyhow!("{e}"))
}

/// Runs `leadscore serve` until SIGTERM/Ctrl-C, then drains.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let config = ServeConfig {
        models: args.models.clone(),
        default_model: args.model.clone(),
        max_leads: args.max_leads,
        max_body_bytes: args.max_body_bytes,
        request_timeout: Duration::from_secs(args.request_timeout),
        concurrency: args.concurrency,
        api_keys: keys("--api-keys (LEADSCORE_API_KEYS)", args.api_keys.as_deref(), "LEADSCORE_API_KEYS")?,
        admin_keys: keys("--admin-keys (LEADSCORE_ADMIN_KEYS)", args.admin_keys.as_deref(), "LEADSCORE_ADMIN_KEYS")?,
        watch_interval: Duration::from_millis(args.watch_ms),
        rules: args.rules.clone(),
        compare: args.compare.clone(),
        log: (!args.no_log)
            .then(|| -> anyhow::Result<LogSettings> {
                let mut settings = LogSettings::new(args.store.clone());
                if let Some(fields) = &args.log_fields {
                    settings.fields = fields.parse()?;
                }
                settings.writer.retention =
                    args.log_retention_days.map(|days| Duration::from_secs(86_400 * u64::from(days)));
                settings.monitor_rows = args.monitor_rows;
                Ok(settings)
            })
            .transpose()?,
        failure_log_interval: Duration::from_secs(args.failure_log_seconds),
        csv_uploads: usize::try_from(args.csv_uploads).context("--csv-uploads")?,
        upload_timeout: Duration::from_secs(args.upload_timeout),
        upload_min_rate: args.upload_min_rate,
    };
    config.validate().map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async move {
        let state = tokio::task::block_in_place(|| AppState::start(config)).map_err(|e| anyhow::anyhow!("{e}"))?;
        let set = state.models();
        let Some(model) = set.get(None, None) else {
            let served: Vec<&str> = set.models.keys().map(String::as_str).collect();
            if let Some(wanted) = args.model.as_deref().filter(|m| !set.models.contains_key(*m)) {
                // The name is what is wrong: say so, and which models there are.
                let names = leadscore_registry::Registry::new(&args.models).names().unwrap_or_default();
                anyhow::bail!(
                    "--model: no model `{wanted}` in {}; {}",
                    args.models.display(),
                    match names.as_slice() {
                        [] => "the registry has no models; train one with `leadscore train`".to_owned(),
                        names => format!("it has {}", names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")),
                    }
                );
            }
            let refused = set.failures.iter().map(|f| format!("{}@{}: {}", f.name, f.version, f.reason)).collect::<Vec<_>>();
            anyhow::bail!(
                "no servable model in {} ({}); train one with `leadscore train`",
                args.models.display(),
                if refused.is_empty() && served.is_empty() { "the registry is empty".to_owned() } else { refused.join("; ") }
            );
        };
        drop(set);
        let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| format!("binding {}", args.addr))?;
        let addr = listener.local_addr().context("reading the bound address")?;
        tracing::info!(%addr, model = %model.name, version = %model.version, "serving");
        let auth = if state.config().auth_enabled() { " -H 'Authorization: Bearer $KEY'" } else { "" };
        eprintln!(
            "leadscore: serving {} {} on http://{addr}\n\ntry:\n  curl -s{auth} http://{addr}/v1/score -H 'Content-Type: application/json' \\\n    -d '{{\"leads\": [{{\"id\": \"L1\", \"job_level\": \"VP\", \"lead_source\": \"Referral\", \"pricing_page_visits\": 4, \"demo_requested\": true}}], \"explain\": 3}}'\n  open http://{addr}/ for the dashboard, http://{addr}/openapi.json for the API\n",
            model.name, model.version
        );
        tokio::spawn(leadscore_server::watch(state.clone()));
        tokio::spawn(leadscore_server::routes::monitor::refresh(state.clone(), MONITOR_REFRESH));
        #[cfg(unix)]
        {
            let s = state.clone();
            tokio::spawn(async move {
                let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading the registry");
                    let s = s.clone();
                    let _ = tokio::task::spawn_blocking(move || s.reload()).await;
                }
            });
        }
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let shutdown = {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let server = tokio::spawn(leadscore_server::run(listener, state.clone(), shutdown));
        shutdown_signal().await;
        tracing::info!(drain_seconds = args.drain_seconds, "shutting down: draining in-flight requests");
        let _ = stop_tx.send(true);
        let drained = match tokio::time::timeout(Duration::from_secs(args.drain_seconds), server).await {
            Ok(Ok(result)) => result.context("serving"),
            Ok(Err(e)) => Err(anyhow::anyhow!("the server task failed: {e}")),
            Err(_) => {
                tracing::warn!("drain deadline reached with requests still in flight; exiting");
                Ok(())
            }
        };
        // Every answered lead's row is on the queue now: write them before exiting.
        if let Some(log) = state.log() {
            let stats = tokio::task::block_in_place(|| log.shutdown(Duration::from_secs(args.drain_seconds)));
            if stats.dropped() > 0 {
                eprintln!("leadscore: {} prediction log rows were lost while serving (see /metrics)", stats.dropped());
            }
        }
        drained
    })
}
