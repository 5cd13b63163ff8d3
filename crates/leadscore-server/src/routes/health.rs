//! Health, readiness, metrics, reload and the OpenAPI document.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use leadscore_core::value::RawValue;

use crate::api::{Health, ModelRef, RefusedFile, ReloadResponse, StoreHealth};
use crate::error::{ApiError, Problem};
use crate::state::AppState;

/// Alive: the process answers.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)), tag = "operations")]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok".into(), model: None, store: None })
}

/// Ready: a model is loaded and scores a probe lead. With the prediction log on, `store` says
/// whether it is writing (`ok`) or `degraded` (still ready: scoring does not need the log).
#[utoipa::path(
    get,
    path = "/readyz",
    responses((status = 200, body = Health), (status = 503, body = Problem, content_type = "application/problem+json")),
    tag = "operations"
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let model = state.select(None, None)?;
    let probe = model.artifact.score(|_| RawValue::Missing).map_err(|e| ApiError::Internal(e.to_string()))?;
    if !probe.probability.is_finite() {
        return Err(ApiError::Internal("probe lead gave a non-finite probability".into()));
    }
    Ok(Json(Health {
        status: "ok".into(),
        model: Some(ModelRef { name: model.name.clone(), version: model.version.clone() }),
        store: state.log().map(|log| {
            let s = log.stats();
            StoreHealth {
                status: if s.healthy { "ok" } else { "degraded" }.into(),
                location: log.location().to_owned(),
                written: s.written,
                dropped: s.dropped(),
                last_error: s.last_error.filter(|_| !s.healthy),
            }
        }),
    }))
}

/// Prometheus metrics.
#[utoipa::path(
    get,
    path = "/metrics",
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "operations"
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics().render();
    state.uploads().render_metrics(&mut text);
    if let Some(log) = state.log() {
        log.render_metrics(&mut text);
        state.reports().render(&mut text);
    }
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
}

/// Rescans the registry now (also done on SIGHUP and by the watcher).
#[utoipa::path(
    post,
    path = "/v1/admin/reload",
    responses(
        (status = 200, body = ReloadResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    ),
    tag = "operations"
)]
pub async fn reload(State(state): State<AppState>) -> Result<Json<ReloadResponse>, ApiError> {
    let s = state.clone();
    let report =
        tokio::task::spawn_blocking(move || s.reload()).await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let set = state.models();
    let model = set.get(None, None).map(|m| ModelRef { name: m.name.clone(), version: m.version.clone() });
    Ok(Json(ReloadResponse {
        loaded: report.loaded,
        // Everything refused now, including files refused before with the same content.
        refused: set.failures.iter().map(RefusedFile::from).collect(),
        changed: report.changed,
        model,
    }))
}

/// The OpenAPI 3.1 document of this API.
pub async fn openapi() -> Response {
    use utoipa::OpenApi;
    let json = crate::ApiDoc::openapi().to_json().unwrap_or_default();
    (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], json).into_response()
}
