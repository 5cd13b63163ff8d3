//! From a model to a points table, as credit scorecards are built.
//!
//! Marketers type points into HubSpot or Marketo, not a logistic model. A
//! logistic model is already additive on the log-odds scale, so every feature
//! level or range can be given integer points proportional to its log-odds
//! contribution: with `scale` points doubling the odds, a contribution of `c`
//! log-odds is `round(c * scale / ln 2)` points. The table is written in
//! leadscore's own rules format ([`crate::rules`]), so `compare` can hold the
//! points version against the model and against the old rules, and as a flat
//! CSV a marketer can type into their tool.
//!
//! How each feature becomes rules (contributions computed through the
//! model's own encoder, so nothing is re-derived by hand):
//! - categorical: one rule per kept level; the rare levels folded into
//!   `(other)` share one `in` rule; a blank value has a `present = false`
//!   rule. A level never seen in training scores 0, as in the model.
//! - yes/no: a rule for yes, one for no, one for blank.
//! - numeric: ranges cut at the training deciles and at the model's own bins,
//!   ranges whose contribution still varies by more than [`MAX_STEP`] log-odds
//!   split further (edges rounded to two significant digits, the model's bin cuts kept
//!   exact); each range gets the average contribution over it
//!   (over its whole numbers for a count column); blank has its own rule.
//!   The lowest range is 0 points, so numbers only add points.
//!
//! - a pair term: one rule per cell of its grid, `all` of a condition on each
//!   feature (a level, the rare levels, yes/no, a bin's range with the
//!   model's exact cuts, blank), worth the cell's weight; a blank value where
//!   training had none scores 0 in the pair (the model puts it in the imputed
//!   value's cell), as a level never seen in training does.
//!
//! Only the rounding and the ranges cost ranking quality; `compare` measures
//! how much (the AUC of the points version against the model's).
//! Date features cannot be written as points yet (month and weekday levels
//! have no rule operator) and are refused by name.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::encode::{FeatureEncoder, NumericEncoder, Transform, MISSING, OTHER};
use crate::pair::{Axis, MissingCell, PairTerm};
use crate::report::DistributionSummary;
use crate::value::RawValue;
use crate::{Error, Result};

/// A numeric range whose contribution varies by more than this many log-odds
/// is split into smaller ranges.
pub const MAX_STEP: f64 = 0.2;
/// Most ranges a numeric range is split into.
const MAX_SPLITS: usize = 8;
/// Most whole numbers averaged over in one range.
const MAX_INTEGERS: usize = 256;

/// What a points row applies to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PointsCondition {
    /// The feature equals this (normalised) level.
    Level(String),
    /// The feature is one of these rare levels (the model's `(other)`).
    Levels(Vec<String>),
    /// The feature is blank.
    Missing,
    /// A yes/no feature is this.
    Flag(bool),
    /// A number in `[lower, upper)`; `None` is unbounded.
    Range {
        /// Inclusive lower bound.
        lower: Option<f64>,
        /// Exclusive upper bound.
        upper: Option<f64>,
    },
    /// Any of these conditions on the same feature (a pair's `(other)` that also holds the blanks).
    AnyOf(Vec<PointsCondition>),
    /// A cell of a pair term: each of the two features meets its condition.
    Pair(Vec<(String, PointsCondition)>),
}

/// One row of the points table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointsEntry {
    /// Source column.
    pub feature: String,
    /// When the row applies.
    pub condition: PointsCondition,
    /// Integer points.
    pub points: i64,
    /// The log-odds contribution the points stand for (relative to the feature's reference).
    pub log_odds: f64,
}

/// A model as a points table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointsTable {
    /// Model name.
    pub model: String,
    /// Points that double the odds of winning.
    pub scale: f64,
    /// Points per unit of log-odds (`scale / ln 2`).
    pub factor: f64,
    /// Log-odds of a lead with 0 points: `log_odds ≈ offset + points / factor`.
    pub offset: f64,
    /// The model threshold the MQL points threshold stands for.
    pub threshold_probability: f64,
    /// Which suggestion that threshold is (e.g. `max_f1`).
    pub threshold_name: String,
    /// MQL iff total points `>=` this: the smallest whole number of points at
    /// or above the model threshold's log-odds.
    pub mql_threshold: i64,
    /// Rows, feature by feature in the model's order.
    pub entries: Vec<PointsEntry>,
}

fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// The value of the numeric transform (`log1p` or identity) and its inverse.
fn forward(log1p: bool, x: f64) -> f64 {
    if log1p {
        x.signum() * x.abs().ln_1p()
    } else {
        x
    }
}

fn inverse(log1p: bool, t: f64) -> f64 {
    if log1p {
        t.signum() * t.abs().exp_m1()
    } else {
        t
    }
}

/// `x` rounded to `digits` significant digits (edges people read).
fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    // Dividing by an exact power of ten (rather than multiplying by 0.001) gives
    // the double nearest the decimal, which prints as the decimal.
    let k = digits - 1 - x.abs().log10().floor() as i32;
    if k >= 0 {
        let p = 10f64.powi(k);
        (x * p).round() / p
    } else {
        let p = 10f64.powi(-k);
        (x / p).round() * p
    }
}

struct Contribution<'a> {
    feature: &'a FeatureEncoder,
    weights: &'a [f64],
    missing: &'a crate::value::MissingTokens,
}

impl Contribution<'_> {
    /// The log-odds this feature adds for `raw` (all-zero encoded columns add 0).
    fn of(&self, raw: RawValue<'_>) -> Result<f64> {
        let mut out = vec![0.0; self.feature.width()];
        // Dates are refused before any value is asked for, so no lead time is needed.
        self.feature.encode_value(raw, self.missing, None, &mut out)?;
        Ok(out.iter().zip(self.weights).map(|(x, w)| x * w).sum())
    }

    fn number(&self, x: f64) -> Result<f64> {
        self.of(RawValue::Number(x))
    }
}

/// An edge people can read: two significant digits (`4,466,999` → `4,500,000`),
/// whole numbers kept as they are below 100 in a count column.
fn nice(x: f64, integer: bool) -> f64 {
    if integer && x.abs() < 100.0 {
        x.round()
    } else {
        significant(x, 2)
    }
}

/// A numeric range `[lower, upper)` (`None` = unbounded) and its average contribution.
type NumericRange = (Option<f64>, Option<f64>, f64);

/// Raw-scale edges of a numeric feature: the training deciles, the model's
/// bin cuts, and further splits where the contribution still moves.
fn numeric_ranges(c: &Contribution<'_>, n: &NumericEncoder, deciles: Option<&[f64]>) -> Result<Vec<NumericRange>> {
    let (lo, hi, mut edges, integer) = match deciles.filter(|d| d.len() >= 2) {
        Some(d) => {
            let integer = d.iter().all(|x| x.fract() == 0.0);
            (d[0], d[d.len() - 1], d[1..d.len() - 1].iter().map(|x| nice(*x, integer)).collect(), integer)
        }
        None => {
            let (a, b) = (n.mean - 2.0 * n.std, n.mean + 2.0 * n.std);
            let lo = inverse(n.log1p, a);
            let hi = inverse(n.log1p, b);
            let edges: Vec<f64> =
                (1..10).map(|k| significant(inverse(n.log1p, a + (b - a) * k as f64 / 10.0), 3)).collect();
            (lo, hi, edges, false)
        }
    };
    for cut in &n.cuts {
        let raw = significant(inverse(n.log1p, *cut), 12);
        edges.push(if integer { raw.ceil() } else { raw });
    }
    edges.retain(|e| e.is_finite() && *e > lo && *e < hi);
    edges.sort_by(f64::total_cmp);
    edges.dedup();
    // Split ranges whose contribution still moves by more than MAX_STEP.
    let mut bounds = vec![lo];
    bounds.extend(&edges);
    bounds.push(hi);
    let mut refined = vec![lo];
    for pair in bounds.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // The contribution just below `b` (a bin cut at `b` belongs to the next range).
        let below_b = if integer { (b - 1.0).max(a) } else { inverse(n.log1p, forward(n.log1p, b) - 1e-9) };
        let spread = (c.number(below_b)? - c.number(a)?).abs();
        let parts = ((spread / MAX_STEP).ceil() as usize).clamp(1, MAX_SPLITS);
        let (ta, tb) = (forward(n.log1p, a), forward(n.log1p, b));
        for k in 1..parts {
            let x = inverse(n.log1p, ta + (tb - ta) * k as f64 / parts as f64);
            let x = nice(x, integer);
            if x > *refined.last().unwrap_or(&lo) && x < b {
                refined.push(x);
            }
        }
        if b > *refined.last().unwrap_or(&lo) {
            refined.push(b);
        }
    }
    // Ranges [e_k, e_{k+1}); the first open below, the last open above.
    let inner: Vec<f64> = refined[1..refined.len().saturating_sub(1)].to_vec();
    let mut ranges = Vec::new();
    for k in 0..=inner.len() {
        let lower = if k == 0 { None } else { Some(inner[k - 1]) };
        let upper = inner.get(k).copied();
        let from = lower.unwrap_or(lo);
        let to = upper.unwrap_or(hi);
        let closed = upper.is_none();
        let average = average_contribution(c, n.log1p, from, to, closed, integer)?;
        ranges.push((lower, upper, average));
    }
    Ok(ranges)
}

