//! `POST /v1/score`: JSON in and out, or CSV in and out, streamed.

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use leadscore_core::score::Scorer;
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::api::{Factor, LeadScore, RulePoints, ScoreRequest, ScoreResponse, Shared, DEFAULT_EXPLAIN, MAX_EXPLAIN};
use crate::error::{ApiError, FieldError, Problem};
use crate::extract::{read_body, read_score_body, JsonBody, Media, NamesModel, ScoreBody, Selected};
use crate::lead::read_lead;
use crate::log::{PredictionLog, Scoring};
use crate::shadow::Shadow;
use crate::state::{AppState, LoadedModel};

/// JSON bodies up to this size are parsed and scored on the async worker (a few leads:
/// microseconds); larger ones go to the blocking pool.
const INLINE_BODY_BYTES: usize = 16 * 1024;

/// Query parameters of `POST /v1/score`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoreQuery {
    /// Model name (default: the server's default model).
    pub model: Option<String>,
    /// Version folder, e.g. `v2` (default: the model's `CURRENT`).
    pub version: Option<String>,
    /// Strict mode (422 instead of a warning or a reading): fields the model does not use,
    /// values without their JSON type (a numeric field needs a JSON number, a flag true or
    /// false, a date a string), numbers far outside the training range. Without it, strings
    /// are read as CSV cells (`"15"`, `" 1e3 "`, `"yes"`, missing tokens).
    #[serde(default)]
    pub strict: bool,
}

impl NamesModel for ScoreQuery {
    fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }
    fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl JsonBody for ScoreRequest<'_> {
    const SHAPE: &'static str = "an object with `leads` (an array of objects), optional `explain` (0 to 50) and \
                                 optional `threshold` (an object with `strategy`)";
}

/// Scores leads.
#[utoipa::path(
    post,
    path = "/v1/score",
    params(ScoreQuery),
    request_body(content(
        (ScoreRequest = "application/json"),
        (String = "text/csv")
    )),
    responses(
        (status = 200, description = "Scores: JSON for a JSON request, CSV (one row per lead, an `error` cell for a bad row) for a CSV upload",
            content((ScoreResponse = "application/json"), (String = "text/csv"))),
        (status = 400, description = "Invalid JSON or request shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid API key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown model or version", body = Problem, content_type = "application/problem+json"),
        (status = 408, description = "A CSV upload sent too slowly before its header was read (--upload-timeout, --upload-min-rate)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Too many leads or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid leads", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No model loaded, timeout, or every CSV upload slot taken (--csv-uploads; with Retry-After)", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "scoring"
)]
pub async fn score(
    State(state): State<AppState>,
    Selected { query, model }: Selected<ScoreQuery>,
    media: Media,
    body: Body,
) -> Result<Response, ApiError> {
    match media {
        Media::Json => {
            let bytes = read_body(body, state.config().max_body_bytes).await?;
            let bytes_len = bytes.len();
            let work = move || {
                // With the log on and a challenger beside this version, leads are read with the
                // challenger's fields too, for its shadow scoring (see `shadow`).
                let shadow = state.log().and_then(|_| state.models().shadow(&model));
                let fields = shadow.as_ref().map_or(&model.fields, |s| &s.fields);
                let body = read_score_body(&bytes, fields, state.config().max_leads)?;
                score_json(&state, &model, shadow.as_deref(), &body, query.strict)
            };
            // A small body parses and scores in microseconds: handing it to the blocking
            // pool would cost more in thread switches than the work itself (the benchmark
            // measured 0.4x of bare JSON over HTTP that way). Large ones must not stall
            // the async workers.
            let response = if bytes_len <= INLINE_BODY_BYTES {
                work()?
            } else {
                tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(e.to_string()))??
            };
            // Sized for the answer (about 1 KiB per lead) rather than grown by doubling.
            let mut json = Vec::with_capacity(1024 * (response.scores.len() + 1));
            serde_json::to_writer(&mut json, &response).map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
        }
        Media::Csv => super::score_csv::score_csv(state, model, body, query.strict).await,
    }
}

