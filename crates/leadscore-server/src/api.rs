//! The HTTP contract: request and response types, the only JSON shapes the
//! server defines (reading a lead out of them is `lead`'s job).
//!
//! Core types go on the wire only where the API promises the document a
//! command writes (`compare.json`, `card.json`), behind a transparent wrapper
//! with its schema; everything else is copied into these DTOs so a change in
//! the core cannot silently change the API.

use std::collections::BTreeMap;

use leadscore_core::card::{card, Card};
use leadscore_core::compare::Comparison;
use leadscore_core::curve::{Strategy, Suggestion};
use leadscore_core::rules::{RuleScore, RuleSet};
use leadscore_core::Artifact;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;
use utoipa::ToSchema;

use crate::error::ApiError;
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
pub struct ScoreRequest<'a> {
    /// The leads: objects mapping a field name to a value. An optional `id` (string or number) is echoed back.
    /// Each value is read as the CSV path reads a cell: numeric fields take a JSON number or a string
    /// such as `"15"`, `" 15 "`, `"1e3"`; yes/no fields true/false, 1/0 or a string (`"yes"`, `"no"`,
    /// `"true"`, `"0"`); dates a string (YYYY-MM-DD or RFC 3339); categories a string; null, `""` and the
    /// spec's missing tokens (e.g. `"NA"`) mean missing. A number far outside the training range (one
    /// range width beyond either end) is scored with a warning naming the field and the range.
    /// `?strict=true` insists on JSON types and refuses such numbers and unused fields (422).
    ///
    /// Read as the body is parsed (`lead::parse_leads`): past `--max-leads` the leads are
    /// only counted (413), and fields the model does not read are not kept; each such name
    /// is said once in the answer's `warnings`.
    #[schema(value_type = Vec<Object>, min_items = 1)]
    #[serde(borrow)]
    pub leads: &'a RawValue,
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

    /// Resolves to a suggestion on the model's held-out curve (a fixed value through the
    /// core's one check of a probability).
    pub fn resolve(&self, artifact: &Artifact) -> Result<ThresholdResult, ApiError> {
        let suggestion = match (self.strategy(), self) {
            (None, ThresholdRequest::Fixed { value }) => leadscore_core::threshold::fixed(artifact, *value)
                .map_err(|e| ApiError::BadRequest(format!("threshold.value: {e}")))?,
            (None, _) => return Err(ApiError::Internal("a strategy without a name".into())),
            (Some(strategy), _) => {
                strategy.validate().map_err(|e| ApiError::BadRequest(e.to_string()))?;
                artifact.curve.suggest(&strategy).map_err(|e| ApiError::BadRequest(e.to_string()))?
            }
        };
        Ok(ThresholdResult::from(&suggestion))
    }

    /// The threshold of `request`, or the model's default (the core decides it).
    pub fn or_default(request: Option<&ThresholdRequest>, artifact: &Artifact) -> Result<ThresholdResult, ApiError> {
        match request {
            Some(t) => t.resolve(artifact),
            None => Ok(ThresholdResult::from(&leadscore_core::threshold::default(artifact))),
        }
    }
}

