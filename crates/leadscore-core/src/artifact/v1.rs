//! Format 1, frozen: the layout of the artifacts written before date formats (format 2).
//!
//! bincode writes fields in order without names, so an artifact can only be read through the
//! exact types it was written from. These are copies of the types that changed since, as they
//! were; every other type is shared. Reading converts to today's [`Artifact`] with the meaning
//! format 1 had (every date `yyyy-mm-dd`), so an old model scores to the same bits. Never edit
//! these: a new format gets its own frozen copy of what it changes.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::curve::{OperatingCurve, Suggestion};
use crate::encode::{
    BooleanEncoder, CategoricalEncoder, DateEncoder, Encoder, FeatureEncoder, NumericEncoder, Transform,
};
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, Regularisation, TrainingSummary, Warning};
use crate::spec::{DateAge, Defaults, FeatureSpec, Impute, Kind, Spec, TargetSpec};
use crate::tiers::Tiers;
use crate::value::MissingTokens;
use crate::Artifact;

/// [`Artifact`] in format 1.
#[derive(Deserialize)]
pub(super) struct ArtifactV1 {
    name: String,
    spec: SpecV1,
    encoder: EncoderV1,
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

#[derive(Deserialize)]
struct SpecV1 {
    missing: Vec<String>,
    ids: Vec<String>,
    time_column: Option<String>,
    reference_date: Option<String>,
    defaults: Defaults,
    target: TargetSpec,
    exclude: BTreeMap<String, String>,
    features: BTreeMap<String, FeatureSpecV1>,
}

#[derive(Deserialize)]
struct FeatureSpecV1 {
    kind: Kind,
    impute: Option<Impute>,
    log1p: Option<bool>,
    bins: Option<u32>,
    min_count: Option<u32>,
    normalize: Option<bool>,
    month: Option<bool>,
    weekday: Option<bool>,
}

#[derive(Deserialize)]
struct EncoderV1 {
    features: Vec<FeatureEncoderV1>,
    n_columns: usize,
    missing: MissingTokens,
    baseline: Vec<f64>,
}

#[derive(Deserialize)]
struct FeatureEncoderV1 {
    name: String,
    offset: usize,
    transform: TransformV1,
}

#[derive(Deserialize)]
enum TransformV1 {
    Numeric(NumericEncoder),
    Categorical(CategoricalEncoder),
    Boolean(BooleanEncoder),
    Date(DateEncoderV1),
}

#[derive(Deserialize)]
struct DateEncoderV1 {
    reference_day: i32,
    age: NumericEncoder,
    month: Option<CategoricalEncoder>,
    weekday: Option<CategoricalEncoder>,
}

impl From<ArtifactV1> for Artifact {
    fn from(a: ArtifactV1) -> Artifact {
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

impl From<SpecV1> for Spec {
    fn from(s: SpecV1) -> Spec {
        Spec {
            missing: s.missing,
            ids: s.ids,
            time_column: s.time_column,
            time_format: None,
            reference_date: s.reference_date,
            defaults: s.defaults,
            target: s.target,
            exclude: s.exclude,
            features: s.features.into_iter().map(|(name, f)| (name, f.into())).collect(),
            pairs: Vec::new(),
            // No pair search existed: said so, as format 4's reader does.
            pair_search: Some(false),
        }
    }
}

impl From<FeatureSpecV1> for FeatureSpec {
    fn from(f: FeatureSpecV1) -> FeatureSpec {
        FeatureSpec {
            kind: f.kind,
            impute: f.impute,
            log1p: f.log1p,
            bins: f.bins,
            min_count: f.min_count,
            normalize: f.normalize,
            month: f.month,
            weekday: f.weekday,
            format: None,
            hour: None,
            // Format 1 measured every age at the reference date: said so, so that the spec
            // means what the model does (a spec without `age` now means the time column).
            age: (f.kind == Kind::Date).then_some(DateAge::ReferenceDate),
            shape: None,
        }
    }
}

impl From<EncoderV1> for Encoder {
    fn from(e: EncoderV1) -> Encoder {
        Encoder {
            features: e
                .features
                .into_iter()
                .map(|f| FeatureEncoder { name: f.name, offset: f.offset, transform: f.transform.into() })
                .collect(),
            n_columns: e.n_columns,
            missing: e.missing,
            baseline: e.baseline,
            time: None,
            pairs: Vec::new(),
        }
    }
}

impl From<TransformV1> for Transform {
    fn from(t: TransformV1) -> Transform {
        match t {
            TransformV1::Numeric(n) => Transform::Numeric(n),
            TransformV1::Categorical(c) => Transform::Categorical(c),
            TransformV1::Boolean(b) => Transform::Boolean(b),
            TransformV1::Date(d) => Transform::Date(DateEncoder {
                format: Default::default(),
                age_at: DateAge::ReferenceDate,
                reference_day: d.reference_day,
                age: Some(d.age),
                month: d.month,
                weekday: d.weekday,
                hour: None,
            }),
        }
    }
}
