//! Reading a rules file: TOML with spans, then one pass that compiles the
//! rules and collects every mistake with its line.
//!
//! Why not stop at the first error: a marketer fixing a file wants the whole
//! list at once, as a compiler gives it. TOML syntax errors (and unknown keys)
//! stop the parse, because nothing after them can be trusted; everything else
//! (unknown fields, operators that do not fit a column's kind, overlapping
//! ranges) is checked rule by rule and all of it reported.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{Bound, Condition, Decay, Field, Group, Literal, Rule, RuleDiagnostic, RuleSet, MAX_POINTS};
use crate::date::DateFormat;
use crate::spec::{Kind, Spec};
use crate::value::{normalize_category, parse_bool, parse_day, MissingTokens};
use crate::{Error, Result};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Option<String>,
    description: Option<String>,
    mql_threshold: Option<Spanned<f64>>,
    as_of: Option<Spanned<toml::Value>>,
    #[serde(default)]
    groups: BTreeMap<String, Spanned<RawGroup>>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    description: Option<String>,
    max: Option<Spanned<f64>>,
    min: Option<Spanned<f64>>,
    decay: Option<Spanned<RawDecay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    description: Option<String>,
    group: Option<Spanned<String>>,
    when: Option<Spanned<RawCondition>>,
    points: Spanned<f64>,
    per: Option<Spanned<String>>,
    max: Option<Spanned<f64>>,
    min: Option<Spanned<f64>>,
    decay: Option<Spanned<RawDecay>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDecay {
    field: Spanned<String>,
    half_life_days: Option<Spanned<f64>>,
    after_days: Option<Spanned<f64>>,
    minus: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    field: Option<Spanned<String>>,
    equals: Option<Spanned<toml::Value>>,
    #[serde(rename = "in")]
    in_: Option<Spanned<Vec<Spanned<toml::Value>>>>,
    gt: Option<Spanned<toml::Value>>,
    gte: Option<Spanned<toml::Value>>,
    lt: Option<Spanned<toml::Value>>,
    lte: Option<Spanned<toml::Value>>,
    present: Option<Spanned<bool>>,
    contains: Option<Spanned<toml::Value>>,
    all: Option<Spanned<Vec<Spanned<RawCondition>>>>,
    any: Option<Spanned<Vec<Spanned<RawCondition>>>>,
    not: Option<Box<Spanned<RawCondition>>>,
}

/// Every mistake in a rules file, each with its line; empty when the file is
/// fine. With a `spec`, fields are checked to exist and every operator and
/// value to fit the column's kind; without one, only what the file says on
/// its own (structure, names, caps, ranges).
pub fn check(text: &str, spec: Option<&Spec>) -> Vec<RuleDiagnostic> {
    match parse(text, spec) {
        Ok((_, diagnostics)) => diagnostics,
        Err(diagnostic) => vec![diagnostic],
    }
}

/// Parses and compiles; [`Error::Rules`] lists every mistake.
pub(super) fn compile(text: &str, spec: Option<&Spec>) -> Result<RuleSet> {
    match parse(text, spec) {
        Ok((Some(set), diagnostics)) if diagnostics.is_empty() => Ok(set),
        Ok((_, diagnostics)) if !diagnostics.is_empty() => Err(Error::Rules(diagnostics)),
        Ok(_) => Err(Error::Rules(vec![RuleDiagnostic {
            line: 1,
            message: "rules can only score leads once checked against a data spec".into(),
        }])),
        Err(diagnostic) => Err(Error::Rules(vec![diagnostic])),
    }
}

/// The 1-based line holding byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> u64 {
    let end = offset.min(text.len());
    1 + text.as_bytes()[..end].iter().filter(|b| **b == b'\n').count() as u64
}

