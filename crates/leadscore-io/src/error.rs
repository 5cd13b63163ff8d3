//! The one error type of `leadscore-io`: reading and writing data files.

use std::path::PathBuf;

use crate::csv_source::list_columns;

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
    /// `hint` is "did you mean `x`?" when a column is close, then the list of columns.
    #[error("{path}: column `{column}` ({role}) is not in the file; {hint}")]
    MissingColumn { path: PathBuf, column: String, role: String, hint: String },
    /// A malformed CSV file (bad quoting, a record over the size limit, not UTF-8): reading stops.
    #[error("{path}: line {line}: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    /// A ragged record (wrong number of fields, or lines merged by a stray quote): the reader
    /// has passed it, so batch scoring reports it in the row's `error` cell and reads on.
    #[error("{path}: line {line}: {message}")]
    BadRecord { path: PathBuf, line: u64, message: String },
    /// Features of the model that the file lacks (all of them named).
    #[error("{path}: the model reads columns the file lacks: {}; its columns are: {available}", list_columns(.missing))]
    MissingFeatures { path: PathBuf, missing: Vec<String>, available: String },
    /// Strict scoring: header columns the model's spec does not name.
    #[error("{path}: line 1: columns the model's spec does not name (strict mode; drop them or score without strict): {}", list_columns(.columns))]
    UnknownColumns { path: PathBuf, columns: Vec<String> },
    /// A lead the caller's hook refused (an id the prediction log cannot keep).
    #[error("line {line}: column `{column}`: {reason}")]
    Lead { line: u64, column: String, reason: String },
    /// Scoring options out of range (threads, batch size, factor columns, threshold).
    #[error("{0}")]
    Options(String),
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

    /// The data line the error is about, when it is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            Error::Csv { line, .. } | Error::BadRecord { line, .. } | Error::Lead { line, .. } => Some(*line),
            Error::Data { error: leadscore_core::Error::AtLine { line, .. }, .. } => Some(*line),
            _ => None,
        }
    }

    /// The error as a row's `error` cell says it: with its line, without the file's path
    /// (every row is from the same file).
    pub fn row_message(&self) -> String {
        match self {
            Error::Csv { line, message, .. } | Error::BadRecord { line, message, .. } => {
                format!("line {line}: {message}")
            }
            Error::Data { error, .. } => error.to_string(),
            other => other.to_string(),
        }
    }
}

/// Result with the io [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
