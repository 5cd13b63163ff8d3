//! The server's log writer: scoring never waits for the store.
//!
//! [`LogWriter::log_all`] puts a request's rows on a bounded queue as one item and returns at
//! once; one thread takes them off in batches and inserts each batch in one transaction. When
//! the queue is full (the store cannot keep up) or a batch fails (the store is down, read-only,
//! full), the rows are dropped and counted ([`WriterStats`]), the writer reports itself
//! degraded, and it reopens the store at most every [`WriterConfig::retry`] until a batch goes in
//! again. Shutdown writes what is queued.
//!
//! **What a crash can lose.** Rows are in memory until their batch commits. A batch is written
//! when it holds [`WriterConfig::batch_rows`] rows (default 8,192; more only when one request
//! alone brings more) or [`WriterConfig::max_delay`] (default 200 ms) after its first row
//! arrived, whichever comes first. So `kill -9` loses at most the rows of the last `max_delay`
//! plus the batch being written while the store keeps up, and at most `capacity + batch_rows`
//! rows (default 65,536 + 8,192) when it does not. A committed batch is whole (one transaction);
//! a batch interrupted by the kill is not in the store at all.
//!
//! **What it costs the requests.** A request hands over its rows in one queue item (one atomic
//! count of the rows waiting, one channel send); while a batch is open the writer polls the queue
//! every [`POLL`] instead of being woken for each item, so a request never makes a system call
//! for the log. The writer thread runs at a lower CPU priority ([`NICE`]): when scoring takes
//! every core, scoring goes first and the log falls behind, dropping (and counting) rows rather
//! than slowing answers; with any idle CPU it gets what it needs.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::row::{Pair, Prediction};
use crate::{Result, Store};

/// How often the writer looks at the queue while a batch is open (see the module).
pub const POLL: Duration = Duration::from_millis(5);

/// The writer thread's nice value (Linux: per thread), as RocksDB lowers its compaction
/// threads' priority: background work that yields to the requests under CPU contention.
pub const NICE: i32 = 10;

/// Lowers the calling thread's CPU priority to [`NICE`] (Linux keeps a nice value per thread):
/// the log's writer, its checkpoints and the monitor's reads of the log are background work that
/// yields to scoring. Best effort: a system that refuses leaves the thread at the server's
/// priority, and the error says why. A thread cannot raise its priority back without privileges,
/// so only threads of their own call this, never a pool's.
pub fn lower_priority() -> std::io::Result<()> {
    rustix::process::setpriority_process(Some(rustix::thread::gettid()), NICE).map_err(std::io::Error::from)
}

/// How the writer batches and retries. See the module for what each bound means after a crash.
#[derive(Clone, Debug, PartialEq)]
pub struct WriterConfig {
    /// Rows the queue holds before new rows are dropped.
    pub capacity: usize,
    /// Rows per insert (one transaction). Large, because a commit writes every page the batch
    /// dirtied and a lead-id index leaf is dirtied per distinct id: with the bench's 1,000 repeated
    /// ids, 8,192 rows cost the writer 9.1 us of CPU a row, 2,048 rows 11.2 us. When the store keeps
    /// up, `max_delay` closes a batch long before it is full.
    pub batch_rows: usize,
    /// Longest a row waits for its batch to fill.
    pub max_delay: Duration,
    /// Wait between attempts to reopen a failed store.
    pub retry: Duration,
    /// Scorings older than this are deleted (checked every `retention_every`); `None` keeps all.
    pub retention: Option<Duration>,
    /// How often retention runs.
    pub retention_every: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            capacity: 65_536,
            batch_rows: 8_192,
            max_delay: Duration::from_millis(200),
            retry: Duration::from_secs(1),
            retention: None,
            retention_every: Duration::from_secs(3600),
        }
    }
}