fn parse(text: &str, spec: Option<&Spec>) -> Result<(Option<RuleSet>, Vec<RuleDiagnostic>), RuleDiagnostic> {
    let raw: RawFile = toml::from_str(text).map_err(|e| RuleDiagnostic {
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        message: e.message().trim().to_owned(),
    })?;
    let mut c = Compiler {
        text,
        spec,
        missing: spec.map_or_else(MissingTokens::default, Spec::missing_tokens),
        diagnostics: Vec::new(),
        fields: Vec::new(),
    };
    let set = c.file(&raw);
    let mut diagnostics = c.diagnostics;
    diagnostics.sort_by_key(|d| d.line);
    Ok((set.filter(|_| spec.is_some()), diagnostics))
}

/// A field as the compiler knows it: its kind is unknown without a spec.
struct FieldSlot {
    name: String,
    kind: Option<Kind>,
    fold: bool,
    format: DateFormat,
}

struct Compiler<'t> {
    text: &'t str,
    spec: Option<&'t Spec>,
    missing: MissingTokens,
    diagnostics: Vec<RuleDiagnostic>,
    fields: Vec<FieldSlot>,
}

/// Whether `points` is a number of points a file may name: finite, within ±[`MAX_POINTS`].
fn within_points(points: f64) -> bool {
    points.is_finite() && points.abs() <= MAX_POINTS
}

