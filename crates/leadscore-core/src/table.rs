//! Training data held by column, typed as the spec says.
//!
//! A million leads with twenty columns fit in a few hundred megabytes this way
//! (a number is 8 bytes, a category a 4-byte code into a per-column
//! dictionary), where a row of strings per lead would take several gigabytes.
//! Every cell is read by the same functions the scorer uses (see [`read`]).

use std::borrow::Cow;
use std::collections::HashMap;

use sha2::{Digest, Sha256};

use crate::date::{hour_of, DateFormat};
use crate::spec::{Kind, Spec, TargetSpec};
use crate::value::{
    normalize_category, normalize_category_in, parse_bool, parse_number, FoldBuffer, MissingTokens, ParseFailure,
    RawValue,
};
use crate::{Error, Result};

/// Code of a missing category.
pub const MISSING_CODE: u32 = u32::MAX;
/// Day number of a missing date.
pub const MISSING_DAY: i32 = i32::MIN;
/// Hour of a date written without a time (or missing).
pub const NO_HOUR: u8 = u8::MAX;
/// Boolean cell that is missing.
pub const MISSING_BOOL: u8 = 2;

/// One typed column.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// Numbers; `NaN` marks a missing cell (a finite-only parser guarantees no other NaN).
    Numeric(Vec<f64>),
    /// Codes into `dictionary` (normalised levels, first-seen order); [`MISSING_CODE`] marks missing.
    Categorical {
        /// One code per row.
        codes: Vec<u32>,
        /// The distinct normalised levels.
        dictionary: Vec<String>,
    },
    /// 0 = false, 1 = true, [`MISSING_BOOL`] = missing.
    Boolean(Vec<u8>),
    /// Dates.
    Date {
        /// Day numbers (see [`crate::value::parse_day`]); [`MISSING_DAY`] marks missing.
        days: Vec<i32>,
        /// The hour written after each date ([`crate::date::hour_of`]), [`NO_HOUR`] when none.
        hours: Vec<u8>,
    },
}

impl ColumnData {
    /// Whether row `i` is missing.
    pub fn is_missing(&self, i: usize) -> bool {
        match self {
            ColumnData::Numeric(v) => v[i].is_nan(),
            ColumnData::Categorical { codes, .. } => codes[i] == MISSING_CODE,
            ColumnData::Boolean(v) => v[i] == MISSING_BOOL,
            ColumnData::Date { days, .. } => days[i] == MISSING_DAY,
        }
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Categorical { codes, .. } => codes.len(),
            ColumnData::Boolean(v) => v.len(),
            ColumnData::Date { days, .. } => days.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A named feature column.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Source column name.
    pub name: String,
    /// The typed cells.
    pub data: ColumnData,
}

/// Labelled training data, one column per spec feature (in spec order).
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    /// Feature columns.
    pub columns: Vec<Column>,
    /// Outcome per row: `true` = won.
    pub target: Vec<bool>,
    /// Day number of the spec's `time_column` per row, when it has one.
    pub time: Option<Vec<i32>>,
    /// SHA-256 over every used cell, so a model records exactly which data made it.
    pub data_hash: String,
}

impl Table {
    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.target.len()
    }
}

/// Readers shared by training and scoring: one definition of what a cell means.
pub mod read {
    use super::*;

    /// A number, or `None` when missing.
    pub fn number(raw: RawValue<'_>, missing: &MissingTokens, column: &str) -> Result<Option<f64>> {
        match raw {
            RawValue::Missing => Ok(None),
            RawValue::Number(v) if v.is_finite() => Ok(Some(v)),
            RawValue::Number(v) => Err(Error::NonFinite { column: column.into(), value: v.to_string() }),
            RawValue::Bool(b) => Ok(Some(f64::from(u8::from(b)))),
            RawValue::Text(t) if missing.is_missing(t) => Ok(None),
            RawValue::Text(t) => match parse_number(t) {
                Ok(v) => Ok(Some(v)),
                Err(ParseFailure::NonFinite) => Err(Error::NonFinite { column: column.into(), value: t.trim().into() }),
                Err(ParseFailure::Unparsable) => {
                    Err(Error::BadNumber { column: column.into(), value: t.trim().into() })
                }
            },
        }
    }

