//! Turns a lead into the vector the model was trained on, and fits that mapping.
//!
//! Layout per feature (columns named for people, as `inspect` prints them):
//! - numeric: `x` standardised with the training mean/std (after `log1p` when asked),
//!   then `x (missing)` when training had gaps, then one-hot quantile bins `x in [a, b)`.
//!   Missing values take the training median (or mean/zero) before all of that.
//! - categorical: one-hot of the levels seen at least `min_count` times, then
//!   `(missing)` when enough leads left it blank, then `(other)` for rare levels.
//!   An unseen level encodes as all zeros: under an L2 penalty a level with no
//!   data would get weight zero, so "contributes 0 to the log-odds" is the model's
//!   own best guess, and it is reported as a note.
//! - boolean: one 0/1 column (missing takes the training majority), plus `(missing)`.
//! - date: age in days (like a numeric) at the lead's own time column when the spec has one,
//!   else at the reference date (or no age, for the time column itself), plus optional month,
//!   weekday and hour one-hots. A lead is read from [`Encoder::inputs`]: the features, and the
//!   time column when an age is measured from it.
//!
//! Training writes columns straight into a column-major matrix
//! ([`FeatureEncoder::encode_column`]); scoring writes one lead
//! ([`Encoder::encode`]). Both go through the same `write` function per
//! transform, so they cannot disagree.

use serde::{Deserialize, Serialize};

use crate::date::DateFormat;
use crate::pair::PairTerm;
use crate::spec::{DateAge, Impute, Kind, Spec};
use crate::table::{read, ColumnData, Table, MISSING_BOOL, MISSING_CODE, MISSING_DAY, NO_HOUR};
use crate::value::{FoldBuffer, MissingTokens, RawValue};
use crate::{Error, Result};

/// Level name of folded rare levels.
pub const OTHER: &str = "(other)";
/// Level name of a blank categorical.
pub const MISSING: &str = "(missing)";
/// Standardised values are clamped to this many standard deviations so that an
/// extreme input (1e300) still gives finite log-odds.
pub const Z_LIMIT: f64 = 1e6;

/// The fitted encoder: everything needed to turn a raw lead into model input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Encoder {
    /// Features in column order.
    pub features: Vec<FeatureEncoder>,
    /// Total encoded width.
    pub n_columns: usize,
    /// Tokens read as missing.
    pub missing: MissingTokens,
    /// Mean of each encoded column over the training rows: the baseline that
    /// explanations measure contributions against.
    pub baseline: Vec<f64>,
    /// The time column, when a date feature measures its age from it: read from every lead
    /// beside the features (see [`Encoder::inputs`]).
    pub time: Option<TimeInput>,
    /// Pair terms, their columns after every feature's (see [`crate::pair`]).
    pub pairs: Vec<PairTerm>,
}

/// One source column's encoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureEncoder {
    /// Source column name.
    pub name: String,
    /// First encoded column.
    pub offset: usize,
    /// How values become columns.
    pub transform: Transform,
}

/// The per-kind transform.
// One per feature, built once and never moved on a hot path: a box would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Transform {
    /// A number.
    Numeric(NumericEncoder),
    /// A label.
    Categorical(CategoricalEncoder),
    /// A yes/no flag.
    Boolean(BooleanEncoder),
    /// A date.
    Date(DateEncoder),
}

/// Fitted state of a numeric feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NumericEncoder {
    /// Whether values go through `sign(x) ln(1 + |x|)` first.
    pub log1p: bool,
    /// Transformed value used for missing cells.
    pub fill: f64,
    /// Training mean of the transformed, imputed values.
    pub mean: f64,
    /// Training standard deviation (1 when the values were constant).
    pub std: f64,
    /// Whether a `(missing)` indicator column follows.
    pub missing_indicator: bool,
    /// Ascending interior cut points of the quantile bins (transformed scale); empty = no bins.
    pub cuts: Vec<f64>,
}

/// Fitted state of a categorical feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoricalEncoder {
    /// Whether case and whitespace are folded.
    pub normalize: bool,
    /// One-hot columns: kept levels sorted, then [`MISSING`] and [`OTHER`] when present.
    pub levels: Vec<String>,
    /// Sorted rare training levels that map to [`OTHER`].
    pub folded: Vec<String>,
    /// The level a missing cell maps to, if training had one for it.
    pub missing_level: Option<usize>,
}

/// Fitted state of a boolean feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BooleanEncoder {
    /// Value used for missing cells (the training majority).
    pub fill: bool,
    /// Whether a `(missing)` indicator column follows.
    pub missing_indicator: bool,
}

/// Fitted state of a date feature.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DateEncoder {
    /// How the column writes its dates.
    pub format: DateFormat,
    /// Where the age is measured: the lead's own time column ([`Encoder::time`]), the reference
    /// day, or nowhere (`age` is then `None`).
    pub age_at: DateAge,
    /// Day number ages are measured at when `age_at` is the reference date.
    pub reference_day: i32,
    /// Encoder of the age in days (`None` when `age_at` is [`DateAge::None`]).
    pub age: Option<NumericEncoder>,
    /// Month one-hot (`jan` ... `dec`), when asked.
    pub month: Option<CategoricalEncoder>,
    /// Weekday one-hot (`mon` ... `sun`), when asked.
    pub weekday: Option<CategoricalEncoder>,
    /// Hour one-hot (`00` ... `23`, as written after the date), when asked.
    pub hour: Option<CategoricalEncoder>,
}

/// The lead's own date that date features measure their age from: the spec's time column.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeInput {
    /// The time column.
    pub column: String,
    /// How it writes its dates.
    pub format: DateFormat,
}

/// Something a caller should know about how one field was read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The source column.
    pub feature: String,
    /// What happened.
    pub kind: NoteKind,
}

/// What happened to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoteKind {
    /// Missing: imputed as in training.
    Missing,
    /// A category never seen in training: contributes 0 to the log-odds.
    UnseenLevel,
}

impl NoteKind {
    /// What happened to `feature`, in words: the one text of a note, owned or borrowed.
    pub fn describe(self, feature: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NoteKind::Missing => write!(f, "`{feature}` is missing: imputed as in training"),
            NoteKind::UnseenLevel => {
                write!(f, "`{feature}` has a level not seen in training: it contributes 0 to the log-odds")
            }
        }
    }
}