/// The mean contribution over `[from, to)` (`[from, to]` when `closed`):
/// over its whole numbers for a count column, else at nine points evenly
/// spaced on the model's scale.
fn average_contribution(
    c: &Contribution<'_>,
    log1p: bool,
    from: f64,
    to: f64,
    closed: bool,
    integer: bool,
) -> Result<f64> {
    if integer {
        let first = from.ceil();
        let last = if closed { to.floor() } else { (to - 1.0).ceil().max(first) };
        let count = ((last - first).max(0.0) as usize) + 1;
        let step = (count as f64 / MAX_INTEGERS as f64).ceil().max(1.0);
        let mut sum = 0.0;
        let mut n = 0usize;
        let mut x = first;
        while x <= last {
            sum += c.number(x)?;
            n += 1;
            x += step;
        }
        return Ok(sum / n.max(1) as f64);
    }
    let (ta, tb) = (forward(log1p, from), forward(log1p, to));
    let mut sum = 0.0;
    for k in 0..9 {
        let t = ta + (tb - ta) * (k as f64 + 0.5) / 9.0;
        sum += c.number(inverse(log1p, t))?;
    }
    Ok(sum / 9.0)
}

/// Each axis's cells of a pair term as conditions on its feature: a pair cell is worth its
/// weight (a lead without a cell, e.g. a level never seen, gets nothing from the pair).
fn pair_conditions(pair: &PairTerm, features: &[FeatureEncoder]) -> Result<[Vec<(String, PointsCondition)>; 2]> {
    let axis = |side: usize| -> Result<Vec<(String, PointsCondition)>> {
        let feature = features
            .get(pair.features[side])
            .ok_or_else(|| Error::Points(format!("pair term `{}` has no feature {side}", pair.name)))?;
        let name = feature.name.clone();
        let conditions: Vec<PointsCondition> = match (&pair.axes[side], &feature.transform) {
            (Axis::Levels { .. }, Transform::Categorical(c)) => c
                .levels
                .iter()
                .enumerate()
                .map(|(i, level)| {
                    let mut either = Vec::new();
                    if level == OTHER {
                        if !c.folded.is_empty() {
                            either.push(PointsCondition::Levels(c.folded.clone()));
                        }
                    } else if level != MISSING {
                        either.push(PointsCondition::Level(level.clone()));
                    }
                    if c.missing_level == Some(i) {
                        either.push(PointsCondition::Missing);
                    }
                    if either.len() == 1 {
                        either.remove(0)
                    } else {
                        PointsCondition::AnyOf(either)
                    }
                })
                .collect(),
            (Axis::Flag { missing }, Transform::Boolean(_)) => {
                let mut out = vec![PointsCondition::Flag(false), PointsCondition::Flag(true)];
                if *missing == MissingCell::Own {
                    out.push(PointsCondition::Missing);
                }
                out
            }
            (Axis::Bins { cuts, missing }, Transform::Numeric(_)) => {
                let mut out: Vec<PointsCondition> = (0..=cuts.len())
                    .map(|b| PointsCondition::Range {
                        lower: b.checked_sub(1).map(|i| cuts[i]),
                        upper: cuts.get(b).copied(),
                    })
                    .collect();
                if *missing == MissingCell::Own {
                    out.push(PointsCondition::Missing);
                }
                out
            }
            (_, Transform::Date(_)) => {
                return Err(Error::Points(format!(
                    "pair term `{}` reads the date feature `{name}`; dates cannot be written as points yet",
                    pair.name
                )))
            }
            _ => return Err(Error::Points(format!("pair term `{}` does not fit `{name}`", pair.name))),
        };
        Ok(conditions.into_iter().map(|c| (name.clone(), c)).collect())
    };
    Ok([axis(0)?, axis(1)?])
}

