//! `POST /v1/score` with `Content-Type: text/csv`: a CSV upload scored as a stream.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::TryStreamExt;
use leadscore_core::score::Scorer;
use leadscore_core::value::RawValue;

use crate::api::ThresholdResult;
use crate::error::{ApiError, FieldError};
use crate::log::{PredictionLog, Scoring};
use crate::state::{AppState, LoadedModel};

/// The CSV path: the header is checked before answering (a missing feature
/// column is a 422), then rows stream through in constant memory. A bad row
/// gets an `error` cell instead of failing the whole batch.
pub async fn score_csv(state: AppState, model: Arc<LoadedModel>, body: Body) -> Result<Response, ApiError> {
    let stream = body.into_data_stream().map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(16);
    let (header_tx, header_rx) = tokio::sync::oneshot::channel::<Result<(), ApiError>>();
    let threshold = ThresholdResult::from(&leadscore_core::threshold::default(&model.artifact));
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
        let log = state.log();
        let scored_at_ms = leadscore_store::row::now_ms();
        let mut scored_probs = Vec::new();
        let mut row = csv::StringRecord::new();
        for row_idx in 0u64.. {
            let id = match rdr.read_record(&mut row) {
                Ok(false) => break,
                Ok(true) => match (log, id_pos.and_then(|p| row.get(p))) {
                    // With the log on, a lead without an id gets one its outcome can be posted against.
                    (Some(_), id) => match PredictionLog::lead_id_text(id) {
                        Ok(id) => id,
                        Err(reason) => {
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
                                &format!("`id`: {reason}"),
                            ]);
                            continue;
                        }
                    },
                    (None, id) => id.map_or_else(|| row_idx.to_string(), str::to_owned),
                },
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
                    if let Some(log) = log {
                        let scoring = Scoring {
                            lead_id: id.clone(),
                            probability: s.probability,
                            score: s.score,
                            tier: s.tier,
                            threshold: threshold.value,
                            rules: None,
                        };
                        log.record(&model, scored_at_ms, scoring, field);
                    }
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

/// What is wrong with a CSV record, without quoting it.
fn csv_problem(e: &csv::Error) -> &'static str {
    match e.kind() {
        csv::ErrorKind::UnequalLengths { .. } => "wrong number of fields",
        csv::ErrorKind::Utf8 { .. } => "not valid UTF-8",
        csv::ErrorKind::Io(_) => "the upload was interrupted",
        _ => "malformed CSV",
    }
}
