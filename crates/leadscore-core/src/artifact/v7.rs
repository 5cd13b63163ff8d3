//! Format 7, frozen: the layout of the artifacts written before a pair candidate's pull was
//! recorded (format 8: [`PairCandidate::pull`]).
//!
//! Copies of the types that changed since, as they were; every other type is shared. Reading
//! converts to today's [`Artifact`]: a candidate's pull is not a number (format 7's search may
//! or may not have pulled a pair's cells together; it did not say). Formats 5 and 6 share these
//! copies of the pair search's record. Never edit these: a new format gets its own frozen copy
//! of what it changes.

use serde::Deserialize;

use crate::curve::{OperatingCurve, Suggestion};
use crate::encode::Encoder;
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{
    CvSummary, Evaluation, FeatureDistribution, FittedOn, PairCandidate, PairSearch, Regularisation, ShapeSearch,
    TrainingSummary, Warning,
};
use crate::spec::Spec;
use crate::tiers::Tiers;
use crate::Artifact;

/// [`Artifact`] in format 7.
#[derive(Deserialize)]
pub(super) struct ArtifactV7 {
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
    evidence: Vec<TermEvidence>,
    pair_search: Option<PairSearchV7>,
    fitted_on: FittedOn,
    shape_search: Option<ShapeSearch>,
}

/// [`PairSearch`] in formats 5 to 7.
#[derive(Deserialize)]
pub(super) struct PairSearchV7 {
    n_ranked: u64,
    n_rank_rows: u64,
    base_log_loss: f64,
    log_loss: f64,
    min_gain: f64,
    candidates: Vec<PairCandidateV7>,
    stopped: String,
    out_of_time: bool,
}

/// [`PairCandidate`] in formats 5 to 7.
#[derive(Deserialize)]
pub(super) struct PairCandidateV7 {
    features: [String; 2],
    fast_gain: f64,
    folds: u32,
    cv_gain: f64,
    cv_gain_se: f64,
    l2: f64,
    kept: bool,
}

impl PairSearchV7 {
    /// Today's record, each judged candidate's pull `pull` (not a number for one not judged).
    pub(super) fn with_pull(self, pull: f64) -> PairSearch {
        PairSearch {
            n_ranked: self.n_ranked,
            n_rank_rows: self.n_rank_rows,
            base_log_loss: self.base_log_loss,
            log_loss: self.log_loss,
            min_gain: self.min_gain,
            candidates: self
                .candidates
                .into_iter()
                .map(|c| PairCandidate {
                    features: c.features,
                    fast_gain: c.fast_gain,
                    folds: c.folds,
                    cv_gain: c.cv_gain,
                    cv_gain_se: c.cv_gain_se,
                    pull: if c.l2.is_nan() { f64::NAN } else { pull },
                    l2: c.l2,
                    kept: c.kept,
                })
                .collect(),
            stopped: self.stopped,
            out_of_time: self.out_of_time,
        }
    }
}

impl From<ArtifactV7> for Artifact {
    fn from(a: ArtifactV7) -> Artifact {
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
            evidence: a.evidence,
            // Format 7 pulled some pairs' cells together and did not record which.
            pair_search: a.pair_search.map(|s| s.with_pull(f64::NAN)),
            fitted_on: a.fitted_on,
            shape_search: a.shape_search,
        }
    }
}