    /// A yes/no flag, or `None` when missing.
    pub fn boolean(raw: RawValue<'_>, missing: &MissingTokens, column: &str) -> Result<Option<bool>> {
        match raw {
            RawValue::Missing => Ok(None),
            RawValue::Bool(b) => Ok(Some(b)),
            RawValue::Number(v) if v == 0.0 || v == 1.0 => Ok(Some(v == 1.0)),
            RawValue::Number(v) => Err(Error::BadBool { column: column.into(), value: v.to_string() }),
            RawValue::Text(t) if missing.is_missing(t) => Ok(None),
            RawValue::Text(t) => {
                parse_bool(t).map(Some).ok_or_else(|| Error::BadBool { column: column.into(), value: t.trim().into() })
            }
        }
    }

    /// A date in `format` as a day number, or `None` when missing.
    pub fn day(raw: RawValue<'_>, missing: &MissingTokens, format: DateFormat, column: &str) -> Result<Option<i32>> {
        let bad = |value: String| Error::BadDate { column: column.into(), value, format };
        match raw {
            RawValue::Missing => Ok(None),
            RawValue::Text(t) if missing.is_missing(t) => Ok(None),
            RawValue::Text(t) => format.parse(t).map(Some).ok_or_else(|| bad(t.trim().into())),
            RawValue::Number(v) => Err(bad(v.to_string())),
            RawValue::Bool(b) => Err(bad(b.to_string())),
        }
    }

    /// A date in `format` as a day number and the hour written after it, or `None` when missing.
    pub fn stamp(
        raw: RawValue<'_>,
        missing: &MissingTokens,
        format: DateFormat,
        column: &str,
    ) -> Result<Option<(i32, Option<u8>)>> {
        let day = day(raw, missing, format, column)?;
        Ok(day.map(|day| (day, if let RawValue::Text(t) = raw { hour_of(t) } else { None })))
    }

    /// A normalised category, or `None` when missing.
    pub fn category<'a>(raw: RawValue<'a>, missing: &MissingTokens, fold: bool) -> Option<Cow<'a, str>> {
        match raw {
            RawValue::Missing => None,
            RawValue::Text(t) if missing.is_missing(t) => None,
            RawValue::Text(t) => Some(normalize_category(t, fold)),
            RawValue::Number(v) => Some(Cow::Owned(v.to_string())),
            RawValue::Bool(b) => Some(Cow::Borrowed(if b { "true" } else { "false" })),
        }
    }

    /// [`category`] folding short values into `buf` instead of a new string (the scoring hot path).
    pub fn category_in<'a>(
        raw: RawValue<'a>,
        missing: &MissingTokens,
        fold: bool,
        buf: &'a mut FoldBuffer,
    ) -> Option<Cow<'a, str>> {
        match raw {
            RawValue::Text(t) if !missing.is_missing(t) => Some(normalize_category_in(t, fold, buf)),
            other => category(other, missing, fold),
        }
    }
}

enum ColumnBuilder {
    Numeric(Vec<f64>),
    Categorical {
        codes: Vec<u32>,
        dictionary: Vec<String>,
        by_raw: HashMap<Box<str>, u32>,
        by_level: HashMap<String, u32>,
        fold: bool,
    },
    Boolean(Vec<u8>),
    Date {
        days: Vec<i32>,
        hours: Vec<u8>,
        format: DateFormat,
    },
}

/// Builds a [`Table`] row by row from text cells (a CSV file, a database cursor).
pub struct TableBuilder {
    names: Vec<String>,
    builders: Vec<ColumnBuilder>,
    target_spec: TargetSpec,
    time_name: Option<String>,
    time_format: DateFormat,
    target: Vec<bool>,
    time: Vec<i32>,
    missing: MissingTokens,
    hasher: Sha256,
    /// Cells waiting to be hashed: one `update` per 64 KiB instead of two per cell.
    pending: Vec<u8>,
}

