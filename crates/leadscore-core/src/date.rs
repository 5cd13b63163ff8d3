//! Dates as CRMs and spreadsheets write them, and how a column's format is told from its values.
//!
//! A date column has one [`DateFormat`], declared in the spec (`format = "dd/mm/yyyy"`) or
//! inferred from the whole column by [`FormatInference`]: day and month are told apart by the
//! values (a `13` can only be a day), a column where they never can be is reported as ambiguous
//! rather than guessed, and a column mixing formats is reported with the line where it changes.
//! Every format is fixed width (two-digit day and month, four-digit year) so that the SQL export
//! can read it with `substr` in every engine, bit for bit as here; a time of day may follow after
//! `T` or a space (`2024-03-01T14:22:05+02:00`, `01/03/2024 14:22`): ages are counted in days
//! of the date the CRM wrote, and the hour ([`hour_of`]) is a part a model may use, as written.

use std::fmt;

use chrono::Datelike;
use serde::{Deserialize, Serialize};

/// The separator between a format's parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Separator {
    /// `-`
    Dash,
    /// `/`
    Slash,
    /// `.`
    Dot,
}

impl Separator {
    /// The separator's byte.
    pub fn byte(self) -> u8 {
        match self {
            Separator::Dash => b'-',
            Separator::Slash => b'/',
            Separator::Dot => b'.',
        }
    }
}

/// How a column writes its dates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum DateFormat {
    /// `yyyy-mm-dd` or `yyyy/mm/dd` (ISO 8601, RFC 3339 timestamps): the only order in use with
    /// the year first, so one format reads both separators, as leadscore always has.
    #[default]
    Iso,
    /// `dd-mm-yyyy`, `dd/mm/yyyy`, `dd.mm.yyyy`: most of the world's spreadsheets.
    DayMonthYear(Separator),
    /// `mm/dd/yyyy`, `mm-dd-yyyy`, `mm.dd.yyyy`: United States spreadsheets and CRMs.
    MonthDayYear(Separator),
}

/// Every format, in the order inference reports them.
pub const ALL_FORMATS: [DateFormat; 7] = [
    DateFormat::Iso,
    DateFormat::DayMonthYear(Separator::Dash),
    DateFormat::DayMonthYear(Separator::Slash),
    DateFormat::DayMonthYear(Separator::Dot),
    DateFormat::MonthDayYear(Separator::Dash),
    DateFormat::MonthDayYear(Separator::Slash),
    DateFormat::MonthDayYear(Separator::Dot),
];

impl DateFormat {
    /// The format's name as written in a spec.
    pub fn as_str(self) -> &'static str {
        use DateFormat::*;
        use Separator::*;
        match self {
            Iso => "yyyy-mm-dd",
            DayMonthYear(Dash) => "dd-mm-yyyy",
            DayMonthYear(Slash) => "dd/mm/yyyy",
            DayMonthYear(Dot) => "dd.mm.yyyy",
            MonthDayYear(Dash) => "mm-dd-yyyy",
            MonthDayYear(Slash) => "mm/dd/yyyy",
            MonthDayYear(Dot) => "mm.dd.yyyy",
        }
    }

    /// Reads a format name (`yyyy-mm-dd`, also `iso`; `dd/mm/yyyy`, ...), ignoring case.
    pub fn from_name(name: &str) -> Option<DateFormat> {
        let name = name.trim().to_ascii_lowercase();
        if name == "iso" || name == "yyyy/mm/dd" {
            return Some(DateFormat::Iso);
        }
        ALL_FORMATS.into_iter().find(|f| f.as_str() == name)
    }

    /// Byte offsets (0-based) of year, month and day in the 10-byte date part.
    pub fn positions(self) -> (usize, usize, usize) {
        match self {
            DateFormat::Iso => (0, 5, 8),
            DateFormat::DayMonthYear(_) => (6, 3, 0),
            DateFormat::MonthDayYear(_) => (6, 0, 3),
        }
    }

    /// The separators the date part may use (ISO: `-` or `/`, the same twice).
    pub fn separators(self) -> &'static [u8] {
        match self {
            DateFormat::Iso => b"-/",
            DateFormat::DayMonthYear(s) | DateFormat::MonthDayYear(s) => match s {
                Separator::Dash => b"-",
                Separator::Slash => b"/",
                Separator::Dot => b".",
            },
        }
    }

    /// Byte offsets of the two separators in the date part.
    pub fn separator_positions(self) -> (usize, usize) {
        match self {
            DateFormat::Iso => (4, 7),
            _ => (2, 5),
        }
    }

    /// Reads a cell as days since 0001-01-01 (the proleptic Gregorian day number, day 1 =
    /// 0001-01-01, as chrono's `num_days_from_ce`); `None` when it is not a date of this format.
    pub fn parse(self, raw: &str) -> Option<i32> {
        let date = date_part(raw)?.as_bytes();
        let (s1, s2) = self.separator_positions();
        if date[s1] != date[s2] || !self.separators().contains(&date[s1]) {
            return None;
        }
        let (y, m, d) = self.positions();
        let year = digits(&date[y..y + 4])?;
        let month = digits(&date[m..m + 2])?;
        let day = digits(&date[d..d + 2])?;
        chrono::NaiveDate::from_ymd_opt(year as i32, month, day).map(|date| date.num_days_from_ce())
    }
}

