//! `POST /v1/score`: JSON in and out, or CSV in and out, streamed.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use leadscore_core::score::Scorer;
use leadscore_core::value::RawValue;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::{
    read_lead, Factor, LeadScore, ModelRef, RulePoints, ScoreRequest, ScoreResponse, ThresholdRequest, ThresholdResult,
    DEFAULT_EXPLAIN, MAX_EXPLAIN,
};
use crate::error::{ApiError, FieldError, Problem};
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
    /// Refuse fields the model does not use (422) instead of warning.
    #[serde(default)]
    pub strict: bool,
}

/// Picks the model a request asked for.
pub fn select(state: &AppState, model: Option<&str>, version: Option<&str>) -> Result<Arc<LoadedModel>, ApiError> {
    let set = state.models();
    if set.models.is_empty() {
        return Err(ApiError::NoModel);
    }
    set.select(model, version).ok_or_else(|| {
        ApiError::UnknownModel(match (model, version) {
            (Some(m), Some(v)) => format!("no model `{m}` version `{v}`"),
            (Some(m), None) => format!("no model `{m}`"),
            (None, Some(v)) => format!("the default model has no version `{v}`"),
            (None, None) => "no default model: name one with ?model=".into(),
        })
    })
}

/// The model's first stored suggestion (max_f1), as `leadscore score` uses by default.
pub fn default_threshold(model: &LoadedModel) -> ThresholdResult {
    model.artifact.thresholds.first().map_or_else(
        || ThresholdResult {
            strategy: "fixed".into(),
            value: 0.5,
            mql_rate: 0.0,
            precision: 0.0,
            recall: 0.0,
            lift: 0.0,
            explanation: String::new(),
        },
        ThresholdResult::from,
    )
}

