//! `GET /`: the dashboard page for marketers (built by `leadscore-html`).
//!
//! Built per request from the snapshot the request holds, so a reload or a
//! newly posted comparison shows on the next page load. No lead data goes in:
//! the model's figures come from the artifact's held-out curve.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadscore_html::dashboard::{dashboard_html, Dashboard};

use crate::error::{ApiError, Problem};
use crate::extract::{ModelQuery, Selected};
use crate::state::AppState;

/// The dashboard: the model card in plain words, an MQL threshold slider, the held-out charts,
/// and the rules' figures when a comparison is known.
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
    let html = dashboard_html(&Dashboard {
        artifact: &model.artifact,
        name: &model.name,
        version: &model.version,
        rules,
        rules_problem,
        comparison: comparison.as_deref(),
    });
    Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}