impl std::fmt::Display for Note {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.kind.describe(&self.feature, f)
    }
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Hour levels: two digits, so that the sorted levels are in the day's order.
pub const HOURS: [&str; 24] = [
    "00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17", "18",
    "19", "20", "21", "22", "23",
];

fn transform_value(log1p: bool, x: f64) -> f64 {
    if log1p {
        x.signum() * x.abs().ln_1p()
    } else {
        x
    }
}

impl NumericEncoder {
    /// Encoded columns: the line, the missing indicator, the bins.
    pub fn width(&self) -> usize {
        1 + usize::from(self.missing_indicator) + if self.cuts.is_empty() { 0 } else { self.cuts.len() + 1 }
    }

    fn names(&self, name: &str, out: &mut Vec<String>) {
        out.push(if self.log1p { format!("log1p({name})") } else { name.to_owned() });
        if self.missing_indicator {
            out.push(format!("{name} {MISSING}"));
        }
        if !self.cuts.is_empty() {
            let show = |t: f64| {
                let raw = if self.log1p { t.signum() * t.abs().exp_m1() } else { t };
                format!("{}", (raw * 1000.0).round() / 1000.0)
            };
            for b in 0..=self.cuts.len() {
                let lo = if b == 0 { "-inf".to_owned() } else { show(self.cuts[b - 1]) };
                let hi = if b == self.cuts.len() { "inf".to_owned() } else { show(self.cuts[b]) };
                out.push(format!("{name} in [{lo}, {hi})"));
            }
        }
    }

    /// Writes the columns of one value (`None` = missing) through `set(column, value)`.
    pub fn write(&self, value: Option<f64>, mut set: impl FnMut(usize, f64)) {
        let t = value.map_or(self.fill, |x| transform_value(self.log1p, x));
        set(0, ((t - self.mean) / self.std).clamp(-Z_LIMIT, Z_LIMIT));
        let mut col = 1;
        if self.missing_indicator {
            set(col, if value.is_none() { 1.0 } else { 0.0 });
            col += 1;
        }
        if !self.cuts.is_empty() {
            let bin = self.cuts.partition_point(|c| *c <= t);
            for b in 0..=self.cuts.len() {
                set(col + b, if b == bin { 1.0 } else { 0.0 });
            }
        }
    }

    /// Fits on `values` (`None` = missing): `log1p`, the fill of missing cells by `impute`, the
    /// standardisation, and the bins `cuts` asks for. `None` when nothing varies.
    pub fn fit(
        values: impl Iterator<Item = Option<f64>> + Clone,
        log1p: bool,
        impute: Impute,
        cuts: Cuts,
    ) -> Option<Self> {
        let mut present: Vec<f64> = values.clone().flatten().map(|x| transform_value(log1p, x)).collect();
        let n_missing = values.filter(Option::is_none).count();
        if present.is_empty() {
            return None;
        }
        present.sort_by(f64::total_cmp);
        let n = present.len();
        let fill = match impute {
            Impute::Median => {
                if n % 2 == 1 {
                    present[n / 2]
                } else {
                    (present[n / 2 - 1] + present[n / 2]) / 2.0
                }
            }
            Impute::Mean => present.iter().sum::<f64>() / n as f64,
            Impute::Zero => 0.0,
        };
        let total = (n + n_missing) as f64;
        let mean = (present.iter().sum::<f64>() + fill * n_missing as f64) / total;
        let var = (present.iter().map(|x| (x - mean).powi(2)).sum::<f64>() + (fill - mean).powi(2) * n_missing as f64)
            / total;
        let constant = present[0] == present[n - 1];
        if constant && n_missing == 0 {
            return None;
        }
        let std = if var > 0.0 && var.is_finite() { var.sqrt() } else { 1.0 };
        let cuts = match cuts {
            _ if constant => Vec::new(),
            Cuts::Quantiles(bins) => {
                let mut out = Vec::new();
                for i in 1..bins.max(1) as usize {
                    let c = present[(i * n / bins as usize).min(n - 1)];
                    if c > present[0] && out.last().is_none_or(|last| c > *last) {
                        out.push(c);
                    }
                }
                out
            }
            Cuts::Levels { min_count } => level_cuts(&present, min_count),
        };
        Some(Self { log1p, fill, mean, std, missing_indicator: n_missing > 0, cuts })
    }
}

/// How a number's bins are cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cuts {
    /// This many quantile bins (0 or 1: none); a value held by many rows may merge bins.
    Quantiles(u32),
    /// A bin per distinct value, a run of values with fewer than `min_count` leads merged into
    /// the bin before it (the first ones into the bin after): integer codes as one-hot levels.
    Levels {
        /// Fewest training leads a bin holds.
        min_count: u32,
    },
}

/// The cuts of [`Cuts::Levels`] over ascending `sorted` values: a bin starts at a value once
/// the bin before it holds `min_count` leads, and a last bin short of that joins the one before.
fn level_cuts(sorted: &[f64], min_count: u32) -> Vec<f64> {
    let mut cuts = Vec::new();
    let mut in_bin = 0usize;
    let mut i = 0;
    while i < sorted.len() {
        let run = sorted[i..].iter().take_while(|v| **v == sorted[i]).count();
        if in_bin >= min_count as usize {
            cuts.push(sorted[i]);
            in_bin = 0;
        }
        in_bin += run;
        i += run;
    }
    if in_bin < min_count as usize {
        cuts.pop();
    }
    cuts
}

/// Distinct values of ascending `sorted`, counting at most `limit + 1`.
pub fn distinct_sorted(sorted: &[f64], limit: usize) -> usize {
    let mut n = usize::from(!sorted.is_empty());
    for w in sorted.windows(2) {
        if w[0] != w[1] {
            n += 1;
            if n > limit {
                break;
            }
        }
    }
    n
}

/// Where a category lands.
pub(crate) enum Slot {
    Level(usize),
    Unseen,
    Missing,
}

