//! The prediction log from the server's side: the writer handle, the rows the score routes
//! build, and the one reading connection behind `/v1/outcomes` and `/v1/monitor`.
//!
//! **Scoring never waits for the log.** A route builds the row of each scored lead
//! ([`PredictionLog::row`]: the fields it logs written as their JSON text at once) and hands a
//! request's rows to the writer's bounded queue as one item ([`PredictionLog::record_all`];
//! `leadscore_store::LogWriter`); the writer's own thread inserts batches. A full queue or a
//! failed batch drops rows and counts them (`/metrics`: `leadscore_log_rows_total`), and
//! `readyz` says the store is degraded while still answering 200: a scorer without its log is
//! still a scorer.
//!
//! **Lead ids.** With the log on, every lead must have an id its outcome can be posted against:
//! a client's id is kept (checked by `leadscore_store::check_lead_id`), a lead without one gets
//! a UUIDv7 ([`leadscore_store::new_lead_id`]) and the response carries it. A numeric JSON id is
//! logged as its JSON text (`17` → `"17"`), which is what a CRM export of it reads as.
//!
//! **Shadow scoring.** When the model has a `CHALLENGER`, [`PredictionLog::record`] hands the
//! served row to the shadow scorer (`crate::shadow`) instead of the writer: the challenger's row
//! and the served one reach the writer together, off the response path. Flushing and shutting
//! down go through the shadow scorer first, so no served row is left behind it.
//!
//! **Reads.** Outcomes and monitor queries go through one store connection of their own, opened
//! at start-up, used from `spawn_blocking` (both clients are synchronous), reopened after an
//! error; they never touch the writer's connection.

use std::sync::Mutex;
use std::time::Duration;

use leadscore_core::value::RawValue;
use leadscore_store::{FieldLogging, FieldValue, LogWriter, Prediction, Store, WriterConfig, WriterStats};

use crate::shadow::{Shadow, ShadowScorer, ShadowStats, QUEUE_CAPACITY};
use crate::state::LoadedModel;

/// How the server logs (`leadscore serve --store --log-fields --log-retention-days`).
#[derive(Clone, Debug)]
pub struct LogSettings {
    /// An SQLite file or a `postgres://` URL.
    pub store: String,
    /// Which input fields a row keeps.
    pub fields: FieldLogging,
    /// Batching, queue size and retention.
    pub writer: WriterConfig,
    /// A monitor report reads at most this many scorings, the newest of its period (see
    /// `crate::routes::monitor`).
    pub monitor_rows: u64,
}

/// The default of [`LogSettings::monitor_rows`]: drift and calibration figures far past the
/// sample sizes their flags need, made in about a second and 250 MB (measured on the shipped
/// model's rows: 1.1 s and 270 MB peak for the whole server), however large the log grows.
pub const MONITOR_ROWS: u64 = 100_000;

/// The most [`LogSettings::monitor_rows`] may be: about 2.7 KB a row is held while a report is
/// made.
pub const MAX_MONITOR_ROWS: u64 = 10_000_000;

impl LogSettings {
    /// The settings for `store` with the defaults: the model's fields, the writer's batching, no
    /// retention.
    pub fn new(store: impl Into<String>) -> LogSettings {
        LogSettings {
            store: store.into(),
            fields: FieldLogging::Model,
            writer: WriterConfig::default(),
            monitor_rows: MONITOR_ROWS,
        }
    }
}

/// What a route knows of one scoring, beside the model and the lead's values.
#[derive(Clone, Debug)]
pub struct Scoring<'a> {
    /// The lead's id (see [`PredictionLog::lead_id`]).
    pub lead_id: String,
    /// Probability of being won.
    pub probability: f64,
    /// The 1-99 score.
    pub score: u8,
    /// Tier given.
    pub tier: &'a str,
    /// The MQL threshold applied.
    pub threshold: f64,
    /// The rules' total and MQL flag, when the server runs `--rules`.
    pub rules: Option<(f64, bool)>,
}

/// The server's prediction log: the writer and a reading connection.
pub struct PredictionLog {
    writer: LogWriter,
    shadow: ShadowScorer,
    fields: FieldLogging,
    /// Where the store is, for messages (no password).
    location: String,
    reader: Mutex<Option<Box<dyn Store>>>,
    settings: LogSettings,
}

impl std::fmt::Debug for PredictionLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredictionLog").field("location", &self.location).field("fields", &self.fields).finish()
    }
}

