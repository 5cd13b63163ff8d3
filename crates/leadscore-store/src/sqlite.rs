//! The embedded default: one SQLite file (bundled SQLite, no system library).
//!
//! WAL journal with `synchronous = NORMAL`: a committed batch survives the process being killed
//! (only a power cut can lose the last commits), and readers (`leadscore monitor` while the
//! server writes) never block the writer. A batch is one transaction of cached statements, each
//! inserting `ROWS_PER_INSERT` (64) rows (a batch with shadow pairs gives each row its id, taken
//! from the AUTOINCREMENT counter first, so that a shadow row can name its served row's id); the
//! fields are bound as the JSON text the request wrote.
//!
//! **Checkpoints.** WAL frames are copied back into the database file by a checkpoint. Run by the
//! writing connection alone (SQLite's autocheckpoint), a checkpoint of the 64 MB the writer reaches
//! in about a second at 60,000 rows/s stalls it, fsyncs included, while the requests keep filling
//! its queue: the server's log writer dropped rows at every checkpoint. The log writer's store
//! therefore also checkpoints on a thread of its own ([`SqliteStore::checkpoint_in_background`]):
//! `PRAGMA wal_checkpoint(PASSIVE)` on its own connection every [`CHECKPOINT_EVERY`], which copies
//! committed frames while the writer goes on appending (WAL mode lets both run at once). That
//! alone never lets the WAL start over under steady load: SQLite rewinds it only when a write
//! begins with every frame already copied, and with the writer always appending, the thread is
//! always a little behind (measured: 125 MB of WAL after 5 s at 60,000 rows/s, 346 MB after 30 s).
//! So the writer keeps its autocheckpoint at 64 MB: when it fires, the thread has copied nearly
//! everything, the writer copies only the last fraction of a second (a short stall instead of a
//! long one), and the WAL starts over.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::row::{
    check_pairs, field_set_ids, FieldSets, Fields, Filter, Forgotten, LoggedRow, Outcome, OutcomeReport, Pair,
    PairFilter, PairedRow, Prediction, StoredOutcome, ADD_FIELD_SET, FIELD_SET_ID,
};
use crate::schema::{self, LATEST, MIGRATIONS, PREDICTION_COLUMNS};
use crate::{dedupe_outcomes, Error, Result, Store};

/// A prediction log in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    location: String,
    conn: Connection,
    /// (device, inode) of the file when opened: a deleted or replaced file is noticed.
    identity: (u64, u64),
    /// The checkpointing thread, when [`SqliteStore::checkpoint_in_background`] started one.
    /// Declared after `conn`: dropped after it, so its last checkpoint runs once the writer's
    /// connection is closed.
    checkpointer: Option<Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating when absent) and migrates the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        Self::open_at(path, LATEST)
    }

    /// Opens and migrates up to `target` only (tests build older stores with it).
    #[doc(hidden)]
    pub fn open_at(path: &Path, target: u32) -> Result<SqliteStore> {
        let err = |error| Error::Sqlite { path: path.to_owned(), error };
        let mut conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(err)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL").map_err(err)?;
        // A statement that could fail half-way keeps a statement journal: in memory, not in a
        // temporary file written page by page (measured 11% of an insert's time on disk, before the
        // inserts became `INSERT OR ROLLBACK`, which keep none; deletes and upserts still do).
        conn.pragma_update(None, "temp_store", "MEMORY").map_err(err)?;
        // Checkpoint every 64 MB of WAL instead of SQLite's 4 MB: the pages a batch dirties (the
        // right edges of the table and its indexes) are then copied back once per many batches.
        // Measured inserting 1M rows in batches of 300 with nothing else running: 78k -> 108k rows/s.
        conn.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_PAGES).map_err(err)?;
        // A page cache that holds every page a batch dirties (an 8,192-row batch: about 3 MB of rows,
        // and a leaf of the lead-id index per distinct id). SQLite's default (2 MB) made a batch
        // spill pages mid-transaction, copying each into the statement journal first.
        conn.pragma_update(None, "cache_size", -CACHE_KIB).map_err(err)?;
        migrate(&mut conn, path, target)?;
        let meta = std::fs::metadata(path).map_err(|error| Error::Io { path: path.to_owned(), error })?;
        Ok(SqliteStore {
            path: path.to_owned(),
            location: path.display().to_string(),
            conn,
            identity: (meta.dev(), meta.ino()),
            checkpointer: None,
        })
    }

    /// Copies the WAL back on a thread of its own as well (see the module): for the server's log
    /// writer, whose inserts must not stall. The thread stops, after a last checkpoint, when the
    /// store is dropped.
    pub fn checkpoint_in_background(&mut self) -> Result<()> {
        if self.checkpointer.is_some() {
            return Ok(());
        }
        let err = self.err();
        let conn = Connection::open(&self.path).map_err(&err)?;
        // PASSIVE never waits for the writer; this only covers opening its read of the WAL index.
        conn.busy_timeout(Duration::from_millis(100)).map_err(err)?;
        self.checkpointer = Some(
            Checkpointer::start(conn, self.location.clone())
                .map_err(|error| Error::Io { path: "leadscore-checkpoint thread".into(), error })?,
        );
        Ok(())
    }

    /// Runs one statement as it is (tests leave a store as an older or newer build would).
    #[doc(hidden)]
    pub fn raw_execute(&mut self, sql: &str) -> Result<()> {
        let err = self.err();
        self.conn.execute_batch(sql).map_err(err)
    }

    /// Tells the checkpointing thread, if any, that a transaction committed.
    fn committed(&self) {
        if let Some(checkpointer) = &self.checkpointer {
            checkpointer.committed();
        }
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> Error {
        let path = self.path.clone();
        move |error| Error::Sqlite { path: path.clone(), error }
    }
}

