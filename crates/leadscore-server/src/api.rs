//! The HTTP contract: request and response types (the only JSON shapes the
//! server defines) and the strict reading of a JSON lead.
//!
//! Core types never go on the wire directly; they are copied into these DTOs
//! so a change in the core cannot silently change the API.

use std::collections::{BTreeMap, HashMap};

use leadscore_core::compare::Comparison;
use leadscore_core::curve::{OperatingPoint, Strategy, Suggestion};
use leadscore_core::date::DateFormat;
use leadscore_core::encode::Transform;
use leadscore_core::rules::{RuleScore, RuleSet};
use leadscore_core::spec::Kind;
use leadscore_core::value::{parse_bool, RawValue};
use leadscore_core::Artifact;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};
use crate::state::{LoadedModel, ModelSet, ReloadFailure};

/// Default number of explanation factors per lead.
pub const DEFAULT_EXPLAIN: usize = 3;
/// Most explanation factors per lead.
pub const MAX_EXPLAIN: usize = 50;

/// `POST /v1/score` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "leads": [
        {"id": "L1", "job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "demo_requested": true},
        {"id": 2, "country": "Germany", "page_views": 12.5, "webinar_attended": "no", "annual_revenue": null}
    ],
    "explain": 3,
    "threshold": {"strategy": "capacity", "mql_rate": 0.2}
}))]
pub struct ScoreRequest {
    /// The leads: objects mapping a field name to a value. An optional `id` (string or number) is echoed back.
    #[schema(value_type = Vec<Object>, min_items = 1)]
    pub leads: Vec<serde_json::Map<String, Value>>,
    /// Number of top factors explaining each score (0 to 50; default 3).
    #[serde(default)]
    #[schema(maximum = 50)]
    pub explain: Option<usize>,
    /// How MQL is decided (default: the model's max_f1 threshold).
    #[serde(default)]
    pub threshold: Option<ThresholdRequest>,
}

/// How to pick the MQL threshold.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(tag = "strategy", rename_all = "snake_case", deny_unknown_fields)]
pub enum ThresholdRequest {
    /// A fixed probability.
    Fixed {
        /// Probability cut-off in [0, 1].
        value: f64,
    },
    /// Maximise F1 on the held-out leads.
    MaxF1,
    /// Maximise Youden's J (TPR - FPR).
    Youden,
    /// Sales can work this share of leads.
    Capacity {
        /// Share of leads that become MQLs, in (0, 1].
        mql_rate: f64,
    },
    /// Sales can work `leads_per_period` of the `volume_per_period` that arrive.
    CapacityPerPeriod {
        /// Leads sales can call per period.
        leads_per_period: f64,
        /// Leads arriving per period.
        volume_per_period: f64,
    },
    /// MQLs must convert at least this often.
    Precision {
        /// Minimum won rate among MQLs, in (0, 1].
        target: f64,
    },
    /// Catch at least this share of eventual customers.
    Recall {
        /// Minimum share of wins among MQLs, in (0, 1].
        target: f64,
    },
    /// Threshold where a sales touch pays: p = cost / value.
    ExpectedValue {
        /// Cost of working one lead.
        cost: f64,
        /// Value of a won deal.
        value: f64,
    },
}

impl ThresholdRequest {
    fn strategy(&self) -> Option<Strategy> {
        Some(match self.clone() {
            ThresholdRequest::Fixed { .. } => return None,
            ThresholdRequest::MaxF1 => Strategy::MaxF1,
            ThresholdRequest::Youden => Strategy::Youden,
            ThresholdRequest::Capacity { mql_rate } => Strategy::Capacity { mql_rate },
            ThresholdRequest::CapacityPerPeriod { leads_per_period, volume_per_period } => {
                Strategy::CapacityPerPeriod { leads_per_period, volume_per_period }
            }
            ThresholdRequest::Precision { target } => Strategy::Precision { target },
            ThresholdRequest::Recall { target } => Strategy::Recall { target },
            ThresholdRequest::ExpectedValue { cost, value } => Strategy::ExpectedValue { cost, value },
        })
    }

