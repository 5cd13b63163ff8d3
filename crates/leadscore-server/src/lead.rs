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
use std::collections::BTreeMap;
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
/// read with one hash lookup per field it carries, and scored without any. What a field
/// needs for reading (its name for errors, its training range, its date format) is kept by
/// slot.
#[derive(Clone, Debug, Default)]
pub struct Fields {
    /// Name → (slot, kind). foldhash rather than SipHash: the keys are the model's own
    /// names, and a request only looks names up (nothing it sends is inserted), so there is
    /// no table for a client to flood; a lookup was 3% of a single-lead request with SipHash.
    index: foldhash::HashMap<String, (usize, Kind)>,
    /// By slot: the field's name and kind.
    names: Vec<String>,
    kinds: Vec<Kind>,
    /// The slot of each of the model's inputs (`Encoder::inputs`), in the model's order.
    features: Vec<usize>,
    /// The spec's missing tokens: a JSON string is read as a CSV cell is.
    missing: MissingTokens,
    /// By slot: the training range (first and last decile) of a numeric feature.
    ranges: Vec<Option<(f64, f64)>>,
    /// By slot: how a date field writes its dates (the model's spec decides).
    formats: Vec<Option<DateFormat>>,
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
        let format = |name: &str, kind: Kind| (kind == Kind::Date).then(|| artifact.spec.date_format(name));
        for feature in &artifact.encoder.features {
            let slot =
                fields.slot(&feature.name, feature.transform.kind(), format(&feature.name, feature.transform.kind()));
            fields.features.push(slot);
            let numeric = feature.transform.kind() == Kind::Numeric;
            let summary = artifact.distributions.iter().find(|d| d.feature == feature.name).map(|d| &d.summary);
            if let (true, Some(DistributionSummary::Numeric { deciles, .. })) = (numeric, summary) {
                if let (Some(&min), Some(&max)) = (deciles.first(), deciles.last()) {
                    fields.ranges[slot] = Some((min, max));
                }
            }
        }
        if let Some(time) = artifact.encoder.inputs().get(artifact.encoder.features.len()) {
            let slot = fields.slot(time, Kind::Date, format(time, Kind::Date));
            fields.features.push(slot);
        }
        for (name, kind) in extra {
            fields.slot(&name, kind, format(&name, kind));
        }
        fields
    }

    /// These fields and `shadow` fields read only for a challenger's shadow scoring: a request
    /// is answered as without them (still named as unused, never an error or a warning of its
    /// own), their values kept for the challenger as they arrived.
    pub fn with_shadow(mut self, shadow: impl IntoIterator<Item = (String, Kind)>) -> Fields {
        let from = self.index.len();
        for (name, kind) in shadow {
            // The challenger reads these with its own readers: no format needed here.
            self.slot(&name, kind, None);
        }
        self.shadow_from = Some(from);
        self
    }

    /// Whether `slot` is read only for a challenger.
    fn shadow_only(&self, slot: usize) -> bool {
        self.shadow_from.is_some_and(|from| slot >= from)
    }

    /// The slot of `name`, given the next one when it has none yet (with how it writes its
    /// dates, for a date field).
    fn slot(&mut self, name: &str, kind: Kind, format: Option<DateFormat>) -> usize {
        if let Some(&(slot, _)) = self.index.get(name) {
            return slot;
        }
        let slot = self.index.len();
        self.index.insert(name.to_owned(), (slot, kind));
        self.names.push(name.to_owned());
        self.kinds.push(kind);
        self.ranges.push(None);
        self.formats.push(format);
        slot
    }

    /// The name of the field at `slot` (empty for a slot it does not have).
    pub fn name(&self, slot: usize) -> &str {
        self.names.get(slot).map_or("", String::as_str)
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

/// The leads of a request as [`parse_leads`] kept them, borrowing from the body.
#[derive(Debug, Default)]
pub struct Leads<'de> {
    /// Each lead's `id`, the fields the model or the rules read, and the caller's `keep` field,
    /// in request order (empty when there are too many).
    pub leads: Vec<ParsedLead<'de>>,
    /// How many leads the request holds (counted to the end, past the limit).
    pub count: usize,
    /// Fields the model does not use: each name once (at most [`MAX_UNUSED_NAMES`]).
    pub unused: Unused,
}