/// The writer's counters, for `/metrics` and `readyz`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WriterStats {
    /// Rows accepted onto the queue.
    pub queued: u64,
    /// Rows committed to the store.
    pub written: u64,
    /// Rows dropped because the queue was full.
    pub dropped_queue_full: u64,
    /// Rows dropped because their batch could not be written.
    pub dropped_store_error: u64,
    /// Rows refused by [`Prediction::check`] (a caller's bug; never a client's data).
    pub refused: u64,
    /// Batches that failed.
    pub failed_batches: u64,
    /// Whether the last batch went in (false: degraded, still scoring).
    pub healthy: bool,
    /// The last store error, if the store is degraded.
    pub last_error: Option<String>,
    /// Rows deleted by retention.
    pub purged: u64,
}

impl WriterStats {
    /// Every row lost so far, whatever the reason.
    pub fn dropped(&self) -> u64 {
        self.dropped_queue_full + self.dropped_store_error + self.refused
    }
}

#[derive(Default)]
struct Counters {
    queued: AtomicU64,
    written: AtomicU64,
    dropped_queue_full: AtomicU64,
    dropped_store_error: AtomicU64,
    refused: AtomicU64,
    failed_batches: AtomicU64,
    purged: AtomicU64,
    unhealthy: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Rows on the queue now (the bound of `capacity`).
    waiting: AtomicUsize,
    /// Set by shutdown: rows logged afterwards are dropped.
    stopped: AtomicBool,
}

enum Message {
    /// The rows of one request.
    Rows(Vec<Prediction>),
    /// A served scoring and its shadow scoring: written in the same batch, the shadow row naming
    /// the served row's id.
    Pair(Box<(Prediction, Prediction)>),
    /// Acknowledge once every earlier row is written.
    Flush(SyncSender<()>),
    /// Write every earlier row, acknowledge and stop.
    Stop(SyncSender<()>),
}

impl Message {
    fn rows(&self) -> usize {
        match self {
            Message::Rows(rows) => rows.len(),
            Message::Pair(_) => 2,
            Message::Flush(_) | Message::Stop(_) => 0,
        }
    }
}

/// Opens the store again after a failure (the writer owns its connection).
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn Store>> + Send>;

/// The handle the server keeps: cheap to clone, every clone feeds the same queue.
#[derive(Clone)]
pub struct LogWriter {
    tx: Sender<Message>,
    counters: Arc<Counters>,
    capacity: usize,
    thread: Arc<Mutex<Option<JoinHandle<()>>>>,
}

impl LogWriter {
    /// Opens the store at `location` (a bad location, a schema too new or an unreachable database
    /// is an error here, before the server takes traffic) and starts the writer thread.
    pub fn start(location: &str, config: WriterConfig) -> Result<LogWriter> {
        let location = location.to_owned();
        let opener: Opener = Box::new(move || crate::open_for_writing(&location));
        Self::start_with(opener, config)
    }

    /// [`LogWriter::start`] with a custom opener (tests inject failing stores).
    pub fn start_with(mut opener: Opener, config: WriterConfig) -> Result<LogWriter> {
        let store = opener()?;
        let (tx, rx) = mpsc::channel();
        let counters = Arc::new(Counters::default());
        let capacity = config.capacity.max(1);
        let worker = Worker {
            rx,
            counters: counters.clone(),
            store: Some(store),
            opener,
            next_attempt: Instant::now(),
            next_purge: Instant::now(),
            config,
        };
        let handle = std::thread::Builder::new()
            .name("leadscore-log".into())
            .spawn(move || {
                // This thread only (Linux keeps a nice value per thread). Best effort: a system
                // that refuses leaves the writer at the server's priority.
                if let Err(e) = lower_priority() {
                    tracing::debug!(error = %e, "prediction log: the writer keeps the server's CPU priority");
                }
                worker.run();
            })
            .map_err(|error| crate::Error::Io { path: "leadscore-log thread".into(), error })?;
        Ok(LogWriter { tx, counters, capacity, thread: Arc::new(Mutex::new(Some(handle))) })
    }

