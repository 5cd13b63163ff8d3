//! `GET /v1/monitor`: one model version in production, from the prediction log.
//!
//! The same report as `leadscore monitor --json` (`leadscore_store::monitor::report` over the
//! version's logged rows): traffic and MQL rate per day against the held-out curve, outcomes,
//! calibration by tier and decile, live AUC, log loss and Brier with bootstrap intervals, and the
//! drift of the score and of every feature against the artifact's training distributions, each
//! flagged only past the sample size where the flag means something. Beside it, each challenger
//! the log shows shadowing the version (`challengers`, from `leadscore_store::monitor::challengers`,
//! as `leadscore monitor`): rank and MQL agreement on the same live leads, and both live AUCs, log
//! losses and Brier scores with the paired interval of each difference once outcomes arrive.
//!
//! **A report reads at most `--monitor-rows` scorings** (100,000 by default): the newest of its
//! period, so that what a report costs (about 1 s and 250 MB at 100,000, measured) does not grow
//! with the log; the response says when older ones were left out (`newest`). On a log of 3.6M
//! rows an all-time report that read every row held 4.4 GB after 30 s, and had not finished.
//!
//! **The last all-time report of each version is kept** ([`LatestReports`]): `/metrics` exports
//! its drift gauges and the dashboard's "In production" section shows it. Neither recomputes it
//! per request: it is refreshed by every all-time `/v1/monitor` call, by [`refresh`] in the
//! background (every five minutes), and by a page view only once it is older than
//! [`PAGE_COST_FACTOR`] times what it took to compute ([`for_page`]), one computation at a time.
//!
//! **The monitor never holds up the scoring.** Every report is made on a thread of its own at the
//! log writer's lower CPU priority ([`leadscore_store::writer::lower_priority`]), and reads the log
//! a page at a time ([`leadscore_store::read::rows_in_pages`]), so that no read holds the SQLite
//! WAL in place while the writer appends to it. Before both, one all-time report of a 1.8M-row log
//! under 60,000 leads/s of new leads made the writer drop 301,000 rows in 30 s.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use axum::extract::State;
use axum::Json;
use leadscore_core::monitor::{MonitorReport, PairedComparison};
use leadscore_store::monitor::ShadowReport;
use leadscore_store::read::rows_in_pages;
use leadscore_store::{Filter, PairFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::ModelRef;
use crate::error::{ApiError, Problem};
use crate::extract::{NamesModel, Selected};
use crate::state::{AppState, LoadedModel};

/// Most bootstrap replicates a request may ask for.
pub const MAX_REPLICATES: u32 = 10_000;
/// Replicates when the request names none: enough for two-decimal intervals, quick on 10,000s
/// of leads (the CLI defaults to 1,000).
pub const DEFAULT_REPLICATES: u32 = 200;

/// Query parameters of `GET /v1/monitor`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonitorQuery {
    /// Model name (default: the server's default model).
    pub model: Option<String>,
    /// Version folder, e.g. `v2` (default: the model's `CURRENT`).
    pub version: Option<String>,
    /// First day (`YYYY-MM-DD`, UTC), included.
    #[param(format = Date)]
    pub since: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC), included.
    #[param(format = Date)]
    pub until: Option<String>,
    /// Bootstrap replicates of the intervals (1 to 10,000; default 200).
    #[param(minimum = 1, maximum = 10000)]
    pub replicates: Option<u32>,
}