fn parse_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            ApiError::BadJson { line: e.line(), column: e.column(), message: e.to_string().split(" at line").next().unwrap_or_default().to_owned() }
        }
        // Data errors quote the offending value: describe the expected shape instead.
        Category::Data => ApiError::BadRequest(format!(
            "the body does not have the expected shape (line {}, column {}): an object with `leads` (an array of objects), \
             optional `explain` (0 to {MAX_EXPLAIN}) and optional `threshold` (an object with `strategy`)",
            e.line(),
            e.column()
        )),
    }
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
        (status = 413, description = "Too many leads or body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Unsupported content type", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid leads", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "No model loaded or timeout", body = Problem, content_type = "application/problem+json"),
    ),
    tag = "scoring"
)]
pub async fn score(
    State(state): State<AppState>,
    query: Result<Query<ScoreQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let media = super::media_type(&headers);
    let model = select(&state, query.model.as_deref(), query.version.as_deref())?;
    match media.as_str() {
        "application/json" => {
            let max = state.config().max_body_bytes;
            let bytes = axum::body::to_bytes(body, max).await.map_err(|_| ApiError::BodyTooLarge { max })?;
            let bytes_len = bytes.len();
            let work = move || {
                let request: ScoreRequest = serde_json::from_slice(&bytes).map_err(|e| parse_error(&e))?;
                score_json(&state, &model, &request, query.strict)
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
        "text/csv" => score_csv(state, model, body).await,
        other => Err(ApiError::UnsupportedMediaType(other.to_owned())),
    }
}

/// The JSON path: validate every lead (all errors, not the first), then score.
pub fn score_json(
    state: &AppState,
    model: &LoadedModel,
    request: &ScoreRequest,
    strict: bool,
) -> Result<ScoreResponse, ApiError> {
    let max = state.config().max_leads;
    let n = request.leads.len();
    if n == 0 {
        return Err(ApiError::EmptyLeads { max });
    }
    if n > max {
        return Err(ApiError::TooManyLeads { n, max });
    }
    let explain = request.explain.unwrap_or(DEFAULT_EXPLAIN);
    if explain > MAX_EXPLAIN {
        return Err(ApiError::BadRequest(format!("explain = {explain}; use 0 to {MAX_EXPLAIN}")));
    }
    let threshold = match &request.threshold {
        Some(t) => t.resolve(&model.artifact)?,
        None => default_threshold(model),
    };
    let artifact = &model.artifact;
    let fields = &model.fields;
    let mut errors = Vec::new();
    let read: Vec<_> =
        request.leads.iter().enumerate().map(|(i, lead)| read_lead(i, lead, fields, &mut errors)).collect();
    if strict {
        for (i, lead) in read.iter().enumerate() {
            for field in &lead.unused {
                errors.push(FieldError {
                    lead: i,
                    field: field.clone(),
                    reason: "the model does not use this field (strict mode)".into(),
                });
            }
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidLeads(errors));
    }
    let mut scores = Vec::with_capacity(n);
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
        let mut warnings: Vec<String> = scored.notes.iter().map(ToString::to_string).collect();
        warnings.extend(lead.unused.iter().map(|f| format!("`{f}` is not used by the model (renamed column?)")));
        scores.push(LeadScore {
            id,
            probability: scored.probability,
            score: scored.score,
            tier: scored.tier.to_owned(),
            mql: scored.probability >= threshold.value,
            factors: scored
                .factors
                .iter()
                .map(|c| Factor {
                    feature: c.feature.to_owned(),
                    value: c.value.to_string(),
                    contribution: c.contribution,
                })
                .collect(),
            warnings,
            rule_points,
        });
    }
    state.metrics().scores(scores.iter().map(|s| s.probability));
    Ok(ScoreResponse {
        model: ModelRef { name: model.name.clone(), version: model.version.clone() },
        threshold,
        scores,
    })
}

/// The CSV path: the header is checked before answering (a missing feature
/// column is a 422), then rows stream through in constant memory. A bad row
/// gets an `error` cell instead of failing the whole batch.
async fn score_csv(state: AppState, model: Arc<LoadedModel>, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let (header_tx, header_rx) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
    let threshold = default_threshold(&model);
    tokio::task::spawn_blocking(move || {
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(bridge);
        let header = match rdr.headers() {
            Ok(h) => h.iter().map(|s| s.trim_start_matches('\u{feff}').trim().to_owned()).collect::<Vec<_>>(),
            Err(e) => {
                let _ = header_tx
                    .send(Err(ApiError::BadRequest(format!("cannot read the CSV header: {}", csv_problem(&e)))));
                return;
            }
        };
        let artifact = &model.artifact;
        let missing: Vec<String> =
            artifact.encoder.features.iter().filter(|f| !header.contains(&f.name)).map(|f| f.name.clone()).collect();
        if !missing.is_empty() {
            let errors = missing
                .into_iter()
                .map(|field| FieldError { lead: 0, field, reason: "column missing from the CSV header".into() })
                .collect();
            let _ = header_tx.send(Err(ApiError::InvalidLeads(errors)));
            return;
        }
        let _ = header_tx.send(Ok(()));
        // Header positions of the model's features, in the model's order (all present: checked above).
        let positions: Vec<usize> =
            artifact.encoder.features.iter().filter_map(|f| header.iter().position(|h| *h == f.name)).collect();
        let id_pos = artifact
            .spec
            .ids
            .iter()
            .find_map(|id| header.iter().position(|h| h == id))
            .or_else(|| header.iter().position(|h| h == "id"));
        let mut out = csv::Writer::from_writer(ChunkSink { buf: Vec::with_capacity(CHUNK), tx: tx.clone() });
        let _ = out.write_record([
            "id",
            "probability",
            "score",
            "tier",
            "mql",
            "factor_1",
            "factor_2",
            "factor_3",
            "warnings",
            "error",
        ]);
        let mut scorer = Scorer::with_lookup(artifact, &model.lookup);
        let mut scored_probs = Vec::new();
        let mut row = csv::StringRecord::new();
        for row_idx in 0u64.. {
            let id = match rdr.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) => id_pos.and_then(|p| row.get(p)).map_or_else(|| row_idx.to_string(), str::to_owned),
                Err(e) => {
                    let _ = out.write_record([
                        &row_idx.to_string(),
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        &format!("unreadable row: {}", csv_problem(&e)),
                    ]);
                    continue;
                }
            };
            let field = |i: usize| positions.get(i).and_then(|&p| row.get(p)).map_or(RawValue::Missing, RawValue::Text);
            match scorer.score_indexed(field, 3) {
                Ok(s) => {
                    scored_probs.push(s.probability);
                    let mut record = [
                        id,
                        s.probability.to_string(),
                        s.score.to_string(),
                        s.tier.to_owned(),
                        (s.probability >= threshold.value).to_string(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ];
                    for (cell, c) in record[5..8].iter_mut().zip(&s.factors) {
                        *cell = format!("{} ({:+.3})", c.feature, c.contribution);
                    }
                    record[8] = s.notes.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
                    let _ = out.write_record(&record);
                }
                Err(e) => {
                    let field = match &e {
                        leadscore_core::Error::BadNumber { column, .. }
                        | leadscore_core::Error::NonFinite { column, .. }
                        | leadscore_core::Error::BadBool { column, .. }
                        | leadscore_core::Error::BadDate { column, .. } => column.clone(),
                        _ => String::new(),
                    };
                    let _ = out.write_record([
                        id,
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        String::new(),
                        format!("`{field}`: invalid value"),
                    ]);
                }
            }
            if tx.is_closed() {
                return; // the client went away
            }
        }
        let _ = out.flush();
        drop(out);
        state.metrics().scores(scored_probs.into_iter());
    });
    header_rx.await.map_err(|_| ApiError::Internal("CSV scoring stopped before the header".into()))??;
    let stream = tokio_stream_from(rx);
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8")], Body::from_stream(stream)).into_response())
}