    /// Queues a row; never blocks. Returns false when the row was dropped (queue full, or the row
    /// refused by [`Prediction::check`]); every drop is counted.
    pub fn log(&self, row: Prediction) -> bool {
        self.log_all(vec![row]) == 1
    }

    /// Whether `rows` more rows would find room on the queue now. When they would not, they are
    /// counted as dropped (queue full) here: a caller that asks before building a request's rows
    /// skips building rows the queue would drop anyway, so an overloaded log sheds its load
    /// before it costs the requests anything. Room can still run out before the rows are queued;
    /// [`LogWriter::log_all`] then drops and counts them as before.
    pub fn admit(&self, rows: usize) -> bool {
        let c = &self.counters;
        if c.waiting.load(Ordering::Relaxed) + rows <= self.capacity && !c.stopped.load(Ordering::Relaxed) {
            return true;
        }
        c.dropped_queue_full.fetch_add(rows as u64, Ordering::Relaxed);
        false
    }

    /// Queues the rows of one request as one item; never blocks. Rows refused by
    /// [`Prediction::check`] are counted and left out; the others are queued together, or all
    /// dropped and counted when the queue has no room for them. Returns how many were queued.
    pub fn log_all(&self, mut rows: Vec<Prediction>) -> usize {
        let before = rows.len();
        rows.retain(|row| row.check().is_ok());
        let refused = before - rows.len();
        if refused > 0 {
            self.counters.refused.fetch_add(refused as u64, Ordering::Relaxed);
        }
        let n = rows.len();
        if n == 0 || self.enqueue(Message::Rows(rows)) {
            return n;
        }
        0
    }

    /// Queues a served scoring (`champion`) and the challenger's shadow scoring of the same lead
    /// (`shadow`) as one item (both rows in one batch, the shadow row recording the served row's
    /// id); never blocks. Returns false when both were dropped (counted as two).
    pub fn log_pair(&self, champion: Prediction, shadow: Prediction) -> bool {
        if champion.check().is_err() || shadow.check().is_err() || !shadow.shadow || champion.shadow {
            self.counters.refused.fetch_add(2, Ordering::Relaxed);
            return false;
        }
        self.enqueue(Message::Pair(Box::new((champion, shadow))))
    }

    /// Puts rows on the queue if it has room for them all; counts them either way.
    fn enqueue(&self, message: Message) -> bool {
        let n = message.rows();
        let c = &self.counters;
        let waiting = c.waiting.fetch_add(n, Ordering::Relaxed) + n;
        if waiting > self.capacity || c.stopped.load(Ordering::Relaxed) || self.tx.send(message).is_err() {
            c.waiting.fetch_sub(n, Ordering::Relaxed);
            c.dropped_queue_full.fetch_add(n as u64, Ordering::Relaxed);
            return false;
        }
        c.queued.fetch_add(n as u64, Ordering::Relaxed);
        true
    }

    /// Sends a control message and waits for its acknowledgement, at most until `deadline`.
    fn control(&self, message: Message, ack: &Receiver<()>, deadline: Instant) -> bool {
        self.tx.send(message).is_ok() && ack.recv_timeout(deadline.saturating_duration_since(Instant::now())).is_ok()
    }

