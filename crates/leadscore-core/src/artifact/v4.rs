//! Format 4, frozen: the layout of the artifacts written before pair terms (format 5: `pairs`
//! and `pair_search` in the spec, the encoder's `pairs`, the artifact's `pair_search`).
//!
//! Copies of the types that changed since, as they were; every other type is shared. Reading
//! converts to today's [`Artifact`] with the meaning format 4 had: no pair term, no search
//! record, and a spec that asks for no search (`pair_search = false`), so that retraining an old
//! model's spec does what it did, and an old model scores to the same bits. Never edit these: a
//! new format gets its own frozen copy of what it changes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::v6::FeatureSpecV6;
use crate::curve::{OperatingCurve, Suggestion};
use crate::date::DateFormat;
use crate::encode::{Encoder, FeatureEncoder, TimeInput};
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, Regularisation, TrainingSummary, Warning};
use crate::spec::{Defaults, Spec, TargetSpec};
use crate::tiers::Tiers;
use crate::value::MissingTokens;
use crate::Artifact;

/// [`Artifact`] in format 4.
#[derive(Deserialize)]
pub(super) struct ArtifactV4 {
    name: String,
    spec: SpecV4,
    encoder: EncoderV4,
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
}

/// [`Spec`] in format 4.
#[derive(Deserialize)]
struct SpecV4 {
    missing: Vec<String>,
    ids: Vec<String>,
    time_column: Option<String>,
    time_format: Option<DateFormat>,
    reference_date: Option<String>,
    defaults: Defaults,
    target: TargetSpec,
    exclude: BTreeMap<String, String>,
    features: BTreeMap<String, FeatureSpecV6>,
}

/// [`Encoder`] in format 4.
#[derive(Deserialize)]
struct EncoderV4 {
    features: Vec<FeatureEncoder>,
    n_columns: usize,
    missing: MissingTokens,
    baseline: Vec<f64>,
    time: Option<TimeInput>,
}

impl From<ArtifactV4> for Artifact {
    fn from(a: ArtifactV4) -> Artifact {
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
            evidence: a.evidence,
            pair_search: None,
            fitted_on: crate::report::FittedOn::TrainingPart,
            shape_search: None,
        }
    }
}

impl From<SpecV4> for Spec {
    fn from(s: SpecV4) -> Spec {
        Spec {
            missing: s.missing,
            ids: s.ids,
            time_column: s.time_column,
            time_format: s.time_format,
            reference_date: s.reference_date,
            defaults: s.defaults,
            target: s.target,
            exclude: s.exclude,
            features: s.features.into_iter().map(|(name, f)| (name, f.into())).collect(),
            pairs: Vec::new(),
            pair_search: Some(false),
        }
    }
}

impl From<EncoderV4> for Encoder {
    fn from(e: EncoderV4) -> Encoder {
        Encoder {
            features: e.features,
            n_columns: e.n_columns,
            missing: e.missing,
            baseline: e.baseline,
            time: e.time,
            pairs: Vec::new(),
        }
    }
}