impl CategoricalEncoder {
    /// Where a raw value lands, and the note it earns (missing, or a level never seen).
    pub(crate) fn read(&self, raw: RawValue<'_>, missing: &MissingTokens) -> (Slot, Option<NoteKind>) {
        let mut buf = FoldBuffer::default();
        let level = read::category_in(raw, missing, self.normalize, &mut buf);
        let slot = self.slot(level.as_deref());
        let note = match (level.is_none(), &slot) {
            (true, _) => Some(NoteKind::Missing),
            (false, Slot::Unseen) => Some(NoteKind::UnseenLevel),
            _ => None,
        };
        (slot, note)
    }

    pub(crate) fn slot(&self, level: Option<&str>) -> Slot {
        match level {
            None => self.missing_level.map_or(Slot::Missing, Slot::Level),
            Some(level) => {
                if let Some(i) = self.levels.iter().position(|l| l == level) {
                    Slot::Level(i)
                } else if self.folded.binary_search_by(|f| f.as_str().cmp(level)).is_ok() {
                    self.levels.iter().position(|l| l == OTHER).map_or(Slot::Unseen, Slot::Level)
                } else {
                    Slot::Unseen
                }
            }
        }
    }

    pub(crate) fn write(&self, slot: &Slot, mut set: impl FnMut(usize, f64)) {
        for i in 0..self.levels.len() {
            set(i, if matches!(slot, Slot::Level(l) if *l == i) { 1.0 } else { 0.0 });
        }
    }

    fn fit(counts: &[(String, u64)], n_missing: u64, min_count: u32, normalize: bool) -> Option<Self> {
        let min = u64::from(min_count);
        let mut kept: Vec<String> = counts.iter().filter(|(_, c)| *c >= min).map(|(l, _)| l.clone()).collect();
        let mut folded: Vec<String> =
            counts.iter().filter(|(_, c)| *c > 0 && *c < min).map(|(l, _)| l.clone()).collect();
        kept.sort();
        folded.sort();
        let mut levels = kept;
        let missing_level = if n_missing >= min {
            levels.push(MISSING.to_owned());
            Some(levels.len() - 1)
        } else {
            None
        };
        if !folded.is_empty() || (n_missing > 0 && missing_level.is_none()) {
            levels.push(OTHER.to_owned());
        }
        let missing_level = missing_level.or_else(|| (n_missing > 0).then(|| levels.len() - 1));
        (levels.len() >= 2).then_some(Self { normalize, levels, folded, missing_level })
    }
}

impl BooleanEncoder {
    pub(crate) fn write(&self, value: Option<bool>, mut set: impl FnMut(usize, f64)) {
        set(0, if value.unwrap_or(self.fill) { 1.0 } else { 0.0 });
        if self.missing_indicator {
            set(1, if value.is_none() { 1.0 } else { 0.0 });
        }
    }
}

fn month_of(day: i32) -> Option<&'static str> {
    use chrono::Datelike;
    chrono::NaiveDate::from_num_days_from_ce_opt(day).and_then(|d| MONTHS.get(d.month0() as usize).copied())
}

fn weekday_of(day: i32) -> Option<&'static str> {
    use chrono::Datelike;
    chrono::NaiveDate::from_num_days_from_ce_opt(day)
        .and_then(|d| WEEKDAYS.get(d.weekday().num_days_from_monday() as usize).copied())
}

fn hour_name(hour: u8) -> Option<&'static str> {
    HOURS.get(usize::from(hour)).copied()
}

impl DateEncoder {
    /// The age in days of a date (`None` when it or the lead's time is missing).
    pub fn age_of(&self, day: Option<i32>, lead_time: Option<i32>) -> Option<f64> {
        let at = match self.age_at {
            DateAge::ReferenceDate => self.reference_day,
            DateAge::TimeColumn => lead_time?,
            DateAge::None => return None,
        };
        day.map(|d| f64::from(at) - f64::from(d))
    }

    /// Writes the columns of one date (day and hour as read, `None` when missing), its age
    /// measured at `lead_time` when it is measured from the time column.
    fn write(&self, stamp: Option<(i32, Option<u8>)>, lead_time: Option<i32>, mut set: impl FnMut(usize, f64)) {
        let day = stamp.map(|(day, _)| day);
        let mut col = 0;
        if let Some(age) = &self.age {
            age.write(self.age_of(day, lead_time), &mut set);
            col = age.width();
        }
        let hour = stamp.and_then(|(_, hour)| hour).and_then(hour_name);
        for (enc, name) in
            [(&self.month, day.and_then(month_of)), (&self.weekday, day.and_then(weekday_of)), (&self.hour, hour)]
        {
            if let Some(enc) = enc {
                let slot = enc.slot(name);
                enc.write(&slot, |c, v| set(col + c, v));
                col += enc.levels.len();
            }
        }
    }

    /// The one-hot parts in column order, each with its column-name infix.
    fn parts(&self) -> [(&Option<CategoricalEncoder>, &'static str); 3] {
        [(&self.month, ""), (&self.weekday, ""), (&self.hour, " hour")]
    }
}

impl Transform {
    /// Encoded width.
    pub fn width(&self) -> usize {
        match self {
            Transform::Numeric(n) => n.width(),
            Transform::Categorical(c) => c.levels.len(),
            Transform::Boolean(b) => 1 + usize::from(b.missing_indicator),
            Transform::Date(d) => {
                d.age.as_ref().map_or(0, NumericEncoder::width)
                    + d.parts().iter().map(|(p, _)| p.as_ref().map_or(0, |p| p.levels.len())).sum::<usize>()
            }
        }
    }

    /// The spec kind this transform encodes.
    pub fn kind(&self) -> Kind {
        match self {
            Transform::Numeric(_) => Kind::Numeric,
            Transform::Categorical(_) => Kind::Categorical,
            Transform::Boolean(_) => Kind::Boolean,
            Transform::Date(_) => Kind::Date,
        }
    }
}

impl FeatureEncoder {
    /// Encoded width.
    pub fn width(&self) -> usize {
        self.transform.width()
    }

