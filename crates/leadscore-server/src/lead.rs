//! Reading a JSON lead against a model version's fields.
//!
//! A request's leads arrive as JSON objects. [`parse_leads`] reads the `leads` array
//! against the model's [`Fields`] while parsing: it stops keeping leads past the lead
//! limit (the rest are only counted, never built), and keeps only the fields the model
//! (or the server's rules) reads, so a lead carrying hundreds of other fields costs what
//! its used fields cost; the names of the others are collected once per request. Each
//! kept field is converted to the core's [`RawValue`], which the scorer reads as it reads
//! a CSV cell. Errors name the lead and the field and never quote the value (lead data can
//! be personal).

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use leadscore_core::date::DateFormat;
use leadscore_core::report::DistributionSummary;
use leadscore_core::spec::Kind;
use leadscore_core::table::read;
use leadscore_core::value::{MissingTokens, RawValue};
use leadscore_core::Artifact;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use crate::error::FieldError;

/// Distinct unused field names tracked per request: past this many, a request is only
/// told that there are more (a body can hold a million distinct names).
pub const MAX_UNUSED_NAMES: usize = 1_000;

/// A lead read strictly against the model's features.
pub struct ReadLead<'a> {
    /// The `id`, if any.
    pub id: Option<Value>,
    /// Values by [`Fields`] slot (`Missing` where the lead has none).
    pub values: Vec<RawValue<'a>>,
    /// Values read but far outside what training saw (scored, with this warning).
    pub warnings: Vec<String>,
}

