//! How a raw cell from a CRM export becomes a typed value.
//!
//! Training (columnar, millions of rows) and scoring (one lead at a time) both
//! go through these functions, so a value can never be read one way when the
//! model learns and another way when it scores.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The tokens that mean "no value" when the spec says nothing.
///
/// `Select` is the placeholder of many web forms (the X Education export is
/// full of it); an unanswered dropdown is missing, not a category.
pub const DEFAULT_MISSING: &[&str] = &["", "NA", "N/A", "NULL", "null", "None", "nan", "Select", "-"];

/// A set of tokens that mean missing, compared after trimming and ignoring ASCII case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MissingTokens {
    tokens: Vec<String>,
}

impl MissingTokens {
    /// Builds the set; tokens are trimmed, and the empty string is always included
    /// (an empty cell can never be a value).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(tokens: I) -> Self {
        let mut tokens: Vec<String> = tokens.into_iter().map(|t| t.as_ref().trim().to_ascii_lowercase()).collect();
        tokens.push(String::new());
        tokens.sort();
        tokens.dedup();
        Self { tokens }
    }

    /// Whether a raw cell means "no value".
    pub fn is_missing(&self, raw: &str) -> bool {
        let raw = raw.trim();
        raw.is_empty() || self.tokens.iter().any(|t| t.eq_ignore_ascii_case(raw))
    }

    /// The tokens, lowercased, sorted.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

impl Default for MissingTokens {
    fn default() -> Self {
        Self::new(DEFAULT_MISSING)
    }
}

/// Why a raw text could not be read as the expected type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseFailure {
    /// Not a number, a yes/no or a date at all.
    Unparsable,
    /// A number, but NaN or infinite.
    NonFinite,
}

/// Reads a number. Surrounding whitespace is ignored; `NaN` and infinities are refused
/// because they would poison the medians, means and the model.
pub fn parse_number(raw: &str) -> Result<f64, ParseFailure> {
    let value: f64 = raw.trim().parse().map_err(|_| ParseFailure::Unparsable)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ParseFailure::NonFinite)
    }
}

/// Reads a yes/no flag: `yes/no`, `true/false`, `1/0`, `y/n`, `t/f`, any case.
pub fn parse_bool(raw: &str) -> Option<bool> {
    let raw = raw.trim();
    const TRUE: [&str; 5] = ["yes", "true", "1", "y", "t"];
    const FALSE: [&str; 5] = ["no", "false", "0", "n", "f"];
    if TRUE.iter().any(|t| t.eq_ignore_ascii_case(raw)) {
        Some(true)
    } else if FALSE.iter().any(|t| t.eq_ignore_ascii_case(raw)) {
        Some(false)
    } else {
        None
    }
}

/// Normalises a category so that `Google`, ` google ` and `GOOGLE` are one level.
///
/// With `fold` off only surrounding whitespace is removed: some codes are
/// case-sensitive on purpose.
pub fn normalize_category(raw: &str, fold: bool) -> Cow<'_, str> {
    match prepare(raw, fold) {
        Ok(done) => Cow::Borrowed(done),
        Err(trimmed) => Cow::Owned(fold_words(trimmed)),
    }
}

/// Room for [`normalize_category_in`] to fold a short value without allocating.
#[derive(Clone, Copy, Debug)]
pub struct FoldBuffer([u8; 64]);

impl Default for FoldBuffer {
    fn default() -> Self {
        FoldBuffer([0; 64])
    }
}

/// [`normalize_category`] for the scoring hot path: the same result, with short
/// ASCII values (nearly every CRM value) folded into `buf` instead of a new string.
pub fn normalize_category_in<'a>(raw: &'a str, fold: bool, buf: &'a mut FoldBuffer) -> Cow<'a, str> {
    let trimmed = match prepare(raw, fold) {
        Ok(done) => return Cow::Borrowed(done),
        Err(trimmed) => trimmed,
    };
    if !trimmed.is_ascii() || trimmed.len() > buf.0.len() {
        return Cow::Owned(fold_words(trimmed));
    }
    // Words joined by single spaces never outgrow the trimmed value.
    let mut n = 0;
    for word in trimmed.split_whitespace() {
        if n > 0 {
            buf.0[n] = b' ';
            n += 1;
        }
        buf.0[n..n + word.len()].copy_from_slice(word.as_bytes());
        n += word.len();
    }
    buf.0[..n].make_ascii_lowercase();
    match std::str::from_utf8(&buf.0[..n]) {
        Ok(folded) => Cow::Borrowed(folded),
        Err(_) => Cow::Owned(fold_words(trimmed)),
    }
}

/// `Ok(value)` when `raw` is already normal; `Err(trimmed)` when it needs folding.
fn prepare(raw: &str, fold: bool) -> Result<&str, &str> {
    let trimmed = raw.trim();
    if !fold {
        return Ok(trimmed);
    }
    let clean = !trimmed.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80)
        && !trimmed.as_bytes().windows(2).any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        && !trimmed.bytes().any(|b| b.is_ascii_whitespace() && b != b' ');
    if clean {
        Ok(trimmed)
    } else {
        Err(trimmed)
    }
}

