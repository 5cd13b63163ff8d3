//! A leadscore model as one SQL query: score leads where they already live.
//!
//! When leads sit in a warehouse or a Spark cluster, moving millions of rows
//! out to a scoring service is the wrong shape; the model should go to the
//! data. A logistic model with its encoding is exactly expressible as SQL, so
//! [`export_sql`] turns an [`Artifact`] into a `SELECT` (or a view) that any of
//! the supported engines runs in parallel, giving per lead the probability,
//! 1-99 score, tier, MQL flag and optionally the top contributing feature.
//!
//! The query reproduces `leadscore score` exactly, not approximately: the same
//! missing tokens and case folding, the scorer's additions in the scorer's
//! order (so IEEE doubles give the same bits), and every decision (bin, tier,
//! MQL) moved onto values the engine computes exactly (see [`exact`]). The
//! layout of the query is described in [`program`].
//!
//! This crate is pure: artifact in, text out. It depends on `leadscore-core` only.
#![warn(missing_docs)]

pub mod dialect;
pub mod error;
pub mod exact;
pub mod program;

pub use dialect::Dialect;
pub use error::{Error, Result};
use leadscore_core::Artifact;

/// Which MQL threshold the query flags leads at: the core's one decision, as `leadscore score` makes it.
pub use leadscore_core::threshold::ThresholdChoice;

/// What to export.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportOptions {
    /// The engine the query is written for.
    pub dialect: Dialect,
    /// The table (or view) holding the leads, optionally qualified (`schema.leads`).
    pub table: String,
    /// The column identifying a lead; default: the spec's first id column.
    pub id: Option<String>,
    /// Wrap the query in `CREATE OR REPLACE VIEW <view> AS`.
    pub view: Option<String>,
    /// The MQL threshold.
    pub threshold: ThresholdChoice,
    /// Add a `top_feature` column: the feature with the largest contribution.
    pub top_feature: bool,
}

/// Where the model came from, recorded in the query's header comment.
#[derive(Clone, Debug, PartialEq)]
pub struct Provenance {
    /// Model name.
    pub name: String,
    /// Registry version (`v1`).
    pub version: String,
    /// Short content checksum of the model file.
    pub checksum: String,
}

/// The scoring query for `artifact`.
pub fn export_sql(artifact: &Artifact, provenance: &Provenance, options: &ExportOptions) -> Result<String> {
    program::write(artifact, provenance, options)
}