impl ThresholdRequest {
    /// Reads a threshold request from query parameters (`GET /v1/thresholds`).
    pub fn from_query(query: &BTreeMap<String, String>) -> Result<Option<ThresholdRequest>, ApiError> {
        // Every numeric parameter given must be a finite number, whether or not the strategy reads it.
        const NUMERIC: [&str; 8] = [
            "value",
            "mql_rate",
            "leads_per_week",
            "weekly_volume",
            "leads_per_period",
            "volume_per_period",
            "target",
            "cost",
        ];
        for key in NUMERIC {
            if query.get(key).is_some_and(|raw| !raw.parse::<f64>().is_ok_and(f64::is_finite)) {
                return Err(ApiError::BadQuery(format!("`{key}` must be a finite number")));
            }
        }
        let Some(strategy) = query.get("strategy") else { return Ok(None) };
        let num = |key: &str| -> Result<f64, ApiError> {
            let raw =
                query.get(key).ok_or_else(|| ApiError::BadQuery(format!("strategy `{strategy}` needs `{key}`")))?;
            raw.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .ok_or_else(|| ApiError::BadQuery(format!("`{key}` must be a number")))
        };
        Ok(Some(match strategy.as_str() {
            "fixed" => ThresholdRequest::Fixed { value: num("value")? },
            "max_f1" => ThresholdRequest::MaxF1,
            "youden" => ThresholdRequest::Youden,
            "capacity" if query.contains_key("leads_per_week") || query.contains_key("leads_per_period") => {
                let leads =
                    num(if query.contains_key("leads_per_week") { "leads_per_week" } else { "leads_per_period" })?;
                let volume =
                    num(if query.contains_key("weekly_volume") { "weekly_volume" } else { "volume_per_period" })?;
                ThresholdRequest::CapacityPerPeriod { leads_per_period: leads, volume_per_period: volume }
            }
            "capacity" => ThresholdRequest::Capacity { mql_rate: num("mql_rate")? },
            "precision" => ThresholdRequest::Precision { target: num("target")? },
            "recall" => ThresholdRequest::Recall { target: num("target")? },
            "expected_value" => ThresholdRequest::ExpectedValue { cost: num("cost")?, value: num("value")? },
            other => {
                return Err(ApiError::BadQuery(format!(
                "unknown strategy `{other}`; use fixed, max_f1, youden, capacity, precision, recall or expected_value"
            )))
            }
        }))
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

/// Which model answered.
#[derive(Clone, Debug, Serialize, ToSchema, PartialEq)]
pub struct ModelRef {
    /// Model name.
    pub name: String,
    /// Version folder.
    pub version: String,
}

/// A part of an answer that every request to a model shares: made for the request, or the text
/// of it made once when the model loaded ([`Shared::of`]) and copied into each answer. A
/// single-lead answer's model and default threshold are a third of its bytes (the threshold's
/// explanation alone 230), and escaping them again for every request cost about 3,000 of its
/// instructions.
#[derive(Clone, Debug)]
pub enum Shared<T> {
    /// Made for this request (a threshold the request asked for).
    Value(T),
    /// The JSON of the model's own value.
    Json(Box<RawValue>),
}

impl<T: Serialize> Shared<T> {
    /// `value` written once as JSON, to be shared by every answer.
    pub fn of(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::value::to_raw_value(value).map(Shared::Json)
    }
}

impl<T: Serialize> Serialize for Shared<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Shared::Value(value) => value.serialize(serializer),
            Shared::Json(json) => json.serialize(serializer),
        }
    }
}

/// `POST /v1/score` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// The model that scored.
    #[schema(value_type = ModelRef)]
    pub model: Shared<ModelRef>,
    /// The MQL threshold applied.
    #[schema(value_type = ThresholdResult)]
    pub threshold: Shared<ThresholdResult>,
    /// One score per lead, in request order.
    pub scores: Vec<LeadScore>,
    /// About the request as a whole, each said once: fields no lead's model reads (a renamed
    /// column?), with how many leads carried each.
    pub warnings: Vec<String>,
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
    /// Missing fields (imputed), unseen categories, numbers far outside the training range
    /// (fields the model does not use are in the response's `warnings`, once per request).
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
pub struct CompareRequest<'a> {
    /// Closed leads: the fields the model and the rules read, and the outcome under the
    /// spec's target column name (e.g. `"outcome": "won"`; a string or a number).
    /// Read as the body is parsed, as `/v1/score`'s: past `--max-leads` only counted (413), and
    /// only the fields the model and the rules read (and the outcome) kept.
    #[schema(value_type = Vec<Object>, min_items = 1)]
    #[serde(borrow)]
    pub leads: &'a RawValue,
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

/// One feature's (or pair term's) share of a lead's log-odds.
#[derive(Debug, Serialize, ToSchema)]
pub struct Factor {
    /// The feature, or a pair term (`month × day_of_month`).
    pub feature: String,
    /// The lead's value as read; a pair term's two values as `may, 15`.
    pub value: String,
    /// Additive log-odds contribution.
    pub contribution: f64,
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
    /// What in the registry cannot be read (a folder, `CURRENT`, a serving file gone):
    /// the server keeps serving what it loaded, and says so here until it is fixed.
    pub problems: Vec<ProblemDto>,
}

/// Something in the registry the server cannot read and works around.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDto {
    /// The model concerned (null: the registry folder itself).
    pub model: Option<String>,
    /// What is wrong, naming the path and the reason.
    pub problem: String,
    /// The version still served despite it (loaded earlier, from memory).
    pub serving: Option<String>,
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
            problems: set
                .problems
                .iter()
                .map(|p| ProblemDto { model: p.model.clone(), problem: p.problem.clone(), serving: p.serving.clone() })
                .collect(),
        }
    }
}

/// `GET /v1/models/{name}`: the model card, the document `train` writes as `card.json`
/// (the core's `card`, one builder for both).
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct ModelCard<'a>(pub Card<'a>);

impl ModelCard<'_> {
    /// The card of a loaded model, under the name and version it is served as.
    pub fn of(model: &LoadedModel) -> ModelCard<'_> {
        ModelCard(card(&model.artifact, &model.name, &model.version, model.checksum.clone()))
    }
}