    /// Resolves to a suggestion on the model's held-out curve.
    pub fn resolve(&self, artifact: &Artifact) -> Result<ThresholdResult, ApiError> {
        match self.strategy() {
            None => {
                let ThresholdRequest::Fixed { value } = self else {
                    return Err(ApiError::Internal("fixed threshold without a value".into()));
                };
                if !(0.0..=1.0).contains(value) {
                    return Err(ApiError::BadRequest(format!(
                        "threshold.value {value} is not a probability in [0, 1]"
                    )));
                }
                Ok(ThresholdResult::from_point("fixed", &artifact.curve.at(*value), String::new()))
            }
            Some(strategy) => {
                strategy.validate().map_err(|e| ApiError::BadRequest(e.to_string()))?;
                let s = artifact.curve.suggest(&strategy).map_err(|e| ApiError::BadRequest(e.to_string()))?;
                Ok(ThresholdResult::from(&s))
            }
        }
    }
}

/// A threshold with its expected figures on the held-out leads.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct ThresholdResult {
    /// Strategy name.
    pub strategy: String,
    /// Probability cut-off: MQL when probability >= value.
    pub value: f64,
    /// Expected share of leads that become MQLs.
    pub mql_rate: f64,
    /// Expected won rate among MQLs.
    pub precision: f64,
    /// Expected share of all wins among MQLs.
    pub recall: f64,
    /// Precision over the base rate.
    pub lift: f64,
    /// Plain-English summary.
    pub explanation: String,
}

impl From<&Suggestion> for ThresholdResult {
    fn from(s: &Suggestion) -> Self {
        ThresholdResult {
            strategy: s.strategy.clone(),
            value: s.threshold,
            mql_rate: s.mql_rate,
            precision: s.precision,
            recall: s.recall,
            lift: s.lift,
            explanation: s.explanation.clone(),
        }
    }
}

impl ThresholdResult {
    fn from_point(strategy: &str, p: &OperatingPoint, explanation: String) -> Self {
        ThresholdResult {
            strategy: strategy.to_owned(),
            value: p.threshold,
            mql_rate: p.mql_rate,
            precision: p.precision,
            recall: p.recall,
            lift: p.lift,
            explanation,
        }
    }
}

/// Which model answered.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct ModelRef {
    /// Model name.
    pub name: String,
    /// Version folder.
    pub version: String,
}

/// `POST /v1/score` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// The model that scored.
    pub model: ModelRef,
    /// The MQL threshold applied.
    pub threshold: ThresholdResult,
    /// One score per lead, in request order.
    pub scores: Vec<LeadScore>,
}

/// One scored lead.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeadScore {
    /// The lead's `id` (string or number), when it had one.
    #[schema(schema_with = lead_id_schema)]
    pub id: Option<Value>,
    /// Probability of becoming a customer.
    #[schema(minimum = 0.0, maximum = 1.0)]
    pub probability: f64,
    /// The probability as a 1-99 score.
    #[schema(minimum = 1, maximum = 99)]
    pub score: u8,
    /// Tier (A best).
    pub tier: String,
    /// Whether the lead is an MQL at the threshold.
    pub mql: bool,
    /// Largest contributions to the log-odds, against the average training lead.
    pub factors: Vec<Factor>,
    /// Missing fields (imputed), unseen categories, fields the model does not use.
    pub warnings: Vec<String>,
    /// The lead's points under marketing's rules, when the server was started with `--rules`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_points: Option<RulePoints>,
}

/// A lead's points under the server's rules (`leadscore serve --rules`), computed by the
/// same rules engine as `leadscore compare`.
#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct RulePoints {
    /// Total points (groups and ungrouped rules).
    pub total: f64,
    /// Whether the total reaches the rules' MQL threshold.
    pub mql: bool,
    /// The rules' MQL threshold in points.
    pub threshold: f64,
    /// Each group's subtotal after its caps and decay, by group name.
    pub groups: BTreeMap<String, f64>,
    /// Points of the rules outside any group.
    pub ungrouped: f64,
    /// The rules that fired, in file order, with the points each gave after its caps and decay.
    pub fired: Vec<FiredRule>,
}

/// A rule that fired for a lead.
#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct FiredRule {
    /// The rule's name.
    pub name: String,
    /// Its group, if any.
    pub group: Option<String>,
    /// Points it gave.
    pub points: f64,
}