/// The JSON path: validate every lead (all errors, not the first), then score. The body's
/// leads were read against the model (within the lead limit, unused fields left out and
/// named once), or against `shadow`'s fields when a challenger shadows it: each
/// lead is then scored by the challenger too, off the response path, and only logged.
pub fn score_json(
    state: &AppState,
    model: &LoadedModel,
    shadow: Option<&Shadow>,
    request: &ScoreBody<'_>,
    strict: bool,
) -> Result<ScoreResponse, ApiError> {
    let leads = &request.leads;
    let n = leads.leads.len();
    let explain = request.explain.unwrap_or(DEFAULT_EXPLAIN);
    if explain > MAX_EXPLAIN {
        return Err(ApiError::BadRequest(format!("explain = {explain}; use 0 to {MAX_EXPLAIN}")));
    }
    // The model's default threshold is shared as text made at load; one the request asks for is
    // worked out here.
    let (threshold, cutoff) = match request.threshold.as_ref() {
        Some(asked) => {
            let chosen = asked.resolve(&model.artifact)?;
            let cutoff = chosen.value;
            (Shared::Value(chosen), cutoff)
        }
        None => (model.answer.threshold.clone(), model.answer.cutoff),
    };
    let artifact = &model.artifact;
    let fields = shadow.map_or(&model.fields, |s| &s.fields);
    let mut errors = Vec::new();
    let read: Vec<_> =
        leads.leads.iter().enumerate().map(|(i, lead)| read_lead(i, lead, fields, strict, &mut errors)).collect();
    if strict {
        errors.extend(leads.unused.errors());
    }
    // With the log on, every lead needs an id its outcome can be posted against.
    let log = state.log();
    let mut ids: Vec<Option<String>> = Vec::new();
    if log.is_some() {
        ids = read
            .iter()
            .enumerate()
            .map(|(i, lead)| {
                PredictionLog::lead_id(lead.id.as_ref())
                    .map_err(|reason| errors.push(FieldError { lead: i, field: "id".into(), reason }))
                    .ok()
            })
            .collect();
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidLeads(errors));
    }
    let scored_at_ms = leadscore_store::row::now_ms();
    let mut scores = Vec::with_capacity(n);
    // Without a challenger, the request's rows reach the log's queue together, as one item; when
    // the queue has no room for them (an overloaded log), they are counted as dropped and not
    // built. Leads keep the ids they get either way: the answer does not depend on the log's load.
    let build_rows = log.is_some_and(|log| shadow.is_some() || log.admit(n));
    let mut rows = Vec::with_capacity(if build_rows && shadow.is_none() { n } else { 0 });
    let mut scorer = Scorer::with_lookup(artifact, &model.lookup);
    for (i, mut lead) in read.into_iter().enumerate() {
        // Taken first: the scored lead borrows the lead's values until it is answered.
        let id = lead.id.take();
        let scored = scorer.score_indexed(|i| lead.feature(fields, i), explain).map_err(|_| {
            ApiError::InvalidLeads(vec![FieldError {
                lead: i,
                field: String::new(),
                reason: "a value could not be read".into(),
            }])
        })?;
        // Rules read the same values as the model (and their own fields, in `model.fields`).
        let rule_points = match &model.rules {
            Some(Ok(set)) => {
                let points = set.score(|name| lead.value(fields, name)).map_err(|_| {
                    ApiError::InvalidLeads(vec![FieldError {
                        lead: i,
                        field: String::new(),
                        reason: "a value could not be read by the rules".into(),
                    }])
                })?;
                Some(RulePoints::of(set, &points))
            }
            _ => None,
        };
        let id = match (log, ids.get_mut(i).and_then(Option::take)) {
            (Some(log), Some(lead_id)) => {
                let answer = id
                    .filter(|v| !v.is_null() && v.as_str() != Some(""))
                    .unwrap_or_else(|| Value::String(lead_id.clone()));
                let scoring = Scoring {
                    lead_id,
                    probability: scored.probability,
                    score: scored.score,
                    tier: scored.tier,
                    threshold: cutoff,
                    rules: rule_points.as_ref().map(|r| (r.total, r.mql)),
                };
                match shadow {
                    Some(s) => {
                        let values = s.values_by_slot(|slot| lead.slot(slot));
                        log.record(model, Some((s, values)), scored_at_ms, scoring, |i| lead.feature(fields, i));
                    }
                    None if build_rows => rows.push(log.row(model, scored_at_ms, scoring, |i| lead.feature(fields, i))),
                    None => {}
                }
                Some(answer)
            }
            (_, _) => id,
        };
        let mut warnings: Vec<String> = scored.notes.iter().map(ToString::to_string).collect();
        warnings.append(&mut lead.warnings);
        scores.push(LeadScore {
            id,
            probability: scored.probability,
            score: scored.score,
            tier: scored.tier.to_owned(),
            mql: scored.probability >= cutoff,
            factors: scored
                .factors
                .iter()
                .map(|c| Factor {
                    feature: c.feature.to_owned(),
                    value: c.value.as_str().map_or_else(|| c.value.to_string(), str::to_owned),
                    contribution: c.contribution,
                })
                .collect(),
            warnings,
            rule_points,
        });
    }
    if let (Some(log), false) = (log, rows.is_empty()) {
        log.record_all(rows);
    }
    state.metrics().scores(scores.iter().map(|s| s.probability));
    Ok(ScoreResponse { model: model.answer.model.clone(), threshold, scores, warnings: leads.unused.warnings(n) })
}
