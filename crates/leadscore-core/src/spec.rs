//! The training spec: what the model predicts and how each column is read.
//!
//! A spec is written by a person (or drafted by `leadscore spec infer` for a
//! person to review) as TOML, and is stored inside every artifact, so a model
//! always carries the exact reading rules it was trained with.
//!
//! ```toml
//! missing = ["", "NA", "Select"]
//! ids = ["lead_id"]
//! time_column = "created_at"      # the newest 20% of leads become the held-out set
//!
//! [target]
//! column = "outcome"
//! positive = ["won"]
//! negative = ["lost"]             # optional: any other value is then an error
//!
//! [exclude]
//! notes = "free text filled in by sales after contact"
//!
//! [features.page_views]
//! kind = "numeric"
//! log1p = true
//! bins = 5
//!
//! [features.lead_source]
//! kind = "categorical"
//! min_count = 20
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::date::DateFormat;
use crate::value::{normalize_category, MissingTokens, DEFAULT_MISSING};
use crate::{Error, Result};

/// Default for `min_count`: levels rarer than this fold into `(other)`.
pub const DEFAULT_MIN_COUNT: u32 = 10;
/// The most quantile bins a numeric feature may ask for.
pub const MAX_BINS: u32 = 50;

/// A complete training spec. Field order is the TOML order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Tokens that mean missing (compared trimmed, ignoring case).
    #[serde(default = "default_missing")]
    pub missing: Vec<String>,
    /// Identifier columns: carried through scoring output, never features.
    #[serde(default)]
    pub ids: Vec<String>,
    /// A date column that orders leads in time: when set, the newest 20% are held out.
    #[serde(default)]
    pub time_column: Option<String>,
    /// How the time column writes its dates (`yyyy-mm-dd` when unset), when it is not also a
    /// feature with its own `format`.
    #[serde(default)]
    pub time_format: Option<DateFormat>,
    /// Reference date (`YYYY-MM-DD`) for date features' ages; defaults to the newest training date.
    #[serde(default)]
    pub reference_date: Option<String>,
    /// Defaults applied to every feature that does not say otherwise.
    #[serde(default)]
    pub defaults: Defaults,
    /// What the model predicts.
    pub target: TargetSpec,
    /// Columns never used as features, each with the reason (leakage, PII, ...).
    #[serde(default)]
    pub exclude: BTreeMap<String, String>,
    /// The features, by column name.
    #[serde(default)]
    pub features: BTreeMap<String, FeatureSpec>,
    /// Pair terms the model always has (`pairs = [["month", "day_of_month"]]`): one weight per
    /// cell of the two features' grid (see [`crate::pair`]).
    #[serde(default)]
    pub pairs: Vec<[String; 2]>,
    /// Whether training searches for more pair terms (default: yes).
    #[serde(default)]
    pub pair_search: Option<bool>,
}

fn default_missing() -> Vec<String> {
    DEFAULT_MISSING.iter().map(|s| (*s).to_owned()).collect()
}

/// Which column holds the outcome and which of its values mean won.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    /// The outcome column, e.g. `Converted` or `stage`.
    pub column: String,
    /// Values that mean won, e.g. `["1"]`, `["yes"]`, `["Closed Won"]`.
    pub positive: Vec<String>,
    /// Values that mean lost. When empty, every non-positive value is lost;
    /// when given, any value outside both lists is an error (a typo in a stage
    /// name should not silently count as a loss).
    #[serde(default)]
    pub negative: Vec<String>,
}

impl TargetSpec {
    /// Reads one target cell: `Some(true)` for won, `Some(false)` for lost.
    pub fn label(&self, raw: &str) -> Result<bool> {
        let value = normalize_category(raw, true);
        if value.is_empty() {
            return Err(Error::MissingTarget { column: self.column.clone() });
        }
        let matches = |list: &[String]| list.iter().any(|p| normalize_category(p, true) == value);
        if matches(&self.positive) {
            Ok(true)
        } else if self.negative.is_empty() || matches(&self.negative) {
            Ok(false)
        } else {
            Err(Error::BadTarget {
                column: self.column.clone(),
                value: raw.trim().to_owned(),
                positive: self.positive.clone(),
                negative: self.negative.clone(),
            })
        }
    }
}