impl RulePoints {
    /// The wire form of a lead's rule score.
    pub fn of(set: &RuleSet, score: &RuleScore) -> Self {
        RulePoints {
            total: score.total,
            mql: score.mql,
            threshold: set.mql_threshold,
            groups: set.groups.iter().zip(&score.groups).map(|(g, points)| (g.name.clone(), *points)).collect(),
            ungrouped: score.ungrouped,
            fired: score
                .fired
                .iter()
                .filter_map(|f| {
                    let rule = set.rules.get(f.rule)?;
                    let group = rule.group.and_then(|g| set.groups.get(g)).map(|g| g.name.clone());
                    Some(FiredRule { name: rule.name.clone(), group, points: f.points })
                })
                .collect(),
        }
    }
}

/// `POST /v1/compare` body: labelled leads to hold the model against the server's rules.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "leads": [
        {"id": "L1", "job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "outcome": "won"},
        {"id": "L2", "job_level": "Student", "lead_source": "Cold Call", "pricing_page_visits": 0, "outcome": "lost"}
    ],
    "top": 10
}))]
pub struct CompareRequest {
    /// Closed leads: the fields the model and the rules read, and the outcome under the
    /// spec's target column name (e.g. `"outcome": "won"`; a string or a number).
    #[schema(value_type = Vec<Object>, min_items = 1)]
    pub leads: Vec<serde_json::Map<String, Value>>,
    /// The model's MQL threshold (default: its first suggestion, max_f1, as `leadscore compare`).
    #[serde(default)]
    pub threshold: Option<ThresholdRequest>,
    /// Disagreements listed each way (0 to 100; default 10).
    #[serde(default)]
    #[schema(maximum = 100)]
    pub top: Option<usize>,
    /// Points that double the odds in the model's points version (default 100).
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    pub points_scale: Option<f64>,
}

/// `POST /v1/compare` response: the comparison document `leadscore compare` writes as
/// `compare.json` (the core's `Comparison`, on purpose the same bytes for the same leads; a
/// test pins its top-level fields so a change cannot go unnoticed).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct CompareResponse(pub Comparison);

impl utoipa::PartialSchema for CompareResponse {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(comparison_schema()))
    }
}

impl ToSchema for CompareResponse {}

/// The top-level shape of `compare.json`.
fn comparison_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let object = |d: &str| ObjectBuilder::new().schema_type(Type::Object).description(Some(d)).build();
    let array = |d: &str| ArrayBuilder::new().items(ObjectBuilder::new()).description(Some(d)).build();
    let number = |d: &str| ObjectBuilder::new().schema_type(Type::Number).description(Some(d)).build();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("The comparison, as `leadscore compare` writes it to compare.json."))
        .property("labels", object("What was compared: model, threshold name, rules, data."))
        .property("n_leads", number("Leads compared."))
        .property("n_won", number("Won leads among them."))
        .property("won_rate", number("Overall won rate."))
        .property("scorers", array("Ranking quality of the model, the rules and the points version."))
        .property(
            "points_version_auc_cost",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
                .description(Some("Model AUC minus the points version's.")),
        )
        .property("own_threshold", array("Each scorer at its own MQL threshold."))
        .property("equal_volume", array("Each scorer's top leads at the other's MQL volume."))
        .property("agreement", object("The 2x2 agreement table with each cell's won rate."))
        .property("matching", array("The threshold of each scorer matching the other's volume."))
        .property("rules", array("Each rule's firing and won rates."))
        .property("disagreements", object("The leads the scorers disagree on most, both ways."))
        .property("plots", object("Curves and distributions for drawing."))
        .property("notes", ArrayBuilder::new().items(ObjectBuilder::new().schema_type(Type::String)).build())
        .required("labels")
        .required("n_leads")
        .required("scorers")
        .required("agreement")
        .build()
}

/// A lead id is echoed as sent: a string, a number or null.
fn lead_id_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Number, Type::Null]))
        .description(Some("The lead's `id` (string or number), when it had one."))
        .build()
}

/// One feature's share of a lead's log-odds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Factor {
    /// The feature.
    pub feature: String,
    /// The lead's value as read.
    pub value: String,
    /// Additive log-odds contribution.
    pub contribution: f64,
}

/// A lead read strictly against the model's features.
pub struct ReadLead<'a> {
    /// The `id`, if any.
    pub id: Option<Value>,
    /// Values by [`Fields`] slot (`Missing` where the lead has none).
    pub values: Vec<RawValue<'a>>,
    /// Fields the model does not use.
    pub unused: Vec<String>,
}