impl fmt::Display for DateFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<DateFormat> for String {
    fn from(format: DateFormat) -> String {
        format.as_str().to_owned()
    }
}

impl TryFrom<String> for DateFormat {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        DateFormat::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = ALL_FORMATS.iter().map(|f| f.as_str()).collect();
            format!("unknown date format {name:?}; use one of {}", names.join(", "))
        })
    }
}

/// The first ten bytes of a trimmed cell when they are all of it or followed by `T` or a
/// space (the time of day, dropped), as every format writes a date.
fn date_part(raw: &str) -> Option<&str> {
    let raw = raw.trim();
    match raw.get(10..11) {
        None if raw.len() == 10 => Some(raw),
        Some("T") | Some(" ") => raw.get(..10),
        _ => None,
    }
}

/// The hour of the time of day written after a date (a date part, `T` or a space, then `H:MM` or
/// `HH:MM`, then anything: seconds, a fraction, a zone), as written: the clock the CRM wrote, not
/// converted to another zone. A cell ending in `AM` or `PM` (any case) is on a 12-hour clock
/// (`12:30 AM` is hour 0). `None` when no time follows the date or it is not one of these shapes.
/// The SQL export reads the same shapes with `substr` (see `leadscore-sql`).
pub fn hour_of(raw: &str) -> Option<u8> {
    let raw = raw.trim();
    if !matches!(raw.get(10..11), Some("T") | Some(" ")) {
        return None;
    }
    let time = raw.get(11..)?.as_bytes();
    let (hour, minutes) = match time {
        [h, b':', m @ ..] if h.is_ascii_digit() => (u32::from(h - b'0'), m),
        [h1, h2, b':', m @ ..] => (digits(&[*h1, *h2])?, m),
        _ => return None,
    };
    match minutes {
        [m1, m2, ..] if (b'0'..=b'5').contains(m1) && m2.is_ascii_digit() => {}
        _ => return None,
    }
    let suffix = raw.get(raw.len().checked_sub(2)?..).map(str::to_ascii_uppercase);
    let hour = match suffix.as_deref() {
        Some("AM") if (1..=12).contains(&hour) => hour % 12,
        Some("PM") if (1..=12).contains(&hour) => hour % 12 + 12,
        Some("AM") | Some("PM") => return None,
        _ if hour <= 23 => hour,
        _ => return None,
    };
    u8::try_from(hour).ok()
}

/// ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// The formats a cell can be read in, as bits of [`ALL_FORMATS`].
fn formats_of(raw: &str) -> u8 {
    ALL_FORMATS.iter().enumerate().filter(|(_, f)| f.parse(raw).is_some()).fold(0, |bits, (i, _)| bits | 1 << i)
}

fn names(bits: u8) -> String {
    let names: Vec<&str> =
        ALL_FORMATS.iter().enumerate().filter(|(i, _)| bits & 1 << i != 0).map(|(_, f)| f.as_str()).collect();
    names.join(" or ")
}

/// What a column's values say about its date format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inferred {
    /// Some filled value is not a date in any format.
    NotDates,
    /// Every value reads in this one format.
    Format(DateFormat),
    /// Every value reads in several formats (days and months all 12 or less): declare one.
    Ambiguous {
        /// The formats that fit every value.
        formats: Vec<DateFormat>,
    },
    /// Every value is a date, but no single format reads them all.
    Mixed {
        /// Line of the first value that breaks the format of the lines before it.
        line: u64,
        /// That value.
        value: String,
        /// The line the earlier format was first seen on, and its value.
        earlier_line: u64,
        /// The earlier value.
        earlier_value: String,
        /// The formats the earlier lines fit, as words (`dd/mm/yyyy or mm/dd/yyyy`).
        earlier: String,
        /// The formats the breaking value fits.
        found: String,
    },
}

