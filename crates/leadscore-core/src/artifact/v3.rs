//! Format 3, frozen: the layout of the artifacts written before dates measured at the lead's own
//! time column (format 4: a date feature's `age` and `hour` in the spec, the encoder's time
//! input, a date encoder's age base and hour part). Formats 2 and 3 share these types; format 2
//! lacks only the evidence ([`super::v2`]).
//!
//! Copies of the types that changed since, as they were; every other type is shared. Reading
//! converts to today's [`Artifact`] with the meaning format 3 had: every date's age measured at
//! the reference date, said so in the spec (`age = "reference_date"`), no hour, so an old model
//! scores to the same bits. Never edit these: a new format gets its own frozen copy of what it
//! changes.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::curve::{OperatingCurve, Suggestion};
use crate::date::DateFormat;
use crate::encode::{
    BooleanEncoder, CategoricalEncoder, DateEncoder, Encoder, FeatureEncoder, NumericEncoder, Transform,
};
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{CvSummary, Evaluation, FeatureDistribution, Regularisation, TrainingSummary, Warning};
use crate::spec::{DateAge, Defaults, FeatureSpec, Impute, Kind, Spec, TargetSpec};
use crate::tiers::Tiers;
use crate::value::MissingTokens;
use crate::Artifact;

/// [`Artifact`] in format 3.
#[derive(Deserialize)]
pub(super) struct ArtifactV3 {
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
    evidence: Vec<TermEvidence>,
}

/// [`Spec`] in formats 2 and 3.
#[derive(Deserialize)]
pub(super) struct SpecV3 {
    missing: Vec<String>,
    ids: Vec<String>,
    time_column: Option<String>,
    time_format: Option<DateFormat>,
    reference_date: Option<String>,
    defaults: Defaults,
    target: TargetSpec,
    exclude: BTreeMap<String, String>,
    features: BTreeMap<String, FeatureSpecV3>,
}

#[derive(Deserialize)]
struct FeatureSpecV3 {
    kind: Kind,
    impute: Option<Impute>,
    log1p: Option<bool>,
    bins: Option<u32>,
    min_count: Option<u32>,
    normalize: Option<bool>,
    month: Option<bool>,
    weekday: Option<bool>,
    format: Option<DateFormat>,
}

/// [`Encoder`] in formats 2 and 3.
#[derive(Deserialize)]
pub(super) struct EncoderV3 {
    features: Vec<FeatureEncoderV3>,
    n_columns: usize,
    missing: MissingTokens,
    baseline: Vec<f64>,
}

#[derive(Deserialize)]
struct FeatureEncoderV3 {
    name: String,
    offset: usize,
    transform: TransformV3,
}

#[derive(Deserialize)]
enum TransformV3 {
    Numeric(NumericEncoder),
    Categorical(CategoricalEncoder),
    Boolean(BooleanEncoder),
    Date(DateEncoderV3),
}

#[derive(Deserialize)]
struct DateEncoderV3 {
    format: DateFormat,
    reference_day: i32,
    age: NumericEncoder,
    month: Option<CategoricalEncoder>,
    weekday: Option<CategoricalEncoder>,
}

impl From<ArtifactV3> for Artifact {
    fn from(a: ArtifactV3) -> Artifact {
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
            fitted_on: crate::report::FittedOn::TrainingPart,
            shape_search: None,
            pair_search: None,
        }
    }
}

impl From<SpecV3> for Spec {
    fn from(s: SpecV3) -> Spec {
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
            // No pair search existed: said so, as format 4's reader does.
            pairs: Vec::new(),
            pair_search: Some(false),
        }
    }
}

impl From<FeatureSpecV3> for FeatureSpec {
    fn from(f: FeatureSpecV3) -> FeatureSpec {
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
            hour: None,
            // Formats 2 and 3 measured every age at the reference date: said so, so that the
            // spec means what the model does (a spec without `age` now means the time column).
            age: (f.kind == Kind::Date).then_some(DateAge::ReferenceDate),
            shape: None,
        }
    }
}

impl From<EncoderV3> for Encoder {
    fn from(e: EncoderV3) -> Encoder {
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

impl From<TransformV3> for Transform {
    fn from(t: TransformV3) -> Transform {
        match t {
            TransformV3::Numeric(n) => Transform::Numeric(n),
            TransformV3::Categorical(c) => Transform::Categorical(c),
            TransformV3::Boolean(b) => Transform::Boolean(b),
            TransformV3::Date(d) => Transform::Date(DateEncoder {
                format: d.format,
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
