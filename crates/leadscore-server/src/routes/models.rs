//! `GET /v1/models`, `GET /v1/models/{name}`, `GET /v1/thresholds`.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::Json;

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::api::{ModelCard, ModelList, ModelRef, ThresholdRequest, ThresholdResult, ThresholdsResponse};
use crate::error::{ApiError, Problem};
use crate::extract::Selected;
use crate::state::AppState;

/// Lists the models, their versions and any refused files.
#[utoipa::path(
    get,
    path = "/v1/models",
    responses((status = 200, body = ModelList), (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json")),
    tag = "models"
)]
pub async fn list(State(state): State<AppState>) -> Json<ModelList> {
    Json(ModelList::of(&state.models()))
}

/// The card of one model (`?version=` for another version than `CURRENT`).
#[utoipa::path(
    get,
    path = "/v1/models/{name}",
    params(("name" = String, Path, description = "Model name"), ("version" = Option<String>, Query, description = "Version folder")),
    responses(
        (status = 200, body = ModelCard),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    tag = "models"
)]
pub async fn card(
    State(state): State<AppState>,
    Path(name): Path<String>,
    query: Result<Query<BTreeMap<String, String>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let model = state.select(Some(&name), query.get("version").map(String::as_str))?;
    // The card borrows the model: written out here, while the snapshot is held.
    let json = serde_json::to_vec(&ModelCard::of(&model)).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// Suggested MQL thresholds, or one strategy computed from the stored held-out curve:
/// `strategy=capacity&mql_rate=0.2`, `strategy=capacity&leads_per_week=200&weekly_volume=1500`,
/// `strategy=precision&target=0.3`, `strategy=recall&target=0.8`, `strategy=expected_value&cost=50&value=4000`,
/// `strategy=fixed&value=0.4`, `strategy=max_f1`, `strategy=youden`.
#[utoipa::path(
    get,
    path = "/v1/thresholds",
    params(
        ("model" = Option<String>, Query, description = "Model name"),
        ("version" = Option<String>, Query, description = "Version folder"),
        ("strategy" = Option<String>, Query, description = "fixed, max_f1, youden, capacity, precision, recall, expected_value"),
        ("mql_rate" = Option<f64>, Query, description = "capacity: share of leads"),
        ("leads_per_week" = Option<f64>, Query, description = "capacity: leads sales can work per week"),
        ("weekly_volume" = Option<f64>, Query, description = "capacity: leads arriving per week"),
        ("target" = Option<f64>, Query, description = "precision or recall target"),
        ("cost" = Option<f64>, Query, description = "expected_value: cost of a sales touch"),
        ("value" = Option<f64>, Query, description = "expected_value: value of a won deal; fixed: the threshold"),
    ),
    responses(
        (status = 200, body = ThresholdsResponse),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    tag = "models"
)]
pub async fn thresholds(
    Selected { query, model }: Selected<BTreeMap<String, String>>,
) -> Result<Json<ThresholdsResponse>, ApiError> {
    let thresholds = match ThresholdRequest::from_query(&query)? {
        Some(request) => vec![request.resolve(&model.artifact).map_err(|e| match e {
            ApiError::BadRequest(m) => ApiError::BadQuery(m),
            other => other,
        })?],
        None => model.artifact.thresholds.iter().map(ThresholdResult::from).collect(),
    };
    Ok(Json(ThresholdsResponse {
        model: ModelRef { name: model.name.clone(), version: model.version.clone() },
        thresholds,
    }))
}