fn migrate(conn: &mut Connection, path: &Path, target: u32) -> Result<()> {
    let err = |error| Error::Sqlite { path: path.to_owned(), error };
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(err)?;
    tx.execute(schema::SCHEMA_TABLE, []).map_err(err)?;
    let found: u32 =
        tx.query_row("SELECT COALESCE(MAX(version), 0) FROM leadscore_schema", [], |r| r.get(0)).map_err(err)?;
    if found > LATEST {
        return Err(Error::SchemaTooNew { location: path.display().to_string(), found, supported: LATEST });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > found && m.version <= target) {
        for statement in m.sqlite {
            tx.execute(statement, []).map_err(err)?;
        }
        tx.execute(
            "INSERT INTO leadscore_schema (version, applied_at_ms) VALUES (?1, ?2)",
            params![m.version, crate::row::now_ms()],
        )
        .map_err(err)?;
        tracing::info!(store = %path.display(), version = m.version, what = m.what, "store migrated");
    }
    tx.commit().map_err(err)
}

/// WAL pages (4 KiB each) written before SQLite copies them back into the database file.
const WAL_CHECKPOINT_PAGES: i64 = 16_384;

/// How often the checkpointing thread copies the WAL back while batches commit (at 60,000
/// rows/s: about 6 MB), so that the writer's own checkpoint at 64 MB finds little left to copy.
/// With nothing committed the thread sleeps until something is.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);

/// Checkpoints in a row while the writer keeps adding frames, before waiting [`CHECKPOINT_EVERY`]
/// again (each copies only what the previous one left).
const CATCH_UP_ROUNDS: usize = 8;

/// A thread running `PRAGMA wal_checkpoint(PASSIVE)` on its own connection (see the module),
/// [`CHECKPOINT_EVERY`] after a batch commits: an idle log costs no wake-ups.
struct Checkpointer {
    /// Told of each commit ([`Checkpointer::committed`]); dropped to stop the thread.
    commits: Option<mpsc::SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Checkpoints run so far (tests read it).
    #[cfg_attr(not(test), allow(dead_code))]
    runs: Arc<AtomicU64>,
}

impl Checkpointer {
    fn start(conn: Connection, location: String) -> std::io::Result<Checkpointer> {
        // One pending signal is all it needs: commits during a wait are copied by the same checkpoint.
        let (commits, committed) = mpsc::sync_channel::<()>(1);
        let runs = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&runs);
        let thread = std::thread::Builder::new().name("leadscore-checkpoint".into()).spawn(move || {
            // Background work, like the writer: yields to scoring.
            let _ = crate::writer::lower_priority();
            loop {
                // Idle until a batch commits; the store closing ends the wait with a last checkpoint.
                let mut last = committed.recv().is_err();
                if !last {
                    // Commits gather for a while, then one checkpoint copies them all.
                    let deadline = Instant::now() + CHECKPOINT_EVERY;
                    loop {
                        match committed.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                            Ok(()) => {}
                            Err(mpsc::RecvTimeoutError::Timeout) => break,
                            Err(mpsc::RecvTimeoutError::Disconnected) => {
                                last = true;
                                break;
                            }
                        }
                    }
                }
                for _ in 0..CATCH_UP_ROUNDS {
                    counted.fetch_add(1, Ordering::Relaxed);
                    match checkpoint(&conn) {
                        Ok(true) => break,
                        Ok(false) => std::thread::sleep(Duration::from_millis(5)),
                        Err(e) => {
                            // The writer sees the same failure on its next batch and reports it.
                            tracing::debug!(store = %location, error = %e, "prediction log: checkpoint failed");
                            break;
                        }
                    }
                }
                if last {
                    return;
                }
            }
        })?;
        Ok(Checkpointer { commits: Some(commits), thread: Some(thread), runs })
    }

    /// Says a batch committed: a checkpoint follows within [`CHECKPOINT_EVERY`]. Never blocks.
    fn committed(&self) {
        if let Some(commits) = &self.commits {
            let _ = commits.try_send(());
        }
    }
}

