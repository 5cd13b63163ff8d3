//! The log's schema, created and migrated by leadscore.
//!
//! `leadscore_schema` holds one row per migration applied (`version`, `applied_at_ms`). Opening a
//! store applies every migration newer than its highest version, each in the transaction that
//! records it, under a lock (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory
//! lock), so two server replicas starting at once migrate once. A store whose version is newer
//! than [`LATEST`] was written by a newer leadscore and is refused, never written.
//!
//! The two backends spell the same tables in their own types: SQLite's 0/1 integers and REAL,
//! PostgreSQL's BOOLEAN and DOUBLE PRECISION (the doubles are the scorer's bits either way).

/// The schema version this build writes.
pub const LATEST: u32 = 5;

/// Key of PostgreSQL's advisory lock around migrations (`'LSMIGRAT'` as bytes).
pub const PG_MIGRATION_LOCK: i64 = 0x4c53_4d49_4752_4154;

/// The table of applied migrations, created before anything else.
pub const SCHEMA_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS leadscore_schema (version INTEGER PRIMARY KEY, applied_at_ms BIGINT NOT NULL)";

/// One step of the schema.
pub struct Migration {
    /// The version it brings the store to.
    pub version: u32,
    /// What it does, for the log.
    pub what: &'static str,
    /// Its statements for SQLite.
    pub sqlite: &'static [&'static str],
    /// Its statements for PostgreSQL.
    pub postgres: &'static [&'static str],
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        what: "the prediction log and the outcomes",
        sqlite: &[
            "CREATE TABLE predictions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                scored_at_ms INTEGER NOT NULL,
                model TEXT NOT NULL,
                version TEXT NOT NULL,
                shadow INTEGER NOT NULL,
                lead_id TEXT NOT NULL,
                probability REAL NOT NULL,
                score INTEGER NOT NULL,
                tier TEXT NOT NULL,
                mql INTEGER NOT NULL,
                threshold REAL NOT NULL,
                rule_points REAL,
                rule_mql INTEGER,
                fields TEXT
            )",
            "CREATE TABLE outcomes (
                lead_id TEXT PRIMARY KEY,
                won INTEGER NOT NULL,
                closed_at TEXT,
                received_at_ms INTEGER NOT NULL
            )",
        ],
        postgres: &[
            "CREATE TABLE predictions (
                id BIGSERIAL PRIMARY KEY,
                scored_at_ms BIGINT NOT NULL,
                model TEXT NOT NULL,
                version TEXT NOT NULL,
                shadow BOOLEAN NOT NULL,
                lead_id TEXT NOT NULL,
                probability DOUBLE PRECISION NOT NULL,
                score SMALLINT NOT NULL,
                tier TEXT NOT NULL,
                mql BOOLEAN NOT NULL,
                threshold DOUBLE PRECISION NOT NULL,
                rule_points DOUBLE PRECISION,
                rule_mql BOOLEAN,
                fields TEXT
            )",
            "CREATE TABLE outcomes (
                lead_id TEXT PRIMARY KEY,
                won BOOLEAN NOT NULL,
                closed_at TEXT,
                received_at_ms BIGINT NOT NULL
            )",
        ],
    },
    Migration {
        version: 2,
        what: "indexes for outcomes by lead, monitoring by model and time, and retention",
        sqlite: &[
            "CREATE INDEX predictions_lead ON predictions (lead_id)",
            "CREATE INDEX predictions_model_time ON predictions (model, version, scored_at_ms)",
            "CREATE INDEX predictions_time ON predictions (scored_at_ms)",
        ],
        postgres: &[
            "CREATE INDEX predictions_lead ON predictions (lead_id)",
            "CREATE INDEX predictions_model_time ON predictions (model, version, scored_at_ms)",
            "CREATE INDEX predictions_time ON predictions (scored_at_ms)",
        ],
    },
    Migration {
        version: 3,
        what: "shadow rows name the served row they shadow (champion_id)",
        sqlite: &[
            "ALTER TABLE predictions ADD COLUMN champion_id INTEGER",
            // Partial: served rows (nearly all of them) pay nothing for it on insert.
            "CREATE INDEX predictions_shadow ON predictions (model, version) WHERE shadow = 1",
        ],
        postgres: &[
            "ALTER TABLE predictions ADD COLUMN champion_id BIGINT",
            "CREATE INDEX predictions_shadow ON predictions (model, version) WHERE shadow",
        ],
    },
    Migration {
        version: 4,
        what: "no index on the time alone (retention goes through the model-and-time index)",
        // Every scoring paid for a fourth B-tree (measured with callgrind on the writer's batches of
        // 1,000 repeated leads: 8.7% of an insert's instructions) that only the hourly retention read.
        sqlite: &["DROP INDEX IF EXISTS predictions_time"],
        postgres: &["DROP INDEX IF EXISTS predictions_time"],
    },
    Migration {
        version: 5,
        what: "a row's fields hold their values only; the names are stored once per set (field_sets)",
        // The names were most of a row: about 300 of a single lead's 470 bytes of fields, written
        // on every scoring, to the WAL and again by its checkpoint. Rows from before keep their
        // JSON object (`field_set` NULL) and read as before.
        sqlite: &[
            "CREATE TABLE field_sets (id INTEGER PRIMARY KEY, names TEXT NOT NULL UNIQUE)",
            "ALTER TABLE predictions ADD COLUMN field_set INTEGER",
        ],
        postgres: &[
            "CREATE TABLE field_sets (id BIGSERIAL PRIMARY KEY, names TEXT NOT NULL UNIQUE)",
            "ALTER TABLE predictions ADD COLUMN field_set BIGINT",
        ],
    },
];