    /// Waits until every row queued before this call is written (or dropped), at most `timeout`.
    /// The outcomes route calls it so that an outcome posted right after its lead was scored
    /// finds the lead. Returns false on timeout.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        self.control(Message::Flush(ack_tx), &ack_rx, Instant::now() + timeout)
    }

    /// The counters now.
    pub fn stats(&self) -> WriterStats {
        let c = &self.counters;
        WriterStats {
            queued: c.queued.load(Ordering::Relaxed),
            written: c.written.load(Ordering::Relaxed),
            dropped_queue_full: c.dropped_queue_full.load(Ordering::Relaxed),
            dropped_store_error: c.dropped_store_error.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            failed_batches: c.failed_batches.load(Ordering::Relaxed),
            healthy: !c.unhealthy.load(Ordering::Relaxed),
            last_error: c.last_error.lock().ok().and_then(|e| e.clone()),
            purged: c.purged.load(Ordering::Relaxed),
        }
    }

    /// Writes every row queued before this call, then stops the thread (graceful shutdown),
    /// waiting at most `timeout`. Rows logged afterwards, through any clone, are dropped and
    /// counted. Returns the final counters.
    pub fn shutdown(&self, timeout: Duration) -> WriterStats {
        let (ack_tx, ack_rx) = mpsc::sync_channel(1);
        if self.control(Message::Stop(ack_tx), &ack_rx, Instant::now() + timeout) {
            if let Some(handle) = self.thread.lock().ok().and_then(|mut h| h.take()) {
                let _ = handle.join();
            }
        }
        self.stats()
    }
}

struct Worker {
    rx: Receiver<Message>,
    counters: Arc<Counters>,
    store: Option<Box<dyn Store>>,
    opener: Opener,
    next_attempt: Instant,
    next_purge: Instant,
    config: WriterConfig,
}

/// What the worker does after taking one message.
enum Next {
    /// Keep filling the batch.
    Fill,
    /// Write the batch now (full, or a flush or stop waits for it).
    Write,
}

impl Worker {
    fn run(mut self) {
        let mut batch: Vec<Prediction> = Vec::with_capacity(self.config.batch_rows);
        let mut pairs: Vec<Pair> = Vec::new();
        let mut acks: Vec<SyncSender<()>> = Vec::new();
        let mut stop: Option<SyncSender<()>> = None;
        loop {
            // Wait for the first row of a batch (waking up for retention).
            let first = match self.rx.recv_timeout(self.config.retention_every.min(Duration::from_secs(60))) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.purge();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut disconnected = false;
            let deadline = Instant::now() + self.config.max_delay;
            let mut next = Some(first);
            // Fill the batch: take what is queued, then sleep a poll interval (requests never
            // wake this thread), until the batch is full, a control message arrives or the
            // batch's delay is over.
            loop {
                let message = match next.take() {
                    Some(m) => m,
                    None => match self.rx.try_recv() {
                        Ok(m) => m,
                        Err(TryRecvError::Empty) => {
                            let now = Instant::now();
                            if now >= deadline {
                                break;
                            }
                            std::thread::sleep(POLL.min(deadline - now));
                            continue;
                        }
                        Err(TryRecvError::Disconnected) => {
                            disconnected = true;
                            break;
                        }
                    },
                };
                let n = message.rows();
                self.counters.waiting.fetch_sub(n, Ordering::Relaxed);
                // A batch holds at most `batch_rows` rows, unless one request alone brings more.
                if n > 0 && !batch.is_empty() && batch.len() + n > self.config.batch_rows {
                    self.write(&batch, &pairs);
                    batch.clear();
                    pairs.clear();
                }
                let after = match message {
                    Message::Rows(rows) => {
                        batch.extend(rows);
                        Next::Fill
                    }
                    Message::Pair(pair) => {
                        let (champion, shadow) = *pair;
                        pairs.push(Pair { champion: batch.len(), shadow: batch.len() + 1 });
                        batch.push(champion);
                        batch.push(shadow);
                        Next::Fill
                    }
                    Message::Flush(ack) => {
                        acks.push(ack);
                        Next::Write
                    }
                    Message::Stop(ack) => {
                        self.counters.stopped.store(true, Ordering::Relaxed);
                        stop = Some(ack);
                        Next::Write
                    }
                };
                if matches!(after, Next::Write) || batch.len() >= self.config.batch_rows {
                    break;
                }
            }
            if stop.is_some() {
                // Rows sent before the stop (a send races the flag) are still written.
                while let Ok(message) = self.rx.try_recv() {
                    self.counters.waiting.fetch_sub(message.rows(), Ordering::Relaxed);
                    match message {
                        Message::Rows(rows) => batch.extend(rows),
                        Message::Pair(pair) => {
                            let (champion, shadow) = *pair;
                            pairs.push(Pair { champion: batch.len(), shadow: batch.len() + 1 });
                            batch.push(champion);
                            batch.push(shadow);
                        }
                        Message::Flush(ack) => acks.push(ack),
                        Message::Stop(_) => {}
                    }
                }
            }
            if !batch.is_empty() {
                self.write(&batch, &pairs);
                batch.clear();
                pairs.clear();
            }
            for ack in acks.drain(..) {
                let _ = ack.try_send(());
            }
            if let Some(ack) = stop.take() {
                let _ = ack.try_send(());
                return;
            }
            self.purge();
            if disconnected {
                return;
            }
        }
    }