/// One passive checkpoint; true when every frame of the WAL is back in the database file.
fn checkpoint(conn: &Connection) -> rusqlite::Result<bool> {
    // (busy, frames in the WAL, frames checkpointed); -1 when the file is not in WAL mode.
    let (_busy, frames, done): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    Ok(frames == done)
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.commits.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The page cache of each connection, in KiB.
const CACHE_KIB: i64 = 32 * 1024;

/// Rows one INSERT statement carries in a batch without pairs: one statement's overhead (and
/// AUTOINCREMENT's bookkeeping, once per statement) shared by many rows.
const ROWS_PER_INSERT: usize = 64;

/// The columns bound per row ([`PREDICTION_COLUMNS`]).
const COLUMNS: usize = 15;

/// `INSERT OR ROLLBACK INTO predictions (...) VALUES (?, ...), ...` for `rows` rows. `OR ROLLBACK`:
/// a failing row ends the whole batch's transaction, as any failure does anyway, so SQLite keeps no
/// statement journal for it (measured with callgrind: 8.9% of an insert's instructions).
fn insert_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; COLUMNS].join(", "));
    format!("INSERT OR ROLLBACK INTO predictions ({PREDICTION_COLUMNS}) VALUES {}", vec![row; rows].join(", "))
}

/// [`insert_sql`] with each row's id given: `(id, PREDICTION_COLUMNS...)`, for batches with pairs.
fn insert_with_ids_sql(rows: usize) -> String {
    let row = format!("({})", vec!["?"; COLUMNS + 1].join(", "));
    format!("INSERT OR ROLLBACK INTO predictions (id, {PREDICTION_COLUMNS}) VALUES {}", vec![row; rows].join(", "))
}

/// The id the next row would get from AUTOINCREMENT: past the largest id ever given (kept in
/// `sqlite_sequence`, which forgotten or purged rows do not lower) and the largest in the table.
const NEXT_ID: &str = "SELECT MAX(
        COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'predictions'), 0),
        COALESCE((SELECT MAX(id) FROM predictions), 0)
    ) + 1";

/// Inserts `n` rows, [`ROWS_PER_INSERT`] to a cached statement of `sql(ROWS_PER_INSERT)`, the
/// rest one to a statement of `sql(1)`; `bind(statement, k, i)` binds row `i` as the statement's
/// `k`-th.
fn insert_in_statements(
    tx: &rusqlite::Transaction<'_>,
    n: usize,
    sql: fn(usize) -> String,
    mut bind: impl FnMut(&mut rusqlite::Statement<'_>, usize, usize) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let full = n / ROWS_PER_INSERT * ROWS_PER_INSERT;
    {
        let mut statement = tx.prepare_cached(&sql(ROWS_PER_INSERT))?;
        for start in (0..full).step_by(ROWS_PER_INSERT) {
            for k in 0..ROWS_PER_INSERT {
                bind(&mut statement, k, start + k)?;
            }
            statement.raw_execute()?;
        }
    }
    let mut statement = tx.prepare_cached(&sql(1))?;
    for i in full..n {
        bind(&mut statement, 0, i)?;
        statement.raw_execute()?;
    }
    Ok(())
}

/// Binds one row's [`PREDICTION_COLUMNS`] after the first `base` parameters.
fn bind_row(
    statement: &mut rusqlite::Statement<'_>,
    base: usize,
    p: &Prediction,
    champion_id: Option<i64>,
    field_set: Option<i64>,
) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(base + 1, p.scored_at_ms)?;
    statement.raw_bind_parameter(base + 2, p.model.as_str())?;
    statement.raw_bind_parameter(base + 3, p.version.as_str())?;
    statement.raw_bind_parameter(base + 4, p.shadow)?;
    statement.raw_bind_parameter(base + 5, p.lead_id.as_str())?;
    statement.raw_bind_parameter(base + 6, p.probability)?;
    statement.raw_bind_parameter(base + 7, p.score)?;
    statement.raw_bind_parameter(base + 8, p.tier.as_str())?;
    statement.raw_bind_parameter(base + 9, p.mql)?;
    statement.raw_bind_parameter(base + 10, p.threshold)?;
    statement.raw_bind_parameter(base + 11, p.rule_points)?;
    statement.raw_bind_parameter(base + 12, p.rule_mql)?;
    statement.raw_bind_parameter(base + 13, p.fields.as_ref().map(Fields::stored))?;
    statement.raw_bind_parameter(base + 14, champion_id)?;
    statement.raw_bind_parameter(base + 15, field_set)
}