/// A rule's `when` for a condition on `field`, in the rules format.
fn when(field: &str, condition: &PointsCondition) -> String {
    let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let f = q(field);
    match condition {
        PointsCondition::Level(level) => format!("{{ field = {f}, equals = {} }}", q(level)),
        PointsCondition::Levels(levels) => {
            let list: Vec<String> = levels.iter().map(|l| q(l)).collect();
            format!("{{ field = {f}, in = [{}] }}", list.join(", "))
        }
        PointsCondition::Missing => format!("{{ field = {f}, present = false }}"),
        PointsCondition::Flag(b) => format!("{{ field = {f}, equals = {b} }}"),
        PointsCondition::Range { lower, upper } => {
            let mut parts = vec![format!("field = {f}")];
            if let Some(l) = lower {
                parts.push(format!("gte = {l}"));
            }
            if let Some(u) = upper {
                parts.push(format!("lt = {u}"));
            }
            if lower.is_none() && upper.is_none() {
                parts.push("present = true".into());
            }
            format!("{{ {} }}", parts.join(", "))
        }
        PointsCondition::AnyOf(conditions) => {
            let list: Vec<String> = conditions.iter().map(|c| when(field, c)).collect();
            format!("{{ any = [{}] }}", list.join(", "))
        }
        PointsCondition::Pair(parts) => {
            let list: Vec<String> = parts.iter().map(|(f, c)| when(f, c)).collect();
            format!("{{ all = [{}] }}", list.join(", "))
        }
    }
}

