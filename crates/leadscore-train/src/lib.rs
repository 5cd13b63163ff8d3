//! The training side of leadscore: CSV in, a validated artifact in the model registry out.
//!
//! Reading ([`csv_source`]), splitting ([`split`]), the design matrix
//! ([`design`]), fitting with linfa-logistic ([`fit`]), choosing the penalty
//! ([`cv`]), judging the model ([`evaluate`], [`leakage`]) and publishing it
//! ([`registry`]); [`pipeline::train`] runs them in order.
mod csv_rows;
pub mod csv_source;
pub mod cv;
pub mod design;
pub mod distribution;
pub mod error;
pub mod evaluate;
pub mod fit;
pub mod leakage;
pub mod params;
#[cfg(feature = "postgres")]
pub mod pg_source;
pub mod pipeline;
/// The model registry (its own crate, shared with the server, which must not link linfa).
pub use leadscore_registry as registry;
pub mod split;

pub use error::{Error, Result};
pub mod card;
pub mod compare_csv;
pub mod infer;
pub mod score_csv;
pub mod synth;