impl PredictionLog {
    /// Opens (creating and migrating) the store and starts the writer. An unreachable database,
    /// an unwritable path or a schema newer than this build is an error here, before the server
    /// takes traffic. Blocking.
    pub fn start(settings: &LogSettings) -> Result<PredictionLog, String> {
        let mut reader = leadscore_store::open(&settings.store).map_err(|e| format!("the prediction log: {e}"))?;
        let location = reader.location().to_owned();
        reader.schema_version().map_err(|e| format!("the prediction log {location}: {e}"))?;
        let writer = LogWriter::start(&settings.store, settings.writer.clone())
            .map_err(|e| format!("the prediction log {location}: {e}"))?;
        let shadow = ShadowScorer::start(writer.clone(), settings.fields, QUEUE_CAPACITY)?;
        tracing::info!(store = %location, fields = ?settings.fields, "logging every scored lead");
        Ok(PredictionLog {
            writer,
            shadow,
            fields: settings.fields,
            location,
            reader: Mutex::new(Some(reader)),
            settings: settings.clone(),
        })
    }

    /// Where the store is (no password).
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The most scorings one monitor report reads (the newest of its period).
    pub fn monitor_rows(&self) -> u64 {
        self.settings.monitor_rows
    }

    /// The lead id to log and answer with: the client's (checked), or a new UUIDv7 when the lead
    /// came without one (`None`, JSON `null`, an empty CSV cell). Err: why the client's id cannot
    /// be stored.
    pub fn lead_id(sent: Option<&serde_json::Value>) -> Result<String, String> {
        match sent {
            None | Some(serde_json::Value::Null) => Self::lead_id_text(None),
            Some(serde_json::Value::String(s)) => Self::lead_id_text(Some(s)),
            Some(other) => Self::lead_id_text(Some(&other.to_string())),
        }
    }

    /// [`PredictionLog::lead_id`] of a CSV cell (`None`: the upload has no id column).
    pub fn lead_id_text(sent: Option<&str>) -> Result<String, String> {
        match sent {
            None | Some("") => Ok(leadscore_store::new_lead_id()),
            Some(id) => match leadscore_store::check_lead_id(id) {
                Ok(()) => Ok(id.to_owned()),
                Err(leadscore_store::Error::Invalid { reason, .. }) => Err(reason),
                Err(other) => Err(other.to_string()),
            },
        }
    }