impl PointsTable {
    /// The points table of `artifact`: `scale` points double the odds; the
    /// MQL points threshold stands for the model's `threshold_probability`
    /// (`threshold_name` says which suggestion it is).
    pub fn from_model(
        artifact: &Artifact,
        scale: f64,
        threshold_probability: f64,
        threshold_name: &str,
    ) -> Result<PointsTable> {
        if !(scale.is_finite() && scale > 0.0) {
            return Err(Error::Points(format!("the scale must be a positive number of points, got {scale}")));
        }
        if !(threshold_probability > 0.0 && threshold_probability < 1.0) {
            return Err(Error::Points(format!(
                "the MQL threshold must be a probability strictly between 0 and 1, got {threshold_probability}"
            )));
        }
        let factor = scale / std::f64::consts::LN_2;
        let encoder = &artifact.encoder;
        let mut entries = Vec::new();
        let mut offset = artifact.model.intercept;
        for feature in &encoder.features {
            let weights =
                artifact.model.weights.get(feature.offset..feature.offset + feature.width()).ok_or(
                    Error::ShapeMismatch { weights: artifact.model.weights.len(), columns: encoder.n_columns },
                )?;
            let c = Contribution { feature, weights, missing: &encoder.missing };
            let name = feature.name.clone();
            // (condition, contribution) rows, and the feature's reference (0 points).
            let mut rows: Vec<(PointsCondition, f64)> = Vec::new();
            let anchor;
            match &feature.transform {
                Transform::Categorical(cat) => {
                    for level in &cat.levels {
                        if level == crate::encode::MISSING || level == crate::encode::OTHER {
                            continue;
                        }
                        rows.push((PointsCondition::Level(level.clone()), c.of(RawValue::Text(level))?));
                    }
                    if !cat.folded.is_empty() {
                        let first = &cat.folded[0];
                        rows.push((PointsCondition::Levels(cat.folded.clone()), c.of(RawValue::Text(first))?));
                    }
                    if cat.missing_level.is_some() {
                        rows.push((PointsCondition::Missing, c.of(RawValue::Missing)?));
                    }
                    anchor = 0.0;
                }
                Transform::Boolean(b) => {
                    let no = c.of(RawValue::Bool(false))?;
                    rows.push((PointsCondition::Flag(true), c.of(RawValue::Bool(true))?));
                    rows.push((PointsCondition::Flag(false), no));
                    if b.missing_indicator {
                        rows.push((PointsCondition::Missing, c.of(RawValue::Missing)?));
                    }
                    anchor = no;
                }
                Transform::Numeric(n) => {
                    let deciles =
                        artifact.distributions.iter().find(|d| d.feature == name).and_then(|d| match &d.summary {
                            DistributionSummary::Numeric { deciles, .. } => Some(deciles.as_slice()),
                            _ => None,
                        });
                    let ranges = numeric_ranges(&c, n, deciles)?;
                    anchor = ranges.iter().map(|r| r.2).fold(f64::INFINITY, f64::min);
                    for (lower, upper, value) in ranges {
                        rows.push((PointsCondition::Range { lower, upper }, value));
                    }
                    if n.missing_indicator {
                        rows.push((PointsCondition::Missing, c.of(RawValue::Missing)?));
                    }
                }
                Transform::Date(_) => {
                    return Err(Error::Points(format!(
                        "`{name}` is a date feature; dates cannot be written as points yet (train without it, \
                         or turn it into a number of days)"
                    )));
                }
            }
            offset += anchor;
            for (condition, value) in rows {
                let log_odds = value - anchor;
                let points = (log_odds * factor).round() as i64;
                entries.push(PointsEntry { feature: name.clone(), condition, points, log_odds });
            }
        }
        for pair in &encoder.pairs {
            let weights = artifact
                .model
                .weights
                .get(pair.offset..pair.offset + pair.width())
                .ok_or(Error::ShapeMismatch { weights: artifact.model.weights.len(), columns: encoder.n_columns })?;
            let [rows, cols] = pair_conditions(pair, &encoder.features)?;
            for (i, a) in rows.iter().enumerate() {
                for (j, b) in cols.iter().enumerate() {
                    let log_odds = weights[i * cols.len() + j];
                    entries.push(PointsEntry {
                        feature: pair.name.clone(),
                        condition: PointsCondition::Pair(vec![a.clone(), b.clone()]),
                        points: (log_odds * factor).round() as i64,
                        log_odds,
                    });
                }
            }
        }
        let mql = ((logit(threshold_probability) - offset) * factor - 1e-9).ceil() as i64;
        Ok(PointsTable {
            model: artifact.name.clone(),
            scale,
            factor,
            offset,
            threshold_probability,
            threshold_name: threshold_name.to_owned(),
            mql_threshold: mql,
            entries,
        })
    }

    /// The probability a number of points stands for: `sigmoid(offset + points / factor)`.
    pub fn probability(&self, points: f64) -> f64 {
        crate::model::sigmoid(self.offset + points / self.factor)
    }

    /// The rules file: one rule per non-zero row, in leadscore's rules format.
    pub fn to_rules_toml(&self) -> String {
        let mut out = String::new();
        let q = |s: &str| toml::Value::String(s.to_owned()).to_string();
        let _ = writeln!(out, "# Points version of the model `{}`, written by `leadscore export-points`.", self.model);
        let _ = writeln!(
            out,
            "# Each level or range gets whole points proportional to its log-odds contribution: {} points double the odds.",
            self.scale
        );
        let _ = writeln!(
            out,
            "# A lead's points P stand for the probability 1 / (1 + exp(-({:.6} + P / {:.6}))).",
            self.offset, self.factor
        );
        let _ = writeln!(out, "# Rows worth 0 points (each feature's reference) are left out; the CSV lists them.");
        let _ = writeln!(out, "name = {}", q(&format!("{} as points", self.model)));
        let _ = writeln!(
            out,
            "description = {}",
            q(&format!(
                "{} points double the odds; MQL at the model's {} threshold (p >= {})",
                self.scale, self.threshold_name, self.threshold_probability
            ))
        );
        let _ = writeln!(out, "mql_threshold = {}", self.mql_threshold);
        for e in self.entries.iter().filter(|e| e.points != 0) {
            let when = when(&e.feature, &e.condition);
            let _ = writeln!(out, "\n[[rules]]\nname = {}\nwhen = {when}\npoints = {}", q(&e.rule_name()), e.points);
        }
        out
    }