    fn fail(&mut self, n: usize, error: &crate::Error) {
        let c = &self.counters;
        c.dropped_store_error.fetch_add(n as u64, Ordering::Relaxed);
        c.failed_batches.fetch_add(1, Ordering::Relaxed);
        if !c.unhealthy.swap(true, Ordering::Relaxed) {
            tracing::warn!(%error, "prediction log degraded: rows are dropped and counted until the store is back");
        }
        if let Ok(mut last) = c.last_error.lock() {
            *last = Some(error.to_string());
        }
    }

    /// The store, reopened if it failed and the retry interval has passed.
    fn store(&mut self) -> std::result::Result<&mut Box<dyn Store>, Option<crate::Error>> {
        if let Some(store) = &mut self.store {
            if let Err(e) = store.check_alive() {
                self.store = None;
                self.next_attempt = Instant::now();
                tracing::warn!(error = %e, "prediction log: the store changed under the writer; reopening");
            }
        }
        if self.store.is_none() {
            if Instant::now() < self.next_attempt {
                return Err(None);
            }
            self.next_attempt = Instant::now() + self.config.retry;
            match (self.opener)() {
                Ok(store) => self.store = Some(store),
                Err(e) => return Err(Some(e)),
            }
        }
        self.store.as_mut().ok_or(None)
    }

