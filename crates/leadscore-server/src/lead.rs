//! Reading a JSON lead against a model version's fields.
//!
//! A request's leads arrive as JSON objects; each field the model (or the
//! server's rules) reads is looked up once in [`Fields`] and converted to the
//! core's [`RawValue`], which the scorer reads as it reads a CSV cell. Errors
//! name the lead and the field and never quote the value (lead data can be
//! personal).

use std::collections::HashMap;

use leadscore_core::date::DateFormat;
use leadscore_core::report::DistributionSummary;
use leadscore_core::spec::Kind;
use leadscore_core::table::read;
use leadscore_core::value::{MissingTokens, RawValue};
use leadscore_core::Artifact;
use serde_json::Value;

use crate::error::FieldError;

/// A lead read strictly against the model's features.
pub struct ReadLead<'a> {
    /// The `id`, if any.
    pub id: Option<Value>,
    /// Values by [`Fields`] slot (`Missing` where the lead has none).
    pub values: Vec<RawValue<'a>>,
    /// Fields the model does not use.
    pub unused: Vec<String>,
    /// Values read but far outside what training saw (scored, with this warning).
    pub warnings: Vec<String>,
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
    /// The spec's missing tokens: a JSON string is read as a CSV cell is.
    missing: MissingTokens,
    /// By slot: the training range (first and last decile) of numeric features.
    ranges: HashMap<usize, (f64, f64)>,
    /// How each date field writes its dates (the model's spec decides).
    formats: HashMap<String, DateFormat>,
}

/// How far outside its training range a number may be before it is flagged: one range
/// width beyond either end (at least 1), so values a little past the largest seen pass.
pub fn far_outside(x: f64, (min, max): (f64, f64)) -> bool {
    let width = (max - min).max(1.0);
    x < min - width || x > max + width
}

impl Fields {
    /// The model's features, then `extra` fields it does not have (the rules').
    pub fn new(artifact: &Artifact, extra: impl IntoIterator<Item = (String, Kind)>) -> Fields {
        let mut fields = Fields { missing: MissingTokens::new(&artifact.spec.missing), ..Fields::default() };
        for feature in &artifact.encoder.features {
            let slot = fields.slot(&feature.name, feature.transform.kind());
            fields.features.push(slot);
            let numeric = feature.transform.kind() == Kind::Numeric;
            let summary = artifact.distributions.iter().find(|d| d.feature == feature.name).map(|d| &d.summary);
            if let (true, Some(DistributionSummary::Numeric { deciles, .. })) = (numeric, summary) {
                if let (Some(&min), Some(&max)) = (deciles.first(), deciles.last()) {
                    fields.ranges.insert(slot, (min, max));
                }
            }
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

fn expects(kind: Kind) -> &'static str {
    match kind {
        Kind::Numeric => {
            "a number (a JSON number, or a string read as a CSV cell: `15`, ` 15 `, `1e3`, a missing token)"
        }
        Kind::Categorical => "a category (a string)",
        Kind::Boolean => "yes/no (true/false, 1/0, or a string such as `yes`, `no`, `true`, `0`)",
        Kind::Date => "a date (a string in the column's format, yyyy-mm-dd unless the spec says otherwise)",
    }
}

fn expects_strict(kind: Kind) -> &'static str {
    match kind {
        Kind::Numeric => "a JSON number (strict mode)",
        Kind::Categorical => "a string (strict mode)",
        Kind::Boolean => "true or false (strict mode)",
        Kind::Date => "a date string (strict mode)",
    }
}

/// Reads one lead: each JSON value becomes the cell the CSV path would read (numbers,
/// strings, booleans as they are; a string is read by the same cell readers as a CSV
/// cell, so `" 15 "`, `"1e3"`, `"yes"` and the spec's missing tokens mean what they mean
/// in a CSV). With `strict`, values must have their JSON type (a number for a numeric
/// field, true/false for a flag) and a number far outside the training range is an error.
/// Errors go to `errors` with the lead index and field, never quoting the value.
pub fn read_lead<'a>(
    index: usize,
    lead: &'a serde_json::Map<String, Value>,
    fields: &Fields,
    strict: bool,
    errors: &mut Vec<FieldError>,
) -> ReadLead<'a> {
    let mut out =
        ReadLead { id: None, values: vec![RawValue::Missing; fields.len()], unused: Vec::new(), warnings: Vec::new() };
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
        let strict_ok = matches!(
            (kind, value),
            (_, Value::Null)
                | (Kind::Numeric, Value::Number(_))
                | (Kind::Boolean, Value::Bool(_))
                | (Kind::Date, Value::String(_))
                | (Kind::Categorical, Value::String(_) | Value::Number(_) | Value::Bool(_))
        );
        if strict && !strict_ok {
            fail(format!("expected {}, got {}", expects_strict(kind), type_name(value)));
            continue;
        }
        let raw = match value {
            Value::Null => RawValue::Missing,
            Value::String(s) if s.trim().is_empty() => RawValue::Missing,
            Value::String(s) => RawValue::Text(s),
            Value::Number(n) => match n.as_f64() {
                Some(x) if x.is_finite() => RawValue::Number(x),
                _ => {
                    fail("expected a finite number".into());
                    continue;
                }
            },
            // A CSV cell `true` is no number either.
            Value::Bool(_) if kind == Kind::Numeric => {
                fail(format!("expected {}, got a boolean", expects(kind)));
                continue;
            }
            Value::Bool(b) => RawValue::Bool(*b),
            other => {
                fail(format!("expected {}, got {}", expects(kind), type_name(other)));
                continue;
            }
        };
        // The CSV path's readers decide what the cell means (the scorer reads it again the same way).
        let number = match kind {
            Kind::Numeric => read::number(raw, &fields.missing, field).map_err(|_| ()),
            Kind::Boolean => read::boolean(raw, &fields.missing, field).map(|_| None).map_err(|_| ()),
            Kind::Date => {
                let format = fields.formats.get(field.as_str()).copied().unwrap_or_default();
                read::day(raw, &fields.missing, format, field).map(|_| None).map_err(|_| ())
            }
            Kind::Categorical => Ok(None),
        };
        let number = match number {
            Ok(n) => n,
            Err(()) => {
                fail(format!("expected {}", expects(kind)));
                continue;
            }
        };
        if let (Some(x), Some(&range)) = (number, fields.ranges.get(&slot)) {
            if far_outside(x, range) {
                let what = format!(
                    "far outside the training range [{}, {}]: the model never saw such values",
                    range.0, range.1
                );
                if strict {
                    fail(format!("{what} (strict mode)"));
                    continue;
                }
                out.warnings.push(format!("`{field}` is {what}"));
            }
        }
        if let Some(v) = out.values.get_mut(slot) {
            *v = raw;
        }
    }
    out
}
