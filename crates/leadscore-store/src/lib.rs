//! The prediction log and the outcomes: what the server scored, what became of each lead, and the
//! queries behind `leadscore monitor` and `leadscore export-training`.
//!
//! - [`Store`]: one trait over two backends, [`sqlite`] (an embedded file, the default; bundled
//!   SQLite, so no system library) and `postgres` (`postgres://...`, several server replicas
//!   writing one log). [`open`] picks by location.
//! - [`schema`]: the versioned migrations both backends apply when opened.
//! - [`row`]: what a row holds, lead ids, field logging.
//! - [`writer`]: the server's writer: a bounded queue and batched inserts off the request path,
//!   drops counted, resuming when the store is back, flushed on shutdown.
//! - [`monitor`]: the monitor's report of one model version from the log.
//! - [`read`]: reading a large log a page at a time, so that no read holds the log open long.
//! - [`export`]: the next training set: logged inputs as they were when scored, with outcomes.
//! - [`outcomes_csv`]: outcomes from a CRM export, read by the training reader.
//!
//! The store depends on the core (and `leadscore-io` for CSV); it knows nothing of HTTP or of the
//! trainer. All calls are blocking: the server calls them from the writer's own thread or
//! `spawn_blocking` (the synchronous PostgreSQL client must not run on a tokio worker).
#![warn(missing_docs)]

pub mod error;
pub mod export;
pub mod monitor;
pub mod outcomes_csv;
#[cfg(feature = "postgres")]
pub mod postgres;
pub mod read;
pub mod row;
pub mod schema;
pub mod sqlite;
pub mod writer;

pub use error::{Error, Result};
pub use row::{
    check_lead_id, day_bounds, new_lead_id, FieldLogging, FieldNames, FieldValue, Fields, Filter, Forgotten, LoggedRow,
    Outcome, OutcomeReport, Pair, PairFilter, PairedRow, Prediction,
};
pub use writer::{LogWriter, WriterConfig, WriterStats};

/// A prediction log. Every method is one transaction: a failed call leaves the store as it was.
pub trait Store: Send {
    /// Where the store is (a path, or the URL without its password), for messages.
    fn location(&self) -> &str;
    /// The schema version (after migration, [`schema::LATEST`]).
    fn schema_version(&mut self) -> Result<u32>;
    /// Whether the store this handle writes to is still the store at its location (an SQLite
    /// file deleted or replaced under a running server is noticed here, and the writer reopens).
    fn check_alive(&mut self) -> Result<()>;
    /// Appends scorings.
    fn insert(&mut self, rows: &[Prediction]) -> Result<()> {
        self.insert_paired(rows, &[])
    }
    /// Appends scorings, each shadow row of `pairs` recording the row id of the served row it
    /// shadows (refused, nothing written, when a pair does not name an earlier served row of the
    /// same lead and model).
    fn insert_paired(&mut self, rows: &[Prediction], pairs: &[Pair]) -> Result<()>;
    /// Stores outcomes of logged leads by id (posting the same outcome twice is harmless; a later
    /// one replaces an earlier one); ids never scored are counted and not stored.
    fn upsert_outcomes(&mut self, outcomes: &[Outcome], received_at_ms: i64) -> Result<OutcomeReport>;
    /// Deletes every row of one lead: its scorings and its outcome (an erasure request).
    fn forget(&mut self, lead_id: &str) -> Result<Forgotten>;
    /// Deletes scorings older than `cutoff_ms` and the outcomes left without a scoring (retention).
    fn purge_before(&mut self, cutoff_ms: i64) -> Result<u64>;
    /// Scorings matching `filter`, in insertion order, each with its lead's outcome. One
    /// statement: on a large log, [`read::rows_in_pages`] reads the same rows without holding
    /// one read open the whole time.
    fn rows(&mut self, filter: &Filter) -> Result<Vec<LoggedRow>>;
    /// The row id of the scoring matching `filter` that has `n` newer ones (0: the newest);
    /// `None` when fewer than `n + 1` match.
    fn nth_newest_id(&mut self, filter: &Filter, n: u64) -> Result<Option<i64>>;
    /// Shadow scorings matching `filter` (the period on the served scoring's time), each with
    /// the served scoring it shadows and that lead's outcome, in insertion order. Shadow rows
    /// whose served row is gone (retention, `forget`) or was never recorded are left out.
    fn paired_rows(&mut self, filter: &PairFilter) -> Result<Vec<PairedRow>>;
    /// The versions that shadowed `model` (its challengers' rows), in version order, from the
    /// shadow rows' index alone.
    fn shadow_versions(&mut self, model: &str) -> Result<Vec<String>>;
    /// Outcomes stored.
    fn count_outcomes(&mut self) -> Result<u64>;
    /// Every (model, version) in the log with its number of scorings.
    fn versions(&mut self) -> Result<Vec<(String, String, u64)>>;
}

/// Whether `location` names a PostgreSQL store.
pub fn is_postgres(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// Opens (creating and migrating as needed) the store at `location`: a `postgres://` URL, or a
/// file path (`sqlite:` prefix optional) for SQLite.
pub fn open(location: &str) -> Result<Box<dyn Store>> {
    open_with(location, false)
}

/// [`open`] for the server's log writer: an SQLite store checkpoints on a thread of its own
/// ([`sqlite::SqliteStore::checkpoint_in_background`]), so that no insert waits for a checkpoint.
pub fn open_for_writing(location: &str) -> Result<Box<dyn Store>> {
    open_with(location, true)
}

fn open_with(location: &str, background_checkpoints: bool) -> Result<Box<dyn Store>> {
    if is_postgres(location) {
        #[cfg(feature = "postgres")]
        return Ok(Box::new(postgres::PgStore::open(location)?));
        #[cfg(not(feature = "postgres"))]
        return Err(Error::Location {
            location: location.to_owned(),
            reason: "this build has no PostgreSQL support (feature `postgres`)".into(),
        });
    }
    let path = location.strip_prefix("sqlite:").unwrap_or(location);
    if path.is_empty() {
        return Err(Error::Location { location: location.to_owned(), reason: "no file path".into() });
    }
    let mut store = sqlite::SqliteStore::open(std::path::Path::new(path))?;
    if background_checkpoints {
        store.checkpoint_in_background()?;
    }
    Ok(Box::new(store))
}

/// The outcomes of an upload, one per lead: the last of repeated ids wins.
pub(crate) fn dedupe_outcomes(outcomes: &[Outcome]) -> Vec<&Outcome> {
    let mut last: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate() {
        last.insert(o.lead_id.as_str(), i);
    }
    let mut keep: Vec<usize> = last.into_values().collect();
    keep.sort_unstable();
    keep.into_iter().map(|i| &outcomes[i]).collect()
}

impl OutcomeReport {
    pub(crate) fn note_unknown(&mut self, id: &str) {
        self.unknown += 1;
        if self.unknown_ids.len() < row::MAX_UNKNOWN_SHOWN {
            self.unknown_ids.push(id.to_owned());
        }
    }
}