/// The columns of an inserted prediction, in the order both backends bind them.
pub const PREDICTION_COLUMNS: &str =
    "scored_at_ms, model, version, shadow, lead_id, probability, score, tier, mql, threshold, rule_points, rule_mql, fields, champion_id, field_set";

/// Every (model, version) in the log, by seeks in `predictions_model_time` rather than a scan (a
/// loose index scan: each step jumps to the next pair past the last one), for retention's
/// per-version deletes. Both backends; no parameters.
pub const MODEL_VERSIONS: &str = "WITH RECURSIVE mv(model, version) AS (
        SELECT * FROM (SELECT model, version FROM predictions ORDER BY model, version LIMIT 1) AS first
        UNION ALL
        SELECT (SELECT p.model FROM predictions p WHERE (p.model, p.version) > (mv.model, mv.version)
                ORDER BY p.model, p.version LIMIT 1),
               (SELECT p.version FROM predictions p WHERE (p.model, p.version) > (mv.model, mv.version)
                ORDER BY p.model, p.version LIMIT 1)
        FROM mv WHERE mv.model IS NOT NULL
    )
    SELECT model, version FROM mv WHERE model IS NOT NULL";

/// The SELECT of [`crate::Store::paired_rows`] (both backends; `?` placeholders are numbered by
/// each): the served row `c` and its shadow row `s`, with the lead's outcome. Parameters: model,
/// challenger version, champion version, since, until.
pub const PAIRED_ROWS: &str =
    "SELECT c.id, c.scored_at_ms, c.version, c.lead_id, c.probability, c.score, c.tier, c.mql,
        c.threshold, o.won, o.closed_at, o.received_at_ms,
        s.id, s.scored_at_ms, s.version, s.probability, s.score, s.tier, s.mql, s.threshold, c.model
    FROM predictions s JOIN predictions c ON c.id = s.champion_id
    LEFT JOIN outcomes o ON o.lead_id = c.lead_id";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_up_to_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert_eq!(m.sqlite.len(), m.postgres.len(), "migration {}", m.version);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST));
    }
}
