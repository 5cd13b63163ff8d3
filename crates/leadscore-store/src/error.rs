//! The one error type of `leadscore-store`.

use std::path::PathBuf;

/// Everything that can go wrong with the prediction log.
// Variant fields are named for what they hold (path, line, field, value).
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The store location is neither a file path nor a `postgres://` URL this build can open.
    #[error("store `{location}`: {reason}")]
    Location { location: String, reason: String },
    /// SQLite refused an operation.
    #[error("sqlite store {path}: {error}")]
    Sqlite { path: PathBuf, error: rusqlite::Error },
    /// PostgreSQL refused an operation (the URL is shown without its password).
    #[cfg(feature = "postgres")]
    #[error("postgres store {url}: {error}")]
    Postgres { url: String, error: postgres::Error },
    /// The store was written by a newer leadscore.
    #[error("store {location}: schema version {found} is newer than this build's {supported}; upgrade leadscore before opening it")]
    SchemaTooNew { location: String, found: u32, supported: u32 },
    /// A value the log refuses (a lead id too long, a probability that is not one).
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// A file with outcomes could not be read.
    #[error(transparent)]
    Read(#[from] leadscore_io::Error),
    /// A file could not be written.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// A core computation refused its input.
    #[error(transparent)]
    Core(#[from] leadscore_core::Error),
    /// A logged row no longer parses (the store was edited by hand).
    #[error("store row {row}: {reason}")]
    Corrupt { row: i64, reason: String },
}

/// Result with the store [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