impl<'a> ReadLead<'a> {
    /// The value of the model's `i`-th input (its features, then the time column when a date's
    /// age is measured from it: `Encoder::inputs`).
    pub fn feature(&self, fields: &Fields, i: usize) -> RawValue<'a> {
        fields.features.get(i).and_then(|&slot| self.values.get(slot)).copied().unwrap_or(RawValue::Missing)
    }

    /// The value at a slot of the [`Fields`] it was read with (`Missing` when none).
    pub fn slot(&self, slot: usize) -> RawValue<'a> {
        self.values.get(slot).copied().unwrap_or(RawValue::Missing)
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
    /// The slot of each of the model's inputs (`Encoder::inputs`), in the model's order.
    features: Vec<usize>,
    /// The spec's missing tokens: a JSON string is read as a CSV cell is.
    missing: MissingTokens,
    /// By slot: the training range (first and last decile) of numeric features.
    ranges: HashMap<usize, (f64, f64)>,
    /// How each date field writes its dates (the model's spec decides).
    formats: HashMap<String, DateFormat>,
    /// Slots from here on are read only for a challenger's shadow scoring ([`Fields::with_shadow`]).
    shadow_from: Option<usize>,
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
        if let Some(time) = artifact.encoder.inputs().get(artifact.encoder.features.len()) {
            let slot = fields.slot(time, Kind::Date);
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

    /// These fields and `shadow` fields read only for a challenger's shadow scoring: a request
    /// is answered as without them (still named as unused, never an error or a warning of its
    /// own), their values kept for the challenger as they arrived.
    pub fn with_shadow(mut self, shadow: impl IntoIterator<Item = (String, Kind)>) -> Fields {
        let from = self.index.len();
        for (name, kind) in shadow {
            self.slot(&name, kind);
        }
        self.shadow_from = Some(from);
        self
    }

    /// Whether `slot` is read only for a challenger.
    fn shadow_only(&self, slot: usize) -> bool {
        self.shadow_from.is_some_and(|from| slot >= from)
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

/// The leads of a request as [`parse_leads`] kept them.
#[derive(Debug, Default)]
pub struct Leads {
    /// Each lead's `id`, the fields the model or the rules read, and the caller's `keep` field,
    /// in request order (empty when there are too many).
    pub leads: Vec<serde_json::Map<String, Value>>,
    /// How many leads the request holds (counted to the end, past the limit).
    pub count: usize,
    /// Fields the model does not use: each name once (at most [`MAX_UNUSED_NAMES`]).
    pub unused: Unused,
}

/// The fields of a request that the model does not use, each said once.
#[derive(Debug, Default)]
pub struct Unused {
    /// Name → (the first lead carrying it, how many leads do).
    pub names: BTreeMap<String, (usize, usize)>,
    /// More distinct names arrived than are tracked.
    pub more: bool,
}

impl Unused {
    fn note(&mut self, name: &str, lead: usize) {
        if let Some((_, count)) = self.names.get_mut(name) {
            *count += 1;
        } else if self.names.len() < MAX_UNUSED_NAMES {
            self.names.insert(name.to_owned(), (lead, 1));
        } else {
            self.more = true;
        }
    }

    /// The request's warnings about them: one per name (with how many leads carried it).
    pub fn warnings(&self, n_leads: usize) -> Vec<String> {
        let mut out: Vec<String> = self
            .names
            .iter()
            .map(|(name, (_, count))| {
                format!("`{name}` is not used by the model (renamed column?): in {count} of {n_leads} leads")
            })
            .collect();
        if self.more {
            out.push(format!(
                "more than {MAX_UNUSED_NAMES} distinct fields are not used by the model; the first are listed"
            ));
        }
        out
    }

    /// Strict mode's errors about them: one per name, at the first lead carrying it.
    pub fn errors(&self) -> Vec<FieldError> {
        self.names
            .iter()
            .map(|(name, &(first, count))| FieldError {
                lead: first,
                field: name.clone(),
                reason: format!(
                    "the model does not use this field (strict mode; {count} lead{} carry it)",
                    if count == 1 { "" } else { "s" }
                ),
            })
            .collect()
    }
}

/// Reads a `leads` array (the JSON text of it) against `fields`: at most `max` leads are
/// kept (past that the rest are counted without being built, and none are kept), each with
/// its `id`, the fields in `fields` and `keep` (a caller's own field, such as the outcome).
/// The names of other fields go to [`Leads::unused`] once each. The error is serde_json's,
/// its position relative to `leads`.
pub fn parse_leads(leads: &str, fields: &Fields, keep: Option<&str>, max: usize) -> serde_json::Result<Leads> {
    let mut de = serde_json::Deserializer::from_str(leads);
    let parsed = LeadsSeed { fields, keep, max }.deserialize(&mut de)?;
    de.end()?;
    Ok(parsed)
}

struct LeadsSeed<'f> {
    fields: &'f Fields,
    keep: Option<&'f str>,
    max: usize,
}

impl<'de> DeserializeSeed<'de> for LeadsSeed<'_> {
    type Value = Leads;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Leads, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LeadsSeed<'_> {
    type Value = Leads;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of leads (objects)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leads, A::Error> {
        let mut out = Leads::default();
        loop {
            if out.count == self.max {
                // The limit is reached: the rest is counted, not built, and what was kept goes.
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    out.count += 1;
                }
                if out.count > self.max {
                    out.leads = Vec::new();
                    out.unused = Unused::default();
                }
                return Ok(out);
            }
            let lead = LeadSeed { fields: self.fields, keep: self.keep, index: out.count, unused: &mut out.unused };
            match seq.next_element_seed(lead)? {
                Some(lead) => {
                    out.leads.push(lead);
                    out.count += 1;
                }
                None => return Ok(out),
            }
        }
    }
}

struct LeadSeed<'f, 'u> {
    fields: &'f Fields,
    keep: Option<&'f str>,
    index: usize,
    unused: &'u mut Unused,
}

impl<'de> DeserializeSeed<'de> for LeadSeed<'_, '_> {
    type Value = serde_json::Map<String, Value>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LeadSeed<'_, '_> {
    type Value = serde_json::Map<String, Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lead (an object of fields)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut lead = serde_json::Map::new();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if name == "id" || self.fields.get(&name).is_some() || self.keep == Some(&*name) {
                if self.fields.get(&name).is_some_and(|(slot, _)| self.fields.shadow_only(slot)) {
                    // Read for the challenger; to the client, as unused as without it.
                    self.unused.note(&name, self.index);
                }
                let value: Value = map.next_value()?;
                lead.insert(name.into_owned(), value);
            } else {
                map.next_value::<IgnoredAny>()?;
                self.unused.note(&name, self.index);
            }
        }
        Ok(lead)
    }
}

