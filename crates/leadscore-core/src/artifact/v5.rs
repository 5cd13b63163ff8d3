//! Format 5, frozen (its spec is format 6's, [`super::v6::SpecV6`], its pair search's record
//! format 7's, [`super::v7::PairSearchV7`]): the layout of the artifacts written before the
//! published model could be refit on every labelled lead (format 6, [`Artifact::fitted_on`]).
//! Every other type is shared with today's; `fitted_on` is new, so a format-5 model reads as
//! fitted on its training part, which it was, and scores as it did. Never edit this: a new format gets its own frozen copy of
//! what it changes.

use serde::Deserialize;

use super::v6::SpecV6;
use super::v7::PairSearchV7;
use crate::curve::{OperatingCurve, Suggestion};
use crate::encode::Encoder;
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, FittedOn, Regularisation, TrainingSummary, Warning};
use crate::tiers::Tiers;
use crate::Artifact;

/// [`Artifact`] in format 5.
#[derive(Deserialize)]
pub(super) struct ArtifactV5 {
    name: String,
    spec: SpecV6,
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
    evidence: Vec<TermEvidence>,
    pair_search: Option<PairSearchV7>,
}

impl From<ArtifactV5> for Artifact {
    fn from(a: ArtifactV5) -> Artifact {
        Artifact {
            name: a.name,
            spec: a.spec.into(),
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
            evidence: a.evidence,
            // Formats 5 and 6 never pulled a pair's cells together.
            pair_search: a.pair_search.map(|s| s.with_pull(0.0)),
            fitted_on: FittedOn::TrainingPart,
            shape_search: None,
        }
    }
}
