//! The scoring query: a chain of common table expressions, one per step of
//! the scorer, each column written once for every dialect.
//!
//! | CTE     | what it holds per feature `k`                                        |
//! |---------|----------------------------------------------------------------------|
//! | `raw`   | `r{k}`: the cell as text (`CAST`, so typed columns work); DuckDB: `q{k}`, it has the usual shape |
//! | `cells` | `c{k}`: trimmed (taken as it is where `q{k}`)                         |
//! | `flags` | `m{k}`: missing (a missing token, ASCII case ignored); `d{k}`: a date's date part |
//! | `vals`  | `v{k}`: the value read (number, yes/no, day number, category level); NULL when missing or unreadable |
//! | `xs`    | the encoded value: `z{k}` standardised, `b{k}` quantile bin, `s{k}` one-hot slot, `bad{k}` unreadable |
//! | `pairs` | (only with pair terms) `px{p}`: pair term `p`'s cell, `-1` for none                 |
//! | `lin`   | `lo`: log-odds, summed in the scorer's order; `k{k}`: contributions; `invalid_column` |
//! | `scored`| `p`: the stable logistic of `lo`                                        |
//!
//! The log-odds are the scorer's sum term by term: `intercept + (t0 + t1 + ...)`
//! with one term per encoded column in column order, left to right, so an
//! engine's IEEE doubles give the scorer's bits. A one-hot group whose other
//! columns are zero is one `CASE` term (adding `0.0` changes nothing). The
//! constants each `CASE` picks from (a level's weight, a bin's weight, a
//! contribution) are computed here with the scorer's own arithmetic.
//!
//! An unreadable cell (a number that does not parse or overflows, a yes/no or
//! date that is neither) makes the CLI stop with an error; a query cannot
//! stop for one row, so that lead's probability, score, tier and MQL flag are
//! NULL and `invalid_column` names the first such column.

use std::fmt::Write as _;

use leadscore_core::date::DateFormat;
use leadscore_core::encode::{CategoricalEncoder, NumericEncoder, Transform, HOURS, OTHER, Z_LIMIT};
use leadscore_core::pair::{Axis, MissingCell, PairTerm};
use leadscore_core::spec::DateAge;
use leadscore_core::Artifact;

use crate::dialect::{Dialect, NUMBER_RE, PLAIN_RE, TRIMMED_RE};
use crate::exact::{clamp_bounds, log_odds_cut, raw_cut, Cut};
use crate::{Error, ExportOptions, Provenance, Result};

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
/// Days before each month in a common year.
const DAYS_BEFORE_MONTH: [i32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
/// Above this log-odds `exp(-z)` is below 1e-307 and `1 + exp(-z)` is exactly 1;
/// below its negative PostgreSQL's `exp` would raise on underflow, and the true
/// probability is under 3.3e-308, reported as 0.
const EXP_LIMIT: f64 = 708.0;

/// A calendar one-hot of a date feature: its encoder, the column prefix, and
/// per calendar name the SQL condition that selects it.
type Calendar<'a> = (&'a Option<CategoricalEncoder>, &'static str, Vec<(String, &'static str)>);

/// Which one-hot column a category lands in, as the scorer's encoder decides:
/// a kept level, `(other)` for a folded rare level, the missing level, or none
/// (all zeros) for a level never seen in training.
pub fn slot(enc: &CategoricalEncoder, level: Option<&str>) -> Option<usize> {
    match level {
        None => enc.missing_level,
        Some(level) => enc.levels.iter().position(|l| l == level).or_else(|| {
            enc.folded
                .binary_search_by(|f| f.as_str().cmp(level))
                .ok()
                .and_then(|_| enc.levels.iter().position(|l| l == OTHER))
        }),
    }
}

/// A one-hot row of `width` with column `slot` set.
/// The regular expression a date part of `format` matches in every engine: fixed width, the
/// same separator twice, no backslash (string literals treat it differently across engines).
fn date_shape(format: DateFormat) -> &'static str {
    use leadscore_core::date::Separator::*;
    match format {
        DateFormat::Iso => "^[0-9]{4}(-[0-9]{2}-|/[0-9]{2}/)[0-9]{2}$",
        DateFormat::DayMonthYear(Dash) | DateFormat::MonthDayYear(Dash) => "^[0-9]{2}-[0-9]{2}-[0-9]{4}$",
        DateFormat::DayMonthYear(Slash) | DateFormat::MonthDayYear(Slash) => "^[0-9]{2}/[0-9]{2}/[0-9]{4}$",
        DateFormat::DayMonthYear(Dot) | DateFormat::MonthDayYear(Dot) => "^[0-9]{2}[.][0-9]{2}[.][0-9]{4}$",
    }
}

fn one_hot(width: usize, slot: Option<usize>) -> Vec<f64> {
    (0..width).map(|i| if Some(i) == slot { 1.0 } else { 0.0 }).collect()
}

/// A feature's contribution for a fully known encoded row, with the scorer's arithmetic.
fn contribution(weights: &[f64], baseline: &[f64], row: &[f64]) -> f64 {
    weights.iter().zip(baseline).zip(row).map(|((w, m), x)| w * (x - m)).sum::<f64>()
}

/// Columns of one CTE: `expression AS name` lines.
#[derive(Default)]
struct Stage {
    columns: Vec<String>,
}

