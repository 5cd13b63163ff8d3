//! `POST /v1/admin/models/{name}/promote` and `/rollback`: `leadscore promote` and `leadscore
//! rollback` over HTTP.
//!
//! Both call the registry's own [`Registry::promote`] and [`Registry::rollback`], the functions
//! the CLI calls: the gate's comparison is the one stored in the candidate's card, judged by the
//! policy stored with it at the current version's age (the server does not link the trainer and
//! never compares anything itself), `CURRENT` moves under the model's
//! lock by a rename, and the change is appended to `HISTORY.jsonl` as `http promote` or `http
//! rollback`. The server then reloads at once instead of waiting for its watcher, so the answer
//! names the version it serves from now on.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use leadscore_registry::{Change, Registry};

use crate::api::{AliasChangeResponse, GateFigures, PromoteRequest};
use crate::error::{ApiError, Problem};
use crate::extract::{parse_json, read_body, JsonBody, Media};
use crate::state::AppState;

/// The history's command of a change made through these routes.
const PROMOTE_COMMAND: &str = "http promote";
/// The history's command of a rollback made through these routes.
const ROLLBACK_COMMAND: &str = "http rollback";

impl JsonBody for PromoteRequest {
    const SHAPE: &'static str = "an object with `version` (a string such as \"v2\") and optional `force` (a boolean)";
}

/// Makes a version of a model current if the promotion gate passed it against the current
/// version (or with `force`), as `leadscore promote` does; the server serves it on return.
#[utoipa::path(
    post,
    path = "/v1/admin/models/{name}/promote",
    params(("name" = String, Path, description = "Model name", example = "leads")),
    request_body(content((PromoteRequest = "application/json"))),
    responses(
        (status = 200, description = "The version is current and served", body = AliasChangeResponse),
        (status = 400, description = "Invalid JSON or request shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key, or the server has no admin keys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The gate refused the version (its figures in `gate`), its file cannot serve, or the model is locked", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server cannot read or write the registry", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "operations"
)]
pub async fn promote(
    State(state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<AliasChangeResponse>, ApiError> {
    admin_configured(&state)?;
    Media::of(&headers)?.json_only()?;
    let bytes = read_body(body, state.config().max_body_bytes).await?;
    let request: PromoteRequest = parse_json(&bytes)?;
    change(state, name, move |registry, name| {
        let change = registry.promote(name, &request.version, request.force, PROMOTE_COMMAND)?;
        // The figures of the gate that judged it against the version it replaced (at that
        // version's age now), if one did.
        let gate = change.record.as_ref().map(GateFigures::from);
        Ok((change, gate))
    })
    .await
}

/// Makes the version current before the latest change of `CURRENT` current again, as
/// `leadscore rollback` does; the server serves it on return.
#[utoipa::path(
    post,
    path = "/v1/admin/models/{name}/rollback",
    params(("name" = String, Path, description = "Model name", example = "leads")),
    responses(
        (status = 200, description = "The previous version is current and served", body = AliasChangeResponse),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin key, or the server has no admin keys", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No earlier version recorded to roll back to, its file cannot serve, or the model is locked", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server cannot read or write the registry", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "operations"
)]
pub async fn rollback(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<AliasChangeResponse>, ApiError> {
    admin_configured(&state)?;
    change(state, name, |registry, name| Ok((registry.rollback(name, ROLLBACK_COMMAND)?, None))).await
}

/// Authentication lets every request through when no key is configured (a server on a
/// laptop): moving what serves needs an admin to have been named, whatever the other routes
/// allow.
fn admin_configured(state: &AppState) -> Result<(), ApiError> {
    if state.config().admin_keys.is_empty() {
        return Err(ApiError::AdminKeysRequired);
    }
    Ok(())
}

/// The longest an admin change waits for another change of the same model: a change holds the
/// lock for milliseconds, so a lock held longer is answered 409 well within the request timeout.
const LOCK_WAIT: Duration = Duration::from_secs(5);

/// Runs a registry change off the async workers (file locks, syncs, renames), reloads, and
/// says what is current and served.
async fn change<F>(state: AppState, name: String, apply: F) -> Result<Json<AliasChangeResponse>, ApiError>
where
    F: FnOnce(&Registry, &str) -> Result<(Change, Option<GateFigures>), ApiError> + Send + 'static,
{
    let wait = LOCK_WAIT.min(state.config().request_timeout / 2);
    let worker = state.clone();
    tokio::task::spawn_blocking(move || {
        let registry = Registry::new(&worker.config().models).with_lock_wait(wait);
        let (change, gate) = apply(&registry, &name)?;
        // At once, not on the watcher's next tick: the answer names what serves now.
        worker.reload();
        let served = worker.models().models.get(&name).and_then(|m| m.current.clone());
        let entry = change.entry.as_ref();
        let response = AliasChangeResponse {
            previous: entry.map_or_else(|| Some(change.current.clone()), |e| e.from.clone()),
            changed: entry.is_some(),
            command: entry.map(|e| e.command.clone()),
            at: entry.map(|e| e.at.clone()),
            current: change.current,
            served,
            gate,
            model: name,
        };
        if response.changed {
            tracing::info!(model = %response.model, from = ?response.previous, to = %response.current, command = ?response.command, "CURRENT changed over HTTP");
        }
        Ok(Json(response))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}