    /// The flat table: `field,condition,points`, every row including the
    /// zero-point references, then the MQL threshold.
    pub fn to_csv(&self) -> String {
        let cell = |s: &str| {
            if s.contains([',', '"', '\n', '\r']) || s.trim() != s {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_owned()
            }
        };
        let mut out = String::from("field,condition,points\n");
        for e in &self.entries {
            let _ = writeln!(out, "{},{},{}", cell(&e.feature), cell(&e.condition_text()), e.points);
        }
        let _ = writeln!(
            out,
            "{},{},{}",
            cell("(total)"),
            cell(&format!(
                "MQL when at least ({} threshold: p >= {})",
                self.threshold_name, self.threshold_probability
            )),
            self.mql_threshold
        );
        out
    }
}

/// A number for a condition (`3`, `2.5`, `52050000`).
fn show(x: f64) -> String {
    format!("{x}")
}

impl PointsEntry {
    /// The condition in words, as a marketer types it into a scoring tool.
    pub fn condition_text(&self) -> String {
        match &self.condition {
            PointsCondition::Level(level) => format!("is {level}"),
            PointsCondition::Levels(levels) => format!("is one of {}", levels.join(" | ")),
            PointsCondition::Missing => "is blank".into(),
            PointsCondition::Flag(true) => "is yes".into(),
            PointsCondition::Flag(false) => "is no".into(),
            PointsCondition::Range { lower: Some(l), upper: Some(u) } => {
                format!("is at least {} and less than {}", show(*l), show(*u))
            }
            PointsCondition::Range { lower: Some(l), upper: None } => format!("is at least {}", show(*l)),
            PointsCondition::Range { lower: None, upper: Some(u) } => format!("is less than {}", show(*u)),
            PointsCondition::Range { lower: None, upper: None } => "has any value".into(),
            PointsCondition::AnyOf(conditions) => {
                let texts: Vec<String> = conditions.iter().map(|c| self.with(c).condition_text()).collect();
                texts.join(" or ")
            }
            PointsCondition::Pair(parts) => {
                let texts: Vec<String> =
                    parts.iter().map(|(f, c)| format!("{f} {}", self.with(c).condition_text())).collect();
                texts.join(" and ")
            }
        }
    }

    /// This row with another condition (to word the parts of a compound one).
    fn with(&self, condition: &PointsCondition) -> PointsEntry {
        PointsEntry { condition: condition.clone(), ..self.clone() }
    }

    /// A condition in a rule's name: as [`PointsEntry::condition_text`], a long list of rare levels counted.
    fn short_text(&self) -> String {
        match &self.condition {
            PointsCondition::Levels(levels) => format!("is one of {} rare levels", levels.len()),
            PointsCondition::AnyOf(conditions) => {
                conditions.iter().map(|c| self.with(c).short_text()).collect::<Vec<_>>().join(" or ")
            }
            PointsCondition::Pair(parts) => parts
                .iter()
                .map(|(f, c)| format!("{f} {}", self.with(c).short_text()))
                .collect::<Vec<_>>()
                .join(" and "),
            _ => self.condition_text(),
        }
    }

    /// A unique rule name: the feature and the condition.
    pub fn rule_name(&self) -> String {
        match &self.condition {
            PointsCondition::Pair(_) => format!("{}: {}", self.feature, self.short_text()),
            _ => format!("{} {}", self.feature, self.short_text()),
        }
    }
}

#[cfg(test)]
mod tests;