impl Stage {
    fn push(&mut self, expr: impl Into<String>, alias: impl std::fmt::Display) {
        self.columns.push(format!("{} AS {alias}", expr.into()));
    }
    fn pass(&mut self, name: impl std::fmt::Display) {
        self.columns.push(name.to_string());
    }
}

/// A date cell read in the vals stage.
struct DayNumber {
    /// The day number, NULL when missing or not a date.
    value: String,
    /// Whether the cell's date part has the format's shape.
    read: String,
    /// The month written (meaningful where `read`).
    month: String,
}

/// Writes the scoring query.
struct Writer<'a> {
    d: Dialect,
    artifact: &'a Artifact,
    raw: Stage,
    cells: Stage,
    flags: Stage,
    vals: Stage,
    xs: Stage,
    /// Log-odds terms, in encoded column order.
    terms: Vec<String>,
    /// Per feature: its name and contribution expression.
    contributions: Vec<(String, String)>,
    /// Per readable-or-not feature: `bad{k}` and the feature name.
    bad: Vec<(String, String)>,
    /// Whether the time column's columns (`vt`, ...) are in the query.
    time_read: bool,
    /// Features a pair term reads by value (`v{k}` passed on to `xs`).
    pair_values: Vec<bool>,
}

impl Writer<'_> {
    fn f(&self, x: f64) -> String {
        self.d.float(x)
    }

    fn zero(&self) -> String {
        self.f(0.0)
    }

    /// `CASE expr WHEN i THEN value_i ... ELSE default END`, leaving out values equal to the default.
    fn case_index(&self, expr: &str, values: &[f64], default: f64) -> String {
        let arms: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| v.to_bits() != default.to_bits())
            .map(|(i, v)| format!("WHEN {i} THEN {}", self.f(*v)))
            .collect();
        if arms.is_empty() {
            self.f(default)
        } else {
            format!("CASE {expr} {} ELSE {} END", arms.join(" "), self.f(default))
        }
    }

    /// A slot expression: `CASE WHEN m THEN missing_slot WHEN <cond_i> THEN slot_i ... ELSE -1 END`.
    fn slot_case(&self, m: &str, missing: Option<usize>, arms: &[(String, Option<usize>)]) -> String {
        let idx = |s: Option<usize>| s.map_or_else(|| "-1".to_owned(), |s| s.to_string());
        let mut out = format!("CASE WHEN {m} THEN {}", idx(missing));
        for (cond, s) in arms {
            let _ = write!(out, " WHEN {cond} THEN {}", idx(*s));
        }
        out.push_str(" ELSE -1 END");
        out
    }

    /// Terms of a one-hot group decided by a slot column: one log-odds term,
    /// one contribution term per column.
    fn one_hot_terms(&mut self, slot_col: &str, weights: &[f64], baseline: &[f64], contrib: &mut Vec<String>) {
        self.terms.push(self.case_index(slot_col, weights, 0.0));
        for (j, (w, m)) in weights.iter().zip(baseline).enumerate() {
            let on = w * (1.0 - m);
            let off = w * (0.0 - m);
            contrib.push(format!("CASE WHEN {slot_col} = {j} THEN {} ELSE {} END", self.f(on), self.f(off)));
        }
    }

    /// The encoded columns of a numeric value `x` (an expression, NULL when
    /// missing or unreadable) with missing flag `m`: z, missing indicator, bins.
    #[allow(clippy::too_many_arguments)]
    fn numeric(
        &mut self,
        k: usize,
        name: &str,
        enc: &NumericEncoder,
        x: &str,
        m: &str,
        weights: &[f64],
        baseline: &[f64],
        contrib: &mut Vec<String>,
    ) -> Result<usize> {
        let d = self.d;
        let t = if enc.log1p {
            // sign(x) ln(1 + |x|); Spark's log1p is the accurate one where an engine has it.
            match d {
                Dialect::Spark => format!("CASE WHEN {x} < 0 THEN -log1p(-{x}) ELSE log1p({x}) END"),
                _ => format!("CASE WHEN {x} < 0 THEN -LN({one} - {x}) ELSE LN({one} + {x}) END", one = self.f(1.0)),
            }
        } else {
            x.to_owned()
        };
        let (lo, hi) = clamp_bounds(enc.mean, enc.std, Z_LIMIT);
        let mut t_clamped = t;
        if let Some(lo) = lo {
            t_clamped = format!("GREATEST({t_clamped}, {})", self.f(lo));
        }
        if let Some(hi) = hi {
            t_clamped = format!("LEAST({t_clamped}, {})", self.f(hi));
        }
        let fill_z = ((enc.fill - enc.mean) / enc.std).clamp(-Z_LIMIT, Z_LIMIT);
        let z = format!(
            "CASE WHEN {m} THEN {fill} ELSE LEAST(GREATEST(({t_clamped} - {mean}) / {std}, {neg}), {pos}) END",
            fill = self.f(fill_z),
            mean = self.f(enc.mean),
            std = self.f(enc.std),
            neg = self.f(-Z_LIMIT),
            pos = self.f(Z_LIMIT),
        );
        self.xs.push(z, format!("z{k}"));
        let (w0, m0) = (weights[0], baseline[0]);
        self.terms.push(format!("{} * z{k}", self.f(w0)));
        contrib.push(format!("{} * (z{k} - {})", self.f(w0), self.f(m0)));
        let mut col = 1;
        if enc.missing_indicator {
            let (w, mb) = (weights[col], baseline[col]);
            self.terms.push(format!("CASE WHEN {m} THEN {} ELSE {} END", self.f(w), self.zero()));
            contrib.push(format!("CASE WHEN {m} THEN {} ELSE {} END", self.f(w * (1.0 - mb)), self.f(w * (0.0 - mb))));
            col += 1;
        }
        if !enc.cuts.is_empty() {
            let fill_bin = enc.cuts.partition_point(|c| *c <= enc.fill);
            let mut b = format!("CASE WHEN {m} THEN {fill_bin}");
            let mut closed = false;
            for (i, &cut) in enc.cuts.iter().enumerate().rev() {
                match raw_cut(enc.log1p, cut) {
                    Cut::Never => {}
                    Cut::AtLeast(r) => {
                        let _ = write!(b, " WHEN {x} >= {} THEN {}", self.f(r), i + 1);
                    }
                    Cut::Always => {
                        let _ = write!(b, " ELSE {} END", i + 1);
                        closed = true;
                        break;
                    }
                }
            }
            if !closed {
                b.push_str(" ELSE 0 END");
            }
            self.xs.push(b, format!("b{k}"));
            let n_bins = enc.cuts.len() + 1;
            let range = col..col + n_bins;
            let (w, mb) = (weights.get(range.clone()), baseline.get(range));
            let (Some(w), Some(mb)) = (w, mb) else {
                return Err(Error::Unsupported { feature: name.to_owned(), reason: "bins outside the weights".into() });
            };
            self.one_hot_terms(&format!("b{k}"), w, mb, contrib);
            col += n_bins;
        }
        Ok(col)
    }

    /// Reads a date cell `c` (trimmed) with missing flag `m` in `format`: its date part goes to
    /// the flags as `dp`; the returned expressions (for the vals stage) are the day number (NULL
    /// when missing or not a date), the condition that the cell has the format's shape, and the
    /// month.
    fn day_number(&mut self, c: &str, m: &str, dp: &str, format: DateFormat) -> DayNumber {
        let d = self.d;
        let date_part = format!(
            "CASE WHEN length({c}) = 10 THEN {c} WHEN substr({c}, 11, 1) IN ('T', ' ') THEN substr({c}, 1, 10) END"
        );
        self.flags.push(date_part, dp);
        let shaped = d.matches(dp, date_shape(format));
        let int = |from: usize, len: usize| format!("CAST(substr({dp}, {from}, {len}) AS {})", d.int_type());
        let (y_at, mo_at, dd_at) = format.positions();
        let (y, mo, dd) = (int(y_at + 1, 4), int(mo_at + 1, 2), int(dd_at + 1, 2));
        let leap = format!("({} = 0 AND ({} <> 0 OR {} = 0))", d.modulo(&y, 4), d.modulo(&y, 100), d.modulo(&y, 400));
        let days_in_month = format!(
            "CASE WHEN {mo} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END WHEN {mo} IN (4, 6, 9, 11) THEN 30 ELSE 31 END"
        );
        // Days from 0001-01-01 = day 1, as chrono's num_days_from_ce; years shifted by one
        // 400-year cycle (146097 days) so that every integer division has non-negative operands.
        let shifted = format!("({y} + 399)");
        let before_month: Vec<String> =
            DAYS_BEFORE_MONTH.iter().enumerate().map(|(i, n)| format!("WHEN {} THEN {n}", i + 1)).collect();
        let day_number = format!(
            "365 * {shifted} + {} - {} + {} - 146097 + CASE {mo} {} END + {dd} + CASE WHEN {leap} AND {mo} > 2 THEN 1 ELSE 0 END",
            d.idiv(&shifted, 4),
            d.idiv(&shifted, 100),
            d.idiv(&shifted, 400),
            before_month.join(" ")
        );
        DayNumber {
            value: format!(
                "CASE WHEN {m} THEN NULL WHEN {dp} IS NULL OR NOT {shaped} THEN NULL \
WHEN {mo} BETWEEN 1 AND 12 AND {dd} BETWEEN 1 AND {days_in_month} THEN {day_number} END"
            ),
            read: format!("{dp} IS NOT NULL AND {shaped}"),
            month: mo,
        }
    }

    /// The hour written after the date in cell `c` (see `leadscore_core::date::hour_of`): `H:MM`
    /// or `HH:MM` after `T` or a space at the eleventh character, on a 12-hour clock when the
    /// cell ends in `AM`/`PM` (ASCII case ignored); NULL otherwise. Its parts go to the flags
    /// as `hh{tag}` (the number written) and `ap{tag}` (0: 24-hour clock, 1: AM, 2: PM); the
    /// returned expression reads them in the vals stage.
    fn hour(&mut self, c: &str, tag: &str) -> String {
        let d = self.d;
        let time = format!("substr({c}, 12)");
        let hh = format!(
            "CASE WHEN substr({c}, 11, 1) IN ('T', ' ') THEN CASE WHEN {} THEN CAST(substr({c}, 12, 1) AS {int}) \
WHEN {} THEN CAST(substr({c}, 12, 2) AS {int}) END END",
            d.matches(&time, "^[0-9]:[0-5][0-9]"),
            d.matches(&time, "^[0-9]{2}:[0-5][0-9]"),
            int = d.int_type(),
        );
        self.flags.push(hh, format!("hh{tag}"));
        let last_two = format!("substr({c}, length({c}) - 1)");
        self.flags.push(
            format!(
                "CASE WHEN {} THEN 1 WHEN {} THEN 2 ELSE 0 END",
                d.equals_ignoring_ascii_case(&last_two, &["am"]),
                d.equals_ignoring_ascii_case(&last_two, &["pm"])
            ),
            format!("ap{tag}"),
        );
        format!(
            "CASE WHEN ap{tag} = 0 THEN CASE WHEN hh{tag} <= 23 THEN hh{tag} END \
WHEN hh{tag} BETWEEN 1 AND 12 THEN {} + CASE WHEN ap{tag} = 2 THEN 12 ELSE 0 END END",
            d.modulo(&format!("hh{tag}"), 12)
        )
    }

    /// The lead's own date, read once from the time column (`rt`, `ct`, `mt`, `dt`, `vt`; `badt`
    /// when it is not a date) for the ages measured from it.
    fn time_input(&mut self) -> Result<()> {
        if self.time_read {
            return Ok(());
        }
        self.time_read = true;
        let d = self.d;
        let Some(time) = &self.artifact.encoder.time else {
            return Err(Error::Unsupported {
                feature: "(time column)".into(),
                reason: "an age measured from a time column the model does not read".into(),
            });
        };
        let column = d.ident("column", &time.column)?;
        self.raw.push(format!("CAST({column} AS {})", d.text_type()), "rt");
        self.cells.push(d.trim("rt"), "ct");
        let tokens: Vec<&str> = self.artifact.encoder.missing.tokens().iter().map(String::as_str).collect();
        self.flags.push(format!("(ct IS NULL OR {})", d.equals_ignoring_ascii_case("ct", &tokens)), "mt");
        let day = self.day_number("ct", "mt", "dt", time.format);
        self.vals.push(day.value, "vt");
        self.vals.pass("mt");
        self.xs.pass("vt");
        self.xs.push("(NOT mt AND vt IS NULL)", "badt");
        self.bad.push(("badt".into(), time.column.clone()));
        Ok(())
    }

    fn feature(&mut self, k: usize) -> Result<()> {
        let d = self.d;
        let artifact = self.artifact;
        let feature = &artifact.encoder.features[k];
        let name = feature.name.as_str();
        let width = feature.width();
        let range = feature.offset..feature.offset + width;
        let (Some(weights), Some(baseline)) =
            (artifact.model.weights.get(range.clone()), artifact.encoder.baseline.get(range))
        else {
            return Err(Error::Unsupported { feature: name.to_owned(), reason: "columns outside the weights".into() });
        };
        let column = d.ident("column", name)?;
        let c = format!("c{k}");
        let m = format!("m{k}");
        let v = format!("v{k}");
        // raw: the cell as text, once; cells: trimmed.
        let r = format!("r{k}");
        let text = format!("CAST({column} AS {})", d.text_type());
        // Where the engine reads cells slowly, `q{k}`: the cell has the usual shape of its
        // feature, so it is already trimmed (and for a number or a category, more: below).
        let shape = match &feature.transform {
            Transform::Numeric(_) => NUMBER_RE,
            Transform::Categorical(enc) if enc.normalize => PLAIN_RE,
            _ => TRIMMED_RE,
        };
        let q = d.plain_test(&text, shape).map(|test| {
            let q = format!("q{k}");
            self.raw.push(test, &q);
            q
        });
        self.raw.push(text, &r);
        match &q {
            Some(q) => {
                self.cells.push(format!("CASE WHEN {q} THEN {r} ELSE {} END", d.trim(&r)), &c);
                self.cells.pass(q);
                self.flags.pass(q);
            }
            None => self.cells.push(d.trim(&r), &c),
        }
        // flags: missing.
        let tokens: Vec<&str> = artifact.encoder.missing.tokens().iter().map(String::as_str).collect();
        self.flags.push(format!("({c} IS NULL OR {})", d.equals_ignoring_ascii_case(&c, &tokens)), &m);
        let mut contrib = Vec::new();
        match &feature.transform {
            Transform::Numeric(enc) => {
                self.flags.pass(&c);
                let parsed = d.parse_double(&c);
                let finite = match d {
                    // The PostgreSQL reading is NULL on overflow already.
                    Dialect::Postgres => parsed,
                    _ => format!("CASE WHEN ABS({parsed}) <= {max} THEN {parsed} END", max = d.max_double()),
                };
                let number = d.matches(&c, NUMBER_RE);
                let plain = q.as_ref().map(|q| format!(" WHEN {q} THEN {finite}")).unwrap_or_default();
                self.vals.push(format!("CASE WHEN {m} THEN NULL{plain} WHEN {number} THEN {finite} END"), &v);
                self.vals.pass(&m);
                self.xs.pass(&m);
                if self.pair_values[k] {
                    self.xs.pass(&v);
                }
                self.xs.push(format!("(NOT {m} AND {v} IS NULL)"), format!("bad{k}"));
                self.bad.push((format!("bad{k}"), name.to_owned()));
                self.numeric(k, name, enc, &v, &m, weights, baseline, &mut contrib)?;
            }
            Transform::Boolean(enc) => {
                self.flags.pass(&c);
                self.vals.push(
                    format!(
                        "CASE WHEN {m} THEN NULL WHEN {} THEN TRUE WHEN {} THEN FALSE END",
                        d.equals_ignoring_ascii_case(&c, &["yes", "true", "1", "y", "t"]),
                        d.equals_ignoring_ascii_case(&c, &["no", "false", "0", "n", "f"]),
                    ),
                    &v,
                );
                self.vals.pass(&m);
                self.xs.pass(&m);
                self.xs.pass(&v);
                self.xs.push(format!("(NOT {m} AND {v} IS NULL)"), format!("bad{k}"));
                self.bad.push((format!("bad{k}"), name.to_owned()));
                let w0 = weights[0];
                let fill = if enc.fill { self.f(w0) } else { self.zero() };
                self.terms.push(format!(
                    "CASE WHEN {m} THEN {fill} WHEN {v} THEN {} ELSE {} END",
                    self.f(w0),
                    self.zero()
                ));
                let row = |value: bool, missing: bool| -> Vec<f64> {
                    let mut row = vec![if value { 1.0 } else { 0.0 }];
                    if enc.missing_indicator {
                        row.push(if missing { 1.0 } else { 0.0 });
                    }
                    row
                };
                if enc.missing_indicator {
                    self.terms.push(format!("CASE WHEN {m} THEN {} ELSE {} END", self.f(weights[1]), self.zero()));
                }
                let c_missing = contribution(weights, baseline, &row(enc.fill, true));
                let c_true = contribution(weights, baseline, &row(true, false));
                let c_false = contribution(weights, baseline, &row(false, false));
                contrib.push(format!(
                    "CASE WHEN {m} THEN {} WHEN {v} THEN {} ELSE {} END",
                    self.f(c_missing),
                    self.f(c_true),
                    self.f(c_false)
                ));
            }
            Transform::Categorical(enc) => {
                self.flags.pass(&c);
                let level = match &q {
                    _ if !enc.normalize => c.clone(),
                    Some(q) => format!("lower(CASE WHEN {q} THEN {c} ELSE {} END)", d.collapse_whitespace(&c)),
                    None => format!("lower({})", d.collapse_whitespace(&c)),
                };
                self.vals.push(format!("CASE WHEN {m} THEN NULL ELSE {level} END"), &v);
                self.vals.pass(&m);
                let mut arms: Vec<(String, Option<usize>)> =
                    enc.levels.iter().enumerate().map(|(i, l)| (format!("{v} = {}", d.string(l)), Some(i))).collect();
                let other = slot(enc, enc.folded.first().map(String::as_str));
                let folded: Vec<&String> = enc.folded.iter().filter(|f| !enc.levels.contains(f)).collect();
                if !folded.is_empty() && other.is_some() {
                    let list: Vec<String> = folded.iter().map(|f| d.string(f)).collect();
                    arms.push((format!("{v} IN ({})", list.join(", ")), other));
                }
                self.xs.push(self.slot_case(&m, enc.missing_level, &arms), format!("s{k}"));
                // One term: at most one column is non-zero.
                self.terms.push(self.case_index(&format!("s{k}"), weights, 0.0));
                let per_slot: Vec<f64> = (0..enc.levels.len())
                    .map(|i| contribution(weights, baseline, &one_hot(enc.levels.len(), Some(i))))
                    .collect();
                let unseen = contribution(weights, baseline, &one_hot(enc.levels.len(), None));
                contrib.push(self.case_index(&format!("s{k}"), &per_slot, unseen));
            }
            Transform::Date(enc) => {
                let dp = format!("d{k}");
                let day = self.day_number(&c, &m, &dp, enc.format);
                self.vals.push(day.value, &v);
                self.vals.pass(&m);
                if enc.month.is_some() {
                    self.vals.push(format!("CASE WHEN {} THEN {} END", day.read, day.month), format!("mo{k}"));
                }
                if enc.hour.is_some() {
                    let hour = self.hour(&c, &k.to_string());
                    self.vals.push(format!("CASE WHEN {} THEN {hour} END", day.read), format!("ho{k}"));
                    self.xs.pass(format!("ho{k}"));
                }
                self.xs.pass(&m);
                self.xs.push(format!("(NOT {m} AND {v} IS NULL)"), format!("bad{k}"));
                self.bad.push((format!("bad{k}"), name.to_owned()));
                let mut col = 0;
                if let Some(age_enc) = &enc.age {
                    // The age is missing (filled as in training) when the date or the lead's own
                    // time is; an unreadable time makes the lead invalid (`badt`).
                    let (age, missing) = match enc.age_at {
                        DateAge::TimeColumn => {
                            self.time_input()?;
                            (format!("CAST(vt - {v} AS {})", d.double_type()), format!("({m} OR vt IS NULL)"))
                        }
                        _ => (format!("CAST({} - {v} AS {})", enc.reference_day, d.double_type()), m.clone()),
                    };
                    col = self.numeric(k, name, age_enc, &age, &missing, weights, baseline, &mut contrib)?;
                }
                let calendars: [Calendar<'_>; 3] = [
                    (
                        &enc.month,
                        "ms",
                        MONTHS.iter().enumerate().map(|(i, n)| (format!("mo{k} = {}", i + 1), *n)).collect(),
                    ),
                    (
                        &enc.weekday,
                        "ws",
                        WEEKDAYS
                            .iter()
                            .enumerate()
                            .map(|(i, n)| (format!("{} = {i}", d.modulo(&format!("({v} + 370)"), 7)), *n))
                            .collect(),
                    ),
                    (&enc.hour, "hs", HOURS.iter().enumerate().map(|(i, n)| (format!("ho{k} = {i}"), *n)).collect()),
                ];
                for (cal, prefix, names) in calendars {
                    let Some(cal) = cal else { continue };
                    let arms: Vec<(String, Option<usize>)> =
                        names.into_iter().map(|(cond, n)| (cond, slot(cal, Some(n)))).collect();
                    let col_name = format!("{prefix}{k}");
                    // A date written without a time has no hour: the missing slot, as the scorer.
                    let none = if prefix == "hs" { format!("({m} OR ho{k} IS NULL)") } else { m.clone() };
                    self.xs.push(self.slot_case(&none, cal.missing_level, &arms), &col_name);
                    let n = cal.levels.len();
                    let (Some(w), Some(mb)) = (weights.get(col..col + n), baseline.get(col..col + n)) else {
                        return Err(Error::Unsupported {
                            feature: name.to_owned(),
                            reason: "calendar outside the weights".into(),
                        });
                    };
                    self.one_hot_terms(&col_name, w, mb, &mut contrib);
                    col += n;
                }
            }
        }
        let expr = if contrib.is_empty() { self.zero() } else { format!("({})", contrib.join(" + ")) };
        self.contributions.push((name.to_owned(), expr));
        Ok(())
    }

    /// One axis of a pair term as a cell index from `xs`'s columns (`-1`: no cell).
    fn axis(&self, pair: &PairTerm, side: usize) -> Result<String> {
        let k = pair.features[side];
        let feature = &self.artifact.encoder.features[k];
        let unsupported = |reason: &str| Error::Unsupported { feature: pair.name.clone(), reason: reason.to_owned() };
        let missing_cell = |missing: MissingCell, own: usize| match missing {
            MissingCell::Own => own,
            MissingCell::Shares(i) => i,
        };
        Ok(match (&pair.axes[side], &feature.transform) {
            (Axis::Levels { .. }, Transform::Categorical(_)) => format!("s{k}"),
            (Axis::Flag { missing }, Transform::Boolean(_)) => {
                format!("CASE WHEN m{k} THEN {} WHEN v{k} THEN 1 ELSE 0 END", missing_cell(*missing, 2))
            }
            (Axis::Bins { cuts, missing }, Transform::Numeric(_)) => {
                let x = format!("v{k}");
                let mut out = format!("CASE WHEN m{k} THEN {}", missing_cell(*missing, cuts.len() + 1));
                for (i, cut) in cuts.iter().enumerate().rev() {
                    let _ = write!(out, " WHEN {x} >= {} THEN {}", self.f(*cut), i + 1);
                }
                out.push_str(" ELSE 0 END");
                out
            }
            _ => return Err(unsupported("an axis that does not read its feature's kind")),
        })
    }

    /// A pair term: its cell in the `pairs` stage, one log-odds term, one contribution.
    fn pair(&mut self, p: usize, pairs: &mut Stage) -> Result<()> {
        let artifact = self.artifact;
        let pair = &artifact.encoder.pairs[p];
        let range = pair.offset..pair.offset + pair.width();
        let (Some(weights), Some(baseline)) =
            (artifact.model.weights.get(range.clone()), artifact.encoder.baseline.get(range))
        else {
            return Err(Error::Unsupported {
                feature: pair.name.clone(),
                reason: "columns outside the weights".into(),
            });
        };
        let (a, b) = (self.axis(pair, 0)?, self.axis(pair, 1)?);
        let nb = pair.axes[1].len();
        // Only a categorical's slot can be -1 (a level never seen): then there is no cell.
        let unseen: Vec<String> = (0..2)
            .filter(|&side| matches!(pair.axes[side], Axis::Levels { .. }))
            .map(|side| format!("s{} < 0", pair.features[side]))
            .collect();
        let cell = format!("({a}) * {nb} + ({b})");
        let cell =
            if unseen.is_empty() { cell } else { format!("CASE WHEN {} THEN -1 ELSE {cell} END", unseen.join(" OR ")) };
        let px = format!("px{p}");
        pairs.push(cell, &px);
        self.terms.push(self.case_index(&px, weights, 0.0));
        let width = pair.width();
        let per_cell: Vec<f64> =
            (0..width).map(|c| contribution(weights, baseline, &one_hot(width, Some(c)))).collect();
        let none = contribution(weights, baseline, &one_hot(width, None));
        self.contributions.push((pair.name.clone(), self.case_index(&px, &per_cell, none)));
        Ok(())
    }
}