impl NamesModel for MonitorQuery {
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

/// `GET /v1/monitor` response: the model, the period and the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct MonitorResponse {
    /// The model version monitored.
    pub model: ModelRef,
    /// Where the log is (no password).
    pub store: String,
    /// The period in words (`all time`, `since 2026-11-01`, ...).
    pub period: String,
    /// Present when the period holds more scorings than the server reads for one report
    /// (`--monitor-rows`): the report covers the newest `rows` of them, scored from `since_ms`
    /// (Unix ms) on. Ask for a shorter period to see an older one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest: Option<NewestRows>,
    /// The report: `n_scored`, `n_outcomes`, `n_won`, `days`, `score_drift`, `features`,
    /// `drifted`, `outcomes` (as `leadscore monitor --json`).
    #[schema(value_type = Object)]
    pub report: MonitorReport,
    /// With `--rules`: the model (`a`) and marketing's rules (`b`) on the same live leads with an
    /// outcome, each difference `b - a` with its paired bootstrap interval: AUC, lift in the top
    /// 10%, precision and recall at each one's MQL threshold. Points are not probabilities, so
    /// the rules have no log loss or Brier score (`null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub rules: Option<PairedComparison>,
    /// Each version shadowed beside this one in the period (a `CHALLENGER`; empty when none),
    /// on the same live leads: `champion` (this version, `a`) and `challenger` (`b`), `n_paired`
    /// scorings, `agreement` (`rank`: Spearman's correlation of the probabilities, `mql`: the share
    /// of scorings both called MQL or both did not), and once a won and a lost lead arrived
    /// `outcomes`: both models' AUC, log loss, Brier, lift in the top 10%, precision and recall,
    /// each difference `b - a` with its paired bootstrap interval.
    #[schema(value_type = Vec<Object>)]
    pub challengers: Vec<ShadowReport>,
}

/// What the monitor computes for one version: the report, the rules beside it, the challengers.
#[derive(Clone, Debug)]
pub struct Computed {
    /// The report.
    pub report: MonitorReport,
    /// The rules beside the model, when the rows carry rule points.
    pub rules: Option<PairedComparison>,
    /// The versions shadowed beside it.
    pub challengers: Vec<ShadowReport>,
    /// When the period holds more than `--monitor-rows` scorings: the newest, which it covers.
    pub newest: Option<NewestRows>,
}

fn period(since: Option<&str>, until: Option<&str>) -> String {
    match (since, until) {
        (None, None) => "all time".into(),
        (Some(s), None) => format!("since {s}"),
        (None, Some(u)) => format!("until {u}"),
        (Some(s), Some(u)) => format!("{s} to {u}"),
    }
}

/// The report of `model` over its newest `--monitor-rows` logged scorings in the period (all
/// of them when there are no more), the rules beside it when the rows carry rule points, and the
/// challengers shadowed beside it over the same time. An all-time report is kept in
/// [`LatestReports`]. Blocking: call it through [`in_background`].
pub fn report(
    state: &AppState,
    model: &LoadedModel,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    replicates: u32,
) -> Result<Computed, ApiError> {
    let started = Instant::now();
    let log = state.log().ok_or(ApiError::NoLog)?;
    let filter = Filter::served(&model.name, Some(&model.version), since_ms, until_ms);
    let read = log.read(|store| rows_in_pages(store, &filter, Some(log.monitor_rows()))).map_err(ApiError::Store)?;
    let rows = read.rows;
    let newest = read.capped.then(|| NewestRows {
        rows: rows.len() as u64,
        since_ms: rows.first().map_or(0, |r| r.prediction.scored_at_ms),
    });
    // The challengers over the same time: from the first of the newest scorings when older ones
    // were left out.
    let pairs_since_ms = newest.map_or(since_ms, |n| Some(n.since_ms));
    let seed = model.artifact.training.seed;
    let report = leadscore_store::monitor::report(&model.artifact, &rows, replicates, seed)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let rules = leadscore_store::monitor::rules_beside(&rows, replicates, seed)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let pairs = PairFilter {
        model: model.name.clone(),
        champion: Some(model.version.clone()),
        challenger: None,
        since_ms: pairs_since_ms,
        until_ms,
        ..PairFilter::default()
    };
    let challengers = log
        .read(|store| leadscore_store::monitor::challengers(store, &pairs, replicates, seed))
        .map_err(ApiError::Store)?;
    if since_ms.is_none() && until_ms.is_none() {
        // A period's figures are not kept: the gauges would jump with whoever asked last.
        state.reports().keep(
            model,
            Latest {
                report: report.clone(),
                rules: rules.clone(),
                challengers: challengers.clone(),
                replicates,
                newest,
                at: SystemTime::now(),
                took: started.elapsed(),
                computed: Instant::now(),
            },
        );
    }
    Ok(Computed { report, rules, challengers, newest })
}

