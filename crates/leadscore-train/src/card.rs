//! The JSON summary `train --json` prints (the model card itself is the core's `card`).

use serde::Serialize;

use leadscore_core::card::CardFit;
use leadscore_core::report::{CvSummary, Evaluation, ShapeSearch, TrainingSummary, Warning};
use leadscore_core::Artifact;

/// The machine-readable summary of a training run (`leadscore train --json`).
#[derive(Clone, Debug, Serialize)]
pub struct TrainSummary<'a> {
    /// Path of the written `model.bin`.
    pub model_path: String,
    /// Model name.
    pub name: &'a str,
    /// Registry version.
    pub version: &'a str,
    /// True when an identical model was already registered.
    pub reused: bool,
    /// Chosen L2 penalty.
    pub l2: f64,
    /// Cross-validated figures at the chosen penalty.
    pub cv: Option<&'a CvSummary>,
    /// Held-out figures.
    pub holdout: &'a Evaluation,
    /// Suggested thresholds.
    pub thresholds: Vec<ThresholdRow<'a>>,
    /// Training rows, held-out rows, wins.
    pub training: &'a TrainingSummary,
    /// Which leads the published model was fitted on, and which model the figures describe.
    pub fitted_on: CardFit,
    /// What the shape search tried and chose (absent when it did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape_search: Option<&'a ShapeSearch>,
    /// Warnings.
    pub warnings: &'a [Warning],
}

/// One threshold as `train --json` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdRow<'a> {
    /// Strategy name.
    pub strategy: &'a str,
    /// Probability cut-off.
    pub threshold: f64,
    /// Share of leads that become MQLs.
    pub mql_rate: f64,
    /// Won rate among MQLs.
    pub precision: f64,
    /// Share of all wins among MQLs.
    pub recall: f64,
    /// Precision over the base rate.
    pub lift: f64,
}

/// Builds the `train --json` summary.
pub fn train_summary<'a>(
    artifact: &'a Artifact,
    version: &'a str,
    model_path: String,
    reused: bool,
) -> TrainSummary<'a> {
    TrainSummary {
        model_path,
        name: &artifact.name,
        version,
        reused,
        l2: artifact.regularisation.l2,
        cv: artifact.cv.as_ref(),
        holdout: &artifact.holdout,
        thresholds: artifact
            .thresholds
            .iter()
            .map(|s| ThresholdRow {
                strategy: &s.strategy,
                threshold: s.threshold,
                mql_rate: s.mql_rate,
                precision: s.precision,
                recall: s.recall,
                lift: s.lift,
            })
            .collect(),
        training: &artifact.training,
        fitted_on: CardFit::of(artifact),
        shape_search: artifact.shape_search.as_ref(),
        warnings: &artifact.warnings,
    }
}