impl<'a> ReadLead<'a> {
    /// The value of the model's `i`-th feature.
    pub fn feature(&self, fields: &Fields, i: usize) -> RawValue<'a> {
        fields.features.get(i).and_then(|&slot| self.values.get(slot)).copied().unwrap_or(RawValue::Missing)
    }

    /// The value of a field by name (`Missing` when absent or not read).
    pub fn value(&self, fields: &Fields, name: &str) -> RawValue<'a> {
        fields.index.get(name).and_then(|&(slot, _)| self.values.get(slot)).copied().unwrap_or(RawValue::Missing)
    }
}

/// The fields a request may carry for one model version (its features and the
/// rules' fields) with their kinds, each at a slot of [`ReadLead::values`]: a lead is
/// read with one hash lookup per field it carries, and scored without any.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// Name → (slot, kind).
    index: HashMap<String, (usize, Kind)>,
    /// The slot of each of the model's features, in the model's order.
    features: Vec<usize>,
    /// How each date field writes its dates (the model's spec decides).
    formats: HashMap<String, DateFormat>,
}

impl Fields {
    /// The model's features, then `extra` fields it does not have (the rules').
    pub fn new(artifact: &Artifact, extra: impl IntoIterator<Item = (String, Kind)>) -> Fields {
        let mut fields = Fields::default();
        for feature in &artifact.encoder.features {
            let slot = fields.slot(&feature.name, feature.transform.kind());
            fields.features.push(slot);
        }
        for (name, kind) in extra {
            fields.slot(&name, kind);
        }
        for (name, (_, kind)) in &fields.index {
            if *kind == Kind::Date {
                fields.formats.insert(name.clone(), artifact.spec.date_format(name));
            }
        }
        fields
    }

    fn slot(&mut self, name: &str, kind: Kind) -> usize {
        let next = self.index.len();
        self.index.entry(name.to_owned()).or_insert((next, kind)).0
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The slot and kind of a field.
    pub fn get(&self, name: &str) -> Option<(usize, Kind)> {
        self.index.get(name).copied()
    }

    /// How a date field writes its dates.
    pub fn date_format(&self, name: &str) -> DateFormat {
        self.formats.get(name).copied().unwrap_or_default()
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads one lead; type errors are collected into `errors` (with the lead index), never echoing values.
pub fn read_lead<'a>(
    index: usize,
    lead: &'a serde_json::Map<String, Value>,
    fields: &Fields,
    errors: &mut Vec<FieldError>,
) -> ReadLead<'a> {
    let mut out = ReadLead { id: None, values: vec![RawValue::Missing; fields.len()], unused: Vec::new() };
    for (field, value) in lead {
        if field == "id" {
            match value {
                Value::String(_) | Value::Number(_) | Value::Null => out.id = Some(value.clone()),
                other => errors.push(FieldError {
                    lead: index,
                    field: field.clone(),
                    reason: format!("expected a string or number id, got {}", type_name(other)),
                }),
            }
            continue;
        }
        let Some((slot, kind)) = fields.get(field.as_str()) else {
            out.unused.push(field.clone());
            continue;
        };
        let mut fail = |reason: String| errors.push(FieldError { lead: index, field: field.clone(), reason });
        let raw = match (kind, value) {
            (_, Value::Null) => RawValue::Missing,
            (Kind::Numeric, Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => RawValue::Number(x),
                _ => {
                    fail("expected a finite number".into());
                    continue;
                }
            },
            (Kind::Numeric, other) => {
                fail(format!("expected a number, got {}", type_name(other)));
                continue;
            }
            (Kind::Categorical, Value::String(s)) => RawValue::Text(s),
            (Kind::Categorical, Value::Number(n)) => match n.as_f64() {
                Some(x) if x.is_finite() => RawValue::Number(x),
                _ => {
                    fail("expected a category (string)".into());
                    continue;
                }
            },
            (Kind::Categorical, Value::Bool(b)) => RawValue::Bool(*b),
            (Kind::Categorical, other) => {
                fail(format!("expected a category (string), got {}", type_name(other)));
                continue;
            }
            (Kind::Boolean, Value::Bool(b)) => RawValue::Bool(*b),
            (Kind::Boolean, Value::Number(n)) if n.as_f64() == Some(0.0) || n.as_f64() == Some(1.0) => {
                RawValue::Bool(n.as_f64() == Some(1.0))
            }
            (Kind::Boolean, Value::String(s)) if parse_bool(s).is_some() || s.trim().is_empty() => RawValue::Text(s),
            (Kind::Boolean, Value::String(_)) => {
                fail("expected yes/no, true/false or 1/0".into());
                continue;
            }
            (Kind::Boolean, other) => {
                fail(format!("expected true/false, got {}", type_name(other)));
                continue;
            }
            (Kind::Date, Value::String(s)) if fields.date_format(field).parse(s).is_some() || s.trim().is_empty() => {
                RawValue::Text(s)
            }
            (Kind::Date, Value::String(_)) => {
                fail(format!("expected a date written {} (a time may follow)", fields.date_format(field)));
                continue;
            }
            (Kind::Date, other) => {
                fail(format!("expected a date string, got {}", type_name(other)));
                continue;
            }
        };
        if let Some(v) = out.values.get_mut(slot) {
            *v = raw;
        }
    }
    out
}

/// `GET /v1/models` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelList {
    /// The model served when a request names none.
    pub default: Option<String>,
    /// Every model.
    pub models: Vec<ModelSummary>,
    /// Model files refused at the last reload (corrupt, truncated, foreign, failed probe).
    pub refused: Vec<RefusedFile>,
}

