//! `POST /v1/outcomes`: what became of logged leads, attached by id.
//!
//! The body is a JSON array, `[{"id": "L1", "outcome": "won", "closed_at": "2026-11-30"}]`.
//! `outcome` is read with the model's own target labels (`won`/`lost` for the shipped model;
//! `?model=` names another model's labels), or `true`/`false`. Posting the same outcomes again is
//! harmless (a later outcome of a lead replaces the earlier one); ids the log never scored are
//! counted and listed, not stored. Every bad item is reported at once (422, with its index), and
//! then nothing is stored.

use axum::body::Body;
use axum::extract::State;
use axum::Json;
use leadscore_store::{Outcome, OutcomeReport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{read_body, Media, NamesModel, Selected};
use crate::state::AppState;

/// How long an outcome waits for the rows queued before it (a lead scored a moment ago is in
/// the writer's queue, not yet in the store).
const FLUSH_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Query parameters of `POST /v1/outcomes`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OutcomesQuery {
    /// The model whose target labels read `outcome` (default: the server's default model).
    pub model: Option<String>,
}

impl NamesModel for OutcomesQuery {
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn version(&self) -> Option<&str> {
        None // outcomes are read with the model's labels, which every version of it shares
    }
}

/// One outcome.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"id": "L1", "outcome": "won", "closed_at": "2026-11-30"}))]
pub struct OutcomeItem {
    /// The lead's id as it was scored (string or number).
    #[schema(value_type = String)]
    pub id: Value,
    /// `won`/`lost` (the model's target labels) or `true`/`false`.
    #[schema(value_type = String)]
    pub outcome: Value,
    /// The day the deal closed, `YYYY-MM-DD` (optional).
    pub closed_at: Option<String>,
}

/// `POST /v1/outcomes` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesResponse {
    /// Outcomes received.
    pub received: u64,
    /// Stored (new, or replacing an earlier outcome of the same lead).
    pub stored: u64,
    /// Ids the log never scored: counted, not stored.
    pub unknown: u64,
    /// The first 100 unknown ids.
    pub unknown_ids: Vec<String>,
}

impl From<OutcomeReport> for OutcomesResponse {
    fn from(r: OutcomeReport) -> Self {
        OutcomesResponse { received: r.received, stored: r.stored, unknown: r.unknown, unknown_ids: r.unknown_ids }
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Stores outcomes of logged leads.
#[utoipa::path(
    post,
    path = "/v1/outcomes",
    params(OutcomesQuery),
    request_body(content = Vec<OutcomeItem>, content_type = "application/json"),
    responses(
        (status = 200, body = OutcomesResponse),
        (status = 400, description = "Invalid JSON or not an array", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many outcomes or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid outcomes (each with its index)", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No prediction log, or the store is down", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "monitoring"
)]
pub async fn outcomes(
    State(state): State<AppState>,
    Selected { model, .. }: Selected<OutcomesQuery>,
    media: Media,
    body: Body,
) -> Result<Json<OutcomesResponse>, ApiError> {
    media.json_only()?;
    if state.log().is_none() {
        return Err(ApiError::NoLog);
    }
    let bytes = read_body(body, state.config().max_body_bytes).await?;
    let items: Vec<serde_json::Map<String, Value>> = serde_json::from_slice(&bytes).map_err(|e| {
        if e.is_data() {
            ApiError::BadRequest(format!(
                "the body must be an array of objects with `id`, `outcome` and optional `closed_at` (line {}, column {})",
                e.line(),
                e.column()
            ))
        } else {
            ApiError::BadJson { line: e.line(), column: e.column(), message: "not valid JSON".into() }
        }
    })?;
    let max_items = state.config().max_leads;
    if items.is_empty() {
        return Err(ApiError::BadRequest(format!("no outcomes: send 1 to {max_items}")));
    }
    if items.len() > max_items {
        return Err(ApiError::TooManyLeads { n: items.len(), max: max_items });
    }
    let target = &model.artifact.spec.target;
    let mut errors = Vec::new();
    let mut outcomes = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut fail = |field: &str, reason: String| errors.push(FieldError { lead: i, field: field.into(), reason });
        if let Some(other) = item.keys().find(|k| !matches!(k.as_str(), "id" | "outcome" | "closed_at")) {
            fail(other, "not a field of an outcome (id, outcome, closed_at)".into());
            continue;
        }
        let Some(id) = item.get("id").and_then(text_of) else {
            fail("id", "expected the lead's id (a string or number)".into());
            continue;
        };
        let won = match item.get("outcome") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => match target.label(s) {
                Ok(won) => won,
                Err(_) => {
                    let labels = target.positive.iter().chain(&target.negative).cloned().collect::<Vec<_>>();
                    fail("outcome", format!("not one of the model's outcomes ({}) nor true/false", labels.join(", ")));
                    continue;
                }
            },
            _ => {
                fail("outcome", "expected the outcome (a string such as \"won\", or true/false)".into());
                continue;
            }
        };
        let closed_at = match item.get("closed_at") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                fail("closed_at", "expected a date string (YYYY-MM-DD)".into());
                continue;
            }
        };
        match Outcome::new(id.trim(), won, closed_at) {
            Ok(o) => outcomes.push(o),
            Err(leadscore_store::Error::Invalid { field, reason }) => fail(&field, reason),
            Err(other) => fail("id", other.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidLeads(errors));
    }
    let report = tokio::task::spawn_blocking(move || {
        let log = state.log().ok_or(ApiError::NoLog)?;
        // A lead scored just before its outcome is posted may still be on the queue.
        log.flush(FLUSH_WAIT);
        log.read(|store| store.upsert_outcomes(&outcomes, leadscore_store::row::now_ms())).map_err(ApiError::Store)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    if report.unknown > 0 {
        tracing::info!(unknown = report.unknown, stored = report.stored, "outcomes for leads the log never scored");
    }
    Ok(Json(report.into()))
}
