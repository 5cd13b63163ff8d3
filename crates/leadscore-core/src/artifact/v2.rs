//! Format 2, frozen: the layout of the artifacts written before the evidence behind each term
//! (format 3). Every type is shared with today's; only [`Artifact::evidence`] is new, so a
//! format-2 model reads with no evidence, and its signal lists rank by the weights' size as they
//! did. Never edit this: a new format gets its own frozen copy of what it changes.

use serde::Deserialize;

use crate::curve::{OperatingCurve, Suggestion};
use crate::encode::Encoder;
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, Regularisation, TrainingSummary, Warning};
use crate::spec::Spec;
use crate::tiers::Tiers;
use crate::Artifact;

/// [`Artifact`] in format 2.
#[derive(Deserialize)]
pub(super) struct ArtifactV2 {
    name: String,
    spec: Spec,
    encoder: Encoder,
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
            spec: a.spec,
            encoder: a.encoder,
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
        }
    }
}
