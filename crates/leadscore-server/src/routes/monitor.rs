//! `GET /v1/monitor`: one model version in production, from the prediction log.
//!
//! The same report as `leadscore monitor --json` (`leadscore_store::monitor::report` over the
//! version's logged rows): traffic and MQL rate per day against the held-out curve, outcomes,
//! calibration by tier and decile, live AUC, log loss and Brier with bootstrap intervals, and the
//! drift of the score and of every feature against the artifact's training distributions, each
//! flagged only past the sample size where the flag means something. The drift figures of the
//! default model are also kept for `/metrics` ([`DriftGauges`]), refreshed by each call and by
//! [`refresh_drift`] in the background.

use std::sync::Mutex;

use axum::extract::State;
use axum::Json;
use leadscore_core::monitor::MonitorReport;
use leadscore_store::Filter;
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
    pub since: Option<String>,
    /// Last day (`YYYY-MM-DD`, UTC), included.
    pub until: Option<String>,
    /// Bootstrap replicates of the intervals (1 to 10,000; default 200).
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
    /// The report: `n_scored`, `n_outcomes`, `n_won`, `days`, `score_drift`, `features`,
    /// `drifted`, `outcomes` (as `leadscore monitor --json`).
    #[schema(value_type = Object)]
    pub report: MonitorReport,
}

fn period(since: Option<&str>, until: Option<&str>) -> String {
    match (since, until) {
        (None, None) => "all time".into(),
        (Some(s), None) => format!("since {s}"),
        (None, Some(u)) => format!("until {u}"),
        (Some(s), Some(u)) => format!("{s} to {u}"),
    }
}

/// The report of `model` over its logged rows in the period. Blocking.
pub fn report(
    state: &AppState,
    model: &LoadedModel,
    since_ms: Option<i64>,
    until_ms: Option<i64>,
    replicates: u32,
) -> Result<MonitorReport, ApiError> {
    let log = state.log().ok_or(ApiError::NoLog)?;
    let filter = Filter {
        model: model.name.clone(),
        version: Some(model.version.clone()),
        shadow: Some(false),
        since_ms,
        until_ms,
    };
    let rows = log.read(|store| store.rows(&filter)).map_err(ApiError::Store)?;
    let report = leadscore_store::monitor::report(&model.artifact, &rows, replicates, model.artifact.training.seed)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    state.drift().keep(model, since_ms.is_none() && until_ms.is_none(), &report);
    Ok(report)
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
    let response = tokio::task::spawn_blocking(move || {
        let report = report(&state, &model, since_ms, until_ms, replicates)?;
        Ok::<_, ApiError>(MonitorResponse {
            model: ModelRef { name: model.name.clone(), version: model.version.clone() },
            store,
            period: period(query.since.as_deref(), query.until.as_deref()),
            report,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(response))
}

/// The drift figures `/metrics` exports: those of the last all-time report of each served
/// model version.
#[derive(Debug, Default)]
pub struct DriftGauges {
    by_model: Mutex<std::collections::BTreeMap<(String, String), Gauges>>,
}

#[derive(Debug, Clone)]
struct Gauges {
    n_scored: u64,
    n_outcomes: u64,
    score_psi: Option<f64>,
    score_flagged: bool,
    features: Vec<(String, Option<f64>, bool)>,
    live_auc: Option<f64>,
}

impl DriftGauges {
    /// Keeps `report`'s figures for `model` (only an all-time report: a period's figures would
    /// make the gauges jump with whoever asked last).
    pub fn keep(&self, model: &LoadedModel, all_time: bool, report: &MonitorReport) {
        if !all_time {
            return;
        }
        let gauges = Gauges {
            n_scored: report.n_scored,
            n_outcomes: report.n_outcomes,
            score_psi: report.score_drift.psi,
            score_flagged: report.score_drift.flagged,
            features: report.features.iter().map(|f| (f.feature.clone(), f.psi.psi, f.psi.flagged)).collect(),
            live_auc: report.outcomes.as_ref().and_then(|o| o.figures.auc.value),
        };
        if let Ok(mut m) = self.by_model.lock() {
            m.insert((model.name.clone(), model.version.clone()), gauges);
        }
    }

    /// The drift lines of the Prometheus exposition.
    pub fn render(&self, out: &mut String) {
        use std::fmt::Write;
        let Ok(m) = self.by_model.lock() else { return };
        let num = |x: Option<f64>| x.map_or_else(|| "NaN".to_owned(), |v| v.to_string());
        out.push_str("# HELP leadscore_monitor_leads Logged leads of the last monitor report, scored and with an outcome.\n# TYPE leadscore_monitor_leads gauge\n");
        for ((name, version), g) in m.iter() {
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
        for ((name, version), g) in m.iter() {
            let _ = writeln!(out, "leadscore_live_auc{{model=\"{name}\",version=\"{version}\"}} {}", num(g.live_auc));
        }
        out.push_str("# HELP leadscore_drift_psi PSI of the score and of each feature against training (feature=\"\" is the score).\n# TYPE leadscore_drift_psi gauge\n");
        for ((name, version), g) in m.iter() {
            let _ = writeln!(
                out,
                "leadscore_drift_psi{{model=\"{name}\",version=\"{version}\",feature=\"\"}} {}",
                num(g.score_psi)
            );
            for (feature, psi, _) in &g.features {
                let _ = writeln!(
                    out,
                    "leadscore_drift_psi{{model=\"{name}\",version=\"{version}\",feature=\"{feature}\"}} {}",
                    num(*psi)
                );
            }
        }
        out.push_str("# HELP leadscore_drift_flagged Whether the drift is flagged (PSI above 0.1 on enough leads).\n# TYPE leadscore_drift_flagged gauge\n");
        for ((name, version), g) in m.iter() {
            let _ = writeln!(
                out,
                "leadscore_drift_flagged{{model=\"{name}\",version=\"{version}\",feature=\"\"}} {}",
                u8::from(g.score_flagged)
            );
            for (feature, _, flagged) in &g.features {
                let _ = writeln!(
                    out,
                    "leadscore_drift_flagged{{model=\"{name}\",version=\"{version}\",feature=\"{feature}\"}} {}",
                    u8::from(*flagged)
                );
            }
        }
    }
}

/// Recomputes the default model's all-time report every `every`, so that `/metrics` shows drift
/// without anyone calling `/v1/monitor` (zero: never).
pub async fn refresh_drift(state: AppState, every: std::time::Duration) {
    if every.is_zero() || state.log().is_none() {
        return;
    }
    loop {
        tokio::time::sleep(every).await;
        let Some(model) = state.models().get(None, None) else { continue };
        let s = state.clone();
        let result = tokio::task::spawn_blocking(move || report(&s, &model, None, None, 1)).await;
        if let Ok(Err(e)) = result {
            tracing::warn!(error = %e, "drift gauges not refreshed");
        }
    }
}