/// A model version's live figures.
#[utoipa::path(
    get,
    path = "/v1/monitor",
    params(MonitorQuery),
    responses(
        (status = 200, body = MonitorResponse),
        (status = 400, description = "Invalid query parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model or version", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No prediction log, or the store is down", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "monitoring"
)]
pub async fn monitor(
    State(state): State<AppState>,
    Selected { query, model }: Selected<MonitorQuery>,
) -> Result<Json<MonitorResponse>, ApiError> {
    let replicates = query.replicates.unwrap_or(DEFAULT_REPLICATES);
    if !(1..=MAX_REPLICATES).contains(&replicates) {
        return Err(ApiError::BadQuery(format!("`replicates` must be 1 to {MAX_REPLICATES}")));
    }
    let (since_ms, until_ms) = leadscore_store::day_bounds(query.since.as_deref(), query.until.as_deref())
        .map_err(|e| ApiError::BadQuery(e.to_string()))?;
    let log = state.log().ok_or(ApiError::NoLog)?;
    let store = log.location().to_owned();
    let response = in_background(move || {
        let Computed { report, rules, challengers, newest } = report(&state, &model, since_ms, until_ms, replicates)?;
        Ok::<_, ApiError>(MonitorResponse {
            model: ModelRef { name: model.name.clone(), version: model.version.clone() },
            store,
            period: period(query.since.as_deref(), query.until.as_deref()),
            newest,
            report,
            rules,
            challengers,
        })
    })
    .await??;
    Ok(Json(response))
}

/// Runs `f` (a report) on a thread of its own at the log writer's lower CPU priority: under
/// load, scoring and logging come first. Not on tokio's blocking pool, whose threads are reused
/// and could not get their priority back.
pub async fn in_background<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("leadscore-monitor".into())
        .spawn(move || {
            if let Err(e) = leadscore_store::writer::lower_priority() {
                tracing::debug!(error = %e, "monitor: the report keeps the server's CPU priority");
            }
            let _ = tx.send(f());
        })
        .map_err(|e| ApiError::Internal(format!("starting the monitor's thread: {e}")))?;
    rx.await.map_err(|_| ApiError::Internal("the monitor's report failed without an answer".into()))
}

/// A report is recomputed for a page view only once it is older than this many times what it
/// took to compute: whatever the log's size and however many people look, pages spend at most
/// about a twentieth of one core on the monitor, and a small log is always shown up to date.
pub const PAGE_COST_FACTOR: u32 = 20;

/// One version's last all-time report.
#[derive(Debug)]
pub struct Latest {
    /// The report.
    pub report: MonitorReport,
    /// The rules beside the model, when the rows carry rule points.
    pub rules: Option<PairedComparison>,
    /// The versions shadowed beside it.
    pub challengers: Vec<ShadowReport>,
    /// Bootstrap replicates of its intervals.
    pub replicates: u32,
    /// When the log holds more than `--monitor-rows` scorings: the newest, which it covers.
    pub newest: Option<NewestRows>,
    /// When it was computed, for people.
    pub at: SystemTime,
    /// How long it took, reading the log included.
    pub took: Duration,
    computed: Instant,
}

/// The newest scorings a report covers, when its period holds more than `--monitor-rows`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct NewestRows {
    /// How many.
    pub rows: u64,
    /// When the first of them was scored (Unix ms).
    pub since_ms: i64,
}

impl Latest {
    /// Whether a page may show it as it is (see [`PAGE_COST_FACTOR`]); a report with fewer
    /// replicates than a page's intervals need is never fresh.
    pub fn fresh_for_page(&self) -> bool {
        self.replicates >= DEFAULT_REPLICATES && self.computed.elapsed() < self.took * PAGE_COST_FACTOR
    }
}

/// The last all-time report of each served model version: the drift gauges of `/metrics` and
/// the dashboard's "In production" section.
#[derive(Debug, Default)]
pub struct LatestReports {
    by_model: Mutex<BTreeMap<(String, String), Arc<Latest>>>,
    /// Held while a page computes a report, so that concurrent views compute it once.
    computing: tokio::sync::Mutex<()>,
}

