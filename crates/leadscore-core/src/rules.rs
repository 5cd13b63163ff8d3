//! Rule-based lead points, the way marketing teams score leads today.
//!
//! HubSpot's manual score, Marketo and Mautic points all work alike: named
//! rules, each a condition on a lead's fields and a number of points ("+15 for
//! a VP title", "+10 per pricing-page visit, at most 30", "-10 after 30 days
//! of silence"), grouped into subtotals (`fit` for who the lead is,
//! `engagement` for what they did), and an MQL threshold in points. A model is
//! only trusted once it can be held against those rules on the same leads, so
//! leadscore reads such rules itself, from a TOML file:
//!
//! ```toml
//! name = "Marketing points"
//! mql_threshold = 50
//!
//! [groups.engagement]
//! max = 60                                   # the group's subtotal is capped
//! decay = { field = "days_since_last_activity", half_life_days = 30 }
//!
//! [[rules]]
//! name = "Senior title"
//! when = { field = "job_level", in = ["VP", "C-Level"] }
//! points = 15
//!
//! [[rules]]
//! name = "Pricing page visits"
//! group = "engagement"
//! per = "pricing_page_visits"                # 10 points per visit ...
//! points = 10
//! max = 30                                   # ... at most 30
//! ```
//!
//! Conditions (`when`): `equals`, `in`, numeric (or date) comparisons `gt`,
//! `gte`, `lt`, `lte` (two of them make a range), `present = true|false`,
//! `contains` (text), and `all = [...]`, `any = [...]`, `not = {...}`. A rule
//! without `when` always fires.
//!
//! A lead's points, in this order:
//! 1. each rule that fires gives `points` (times the `per` field's value, if
//!    any; a rule whose `per` field is missing or zero does not fire), clamped to the
//!    rule's `min`/`max`, then decayed by the rule's `decay`;
//! 2. each group's subtotal is the sum of its rules, clamped to the group's
//!    `min`/`max`, then decayed by the group's `decay`;
//! 3. the total is the sum of the groups and of the rules without a group; the
//!    lead is an MQL iff the total is `>= mql_threshold`.
//!
//! Every number of points in a file (`points`, `min`, `max`, `minus`,
//! `mql_threshold`) is finite and within ±[`MAX_POINTS`], and a `per` rule's
//! product is held within the same bound: a total is a sum of at most a few
//! thousand such terms, so it is always a finite number (`points = 1e308` once
//! made a total of infinity, serialised as `null`, and an MQL).
//!
//! Caps come before decay because decay models time passing after the points
//! were earned. Decay only takes away points a lead earned: a subtotal at or
//! below zero is left alone (a negative rule is the way to punish). A missing
//! recency leaves the points undecayed: nobody knows how old they are.
//!
//! Cells are read with the model's own readers ([`crate::table::read`]: the
//! spec's missing tokens, number parsing, yes/no spellings, dates) and text is
//! compared after [`crate::value::normalize_category`], so rules and model
//! read a lead identically: `VP` in a rule matches `vp` and ` Vp ` in the data.
//!
//! Every mistake in a file is reported with its line ([`check`]), not just the
//! first: an unknown field, an operator that does not fit the column's kind,
//! an empty rule set, ranges of two rules that overlap, and so on.

mod parse;

/// The largest number of points, either way, that a rule, a cap, a decay or the MQL threshold may
/// name, and that a `per` rule may give (a million: far beyond any hand-made scheme, which
/// runs to hundreds).
pub const MAX_POINTS: f64 = 1_000_000.0;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::date::DateFormat;
use crate::spec::{Kind, Spec};
use crate::table::read;
use crate::value::{MissingTokens, RawValue};
use crate::Result;

pub use parse::check;

/// One mistake in a rules file, with the 1-based line it is on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleDiagnostic {
    /// Line of the offending key or value (1 when the file as a whole is wrong).
    pub line: u64,
    /// What is wrong, and how to fix it when that is clear.
    pub message: String,
}

impl std::fmt::Display for RuleDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A compiled, validated rule set, ready to score leads.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSet {
    /// The rule set's name, when the file gives one.
    pub name: Option<String>,
    /// What the rule set is for, when the file says.
    pub description: Option<String>,
    /// A lead is an MQL iff its total points are `>=` this.
    pub mql_threshold: f64,
    /// Groups in the order the file declares them.
    pub groups: Vec<Group>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
    /// Day number that date recencies are measured at (`as_of` in the file).
    pub as_of: Option<i32>,
    /// The fields the rules read; conditions refer to them by index.
    pub fields: Vec<Field>,
    /// The spec's missing tokens.
    pub missing: MissingTokens,
}

/// A field the rules read, and how (from the spec).
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Source column name.
    pub name: String,
    /// How its cells are read.
    pub kind: Kind,
    /// Categorical: whether case and whitespace are folded.
    pub fold: bool,
    /// Date: how the column writes its dates (the spec's, `yyyy-mm-dd` without one).
    pub format: DateFormat,
}

