//! Format 6, frozen: the layout of the artifacts written before numbers' shapes were chosen by
//! the data (format 7: a feature's `shape` in the spec, [`Artifact::shape_search`]).
//!
//! Copies of the types that changed since, as they were; every other type is shared. Reading
//! converts to today's [`Artifact`] with the meaning format 6 had: every number read as its
//! `log1p` and `bins` said (no `shape`), and no search record. Formats 4 and 5 share these
//! copies of the spec. Never edit these: a new format gets its own frozen copy of what it
//! changes.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::v7::PairSearchV7;

use crate::curve::{OperatingCurve, Suggestion};
use crate::date::DateFormat;
use crate::encode::Encoder;
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, FittedOn, Regularisation, TrainingSummary, Warning};
use crate::spec::{DateAge, Defaults, FeatureSpec, Impute, Kind, Spec, TargetSpec};
use crate::tiers::Tiers;
use crate::Artifact;

/// [`Artifact`] in format 6.
#[derive(Deserialize)]
pub(super) struct ArtifactV6 {
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
    fitted_on: FittedOn,
}

/// [`Spec`] in formats 5 and 6.
#[derive(Deserialize)]
pub(super) struct SpecV6 {
    missing: Vec<String>,
    ids: Vec<String>,
    time_column: Option<String>,
    time_format: Option<DateFormat>,
    reference_date: Option<String>,
    defaults: Defaults,
    target: TargetSpec,
    exclude: BTreeMap<String, String>,
    features: BTreeMap<String, FeatureSpecV6>,
    pairs: Vec<[String; 2]>,
    pair_search: Option<bool>,
}

/// [`FeatureSpec`] in formats 4 to 6.
#[derive(Deserialize)]
pub(super) struct FeatureSpecV6 {
    kind: Kind,
    impute: Option<Impute>,
    log1p: Option<bool>,
    bins: Option<u32>,
    min_count: Option<u32>,
    normalize: Option<bool>,
    month: Option<bool>,
    weekday: Option<bool>,
    format: Option<DateFormat>,
    hour: Option<bool>,
    age: Option<DateAge>,
}

impl From<ArtifactV6> for Artifact {
    fn from(a: ArtifactV6) -> Artifact {
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
            fitted_on: a.fitted_on,
            shape_search: None,
        }
    }
}

impl From<SpecV6> for Spec {
    fn from(s: SpecV6) -> Spec {
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
            pairs: s.pairs,
            pair_search: s.pair_search,
        }
    }
}

impl From<FeatureSpecV6> for FeatureSpec {
    fn from(f: FeatureSpecV6) -> FeatureSpec {
        FeatureSpec {
            kind: f.kind,
            impute: f.impute,
            log1p: f.log1p,
            bins: f.bins,
            min_count: f.min_count,
            normalize: f.normalize,
            month: f.month,
            weekday: f.weekday,
            format: f.format,
            hour: f.hour,
            age: f.age,
            shape: None,
        }
    }
}