impl Inferred {
    /// Why a column of dates could not be used, as a sentence for the user, or `None` when it can.
    pub fn problem(&self) -> Option<String> {
        match self {
            Inferred::NotDates | Inferred::Format(_) => None,
            Inferred::Ambiguous { formats } => {
                let list: Vec<String> = formats.iter().map(|f| format!("format = {:?}", f.as_str())).collect();
                Some(format!(
                    "dates whose day and month cannot be told apart (no value has a part above 12): declare {}",
                    list.join(" or ")
                ))
            }
            Inferred::Mixed { line, value, earlier_line, earlier_value, earlier, found } => Some(format!(
                "dates in mixed formats: line {line} has {value:?} ({found}), but line {earlier_line} has \
                 {earlier_value:?} ({earlier}); write one format, or declare it and fix the other lines"
            )),
        }
    }
}

/// Infers a column's date format from its values, one cell at a time (missing cells left out).
#[derive(Clone, Debug)]
pub struct FormatInference {
    /// Formats every value so far fits.
    fits: u8,
    /// Whether any value was seen.
    any: bool,
    /// Whether a value fit no format at all.
    not_dates: bool,
    /// Line and value that first narrowed `fits` to its current set (for the mixed report).
    witness: Option<(u64, String)>,
    mixed: Option<Inferred>,
}

impl Default for FormatInference {
    fn default() -> Self {
        FormatInference { fits: u8::MAX, any: false, not_dates: false, witness: None, mixed: None }
    }
}

impl FormatInference {
    /// Takes one filled cell of the column, from the file's `line`.
    pub fn push(&mut self, line: u64, cell: &str) {
        if self.not_dates {
            return;
        }
        let bits = formats_of(cell);
        if bits == 0 {
            self.not_dates = true;
            return;
        }
        self.any = true;
        if self.mixed.is_some() {
            return;
        }
        let narrowed = self.fits & bits;
        if narrowed == 0 {
            let (earlier_line, earlier_value) = self.witness.clone().unwrap_or_default();
            self.mixed = Some(Inferred::Mixed {
                line,
                value: cell.trim().to_owned(),
                earlier_line,
                earlier_value,
                earlier: names(self.fits),
                found: names(bits),
            });
        } else if narrowed != self.fits {
            self.fits = narrowed;
            self.witness = Some((line, cell.trim().to_owned()));
        }
    }