/// A group of rules with its own subtotal (`fit`, `engagement`).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    /// Name used by the rules' `group` key.
    pub name: String,
    /// What the group is for.
    pub description: Option<String>,
    /// Cap on the subtotal.
    pub max: Option<f64>,
    /// Floor on the subtotal.
    pub min: Option<f64>,
    /// Decay of the subtotal by recency.
    pub decay: Option<Decay>,
}

/// One rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    /// Unique name, shown wherever the rule fires.
    pub name: String,
    /// What the rule is for.
    pub description: Option<String>,
    /// Index into [`RuleSet::groups`], or `None` for a rule counted directly in the total.
    pub group: Option<usize>,
    /// Points when the rule fires (per unit of `per`, if set).
    pub points: f64,
    /// Index into [`RuleSet::fields`] of a numeric field whose value multiplies `points`
    /// (missing or zero: the rule does not fire).
    pub per: Option<usize>,
    /// Cap on this rule's points for one lead.
    pub max: Option<f64>,
    /// Floor on this rule's points for one lead.
    pub min: Option<f64>,
    /// Decay of this rule's points by recency.
    pub decay: Option<Decay>,
    /// When the rule fires; `None` = always.
    pub when: Option<Condition>,
    /// Line of the rule in the file.
    pub line: u64,
}

/// How points fade with time since the lead's last activity.
#[derive(Clone, Debug, PartialEq)]
pub enum Decay {
    /// Points halve every `days` days.
    HalfLife {
        /// Index into [`RuleSet::fields`] of the recency: a number of days since, or a date.
        field: usize,
        /// Days for the points to halve (`> 0`).
        days: f64,
    },
    /// `minus` points are taken away once `after_days` days have passed.
    Step {
        /// Index into [`RuleSet::fields`] of the recency: a number of days since, or a date.
        field: usize,
        /// Days of inactivity after which the points are reduced (`>= 0`).
        after_days: f64,
        /// Points taken away (`> 0`); the subtotal never drops below zero by decay.
        minus: f64,
    },
}

/// A condition on a lead's fields. `field` indexes [`RuleSet::fields`].
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    /// The field equals the value.
    Equals {
        /// Field index.
        field: usize,
        /// The value, typed as the field.
        value: Literal,
    },
    /// The field equals one of the values.
    In {
        /// Field index.
        field: usize,
        /// The values, typed as the field.
        values: Vec<Literal>,
    },
    /// A number or date within bounds.
    Range {
        /// Field index.
        field: usize,
        /// Lower bound, if any.
        lower: Option<Bound>,
        /// Upper bound, if any.
        upper: Option<Bound>,
    },
    /// The field has (`true`) or lacks (`false`) a value.
    Present {
        /// Field index.
        field: usize,
        /// `true` = present.
        present: bool,
    },
    /// The text contains one of the needles (compared as the field is normalised).
    Contains {
        /// Field index.
        field: usize,
        /// Normalised needles.
        needles: Vec<String>,
    },
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds.
    Any(Vec<Condition>),
    /// The condition does not hold (a missing value makes `equals` false, so `not` true).
    Not(Box<Condition>),
}

/// A bound of a range: a number, or a day number for dates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    /// The bound.
    pub value: f64,
    /// Whether the bound itself is inside (`gte`, `lte`).
    pub inclusive: bool,
}

/// A value in a condition, typed as the field it is compared with.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A number.
    Number(f64),
    /// Normalised text.
    Text(String),
    /// Yes/no.
    Bool(bool),
    /// A date as a day number.
    Day(i32),
}

/// A rule that fired for a lead, and the points it gave after its caps and decay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FiredRule {
    /// Index into [`RuleSet::rules`].
    pub rule: usize,
    /// Points given.
    pub points: f64,
}

/// A lead's points under a rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleScore {
    /// Total points.
    pub total: f64,
    /// Subtotal of each group (after its caps and decay), in [`RuleSet::groups`] order.
    pub groups: Vec<f64>,
    /// Points of the rules without a group.
    pub ungrouped: f64,
    /// Rules that fired, in file order.
    pub fired: Vec<FiredRule>,
    /// Whether the total reaches the MQL threshold.
    pub mql: bool,
}

/// A cell as the rules see it.
#[derive(Clone, Debug, PartialEq)]
enum Value<'a> {
    Missing,
    Number(f64),
    Text(Cow<'a, str>),
    Bool(bool),
    Day(i32),
}

impl Field {
    fn read<'a>(&self, raw: RawValue<'a>, missing: &MissingTokens) -> Result<Value<'a>> {
        let name = self.name.as_str();
        Ok(match self.kind {
            Kind::Numeric => read::number(raw, missing, name)?.map_or(Value::Missing, Value::Number),
            Kind::Boolean => read::boolean(raw, missing, name)?.map_or(Value::Missing, Value::Bool),
            Kind::Date => read::day(raw, missing, self.format, name)?.map_or(Value::Missing, Value::Day),
            Kind::Categorical => read::category(raw, missing, self.fold).map_or(Value::Missing, Value::Text),
        })
    }
}

impl Literal {
    fn matches(&self, value: &Value<'_>) -> bool {
        match (self, value) {
            (Literal::Number(a), Value::Number(b)) => a == b,
            (Literal::Text(a), Value::Text(b)) => a == b,
            (Literal::Bool(a), Value::Bool(b)) => a == b,
            (Literal::Day(a), Value::Day(b)) => a == b,
            _ => false,
        }
    }
}

