//! The one error type of `leadscore-sql`.
//!
//! Exporting is pure (artifact in, SQL text out), so everything that can go
//! wrong is a choice the caller made (a strategy the model does not have, an
//! identifier no engine can quote) or a model the SQL cannot express exactly.

/// Everything that can stop an export.
// Variant fields are named for what they hold.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// `--dialect` names no dialect this crate writes.
    #[error("unknown SQL dialect {0:?} (expected postgres, spark, duckdb, bigquery or snowflake)")]
    UnknownDialect(String),
    /// The threshold asked for: a strategy the model does not store, or not a probability.
    #[error(transparent)]
    Threshold(leadscore_core::Error),
    /// No id column was given and the model's spec names none.
    #[error("the model's spec names no id column: say which column identifies a lead with --id")]
    NoIdColumn,
    /// A table, column or view name that cannot be written in SQL.
    #[error("{what} {name:?} cannot be used as an SQL identifier: {reason}")]
    BadIdentifier { what: &'static str, name: String, reason: &'static str },
    /// The model holds something the SQL cannot reproduce exactly.
    #[error("feature `{feature}`: {reason}")]
    Unsupported { feature: String, reason: String },
    /// The artifact itself is inconsistent.
    #[error(transparent)]
    Core(#[from] leadscore_core::Error),
}

/// Result with the SQL [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