    /// What the column's values say.
    pub fn result(&self) -> Inferred {
        if self.not_dates || !self.any {
            return Inferred::NotDates;
        }
        if let Some(mixed) = &self.mixed {
            return mixed.clone();
        }
        let formats: Vec<DateFormat> =
            ALL_FORMATS.iter().enumerate().filter(|(i, _)| self.fits & 1 << i != 0).map(|(_, f)| *f).collect();
        match formats.as_slice() {
            [one] => Inferred::Format(*one),
            _ => Inferred::Ambiguous { formats },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DateFormat::*;
    use Separator::*;

    fn day(y: i32, m: u32, d: u32) -> i32 {
        chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().num_days_from_ce()
    }

    #[test]
    fn every_format_reads_its_dates_with_or_without_a_time() {
        let march_1 = day(2024, 3, 1);
        let cases = [
            (Iso, ["2024-03-01", "2024/03/01", "2024-03-01T14:22:05+02:00", "2024-03-01 23:59"]),
            (DayMonthYear(Dash), ["01-03-2024", "01-03-2024 10:00", "01-03-2024T10:00:00Z", " 01-03-2024 "]),
            (DayMonthYear(Slash), ["01/03/2024", "01/03/2024 10:00:00", "01/03/2024T10:00", "01/03/2024"]),
            (DayMonthYear(Dot), ["01.03.2024", "01.03.2024 10:00", "01.03.2024", "01.03.2024 1:00 PM"]),
            (MonthDayYear(Slash), ["03/01/2024", "03/01/2024 10:00 AM", "03/01/2024", "03/01/2024T00:00"]),
            (MonthDayYear(Dash), ["03-01-2024", "03-01-2024 10:00", "03-01-2024", "03-01-2024"]),
            (MonthDayYear(Dot), ["03.01.2024", "03.01.2024 10:00", "03.01.2024", "03.01.2024"]),
        ];
        for (format, cells) in cases {
            for cell in cells {
                assert_eq!(format.parse(cell), Some(march_1), "{format}: {cell:?}");
            }
            assert_eq!(DateFormat::from_name(format.as_str()), Some(format));
        }
    }

    #[test]
    fn wrong_shapes_and_impossible_dates_are_not_dates() {
        for cell in ["2024-02-30", "2024-03/01", "2024-3-01", "+024-03-01", "2024-03-01x", "20240301", ""] {
            assert_eq!(Iso.parse(cell), None, "{cell:?}");
        }
        for cell in ["31/02/2024", "1/03/2024", "01-03/2024", "01/13/2024", "01/03/24"] {
            assert_eq!(DayMonthYear(Slash).parse(cell), None, "{cell:?}");
        }
        assert_eq!(MonthDayYear(Slash).parse("13/01/2024"), None);
        assert_eq!(DayMonthYear(Dash).parse("01/03/2024"), None, "the separator is part of the format");
        assert_eq!(Iso.parse("2024-02-29"), Some(day(2024, 2, 29)));
    }

    #[test]
    fn hours_are_read_as_written_on_either_clock() {
        for (cell, hour) in [
            ("2024-03-01T14:22:05+02:00", Some(14)),
            ("2024-03-01T14:22:05Z", Some(14)),
            ("2024-03-01 09:05", Some(9)),
            ("01/03/2024 9:05", Some(9)),
            ("01/03/2024 10:00 AM", Some(10)),
            ("01/03/2024 12:30 AM", Some(0)),
            ("01/03/2024 12:30 pm", Some(12)),
            ("01/03/2024 1:00 PM", Some(13)),
            (" 01.03.2024 23:59:59.123 ", Some(23)),
            ("2024-03-01", None),
            ("2024-03-01T", None),
            ("2024-03-01 24:00", None),
            ("2024-03-01 13:00 PM", None),
            ("2024-03-01 0:00 AM", None),
            ("2024-03-01 10:60", None),
            ("2024-03-01 10h30", None),
            ("2024-03-01x10:30", None),
        ] {
            assert_eq!(hour_of(cell), hour, "{cell:?}");
        }
    }

    #[test]
    fn formats_are_spec_strings() {
        assert_eq!(DateFormat::from_name("ISO"), Some(Iso));
        assert_eq!(DateFormat::from_name("DD/MM/YYYY"), Some(DayMonthYear(Slash)));
        let err = DateFormat::try_from("dd/mm/yy".to_owned()).unwrap_err();
        assert!(err.contains("dd/mm/yy") && err.contains("mm/dd/yyyy"), "{err}");
    }

    fn infer(cells: &[&str]) -> Inferred {
        let mut inference = FormatInference::default();
        for (i, cell) in cells.iter().enumerate() {
            inference.push(i as u64 + 2, cell);
        }
        inference.result()
    }

    #[test]
    fn the_whole_column_decides_day_and_month() {
        assert_eq!(infer(&["2024-03-01", "2024/03/02T10:00:00Z"]), Inferred::Format(Iso));
        assert_eq!(infer(&["01/03/2024", "02/03/2024", "25/03/2024"]), Inferred::Format(DayMonthYear(Slash)));
        assert_eq!(infer(&["03/01/2024", "03/25/2024 10:00", "04/01/2024"]), Inferred::Format(MonthDayYear(Slash)));
        assert_eq!(infer(&["01.03.2024", "13.03.2024"]), Inferred::Format(DayMonthYear(Dot)));
        assert_eq!(infer(&["12-31-2024", "01-01-2025"]), Inferred::Format(MonthDayYear(Dash)));
        assert_eq!(infer(&["31-12-2024", "01-01-2025"]), Inferred::Format(DayMonthYear(Dash)));
        assert_eq!(infer(&["Google", "2024-03-01"]), Inferred::NotDates);
        assert_eq!(infer(&["2024-03-01", "1/3/2024"]), Inferred::NotDates);
        assert_eq!(infer(&[]), Inferred::NotDates);
    }

    #[test]
    fn a_column_that_never_tells_day_from_month_is_ambiguous() {
        let result = infer(&["01/03/2024", "02/03/2024", "12/11/2024"]);
        assert_eq!(result, Inferred::Ambiguous { formats: vec![DayMonthYear(Slash), MonthDayYear(Slash)] });
        let problem = result.problem().unwrap();
        assert!(problem.contains("format = \"dd/mm/yyyy\" or format = \"mm/dd/yyyy\""), "{problem}");
    }

    #[test]
    fn mixed_formats_are_reported_with_the_line() {
        // Line 4 settles day-first; line 5 can only be month-first.
        let result = infer(&["01/03/2024", "02/03/2024", "25/03/2024", "03/26/2024"]);
        let problem = result.problem().unwrap();
        assert!(matches!(result, Inferred::Mixed { line: 5, earlier_line: 4, .. }), "{result:?}");
        assert!(problem.contains("line 5 has \"03/26/2024\" (mm/dd/yyyy)"), "{problem}");
        assert!(problem.contains("line 4 has \"25/03/2024\" (dd/mm/yyyy)"), "{problem}");
        let result = infer(&["2024-03-01", "2024-03-02", "03.03.2024"]);
        assert!(matches!(result, Inferred::Mixed { line: 4, earlier_line: 2, .. }), "{result:?}");
        assert!(result.problem().unwrap().contains("(yyyy-mm-dd)"));
    }
}