/// A field name, borrowed from the body unless it has escapes: an unused one costs nothing.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
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
    let mut out = ReadLead { id: None, values: vec![RawValue::Missing; fields.len()], warnings: Vec::new() };
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
        // Fields the model does not use were left out by `parse_leads` (a caller's own
        // fields, such as `/v1/compare`'s outcome, are read by that caller).
        let Some((slot, kind)) = fields.get(field.as_str()) else { continue };
        if fields.shadow_only(slot) {
            // Only the challenger reads it, with its own readers: no error or warning here.
            let raw = match value {
                Value::String(s) if !s.trim().is_empty() => RawValue::Text(s),
                Value::Number(n) => n.as_f64().filter(|x| x.is_finite()).map_or(RawValue::Missing, RawValue::Number),
                Value::Bool(b) => RawValue::Bool(*b),
                _ => RawValue::Missing,
            };
            if let Some(v) = out.values.get_mut(slot) {
                *v = raw;
            }
            continue;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let bytes = std::fs::read(format!("{root}/models/leads/v1/model.bin")).unwrap();
        Fields::new(&Artifact::from_bytes(&bytes).unwrap(), [("job_title".to_owned(), Kind::Categorical)])
    }

    #[test]
    fn leads_keep_the_fields_read_and_name_the_others_once() {
        let text = r#"[{"id": 1, "page_views": 3, "colour": "red", "job_title": "CEO", "k\u00e9y": 1},
                       {"colour": "blue", "outcome": "won"}]"#;
        let leads = parse_leads(text, &fields(), Some("outcome"), 10).unwrap();
        assert_eq!(leads.count, 2);
        let keys: Vec<Vec<&str>> = leads.leads.iter().map(|l| l.keys().map(String::as_str).collect()).collect();
        assert_eq!(keys, [vec!["id", "job_title", "page_views"], vec!["outcome"]]);
        let unused: Vec<(&str, (usize, usize))> = leads.unused.names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(unused, [("colour", (0, 2)), ("kéy", (0, 1))]);
        assert_eq!(leads.unused.warnings(2)[0], "`colour` is not used by the model (renamed column?): in 2 of 2 leads");
        assert_eq!(
            leads.unused.errors()[0].reason,
            "the model does not use this field (strict mode; 2 leads carry it)"
        );
    }

    #[test]
    fn leads_past_the_limit_are_counted_not_kept() {
        let text = format!("[{}]", vec![r#"{"page_views": 1, "x": 2}"#; 25].join(","));
        let leads = parse_leads(&text, &fields(), None, 10).unwrap();
        assert_eq!((leads.count, leads.leads.len(), leads.unused.names.len()), (25, 0, 0));
        let leads = parse_leads(&text, &fields(), None, 25).unwrap();
        assert_eq!((leads.count, leads.leads.len()), (25, 25));
        // Within the limit a lead must be an object; past it, leads are only counted.
        assert!(parse_leads(r#"[{}, 3]"#, &fields(), None, 10).is_err());
        assert_eq!(parse_leads(r#"[{}, {}, 3]"#, &fields(), None, 1).unwrap().count, 3);
    }

    #[test]
    fn unused_names_are_tracked_up_to_their_limit() {
        let names: Vec<String> = (0..MAX_UNUSED_NAMES + 5).map(|i| format!(r#""f{i}": 0"#)).collect();
        let text = format!("[{{{}}}]", names.join(","));
        let leads = parse_leads(&text, &fields(), None, 10).unwrap();
        assert_eq!(leads.unused.names.len(), MAX_UNUSED_NAMES);
        assert!(leads.unused.more);
        assert_eq!(leads.unused.warnings(1).len(), MAX_UNUSED_NAMES + 1);
    }
}