impl TableBuilder {
    /// A builder for the spec's columns.
    pub fn new(spec: &Spec) -> Self {
        let mut names = Vec::new();
        let mut builders = Vec::new();
        for (name, feature) in &spec.features {
            names.push(name.clone());
            builders.push(match feature.kind {
                Kind::Numeric => ColumnBuilder::Numeric(Vec::new()),
                Kind::Categorical => ColumnBuilder::Categorical {
                    codes: Vec::new(),
                    dictionary: Vec::new(),
                    by_raw: HashMap::new(),
                    by_level: HashMap::new(),
                    fold: spec.normalize(feature),
                },
                Kind::Boolean => ColumnBuilder::Boolean(Vec::new()),
                Kind::Date => {
                    ColumnBuilder::Date { days: Vec::new(), hours: Vec::new(), format: spec.date_format(name) }
                }
            });
        }
        Self {
            names,
            builders,
            target_spec: spec.target.clone(),
            time_name: spec.time_column.clone(),
            time_format: spec.time_column.as_deref().map(|t| spec.date_format(t)).unwrap_or_default(),
            target: Vec::new(),
            time: Vec::new(),
            missing: spec.missing_tokens(),
            hasher: Sha256::new(),
            pending: Vec::with_capacity(1 << 16),
        }
    }

    /// The source columns each pushed row must hold, in order: the target, the
    /// time column (if any), then the features in spec order.
    pub fn required_columns(spec: &Spec) -> Vec<String> {
        let mut cols = vec![spec.target.column.clone()];
        if let Some(t) = &spec.time_column {
            cols.push(t.clone());
        }
        cols.extend(spec.features.keys().cloned());
        cols
    }

    /// Adds one row whose cells follow [`TableBuilder::required_columns`]. Errors
    /// name the column and value; the caller adds the line.
    pub fn push(&mut self, cells: &[&str]) -> Result<()> {
        for cell in cells {
            self.pending.extend_from_slice(cell.as_bytes());
            self.pending.push(0x1f);
        }
        self.pending.push(0x1e);
        if self.pending.len() >= 1 << 16 {
            self.hasher.update(&self.pending);
            self.pending.clear();
        }
        let Some((target_cell, rest)) = cells.split_first() else {
            return Err(Error::Spec("a row has no cells".into()));
        };
        let won = self.target_spec.label(target_cell)?;
        let rest = if let Some(column) = &self.time_name {
            let Some((time_cell, rest)) = rest.split_first() else {
                return Err(Error::Spec("a row has no time cell".into()));
            };
            let day =
                read::day(RawValue::Text(time_cell), &self.missing, self.time_format, column)?.ok_or_else(|| {
                    Error::Spec(format!(
                        "time column `{column}` is empty: every lead needs a date to be ordered in time"
                    ))
                })?;
            self.time.push(day);
            rest
        } else {
            rest
        };
        if rest.len() != self.builders.len() {
            return Err(Error::Spec(format!("expected {} feature cells, got {}", self.builders.len(), rest.len())));
        }
        for ((builder, name), cell) in self.builders.iter_mut().zip(&self.names).zip(rest) {
            let raw = RawValue::Text(cell);
            match builder {
                ColumnBuilder::Numeric(v) => v.push(read::number(raw, &self.missing, name)?.unwrap_or(f64::NAN)),
                ColumnBuilder::Boolean(v) => {
                    v.push(read::boolean(raw, &self.missing, name)?.map_or(MISSING_BOOL, u8::from));
                }
                ColumnBuilder::Date { days, hours, format } => {
                    let stamp = read::stamp(raw, &self.missing, *format, name)?;
                    days.push(stamp.map_or(MISSING_DAY, |(day, _)| day));
                    hours.push(stamp.and_then(|(_, hour)| hour).unwrap_or(NO_HOUR));
                }
                ColumnBuilder::Categorical { codes, dictionary, by_raw, by_level, fold } => {
                    let code = match by_raw.get(*cell) {
                        Some(code) => *code,
                        None => {
                            let code = match read::category(raw, &self.missing, *fold) {
                                None => MISSING_CODE,
                                Some(level) => match by_level.get(level.as_ref()) {
                                    Some(code) => *code,
                                    None => {
                                        let code = u32::try_from(dictionary.len()).map_err(|_| {
                                            Error::Spec(format!("column `{name}` has more than 4 billion levels"))
                                        })?;
                                        dictionary.push(level.to_string());
                                        by_level.insert(level.into_owned(), code);
                                        code
                                    }
                                },
                            };
                            by_raw.insert((*cell).into(), code);
                            code
                        }
                    };
                    codes.push(code);
                }
            }
        }
        self.target.push(won);
        Ok(())
    }