impl LatestReports {
    fn keep(&self, model: &LoadedModel, latest: Latest) {
        if let Ok(mut m) = self.by_model.lock() {
            m.insert((model.name.clone(), model.version.clone()), Arc::new(latest));
        }
    }

    /// The last all-time report of `model`, if one was computed.
    pub fn get(&self, model: &LoadedModel) -> Option<Arc<Latest>> {
        let m = self.by_model.lock().ok()?;
        m.get(&(model.name.clone(), model.version.clone())).cloned()
    }

    /// The drift lines of the Prometheus exposition.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let Ok(m) = self.by_model.lock() else { return };
        let challengers: Vec<(&(String, String), &ShadowReport)> =
            m.iter().flat_map(|(k, l)| l.challengers.iter().map(move |c| (k, c))).collect();
        let m: Vec<(&(String, String), &MonitorReport)> = m.iter().map(|(k, l)| (k, &l.report)).collect();
        let num = |x: Option<f64>| x.map_or_else(|| "NaN".to_owned(), |v| v.to_string());
        out.push_str("# HELP leadscore_monitor_leads Logged leads of the last all-time monitor report (at most the newest --monitor-rows), scored and with an outcome.\n# TYPE leadscore_monitor_leads gauge\n");
        for ((name, version), g) in &m {
            let _ = writeln!(
                out,
                "leadscore_monitor_leads{{model=\"{name}\",version=\"{version}\",kind=\"scored\"}} {}",
                g.n_scored
            );
            let _ = writeln!(
                out,
                "leadscore_monitor_leads{{model=\"{name}\",version=\"{version}\",kind=\"outcome\"}} {}",
                g.n_outcomes
            );
        }
        out.push_str(
            "# HELP leadscore_live_auc AUC on logged leads with an outcome.\n# TYPE leadscore_live_auc gauge\n",
        );
        for ((name, version), g) in &m {
            let auc = g.outcomes.as_ref().and_then(|o| o.figures.auc.value);
            let _ = writeln!(out, "leadscore_live_auc{{model=\"{name}\",version=\"{version}\"}} {}", num(auc));
        }
        out.push_str("# HELP leadscore_shadow_agreement A challenger against the version it shadows on the same live leads: rank (Spearman) and the share of the same MQL calls.\n# TYPE leadscore_shadow_agreement gauge\n");
        for ((name, version), c) in &challengers {
            for (kind, value) in [("rank", c.agreement.rank), ("mql", c.agreement.mql)] {
                let _ = writeln!(
                    out,
                    "leadscore_shadow_agreement{{model=\"{name}\",version=\"{version}\",challenger=\"{}\",kind=\"{kind}\"}} {}",
                    c.challenger,
                    num(value)
                );
            }
        }
        out.push_str("# HELP leadscore_shadow_live_auc Live AUC of a version and of the challenger shadowing it, on the same leads with an outcome.\n# TYPE leadscore_shadow_live_auc gauge\n");
        for ((name, version), c) in &challengers {
            let auc = c.outcomes.as_ref().map(|o| o.auc);
            for (which, value) in [("champion", auc.and_then(|a| a.a)), ("challenger", auc.and_then(|a| a.b))] {
                let _ = writeln!(
                    out,
                    "leadscore_shadow_live_auc{{model=\"{name}\",version=\"{version}\",challenger=\"{}\",side=\"{which}\"}} {}",
                    c.challenger,
                    num(value)
                );
            }
        }
        out.push_str("# HELP leadscore_drift_psi PSI of the score and of each feature against training (feature=\"\" is the score).\n# TYPE leadscore_drift_psi gauge\n");
        for ((name, version), g) in &m {
            let _ = writeln!(
                out,
                "leadscore_drift_psi{{model=\"{name}\",version=\"{version}\",feature=\"\"}} {}",
                num(g.score_drift.psi)
            );
            for f in &g.features {
                let _ = writeln!(
                    out,
                    "leadscore_drift_psi{{model=\"{name}\",version=\"{version}\",feature=\"{}\"}} {}",
                    f.feature,
                    num(f.psi.psi)
                );
            }
        }
        out.push_str("# HELP leadscore_drift_flagged Whether the drift is flagged (PSI above 0.1 on enough leads).\n# TYPE leadscore_drift_flagged gauge\n");
        for ((name, version), g) in &m {
            let _ = writeln!(
                out,
                "leadscore_drift_flagged{{model=\"{name}\",version=\"{version}\",feature=\"\"}} {}",
                u8::from(g.score_drift.flagged)
            );
            for f in &g.features {
                let _ = writeln!(
                    out,
                    "leadscore_drift_flagged{{model=\"{name}\",version=\"{version}\",feature=\"{}\"}} {}",
                    f.feature,
                    u8::from(f.psi.flagged)
                );
            }
        }
    }
}

