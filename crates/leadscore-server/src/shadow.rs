//! Shadow scoring: when the registry names a `CHALLENGER` for a model, every lead the server
//! scores with that model's current version is scored with the challenger too, and logged as a
//! shadow row beside the served one, so that the monitor can hold the two on the same live leads.
//!
//! **Off the response path.** A route answers with the current version only; it hands the served
//! row and the lead's values (the challenger's inputs, owned) to [`ShadowScorer`]'s bounded
//! queue with a `try_send` and returns. One thread scores the challenger and gives the served row
//! and the shadow row to the log writer as one pair (`LogWriter::log_pair`: one batch, the shadow
//! row naming the served row's id). A full queue drops the shadow scoring, never the served row
//! (it goes to the writer alone), and counts it (`leadscore_shadow_rows_total{fate="dropped"}`).
//! Shutdown drains the queue before the writer's own flush. Nothing of the challenger reaches a
//! client: no score, no version, no warning of its own.
//!
//! **What the challenger reads.** A request to the current version is read against
//! [`Shadow::fields`]: the current version's fields (and the rules'), then the challenger's
//! inputs (its features, and its time column when a date's age is measured from it) the current
//! version does not read, so a challenger that reads a new field sees it
//! when clients send it. Those shadow-only fields change nothing in the answer: still named as
//! unused (an error in strict mode), never checked against the current version's rules. A CSV
//! upload's scorer hands the hook the current version's inputs only: there, an input only the
//! challenger reads arrives as missing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leadscore_core::score::Scorer;
use leadscore_core::spec::Kind;
use leadscore_core::value::RawValue;
use leadscore_store::{FieldLogging, FieldValue, LogWriter, Prediction};

use crate::lead;
use crate::state::LoadedModel;

/// Shadow scorings waiting for the challenger: a few seconds of heavy single-lead traffic.
pub const QUEUE_CAPACITY: usize = 16_384;

/// A model's challenger beside its current version, built at each reload that changes either.
#[derive(Debug)]
pub struct Shadow {
    /// The current version it shadows (requests scored with another `Arc` are not shadowed).
    pub champion: Arc<LoadedModel>,
    /// The version `CHALLENGER` names.
    pub challenger: Arc<LoadedModel>,
    /// The fields a JSON request to the current version is read with (see the module).
    pub fields: lead::Fields,
    /// The slot in `fields` of each of the challenger's inputs (`Encoder::inputs`: its features,
    /// then the time column when a date's age is measured from it).
    slots: Vec<usize>,
    /// For each of the challenger's inputs, the current version's input of the same name.
    from_champion: Vec<Option<usize>>,
    /// The challenger's own default MQL threshold.
    pub threshold: f64,
}

impl Shadow {
    /// `challenger` beside `champion`; `rule_fields` are the rules' fields the champion reads.
    pub fn new(champion: Arc<LoadedModel>, challenger: Arc<LoadedModel>, rule_fields: Vec<(String, Kind)>) -> Shadow {
        let encoder = &challenger.artifact.encoder;
        let inputs = encoder.inputs();
        let kind =
            |name: &str| encoder.features.iter().find(|f| f.name == name).map_or(Kind::Date, |f| f.transform.kind());
        let extra = inputs.iter().map(|name| ((*name).to_owned(), kind(name)));
        let fields = lead::Fields::new(&champion.artifact, rule_fields).with_shadow(extra);
        let slots = inputs.iter().map(|name| fields.get(name).map_or(usize::MAX, |(slot, _)| slot)).collect();
        let champion_inputs = champion.artifact.encoder.inputs();
        let from_champion = inputs.iter().map(|name| champion_inputs.iter().position(|c| c == name)).collect();
        let threshold = leadscore_core::threshold::default(&challenger.artifact).threshold;
        Shadow { champion, challenger, fields, slots, from_champion, threshold }
    }

    /// The challenger's inputs of a lead read against [`Shadow::fields`], by slot.
    pub fn values_by_slot<'a>(&self, value: impl Fn(usize) -> RawValue<'a>) -> Vec<FieldValue> {
        self.slots.iter().map(|&slot| FieldValue::from_raw(value(slot))).collect()
    }

    /// The challenger's inputs from the current version's inputs by index (the CSV route).
    pub fn values_by_champion_feature<'a>(&self, field: &mut dyn FnMut(usize) -> RawValue<'a>) -> Vec<FieldValue> {
        self.from_champion.iter().map(|i| i.map_or(FieldValue::Missing, |i| FieldValue::from_raw(field(i)))).collect()
    }
}