impl utoipa::PartialSchema for ModelCard<'_> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::Object(card_schema()))
    }
}

impl ToSchema for ModelCard<'_> {}

/// The top-level shape of `card.json`.
fn card_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, SchemaType, Type};
    let typed = |t: Type, d: &str| ObjectBuilder::new().schema_type(t).description(Some(d)).build();
    let nullable = |t: Type, d: &str| {
        ObjectBuilder::new().schema_type(SchemaType::from_iter([t, Type::Null])).description(Some(d)).build()
    };
    let array = |d: &str| ArrayBuilder::new().items(ObjectBuilder::new()).description(Some(d)).build();
    let mut card = ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("The model card, as `leadscore train` writes it to card.json."))
        .property("name", typed(Type::String, "Model name (registry folder)."))
        .property("version", typed(Type::String, "Version folder."))
        .property("checksum", typed(Type::String, "Short checksum of the model file."))
        .property("target", typed(Type::String, "The outcome column and the values meaning won."))
        .property("training", typed(Type::Object, "Training data and provenance."))
        .property("fitted_on", typed(Type::Object, "Which leads the published model was fitted on: `part` (`all`: refit on every labelled lead with the settings the training part chose; `training`: the training part only), `leads`, and `figures`, which model the held-out figures describe."))
        .property("cv", nullable(Type::Object, "Cross-validated figures at the chosen penalty."))
        .property("holdout", typed(Type::Object, "Held-out figures with intervals and calibration."))
        .property("l2", typed(Type::Number, "Chosen L2 penalty."))
        .property("sklearn_c", typed(Type::Number, "scikit-learn's C for the same model."))
        .property("grid", array("The penalty search."))
        .property("intercept", typed(Type::Number, "Intercept of the log-odds."))
        .property("baseline_log_odds", typed(Type::Number, "Log-odds of the average training lead."))
        .property("coefficients", array("Every model column with its coefficient and odds ratio and, for models since format 3, its training leads (`leads`), standard error and 95% interval of the odds (`odds_interval`), and whether that interval excludes no effect (`clear`); strongest first by the smallest effect the interval allows."))
        .property("features", array("The features a lead may carry: name, kind, levels."))
        .property(
            "pairs",
            array("Pair terms: two features, their cells (rows, columns), each cell's weight and training leads."),
        )
        .property(
            "pair_search",
            typed(Type::Object, "What the pair search ranked, tried and kept (absent when it did not run)."),
        )
        .property(
            "shape_search",
            typed(
                Type::Object,
                "Each searched number's shapes with their out-of-fold log loss, the one chosen and why (absent when no search ran).",
            ),
        )
        .property("thresholds", array("Suggested MQL thresholds with their held-out figures."))
        .property("tiers", typed(Type::Object, "Tier cut points."))
        .property("warnings", array("Warnings from training."))
        .property("distributions", array("Training distributions of each feature."))
        .property("spec", typed(Type::String, "The spec, as TOML."));
    for field in
        ["name", "version", "checksum", "target", "training", "holdout", "coefficients", "features", "thresholds"]
    {
        card = card.required(field);
    }
    card.build()
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
    /// The prediction log, when the server logs (`readyz` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreHealth>,
}

/// The prediction log's state in `readyz`: a degraded store does not make the server unready
/// (scoring goes on; the rows it cannot write are counted).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreHealth {
    /// `ok`, or `degraded` when the last batch could not be written.
    pub status: String,
    /// Where the log is (no password).
    pub location: String,
    /// Rows written so far.
    pub written: u64,
    /// Rows lost so far (queue full, store errors).
    pub dropped: u64,
    /// The store's last error while degraded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// `POST /v1/admin/reload` response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReloadResponse {
    /// Versions newly loaded.
    pub loaded: Vec<String>,
    /// Every file refused now (a file refused before with the same content is not counted again).
    pub refused: Vec<RefusedFile>,
    /// Whether what is served changed.
    pub changed: bool,
    /// The default model after the reload.
    pub model: Option<ModelRef>,
}

/// `POST /v1/admin/models/{name}/promote` body: what `leadscore promote` takes as flags.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": "v2", "force": false}))]
pub struct PromoteRequest {
    /// The version to make current, e.g. `v2`.
    pub version: String,
    /// Promote even if the gate refused it, or never compared it with the current version.
    #[serde(default)]
    pub force: bool,
}