/// One model name in the registry.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelSummary {
    /// Model name.
    pub name: String,
    /// The version `CURRENT` serves.
    pub current: Option<String>,
    /// Loaded versions.
    pub versions: Vec<VersionSummary>,
}

/// One loaded version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionSummary {
    /// Version folder.
    pub version: String,
    /// Short checksum of the file.
    pub checksum: String,
    /// Held-out AUC.
    pub holdout_auc: Option<f64>,
    /// Leads trained on.
    pub n_train: u64,
}

/// A refused model file.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefusedFile {
    /// Model name.
    pub name: String,
    /// Version folder.
    pub version: String,
    /// Why it was refused.
    pub reason: String,
}

impl From<&ReloadFailure> for RefusedFile {
    fn from(f: &ReloadFailure) -> Self {
        RefusedFile { name: f.name.clone(), version: f.version.clone(), reason: f.reason.clone() }
    }
}

impl ModelList {
    /// The list for a snapshot.
    pub fn of(set: &ModelSet) -> Self {
        ModelList {
            default: set.default.clone(),
            models: set
                .models
                .iter()
                .map(|(name, m)| ModelSummary {
                    name: name.clone(),
                    current: m.current.clone(),
                    versions: m
                        .versions
                        .values()
                        .map(|v| VersionSummary {
                            version: v.version.clone(),
                            checksum: v.checksum.clone(),
                            holdout_auc: v.artifact.holdout.auc,
                            n_train: v.artifact.training.n_train,
                        })
                        .collect(),
                })
                .collect(),
            refused: set.failures.iter().map(RefusedFile::from).collect(),
        }
    }
}

/// `GET /v1/models/{name}`: the model card.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelCard {
    /// Model name and version.
    pub model: ModelRef,
    /// Short checksum.
    pub checksum: String,
    /// Target column and the values that mean won.
    pub target: Target,
    /// Training data summary.
    pub training: TrainingDto,
    /// Held-out metrics.
    pub holdout: MetricsDto,
    /// Cross-validated metrics.
    pub cv: Option<MetricsDto>,
    /// Chosen L2 penalty.
    pub l2: f64,
    /// Intercept of the log-odds.
    pub intercept: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Every model column with its coefficient and odds ratio, largest first.
    pub coefficients: Vec<Coefficient>,
    /// The features the model reads, with their kinds.
    pub features: Vec<FeatureDto>,
    /// Suggested thresholds.
    pub thresholds: Vec<ThresholdResult>,
    /// Tiers.
    pub tiers: Vec<TierDto>,
    /// Training warnings.
    pub warnings: Vec<String>,
}

/// What the model predicts.
#[derive(Debug, Serialize, ToSchema)]
pub struct Target {
    /// Outcome column.
    pub column: String,
    /// Values meaning won.
    pub positive: Vec<String>,
}

/// Training data summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrainingDto {
    /// Labelled leads.
    pub n_rows: u64,
    /// Won leads.
    pub n_positives: u64,
    /// Leads fitted on.
    pub n_train: u64,
    /// Leads held out.
    pub n_holdout: u64,
    /// Oldest and newest date, when known.
    pub date_range: Option<(String, String)>,
    /// SHA-256 of the data.
    pub data_hash: String,
    /// leadscore version that trained it.
    pub leadscore_version: String,
}