/// Defaults for all features.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Defaults {
    /// Levels seen fewer times than this fold into `(other)`.
    pub min_count: u32,
    /// Fold case and whitespace of categories (`Google` = `google`).
    pub normalize_case: bool,
    /// Tier shares, best tier first (A, B, C, D by default).
    pub tier_shares: Vec<f64>,
}

impl Default for Defaults {
    fn default() -> Self {
        Self { min_count: DEFAULT_MIN_COUNT, normalize_case: true, tier_shares: vec![0.1, 0.2, 0.3, 0.4] }
    }
}

/// How a feature column is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A number: imputed, optionally `log1p`-transformed and binned, standardised.
    Numeric,
    /// A label: one-hot with rare levels folded into `(other)`.
    Categorical,
    /// yes/no, true/false, 1/0, y/n.
    Boolean,
    /// A date: its age in days at the reference date.
    Date,
}

impl Kind {
    /// The kind's name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
        }
    }
}

/// How missing numbers are filled in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// The training median: robust to the outliers CRM counts are full of.
    #[default]
    Median,
    /// The training mean.
    Mean,
    /// Zero: for counts where "no record" means "none".
    Zero,
}

/// One feature. A flat struct (not a tagged enum) so it reads naturally in
/// TOML and stays encodable by bincode inside the artifact; options that do
/// not apply to the kind are refused by [`Spec::validate`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureSpec {
    /// The kind of column.
    pub kind: Kind,
    /// Numeric/date: how to fill missing values (median by default).
    #[serde(default)]
    pub impute: Option<Impute>,
    /// Numeric: model `ln(1 + x)` instead of `x` (counts, money).
    #[serde(default)]
    pub log1p: Option<bool>,
    /// Numeric/date: add a one-hot of this many quantile bins so the model can follow a non-linear effect.
    #[serde(default)]
    pub bins: Option<u32>,
    /// Categorical: overrides `defaults.min_count`.
    #[serde(default)]
    pub min_count: Option<u32>,
    /// Categorical: overrides `defaults.normalize_case`.
    #[serde(default)]
    pub normalize: Option<bool>,
    /// Date: add the month as a categorical.
    #[serde(default)]
    pub month: Option<bool>,
    /// Date: add the day of the week as a categorical.
    #[serde(default)]
    pub weekday: Option<bool>,
    /// Date: how the column writes its dates (`dd/mm/yyyy`, ...; `yyyy-mm-dd` when unset).
    #[serde(default)]
    pub format: Option<DateFormat>,
    /// Date: add the hour of the time written after the date (`14` of `2024-03-01T14:22`) as a
    /// categorical; cells without a time have none.
    #[serde(default)]
    pub hour: Option<bool>,
    /// Date: where its age in days is measured (see [`DateAge`] and [`Spec::date_age`]).
    #[serde(default)]
    pub age: Option<DateAge>,
    /// Numeric: the shape of its effect (see [`Shape`]); unset, `log1p` and `bins` say it.
    #[serde(default)]
    pub shape: Option<Shape>,
}

/// The shape of a number's effect on the log-odds, written `shape = "..."` on a numeric feature.
///
/// `"auto"` lets training choose among the others by out-of-fold log loss on the training part
/// (`leadscore-train::shapes`); `spec infer` writes it, so that its draft fed back to `train`
/// trains the model the flags alone would. The others pin a shape, as `log1p` and `bins` do
/// (which they cannot be combined with): one decision, written one way per feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Shape {
    /// Chosen by the training search.
    Auto,
    /// One term in `x`.
    Linear,
    /// One term in `sign(x) ln(1 + |x|)`: counts and money, whose first units matter most.
    Log1p,
    /// The line plus [`SHAPE_BINS`] quantile bins: a bend, a threshold, a plateau.
    Bins,
    /// `log1p` plus [`SHAPE_BINS`] quantile bins of it.
    Log1pBins,
    /// The line plus one column per value (runs of values with fewer than `defaults.min_count`
    /// leads merged with their neighbours): integer codes whose levels follow no order, at most
    /// [`MAX_SHAPE_LEVELS`] values.
    Levels,
    /// The line plus [`SMOOTH_BINS`] quantile bins whose levels are fitted as steps between
    /// neighbours, the penalty shrinking the steps (a first-difference, "fused" ridge, as
    /// P-splines of degree 0): a smooth staircase rather than free levels. The published model
    /// holds the steps summed back into one weight per bin, so it reads and scores as `bins`.
    Smooth,
    /// `log1p` plus [`SMOOTH_BINS`] smoothed quantile bins of it (see [`Shape::Smooth`]).
    Log1pSmooth,
}