    /// Human-readable names of this feature's columns.
    pub fn column_names(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.transform {
            Transform::Numeric(n) => n.names(&self.name, &mut out),
            Transform::Categorical(c) => out.extend(c.levels.iter().map(|l| format!("{} = {l}", self.name))),
            Transform::Boolean(b) => {
                out.push(self.name.clone());
                if b.missing_indicator {
                    out.push(format!("{} {MISSING}", self.name));
                }
            }
            Transform::Date(d) => {
                if let Some(age) = &d.age {
                    age.names(&format!("{} age (days)", self.name), &mut out);
                }
                for (enc, infix) in d.parts() {
                    if let Some(enc) = enc {
                        out.extend(enc.levels.iter().map(|l| format!("{}{infix} = {l}", self.name)));
                    }
                }
            }
        }
        out
    }

    /// Encodes one raw value into `out` (this feature's `width()` columns); `lead_time` is the
    /// lead's own date ([`Encoder::read_time`]), which a date feature may measure its age from.
    pub fn encode_value(
        &self,
        raw: RawValue<'_>,
        missing: &MissingTokens,
        lead_time: Option<i32>,
        out: &mut [f64],
    ) -> Result<Option<NoteKind>> {
        let mut set = |c: usize, v: f64| {
            if let Some(slot) = out.get_mut(c) {
                *slot = v;
            }
        };
        let name = self.name.as_str();
        Ok(match &self.transform {
            Transform::Numeric(n) => {
                let v = read::number(raw, missing, name)?;
                n.write(v, set);
                v.is_none().then_some(NoteKind::Missing)
            }
            Transform::Boolean(b) => {
                let v = read::boolean(raw, missing, name)?;
                b.write(v, set);
                v.is_none().then_some(NoteKind::Missing)
            }
            Transform::Date(d) => {
                let v = read::stamp(raw, missing, d.format, name)?;
                d.write(v, lead_time, set);
                v.is_none().then_some(NoteKind::Missing)
            }
            Transform::Categorical(c) => {
                let (slot, note) = c.read(raw, missing);
                c.write(&slot, &mut set);
                note
            }
        })
    }

