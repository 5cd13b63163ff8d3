//! The one error type of `leadscore-io`: reading and writing data files.

use std::path::PathBuf;

/// Everything that can go wrong while reading a data file (or query) or writing scored rows.
// Variant fields are named for what they hold (path, line, column).
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// The file has no bytes or no header.
    #[error("{path}: the file is empty (expected a header line and labelled rows)")]
    EmptyFile { path: PathBuf },
    /// The file has a header and nothing else.
    #[error("{path}: the file has a header but no data rows")]
    NoRows { path: PathBuf },
    /// Two header cells have the same name.
    #[error("{path}: line 1: column name `{column}` appears twice (columns {first} and {second}); rename one")]
    DuplicateColumn { path: PathBuf, column: String, first: usize, second: usize },
    /// A column the spec needs is not in the file.
    #[error("{path}: column `{column}` ({role}) is not in the file; its columns are: {available}")]
    MissingColumn { path: PathBuf, column: String, role: String, available: String },
    /// A malformed CSV row (ragged, bad quoting, not UTF-8).
    #[error("{path}: line {line}: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    /// A cell the spec cannot read (bad number, bad target, ...).
    #[error("{path}: {error}")]
    Data { path: PathBuf, error: leadscore_core::Error },
    /// All leads have the same outcome.
    #[error(
        "{path}: target column `{column}` has only {class} leads ({n} rows); a model needs both won and lost leads"
    )]
    OneClass { path: PathBuf, column: String, class: &'static str, n: usize },
    /// A core error without a file to blame (spec, artifact).
    #[error(transparent)]
    Core(#[from] leadscore_core::Error),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), error: source }
    }
}

/// Result with the io [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