/// A number as a message shows it: `1e308` rather than its 309 digits.
fn shown(x: f64) -> String {
    if x.is_finite() && (x.abs() >= 1e7 || (x != 0.0 && x.abs() < 1e-3)) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

/// The end of a message about a number of points out of range.
const POINTS_RANGE: &str =
    " is not a finite number from -1000000 to 1000000 (the range of points, caps and thresholds)";

fn describe(value: &toml::Value) -> String {
    match value {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Numeric => "a number",
        Kind::Categorical => "a text (categorical)",
        Kind::Boolean => "a yes/no",
        Kind::Date => "a date",
    }
}

/// A range as (lower, upper) for the overlap check; `None` = unbounded.
type Interval = (Option<Bound>, Option<Bound>);

/// Whether two intervals share a point.
fn overlap(a: &Interval, b: &Interval) -> bool {
    // The tighter lower bound: the larger value; at equal values exclusive wins.
    let lower = match (a.0, b.0) {
        (Some(x), Some(y)) => Some(if x.value > y.value || (x.value == y.value && !x.inclusive) { x } else { y }),
        (x, y) => x.or(y),
    };
    let upper = match (a.1, b.1) {
        (Some(x), Some(y)) => Some(if x.value < y.value || (x.value == y.value && !x.inclusive) { x } else { y }),
        (x, y) => x.or(y),
    };
    match (lower, upper) {
        (Some(l), Some(u)) => l.value < u.value || (l.value == u.value && l.inclusive && u.inclusive),
        _ => true,
    }
}

fn show_interval(field: &str, (lower, upper): &Interval) -> String {
    let num = |b: &Bound| number_text(b.value);
    match (lower, upper) {
        (Some(l), Some(u)) if l.value == u.value && l.inclusive && u.inclusive => format!("`{field}` = {}", num(l)),
        (Some(l), Some(u)) => format!(
            "`{field}` {} {} and {} {}",
            if l.inclusive { ">=" } else { ">" },
            num(l),
            if u.inclusive { "<=" } else { "<" },
            num(u)
        ),
        (Some(l), None) => format!("`{field}` {} {}", if l.inclusive { ">=" } else { ">" }, num(l)),
        (None, Some(u)) => format!("`{field}` {} {}", if u.inclusive { "<=" } else { "<" }, num(u)),
        (None, None) => format!("any `{field}`"),
    }
}

/// A number as a person writes it (`30`, `2.5`).
pub(crate) fn number_text(x: f64) -> String {
    format!("{x}")
}

impl Compiler<'_> {
    fn line(&self, span: Range<usize>) -> u64 {
        line_of(self.text, span.start)
    }

    fn error(&mut self, span: Range<usize>, message: String) {
        let line = self.line(span);
        self.diagnostics.push(RuleDiagnostic { line, message });
    }

    fn file(&mut self, raw: &RawFile) -> Option<RuleSet> {
        let mql_threshold = match &raw.mql_threshold {
            None => {
                self.diagnostics.push(RuleDiagnostic {
                    line: 1,
                    message: "`mql_threshold` is missing: say how many points make a lead an MQL".into(),
                });
                None
            }
            Some(t) if !within_points(*t.get_ref()) => {
                self.error(t.span(), format!("`mql_threshold` = {}{}", shown(*t.get_ref()), POINTS_RANGE));
                None
            }
            Some(t) => Some(*t.get_ref()),
        };
        let as_of = raw.as_of.as_ref().and_then(|v| {
            let day = match v.get_ref() {
                toml::Value::String(s) => parse_day(s),
                toml::Value::Datetime(d) => parse_day(&d.to_string()),
                _ => None,
            };
            if day.is_none() {
                self.error(v.span(), format!("`as_of` = {} is not a date like \"2025-12-31\"", describe(v.get_ref())));
            }
            day
        });
        // Groups in the order the file declares them.
        let mut raw_groups: Vec<(&String, &Spanned<RawGroup>)> = raw.groups.iter().collect();
        raw_groups.sort_by_key(|(_, g)| g.span().start);
        let mut groups = Vec::new();
        let mut group_lines = Vec::new();
        for (name, g) in &raw_groups {
            let context = format!("group `{name}`");
            let (min, max) = self.caps(g.get_ref().min.as_ref(), g.get_ref().max.as_ref(), &context);
            let decay = g.get_ref().decay.as_ref().and_then(|d| self.decay(d, &context, as_of));
            groups.push(Group { name: (*name).clone(), description: g.get_ref().description.clone(), max, min, decay });
            group_lines.push(g.span());
        }
        if raw.rules.is_empty() {
            self.diagnostics.push(RuleDiagnostic {
                line: 1,
                message: "the rule set is empty: add at least one [[rules]] table".into(),
            });
        }
        let mut rules = Vec::new();
        let mut ok = true;
        let mut names: BTreeMap<String, u64> = BTreeMap::new();
        let mut used_groups = vec![false; groups.len()];
        for raw_rule in &raw.rules {
            let line = self.line(raw_rule.span());
            let r = raw_rule.get_ref();
            let name = r.name.get_ref().trim().to_owned();
            if name.is_empty() {
                self.error(r.name.span(), "a rule has an empty `name`".into());
            } else if let Some(first) = names.get(&name) {
                self.error(r.name.span(), format!("rule name `{name}` is used twice (first on line {first})"));
            } else {
                names.insert(name.clone(), self.line(r.name.span()));
            }
            match self.rule(r, &name, line, &groups, as_of) {
                Some(rule) => {
                    if let Some(g) = rule.group {
                        used_groups[g] = true;
                    }
                    rules.push(rule);
                }
                None => ok = false,
            }
        }
        for ((used, group), span) in used_groups.iter().zip(&groups).zip(&group_lines) {
            if !*used && ok {
                self.error(
                    span.clone(),
                    format!("group `{}` has no rules (is a rule's `group` misspelt?)", group.name),
                );
            }
        }
        self.overlaps(&rules);
        let fields: Vec<Field> = self
            .fields
            .iter()
            .map(|f| Field {
                name: f.name.clone(),
                kind: f.kind.unwrap_or(Kind::Numeric),
                fold: f.fold,
                format: f.format,
            })
            .collect();
        let mql_threshold = mql_threshold?;
        if !ok {
            return None;
        }
        Some(RuleSet {
            name: raw.name.clone(),
            description: raw.description.clone(),
            mql_threshold,
            groups,
            rules,
            as_of,
            fields,
            missing: self.missing.clone(),
        })
    }

    fn caps(
        &mut self,
        min: Option<&Spanned<f64>>,
        max: Option<&Spanned<f64>>,
        context: &str,
    ) -> (Option<f64>, Option<f64>) {
        let mut finite = |v: Option<&Spanned<f64>>, key: &str| -> Option<f64> {
            let v = v?;
            if within_points(*v.get_ref()) {
                Some(*v.get_ref())
            } else {
                self.error(v.span(), format!("{context}: `{key}` = {}{POINTS_RANGE}", shown(*v.get_ref())));
                None
            }
        };
        let (lo, hi) = (finite(min, "min"), finite(max, "max"));
        if let (Some(lo), Some(hi), Some(span)) = (lo, hi, max.map(Spanned::span)) {
            if lo > hi {
                self.error(span, format!("{context}: `min` ({lo}) is above `max` ({hi})"));
            }
        }
        (lo, hi)
    }

    fn rule(&mut self, r: &RawRule, name: &str, line: u64, groups: &[Group], as_of: Option<i32>) -> Option<Rule> {
        let context = format!("rule `{name}`");
        let mut ok = true;
        let points = *r.points.get_ref();
        if !within_points(points) {
            self.error(r.points.span(), format!("{context}: `points` = {}{POINTS_RANGE}", shown(points)));
            ok = false;
        } else if points == 0.0 {
            self.error(r.points.span(), format!("{context}: gives 0 points; remove it or give it points"));
            ok = false;
        }
        let group = match &r.group {
            None => None,
            Some(g) => match groups.iter().position(|x| x.name == *g.get_ref()) {
                Some(i) => Some(i),
                None => {
                    let declared: Vec<String> = groups.iter().map(|x| format!("`{}`", x.name)).collect();
                    let known = if declared.is_empty() {
                        "the file declares no [groups.NAME]".to_owned()
                    } else {
                        format!("declared groups: {}", declared.join(", "))
                    };
                    self.error(g.span(), format!("{context}: group `{}` is not declared; {known}", g.get_ref()));
                    ok = false;
                    None
                }
            },
        };
        let per = match &r.per {
            None => None,
            Some(per) => match self.field(per, &context) {
                Some((index, kind)) => {
                    if kind.is_some_and(|k| k != Kind::Numeric) {
                        let kind = kind.map_or("", kind_name);
                        self.error(
                            per.span(),
                            format!("{context}: `per` needs a numeric field, but `{}` is {kind} column", per.get_ref()),
                        );
                        ok = false;
                    }
                    Some(index)
                }
                None => {
                    ok = false;
                    None
                }
            },
        };
        let (min, max) = self.caps(r.min.as_ref(), r.max.as_ref(), &context);
        let decay = match &r.decay {
            None => None,
            Some(d) => {
                let decay = self.decay(d, &context, as_of);
                ok &= decay.is_some();
                if let (Some(_), Some(group)) = (&decay, group.and_then(|g| groups.get(g))) {
                    if group.decay.is_some() {
                        self.error(
                            d.span(),
                            format!(
                                "{context}: decays, and so does its group `{}`: the points would decay twice",
                                group.name
                            ),
                        );
                    }
                }
                decay
            }
        };
        let when = match &r.when {
            None => None,
            Some(w) => {
                let c = self.condition(w, &context);
                ok &= c.is_some();
                c
            }
        };
        ok.then(|| Rule {
            name: name.to_owned(),
            description: r.description.clone(),
            group,
            points,
            per,
            max,
            min,
            decay,
            when,
            line,
        })
    }

    fn decay(&mut self, d: &Spanned<RawDecay>, context: &str, as_of: Option<i32>) -> Option<Decay> {
        let raw = d.get_ref();
        let (field, kind) = self.field(&raw.field, context)?;
        match kind {
            Some(Kind::Numeric) | None => {}
            Some(Kind::Date) => {
                if as_of.is_none() {
                    self.error(
                        raw.field.span(),
                        format!(
                            "{context}: decay by the date `{}` needs `as_of = \"YYYY-MM-DD\"` at the top of the file \
                             (the day recencies are counted to)",
                            raw.field.get_ref()
                        ),
                    );
                    return None;
                }
            }
            Some(kind) => {
                self.error(
                    raw.field.span(),
                    format!(
                        "{context}: decay needs days since the last activity (a number) or its date, but `{}` is {} column",
                        raw.field.get_ref(),
                        kind_name(kind)
                    ),
                );
                return None;
            }
        }
        match (&raw.half_life_days, &raw.after_days, &raw.minus) {
            (Some(h), None, None) => {
                let days = *h.get_ref();
                if days.is_finite() && days > 0.0 {
                    Some(Decay::HalfLife { field, days })
                } else {
                    self.error(h.span(), format!("{context}: `half_life_days` must be a positive number, got {days}"));
                    None
                }
            }
            (None, Some(after), Some(minus)) => {
                let (after_days, points) = (*after.get_ref(), *minus.get_ref());
                if !(after_days.is_finite() && after_days >= 0.0) {
                    self.error(after.span(), format!("{context}: `after_days` must be 0 or more, got {after_days}"));
                    None
                } else if !(within_points(points) && points > 0.0) {
                    self.error(
                        minus.span(),
                        format!(
                            "{context}: `minus` must be a positive number of points, got {} (at most {MAX_POINTS})",
                            shown(points)
                        ),
                    );
                    None
                } else {
                    Some(Decay::Step { field, after_days, minus: points })
                }
            }
            _ => {
                self.error(
                    d.span(),
                    format!("{context}: a decay is either `half_life_days = N` or `after_days = D` with `minus = P`"),
                );
                None
            }
        }
    }

    /// Resolves a field name; with a spec it must be a feature or the time column.
    fn field(&mut self, name: &Spanned<String>, context: &str) -> Option<(usize, Option<Kind>)> {
        let column = name.get_ref().as_str();
        if let Some(i) = self.fields.iter().position(|f| f.name == column) {
            return Some((i, self.fields[i].kind));
        }
        let (kind, fold) = match self.spec {
            None => (None, true),
            Some(spec) => {
                if let Some(feature) = spec.features.get(column) {
                    (Some(feature.kind), spec.normalize(feature))
                } else if spec.time_column.as_deref() == Some(column) {
                    (Some(Kind::Date), true)
                } else {
                    let why = if column == spec.target.column {
                        "is the outcome itself: rules score leads before it is known".to_owned()
                    } else if let Some(reason) = spec.exclude.get(column) {
                        format!("is excluded by the spec ({reason})")
                    } else if spec.ids.iter().any(|id| id == column) {
                        "is an id column, not a lead attribute".to_owned()
                    } else {
                        match crate::names::did_you_mean(spec.features.keys().map(String::as_str), column) {
                            Some(best) => format!("is not a column of the spec; did you mean `{best}`?"),
                            _ => format!(
                                "is not a column of the spec; its columns are: {}",
                                spec.features.keys().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            ),
                        }
                    };
                    self.error(name.span(), format!("{context}: field `{column}` {why}"));
                    return None;
                }
            }
        };
        let format = self.spec.map(|spec| spec.date_format(column)).unwrap_or_default();
        self.fields.push(FieldSlot { name: column.to_owned(), kind, fold, format });
        Some((self.fields.len() - 1, kind))
    }

    /// A single value of an `equals`/`in`, typed as the field.
    fn literal(&mut self, v: &Spanned<toml::Value>, field: usize, context: &str) -> Option<Literal> {
        let (name, kind, fold) = {
            let f = &self.fields[field];
            (f.name.clone(), f.kind, f.fold)
        };
        let value = v.get_ref();
        let mismatch = |what: &str| format!("{context}: {what} {} compared with `{name}`", describe(value));
        let result = match (kind, value) {
            (_, toml::Value::Array(_) | toml::Value::Table(_)) => {
                Err(format!("{context}: expected a single value for `{name}`, got {}", describe(value)))
            }
            (None, toml::Value::Integer(i)) => Ok(Literal::Number(*i as f64)),
            (None, toml::Value::Float(x)) => Ok(Literal::Number(*x)),
            (None, toml::Value::Boolean(b)) => Ok(Literal::Bool(*b)),
            (None, toml::Value::String(s)) => Ok(Literal::Text(normalize_category(s, true).into_owned())),
            (None, toml::Value::Datetime(d)) => Ok(Literal::Text(d.to_string())),
            (Some(Kind::Numeric), toml::Value::Integer(i)) => Ok(Literal::Number(*i as f64)),
            (Some(Kind::Numeric), toml::Value::Float(x)) => Ok(Literal::Number(*x)),
            (Some(Kind::Numeric), toml::Value::String(s)) if s.trim().parse::<f64>().is_ok() => {
                Err(format!("{context}: `{name}` is a number column; write {} without quotes", s.trim()))
            }
            (Some(Kind::Numeric), _) => Err(format!("{} (a number column)", mismatch("the text value"))),
            (Some(Kind::Categorical), toml::Value::String(s)) => {
                Ok(Literal::Text(normalize_category(s, fold).into_owned()))
            }
            (Some(Kind::Categorical), toml::Value::Integer(i)) => Ok(Literal::Text(i.to_string())),
            (Some(Kind::Categorical), toml::Value::Float(x)) => Ok(Literal::Text(x.to_string())),
            (Some(Kind::Categorical), toml::Value::Boolean(b)) => Ok(Literal::Text(b.to_string())),
            (Some(Kind::Categorical), toml::Value::Datetime(d)) => {
                Ok(Literal::Text(normalize_category(&d.to_string(), fold).into_owned()))
            }
            (Some(Kind::Boolean), toml::Value::Boolean(b)) => Ok(Literal::Bool(*b)),
            (Some(Kind::Boolean), toml::Value::Integer(i @ (0 | 1))) => Ok(Literal::Bool(*i == 1)),
            (Some(Kind::Boolean), toml::Value::String(s)) => parse_bool(s)
                .map(Literal::Bool)
                .ok_or_else(|| format!("{} (a yes/no column: use true or false)", mismatch("the value"))),
            (Some(Kind::Boolean), _) => Err(format!("{} (a yes/no column: use true or false)", mismatch("the value"))),
            (Some(Kind::Date), toml::Value::String(s)) => parse_day(s)
                .map(Literal::Day)
                .ok_or_else(|| format!("{} (a date column: write dates like \"2024-06-01\")", mismatch("the value"))),
            (Some(Kind::Date), toml::Value::Datetime(d)) => parse_day(&d.to_string())
                .map(Literal::Day)
                .ok_or_else(|| format!("{} (a date column: write dates like \"2024-06-01\")", mismatch("the value"))),
            (Some(Kind::Date), _) => {
                Err(format!("{} (a date column: write dates like \"2024-06-01\")", mismatch("the number")))
            }
        };
        match result {
            Ok(Literal::Number(x)) if !x.is_finite() => {
                self.error(v.span(), format!("{context}: {x} is not a finite number"));
                None
            }
            Ok(l) => Some(l),
            Err(message) => {
                self.error(v.span(), message);
                None
            }
        }
    }

    /// A bound of `gt`/`gte`/`lt`/`lte`: a number, or a date for date fields.
    fn bound(&mut self, key: &str, v: &Spanned<toml::Value>, field: usize, context: &str) -> Option<f64> {
        let (name, kind) = (self.fields[field].name.clone(), self.fields[field].kind);
        let value = v.get_ref();
        let number = match value {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(x) if x.is_finite() => Some(*x),
            _ => None,
        };
        let day = match value {
            toml::Value::String(s) => parse_day(s),
            toml::Value::Datetime(d) => parse_day(&d.to_string()),
            _ => None,
        };
        let result = match kind {
            Some(Kind::Numeric) => number.ok_or_else(|| {
                let what = if value.is_str() { "the text value" } else { "the value" };
                format!("{context}: {what} {} compared with the number column `{name}`", describe(value))
            }),
            Some(Kind::Date) => day.map(f64::from).ok_or_else(|| {
                format!(
                    "{context}: `{key}` on the date column `{name}` needs a date like \"2024-06-01\", got {}",
                    describe(value)
                )
            }),
            Some(other) => Err(format!(
                "{context}: `{key}` compares numbers or dates, but `{name}` is {} column",
                kind_name(other)
            )),
            None => number
                .or(day.map(f64::from))
                .ok_or_else(|| format!("{context}: `{key}` needs a number or a date, got {}", describe(value))),
        };
        match result {
            Ok(x) => Some(x),
            Err(message) => {
                self.error(v.span(), message);
                None
            }
        }
    }

    fn condition(&mut self, w: &Spanned<RawCondition>, context: &str) -> Option<Condition> {
        let c = w.get_ref();
        let span = w.span();
        let range = [&c.gt, &c.gte, &c.lt, &c.lte].iter().any(|x| x.is_some());
        let tests: Vec<&str> = [
            (c.equals.is_some(), "equals"),
            (c.in_.is_some(), "in"),
            (range, "gt/gte/lt/lte"),
            (c.present.is_some(), "present"),
            (c.contains.is_some(), "contains"),
            (c.all.is_some(), "all"),
            (c.any.is_some(), "any"),
            (c.not.is_some(), "not"),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, name)| *name)
        .collect();
        if tests.len() != 1 {
            let message = if tests.is_empty() {
                format!(
                    "{context}: the condition tests nothing; use one of equals, in, gt/gte/lt/lte, present, contains, all, any, not"
                )
            } else {
                format!(
                    "{context}: one condition, one test: this one has {} (combine tests with all = [...] or any = [...])",
                    tests.join(", ")
                )
            };
            self.error(span, message);
            return None;
        }
        let combinator = c.all.is_some() || c.any.is_some() || c.not.is_some();
        if combinator {
            if let Some(f) = &c.field {
                self.error(
                    f.span(),
                    format!("{context}: `field` goes inside the conditions of all/any/not, not beside them"),
                );
                return None;
            }
            if let Some(inner) = &c.not {
                return self.condition(inner, context).map(|c| Condition::Not(Box::new(c)));
            }
            let (list, is_all) = match (&c.all, &c.any) {
                (Some(list), _) => (list, true),
                (None, Some(list)) => (list, false),
                (None, None) => return None,
            };
            if list.get_ref().is_empty() {
                let key = if is_all { "all" } else { "any" };
                self.error(list.span(), format!("{context}: `{key}` has no conditions"));
                return None;
            }
            let mut parts = Vec::new();
            let mut ok = true;
            for part in list.get_ref() {
                match self.condition(part, context) {
                    Some(p) => parts.push(p),
                    None => ok = false,
                }
            }
            return ok.then_some(if is_all { Condition::All(parts) } else { Condition::Any(parts) });
        }
        let Some(field_name) = &c.field else {
            self.error(span, format!("{context}: the condition names no `field`"));
            return None;
        };
        let (field, kind) = self.field(field_name, context)?;
        if let Some(v) = &c.equals {
            return self.literal(v, field, context).map(|value| Condition::Equals { field, value });
        }
        if let Some(list) = &c.in_ {
            if list.get_ref().is_empty() {
                self.error(list.span(), format!("{context}: `in` lists no values"));
                return None;
            }
            let mut values = Vec::new();
            let mut ok = true;
            for v in list.get_ref() {
                match self.literal(v, field, context) {
                    Some(l) => values.push(l),
                    None => ok = false,
                }
            }
            return ok.then_some(Condition::In { field, values });
        }
        if let Some(present) = &c.present {
            return Some(Condition::Present { field, present: *present.get_ref() });
        }
        if let Some(needles) = &c.contains {
            if let Some(kind) = kind.filter(|k| *k != Kind::Categorical) {
                self.error(
                    needles.span(),
                    format!(
                        "{context}: `contains` searches text, but `{}` is {} column",
                        field_name.get_ref(),
                        kind_name(kind)
                    ),
                );
                return None;
            }
            let fold = self.fields[field].fold;
            let texts: Vec<&toml::Value> = match needles.get_ref() {
                toml::Value::Array(items) => items.iter().collect(),
                single => vec![single],
            };
            let mut out = Vec::new();
            for t in texts {
                match t {
                    toml::Value::String(s) if !s.trim().is_empty() => {
                        out.push(normalize_category(s, fold).into_owned())
                    }
                    other => {
                        self.error(
                            needles.span(),
                            format!("{context}: `contains` needs non-empty text, got {}", describe(other)),
                        );
                        return None;
                    }
                }
            }
            if out.is_empty() {
                self.error(needles.span(), format!("{context}: `contains` lists no text"));
                return None;
            }
            return Some(Condition::Contains { field, needles: out });
        }
        // A range.
        if c.gt.is_some() && c.gte.is_some() || c.lt.is_some() && c.lte.is_some() {
            self.error(span, format!("{context}: give one lower bound (gt or gte) and one upper bound (lt or lte)"));
            return None;
        }
        let mut bound = |key: &str, v: &Option<Spanned<toml::Value>>, inclusive: bool| -> Option<Option<Bound>> {
            match v {
                None => Some(None),
                Some(v) => self.bound(key, v, field, context).map(|value| Some(Bound { value, inclusive })),
            }
        };
        let lower = if c.gte.is_some() { bound("gte", &c.gte, true) } else { bound("gt", &c.gt, false) };
        let upper = if c.lte.is_some() { bound("lte", &c.lte, true) } else { bound("lt", &c.lt, false) };
        let (lower, upper) = (lower?, upper?);
        if !overlap(&(lower, upper), &(None, None)) {
            self.error(
                span,
                format!(
                    "{context}: the range {} is empty: no lead can match it",
                    show_interval(field_name.get_ref(), &(lower, upper))
                ),
            );
            return None;
        }
        Some(Condition::Range { field, lower, upper })
    }

    /// Two rules whose conditions are ranges (or `equals` a number) on the same
    /// field and overlap: a lead in the overlap gets both rules' points, which
    /// is almost always a tier table with an off-by-one.
    fn overlaps(&mut self, rules: &[Rule]) {
        let interval = |c: &Condition| -> Option<(usize, Interval)> {
            match c {
                Condition::Range { field, lower, upper } => Some((*field, (*lower, *upper))),
                Condition::Equals { field, value: Literal::Number(x) } => {
                    let b = Some(Bound { value: *x, inclusive: true });
                    Some((*field, (b, b)))
                }
                Condition::Equals { field, value: Literal::Day(d) } => {
                    let b = Some(Bound { value: f64::from(*d), inclusive: true });
                    Some((*field, (b, b)))
                }
                _ => None,
            }
        };
        let ranged: Vec<(&Rule, usize, Interval)> = rules
            .iter()
            .filter(|r| r.per.is_none())
            .filter_map(|r| r.when.as_ref().and_then(interval).map(|(f, i)| (r, f, i)))
            .collect();
        for (i, (a, field_a, range_a)) in ranged.iter().enumerate() {
            for (b, field_b, range_b) in &ranged[i + 1..] {
                if field_a == field_b && overlap(range_a, range_b) {
                    let name = self.fields[*field_a].name.clone();
                    self.diagnostics.push(RuleDiagnostic {
                        line: b.line,
                        message: format!(
                            "rule `{}` ({}) overlaps rule `{}` on line {} ({}): a lead in both ranges gets both rules' points; \
                             make the ranges disjoint (e.g. gte = 10 and lt = 20, then gte = 20)",
                            b.name,
                            show_interval(&name, range_b),
                            a.name,
                            a.line,
                            show_interval(&name, range_a)
                        ),
                    });
                }
            }
        }
    }
}