    fn write(&mut self, batch: &[Prediction], pairs: &[Pair]) {
        let result = match self.store() {
            Ok(store) => store.insert_paired(batch, pairs),
            Err(Some(e)) => Err(e),
            Err(None) => {
                // Still waiting to retry: the batch is dropped, counted as the store's.
                self.counters.dropped_store_error.fetch_add(batch.len() as u64, Ordering::Relaxed);
                self.counters.failed_batches.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        match result {
            Ok(()) => {
                let c = &self.counters;
                c.written.fetch_add(batch.len() as u64, Ordering::Relaxed);
                if c.unhealthy.swap(false, Ordering::Relaxed) {
                    tracing::info!("prediction log resumed");
                }
                if let Ok(mut last) = c.last_error.lock() {
                    *last = None;
                }
            }
            Err(e) => {
                // Reopen on the next batch after `retry`: the connection or the file may be gone.
                self.store = None;
                self.next_attempt = Instant::now() + self.config.retry;
                self.fail(batch.len(), &e);
            }
        }
    }

    fn purge(&mut self) {
        let Some(retention) = self.config.retention else { return };
        if Instant::now() < self.next_purge {
            return;
        }
        self.next_purge = Instant::now() + self.config.retention_every;
        let cutoff = crate::row::now_ms().saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        if let Ok(store) = self.store() {
            match store.purge_before(cutoff) {
                Ok(n) => {
                    self.counters.purged.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => tracing::warn!(error = %e, "prediction log: retention failed"),
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::row::{Filter, Forgotten, LoggedRow, Outcome, OutcomeReport, PairFilter, PairedRow};
    use crate::sqlite::SqliteStore;

    pub(crate) fn prediction(i: usize) -> Prediction {
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

    fn count(path: &std::path::Path) -> usize {
        let mut store = SqliteStore::open(path).unwrap();
        store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap().len()
    }

    #[test]
    fn rows_are_written_in_batches_and_flushed_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let location = path.to_str().unwrap().to_owned();
        // Batches of 100, and a delay long enough that only the size or the shutdown writes them.
        let config = WriterConfig { batch_rows: 100, max_delay: Duration::from_secs(30), ..Default::default() };
        let writer = LogWriter::start(&location, config).unwrap();
        for i in 0..250 {
            assert!(writer.log(prediction(i)));
        }
        // The first two batches of 100 are written by size; the last 50 wait for their delay.
        let deadline = Instant::now() + Duration::from_secs(10);
        while writer.stats().written < 200 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(writer.stats().written, 200);
        let stats = writer.shutdown(Duration::from_secs(10));
        assert_eq!((stats.queued, stats.written, stats.dropped()), (250, 250, 0));
        assert_eq!(count(&path), 250);
        // After shutdown nothing is queued, and the drop is counted.
        assert!(!writer.log(prediction(999)));
        assert_eq!(writer.stats().dropped_queue_full, 1);
    }

    #[test]
    fn flush_waits_for_the_rows_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let config = WriterConfig { max_delay: Duration::from_secs(30), ..Default::default() };
        let writer = LogWriter::start(path.to_str().unwrap(), config).unwrap();
        for i in 0..10 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        assert_eq!(count(&path), 10);
        // A refused row (not a probability) is counted, never queued.
        let mut bad = prediction(11);
        bad.probability = f64::NAN;
        assert!(!writer.log(bad));
        assert_eq!(writer.stats().refused, 1);
        writer.shutdown(Duration::from_secs(10));
    }

    #[test]
    fn a_pair_goes_into_one_batch_and_the_shadow_row_names_its_served_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        // Batches of 3: the second pair would straddle two batches if a pair were two items.
        let config = WriterConfig { batch_rows: 3, max_delay: Duration::from_secs(30), ..Default::default() };
        let writer = LogWriter::start(path.to_str().unwrap(), config).unwrap();
        let shadow = |i: usize| Prediction { shadow: true, version: "v2".into(), probability: 0.5, ..prediction(i) };
        assert!(writer.log(prediction(0)));
        assert!(writer.log_pair(prediction(1), shadow(1)));
        assert!(writer.log_pair(prediction(2), shadow(2)));
        // A served row given as the shadow one is refused, both counted.
        assert!(!writer.log_pair(prediction(3), prediction(3)));
        let stats = writer.shutdown(Duration::from_secs(10));
        assert_eq!((stats.queued, stats.written, stats.refused), (5, 5, 2));
        let mut store = SqliteStore::open(&path).unwrap();
        let rows = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
        let ids: Vec<(&str, bool, Option<i64>)> =
            rows.iter().map(|r| (r.prediction.lead_id.as_str(), r.prediction.shadow, r.champion_id)).collect();
        let id = |i: usize| Some(rows[i].row_id);
        assert_eq!(
            ids,
            [("L0", false, None), ("L1", false, None), ("L1", true, id(1)), ("L2", false, None), ("L2", true, id(3))]
        );
    }

    /// A store that fails every insert while `down` is set.
    struct Flaky {
        inner: SqliteStore,
        down: Arc<AtomicBool>,
    }

    impl Store for Flaky {
        fn location(&self) -> &str {
            self.inner.location()
        }
        fn schema_version(&mut self) -> Result<u32> {
            self.inner.schema_version()
        }
        fn check_alive(&mut self) -> Result<()> {
            self.inner.check_alive()
        }
        fn insert_paired(&mut self, rows: &[Prediction], pairs: &[Pair]) -> Result<()> {
            if self.down.load(Ordering::SeqCst) {
                return Err(crate::Error::Location { location: "flaky".into(), reason: "down".into() });
            }
            self.inner.insert_paired(rows, pairs)
        }
        fn paired_rows(&mut self, filter: &PairFilter) -> Result<Vec<PairedRow>> {
            self.inner.paired_rows(filter)
        }
        fn shadow_versions(&mut self, model: &str) -> Result<Vec<String>> {
            self.inner.shadow_versions(model)
        }
        fn upsert_outcomes(&mut self, o: &[Outcome], at: i64) -> Result<OutcomeReport> {
            self.inner.upsert_outcomes(o, at)
        }
        fn forget(&mut self, id: &str) -> Result<Forgotten> {
            self.inner.forget(id)
        }
        fn purge_before(&mut self, cutoff: i64) -> Result<u64> {
            self.inner.purge_before(cutoff)
        }
        fn rows(&mut self, filter: &Filter) -> Result<Vec<LoggedRow>> {
            self.inner.rows(filter)
        }
        fn nth_newest_id(&mut self, filter: &Filter, n: u64) -> Result<Option<i64>> {
            self.inner.nth_newest_id(filter, n)
        }
        fn count_outcomes(&mut self) -> Result<u64> {
            self.inner.count_outcomes()
        }
        fn versions(&mut self) -> Result<Vec<(String, String, u64)>> {
            self.inner.versions()
        }
    }

    #[test]
    fn a_failing_store_drops_and_counts_then_resumes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let down = Arc::new(AtomicBool::new(false));
        let (p, d) = (path.clone(), down.clone());
        let opener: Opener =
            Box::new(move || Ok(Box::new(Flaky { inner: SqliteStore::open(&p)?, down: d.clone() }) as Box<dyn Store>));
        let config = WriterConfig { batch_rows: 10, retry: Duration::from_millis(50), ..Default::default() };
        let writer = LogWriter::start_with(opener, config).unwrap();
        for i in 0..10 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        down.store(true, Ordering::SeqCst);
        for i in 10..30 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        let stats = writer.stats();
        assert!(!stats.healthy && stats.last_error.as_deref().is_some_and(|e| e.contains("down")), "{stats:?}");
        assert_eq!((stats.written, stats.dropped_store_error), (10, 20));
        down.store(false, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(100));
        for i in 30..40 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        let stats = writer.shutdown(Duration::from_secs(10));
        assert!(stats.healthy, "{stats:?}");
        assert_eq!((stats.queued, stats.written, stats.dropped_store_error), (40, 20, 20));
        assert_eq!(count(&path), 20);
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let p = path.clone();
        // A store that takes 200 ms per batch, behind a queue of 5 rows.
        struct Slow(SqliteStore);
        impl Store for Slow {
            fn location(&self) -> &str {
                self.0.location()
            }
            fn schema_version(&mut self) -> Result<u32> {
                self.0.schema_version()
            }
            fn check_alive(&mut self) -> Result<()> {
                self.0.check_alive()
            }
            fn insert_paired(&mut self, rows: &[Prediction], pairs: &[Pair]) -> Result<()> {
                std::thread::sleep(Duration::from_millis(200));
                self.0.insert_paired(rows, pairs)
            }
            fn paired_rows(&mut self, filter: &PairFilter) -> Result<Vec<PairedRow>> {
                self.0.paired_rows(filter)
            }
            fn shadow_versions(&mut self, model: &str) -> Result<Vec<String>> {
                self.0.shadow_versions(model)
            }
            fn upsert_outcomes(&mut self, o: &[Outcome], at: i64) -> Result<OutcomeReport> {
                self.0.upsert_outcomes(o, at)
            }
            fn forget(&mut self, id: &str) -> Result<Forgotten> {
                self.0.forget(id)
            }
            fn purge_before(&mut self, cutoff: i64) -> Result<u64> {
                self.0.purge_before(cutoff)
            }
            fn rows(&mut self, filter: &Filter) -> Result<Vec<LoggedRow>> {
                self.0.rows(filter)
            }
            fn nth_newest_id(&mut self, filter: &Filter, n: u64) -> Result<Option<i64>> {
                self.0.nth_newest_id(filter, n)
            }
            fn count_outcomes(&mut self) -> Result<u64> {
                self.0.count_outcomes()
            }
            fn versions(&mut self) -> Result<Vec<(String, String, u64)>> {
                self.0.versions()
            }
        }
        let opener: Opener = Box::new(move || Ok(Box::new(Slow(SqliteStore::open(&p)?)) as Box<dyn Store>));
        let config =
            WriterConfig { capacity: 5, batch_rows: 5, max_delay: Duration::from_millis(1), ..Default::default() };
        let writer = LogWriter::start_with(opener, config).unwrap();
        // Asked first (a request about to build its rows): 6 rows never fit a queue of 5, and are
        // counted as dropped without being built; 5 fit the empty queue.
        assert!(!writer.admit(6));
        assert_eq!(writer.stats().dropped_queue_full, 6);
        assert!(writer.admit(5));
        // Every other row asked first, the rest queued straight away: each drop counted once.
        let accepted =
            (0..100).filter(|&i| (i % 2 == 1 || writer.admit(1)) && writer.log(prediction(i))).count() as u64;
        let stats = writer.shutdown(Duration::from_secs(30));
        assert!(stats.dropped_queue_full > 6, "{stats:?}");
        assert_eq!(stats.queued, accepted);
        assert_eq!(stats.queued + stats.dropped_queue_full, 100 + 6);
        assert_eq!(stats.written, accepted);
        assert_eq!(count(&path) as u64, accepted);
        // After the shutdown nothing is admitted.
        assert!(!writer.admit(1));
    }

    #[test]
    fn retention_deletes_old_scorings() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        // Keep a day; the rows below were scored in 2023.
        let config = WriterConfig {
            retention: Some(Duration::from_secs(86_400)),
            retention_every: Duration::from_millis(10),
            ..Default::default()
        };
        let writer = LogWriter::start(path.to_str().unwrap(), config).unwrap();
        for i in 0..5 {
            writer.log(prediction(i));
        }
        let mut recent = prediction(5);
        recent.scored_at_ms = crate::row::now_ms();
        writer.log(recent);
        assert!(writer.flush(Duration::from_secs(10)));
        // Retention runs after the batch, or on the next wake-up.
        let deadline = Instant::now() + Duration::from_secs(10);
        while writer.stats().purged < 5 && Instant::now() < deadline {
            writer.log(prediction(100));
            assert!(writer.flush(Duration::from_secs(10)));
            std::thread::sleep(Duration::from_millis(20));
        }
        writer.shutdown(Duration::from_secs(10));
        let mut store = SqliteStore::open(&path).unwrap();
        let rows = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
        assert!(rows.iter().any(|r| r.prediction.lead_id == "L5"));
        assert!(rows.iter().all(|r| r.prediction.lead_id == "L5" || r.prediction.lead_id == "L100"), "{}", rows.len());
    }

    #[test]
    fn a_deleted_file_is_noticed_and_the_log_goes_on_in_a_new_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let writer = LogWriter::start(path.to_str().unwrap(), WriterConfig::default()).unwrap();
        for i in 0..5 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        for ext in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{ext}", path.display()));
        }
        for i in 5..12 {
            writer.log(prediction(i));
        }
        assert!(writer.flush(Duration::from_secs(10)));
        let stats = writer.shutdown(Duration::from_secs(10));
        // The 7 rows after the deletion are in the new file, none written to the unlinked one.
        assert_eq!(count(&path), 7);
        assert_eq!((stats.written, stats.dropped()), (12, 0));
    }
}
