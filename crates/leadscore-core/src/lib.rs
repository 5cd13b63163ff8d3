//! The pure domain of leadscore: what a lead scoring model is, independent of
//! how it is trained or served.
//!
//! - [`spec`]: what to predict and how to read each column.
//! - [`value`], [`date`], [`table`]: reading raw cells (dates in each column's format), the same
//!   way in training and scoring.
//! - [`encode`]: the fitted encoder (imputation, scaling, one-hot, bins); [`pair`]: pair terms,
//!   one weight per cell of two features' grid.
//! - [`model`], [`score`], [`lookup`]: the logistic model, probabilities and exact explanations,
//!   and the per-model tables that make scoring many leads a lookup per feature.
//! - [`metrics`], [`curve`], [`tiers`]: held-out figures, MQL thresholds, A-D tiers.
//! - [`report`], [`artifact`]: what a training run stores, and its bytes on disk.
//! - [`promotion`]: the promotion gate (policy, decision, what changed in the inputs), one place
//!   for `train`, `retrain`, `promote` and the server's admin route.
//! - [`rules`], [`points`], [`compare`]: marketers' points rules, read the way the model reads a
//!   lead; a model turned into such points; the model and the rules held side by side.
//! - [`monitor`]: the model in production: drift (PSI against the stored training
//!   distributions), calibration by tier and decile, live figures with bootstrap intervals, and
//!   two models compared on the same leads (the paired bootstrap of the promotion gate).
//!
//! This crate opens no files, reads no clock or environment, draws no OS
//! randomness (bootstraps use seeded ChaCha streams) and knows nothing of HTTP, the CLI or linfa: scoring is a dot product.
#![warn(missing_docs)]

pub mod artifact;
pub mod card;
pub mod compare;
pub mod curve;
pub mod date;
pub mod encode;
pub mod error;
pub mod evidence;
pub mod lookup;
pub mod metrics;
pub mod model;
pub mod monitor;
pub mod names;
pub mod pair;
pub mod points;
pub mod promotion;
pub mod report;
pub mod rules;
pub mod score;
pub mod spec;
pub mod table;
#[cfg(test)]
pub(crate) mod testing;
pub mod threshold;
pub mod tiers;
pub mod value;

pub use artifact::Artifact;
pub use error::{Error, Result};
pub use spec::Spec;