    /// Number of rows pushed so far.
    pub fn n_rows(&self) -> usize {
        self.target.len()
    }

    /// The finished table.
    pub fn finish(mut self) -> Table {
        self.hasher.update(&self.pending);
        let columns = self
            .names
            .into_iter()
            .zip(self.builders)
            .map(|(name, b)| Column {
                name,
                data: match b {
                    ColumnBuilder::Numeric(v) => ColumnData::Numeric(v),
                    ColumnBuilder::Categorical { codes, dictionary, .. } => {
                        ColumnData::Categorical { codes, dictionary }
                    }
                    ColumnBuilder::Boolean(v) => ColumnData::Boolean(v),
                    ColumnBuilder::Date { days, hours, .. } => ColumnData::Date { days, hours },
                },
            })
            .collect();
        let data_hash = self.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Table { columns, target: self.target, time: self.time_name.is_some().then_some(self.time), data_hash }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{FeatureSpec, TargetSpec};

    fn spec() -> Spec {
        let mut spec =
            Spec::new(TargetSpec { column: "y".into(), positive: vec!["won".into()], negative: vec!["lost".into()] });
        spec.features.insert("n".into(), FeatureSpec::new(Kind::Numeric));
        spec.features.insert("c".into(), FeatureSpec::new(Kind::Categorical));
        spec.features.insert("b".into(), FeatureSpec::new(Kind::Boolean));
        spec
    }

    #[test]
    fn builds_typed_columns() {
        let spec = spec();
        // required order: y, then features in BTreeMap order: b, c, n
        assert_eq!(TableBuilder::required_columns(&spec), ["y", "b", "c", "n"]);
        let mut b = TableBuilder::new(&spec);
        b.push(&["won", "yes", "Google", "3"]).unwrap();
        b.push(&["lost", "", " google", "Select"]).unwrap();
        b.push(&["Lost", "N", "Select", "1.5"]).unwrap();
        let t = b.finish();
        assert_eq!(t.target, [true, false, false]);
        assert_eq!(t.columns[0].data, ColumnData::Boolean(vec![1, MISSING_BOOL, 0]));
        assert_eq!(
            t.columns[1].data,
            ColumnData::Categorical { codes: vec![0, 0, MISSING_CODE], dictionary: vec!["google".into()] }
        );
        let ColumnData::Numeric(n) = &t.columns[2].data else { panic!("numeric") };
        assert_eq!(n[0], 3.0);
        assert!(n[1].is_nan());
        assert_eq!(n[2], 1.5);
        assert_eq!(t.data_hash.len(), 64);
    }

    #[test]
    fn bad_cells_name_the_column() {
        let spec = spec();
        let mut b = TableBuilder::new(&spec);
        let err = b.push(&["won", "yes", "x", "abc"]).unwrap_err();
        assert_eq!(err.to_string(), "column `n`: cannot parse \"abc\" as a number");
        let err = b.push(&["won", "maybe", "x", "1"]).unwrap_err();
        assert!(err.to_string().contains("column `b`"), "{err}");
        let err = b.push(&["open", "yes", "x", "1"]).unwrap_err();
        assert!(err.to_string().contains("target column `y`"), "{err}");
    }

    #[test]
    fn same_cells_same_hash() {
        let spec = spec();
        let build = |rows: &[[&str; 4]]| {
            let mut b = TableBuilder::new(&spec);
            for r in rows {
                b.push(r).unwrap();
            }
            b.finish().data_hash
        };
        let a = build(&[["won", "yes", "a", "1"], ["lost", "no", "b", "2"]]);
        assert_eq!(a, build(&[["won", "yes", "a", "1"], ["lost", "no", "b", "2"]]));
        assert_ne!(a, build(&[["won", "yes", "a", "1"], ["lost", "no", "b", "3"]]));
        assert_ne!(a, build(&[["won", "yes", "a1", ""], ["lost", "no", "b", "2"]]));
    }
}
