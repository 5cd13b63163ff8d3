//! The training side of leadscore: CSV in, a validated artifact in the model registry out.
//!
//! Reading (through `leadscore-io`, re-exported as [`io`]), splitting ([`split`]), the design matrix
//! ([`design`]), fitting with linfa-logistic ([`fit`]), choosing the penalty
//! ([`cv`]), choosing numbers' shapes ([`shapes`]), finding and fitting pair terms ([`pairs`]), judging the model ([`evaluate`], [`leakage`]) and publishing it
//! ([`registry`]); [`pipeline::train`] runs them in order, and [`gate`] compares the candidate
//! with the current version before it may serve.
pub mod cv;
pub mod design;
pub mod distribution;
pub mod error;
pub mod evaluate;
pub mod evidence;
pub mod fit;
pub mod gate;
pub mod leakage;
pub mod newton;
pub mod pairs;
pub mod params;
pub mod pipeline;
pub mod shapes;
/// The model registry (its own crate, shared with the server, which must not link linfa).
pub use leadscore_registry as registry;
pub mod split;
pub mod steps;

pub use error::{Error, Result};
/// Reading and writing data files (its own crate, shared with the server and the CLI).
pub use leadscore_io as io;
pub mod card;
pub mod compare_csv;
pub mod infer;
pub mod synth;