const CHUNK: usize = 64 * 1024;

/// Collects CSV output and hands it to the response body in 64 KiB chunks.
struct ChunkSink {
    buf: Vec<u8>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
}

impl ChunkSink {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx.blocking_send(Ok(Bytes::from(chunk))).map_err(|_| std::io::Error::other("client went away"))
    }
}

impl std::io::Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Reads a threshold request from query parameters (`GET /v1/thresholds`).
pub fn threshold_from_query(
    query: &std::collections::BTreeMap<String, String>,
) -> Result<Option<ThresholdRequest>, ApiError> {
    // Every numeric parameter given must be a finite number, whether or not the strategy reads it.
    const NUMERIC: [&str; 8] = [
        "value",
        "mql_rate",
        "leads_per_week",
        "weekly_volume",
        "leads_per_period",
        "volume_per_period",
        "target",
        "cost",
    ];
    for key in NUMERIC {
        if query.get(key).is_some_and(|raw| !raw.parse::<f64>().is_ok_and(f64::is_finite)) {
            return Err(ApiError::BadQuery(format!("`{key}` must be a finite number")));
        }
    }
    let Some(strategy) = query.get("strategy") else { return Ok(None) };
    let num = |key: &str| -> Result<f64, ApiError> {
        let raw = query.get(key).ok_or_else(|| ApiError::BadQuery(format!("strategy `{strategy}` needs `{key}`")))?;
        raw.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiError::BadQuery(format!("`{key}` must be a number")))
    };
    Ok(Some(match strategy.as_str() {
        "fixed" => ThresholdRequest::Fixed { value: num("value")? },
        "max_f1" => ThresholdRequest::MaxF1,
        "youden" => ThresholdRequest::Youden,
        "capacity" if query.contains_key("leads_per_week") || query.contains_key("leads_per_period") => {
            let leads = num(if query.contains_key("leads_per_week") { "leads_per_week" } else { "leads_per_period" })?;
            let volume = num(if query.contains_key("weekly_volume") { "weekly_volume" } else { "volume_per_period" })?;
            ThresholdRequest::CapacityPerPeriod { leads_per_period: leads, volume_per_period: volume }
        }
        "capacity" => ThresholdRequest::Capacity { mql_rate: num("mql_rate")? },
        "precision" => ThresholdRequest::Precision { target: num("target")? },
        "recall" => ThresholdRequest::Recall { target: num("target")? },
        "expected_value" => ThresholdRequest::ExpectedValue { cost: num("cost")?, value: num("value")? },
        other => {
            return Err(ApiError::BadQuery(format!(
                "unknown strategy `{other}`; use fixed, max_f1, youden, capacity, precision, recall or expected_value"
            )))
        }
    }))
}

/// What is wrong with a CSV record, without quoting it.
fn csv_problem(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields",
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8",
        csv::ErrorKind::Io(_) => "the upload was interrupted",
        _ => "malformed CSV",
    }
}