/// Lowercase words joined by single spaces.
fn fold_words(trimmed: &str) -> String {
    let mut out = String::with_capacity(trimmed.len());
    // ASCII: copy words whole and lowercase in one pass, the same result as the per-char path.
    let ascii = trimmed.is_ascii();
    for word in trimmed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        if ascii {
            out.push_str(word);
        } else {
            out.extend(word.chars().flat_map(char::to_lowercase));
        }
    }
    if ascii {
        out.make_ascii_lowercase();
    }
    out
}

/// Reads a date as days since 0001-01-01 (the proleptic Gregorian day number).
///
/// Accepts `YYYY-MM-DD`, `YYYY/MM/DD`, and timestamps that start with a date
/// followed by `T` or a space (RFC 3339, `2024-03-01 14:22:05`); the time of day is dropped
/// because lead ages are counted in days.
pub fn parse_day(raw: &str) -> Option<i32> {
    use chrono::Datelike;
    let raw = raw.trim();
    let date_part = match raw.get(10..11) {
        None if raw.len() == 10 => raw,
        Some("T") | Some(" ") => raw.get(..10)?,
        _ => return None,
    };
    let date = chrono::NaiveDate::parse_from_str(date_part, "%Y-%m-%d")
        .or_else(|_| chrono::NaiveDate::parse_from_str(date_part, "%Y/%m/%d"))
        .ok()?;
    Some(date.num_days_from_ce())
}

/// Formats a day number from [`parse_day`] as `YYYY-MM-DD`.
pub fn format_day(day: i32) -> String {
    chrono::NaiveDate::from_num_days_from_ce_opt(day)
        .map_or_else(|| format!("day {day}"), |d| d.format("%Y-%m-%d").to_string())
}

/// A field value as a caller hands it to the scorer: text from a CSV cell, or a
/// typed JSON value from an API request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RawValue<'a> {
    /// Absent, null, or a missing token.
    Missing,
    /// Text as found in a file or a JSON string.
    Text(&'a str),
    /// A JSON number.
    Number(f64),
    /// A JSON boolean.
    Bool(bool),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tokens_ignore_case_and_space() {
        let m = MissingTokens::default();
        for raw in ["", "  ", "Select", "select", " NA ", "n/a", "NULL"] {
            assert!(m.is_missing(raw), "{raw:?} should be missing");
        }
        for raw in ["0", "Google", "Selected"] {
            assert!(!m.is_missing(raw), "{raw:?} should not be missing");
        }
    }

    #[test]
    fn numbers_are_strict_and_finite() {
        assert_eq!(parse_number(" 3.5 "), Ok(3.5));
        assert_eq!(parse_number("-2e3"), Ok(-2000.0));
        assert_eq!(parse_number("abc"), Err(ParseFailure::Unparsable));
        assert_eq!(parse_number("1,5"), Err(ParseFailure::Unparsable));
        assert_eq!(parse_number("NaN"), Err(ParseFailure::NonFinite));
        assert_eq!(parse_number("inf"), Err(ParseFailure::NonFinite));
    }

    #[test]
    fn booleans_accept_the_usual_spellings() {
        for raw in ["yes", "Yes", "TRUE", "1", "y", " t "] {
            assert_eq!(parse_bool(raw), Some(true), "{raw}");
        }
        for raw in ["no", "No", "false", "0", "N", "f"] {
            assert_eq!(parse_bool(raw), Some(false), "{raw}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }

    #[test]
    fn categories_fold_case_and_whitespace() {
        assert_eq!(normalize_category(" Google ", true), "google");
        assert_eq!(normalize_category("google", true), "google");
        assert_eq!(normalize_category("Olark  Chat\t", true), "olark chat");
        assert_eq!(normalize_category("Ünïcode X", true), "ünïcode x");
        assert_eq!(normalize_category(" Google ", false), "Google");
    }

    #[test]
    fn dates_and_timestamps() {
        let d = parse_day("2024-03-01").unwrap();
        assert_eq!(parse_day("2024-03-01T10:00:00Z"), Some(d));
        assert_eq!(parse_day("2024-03-01 23:59:59"), Some(d));
        assert_eq!(parse_day("2024/03/01"), Some(d));
        assert_eq!(parse_day("2024-03-02").unwrap() - d, 1);
        assert_eq!(format_day(d), "2024-03-01");
        assert_eq!(parse_day("01/03/2024"), None);
        assert_eq!(parse_day("2024-02-30"), None);
        assert_eq!(parse_day("2024-03-01x"), None);
    }

    proptest::proptest! {
        /// The buffered fold is the heap fold, for any text (ASCII or not, short or long,
        /// any whitespace) and either fold setting.
        #[test]
        fn buffered_normalisation_equals_the_heap_one(
            raw in "[ \t\r\n\x0BaZé_ÄßİK-]{0,80}",
            fold: bool,
        ) {
            let mut buf = FoldBuffer::default();
            let heap = normalize_category(&raw, fold);
            proptest::prop_assert_eq!(normalize_category_in(&raw, fold, &mut buf), heap);
        }
    }

    #[test]
    fn buffered_normalisation_folds_short_ascii_in_place() {
        let mut buf = FoldBuffer::default();
        assert_eq!(normalize_category_in("  United   STATES ", true, &mut buf), "united states");
        let long = "A".repeat(65);
        assert_eq!(normalize_category_in(&long, true, &mut buf), "a".repeat(65));
        assert_eq!(normalize_category_in(" Straße ", true, &mut buf), "straße");
        assert_eq!(normalize_category_in(" CODE-A ", false, &mut buf), "CODE-A");
    }
}
