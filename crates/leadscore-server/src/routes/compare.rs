//! `POST /v1/compare`: the model against the server's points rules on labelled leads.
//!
//! The figures come from the core's `compare_leads`, the same code `leadscore
//! compare` runs on a CSV, so the answer is the document that command writes
//! as `compare.json` for the same leads. The latest comparison is kept for
//! the dashboard (`GET /`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadscore_core::compare::{compare_leads, CompareLabels, CompareOptions};
use leadscore_core::value::RawValue;
use serde_json::Value;

use crate::api::{CompareRequest, CompareResponse, ThresholdRequest};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{parse_json, read_body, read_leads, JsonBody, Media, ModelQuery, Selected};
use crate::lead::{read_lead, ParsedLead};
use crate::state::{AppState, LoadedModel};

/// Most disagreements listed each way.
pub const MAX_TOP: usize = 100;
/// Disagreements listed each way unless asked (as `leadscore compare`).
const DEFAULT_TOP: usize = 10;
/// Points doubling the odds in the points version unless asked (as `leadscore compare`).
const DEFAULT_POINTS_SCALE: f64 = 100.0;

impl JsonBody for CompareRequest<'_> {
    const SHAPE: &'static str = "an object with `leads` (an array of objects, each with its outcome), optional \
                                 `threshold` (an object with `strategy`), `top` (0 to 100) and `points_scale` (a \
                                 positive number)";
}

/// Compares the model with the server's rules on labelled leads.
#[utoipa::path(
    post,
    path = "/v1/compare",
    params(ModelQuery),
    request_body(content((CompareRequest = "application/json"))),
    responses(
        (status = 200, description = "The comparison, as `leadscore compare` writes it to compare.json", body = CompareResponse),
        (status = 400, description = "Invalid JSON or request shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model or version", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The server has no points rules (start it with --rules), or they do not fit this model", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many leads or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid leads: a field of the wrong type, a missing or unknown outcome", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No model loaded or timeout", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "scoring"
)]
pub async fn compare(
    State(state): State<AppState>,
    Selected { model, .. }: Selected<ModelQuery>,
    media: Media,
    body: Body,
) -> Result<Response, ApiError> {
    media.json_only()?;
    let bytes = read_body(body, state.config().max_body_bytes).await?;
    let worker = state.clone();
    // Thousands of leads scored three ways: off the async workers.
    let json = tokio::task::spawn_blocking(move || {
        let request: CompareRequest = parse_json(&bytes)?;
        let target = model.artifact.spec.target.column.as_str();
        let max = worker.config().max_leads;
        let leads = read_leads::<CompareRequest>(&bytes, request.leads, &model.fields, Some(target), max)?;
        let comparison = compare_json(&model, &request, &leads.leads)?;
        let json =
            serde_json::to_vec(&CompareResponse(comparison.clone())).map_err(|e| ApiError::Internal(e.to_string()))?;
        worker.set_comparison(Arc::new(comparison));
        Ok::<_, ApiError>(json)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The outcome of one lead, or why it cannot be read (never quoting the value).
fn outcome(model: &LoadedModel, index: usize, lead: &ParsedLead<'_>) -> Result<bool, FieldError> {
    let target = &model.artifact.spec.target;
    let fail = |reason: String| FieldError { lead: index, field: target.column.clone(), reason };
    // `read_leads` was asked to keep the target column.
    let text = match &lead.kept {
        None | Some(Value::Null) => return Err(fail("missing: every lead to compare needs its outcome".into())),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => return Err(fail("expected the outcome as a string or a number".into())),
    };
    target.label(&text).map_err(|e| match e {
        leadscore_core::Error::MissingTarget { .. } => fail("missing: every lead to compare needs its outcome".into()),
        _ => {
            let list = |l: &[String]| l.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
            fail(if target.negative.is_empty() {
                format!("is not a won label ({})", list(&target.positive))
            } else {
                format!(
                    "is neither a won label ({}) nor a lost label ({})",
                    list(&target.positive),
                    list(&target.negative)
                )
            })
        }
    })
}

/// Validates every lead (all errors, not the first), then compares.
fn compare_json(
    model: &LoadedModel,
    request: &CompareRequest<'_>,
    leads: &[ParsedLead<'_>],
) -> Result<leadscore_core::compare::Comparison, ApiError> {
    let rules = match &model.rules {
        None => {
            return Err(ApiError::NoRules(
                "the server has no points rules to compare with: start it with `--rules FILE` (or LEADSCORE_RULES)"
                    .into(),
            ))
        }
        Some(Err(reason)) => {
            return Err(ApiError::NoRules(format!(
                "the server's rules do not fit model {} {}: {}",
                model.name,
                model.version,
                reason.lines().next().unwrap_or_default()
            )))
        }
        Some(Ok(set)) => set,
    };
    let n = leads.len();
    let top = request.top.unwrap_or(DEFAULT_TOP);
    if top > MAX_TOP {
        return Err(ApiError::BadRequest(format!("top = {top}; use 0 to {MAX_TOP}")));
    }
    let points_scale = request.points_scale.unwrap_or(DEFAULT_POINTS_SCALE);
    if !(points_scale.is_finite() && points_scale > 0.0) {
        return Err(ApiError::BadRequest("points_scale must be a positive number".into()));
    }
    let threshold = ThresholdRequest::or_default(request.threshold.as_ref(), &model.artifact)?;
    let mut errors = Vec::new();
    let mut won = Vec::with_capacity(n);
    let read: Vec<_> = leads
        .iter()
        .enumerate()
        .map(|(i, lead)| {
            match outcome(model, i, lead) {
                Ok(w) => won.push(w),
                Err(e) => errors.push(e),
            }
            read_lead(i, lead, &model.fields, false, &mut errors)
        })
        .collect();
    if !errors.is_empty() {
        return Err(ApiError::InvalidLeads(errors));
    }
    let ids: Vec<String> = read
        .iter()
        .enumerate()
        .map(|(i, lead)| match &lead.id {
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(Value::Number(x)) => x.to_string(),
            _ => format!("lead {i}"),
        })
        .collect();
    let options = CompareOptions {
        model_threshold: threshold.value,
        model_threshold_name: threshold.strategy.clone(),
        top,
        factors: 3,
        holdout_only: false,
        points_scale: Some(points_scale),
    };
    let labels = CompareLabels {
        model: format!("{} {}", model.name, model.version),
        model_threshold_name: threshold.strategy,
        rules: rules.name.clone().unwrap_or_else(|| "rules".into()),
        data: format!("{n} leads posted to /v1/compare"),
    };
    compare_leads(&model.artifact, rules, options, labels, &won, &ids, |i, name| {
        read.get(i).map_or(RawValue::Missing, |lead| lead.value(&model.fields, name))
    })
    .map_err(|e| match e {
        // "no leads", "one outcome": about the request as a whole, and quoting no value.
        leadscore_core::Error::Compare(m) if !m.starts_with("lead ") => ApiError::BadRequest(m),
        _ => ApiError::BadRequest("the leads could not be compared: a value could not be read".into()),
    })
}