/// The shadow scorer's counters, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ShadowStats {
    /// Shadow scorings handed to the log writer with their served row.
    pub scored: u64,
    /// Shadow scorings dropped because the queue was full (their served rows were logged).
    pub dropped: u64,
    /// Leads the challenger could not score (their served rows were logged).
    pub failed: u64,
}

#[derive(Default)]
struct Counters {
    scored: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// One lead to score with a challenger.
struct Job {
    served: Prediction,
    challenger: Arc<LoadedModel>,
    threshold: f64,
    values: Vec<FieldValue>,
}

enum Message {
    Job(Box<Job>),
    /// Acknowledge once every earlier job is with the writer.
    Flush(SyncSender<()>),
    /// Hand every earlier job to the writer, acknowledge and stop.
    Stop(SyncSender<()>),
}

/// The queue and the thread that score challengers.
pub struct ShadowScorer {
    tx: SyncSender<Message>,
    writer: LogWriter,
    counters: Arc<Counters>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl ShadowScorer {
    /// Starts the thread; its rows go to `writer`, keeping `logging` of the challenger's fields.
    pub fn start(writer: LogWriter, logging: FieldLogging, capacity: usize) -> Result<ShadowScorer, String> {
        let (tx, rx) = mpsc::sync_channel(capacity.max(1));
        let counters = Arc::new(Counters::default());
        let (w, c) = (writer.clone(), counters.clone());
        let thread = std::thread::Builder::new()
            .name("leadscore-shadow".into())
            .spawn(move || work(&rx, &w, &c, logging))
            .map_err(|e| format!("cannot start the shadow scorer: {e}"))?;
        Ok(ShadowScorer { tx, writer, counters, thread: Mutex::new(Some(thread)) })
    }

    /// Queues the shadow scoring of the lead of `served` by `shadow`'s challenger; never blocks.
    /// When the queue is full the served row goes to the writer alone and the drop is counted.
    pub fn submit(&self, shadow: &Shadow, served: Prediction, values: Vec<FieldValue>) {
        let job = Job { served, challenger: shadow.challenger.clone(), threshold: shadow.threshold, values };
        match self.tx.try_send(Message::Job(Box::new(job))) {
            Ok(()) => {}
            Err(TrySendError::Full(m) | TrySendError::Disconnected(m)) => {
                self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                if let Message::Job(job) = m {
                    self.writer.log(job.served);
                }
            }
        }
    }

    /// Waits until every job queued before this call is with the writer, at most `timeout`.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        self.send_control(Message::Flush(ack_tx), ack_rx, timeout)
    }

    /// Scores what is queued, hands it to the writer and stops the thread (graceful shutdown,
    /// before the writer's own), waiting at most `timeout`.
    pub fn shutdown(&self, timeout: Duration) -> ShadowStats {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        if self.send_control(Message::Stop(ack_tx), ack_rx, timeout) {
            if let Some(handle) = self.thread.lock().ok().and_then(|mut h| h.take()) {
                let _ = handle.join();
            }
        }
        self.stats()
    }