/// Ranking and calibration figures.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsDto {
    /// AUC.
    pub auc: Option<f64>,
    /// 95% bootstrap interval of the AUC (held-out only).
    pub auc_interval: Option<(f64, f64)>,
    /// Log loss.
    pub log_loss: f64,
    /// Brier score.
    pub brier: f64,
    /// Lift of the top 10% (held-out only).
    pub lift_top_decile: Option<f64>,
}

/// One model column.
#[derive(Debug, Serialize, ToSchema)]
pub struct Coefficient {
    /// Column name.
    pub column: String,
    /// Source feature.
    pub feature: String,
    /// Log-odds weight.
    pub coefficient: f64,
    /// exp(coefficient).
    pub odds_ratio: f64,
}

/// A feature the model reads.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureDto {
    /// Field name.
    pub name: String,
    /// numeric, categorical, boolean or date.
    pub kind: String,
    /// Known levels (categoricals).
    pub levels: Vec<String>,
}

/// A tier.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierDto {
    /// Name (A best).
    pub name: String,
    /// Lowest probability in the tier.
    pub min_probability: f64,
    /// Share of held-out leads.
    pub share: f64,
}

impl ModelCard {
    /// The card of a loaded model.
    pub fn of(model: &LoadedModel) -> Self {
        let a = &model.artifact;
        let mut coefficients = Vec::new();
        let mut features = Vec::new();
        for f in &a.encoder.features {
            for (i, column) in f.column_names().into_iter().enumerate() {
                let w = a.model.weights.get(f.offset + i).copied().unwrap_or(0.0);
                coefficients.push(Coefficient { column, feature: f.name.clone(), coefficient: w, odds_ratio: w.exp() });
            }
            let levels = match &f.transform {
                Transform::Categorical(c) => c.levels.clone(),
                _ => Vec::new(),
            };
            features.push(FeatureDto { name: f.name.clone(), kind: f.transform.kind().as_str().to_owned(), levels });
        }
        coefficients.sort_by(|x, y| y.coefficient.abs().total_cmp(&x.coefficient.abs()));
        let h = &a.holdout;
        ModelCard {
            model: ModelRef { name: model.name.clone(), version: model.version.clone() },
            checksum: model.checksum.clone(),
            target: Target { column: a.spec.target.column.clone(), positive: a.spec.target.positive.clone() },
            training: TrainingDto {
                n_rows: a.training.n_rows,
                n_positives: a.training.n_positives,
                n_train: a.training.n_train,
                n_holdout: a.training.n_holdout,
                date_range: a.training.date_range.clone(),
                data_hash: a.training.data_hash.clone(),
                leadscore_version: a.training.leadscore_version.clone(),
            },
            holdout: MetricsDto {
                auc: h.auc,
                auc_interval: h.auc_ci.map(|c| (c.low, c.high)),
                log_loss: h.log_loss,
                brier: h.brier,
                lift_top_decile: h.lift_top_decile,
            },
            cv: a.cv.as_ref().map(|c| MetricsDto {
                auc: c.auc,
                auc_interval: None,
                log_loss: c.log_loss,
                brier: c.brier,
                lift_top_decile: None,
            }),
            l2: a.regularisation.l2,
            intercept: a.model.intercept,
            baseline_log_odds: a.baseline_log_odds(),
            coefficients,
            features,
            thresholds: a.thresholds.iter().map(ThresholdResult::from).collect(),
            tiers: a
                .tiers
                .tiers
                .iter()
                .map(|t| TierDto { name: t.name.clone(), min_probability: t.min_probability, share: t.share })
                .collect(),
            warnings: a.warnings.iter().map(|w| w.message.clone()).collect(),
        }
    }
}

/// `GET /v1/thresholds` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ThresholdsResponse {
    /// The model.
    pub model: ModelRef,
    /// The suggestions stored with the model, or the one strategy asked for.
    pub thresholds: Vec<ThresholdResult>,
}

/// `GET /readyz` and `GET /healthz` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    /// The default model, when ready.
    pub model: Option<ModelRef>,
}

/// `POST /v1/admin/reload` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadResponse {
    /// Versions newly loaded.
    pub loaded: Vec<String>,
    /// Files refused.
    pub refused: Vec<RefusedFile>,
    /// Whether what is served changed.
    pub changed: bool,
    /// The default model after the reload.
    pub model: Option<ModelRef>,
}
