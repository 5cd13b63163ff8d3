//! `GET /`: the dashboard page for marketers (built by `leadscore-html`).
//!
//! Built per request from the snapshot the request holds, so a reload or a
//! newly posted comparison shows on the next page load. No lead data goes in:
//! the model's figures come from the artifact's held-out curve, and the "In
//! production" section from the monitor's report of the prediction log, the
//! one kept for `/metrics` ([`crate::routes::monitor::for_page`] says when a
//! view recomputes it).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadscore_core::monitor::daily::day_of_unix_ms;
use leadscore_core::value::format_day;
use leadscore_html::dashboard::{dashboard_html, Dashboard, Production};
use leadscore_html::monitor::Live;

use crate::error::{ApiError, Problem};
use crate::extract::{ModelQuery, Selected};
use crate::routes::monitor::{for_page, Latest};
use crate::state::AppState;

/// The dashboard: the model card in plain words, an MQL threshold slider, the model in
/// production (from the prediction log), the held-out charts, and the rules' figures when a
/// comparison is known.
#[utoipa::path(
    get,
    path = "/",
    params(ModelQuery),
    responses(
        (status = 200, description = "The dashboard page (self-contained HTML)", body = String, content_type = "text/html"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model or version", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No model loaded", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "models"
)]
pub async fn dashboard(
    State(state): State<AppState>,
    Selected { model, .. }: Selected<ModelQuery>,
) -> Result<Response, ApiError> {
    let comparison = state.comparison();
    let (rules, rules_problem) = match &model.rules {
        Some(Ok(set)) => (Some(set.as_ref()), None),
        Some(Err(reason)) => (None, Some(reason.as_str())),
        None => (None, None),
    };
    let (latest, problem) = match state.log() {
        Some(_) => for_page(&state, &model).await,
        None => (None, None),
    };
    let as_of = latest.as_ref().map(|l| as_of(l, problem.as_deref()));
    let production = match (&latest, state.log(), &as_of) {
        (Some(latest), _, Some(as_of)) => Production::Live {
            live: Live {
                report: &latest.report,
                rules: latest.rules.as_ref(),
                rules_name: rules.map(|set| set.name.as_deref().unwrap_or("rules")),
                challengers: &latest.challengers,
            },
            as_of,
        },
        (_, None, _) => Production::NotLogging,
        _ => Production::Unreadable(problem.as_deref().unwrap_or("no report could be computed")),
    };
    let html = dashboard_html(&Dashboard {
        artifact: &model.artifact,
        name: &model.name,
        version: &model.version,
        rules,
        rules_problem,
        comparison: comparison.as_deref(),
        production,
    });
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// When `latest` was computed, in words, and the problem that kept it from being recomputed.
fn as_of(latest: &Latest, problem: Option<&str>) -> String {
    let ms = latest.at.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let when = time_of_day(ms);
    let age = SystemTime::now().duration_since(latest.at).map_or(0, |d| d.as_secs());
    let mut text = format!("as of {when} ({age} s ago, computed in {} ms)", latest.took.as_millis());
    if let Some(newest) = latest.newest {
        text.push_str(&format!(
            ", over the newest {} scorings (since {})",
            leadscore_html::report::count(newest.rows),
            time_of_day(newest.since_ms)
        ));
    }
    if let Some(problem) = problem {
        text.push_str(&format!("; the log could not be read since: {problem}"));
    }
    text
}

/// `ms` (Unix) as `YYYY-MM-DD HH:MM:SS UTC`.
fn time_of_day(ms: i64) -> String {
    let seconds = ms.rem_euclid(86_400_000) / 1000;
    format!("{} {:02}:{:02}:{:02} UTC", format_day(day_of_unix_ms(ms)), seconds / 3600, seconds / 60 % 60, seconds % 60)
}