/// Writes the whole query for `options`.
pub fn write(artifact: &Artifact, provenance: &Provenance, options: &ExportOptions) -> Result<String> {
    artifact.validate()?;
    let d = options.dialect;
    let id_name = match &options.id {
        Some(id) => id.clone(),
        None => artifact.spec.ids.first().cloned().ok_or(Error::NoIdColumn)?,
    };
    let chosen = options.threshold.resolve(artifact).map_err(Error::Threshold)?;
    let (strategy, threshold) = (chosen.strategy, chosen.threshold);
    let table = d.qualified("table", &options.table)?;
    let id_out = d.ident("column", &id_name)?;
    let mut w = Writer {
        d,
        artifact,
        raw: Stage::default(),
        cells: Stage::default(),
        flags: Stage::default(),
        vals: Stage::default(),
        xs: Stage::default(),
        terms: Vec::new(),
        contributions: Vec::new(),
        bad: Vec::new(),
        time_read: false,
        pair_values: artifact
            .encoder
            .features
            .iter()
            .enumerate()
            .map(|(k, _)| artifact.encoder.pairs.iter().any(|p| p.features.contains(&k)))
            .collect(),
    };
    for k in 0..artifact.encoder.features.len() {
        w.feature(k)?;
    }
    // pairs: each pair term's cell, from the encoded values (after every feature's terms, as
    // its columns come after every feature's).
    let mut pairs = Stage::default();
    for p in 0..artifact.encoder.pairs.len() {
        w.pair(p, &mut pairs)?;
    }

    // lin: the log-odds, contributions and the first unreadable column.
    let mut lin = Stage::default();
    let intercept = w.f(artifact.model.intercept);
    let sum = if w.terms.is_empty() { intercept } else { format!("{intercept} + ({})", w.terms.join(" + ")) };
    let any_bad: Vec<&str> = w.bad.iter().map(|(b, _)| b.as_str()).collect();
    if any_bad.is_empty() {
        lin.push(sum, "lo");
        lin.push(d.null_text(), "invalid_column");
    } else {
        lin.push(format!("CASE WHEN {} THEN NULL ELSE {sum} END", any_bad.join(" OR ")), "lo");
        let arms: Vec<String> = w.bad.iter().map(|(b, n)| format!("WHEN {b} THEN {}", d.string(n))).collect();
        lin.push(format!("CASE {} END", arms.join(" ")), "invalid_column");
    }
    let mut scored = Stage::default();
    scored.pass("lo");
    scored.pass("invalid_column");
    let one = w.f(1.0);
    scored.push(
        format!(
            "CASE WHEN lo IS NULL THEN NULL WHEN lo >= {zero} THEN {one} / ({one} + EXP(-LEAST(lo, {lim}))) \
WHEN lo < {neg} THEN {zero} ELSE EXP(lo) / ({one} + EXP(lo)) END",
            zero = w.zero(),
            lim = w.f(EXP_LIMIT),
            neg = w.f(-EXP_LIMIT),
        ),
        "p",
    );
    if options.top_feature {
        for (k, (_, expr)) in w.contributions.iter().enumerate() {
            lin.push(expr.clone(), format!("k{k}"));
            scored.pass(format!("k{k}"));
        }
        if w.contributions.len() > 1 {
            let abs: Vec<String> = (0..w.contributions.len()).map(|k| format!("ABS(k{k})")).collect();
            scored.push(format!("GREATEST({})", abs.join(", ")), "kmax");
        }
    }

    // The final columns.
    let mut out = Stage::default();
    out.push("id_", &id_out);
    out.push("p", "probability");
    out.push(
        // GREATEST and LEAST skip NULLs in most engines: an unreadable lead's score stays NULL by the CASE.
        format!(
            "CASE WHEN p IS NULL THEN NULL ELSE CAST(LEAST(99, GREATEST(1, FLOOR(p * {} + {}))) AS {}) END",
            w.f(100.0),
            w.f(0.5),
            d.int_type()
        ),
        "score",
    );
    let mut tier = String::from("CASE WHEN lo IS NULL THEN NULL");
    let mut closed = false;
    for t in &artifact.tiers.tiers {
        match log_odds_cut(t.min_probability) {
            Cut::Never => {}
            Cut::AtLeast(z) => {
                let _ = write!(tier, " WHEN lo >= {} THEN {}", w.f(z), d.string(&t.name));
            }
            Cut::Always => {
                let _ = write!(tier, " ELSE {} END", d.string(&t.name));
                closed = true;
                break;
            }
        }
    }
    if !closed {
        match artifact.tiers.tiers.last() {
            Some(last) => {
                let _ = write!(tier, " ELSE {} END", d.string(&last.name));
            }
            None => tier.push_str(" END"),
        }
    }
    out.push(tier, "tier");
    let mql = match log_odds_cut(threshold) {
        Cut::Always => "TRUE".to_owned(),
        Cut::Never => "FALSE".to_owned(),
        Cut::AtLeast(z) => format!("lo >= {}", w.f(z)),
    };
    out.push(format!("CASE WHEN lo IS NULL THEN NULL ELSE {mql} END"), "mql");
    if options.top_feature {
        let top = match w.contributions.as_slice() {
            [] => d.null_text(),
            [(name, _)] => format!("CASE WHEN lo IS NULL THEN NULL ELSE {} END", d.string(name)),
            many => {
                let arms: Vec<String> = many
                    .iter()
                    .enumerate()
                    .map(|(k, (name, _))| format!("WHEN ABS(k{k}) = kmax THEN {}", d.string(name)))
                    .collect();
                format!("CASE WHEN lo IS NULL THEN NULL {} END", arms.join(" "))
            }
        };
        out.push(top, "top_feature");
    }
    out.pass("invalid_column");

    let mut sql = String::new();
    let clean = |s: &str| s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>();
    let _ = writeln!(
        sql,
        "-- leadscore model `{}` {} (checksum {}), exported for {}",
        clean(&provenance.name),
        clean(&provenance.version),
        clean(&provenance.checksum),
        d.name()
    );
    let _ = writeln!(
        sql,
        "-- One row per lead of {}: {}, probability of being won, score (1-99), tier, mql (probability >= {threshold}, the `{}` threshold){}, invalid_column.",
        clean(&options.table),
        clean(&id_name),
        clean(&strategy),
        if options.top_feature { ", top_feature (largest contribution to the log-odds)" } else { "" }
    );
    let _ = writeln!(
        sql,
        "-- A lead with a cell that cannot be read (a number that does not parse or is not finite, a yes/no or date that is neither)"
    );
    let _ =
        writeln!(sql, "-- gets NULL probability, score, tier and mql, and invalid_column names the first such column.");
    let _ = writeln!(
        sql,
        "-- Cells are read as `leadscore score` reads them: missing tokens {}, categories trimmed, whitespace collapsed, lowercased.",
        artifact.encoder.missing.tokens().iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join(" ")
    );
    if let Some(view) = &options.view {
        let _ = writeln!(sql, "{}", d.create_view(&d.qualified("view", view)?));
    }
    let features: Vec<String> = artifact.encoder.features.iter().map(|f| clean(&f.name)).collect();
    let stage = |sql: &mut String, name: &str, first: &str, stage: &Stage, from: &str, last: bool| {
        let mut cols = vec![first.to_owned()];
        cols.extend(stage.columns.iter().cloned());
        let _ = writeln!(
            sql,
            "{name} AS (\n  SELECT\n    {}\n  FROM {from}{}\n){}",
            cols.join(",\n    "),
            d.fence(),
            if last { "" } else { "," }
        );
    };
    let _ = writeln!(sql, "WITH");
    let _ = writeln!(
        sql,
        "-- r<k> = text of feature k, c<k> = trimmed: {}",
        features.iter().enumerate().map(|(k, f)| format!("{k} {f}")).collect::<Vec<_>>().join(", ")
    );
    stage(&mut sql, "raw", &format!("{} AS id_", d.ident("column", &id_name)?), &w.raw, &table, false);
    stage(&mut sql, "cells", "id_", &w.cells, "raw", false);
    stage(&mut sql, "flags", "id_", &w.flags, "cells", false);
    stage(&mut sql, "vals", "id_", &w.vals, "flags", false);
    stage(&mut sql, "xs", "id_", &w.xs, "vals", false);
    if pairs.columns.is_empty() {
        stage(&mut sql, "lin", "id_", &lin, "xs", false);
    } else {
        let _ = writeln!(
            sql,
            "-- px<p> = cell of pair term p (-1: none): {}",
            artifact
                .encoder
                .pairs
                .iter()
                .enumerate()
                .map(|(p, t)| format!("{p} {}", clean(&t.name)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        stage(&mut sql, "pairs", "*", &pairs, "xs", false);
        stage(&mut sql, "lin", "id_", &lin, "pairs", false);
    }
    stage(&mut sql, "scored", "id_", &scored, "lin", true);
    let _ = writeln!(sql, "SELECT\n  {}\nFROM scored", out.columns.join(",\n  "));
    Ok(sql)
}

#[cfg(test)]
mod tests {
    use leadscore_core::value::RawValue;

    use super::*;

    fn shipped() -> Artifact {
        let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../models/leads/v1/model.bin")).unwrap();
        Artifact::from_bytes(&bytes).unwrap()
    }

    #[test]
    fn slots_agree_with_the_encoder() {
        let artifact = shipped();
        let missing = &artifact.encoder.missing;
        let mut checked = 0;
        for f in &artifact.encoder.features {
            let Transform::Categorical(enc) = &f.transform else { continue };
            let mut inputs: Vec<Option<&str>> = enc.levels.iter().map(|l| Some(l.as_str())).collect();
            inputs.extend(enc.folded.iter().map(|l| Some(l.as_str())));
            inputs.push(Some("a level no lead ever had"));
            inputs.push(None);
            for input in inputs {
                let mut row = vec![f64::NAN; enc.levels.len()];
                let raw = input.map_or(RawValue::Missing, RawValue::Text);
                f.encode_value(raw, missing, None, &mut row).unwrap();
                assert_eq!(row, one_hot(enc.levels.len(), slot(enc, input)), "{} {input:?}", f.name);
                checked += 1;
            }
        }
        assert!(checked > 50, "the shipped model has categorical features ({checked} inputs checked)");
    }

    #[test]
    fn contributions_match_the_scorer_for_one_hot_features() {
        // A lead with every feature missing: each categorical's contribution is its missing
        // slot's constant, and each must equal what Artifact::score reports, bit for bit.
        let artifact = shipped();
        let scored = artifact.score(|_| RawValue::Missing).unwrap();
        for f in &artifact.encoder.features {
            let Transform::Categorical(enc) = &f.transform else { continue };
            let range = f.offset..f.offset + f.width();
            let c = contribution(
                &artifact.model.weights[range.clone()],
                &artifact.encoder.baseline[range],
                &one_hot(enc.levels.len(), slot(enc, None)),
            );
            let reported = scored.contributions.iter().find(|x| x.feature == f.name).unwrap().contribution;
            assert_eq!(c.to_bits(), reported.to_bits(), "{}", f.name);
        }
    }
}