/// The WHERE clause of a [`Filter`] over `predictions p` (parameters ?1 to ?7). The model is
/// compared as `+p.model`, which keeps SQLite off the model index: a page of a large read
/// ([`crate::read::rows_in_pages`]) must seek its id range in the table itself, in id order, not
/// sort every row of the model to find it; a read of the whole log scans the table in id order.
const FILTER: &str = "+p.model = ?1 AND (?2 IS NULL OR p.version = ?2) AND (?3 IS NULL OR p.shadow = ?3)
      AND (?4 IS NULL OR p.scored_at_ms >= ?4) AND (?5 IS NULL OR p.scored_at_ms < ?5)
      AND p.id > ?6 AND p.id <= ?7";

/// The SELECT of [`Store::rows`] (parameter ?8: the limit, -1 for none), shared with the tests.
fn rows_sql() -> String {
    format!(
        "SELECT p.id, p.scored_at_ms, p.model, p.version, p.shadow, p.lead_id, p.probability, p.score,
        p.tier, p.mql, p.threshold, p.rule_points, p.rule_mql, p.fields, o.won, o.closed_at, o.received_at_ms,
        p.champion_id, p.field_set
    FROM predictions p LEFT JOIN outcomes o ON o.lead_id = p.lead_id
    WHERE {FILTER}
    ORDER BY p.id LIMIT ?8"
    )
}

/// The SELECT of [`Store::paired_rows`] (?1 model, ?2 challenger, ?3 champion, ?4 since, ?5 until,
/// ?6 after id, ?7 through id, ?8 limit). A named challenger is an equality, so that a page seeks
/// its id range in `predictions_shadow` (model, version, then row id) instead of sorting every
/// shadow row of the model.
fn paired_sql(named_challenger: bool) -> String {
    let challenger = if named_challenger { "s.version = ?2" } else { "?2 IS NULL" };
    format!(
        "{} WHERE s.model = ?1 AND s.shadow = 1 AND {challenger} AND (?3 IS NULL OR c.version = ?3)
           AND (?4 IS NULL OR c.scored_at_ms >= ?4) AND (?5 IS NULL OR c.scored_at_ms < ?5)
           AND s.id > ?6 AND s.id <= ?7
         ORDER BY s.id LIMIT ?8",
        schema::PAIRED_ROWS
    )
}

/// The SELECT of [`Store::nth_newest_id`] (parameter ?8: how many newer rows to skip).
fn nth_newest_sql() -> String {
    format!("SELECT p.id FROM predictions p WHERE {FILTER} ORDER BY p.id DESC LIMIT 1 OFFSET ?8")
}

/// The parameters ?1 to ?7 of [`FILTER`].
fn filter_params(filter: &Filter) -> [&dyn rusqlite::ToSql; 7] {
    const FIRST: i64 = i64::MIN;
    const LAST: i64 = i64::MAX;
    [
        &filter.model,
        &filter.version,
        &filter.shadow,
        &filter.since_ms,
        &filter.until_ms,
        filter.after_id.as_ref().unwrap_or(&FIRST),
        filter.through_id.as_ref().unwrap_or(&LAST),
    ]
}

impl Store for SqliteStore {
    fn location(&self) -> &str {
        &self.location
    }

    fn schema_version(&mut self) -> Result<u32> {
        let err = self.err();
        self.conn.query_row("SELECT COALESCE(MAX(version), 0) FROM leadscore_schema", [], |r| r.get(0)).map_err(err)
    }

    fn check_alive(&mut self) -> Result<()> {
        match std::fs::metadata(&self.path) {
            Ok(meta) if (meta.dev(), meta.ino()) == self.identity => Ok(()),
            Ok(_) => Err(Error::Location { location: self.location.clone(), reason: "the file was replaced".into() }),
            Err(error) => Err(Error::Io { path: self.path.clone(), error }),
        }
    }