    fn send_control(&self, mut message: Message, ack: Receiver<()>, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            match self.tx.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    message = m;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        ack.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    /// The counters now.
    pub fn stats(&self) -> ShadowStats {
        let c = &self.counters;
        ShadowStats {
            scored: c.scored.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }

    /// The shadow scorer's lines of the Prometheus exposition.
    pub fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write;
        let s = self.stats();
        out.push_str("# HELP leadscore_shadow_rows_total Challenger (CHALLENGER) scorings of served leads by fate: scored and logged beside the served row, dropped on a full queue, or failed.\n# TYPE leadscore_shadow_rows_total counter\n");
        for (fate, n) in [("scored", s.scored), ("dropped", s.dropped), ("failed", s.failed)] {
            let _ = writeln!(out, "leadscore_shadow_rows_total{{fate=\"{fate}\"}} {n}");
        }
    }
}

fn work(rx: &Receiver<Message>, writer: &LogWriter, counters: &Counters, logging: FieldLogging) {
    while let Ok(message) = rx.recv() {
        match message {
            Message::Job(job) => {
                let Job { served, challenger, threshold, values } = *job;
                let artifact = &challenger.artifact;
                let mut scorer = Scorer::with_lookup(artifact, &challenger.lookup);
                match scorer.score_indexed(|i| values.get(i).map_or(RawValue::Missing, FieldValue::raw), 0) {
                    Ok(scored) => {
                        let shadow = Prediction {
                            version: challenger.version.clone(),
                            shadow: true,
                            probability: scored.probability,
                            score: scored.score,
                            tier: scored.tier.to_owned(),
                            mql: scored.probability >= threshold,
                            threshold,
                            rule_points: None,
                            rule_mql: None,
                            fields: challenger
                                .log_names
                                .fields(logging, |i| values.get(i).map_or(RawValue::Missing, FieldValue::raw)),
                            scored_at_ms: served.scored_at_ms,
                            model: served.model.clone(),
                            lead_id: served.lead_id.clone(),
                        };
                        counters.scored.fetch_add(1, Ordering::Relaxed);
                        writer.log_pair(served, shadow);
                    }
                    Err(_) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        writer.log(served);
                    }
                }
            }
            Message::Flush(ack) => {
                let _ = ack.try_send(());
            }
            Message::Stop(ack) => {
                let _ = ack.try_send(());
                return;
            }
        }
    }
}

#[cfg(test)]
impl ShadowScorer {
    /// A scorer whose thread is not started: the test drains the queue itself with [`work`].
    fn unstarted(writer: LogWriter, capacity: usize) -> (ShadowScorer, Receiver<Message>, Arc<Counters>) {
        let (tx, rx) = mpsc::sync_channel(capacity);
        let counters = Arc::new(Counters::default());
        (ShadowScorer { tx, writer, counters: counters.clone(), thread: Mutex::new(None) }, rx, counters)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use leadscore_store::{Filter, PairFilter, WriterConfig};

    use super::*;
    use crate::{AppState, ServeConfig};

    fn served(i: usize) -> Prediction {
        Prediction {
            scored_at_ms: 1_700_000_000_000 + i as i64,
            model: "leads".into(),
            version: "v1".into(),
            shadow: false,
            lead_id: format!("L{i}"),
            probability: 0.25,
            score: 25,
            tier: "B".into(),
            mql: false,
            threshold: 0.3,
            rule_points: None,
            rule_mql: None,
            fields: None,
        }
    }

    /// A full queue drops the shadow scoring, never the served row: with room for 2 jobs and no
    /// thread taking them, 3 of 5 are dropped (their served rows go to the writer alone); the 2
    /// queued are scored and written as pairs when the queue drains.
    #[test]
    fn a_full_queue_drops_the_shadow_scoring_and_keeps_the_served_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let writer = LogWriter::start(path.to_str().unwrap(), WriterConfig::default()).unwrap();
        let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models");
        let state = AppState::new(ServeConfig { models, watch_interval: Duration::ZERO, ..ServeConfig::default() });
        let model = state.models().get(None, None).unwrap();
        // The shipped version as its own challenger: the scoring is real, the pairing what is checked.
        let shadow = Shadow::new(model.clone(), model.clone(), Vec::new());
        let (scorer, rx, counters) = ShadowScorer::unstarted(writer.clone(), 2);
        for i in 0..5 {
            scorer.submit(&shadow, served(i), shadow.values_by_slot(|_| RawValue::Missing));
        }
        assert_eq!(scorer.stats(), ShadowStats { scored: 0, dropped: 3, failed: 0 });
        let w = writer.clone();
        let worker = std::thread::spawn(move || work(&rx, &w, &counters, FieldLogging::Model));
        assert_eq!(scorer.shutdown(Duration::from_secs(10)), ShadowStats { scored: 2, dropped: 3, failed: 0 });
        worker.join().unwrap();
        let stats = writer.shutdown(Duration::from_secs(10));
        assert_eq!((stats.written, stats.dropped()), (7, 0), "{stats:?}");
        let mut store = leadscore_store::open(path.to_str().unwrap()).unwrap();
        let served_rows = store.rows(&Filter::served("leads", None, None, None)).unwrap();
        let mut ids: Vec<&str> = served_rows.iter().map(|r| r.prediction.lead_id.as_str()).collect();
        ids.sort_unstable();
        assert_eq!(ids, ["L0", "L1", "L2", "L3", "L4"], "every served row kept");
        let pairs = store.paired_rows(&PairFilter { model: "leads".into(), ..Default::default() }).unwrap();
        let paired: Vec<&str> = pairs.iter().map(|p| p.challenger.prediction.lead_id.as_str()).collect();
        assert_eq!(paired, ["L0", "L1"]);
        let shadow_rows =
            store.rows(&Filter { model: "leads".into(), shadow: Some(true), ..Default::default() }).unwrap();
        assert!(shadow_rows.iter().all(|r| r.prediction.fields.is_some()), "the challenger's fields logged");
        let mut metrics = String::new();
        scorer.render_metrics(&mut metrics);
        assert!(metrics.contains("leadscore_shadow_rows_total{fate=\"dropped\"} 3"), "{metrics}");
    }
}