/// The last all-time report of `model` for a page: the kept one while
/// [`Latest::fresh_for_page`], else one computed now (one computation at a time; a view that
/// waited for another's takes its result). With the error of a failed computation, beside the
/// report kept before it, if any.
pub async fn for_page(state: &AppState, model: &Arc<LoadedModel>) -> (Option<Arc<Latest>>, Option<String>) {
    let reports = state.reports();
    if let Some(latest) = reports.get(model).filter(|l| l.fresh_for_page()) {
        return (Some(latest), None);
    }
    let _computing = reports.computing.lock().await;
    if let Some(latest) = reports.get(model).filter(|l| l.fresh_for_page()) {
        return (Some(latest), None);
    }
    let (s, m) = (state.clone(), model.clone());
    let result = in_background(move || report(&s, &m, None, None, DEFAULT_REPLICATES)).await;
    let error = match result {
        Ok(Ok(_)) => None,
        Ok(Err(e)) | Err(e) => Some(e.to_string()),
    };
    (reports.get(model), error)
}

/// Recomputes the default model's all-time report every `every` (zero: never), so that
/// `/metrics` shows drift without anyone calling `/v1/monitor`, and the dashboard finds it ready.
pub async fn refresh(state: AppState, every: std::time::Duration) {
    if every.is_zero() || state.log().is_none() {
        return;
    }
    loop {
        tokio::time::sleep(every).await;
        let Some(model) = state.models().get(None, None) else { continue };
        let s = state.clone();
        let result = in_background(move || report(&s, &model, None, None, DEFAULT_REPLICATES)).await;
        if let Ok(Err(e)) | Err(e) = result {
            tracing::warn!(error = %e, "monitor report not refreshed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use leadscore_core::value::RawValue;

    use super::*;
    use crate::log::{LogSettings, Scoring};
    use crate::ServeConfig;

    /// The shipped models, logging into `dir`.
    fn logging_state(dir: &Path) -> AppState {
        logging_state_keeping(dir, crate::log::MONITOR_ROWS)
    }

    /// [`logging_state`], each monitor report reading at most `monitor_rows` scorings.
    fn logging_state_keeping(dir: &Path, monitor_rows: u64) -> AppState {
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let store = dir.join("log.db").to_string_lossy().into_owned();
        let config = ServeConfig {
            models,
            watch_interval: Duration::ZERO,
            log: Some(LogSettings { monitor_rows, ..LogSettings::new(store) }),
            ..ServeConfig::default()
        };
        AppState::start(config).unwrap()
    }

    /// Logs `n` leads `L0`, `L1`, ... with `model`, one millisecond apart from `first_ms`.
    fn log_leads(state: &AppState, model: &LoadedModel, n: usize, first_ms: i64) {
        let log = state.log().unwrap();
        for i in 0..n {
            let scoring = Scoring {
                lead_id: format!("L{i}"),
                probability: 0.4,
                score: 40,
                tier: "B",
                threshold: 0.3,
                rules: None,
            };
            assert!(log.record(model, None, first_ms + i as i64, scoring, |_| RawValue::Missing));
        }
        assert!(log.flush(Duration::from_secs(10)));
    }

    #[tokio::test]
    async fn a_report_covers_at_most_the_newest_monitor_rows_of_its_period() {
        let dir = tempfile::tempdir().unwrap();
        let state = logging_state_keeping(dir.path(), 3);
        let model = state.models().get(None, None).unwrap();
        log_leads(&state, &model, 5, 1_000);
        let (kept, error) = for_page(&state, &model).await;
        let kept = kept.unwrap();
        assert_eq!((kept.report.n_scored, error), (3, None));
        assert_eq!(kept.newest, Some(NewestRows { rows: 3, since_ms: 1_002 }));
        // A period: its newest three of four, then all of two.
        let (s, m) = (state.clone(), model.clone());
        let four = in_background(move || report(&s, &m, Some(1_000), Some(1_004), 10)).await.unwrap().unwrap();
        assert_eq!((four.report.n_scored, four.newest), (3, Some(NewestRows { rows: 3, since_ms: 1_001 })));
        let (s, m) = (state.clone(), model.clone());
        let two = in_background(move || report(&s, &m, Some(1_001), Some(1_003), 10)).await.unwrap().unwrap();
        assert_eq!((two.report.n_scored, two.newest), (2, None));
        // A period's report is not kept; an all-time one is.
        assert_eq!(state.reports().get(&model).unwrap().replicates, DEFAULT_REPLICATES);
        let (s, m) = (state.clone(), model.clone());
        in_background(move || report(&s, &m, None, None, 10)).await.unwrap().unwrap();
        assert_eq!(state.reports().get(&model).unwrap().replicates, 10);
    }

    #[tokio::test]
    async fn a_report_runs_at_the_writers_lower_priority() {
        let nice = in_background(|| rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap())
            .await
            .unwrap();
        assert!(nice >= leadscore_store::writer::NICE, "the report ran at nice {nice}");
    }

    /// `latest` as if computing it had taken `took`.
    fn taking(latest: &Latest, took: Duration, replicates: u32) -> Latest {
        Latest {
            report: latest.report.clone(),
            rules: latest.rules.clone(),
            challengers: latest.challengers.clone(),
            replicates,
            newest: latest.newest,
            at: latest.at,
            took,
            computed: Instant::now(),
        }
    }

    #[tokio::test]
    async fn a_page_recomputes_the_report_only_once_it_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let state = logging_state(dir.path());
        let model = state.models().get(None, None).unwrap();
        let (first, error) = for_page(&state, &model).await;
        let first = first.unwrap();
        assert_eq!((first.report.n_scored, error), (0, None));

        // A lead is logged after the report was computed.
        let log = state.log().unwrap();
        let scoring =
            Scoring { lead_id: "L1".into(), probability: 0.4, score: 40, tier: "B", threshold: 0.3, rules: None };
        assert!(log.record(&model, None, leadscore_store::row::now_ms(), scoring, |_| RawValue::Missing));
        assert!(log.flush(Duration::from_secs(10)));

        // A report that took an hour to compute is fresh for twenty: the page shows it as it is.
        state.reports().keep(&model, taking(&first, Duration::from_secs(3600), DEFAULT_REPLICATES));
        let (kept, _) = for_page(&state, &model).await;
        assert_eq!(kept.unwrap().report.n_scored, 0, "not recomputed while fresh");
        // Fresh, but with fewer replicates than a page's intervals need: recomputed.
        state.reports().keep(&model, taking(&first, Duration::from_secs(3600), 1));
        let (recomputed, _) = for_page(&state, &model).await;
        let recomputed = recomputed.unwrap();
        assert_eq!((recomputed.report.n_scored, recomputed.replicates), (1, DEFAULT_REPLICATES));
        // Stale (it took no time at all): recomputed, and kept for /metrics too.
        state.reports().keep(&model, taking(&first, Duration::ZERO, DEFAULT_REPLICATES));
        let (stale, _) = for_page(&state, &model).await;
        assert_eq!(stale.unwrap().report.n_scored, 1);
        let mut metrics = String::new();
        state.reports().render(&mut metrics);
        assert!(
            metrics.contains("leadscore_monitor_leads{model=\"leads\",version=\"v1\",kind=\"scored\"} 1"),
            "{metrics}"
        );
    }
}
