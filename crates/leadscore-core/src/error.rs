//! The one error type of `leadscore-core`.
//!
//! Variants carry the column, row and value that went wrong, so a caller can
//! print them as they are: the core never decides how an error is shown.

/// Everything that can go wrong in the core.
// Variant fields are named for what they hold (column, value, line).
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The spec is not valid.
    #[error("spec: {0}")]
    Spec(String),
    /// A spec could not be parsed as TOML.
    #[error("spec is not valid TOML: {0}")]
    SpecToml(String),
    /// A value in a numeric column is not a number.
    #[error("column `{column}`: cannot parse \"{}\" as a number", excerpt(value))]
    BadNumber { column: String, value: String },
    /// A value in a numeric column is NaN or infinite.
    #[error("column `{column}`: \"{}\" is not a finite number", excerpt(value))]
    NonFinite { column: String, value: String },
    /// A value in a boolean column is not a recognised yes/no token.
    #[error("column `{column}`: cannot read \"{}\" as yes/no (expected yes/no, true/false, 1/0, y/n)", excerpt(value))]
    BadBool { column: String, value: String },
    /// A value in a date column is not a recognised date.
    #[error(
        "column `{column}`: cannot parse \"{}\" as a date (expected {format}, optionally followed by a time)",
        excerpt(value)
    )]
    BadDate { column: String, value: String, format: crate::date::DateFormat },
    /// A target value is neither a declared positive nor a declared negative label.
    #[error(
        "target column `{column}`: \"{}\" is neither a positive label {positive:?} nor a negative label {negative:?}",
        excerpt(value)
    )]
    BadTarget { column: String, value: String, positive: Vec<String>, negative: Vec<String> },
    /// A target value is missing.
    #[error("target column `{column}` is empty (every training lead needs an outcome)")]
    MissingTarget { column: String },
    /// An error located at a data row (1-based line in the source, header is line 1).
    #[error("line {line}: {error}")]
    AtLine { line: u64, error: Box<Error> },
    /// A threshold strategy was given parameters it cannot use.
    #[error("threshold strategy `{strategy}`: {reason}")]
    InvalidStrategy { strategy: String, reason: String },
    /// Tier shares are not positive or do not sum to one.
    #[error("tier shares must be positive and sum to 1 (got {shares:?})")]
    InvalidTiers { shares: Vec<f64> },
    /// There are no held-out predictions to compute something from.
    #[error("no held-out predictions to compute {what} from")]
    EmptyCurve { what: String },
    /// A threshold strategy the model does not store.
    #[error("the model has no `{name}` threshold; it has: {available}")]
    UnknownThreshold { name: String, available: String },
    /// A probability cut-off outside `[0, 1]`.
    #[error("threshold {0} is not a probability in [0, 1]")]
    ThresholdOutOfRange(f64),
    /// The model's weights do not match the encoder's width.
    #[error("model has {weights} weights but the encoder produces {columns} columns")]
    ShapeMismatch { weights: usize, columns: usize },
    /// An artifact could not be read.
    #[error("artifact: {0}")]
    Artifact(String),
    /// An artifact was written by a format this build does not read.
    #[error("artifact format {found} is not supported (this build reads formats 1 to {expected})")]
    UnsupportedFormat { found: u32, expected: u32 },
    /// A rules file has mistakes, each with its line.
    #[error("rules file: {}", crate::error::list_diagnostics(.0))]
    Rules(Vec<crate::rules::RuleDiagnostic>),
    /// Two sets of scores to compare do not line up, or there is nothing to compare.
    #[error("compare: {0}")]
    Compare(String),
    /// A model cannot be turned into points as asked.
    #[error("points: {0}")]
    Points(String),
}

/// Characters of a value a message quotes before cutting it short.
const EXCERPT_CHARS: usize = 40;

/// `value` as a message quotes it: with Rust's escapes (control characters, quotes and
/// backslashes escaped, so binary data cannot reach a terminal raw), cut after 40 characters
/// with `…`. A cell or a header can be megabytes; a message stays one short line.
pub fn excerpt(value: &str) -> String {
    let mut chars = value.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    // A string's Debug text without its quotes: the escapes of `str`, which leave `'` alone.
    let quoted = format!("{head:?}");
    let mut text = quoted[1..quoted.len() - 1].to_owned();
    if chars.next().is_some() {
        text.push('…');
    }
    text
}

/// `line 3: ...; line 7: ...`, the mistakes of a rules file on one line.
fn list_diagnostics(diagnostics: &[crate::rules::RuleDiagnostic]) -> String {
    diagnostics.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

impl Error {
    /// Attaches the 1-based source line to an error found in a data row.
    pub fn at_line(self, line: u64) -> Error {
        match self {
            Error::AtLine { .. } => self,
            other => Error::AtLine { line, error: Box::new(other) },
        }
    }
}

/// Result with the core [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    #[test]
    fn excerpts_are_short_and_escaped() {
        assert_eq!(super::excerpt("many"), "many");
        assert_eq!(super::excerpt("O'Brien \"x\"\n\u{1b}[31m"), "O'Brien \\\"x\\\"\\n\\u{1b}[31m");
        let long = "é".repeat(10_000);
        assert_eq!(super::excerpt(&long), format!("{}…", "é".repeat(40)));
        let err = super::Error::BadNumber { column: "page_views".into(), value: "x".repeat(5_000_000) };
        assert!(err.to_string().len() < 120, "{err}");
    }
}