/// One lead as [`parse_leads`] kept it: no map of names, no copy of a plain string. The
/// fields are found by slot while the body is parsed, so reading them ([`read_lead`]) looks
/// nothing up again.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ParsedLead<'de> {
    /// The `id`, as sent.
    pub id: Option<Value>,
    /// The fields of [`Fields`] the lead carries, as (slot, value), in the order they came.
    pub values: Vec<(usize, Cell<'de>)>,
    /// The caller's own field (`parse_leads`' `keep`, e.g. `/v1/compare`'s outcome), as sent.
    pub kept: Option<Value>,
}

/// A field's JSON value as a lead sent it, its text borrowed from the body unless it has
/// escapes. Arrays and objects are no value of any field: they are skipped, and only what
/// they were is kept, for the error.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell<'de> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number (JSON numbers are finite; a larger integer than f64 holds exactly is rounded,
    /// as `serde_json::Number::as_f64` does).
    Number(f64),
    /// A string.
    Text(Cow<'de, str>),
    /// An array or an object: "an array" or "an object".
    Nested(&'static str),
}

impl Cell<'_> {
    /// What the value is, for messages ("a number"), never the value itself.
    fn type_name(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Bool(_) => "a boolean",
            Cell::Number(_) => "a number",
            Cell::Text(_) => "a string",
            Cell::Nested(what) => what,
        }
    }
}

impl<'de> serde::Deserialize<'de> for Cell<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CellVisitor;
        impl<'de> Visitor<'de> for CellVisitor {
            type Value = Cell<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Cell<'de>, E> {
                Ok(Cell::Null)
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Cell<'de>, E> {
                Ok(Cell::Null)
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Cell<'de>, E> {
                Ok(Cell::Bool(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Cell<'de>, E> {
                Ok(Cell::Number(v as f64))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Cell<'de>, E> {
                Ok(Cell::Number(v as f64))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Cell<'de>, E> {
                Ok(Cell::Number(v))
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Cell<'de>, E> {
                Ok(Cell::Text(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Cell::Nested("an array"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Cell::Nested("an object"))
            }
        }
        deserializer.deserialize_any(CellVisitor)
    }
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
pub fn parse_leads<'de>(
    leads: &'de str,
    fields: &Fields,
    keep: Option<&str>,
    max: usize,
) -> serde_json::Result<Leads<'de>> {
    let mut de = serde_json::Deserializer::from_str(leads);
    let parsed = LeadsSeed { fields, keep, max }.deserialize(&mut de)?;
    de.end()?;
    Ok(parsed)
}

/// Reads a `leads` array where it stands in a body being parsed (see [`parse_leads`]).
pub(crate) struct LeadsSeed<'f> {
    pub(crate) fields: &'f Fields,
    pub(crate) keep: Option<&'f str>,
    pub(crate) max: usize,
}

impl<'de> DeserializeSeed<'de> for LeadsSeed<'_> {
    type Value = Leads<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Leads<'de>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for LeadsSeed<'_> {
    type Value = Leads<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of leads (objects)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Leads<'de>, A::Error> {
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
    type Value = ParsedLead<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for LeadSeed<'_, '_> {
    type Value = ParsedLead<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a lead (an object of fields)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut lead = ParsedLead::default();
        while let Some(Key(name)) = map.next_key::<Key<'de>>()? {
            if name == "id" {
                lead.id = Some(map.next_value()?);
                continue;
            }
            let kept = self.keep == Some(&*name);
            match self.fields.get(&name) {
                Some((slot, _)) => {
                    if self.fields.shadow_only(slot) {
                        // Read for the challenger; to the client, as unused as without it.
                        self.unused.note(&name, self.index);
                    }
                    if kept {
                        // The caller's field is also one the model reads: both get it.
                        let value: Value = map.next_value()?;
                        lead.values.push((slot, Cell::of(&value)));
                        lead.kept = Some(value);
                    } else {
                        lead.values.push((slot, map.next_value()?));
                    }
                }
                None if kept => lead.kept = Some(map.next_value()?),
                None => {
                    map.next_value::<IgnoredAny>()?;
                    self.unused.note(&name, self.index);
                }
            }
        }
        Ok(lead)
    }
}

