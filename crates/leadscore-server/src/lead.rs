//! Reading a JSON lead against a model version's fields.
//!
//! A request's leads arrive as JSON objects; each field the model (or the
//! server's rules) reads is looked up once in [`Fields`] and converted to the
//! core's [`RawValue`], which the scorer reads as it reads a CSV cell. Errors
//! name the lead and the field and never quote the value (lead data can be
//! personal).

use std::collections::HashMap;

use leadscore_core::spec::Kind;
use leadscore_core::value::{parse_bool, parse_day, RawValue};
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
            (Kind::Date, Value::String(s)) if parse_day(s).is_some() || s.trim().is_empty() => RawValue::Text(s),
            (Kind::Date, Value::String(_)) => {
                fail("expected a date (YYYY-MM-DD or RFC 3339)".into());
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