    /// Encodes `rows` of a training column into a column-major block: this
    /// feature's column `c` goes to `out[c * rows.len()..(c + 1) * rows.len()]`. `time` is the
    /// table's time column ([`Table::time`]), which a date feature may measure its age from.
    pub fn encode_column(
        &self,
        data: &ColumnData,
        time: Option<&[i32]>,
        rows: &[usize],
        out: &mut [f64],
    ) -> Result<()> {
        let n = rows.len();
        let mismatch =
            || Error::Spec(format!("column `{}` does not hold {} data", self.name, self.transform.kind().as_str()));
        match (&self.transform, data) {
            (Transform::Numeric(enc), ColumnData::Numeric(values)) => {
                for (i, &r) in rows.iter().enumerate() {
                    let v = values[r];
                    enc.write((!v.is_nan()).then_some(v), |c, x| out[c * n + i] = x);
                }
            }
            (Transform::Boolean(enc), ColumnData::Boolean(values)) => {
                for (i, &r) in rows.iter().enumerate() {
                    let v = values[r];
                    enc.write((v != MISSING_BOOL).then_some(v == 1), |c, x| out[c * n + i] = x);
                }
            }
            (Transform::Date(enc), ColumnData::Date { days, hours }) => {
                if enc.age_at == DateAge::TimeColumn && time.is_none() {
                    return Err(Error::Spec(format!(
                        "date feature `{}` measures its age from the time column, but the data has none",
                        self.name
                    )));
                }
                for (i, &r) in rows.iter().enumerate() {
                    let (v, h) = (days[r], hours[r]);
                    let stamp = (v != MISSING_DAY).then_some((v, (h != NO_HOUR).then_some(h)));
                    enc.write(stamp, time.map(|t| t[r]), |c, x| out[c * n + i] = x);
                }
            }
            (Transform::Categorical(enc), ColumnData::Categorical { codes, dictionary }) => {
                // Resolve each dictionary entry once through the same `slot` the scorer uses.
                let slots: Vec<Slot> = dictionary.iter().map(|level| enc.slot(Some(level))).collect();
                let missing_slot = enc.slot(None);
                for (i, &r) in rows.iter().enumerate() {
                    let code = codes[r];
                    let slot = if code == MISSING_CODE {
                        &missing_slot
                    } else {
                        slots.get(code as usize).unwrap_or(&Slot::Unseen)
                    };
                    enc.write(slot, |c, x| out[c * n + i] = x);
                }
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }
}

/// Something the encoder fit decided that the user should hear about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitWarning {
    /// The source column.
    pub feature: String,
    /// Plain-English explanation.
    pub message: String,
}

impl Encoder {
    /// Fits the encoder on `rows` of `table`. Features that are entirely
    /// missing or constant are dropped, each with a warning.
    pub fn fit(spec: &Spec, table: &Table, rows: &[usize]) -> Result<(Encoder, Vec<FitWarning>)> {
        let mut features = Vec::new();
        let mut warnings = Vec::new();
        let mut offset = 0;
        let reference_day = match spec.reference_day()? {
            Some(day) => day,
            None => table
                .columns
                .iter()
                .filter_map(|c| match &c.data {
                    ColumnData::Date { days, .. } => rows.iter().map(|&r| days[r]).filter(|d| *d != MISSING_DAY).max(),
                    _ => None,
                })
                .max()
                .unwrap_or(0),
        };
        for column in &table.columns {
            let Some(fspec) = spec.features.get(&column.name) else {
                return Err(Error::Spec(format!("column `{}` is not a feature of the spec", column.name)));
            };
            let name = column.name.clone();
            let drop = |why: &str| FitWarning { feature: name.clone(), message: format!("`{name}` {why}: dropped") };
            let transform = match &column.data {
                ColumnData::Numeric(values) => {
                    let it = rows.iter().map(|&r| Some(values[r]).filter(|v| !v.is_nan()));
                    if rows.iter().all(|&r| values[r].is_nan()) {
                        warnings.push(drop("is entirely missing in training"));
                        continue;
                    }
                    let Some(reading) = fspec.numeric_reading() else {
                        return Err(Error::Spec(format!(
                            "features.{name}: shape = \"auto\" is chosen by the training search; an encoder needs a \
                             shape"
                        )));
                    };
                    let cuts = if reading.levels {
                        let mut present: Vec<f64> = it.clone().flatten().collect();
                        present.sort_by(f64::total_cmp);
                        let distinct = distinct_sorted(&present, crate::spec::MAX_SHAPE_LEVELS);
                        if distinct > crate::spec::MAX_SHAPE_LEVELS {
                            return Err(Error::Spec(format!(
                                "features.{name}: shape = \"levels\" reads at most {} distinct values, and training \
                                 has more; use \"bins\"",
                                crate::spec::MAX_SHAPE_LEVELS
                            )));
                        }
                        Cuts::Levels { min_count: spec.defaults.min_count }
                    } else {
                        Cuts::Quantiles(reading.bins)
                    };
                    match NumericEncoder::fit(it, reading.log1p, fspec.impute.unwrap_or_default(), cuts) {
                        Some(enc) => Transform::Numeric(enc),
                        None => {
                            warnings.push(drop("has a single value in training"));
                            continue;
                        }
                    }
                }
                ColumnData::Categorical { codes, dictionary } => {
                    let mut counts = vec![0u64; dictionary.len()];
                    let mut n_missing = 0u64;
                    for &r in rows {
                        match counts.get_mut(codes[r] as usize) {
                            Some(c) => *c += 1,
                            None => n_missing += 1,
                        }
                    }
                    if n_missing == rows.len() as u64 {
                        warnings.push(drop("is entirely missing in training"));
                        continue;
                    }
                    let counted: Vec<(String, u64)> = dictionary.iter().cloned().zip(counts).collect();
                    match CategoricalEncoder::fit(&counted, n_missing, spec.min_count(fspec), spec.normalize(fspec)) {
                        Some(enc) => Transform::Categorical(enc),
                        None => {
                            warnings.push(drop("has a single level in training"));
                            continue;
                        }
                    }
                }
                ColumnData::Boolean(values) => {
                    let (mut n_true, mut n_false) = (0usize, 0usize);
                    for &r in rows {
                        match values[r] {
                            1 => n_true += 1,
                            0 => n_false += 1,
                            _ => {}
                        }
                    }
                    let n_missing = rows.len() - n_true - n_false;
                    if n_true + n_false == 0 {
                        warnings.push(drop("is entirely missing in training"));
                        continue;
                    }
                    if (n_true == 0 || n_false == 0) && n_missing == 0 {
                        warnings.push(drop("has a single value in training"));
                        continue;
                    }
                    Transform::Boolean(BooleanEncoder { fill: n_true > n_false, missing_indicator: n_missing > 0 })
                }
                ColumnData::Date { days, hours } => {
                    if rows.iter().all(|&r| days[r] == MISSING_DAY) {
                        warnings.push(drop("is entirely missing in training"));
                        continue;
                    }
                    let age_at = spec.date_age(&column.name);
                    let lead_time = match (age_at, &table.time) {
                        (DateAge::TimeColumn, None) => {
                            return Err(Error::Spec(format!(
                                "date feature `{name}` measures its age from the time column, but the spec has none"
                            )))
                        }
                        (_, time) => time.as_deref(),
                    };
                    let mut enc = DateEncoder {
                        format: spec.date_format(&column.name),
                        age_at,
                        reference_day,
                        age: None,
                        month: None,
                        weekday: None,
                        hour: None,
                    };
                    if age_at != DateAge::None {
                        let ages: Vec<Option<f64>> = rows
                            .iter()
                            .map(|&r| enc.age_of((days[r] != MISSING_DAY).then_some(days[r]), lead_time.map(|t| t[r])))
                            .collect();
                        let (impute, bins) = (fspec.impute.unwrap_or_default(), fspec.bins.unwrap_or(0));
                        enc.age = NumericEncoder::fit(ages.iter().copied(), false, impute, Cuts::Quantiles(bins));
                        if enc.age.is_none() {
                            enc.age_at = DateAge::None;
                        }
                    }
                    let calendar = |asked: Option<bool>, names: &[&str], of: &dyn Fn(usize) -> Option<&'static str>| {
                        if !asked.unwrap_or(false) {
                            return None;
                        }
                        let mut counts: Vec<(String, u64)> = names.iter().map(|n| ((*n).to_owned(), 0)).collect();
                        let mut n_missing = 0;
                        for &r in rows {
                            let name = if days[r] == MISSING_DAY { None } else { of(r) };
                            match name.and_then(|n| names.iter().position(|x| *x == n)) {
                                Some(i) => counts[i].1 += 1,
                                None => n_missing += 1,
                            }
                        }
                        CategoricalEncoder::fit(&counts, n_missing, spec.min_count(fspec), true)
                    };
                    enc.month = calendar(fspec.month, &MONTHS, &|r| month_of(days[r]));
                    enc.weekday = calendar(fspec.weekday, &WEEKDAYS, &|r| weekday_of(days[r]));
                    enc.hour = calendar(fspec.hour, &HOURS, &|r| hour_name(hours[r]));
                    if enc.age.is_none() && enc.parts().iter().all(|(p, _)| p.is_none()) {
                        warnings.push(drop("has a single value in training"));
                        continue;
                    }
                    Transform::Date(enc)
                }
            };
            if transform.kind() != fspec.kind {
                return Err(Error::Spec(format!(
                    "column `{name}` holds {} data but the spec says {}",
                    transform.kind().as_str(),
                    fspec.kind.as_str()
                )));
            }
            let feature = FeatureEncoder { name, offset, transform };
            offset += feature.width();
            features.push(feature);
        }
        let anchored =
            features.iter().any(|f| matches!(&f.transform, Transform::Date(d) if d.age_at == DateAge::TimeColumn));
        let time = match &spec.time_column {
            Some(column) if anchored => Some(TimeInput { column: column.clone(), format: spec.date_format(column) }),
            _ => None,
        };
        Ok((
            Encoder {
                features,
                n_columns: offset,
                missing: spec.missing_tokens(),
                baseline: vec![0.0; offset],
                time,
                pairs: Vec::new(),
            },
            warnings,
        ))
    }