    fn insert_paired(&mut self, rows: &[Prediction], pairs: &[Pair]) -> Result<()> {
        check_pairs(rows, pairs)?;
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        // With pairs, the ids are read before the first insert: the write lock is taken first.
        let behavior = if pairs.is_empty() { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = self.conn.transaction_with_behavior(behavior).map_err(err)?;
        let sets = field_set_ids(rows, |names| {
            tx.execute(ADD_FIELD_SET, [names])
                .and_then(|_| tx.query_row(FIELD_SET_ID, [names], |r| r.get(0)))
                .map_err(err)
        })?;
        if pairs.is_empty() {
            // Most batches.
            insert_in_statements(&tx, rows.len(), insert_sql, |statement, k, i| {
                bind_row(statement, k * COLUMNS, &rows[i], None, sets[i])
            })
            .map_err(err)?;
        } else {
            // A shadow row names its served row's id. As the PostgreSQL backend does, the batch's
            // ids are taken first: the next id AUTOINCREMENT would give (inside this write
            // transaction, taken at once so that no other writer comes between), then one each.
            // So pairs go in ROWS_PER_INSERT rows a statement too, each shadow row with its
            // served row's id.
            let first: i64 = tx.query_row(NEXT_ID, [], |r| r.get(0)).map_err(err)?;
            let id = |i: usize| first + i as i64;
            let mut champion_of: Vec<Option<usize>> = vec![None; rows.len()];
            for pair in pairs {
                champion_of[pair.shadow] = Some(pair.champion);
            }
            insert_in_statements(&tx, rows.len(), insert_with_ids_sql, |statement, k, i| {
                statement.raw_bind_parameter(k * (COLUMNS + 1) + 1, id(i))?;
                bind_row(statement, k * (COLUMNS + 1) + 1, &rows[i], champion_of[i].map(id), sets[i])
            })
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        self.committed();
        Ok(())
    }

    fn upsert_outcomes(&mut self, outcomes: &[Outcome], received_at_ms: i64) -> Result<OutcomeReport> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let mut report = OutcomeReport { received: outcomes.len() as u64, ..Default::default() };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut known =
                tx.prepare_cached("SELECT EXISTS (SELECT 1 FROM predictions WHERE lead_id = ?1)").map_err(err)?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO outcomes (lead_id, won, closed_at, received_at_ms) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (lead_id) DO UPDATE SET won = excluded.won, closed_at = excluded.closed_at",
                )
                .map_err(err)?;
            for o in dedupe_outcomes(outcomes) {
                let exists: bool = known.query_row([&o.lead_id], |r| r.get(0)).map_err(err)?;
                if exists {
                    upsert.execute(params![o.lead_id, o.won, o.closed_at, received_at_ms]).map_err(err)?;
                    report.stored += 1;
                } else {
                    report.note_unknown(&o.lead_id);
                }
            }
        }
        tx.commit().map_err(err)?;
        self.committed();
        Ok(report)
    }

    fn forget(&mut self, lead_id: &str) -> Result<Forgotten> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let tx = self.conn.transaction().map_err(err)?;
        let predictions = tx.execute("DELETE FROM predictions WHERE lead_id = ?1", [lead_id]).map_err(err)? as u64;
        let outcomes = tx.execute("DELETE FROM outcomes WHERE lead_id = ?1", [lead_id]).map_err(err)? as u64;
        tx.commit().map_err(err)?;
        self.committed();
        Ok(Forgotten { predictions, outcomes })
    }

    fn purge_before(&mut self, cutoff_ms: i64) -> Result<u64> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let tx = self.conn.transaction().map_err(err)?;
        let mut n = 0;
        // Per model version, so that each DELETE reads `predictions_model_time`.
        let versions: Vec<(String, String)> = {
            let mut statement = tx.prepare(schema::MODEL_VERSIONS).map_err(err)?;
            let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(err)?;
            rows.collect::<std::result::Result<_, _>>().map_err(err)?
        };
        for (model, version) in versions {
            n += tx
                .execute(
                    "DELETE FROM predictions WHERE model = ?1 AND version = ?2 AND scored_at_ms < ?3",
                    params![model, version, cutoff_ms],
                )
                .map_err(err)? as u64;
        }
        tx.execute("DELETE FROM outcomes WHERE lead_id NOT IN (SELECT lead_id FROM predictions)", []).map_err(err)?;
        tx.commit().map_err(err)?;
        self.committed();
        Ok(n)
    }

    fn rows(&mut self, filter: &Filter) -> Result<Vec<LoggedRow>> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let limit = filter.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let [a, b, c, d, e, f, g] = filter_params(filter);
        let mut statement = self.conn.prepare_cached(&rows_sql()).map_err(err)?;
        let raw = statement
            .query_map(params![a, b, c, d, e, f, g, limit], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    Prediction {
                        scored_at_ms: r.get(1)?,
                        model: r.get(2)?,
                        version: r.get(3)?,
                        shadow: r.get(4)?,
                        lead_id: r.get(5)?,
                        probability: r.get(6)?,
                        score: r.get(7)?,
                        tier: r.get(8)?,
                        mql: r.get(9)?,
                        threshold: r.get(10)?,
                        rule_points: r.get(11)?,
                        rule_mql: r.get(12)?,
                        fields: None,
                    },
                    r.get::<_, Option<String>>(13)?,
                    r.get::<_, Option<bool>>(14)?,
                    r.get::<_, Option<String>>(15)?,
                    r.get::<_, Option<i64>>(16)?,
                    r.get::<_, Option<i64>>(17)?,
                    r.get::<_, Option<i64>>(18)?,
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        let mut sets = FieldSets::default();
        for row in raw {
            let (row_id, mut prediction, fields, won, closed_at, received, champion_id, set) = row.map_err(err)?;
            prediction.fields = match fields {
                Some(text) => {
                    let names = match set {
                        Some(id) => Some(sets.get(row_id, id, |id| {
                            self.conn
                                .query_row("SELECT names FROM field_sets WHERE id = ?1", [id], |r| r.get(0))
                                .map_err(err)
                        })?),
                        None => None,
                    };
                    Some(Fields::read(&text, names).map_err(|reason| Error::Corrupt { row: row_id, reason })?)
                }
                None => None,
            };
            let outcome = won.map(|won| StoredOutcome { won, closed_at, received_at_ms: received.unwrap_or(0) });
            out.push(LoggedRow { row_id, prediction, outcome, champion_id });
        }
        Ok(out)
    }

    fn nth_newest_id(&mut self, filter: &Filter, n: u64) -> Result<Option<i64>> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let skip = i64::try_from(n).unwrap_or(i64::MAX);
        let [a, b, c, d, e, f, g] = filter_params(filter);
        let mut statement = self.conn.prepare_cached(&nth_newest_sql()).map_err(err)?;
        statement.query_row(params![a, b, c, d, e, f, g, skip], |r| r.get(0)).optional().map_err(err)
    }

    fn paired_rows(&mut self, filter: &PairFilter) -> Result<Vec<PairedRow>> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let sql = paired_sql(filter.challenger.is_some());
        let mut statement = self.conn.prepare_cached(&sql).map_err(err)?;
        let raw = statement
            .query_map(
                params![
                    filter.model,
                    filter.challenger,
                    filter.champion,
                    filter.since_ms,
                    filter.until_ms,
                    filter.after_id.unwrap_or(i64::MIN),
                    filter.through_id.unwrap_or(i64::MAX),
                    filter.limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX)),
                ],
                |r| {
                    let model: String = r.get(20)?;
                    let lead_id: String = r.get(3)?;
                    let champion = LoggedRow {
                        row_id: r.get(0)?,
                        prediction: Prediction {
                            scored_at_ms: r.get(1)?,
                            model: model.clone(),
                            version: r.get(2)?,
                            shadow: false,
                            lead_id: lead_id.clone(),
                            probability: r.get(4)?,
                            score: r.get(5)?,
                            tier: r.get(6)?,
                            mql: r.get(7)?,
                            threshold: r.get(8)?,
                            rule_points: None,
                            rule_mql: None,
                            fields: None,
                        },
                        outcome: r.get::<_, Option<bool>>(9)?.map(|won| StoredOutcome {
                            won,
                            closed_at: r.get(10).ok().flatten(),
                            received_at_ms: r.get::<_, Option<i64>>(11).ok().flatten().unwrap_or(0),
                        }),
                        champion_id: None,
                    };
                    let challenger = LoggedRow {
                        row_id: r.get(12)?,
                        prediction: Prediction {
                            scored_at_ms: r.get(13)?,
                            model,
                            version: r.get(14)?,
                            shadow: true,
                            lead_id,
                            probability: r.get(15)?,
                            score: r.get(16)?,
                            tier: r.get(17)?,
                            mql: r.get(18)?,
                            threshold: r.get(19)?,
                            rule_points: None,
                            rule_mql: None,
                            fields: None,
                        },
                        outcome: None,
                        champion_id: Some(champion.row_id),
                    };
                    Ok(PairedRow { champion, challenger })
                },
            )
            .map_err(err)?;
        raw.collect::<std::result::Result<Vec<_>, _>>().map_err(err)
    }

    fn count_outcomes(&mut self) -> Result<u64> {
        let err = self.err();
        self.conn.query_row("SELECT COUNT(*) FROM outcomes", [], |r| r.get(0)).map_err(err)
    }

    fn shadow_versions(&mut self, model: &str) -> Result<Vec<String>> {
        let err = self.err();
        let mut statement = self
            .conn
            .prepare_cached("SELECT DISTINCT version FROM predictions WHERE model = ?1 AND shadow = 1 ORDER BY version")
            .map_err(&err)?;
        let rows = statement.query_map([model], |r| r.get(0)).map_err(&err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(err)
    }

    fn versions(&mut self) -> Result<Vec<(String, String, u64)>> {
        let path = self.path.clone();
        let err = |error| Error::Sqlite { path: path.clone(), error };
        let mut statement = self
            .conn
            .prepare("SELECT model, version, COUNT(*) FROM predictions GROUP BY model, version ORDER BY model, version")
            .map_err(err)?;
        let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).map_err(err)?;
        rows.collect::<std::result::Result<Vec<_>, _>>().map_err(err)
    }
}