impl Bound {
    fn below(&self, x: f64) -> bool {
        if self.inclusive {
            self.value <= x
        } else {
            self.value < x
        }
    }

    fn above(&self, x: f64) -> bool {
        if self.inclusive {
            x <= self.value
        } else {
            x < self.value
        }
    }
}

impl Condition {
    fn holds(&self, values: &[Value<'_>]) -> bool {
        let at = |field: &usize| values.get(*field).unwrap_or(&Value::Missing);
        match self {
            Condition::Equals { field, value } => value.matches(at(field)),
            Condition::In { field, values: list } => {
                let v = at(field);
                list.iter().any(|l| l.matches(v))
            }
            Condition::Range { field, lower, upper } => {
                let x = match at(field) {
                    Value::Number(x) => *x,
                    Value::Day(d) => f64::from(*d),
                    _ => return false,
                };
                lower.is_none_or(|b| b.below(x)) && upper.is_none_or(|b| b.above(x))
            }
            Condition::Present { field, present } => !matches!(at(field), Value::Missing) == *present,
            Condition::Contains { field, needles } => match at(field) {
                Value::Text(t) => needles.iter().any(|n| t.contains(n.as_str())),
                _ => false,
            },
            Condition::All(list) => list.iter().all(|c| c.holds(values)),
            Condition::Any(list) => list.iter().any(|c| c.holds(values)),
            Condition::Not(c) => !c.holds(values),
        }
    }
}

impl Decay {
    /// The points left of `points` given the lead's recency values.
    fn apply(&self, points: f64, values: &[Value<'_>], as_of: Option<i32>) -> f64 {
        if points <= 0.0 {
            return points;
        }
        let field = match self {
            Decay::HalfLife { field, .. } | Decay::Step { field, .. } => *field,
        };
        let days = match (values.get(field), as_of) {
            (Some(Value::Number(d)), _) => *d,
            (Some(Value::Day(day)), Some(as_of)) => f64::from(as_of) - f64::from(*day),
            _ => return points,
        };
        match self {
            Decay::HalfLife { days: half_life, .. } => {
                if days <= 0.0 {
                    points
                } else {
                    points * 0.5f64.powf(days / half_life)
                }
            }
            Decay::Step { after_days, minus, .. } => {
                if days >= *after_days {
                    (points - minus).max(0.0)
                } else {
                    points
                }
            }
        }
    }
}

fn clamp(points: f64, min: Option<f64>, max: Option<f64>) -> f64 {
    let points = max.map_or(points, |m| points.min(m));
    min.map_or(points, |m| points.max(m))
}

impl RuleSet {
    /// Parses a rules file and checks it against the data spec; every mistake
    /// found is in the returned [`Error::Rules`].
    pub fn from_toml_str(text: &str, spec: &Spec) -> Result<RuleSet> {
        parse::compile(text, Some(spec))
    }

    /// Names of the fields the rules read, so a caller knows which columns a file needs.
    pub fn field_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|f| f.name.as_str())
    }

    /// Scores one lead; `field(name)` gives the lead's value of a column. A
    /// value the spec cannot read (text in a numeric column) is the same
    /// error the model gives.
    pub fn score<'a>(&self, mut field: impl FnMut(&str) -> RawValue<'a>) -> Result<RuleScore> {
        let values =
            self.fields.iter().map(|f| f.read(field(&f.name), &self.missing)).collect::<Result<Vec<Value<'a>>>>()?;
        let mut subtotals = vec![0.0; self.groups.len()];
        let mut ungrouped = 0.0;
        let mut fired = Vec::new();
        for (index, rule) in self.rules.iter().enumerate() {
            if !rule.when.as_ref().is_none_or(|c| c.holds(&values)) {
                continue;
            }
            let base = match rule.per {
                None => rule.points,
                Some(per) => match values.get(per) {
                    // Held within the bound the file's numbers obey: 1e300 page views stay finite.
                    Some(Value::Number(x)) if *x != 0.0 => (rule.points * x).clamp(-MAX_POINTS, MAX_POINTS),
                    _ => continue,
                },
            };
            let capped = clamp(base, rule.min, rule.max);
            let points = rule.decay.as_ref().map_or(capped, |d| d.apply(capped, &values, self.as_of));
            match rule.group.and_then(|g| subtotals.get_mut(g)) {
                Some(subtotal) => *subtotal += points,
                None => ungrouped += points,
            }
            fired.push(FiredRule { rule: index, points });
        }
        for (subtotal, group) in subtotals.iter_mut().zip(&self.groups) {
            let capped = clamp(*subtotal, group.min, group.max);
            *subtotal = group.decay.as_ref().map_or(capped, |d| d.apply(capped, &values, self.as_of));
        }
        let total = subtotals.iter().sum::<f64>() + ungrouped;
        Ok(RuleScore { total, groups: subtotals, ungrouped, fired, mql: total >= self.mql_threshold })
    }
}

#[cfg(test)]
mod tests;