    /// The columns a lead is read from, in order: every feature, then the time column when a
    /// date feature measures its age from it and it is not a feature itself. Everything that
    /// lays a lead's cells out by position (the CSV scorer, the server's lead reader, the
    /// prediction log) uses this list.
    pub fn inputs(&self) -> Vec<&str> {
        let mut inputs: Vec<&str> = self.features.iter().map(|f| f.name.as_str()).collect();
        if let Some(time) = &self.time {
            if !inputs.contains(&time.column.as_str()) {
                inputs.push(&time.column);
            }
        }
        inputs
    }

    /// The position of the time column in [`Encoder::inputs`], when the encoder reads it.
    pub fn time_index(&self) -> Option<usize> {
        let time = self.time.as_ref()?;
        Some(self.features.iter().position(|f| f.name == time.column).unwrap_or(self.features.len()))
    }

    /// The lead's own date from its time column cell (`None` when the encoder does not need it
    /// or the cell is missing; an error names the time column when it is not a date).
    pub fn read_time(&self, raw: RawValue<'_>) -> Result<Option<i32>> {
        match &self.time {
            Some(time) => read::day(raw, &self.missing, time.format, &time.column),
            None => Ok(None),
        }
    }

    /// Names of all encoded columns, in order.
    pub fn column_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.features.iter().flat_map(FeatureEncoder::column_names).collect();
        names.extend(self.pairs.iter().flat_map(|p| p.column_names(&self.features)));
        names
    }

    /// Adds a pair term of `features[pair[0]]` and `features[pair[1]]` after the last column;
    /// its baseline entries start at zero (training sets them to the share of leads per cell).
    pub fn add_pair(&mut self, pair: [usize; 2], axes: [crate::pair::Axis; 2]) -> Result<()> {
        let term = PairTerm::new(&self.features, pair, axes, self.n_columns)?;
        self.n_columns += term.width();
        self.baseline.resize(self.n_columns, 0.0);
        self.pairs.push(term);
        Ok(())
    }