impl Cell<'static> {
    /// The cell of a parsed JSON value (an owned copy of its text).
    fn of(value: &Value) -> Cell<'static> {
        match value {
            Value::Null => Cell::Null,
            Value::Bool(b) => Cell::Bool(*b),
            Value::Number(n) => Cell::Number(n.as_f64().unwrap_or(f64::NAN)),
            Value::String(s) => Cell::Text(Cow::Owned(s.clone())),
            Value::Array(_) => Cell::Nested("an array"),
            Value::Object(_) => Cell::Nested("an object"),
        }
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
    lead: &'a ParsedLead<'_>,
    fields: &Fields,
    strict: bool,
    errors: &mut Vec<FieldError>,
) -> ReadLead<'a> {
    let mut out = ReadLead { id: None, values: vec![RawValue::Missing; fields.len()], warnings: Vec::new() };
    let first_error = errors.len();
    match &lead.id {
        None => {}
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => out.id = Some(id.clone()),
        Some(other) => errors.push(FieldError {
            lead: index,
            field: "id".into(),
            reason: format!("expected a string or number id, got {}", Cell::of(other).type_name()),
        }),
    }
    // Fields the model does not use were left out by `parse_leads` (a caller's own
    // fields, such as `/v1/compare`'s outcome, are read by that caller).
    // A field sent twice counts as its last value, as a JSON object keeps it: read from the
    // end, and skip a slot already read.
    let mut seen = vec![false; fields.len()];
    for (slot, value) in lead.values.iter().rev() {
        let slot = *slot;
        match seen.get_mut(slot) {
            Some(seen @ false) => *seen = true,
            _ => continue,
        }
        let Some(v) = out.values.get_mut(slot) else { continue };
        if fields.shadow_only(slot) {
            // Only the challenger reads it, with its own readers: no error or warning here.
            *v = match value {
                Cell::Text(s) if !s.trim().is_empty() => RawValue::Text(s),
                Cell::Number(x) if x.is_finite() => RawValue::Number(*x),
                Cell::Bool(b) => RawValue::Bool(*b),
                _ => RawValue::Missing,
            };
            continue;
        }
        let Some(&kind) = fields.kinds.get(slot) else { continue };
        let field = fields.name(slot);
        let mut fail = |reason: String| errors.push(FieldError { lead: index, field: field.to_owned(), reason });
        let strict_ok = matches!(
            (kind, value),
            (_, Cell::Null)
                | (Kind::Numeric, Cell::Number(_))
                | (Kind::Boolean, Cell::Bool(_))
                | (Kind::Date, Cell::Text(_))
                | (Kind::Categorical, Cell::Text(_) | Cell::Number(_) | Cell::Bool(_))
        );
        if strict && !strict_ok {
            fail(format!("expected {}, got {}", expects_strict(kind), value.type_name()));
            continue;
        }
        let raw = match value {
            Cell::Null => RawValue::Missing,
            Cell::Text(s) if s.trim().is_empty() => RawValue::Missing,
            Cell::Text(s) => RawValue::Text(s),
            Cell::Number(x) if x.is_finite() => RawValue::Number(*x),
            Cell::Number(_) => {
                fail("expected a finite number".into());
                continue;
            }
            // A CSV cell `true` is no number either.
            Cell::Bool(_) if kind == Kind::Numeric => {
                fail(format!("expected {}, got a boolean", expects(kind)));
                continue;
            }
            Cell::Bool(b) => RawValue::Bool(*b),
            Cell::Nested(what) => {
                fail(format!("expected {}, got {what}", expects(kind)));
                continue;
            }
        };
        // The CSV path's readers decide what the cell means (the scorer reads it again the same way).
        let number = match kind {
            Kind::Numeric => read::number(raw, &fields.missing, field).map_err(|_| ()),
            Kind::Boolean => read::boolean(raw, &fields.missing, field).map(|_| None).map_err(|_| ()),
            Kind::Date => {
                let format = fields.formats.get(slot).copied().flatten().unwrap_or_default();
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
        if let (Some(x), Some(range)) = (number, fields.ranges.get(slot).copied().flatten()) {
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
    // Errors and warnings by field name, whatever order the fields came in.
    errors[first_error..].sort_by(|a, b| a.field.cmp(&b.field));
    out.warnings.sort();
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
        let f = fields();
        let kept: Vec<(Option<Value>, Vec<&str>, Option<Value>)> = leads
            .leads
            .iter()
            .map(|l| (l.id.clone(), l.values.iter().map(|(slot, _)| f.name(*slot)).collect(), l.kept.clone()))
            .collect();
        assert_eq!(
            kept,
            [
                (Some(serde_json::json!(1)), vec!["page_views", "job_title"], None),
                (None, vec![], Some(serde_json::json!("won")))
            ]
        );
        assert_eq!(leads.leads[0].values[0].1, Cell::Number(3.0));
        assert_eq!(leads.leads[0].values[1].1, Cell::Text(Cow::Borrowed("CEO")));
        let unused: Vec<(&str, (usize, usize))> = leads.unused.names.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(unused, [("colour", (0, 2)), ("kéy", (0, 1))]);
        assert_eq!(leads.unused.warnings(2)[0], "`colour` is not used by the model (renamed column?): in 2 of 2 leads");
        assert_eq!(
            leads.unused.errors()[0].reason,
            "the model does not use this field (strict mode; 2 leads carry it)"
        );
    }

    #[test]
    fn values_are_read_by_slot_borrowed_where_they_can_be() {
        let f = fields();
        let text = r#"[{"job_title": "C\"EO", "page_views": [1, 2], "country": {"a": 1}, "email_opens": 1e400},
                       {"page_views": 2, "page_views": "7", "job_title": "VP", "id": [1]}]"#;
        let err = parse_leads(text, &f, None, 10).unwrap_err();
        assert!(err.to_string().contains("number out of range"), "{err}");
        let text = text.replace("1e400", "null");
        let leads = parse_leads(&text, &f, None, 10).unwrap();
        // An escaped string is copied; a plain one borrows the body.
        assert_eq!(leads.leads[0].values[0].1, Cell::Text(Cow::Owned("C\"EO".into())));
        assert!(matches!(&leads.leads[1].values[2].1, Cell::Text(Cow::Borrowed("VP"))));
        let mut errors = Vec::new();
        let first = read_lead(0, &leads.leads[0], &f, false, &mut errors);
        let reasons: Vec<(usize, &str, &str)> =
            errors.iter().map(|e| (e.lead, e.field.as_str(), e.reason.as_str())).collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        // By field name, as the lead's fields would be listed in any order.
        assert_eq!((reasons[0].1, reasons[1].1), ("country", "page_views"));
        assert!(reasons[0].2.ends_with("got an object"), "{}", reasons[0].2);
        assert!(reasons[1].2.ends_with("got an array"), "{}", reasons[1].2);
        assert_eq!(first.value(&f, "job_title"), RawValue::Text("C\"EO"));
        assert_eq!(first.value(&f, "email_opens"), RawValue::Missing);
        // A field sent twice is read as its last value (as a JSON object keeps it); a bad id is named.
        errors.clear();
        let second = read_lead(1, &leads.leads[1], &f, false, &mut errors);
        assert_eq!(second.value(&f, "page_views"), RawValue::Text("7"));
        assert_eq!(errors.len(), 1);
        assert_eq!((errors[0].lead, errors[0].field.as_str()), (1, "id"));
        assert_eq!(errors[0].reason, "expected a string or number id, got an array");
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
