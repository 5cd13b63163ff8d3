//! Format 2, frozen: the layout of the artifacts written before the evidence behind each term
//! (format 3). Every type is shared with today's; only [`Artifact::evidence`] is new, so a
//! format-2 model reads with no evidence, and its signal lists rank by the weights' size as they
//! did. Its spec and encoder are format 3's ([`super::v3`]), converted the same way. Never edit
//! this: a new format gets its own frozen copy of what it changes.

use serde::Deserialize;

use crate::curve::{OperatingCurve, Suggestion};
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, Regularisation, TrainingSummary, Warning};
use crate::tiers::Tiers;
use crate::Artifact;

use super::v3::{EncoderV3, SpecV3};

/// [`Artifact`] in format 2.
#[derive(Deserialize)]
pub(super) struct ArtifactV2 {
    name: String,
    spec: SpecV3,
    encoder: EncoderV3,
    model: LogisticModel,
    regularisation: Regularisation,
    training: TrainingSummary,
    cv: Option<CvSummary>,
    holdout: Evaluation,
    curve: OperatingCurve,
    thresholds: Vec<Suggestion>,
    tiers: Tiers,
    distributions: Vec<FeatureDistribution>,
    warnings: Vec<Warning>,
}

impl From<ArtifactV2> for Artifact {
    fn from(a: ArtifactV2) -> Artifact {
        Artifact {
            name: a.name,
            spec: a.spec.into(),
            encoder: a.encoder.into(),
            model: a.model,
            regularisation: a.regularisation,
            training: a.training,
            cv: a.cv,
            holdout: a.holdout,
            curve: a.curve,
            thresholds: a.thresholds,
            tiers: a.tiers,
            distributions: a.distributions,
            warnings: a.warnings,
            evidence: Vec::new(),
            fitted_on: crate::report::FittedOn::TrainingPart,
            shape_search: None,
            pair_search: None,
        }
    }
}
