//! The one error type of `leadscore-train`: reading the data (through `leadscore-io`), fitting and parameters.

use std::path::PathBuf;

/// Everything that can go wrong while reading training data, fitting or publishing.
// Variant fields are named for what they hold (path, line, column).
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading the data (a CSV file or a query) failed: the file, line and column are in the message.
    #[error(transparent)]
    Read(#[from] leadscore_io::Error),
    /// A training parameter is out of range.
    #[error("invalid parameter `{name}`: {reason}")]
    Params { name: &'static str, reason: String },
    /// The optimiser failed.
    #[error("fitting the logistic regression failed (l2 = {l2}): {message}")]
    Fit { l2: f64, message: String },
    /// The model registry refused a change (a lock held, a version missing, a write failed).
    #[error(transparent)]
    Registry(#[from] leadscore_registry::Error),
    /// A core error without a file to blame (spec, artifact).
    #[error(transparent)]
    Core(#[from] leadscore_core::Error),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Read(leadscore_io::Error::io(path, source))
    }
}

/// Result with the train [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