/// Quantile bins of the `bins` and `log1p_bins` shapes.
pub const SHAPE_BINS: u32 = 5;
/// Quantile bins of the `smooth` and `log1p_smooth` shapes: finer than [`SHAPE_BINS`], as the
/// penalty on the steps, not the bin count, keeps the shape smooth.
pub const SMOOTH_BINS: u32 = 20;
/// Most distinct values a column read with the `levels` shape may have in training.
pub const MAX_SHAPE_LEVELS: usize = 50;

impl Shape {
    /// Every shape a search may choose, simplest first.
    pub const CANDIDATES: [Shape; 7] =
        [Shape::Linear, Shape::Log1p, Shape::Bins, Shape::Log1pBins, Shape::Smooth, Shape::Log1pSmooth, Shape::Levels];

    /// The shape's name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Auto => "auto",
            Shape::Linear => "linear",
            Shape::Log1p => "log1p",
            Shape::Bins => "bins",
            Shape::Log1pBins => "log1p_bins",
            Shape::Levels => "levels",
            Shape::Smooth => "smooth",
            Shape::Log1pSmooth => "log1p_smooth",
        }
    }

    /// How a number is read under this shape (`None` for `auto`, which training resolves).
    pub fn reading(self) -> Option<NumericReading> {
        let (log1p, bins, levels) = match self {
            Shape::Auto => return None,
            Shape::Linear => (false, 0, false),
            Shape::Log1p => (true, 0, false),
            Shape::Bins => (false, SHAPE_BINS, false),
            Shape::Log1pBins => (true, SHAPE_BINS, false),
            Shape::Levels => (false, 0, true),
            Shape::Smooth => (false, SMOOTH_BINS, false),
            Shape::Log1pSmooth => (true, SMOOTH_BINS, false),
        };
        Some(NumericReading { log1p, bins, levels })
    }

    /// Whether the bins are fitted as penalised steps ([`Shape::Smooth`]): a matter of training
    /// only, as the published weights are one per bin.
    pub fn smooth(self) -> bool {
        matches!(self, Shape::Smooth | Shape::Log1pSmooth)
    }
}

/// What a numeric feature's encoder fits: the one place a spec's `log1p`, `bins` and `shape`
/// become a reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NumericReading {
    /// Read `sign(x) ln(1 + |x|)`.
    pub log1p: bool,
    /// Quantile bins after the line (0: none).
    pub bins: u32,
    /// One column per value after the line ([`Shape::Levels`]).
    pub levels: bool,
}

/// Where a date feature's age is measured, written `age = "..."` on the feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateAge {
    /// Days from the date to the lead's own `time_column` (its arrival): "customer for 3 years
    /// when the lead came in", the same whenever the lead is scored. The default when the spec
    /// has a time column.
    TimeColumn,
    /// Days from the date to `reference_date` (default: the newest training date): the default
    /// without a time column, where a lead has no date of its own.
    ReferenceDate,
    /// No age, only the parts asked for (month, weekday, hour): the default for the time column
    /// itself, whose age would mostly measure how long a lead has had to close.
    None,
}

impl DateAge {
    /// The option's value as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            DateAge::TimeColumn => "time_column",
            DateAge::ReferenceDate => "reference_date",
            DateAge::None => "none",
        }
    }
}