    /// The two raw cells of a pair's features: `field` asked by feature name.
    pub fn pair_fields<'a>(&self, pair: &PairTerm, field: &mut impl FnMut(&str) -> RawValue<'a>) -> [RawValue<'a>; 2] {
        let mut raw = |k: usize| self.features.get(pair.features[k]).map_or(RawValue::Missing, |f| field(&f.name));
        [raw(0), raw(1)]
    }

    /// Encodes one lead; `field(name)` returns the lead's value of a source column.
    /// A field that is absent is treated as missing and noted.
    pub fn encode<'a>(&self, mut field: impl FnMut(&str) -> RawValue<'a>) -> Result<(Vec<f64>, Vec<Note>)> {
        let mut row = vec![0.0; self.n_columns];
        let mut notes = Vec::new();
        let lead_time = match &self.time {
            Some(time) => {
                let day = self.read_time(field(&time.column))?;
                if day.is_none() && !self.features.iter().any(|f| f.name == time.column) {
                    notes.push(Note { feature: time.column.clone(), kind: NoteKind::Missing });
                }
                day
            }
            None => None,
        };
        for feature in &self.features {
            let end = feature.offset + feature.width();
            let out = row
                .get_mut(feature.offset..end)
                .ok_or(Error::ShapeMismatch { weights: end, columns: self.n_columns })?;
            if let Some(kind) = feature.encode_value(field(&feature.name), &self.missing, lead_time, out)? {
                notes.push(Note { feature: feature.name.clone(), kind });
            }
        }
        for pair in &self.pairs {
            let end = pair.offset + pair.width();
            let raw = self.pair_fields(pair, &mut field);
            let out =
                row.get_mut(pair.offset..end).ok_or(Error::ShapeMismatch { weights: end, columns: self.n_columns })?;
            pair.encode_value(&self.features, raw, &self.missing, out)?;
        }
        Ok((row, notes))
    }

    /// Checks internal consistency (offsets, widths, finite numbers): an artifact
    /// that passes its checksum but was built wrong must still not score.
    pub fn validate(&self) -> Result<()> {
        let mut offset = 0;
        for f in &self.features {
            if f.offset != offset {
                return Err(Error::Artifact(format!(
                    "feature `{}` starts at column {} instead of {offset}",
                    f.name, f.offset
                )));
            }
            let finite = |n: &NumericEncoder| {
                n.fill.is_finite()
                    && n.mean.is_finite()
                    && n.std.is_finite()
                    && n.std > 0.0
                    && n.cuts.iter().all(|c| c.is_finite())
            };
            let ok = match &f.transform {
                Transform::Numeric(n) => finite(n),
                Transform::Date(d) => {
                    if d.age.is_none() != (d.age_at == DateAge::None) {
                        return Err(Error::Artifact(format!("date feature `{}` has an age without a base", f.name)));
                    }
                    if d.age_at == DateAge::TimeColumn && self.time.is_none() {
                        return Err(Error::Artifact(format!(
                            "date feature `{}` measures its age from a time column the encoder does not read",
                            f.name
                        )));
                    }
                    d.age.as_ref().is_none_or(finite)
                }
                _ => true,
            };
            if !ok {
                return Err(Error::Artifact(format!("feature `{}` has non-finite scaling", f.name)));
            }
            offset += f.width();
        }
        for pair in &self.pairs {
            pair.validate(&self.features)?;
            if pair.offset != offset {
                return Err(Error::Artifact(format!(
                    "pair term `{}` starts at column {} instead of {offset}",
                    pair.name, pair.offset
                )));
            }
            offset += pair.width();
        }
        if offset != self.n_columns || self.baseline.len() != self.n_columns {
            return Err(Error::Artifact(format!("encoder width {offset} does not match n_columns {}", self.n_columns)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{FeatureSpec, TargetSpec};
    use crate::table::TableBuilder;

    /// Integer codes: a bin per value once the bin before holds `min_count` leads; a short last
    /// bin joins the one before.
    #[test]
    fn level_cuts_give_each_value_with_enough_leads_its_own_bin() {
        let mut v = Vec::new();
        for (value, n) in [(1.0, 12), (2.0, 3), (3.0, 8), (4.0, 15), (5.0, 4)] {
            v.extend(std::iter::repeat_n(value, n));
        }
        // 1 (12 leads) alone; 2 and 3 together (11); 4 and 5 (19): 5 alone would hold 4.
        assert_eq!(level_cuts(&v, 10), [2.0, 4.0]);
        assert_eq!(level_cuts(&v, 1), [2.0, 3.0, 4.0, 5.0]);
        assert!(level_cuts(&v, 100).is_empty());
        assert_eq!(distinct_sorted(&v, 50), 5);
        assert_eq!(distinct_sorted(&v, 3), 4, "counting stops past the limit");
    }

    fn spec() -> Spec {
        let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
        spec.defaults.min_count = 2;
        let mut visits = FeatureSpec::new(Kind::Numeric);
        visits.bins = Some(2);
        spec.features.insert("visits".into(), visits);
        spec.features.insert("source".into(), FeatureSpec::new(Kind::Categorical));
        spec.features.insert("demo".into(), FeatureSpec::new(Kind::Boolean));
        spec
    }

    /// Columns: demo, source, visits (spec order).
    fn fitted() -> Encoder {
        let spec = spec();
        let table = crate::testing::table(&spec);
        let (enc, warnings) = Encoder::fit(&spec, &table, &[0, 1, 2, 3, 4]).unwrap();
        assert!(warnings.is_empty());
        enc
    }

    #[test]
    fn fitted_layout_and_names() {
        let enc = fitted();
        assert_eq!(
            enc.column_names(),
            [
                "demo",
                "demo (missing)",
                "source = google",
                "source = referral",
                "source = (other)",
                "visits",
                "visits (missing)",
                "visits in [-inf, 3)",
                "visits in [3, inf)",
            ]
        );
        let Transform::Numeric(v) = &enc.features[2].transform else { panic!("numeric") };
        // present values 1,3,3,5: median (3+3)/2 = 3; imputed column 1,3,3,3,5 -> mean 3, var (4+0+0+0+4)/5 = 1.6
        assert_eq!(v.fill, 3.0);
        assert_eq!(v.mean, 3.0);
        assert!((v.std - 1.6f64.sqrt()).abs() < 1e-12);
        // 2 bins: cut at sorted[1*4/2] = sorted[2] = 3
        assert_eq!(v.cuts, [3.0]);
    }

    #[track_caller]
    fn check(fields: [(&str, &str); 3], expected: &[f64], notes: &[NoteKind]) {
        let enc = fitted();
        let (row, got_notes) = enc
            .encode(|name| {
                fields.iter().find(|(n, _)| *n == name).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v))
            })
            .unwrap();
        let rounded: Vec<f64> = row.iter().map(|x| (x * 1e9).round() / 1e9).collect();
        assert_eq!(rounded, expected);
        assert_eq!(got_notes.iter().map(|n| n.kind).collect::<Vec<_>>(), notes);
    }

    #[test]
    fn encodes_single_leads() {
        let z = |x: f64| ((x - 3.0) / 1.6f64.sqrt() * 1e9).round() / 1e9;
        check(
            [("demo", "Y"), ("source", " GOOGLE"), ("visits", "5")],
            &[1.0, 0.0, 1.0, 0.0, 0.0, z(5.0), 0.0, 0.0, 1.0],
            &[],
        );
        // "fair" was seen once (< min_count 2): folded into (other)
        check(
            [("demo", "no"), ("source", "Fair"), ("visits", "1")],
            &[0.0, 0.0, 0.0, 0.0, 1.0, z(1.0), 0.0, 1.0, 0.0],
            &[],
        );
        // unseen level: all zeros, noted; missing visits: median 3, indicator; missing demo: majority (no: 2 vs yes: 2 -> false)
        check(
            [("demo", "Select"), ("source", "TikTok"), ("visits", "")],
            &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0],
            &[NoteKind::Missing, NoteKind::UnseenLevel, NoteKind::Missing],
        );
    }

    #[test]
    fn bad_values_are_errors_naming_the_field() {
        let enc = fitted();
        let err = enc.encode(|n| if n == "visits" { RawValue::Text("many") } else { RawValue::Missing }).unwrap_err();
        assert_eq!(err.to_string(), "column `visits`: cannot parse \"many\" as a number");
        let (row, _) = enc.encode(|n| if n == "visits" { RawValue::Number(1e300) } else { RawValue::Missing }).unwrap();
        assert!(row.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn column_and_single_paths_agree() {
        let spec = spec();
        let mut b = TableBuilder::new(&spec);
        let rows = [["1", "yes", "Google", "1"], ["0", "no", "x", ""], ["0", "", "Referral", "7"]];
        for row in &rows {
            b.push(row).unwrap();
        }
        let table = b.finish();
        let enc = fitted();
        let idx = [0usize, 1, 2];
        let mut block = vec![0.0; enc.n_columns * 3];
        for (f, col) in enc.features.iter().zip(&table.columns) {
            f.encode_column(&col.data, None, &idx, &mut block[f.offset * 3..(f.offset + f.width()) * 3]).unwrap();
        }
        for (i, row) in rows.iter().enumerate() {
            let (single, _) = enc
                .encode(|name| match name {
                    "demo" => RawValue::Text(row[1]),
                    "source" => RawValue::Text(row[2]),
                    _ => RawValue::Text(row[3]),
                })
                .unwrap();
            let from_block: Vec<f64> = (0..enc.n_columns).map(|c| block[c * 3 + i]).collect();
            assert_eq!(single, from_block, "row {i}");
        }
    }

    /// A spec with a time column `t` (also a feature: weekday and hour, no age), a date `since`
    /// in `dd/mm/yyyy` whose age is measured at the lead's own `t`, and `other`, measured at
    /// the reference date.
    fn dated(t_is_feature: bool) -> (Spec, Table, [[&'static str; 5]; 4]) {
        let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
        spec.defaults.min_count = 1;
        spec.time_column = Some("t".into());
        let mut since = FeatureSpec::new(Kind::Date);
        since.format = Some(DateFormat::DayMonthYear(crate::date::Separator::Slash));
        since.hour = Some(true);
        since.month = Some(true);
        spec.features.insert("since".into(), since);
        let mut other = FeatureSpec::new(Kind::Date);
        other.age = Some(DateAge::ReferenceDate);
        spec.features.insert("other".into(), other);
        if t_is_feature {
            let mut t = FeatureSpec::new(Kind::Date);
            t.weekday = Some(true);
            t.hour = Some(true);
            spec.features.insert("t".into(), t);
        }
        spec.validate().unwrap();
        // y, t, other, since (, t): the builder's order.
        let rows = [
            ["1", "2024-03-10T09:30:00Z", "2024-01-01", "01/03/2024 14:00", "2024-03-10T09:30:00Z"],
            ["0", "2024-03-12 18:05", "2024-02-01", "15/02/2024", "2024-03-12 18:05"],
            ["0", "2024-03-15", "", "10/03/2024 9:15 PM", "2024-03-15"],
            ["1", "2024-04-01 07:00", "2024-03-01", "", "2024-04-01 07:00"],
        ];
        let mut b = TableBuilder::new(&spec);
        for row in &rows {
            b.push(&row[..if t_is_feature { 5 } else { 4 }]).unwrap();
        }
        (spec, b.finish(), rows)
    }

    #[test]
    fn a_date_s_age_is_measured_at_the_lead_s_own_time_and_both_paths_agree() {
        let (spec, table, rows) = dated(true);
        let (enc, warnings) = Encoder::fit(&spec, &table, &[0, 1, 2, 3]).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(enc.time, Some(TimeInput { column: "t".into(), format: DateFormat::Iso }));
        assert_eq!(enc.inputs(), ["other", "since", "t"], "the time column is a feature: read once");
        assert_eq!(enc.time_index(), Some(2));
        let date = |name: &str| match &enc.features.iter().find(|f| f.name == name).unwrap().transform {
            Transform::Date(d) => d.clone(),
            _ => panic!("{name} is a date"),
        };
        // since: 9, 26 and 5 days before each lead's own t (not the newest date): median fill 9.
        let since = date("since");
        assert_eq!(since.age_at, DateAge::TimeColumn);
        let age = since.age.as_ref().unwrap();
        assert_eq!((age.fill, age.mean), (9.0, (9.0 + 26.0 + 5.0 + 9.0) / 4.0));
        assert_eq!(since.hour.as_ref().unwrap().levels, ["14", "21", MISSING]);
        assert_eq!(date("other").age_at, DateAge::ReferenceDate);
        let t = date("t");
        assert_eq!((t.age_at, t.age.is_none()), (DateAge::None, true), "the time column has no age by default");
        assert_eq!(t.hour.as_ref().unwrap().levels, ["07", "09", "18", MISSING]);
        let names = enc.column_names();
        assert!(names.contains(&"since hour = 21".to_owned()) && names.contains(&"t = sun".to_owned()), "{names:?}");

        let idx = [0usize, 1, 2, 3];
        let mut block = vec![0.0; enc.n_columns * 4];
        for (f, col) in enc.features.iter().zip(&table.columns) {
            let out = &mut block[f.offset * 4..(f.offset + f.width()) * 4];
            f.encode_column(&col.data, table.time.as_deref(), &idx, out).unwrap();
        }
        for (i, row) in rows.iter().enumerate() {
            let (single, _) = enc
                .encode(|name| match name {
                    "t" => RawValue::Text(row[1]),
                    "other" => RawValue::Text(row[2]),
                    _ => RawValue::Text(row[3]),
                })
                .unwrap();
            let from_block: Vec<f64> = (0..enc.n_columns).map(|c| block[c * 4 + i]).collect();
            assert_eq!(single, from_block, "row {i}");
        }
        // A lead without its own time: the age is filled as in training, the indicator set.
        let (row, notes) =
            enc.encode(|name| if name == "since" { RawValue::Text("01/03/2024") } else { RawValue::Missing }).unwrap();
        let at = enc.features.iter().find(|f| f.name == "since").unwrap().offset;
        assert_eq!((row[at], row[at + 1]), (((age.fill - age.mean) / age.std), 1.0));
        assert!(notes.iter().any(|n| n.feature == "t" && n.kind == NoteKind::Missing), "{notes:?}");
    }

    #[test]
    fn a_time_column_that_is_not_a_feature_is_read_as_an_input() {
        let (spec, table, _) = dated(false);
        let (enc, _) = Encoder::fit(&spec, &table, &[0, 1, 2, 3]).unwrap();
        assert_eq!(enc.inputs(), ["other", "since", "t"]);
        assert_eq!(enc.time_index(), Some(2));
        let (_, notes) =
            enc.encode(|name| if name == "since" { RawValue::Text("01/03/2024") } else { RawValue::Missing }).unwrap();
        assert!(notes.iter().any(|n| n.feature == "t" && n.kind == NoteKind::Missing), "{notes:?}");
        let err = enc.encode(|name| if name == "t" { RawValue::Text("10/03/2024") } else { RawValue::Missing });
        let err = err.unwrap_err().to_string();
        assert!(err.contains("column `t`") && err.contains("yyyy-mm-dd"), "{err}");
        // Asked for without a time column, there is nothing to measure from: refused.
        let mut spec = spec;
        spec.time_column = None;
        spec.features.get_mut("since").unwrap().age = Some(DateAge::TimeColumn);
        let err = spec.validate().unwrap_err().to_string();
        assert!(err.contains("features.since") && err.contains("no time_column"), "{err}");
    }

    #[test]
    fn constant_and_empty_columns_are_dropped_with_a_warning() {
        let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
        spec.features.insert("same".into(), FeatureSpec::new(Kind::Numeric));
        spec.features.insert("blank".into(), FeatureSpec::new(Kind::Categorical));
        let mut b = TableBuilder::new(&spec);
        b.push(&["1", "", "4"]).unwrap();
        b.push(&["0", "NA", "4"]).unwrap();
        let (enc, warnings) = Encoder::fit(&spec, &b.finish(), &[0, 1]).unwrap();
        assert_eq!(enc.n_columns, 0);
        let msgs: Vec<_> = warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            msgs,
            ["`blank` is entirely missing in training: dropped", "`same` has a single value in training: dropped"]
        );
    }
}