    /// The row of one scoring. `field(i)` is the value of the model's `i`-th input
    /// (`Encoder::inputs`) as it arrived (read only with `--log-fields model`).
    pub fn row<'a>(
        &self,
        model: &LoadedModel,
        scored_at_ms: i64,
        scoring: Scoring<'_>,
        field: impl FnMut(usize) -> RawValue<'a>,
    ) -> Prediction {
        Prediction {
            scored_at_ms,
            model: model.name.clone(),
            version: model.version.clone(),
            shadow: false,
            lead_id: scoring.lead_id,
            probability: scoring.probability,
            score: scoring.score,
            tier: scoring.tier.to_owned(),
            mql: scoring.probability >= scoring.threshold,
            threshold: scoring.threshold,
            rule_points: scoring.rules.map(|r| r.0),
            rule_mql: scoring.rules.map(|r| r.1),
            fields: model.log_names.fields(self.fields, field),
        }
    }

    /// Queues the row of one scoring ([`PredictionLog::row`]); never blocks. With `shadow`, the
    /// model's challenger and the lead's values of its inputs (`Shadow::values_by_slot`), the
    /// row goes to the shadow scorer, which logs it beside the challenger's. Returns false when
    /// the row was dropped (counted).
    pub fn record<'a>(
        &self,
        model: &LoadedModel,
        shadow: Option<(&Shadow, Vec<FieldValue>)>,
        scored_at_ms: i64,
        scoring: Scoring<'_>,
        field: impl FnMut(usize) -> RawValue<'a>,
    ) -> bool {
        match shadow {
            Some((shadow, values)) => {
                self.shadow.submit(shadow, self.row(model, scored_at_ms, scoring, field), values);
                true
            }
            // Built only when the queue has room for it (see `admit`).
            None => self.writer.admit(1) && self.writer.log(self.row(model, scored_at_ms, scoring, field)),
        }
    }

    /// Whether the queue has room for `rows` more rows now; when not, they are counted as
    /// dropped, and the caller skips building them (see `LogWriter::admit`).
    pub fn admit(&self, rows: usize) -> bool {
        self.writer.admit(rows)
    }

    /// Queues the rows of one request (no challenger) as one item; never blocks. Returns how
    /// many were queued (the others were dropped and counted).
    pub fn record_all(&self, rows: Vec<Prediction>) -> usize {
        self.writer.log_all(rows)
    }

    /// The shadow scorer's counters.
    pub fn shadow_stats(&self) -> ShadowStats {
        self.shadow.stats()
    }

    /// The writer's counters.
    pub fn stats(&self) -> WriterStats {
        self.writer.stats()
    }

    /// Waits until every row queued so far (shadow scorings included) is written (or dropped),
    /// at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> bool {
        let started = std::time::Instant::now();
        self.shadow.flush(timeout) && self.writer.flush(timeout.saturating_sub(started.elapsed()))
    }

    /// Scores the queued shadow scorings, writes what is queued and stops both threads
    /// (graceful shutdown: the shadow scorer first, so its rows reach the writer); the writer's
    /// final counters.
    pub fn shutdown(&self, timeout: Duration) -> WriterStats {
        let started = std::time::Instant::now();
        let shadow = self.shadow.shutdown(timeout);
        if shadow.scored + shadow.dropped + shadow.failed > 0 {
            tracing::info!(
                scored = shadow.scored,
                dropped = shadow.dropped,
                failed = shadow.failed,
                "shadow scoring drained"
            );
        }
        let stats = self.writer.shutdown(timeout.saturating_sub(started.elapsed()));
        tracing::info!(written = stats.written, dropped = stats.dropped(), store = %self.location, "prediction log flushed");
        stats
    }

    /// Runs `f` on the reading connection (opening it again after an error). Blocking: call it
    /// from `spawn_blocking`.
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Store) -> leadscore_store::Result<T>) -> Result<T, String> {
        let mut guard = self.reader.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            *guard = Some(leadscore_store::open(&self.settings.store).map_err(|e| e.to_string())?);
        }
        let store = guard.as_mut().ok_or_else(|| "the prediction log is not open".to_owned())?;
        let result = store.check_alive().and_then(|()| f(store.as_mut()));
        result.map_err(|e| {
            // The next call reconnects (a restarted database, a replaced file).
            *guard = None;
            e.to_string()
        })
    }

    /// The log's lines of the Prometheus exposition.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        let s = self.stats();
        out.push_str("# HELP leadscore_log_rows_total Prediction log rows by fate: written, or dropped and why.\n# TYPE leadscore_log_rows_total counter\n");
        for (fate, n) in [
            ("written", s.written),
            ("dropped_queue_full", s.dropped_queue_full),
            ("dropped_store_error", s.dropped_store_error),
            ("refused", s.refused),
        ] {
            let _ = writeln!(out, "leadscore_log_rows_total{{fate=\"{fate}\"}} {n}");
        }
        out.push_str("# HELP leadscore_log_dropped_total Prediction log rows lost, whatever the reason.\n# TYPE leadscore_log_dropped_total counter\n");
        let _ = writeln!(out, "leadscore_log_dropped_total {}", s.dropped());
        out.push_str("# HELP leadscore_log_queued Rows waiting for their batch.\n# TYPE leadscore_log_queued gauge\n");
        let _ = writeln!(out, "leadscore_log_queued {}", s.queued.saturating_sub(s.written + s.dropped_store_error));
        out.push_str("# HELP leadscore_log_failed_batches_total Batches the store refused.\n# TYPE leadscore_log_failed_batches_total counter\n");
        let _ = writeln!(out, "leadscore_log_failed_batches_total {}", s.failed_batches);
        out.push_str("# HELP leadscore_log_healthy Whether the last batch went into the store (0: degraded, still scoring).\n# TYPE leadscore_log_healthy gauge\n");
        let _ = writeln!(out, "leadscore_log_healthy {}", u8::from(s.healthy));
        out.push_str(
            "# HELP leadscore_log_purged_total Rows deleted by retention.\n# TYPE leadscore_log_purged_total counter\n",
        );
        let _ = writeln!(out, "leadscore_log_purged_total {}", s.purged);
        self.shadow.render_metrics(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_ids_are_kept_or_made() {
        assert_eq!(PredictionLog::lead_id(Some(&serde_json::json!("L1"))).unwrap(), "L1");
        assert_eq!(PredictionLog::lead_id(Some(&serde_json::json!(17))).unwrap(), "17");
        for absent in [None, Some(serde_json::Value::Null), Some(serde_json::json!(""))] {
            let id = PredictionLog::lead_id(absent.as_ref()).unwrap();
            assert_eq!(uuid_version(&id), Some('7'), "{id}");
        }
        let long = serde_json::json!("x".repeat(201));
        assert!(PredictionLog::lead_id(Some(&long)).unwrap_err().contains("at most 200 bytes"));
        assert!(PredictionLog::lead_id(Some(&serde_json::json!("  "))).unwrap_err().contains("blank"));
    }

    /// The version digit of a UUID string.
    fn uuid_version(id: &str) -> Option<char> {
        (id.len() == 36).then(|| id.chars().nth(14)).flatten()
    }
}