impl FeatureSpec {
    /// A feature of `kind` with every option at its default.
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            impute: None,
            log1p: None,
            bins: None,
            min_count: None,
            normalize: None,
            month: None,
            weekday: None,
            format: None,
            hour: None,
            age: None,
            shape: None,
        }
    }

    /// How a numeric feature is read: its pinned `shape`, else its `log1p` and `bins`; `None`
    /// for `shape = "auto"`, which the training search resolves first.
    pub fn numeric_reading(&self) -> Option<NumericReading> {
        match self.shape {
            Some(shape) => shape.reading(),
            None => {
                Some(NumericReading { log1p: self.log1p.unwrap_or(false), bins: self.bins.unwrap_or(0), levels: false })
            }
        }
    }
}

impl Spec {
    /// A spec with a target and nothing else; features are added by the caller or inferred.
    pub fn new(target: TargetSpec) -> Self {
        Self {
            missing: default_missing(),
            ids: Vec::new(),
            time_column: None,
            time_format: None,
            reference_date: None,
            defaults: Defaults::default(),
            target,
            exclude: BTreeMap::new(),
            features: BTreeMap::new(),
            pairs: Vec::new(),
            pair_search: None,
        }
    }

    /// Parses and validates a TOML spec.
    ///
    /// A `[promotion]` table (the promotion gate's policy, read by
    /// [`crate::promotion::Policy::from_spec_toml`]) is allowed beside the spec and not part of it:
    /// the spec is stored in every artifact, the policy belongs to the registry's decisions.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| Error::SpecToml(e.to_string()))?;
        let spec: Spec = if table.remove("promotion").is_some() {
            toml::Value::Table(table).try_into().map_err(|e: toml::de::Error| Error::SpecToml(e.to_string()))?
        } else {
            toml::from_str(text).map_err(|e| Error::SpecToml(e.to_string()))?
        };
        spec.validate()?;
        Ok(spec)
    }

    /// Writes the spec as TOML.
    pub fn to_toml_string(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| Error::SpecToml(e.to_string()))
    }

    /// The missing tokens as a matcher.
    pub fn missing_tokens(&self) -> MissingTokens {
        MissingTokens::new(&self.missing)
    }

    /// The reference date as a day number, if the spec sets one.
    pub fn reference_day(&self) -> Result<Option<i32>> {
        match &self.reference_date {
            None => Ok(None),
            Some(text) => crate::value::parse_day(text)
                .map(Some)
                .ok_or_else(|| Error::Spec(format!("reference_date {text:?} is not a YYYY-MM-DD date"))),
        }
    }

    /// How `column` writes its dates: its feature's `format`, else `time_format` for the time
    /// column, else `yyyy-mm-dd`. The one place that decides, for training and scoring.
    pub fn date_format(&self, column: &str) -> DateFormat {
        let own = self.features.get(column).and_then(|f| f.format);
        let time = if self.time_column.as_deref() == Some(column) { self.time_format } else { None };
        own.or(time).unwrap_or_default()
    }

    /// Where the date feature `column` measures its age: its own `age`, else none for the time
    /// column itself, the time column when the spec has one, the reference date otherwise. The
    /// one place that decides, for training, scoring and `spec infer`.
    pub fn date_age(&self, column: &str) -> DateAge {
        let own = self.features.get(column).and_then(|f| f.age);
        own.unwrap_or(match self.time_column.as_deref() {
            Some(time) if time == column => DateAge::None,
            Some(_) => DateAge::TimeColumn,
            None => DateAge::ReferenceDate,
        })
    }

    /// The effective `min_count` of a categorical feature.
    pub fn min_count(&self, feature: &FeatureSpec) -> u32 {
        feature.min_count.unwrap_or(self.defaults.min_count)
    }

    /// The effective case folding of a categorical feature.
    pub fn normalize(&self, feature: &FeatureSpec) -> bool {
        feature.normalize.unwrap_or(self.defaults.normalize_case)
    }

    /// Checks everything that can be checked without data; errors name the field.
    pub fn validate(&self) -> Result<()> {
        let target = &self.target.column;
        if target.trim().is_empty() {
            return Err(Error::Spec("target.column is empty".into()));
        }
        if self.target.positive.is_empty() {
            return Err(Error::Spec(format!("target.positive is empty: say which values of `{target}` mean won")));
        }
        for p in &self.target.positive {
            if self.target.negative.iter().any(|n| normalize_category(n, true) == normalize_category(p, true)) {
                return Err(Error::Spec(format!("target value {p:?} is both positive and negative")));
            }
        }
        if self.ids.contains(target) || self.exclude.contains_key(target) || self.features.contains_key(target) {
            return Err(Error::Spec(format!(
                "target column `{target}` is also listed as an id, excluded column or feature"
            )));
        }
        for (name, feature) in &self.features {
            if self.ids.contains(name) {
                return Err(Error::Spec(format!("features.{name}: `{name}` is also an id column")));
            }
            if self.exclude.contains_key(name) {
                return Err(Error::Spec(format!("features.{name}: `{name}` is also excluded")));
            }
            self.validate_feature(name, feature)?;
        }
        if let Some(time) = &self.time_column {
            if time == target {
                return Err(Error::Spec("time_column cannot be the target".into()));
            }
        }
        match (&self.time_column, self.time_format) {
            (None, Some(_)) => return Err(Error::Spec("time_format is set but there is no time_column".into())),
            (Some(time), Some(format)) => {
                if let Some(own) = self.features.get(time).and_then(|f| f.format).filter(|own| *own != format) {
                    return Err(Error::Spec(format!(
                        "time_format = {:?} but features.{time}.format = {:?}: the time column has one format",
                        format.as_str(),
                        own.as_str()
                    )));
                }
            }
            _ => {}
        }
        self.reference_day()?;
        for (i, [a, b]) in self.pairs.iter().enumerate() {
            for name in [a, b] {
                if !self.features.contains_key(name) {
                    return Err(Error::Spec(format!("pairs[{i}]: `{name}` is not a feature of the spec")));
                }
            }
            if a == b {
                return Err(Error::Spec(format!("pairs[{i}]: a pair needs two different features, not `{a}` twice")));
            }
            let same = |[c, d]: &[String; 2]| (c == a && d == b) || (c == b && d == a);
            if self.pairs[..i].iter().any(same) {
                return Err(Error::Spec(format!("pairs[{i}]: `{a}` and `{b}` are paired twice")));
            }
        }
        if self.defaults.min_count == 0 {
            return Err(Error::Spec("defaults.min_count must be at least 1".into()));
        }
        let shares = &self.defaults.tier_shares;
        let sum: f64 = shares.iter().sum();
        if shares.is_empty() || shares.iter().any(|s| !(s.is_finite() && *s > 0.0)) || (sum - 1.0).abs() > 1e-9 {
            return Err(Error::InvalidTiers { shares: shares.clone() });
        }
        Ok(())
    }

    fn validate_feature(&self, name: &str, f: &FeatureSpec) -> Result<()> {
        let bad = |option: &str| {
            Err(Error::Spec(format!(
                "features.{name}: option `{option}` does not apply to a {} feature",
                f.kind.as_str()
            )))
        };
        let numeric_like = matches!(f.kind, Kind::Numeric | Kind::Date);
        if f.impute.is_some() && !numeric_like {
            return bad("impute");
        }
        if f.log1p.is_some() && f.kind != Kind::Numeric {
            return bad("log1p");
        }
        if f.bins.is_some() && !numeric_like {
            return bad("bins");
        }
        if let Some(shape) = f.shape {
            if f.kind != Kind::Numeric {
                return bad("shape");
            }
            if let Some(option) = [("log1p", f.log1p.is_some()), ("bins", f.bins.is_some())].iter().find(|o| o.1) {
                return Err(Error::Spec(format!(
                    "features.{name}: shape = {:?} already says how the number is read; drop `{}` (or drop \
                     `shape` and keep `log1p`/`bins`)",
                    shape.as_str(),
                    option.0
                )));
            }
        }
        if (f.min_count.is_some() || f.normalize.is_some()) && f.kind != Kind::Categorical {
            return bad(if f.min_count.is_some() { "min_count" } else { "normalize" });
        }
        if f.kind != Kind::Date {
            let date_only = [
                ("month", f.month.is_some()),
                ("weekday", f.weekday.is_some()),
                ("format", f.format.is_some()),
                ("hour", f.hour.is_some()),
                ("age", f.age.is_some()),
            ];
            if let Some((option, _)) = date_only.iter().find(|(_, set)| *set) {
                return bad(option);
            }
        } else {
            let age = self.date_age(name);
            if age == DateAge::TimeColumn {
                match self.time_column.as_deref() {
                    None => {
                        return Err(Error::Spec(format!(
                            "features.{name}: age = \"time_column\" but the spec has no time_column"
                        )))
                    }
                    Some(time) if time == name => {
                        return Err(Error::Spec(format!(
                            "features.{name}: the time column's age at itself is always 0; use age = \"none\" \
                             (its month, weekday or hour) or \"reference_date\""
                        )))
                    }
                    Some(_) => {}
                }
            }
            // The time column has no age unless it says so: a spec written before `age` that
            // binned its age is told how to keep it.
            let why_none = if f.age.is_none() { " (the time column's default)" } else { "" };
            let parts = [f.month, f.weekday, f.hour].contains(&Some(true));
            if age == DateAge::None && !parts {
                return Err(Error::Spec(format!(
                    "features.{name}: a date with age = \"none\"{why_none} needs month, weekday or hour, or it \
                     encodes nothing; age = \"reference_date\" measures its age at the reference date"
                )));
            }
            if age == DateAge::None && f.bins.is_some() {
                return Err(Error::Spec(format!(
                    "features.{name}: `bins` cut a date's age, and this one has none (age = \"none\"{why_none}); \
                     drop `bins`, or set age = \"reference_date\" to measure its age at the reference date"
                )));
            }
        }
        if let Some(bins) = f.bins {
            if bins == 1 || bins > MAX_BINS {
                return Err(Error::Spec(format!("features.{name}: bins = {bins}; use 0 (none) or 2 to {MAX_BINS}")));
            }
        }
        if f.min_count == Some(0) {
            return Err(Error::Spec(format!("features.{name}: min_count must be at least 1")));
        }
        Ok(())
    }

    /// Every column the spec reads from a data file: target, time column and features.
    pub fn used_columns(&self) -> Vec<&str> {
        let mut cols = vec![self.target.column.as_str()];
        if let Some(t) = &self.time_column {
            if !self.features.contains_key(t) {
                cols.push(t.as_str());
            }
        }
        cols.extend(self.features.keys().map(String::as_str));
        cols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
ids = ["lead_id"]
pairs = [["page_views", "Lead Source"]]
time_column = "created_at"
[target]
column = "outcome"
positive = ["won"]
negative = ["lost"]
[exclude]
notes = "free text"
[features.page_views]
kind = "numeric"
log1p = true
bins = 5
[features."Lead Source"]
kind = "categorical"
min_count = 20
"#;

    #[test]
    fn parses_and_round_trips() {
        let spec = Spec::from_toml_str(EXAMPLE).unwrap();
        assert_eq!(spec.features.len(), 2);
        assert_eq!(spec.features["page_views"].bins, Some(5));
        assert_eq!(spec.pairs, [["page_views".to_owned(), "Lead Source".to_owned()]]);
        assert_eq!(spec.missing, default_missing());
        let again = Spec::from_toml_str(&spec.to_toml_string().unwrap()).unwrap();
        assert_eq!(again, spec);
    }

    #[track_caller]
    fn check_invalid(toml: &str, needle: &str) {
        let err = Spec::from_toml_str(toml).unwrap_err().to_string();
        assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    }

    #[test]
    fn invalid_specs_name_the_field() {
        check_invalid("[target]\ncolumn='y'\npositive=[]", "target.positive is empty");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\nnegative=['1']", "both positive and negative");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.y]\nkind='numeric'", "also listed");
        check_invalid(
            "[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='boolean'\nlog1p=true",
            "features.x: option `log1p`",
        );
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='numeric'\nbins=1", "bins = 1");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='text'", "kind");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\ncolour='red'", "colour");
        check_invalid("reference_date='yesterday'\n[target]\ncolumn='y'\npositive=['1']", "reference_date");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='date'\nformat='dd/mm/yy'", "dd/mm/yy");
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='numeric'\nformat='iso'", "`format`");
        check_invalid("time_format='dd/mm/yyyy'\n[target]\ncolumn='y'\npositive=['1']", "no time_column");
        check_invalid(
            "time_column='t'\ntime_format='dd/mm/yyyy'\n[target]\ncolumn='y'\npositive=['1']\n[features.t]\nkind='date'\nformat='mm/dd/yyyy'\nmonth=true",
            "one format",
        );
        check_invalid("[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='numeric'\nhour=true", "`hour`");
        check_invalid(
            "[target]\ncolumn='y'\npositive=['1']\n[features.x]\nkind='date'\nage='time_column'",
            "no time_column",
        );
        check_invalid(
            "time_column='t'\n[target]\ncolumn='y'\npositive=['1']\n[features.t]\nkind='date'",
            "age = \"none\" (the time column's default) needs month, weekday or hour",
        );
        check_invalid(
            "time_column='t'\n[target]\ncolumn='y'\npositive=['1']\n[features.t]\nkind='date'\nbins=4\nmonth=true",
            "set age = \"reference_date\"",
        );
        check_invalid(
            "time_column='t'\n[target]\ncolumn='y'\npositive=['1']\n[features.t]\nkind='date'\nage='time_column'",
            "always 0",
        );
        check_invalid("[defaults]\ntier_shares=[0.5,0.4]\n[target]\ncolumn='y'\npositive=['1']", "tier shares");
        let two = "[target]\ncolumn='y'\npositive=['1']\n[features.a]\nkind='numeric'\n[features.b]\nkind='boolean'";
        check_invalid(&format!("pairs=[['a','c']]\n{two}"), "pairs[0]: `c` is not a feature of the spec");
        check_invalid(&format!("pairs=[['a','a']]\n{two}"), "pairs[0]: a pair needs two different features");
        check_invalid(&format!("pairs=[['a','b'],['b','a']]\n{two}"), "pairs[1]: `b` and `a` are paired twice");
        check_invalid(&format!("pairs=[['a']]\n{two}"), "pairs");
        let spec = Spec::from_toml_str(&format!("pairs=[['b','a']]\npair_search=false\n{two}")).unwrap();
        assert_eq!((spec.pairs.len(), spec.pair_search), (1, Some(false)));
    }

    #[test]
    fn date_formats_come_from_the_feature_then_the_time_format() {
        let spec = Spec::from_toml_str(
            "time_column='t'\ntime_format='dd.mm.yyyy'\n[target]\ncolumn='y'\npositive=['1']\n\
             [features.since]\nkind='date'\nformat='mm/dd/yyyy'\n[features.other]\nkind='date'",
        )
        .unwrap();
        assert_eq!(spec.date_format("since").as_str(), "mm/dd/yyyy");
        assert_eq!(spec.date_format("t").as_str(), "dd.mm.yyyy");
        assert_eq!(spec.date_format("other"), DateFormat::Iso);
        let again = Spec::from_toml_str(&spec.to_toml_string().unwrap()).unwrap();
        assert_eq!(again, spec);
    }

    #[test]
    fn target_labels() {
        let t = TargetSpec {
            column: "stage".into(),
            positive: vec!["Closed Won".into()],
            negative: vec!["Closed Lost".into()],
        };
        assert_eq!(t.label(" closed won "), Ok(true));
        assert_eq!(t.label("Closed Lost"), Ok(false));
        assert!(matches!(t.label("Open"), Err(Error::BadTarget { .. })));
        assert!(matches!(t.label(""), Err(Error::MissingTarget { .. })));
        let open = TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] };
        assert_eq!(open.label("0"), Ok(false));
        assert_eq!(open.label("anything"), Ok(false));
    }
}
