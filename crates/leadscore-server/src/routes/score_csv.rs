//! `POST /v1/score` with `Content-Type: text/csv`: a CSV upload scored as a stream.
//!
//! The file is read and scored by `leadscore-io`'s [`CsvScoring`], the code behind
//! `leadscore score`: the same reader (delimiter, line numbers, record size limit, ragged rows,
//! unclosed quotes), the same columns and the same verdicts. Header problems are answered
//! before any row (400 for a malformed header, 422 naming each missing feature or, with
//! `?strict=true`, each column the spec does not name); after that the answer is a 200 stream
//! in which every input record has a row: scored, or with its line and reason in `error`.
//!
//! An upload takes one of `--csv-uploads` slots for as long as it streams (none free: 503
//! at once) and is held to the upload pace (`upload`): too slow before its header is a 408,
//! after it the last row says at which line it was cut.

use std::path::Path;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use leadscore_core::value::RawValue;
use leadscore_io::csv_source::{CsvFile, NoProgress};
use leadscore_io::score_csv::{CsvScoring, LeadHook, LeadScore, ScoreOptions};

use crate::error::{ApiError, FieldError};
use crate::log::{PredictionLog, Scoring};
use crate::shadow::Shadow;
use crate::state::{AppState, LoadedModel};

/// What the upload is called in messages (it has no path).
const UPLOAD: &str = "upload";

/// Factor columns of a CSV answer, as the JSON default.
const CSV_EXPLAIN: usize = 3;

/// The CSV path: the header is checked before answering, then rows stream through in
/// constant memory on one scoring thread (the server serves many clients: one upload does
/// not take every core).
pub async fn score_csv(
    state: AppState,
    model: Arc<LoadedModel>,
    body: Body,
    strict: bool,
) -> Result<Response, ApiError> {
    // Before anything is read or spawned: the slot goes with the scoring thread.
    let slot = state.uploads().slot()?;
    let (stream, cut) = state.uploads().paced(body.into_data_stream());
    let reader = tokio_util::io::StreamReader::new(stream);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let (header_tx, header_rx) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
    let threshold = leadscore_core::threshold::default(&model.artifact).threshold;
    let header_cut = cut.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let bridge = tokio_util::io::SyncIoBridge::new(reader);
        let options = ScoreOptions { threads: 1, strict, ..ScoreOptions::new(threshold, CSV_EXPLAIN) };
        let scoring = CsvFile::from_reader(Path::new(UPLOAD), Box::new(bridge), 0, None)
            .and_then(|file| CsvScoring::new(&model.artifact, file, options));
        let scoring = match scoring {
            Ok(scoring) => scoring,
            Err(e) => {
                let problem = match header_cut.get() {
                    Some(reason) => ApiError::UploadTooSlow(reason.clone()),
                    None => header_problem(e),
                };
                let _ = header_tx.send(Err(problem));
                return;
            }
        };
        let _ = header_tx.send(Ok(()));
        let mut sink = ChunkSink { buf: Vec::with_capacity(CHUNK), tx };
        let metrics = state.metrics();
        let shadow = state.models().shadow(&model);
        let hook = state.log().map(|log| Logged {
            log,
            model: &model,
            shadow: shadow.as_deref(),
            threshold,
            scored_at_ms: leadscore_store::row::now_ms(),
        });
        let scoring = match &hook {
            Some(hook) => scoring.with_hook(hook),
            None => scoring,
        };
        // A reader error after the header (a record over the size limit, the client gone) ends
        // the stream after its error row; the client has every row before it.
        let _ = scoring.run(&mut sink, &NoProgress, &mut |probabilities| metrics.scores(probabilities.iter().copied()));
    });
    header_rx.await.map_err(|_| ApiError::Internal("CSV scoring stopped before the header".into()))??;
    let stream = tokio_stream_from(rx);
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/csv; charset=utf-8")], Body::from_stream(stream)).into_response())
}

/// Every lead scored goes into the prediction log; a lead without an id gets one its outcome
/// can be posted against (written in the answer's id column), an id the log cannot keep makes
/// the lead's row an error row.
struct Logged<'a> {
    log: &'a PredictionLog,
    model: &'a LoadedModel,
    /// The challenger shadowing the model, if any (its features the model does not read arrive
    /// as missing: the CSV scorer hands over the model's features only).
    shadow: Option<&'a Shadow>,
    threshold: f64,
    scored_at_ms: i64,
}

impl LeadHook for Logged<'_> {
    fn lead<'r>(
        &self,
        id: Option<&str>,
        score: LeadScore<'_>,
        field: &mut dyn FnMut(usize) -> RawValue<'r>,
    ) -> Result<Option<String>, String> {
        let lead_id = PredictionLog::lead_id_text(id)?;
        let changed = (Some(lead_id.as_str()) != id).then(|| lead_id.clone());
        let scoring = Scoring {
            lead_id,
            probability: score.probability,
            score: score.score,
            tier: score.tier,
            threshold: self.threshold,
            rules: None,
        };
        let shadowed = self.shadow.map(|s| (s, s.values_by_champion_feature(field)));
        self.log.record(self.model, shadowed, self.scored_at_ms, scoring, field);
        Ok(changed)
    }
}

/// A header the scorer refused, as the API says it: each missing or unknown column as a field
/// error, anything else (empty upload, duplicate or over-long header, broken stream) a 400.
fn header_problem(e: leadscore_io::Error) -> ApiError {
    use leadscore_io::Error;
    let fields = |columns: Vec<String>, reason: &str| {
        ApiError::InvalidLeads(
            columns.into_iter().map(|field| FieldError { lead: 0, field, reason: reason.into() }).collect(),
        )
    };
    match e {
        Error::MissingFeatures { missing, .. } => fields(missing, "column missing from the CSV header"),
        Error::UnknownColumns { columns, .. } => {
            fields(columns, "the model's spec does not name this column (strict mode)")
        }
        Error::Io { .. } => ApiError::BadRequest("the upload was interrupted before its header".into()),
        other => ApiError::BadRequest(format!("the CSV header cannot be used: {other}")),
    }
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