/// The schema version of the file at `path` without migrating it (`None` if it has none).
pub fn peek_version(path: &Path) -> Result<Option<u32>> {
    let err = |error| Error::Sqlite { path: path.to_owned(), error };
    let conn = Connection::open(path).map_err(err)?;
    let has: Option<String> = conn
        .query_row("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'leadscore_schema'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(err)?;
    if has.is_none() {
        return Ok(None);
    }
    conn.query_row("SELECT MAX(version) FROM leadscore_schema", [], |r| r.get(0)).map_err(err)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::writer::tests::prediction;

    #[test]
    fn a_rows_fields_are_stored_as_values_and_their_names_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("log.db")).unwrap();
        // Two batches of rows sharing one set of names (as a server's rows share their model's),
        // and a row of another set.
        let names = crate::FieldNames::new(vec!["page_views".into(), "country".into()]);
        let with = |i: usize, names: &Arc<crate::FieldNames>| Prediction {
            fields: names.fields(crate::FieldLogging::Model, |k| {
                if k == 0 {
                    leadscore_core::value::RawValue::Number(i as f64)
                } else {
                    leadscore_core::value::RawValue::Text("Chile")
                }
            }),
            ..prediction(i)
        };
        store.insert(&(0..3).map(|i| with(i, &names)).collect::<Vec<_>>()).unwrap();
        let other = crate::FieldNames::new(vec!["job_level".into(), "industry".into()]);
        store.insert(&[with(3, &names), with(4, &other)]).unwrap();
        let stored: Vec<(String, Option<i64>)> = store
            .conn
            .prepare("SELECT fields, field_set FROM predictions ORDER BY id")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(stored[0], (r#"[0,"Chile"]"#.to_owned(), Some(1)));
        assert_eq!(
            stored.iter().map(|(_, set)| *set).collect::<Vec<_>>(),
            [Some(1), Some(1), Some(1), Some(1), Some(2)]
        );
        let sets: Vec<String> = store
            .conn
            .prepare("SELECT names FROM field_sets ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(sets, [r#"["page_views","country"]"#, r#"["job_level","industry"]"#]);
        let back = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
        assert_eq!(back[3].prediction.fields.as_ref().unwrap().get("page_views"), &crate::FieldValue::Number(3.0));
        assert_eq!(
            back[4].prediction.fields.as_ref().unwrap().get("industry"),
            &crate::FieldValue::Text("Chile".into())
        );
        // A batch that fails (SQLite stores a NaN as NULL, which the column refuses) leaves no
        // field set behind.
        let bad = Prediction { probability: f64::NAN, ..with(5, &crate::FieldNames::new(vec!["x".into()])) };
        assert!(store.insert(&[bad]).is_err());
        let n: i64 = store.conn.query_row("SELECT COUNT(*) FROM field_sets", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2);
    }

    fn autocheckpoint(store: &SqliteStore) -> i64 {
        store.conn.query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0)).unwrap()
    }

    /// The database file's size: what checkpoints have copied back (the WAL holds the rest).
    fn file_bytes(path: &Path) -> u64 {
        std::fs::metadata(path).unwrap().len()
    }

    #[test]
    fn a_background_checkpoint_copies_the_wal_back_without_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(autocheckpoint(&store), WAL_CHECKPOINT_PAGES);
        store.checkpoint_in_background().unwrap();
        let empty = file_bytes(&path);
        let rows: Vec<Prediction> = (0..20_000).map(prediction).collect();
        for batch in rows.chunks(2_000) {
            store.insert(batch).unwrap();
        }
        // A few MB of WAL, far below the writer's own 64 MB: only the thread can copy it back.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while file_bytes(&path) < empty + 1_000_000 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint in 20 s: {} bytes", file_bytes(&path));
            std::thread::sleep(Duration::from_millis(20));
        }
        // Dropping the store stops the thread; every row is there when it is opened again.
        drop(store);
        let mut again = SqliteStore::open(&path).unwrap();
        let n: i64 = again.conn.query_row("SELECT COUNT(*) FROM predictions", [], |r| r.get(0)).unwrap();
        assert_eq!(n, 20_000);
        assert_eq!(again.schema_version().unwrap(), LATEST);
    }

    /// The details of `EXPLAIN QUERY PLAN sql` that read the predictions table.
    #[test]
    fn a_batch_with_pairs_gives_ids_past_every_id_ever_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = SqliteStore::open(&dir.path().join("log.db")).unwrap();
        // Ids 1-10, then the newest three forgotten: AUTOINCREMENT never gives 8-10 again.
        store.insert(&(0..10).map(prediction).collect::<Vec<_>>()).unwrap();
        for i in 7..10 {
            store.forget(&format!("L{i}")).unwrap();
        }
        // 150 served rows, 70 of them shadowed, the shadow rows mixed in: full statements and a remainder.
        let mut batch = Vec::new();
        let mut pairs = Vec::new();
        for i in 100..250 {
            batch.push(prediction(i));
            if i % 2 == 0 && pairs.len() < 70 {
                let shadow = Prediction { shadow: true, version: "v2".into(), ..prediction(i) };
                pairs.push(Pair { champion: batch.len() - 1, shadow: batch.len() });
                batch.push(shadow);
            }
        }
        assert_eq!(batch.len(), 220);
        store.insert_paired(&batch, &pairs).unwrap();
        let stored = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
        assert_eq!(stored.len(), 7 + 220);
        let ids: Vec<i64> = stored[7..].iter().map(|r| r.row_id).collect();
        assert_eq!(ids, (11..231).collect::<Vec<i64>>());
        for (row, expected) in stored[7..].iter().zip(&batch) {
            assert_eq!((&row.prediction.lead_id, row.prediction.shadow), (&expected.lead_id, expected.shadow));
        }
        for pair in &pairs {
            let (champion, shadow) = (&stored[7 + pair.champion], &stored[7 + pair.shadow]);
            assert_eq!(shadow.champion_id, Some(champion.row_id));
            assert_eq!(champion.champion_id, None);
        }
        // The counter moved past them: the next plain batch goes on from 231.
        store.insert(&[prediction(999)]).unwrap();
        let last = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
        assert_eq!(last.last().map(|r| r.row_id), Some(231));
    }

    #[test]
    fn the_checkpointing_thread_sleeps_while_nothing_commits() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let mut store = SqliteStore::open(&path).unwrap();
        store.checkpoint_in_background().unwrap();
        let counter = Arc::clone(&store.checkpointer.as_ref().unwrap().runs);
        let runs = || counter.load(Ordering::Relaxed);
        // Nothing committed: no checkpoint over five of its intervals.
        std::thread::sleep(CHECKPOINT_EVERY * 5);
        assert_eq!(runs(), 0);
        store.insert(&(0..100).map(prediction).collect::<Vec<_>>()).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while runs() == 0 {
            assert!(std::time::Instant::now() < deadline, "no checkpoint 20 s after a commit");
            std::thread::sleep(Duration::from_millis(10));
        }
        // Once the commit is copied back, the thread waits for the next one.
        std::thread::sleep(CHECKPOINT_EVERY * 2);
        let after = runs();
        std::thread::sleep(CHECKPOINT_EVERY * 5);
        assert_eq!(runs(), after);
    }

    fn plan(store: &SqliteStore, sql: &str) -> Vec<String> {
        let mut statement = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        // The plan is made when the statement is prepared, whatever the parameters' values.
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        let details = statement.query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3)).unwrap();
        details.map(Result::unwrap).filter(|d| d.contains("predictions") || d.contains(" p ")).collect()
    }

    #[test]
    fn retention_seeks_in_the_model_and_time_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("log.db")).unwrap();
        let versions = plan(&store, schema::MODEL_VERSIONS);
        assert!(!versions.is_empty());
        for detail in &versions {
            assert!(detail.contains("COVERING INDEX predictions_model_time"), "{versions:?}");
        }
        let delete = plan(&store, "DELETE FROM predictions WHERE model = 'm' AND version = 'v' AND scored_at_ms < 5");
        assert_eq!(
            delete,
            ["SEARCH predictions USING INDEX predictions_model_time (model=? AND version=? AND scored_at_ms<?)"]
        );
    }

    #[test]
    fn a_page_of_rows_seeks_its_id_range_in_the_table() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("log.db")).unwrap();
        // Not the model index, which would sort every row of the model for each page.
        for sql in [rows_sql(), nth_newest_sql()] {
            let details = plan(&store, &sql);
            assert_eq!(details, ["SEARCH p USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"], "{sql}");
        }
    }

    #[test]
    fn a_page_of_one_challengers_pairs_seeks_its_id_range_in_the_shadow_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("log.db")).unwrap();
        let mut statement = store.conn.prepare(&format!("EXPLAIN QUERY PLAN {}", paired_sql(true))).unwrap();
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        let plan: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(plan.iter().any(|step| step.contains("predictions_shadow") && step.contains("rowid>?")), "{plan:?}");
        assert!(!plan.iter().any(|step| step.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn a_store_opened_for_reading_checkpoints_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.db");
        let store = SqliteStore::open(&path).unwrap();
        assert!(store.checkpointer.is_none());
        assert_eq!(autocheckpoint(&store), WAL_CHECKPOINT_PAGES);
    }
}