/// What a promotion or rollback did, once the server serves its result.
#[derive(Debug, Serialize, ToSchema)]
pub struct AliasChangeResponse {
    /// The model.
    pub model: String,
    /// The version current before (`None`: the model had none).
    pub previous: Option<String>,
    /// The version `CURRENT` names now.
    pub current: String,
    /// The version this server serves for the model now, after reloading at once: the same as
    /// `current` unless its file could not be loaded (then `/v1/models` says why).
    pub served: Option<String>,
    /// Whether `CURRENT` moved (false: the version was already current).
    pub changed: bool,
    /// The history entry's command, e.g. `http promote --force` (none when nothing changed).
    pub command: Option<String>,
    /// When the change was recorded (UTC, RFC 3339).
    pub at: Option<String>,
    /// The gate's figures, when it judged the promoted version against the one it replaced.
    pub gate: Option<GateFigures>,
}

/// One figure of both models on the same leads.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PairedFigure {
    /// The version current when the gate ran.
    pub current: Option<f64>,
    /// The candidate.
    pub candidate: Option<f64>,
    /// `candidate - current`.
    pub difference: Option<f64>,
    /// Lower end of the paired 95% interval of the difference.
    pub interval_low: Option<f64>,
    /// Upper end.
    pub interval_high: Option<f64>,
}

impl From<&leadscore_core::monitor::figures::Paired> for PairedFigure {
    fn from(p: &leadscore_core::monitor::figures::Paired) -> Self {
        PairedFigure {
            current: p.a,
            candidate: p.b,
            difference: p.difference,
            interval_low: p.interval.map(|i| i.low),
            interval_high: p.interval.map(|i| i.high),
        }
    }
}

/// One check of the gate.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GateCheck {
    /// `evidence`, `auc` or `log_loss`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// The check in words, with its figures.
    pub reason: String,
}

/// The promotion gate's comparison of a candidate with the version it would replace, as stored
/// in the candidate's `card.json` (`promotion.gate`), copied into the API's own shape.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GateFigures {
    /// The candidate.
    pub candidate: String,
    /// The version it was compared with.
    pub against: String,
    /// Whether the gate passed it.
    pub passed: bool,
    /// The gate's sentence, with the figures.
    pub sentence: String,
    /// Every check, in order.
    pub checks: Vec<GateCheck>,
    /// Which leads were compared, in words.
    pub leads: String,
    /// Leads compared.
    pub n_leads: u64,
    /// Won leads among them.
    pub n_won: u64,
    /// AUC of both, and the paired interval of the difference.
    pub auc: PairedFigure,
    /// Log loss of both.
    pub log_loss: PairedFigure,
    /// Brier score of both.
    pub brier: PairedFigure,
    /// Lift in the top 10% of both.
    pub lift_top_decile: PairedFigure,
}

impl From<&leadscore_core::promotion::GateRecord> for GateFigures {
    fn from(r: &leadscore_core::promotion::GateRecord) -> Self {
        let c = &r.comparison;
        GateFigures {
            candidate: r.candidate.clone(),
            against: r.against.clone(),
            passed: r.verdict.passed,
            sentence: r.verdict.sentence.clone(),
            checks: r
                .verdict
                .checks
                .iter()
                .map(|k| GateCheck { name: k.name.clone(), passed: k.passed, reason: k.reason.clone() })
                .collect(),
            leads: r.evidence.leads.clone(),
            n_leads: c.n_leads,
            n_won: c.n_won,
            auc: (&c.auc).into(),
            log_loss: (&c.log_loss).into(),
            brier: (&c.brier).into(),
            lift_top_decile: (&c.lift_top_decile).into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a model's answers share is written once, and an answer reads the same either way:
    /// the same bytes as the value serialised for the request, in the middle of a document.
    #[test]
    fn a_shared_part_writes_what_its_value_writes() {
        let threshold = ThresholdResult {
            strategy: "max_f1".into(),
            value: 0.266335,
            mql_rate: 0.13825,
            precision: 0.44665461121157324,
            recall: 0.5277777777777778,
            lift: 3.817560779586096,
            explanation: "Best balance \"between\" customers\ncaught: 45% (3.8x) — ünïcode".into(),
        };
        let model = ModelRef { name: "leads".into(), version: "v1".into() };
        let made = serde_json::to_string(&(Shared::Value(model.clone()), Shared::Value(threshold.clone()), 7)).unwrap();
        let shared = serde_json::to_string(&(Shared::of(&model).unwrap(), Shared::of(&threshold).unwrap(), 7)).unwrap();
        assert_eq!(made, shared);
        assert_eq!(made, serde_json::to_string(&(model, threshold, 7)).unwrap());
        assert!(shared.contains(r#""explanation":"Best balance \"between\" customers\ncaught"#), "{shared}");
    }
}
