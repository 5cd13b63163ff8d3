//! How a raw cell from a CRM export becomes a typed value.
//!
//! Training (columnar, millions of rows) and scoring (one lead at a time) both
//! go through these functions, so a value can never be read one way when the
//! model learns and another way when it scores.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::date::DateFormat;

/// The tokens that mean "no value" when the spec says nothing.
///
/// `Select` is the placeholder of many web forms (the X Education export is
/// full of it); an unanswered dropdown is missing, not a category.
pub const DEFAULT_MISSING: &[&str] = &["", "NA", "N/A", "NULL", "null", "None", "nan", "Select", "-"];

/// A set of tokens that mean missing, compared after trimming and ignoring ASCII case.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "TokenList", into = "TokenList")]
pub struct MissingTokens {
    tokens: Vec<String>,
    /// Bit `n` set when a token is `n` bytes long (bit 63: 63 or more), and
    /// bit `b` of `firsts` when one starts with byte `b` (lowercase): nearly
    /// every cell is ruled out by these two alone.
    lengths: u64,
    firsts: [u64; 4],
}

/// How [`MissingTokens`] is stored: the tokens only.
#[derive(Clone, Serialize, Deserialize)]
struct TokenList {
    tokens: Vec<String>,
}

impl From<TokenList> for MissingTokens {
    fn from(list: TokenList) -> Self {
        let lengths = list.tokens.iter().fold(0, |bits, t| bits | length_bit(t));
        let mut firsts = [0; 4];
        for b in list.tokens.iter().filter_map(|t| t.as_bytes().first()) {
            let b = b.to_ascii_lowercase();
            firsts[usize::from(b >> 6)] |= 1 << (b & 63);
        }
        MissingTokens { tokens: list.tokens, lengths, firsts }
    }
}

impl From<MissingTokens> for TokenList {
    fn from(tokens: MissingTokens) -> Self {
        TokenList { tokens: tokens.tokens }
    }
}

fn length_bit(text: &str) -> u64 {
    1 << text.len().min(63)
}

impl MissingTokens {
    /// Builds the set; tokens are trimmed, and the empty string is always included
    /// (an empty cell can never be a value).
    pub fn new<I: IntoIterator<Item = S>, S: AsRef<str>>(tokens: I) -> Self {
        let mut tokens: Vec<String> = tokens.into_iter().map(|t| t.as_ref().trim().to_ascii_lowercase()).collect();
        tokens.push(String::new());
        tokens.sort();
        tokens.dedup();
        TokenList { tokens }.into()
    }

    /// Whether a raw cell means "no value".
    pub fn is_missing(&self, raw: &str) -> bool {
        let raw = trim(raw);
        let first_fits = |b: &u8| {
            let b = b.to_ascii_lowercase();
            self.firsts[usize::from(b >> 6)] & (1 << (b & 63)) != 0
        };
        self.lengths & length_bit(raw) != 0
            && raw.as_bytes().first().is_none_or(first_fits)
            && self.tokens.iter().any(|t| t.eq_ignore_ascii_case(raw))
    }

    /// The tokens, lowercased, sorted.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }
}

/// `raw.trim()`, skipping the Unicode whitespace scan when both ends are
/// visible ASCII, as nearly every cell's are.
pub fn trim(raw: &str) -> &str {
    match (raw.as_bytes().first(), raw.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => raw,
        _ => raw.trim(),
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
    let raw = trim(raw);
    if let Some(whole) = whole_number(raw) {
        return Ok(whole);
    }
    let value: f64 = raw.parse().map_err(|_| ParseFailure::Unparsable)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(ParseFailure::NonFinite)
    }
}

/// Up to 15 ASCII digits (below 2^53, so exact): the value `str::parse` gives,
/// without its general machinery. Counts of visits and clicks are nearly all of these.
fn whole_number(raw: &str) -> Option<f64> {
    if raw.is_empty() || raw.len() > 15 {
        return None;
    }
    let mut n = 0u64;
    for b in raw.bytes() {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(b - b'0');
    }
    Some(n as f64)
}

/// Reads a yes/no flag: `yes/no`, `true/false`, `1/0`, `y/n`, `t/f`, any case.
pub fn parse_bool(raw: &str) -> Option<bool> {
    let raw = trim(raw);
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
    let trimmed = trim(raw);
    if !fold {
        return Cow::Borrowed(trimmed);
    }
    if trimmed.len() > buf.0.len() {
        return normalize_category(trimmed, fold);
    }
    // Nearly every value is ASCII words joined by single spaces: its fold is a lowercase copy,
    // found with a table lookup a byte (about a third of the general pass's instructions).
    let bytes = trimmed.as_bytes();
    let (mut seen, mut double, mut after_space) = (0u8, false, false);
    for &b in bytes {
        seen |= BYTE_CLASS[usize::from(b)];
        let space = b == b' ';
        double |= space & after_space;
        after_space = space;
    }
    if seen & OTHER_SPACE_OR_WIDE == 0 && !double {
        if seen & CAPITAL == 0 {
            return Cow::Borrowed(trimmed);
        }
        let folded = &mut buf.0[..bytes.len()];
        folded.copy_from_slice(bytes);
        folded.make_ascii_lowercase();
        // ASCII only here, so always text.
        return match std::str::from_utf8(folded) {
            Ok(folded) => Cow::Borrowed(folded),
            Err(_) => Cow::Owned(fold_words(trimmed)),
        };
    }
    // One pass doing both halves of `prepare` and `fold_words`: whether the value
    // is already normal, and its fold into `buf` (split at what
    // `char::is_whitespace` accepts, words joined by single spaces, which never
    // outgrow the trimmed value). Non-ASCII is never normal: the heap fold.
    let (mut n, mut gap, mut normal, mut after_space) = (0, false, true, false);
    for &b in trimmed.as_bytes() {
        if b >= 0x80 {
            return Cow::Owned(fold_words(trimmed));
        }
        normal &= !breaks_normal(b, after_space);
        after_space = b.is_ascii_whitespace();
        if matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r') {
            gap = n > 0;
            continue;
        }
        if gap {
            buf.0[n] = b' ';
            n += 1;
            gap = false;
        }
        buf.0[n] = b.to_ascii_lowercase();
        n += 1;
    }
    if normal {
        return Cow::Borrowed(trimmed);
    }
    match std::str::from_utf8(&buf.0[..n]) {
        Ok(folded) => Cow::Borrowed(folded),
        Err(_) => Cow::Owned(fold_words(trimmed)),
    }
}

/// [`BYTE_CLASS`] bits: an ASCII capital.
const CAPITAL: u8 = 1;
/// [`BYTE_CLASS`] bits: ASCII whitespace other than a space, or a byte of a non-ASCII character.
const OTHER_SPACE_OR_WIDE: u8 = 2;
/// What each byte means to [`normalize_category_in`]'s common case.
static BYTE_CLASS: [u8; 256] = {
    let mut class = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        class[b] = if byte >= 0x80 || (byte.is_ascii_whitespace() && byte != b' ') || byte == 0x0b {
            OTHER_SPACE_OR_WIDE
        } else if byte.is_ascii_uppercase() {
            CAPITAL
        } else {
            0
        };
        b += 1;
    }
    class
};

/// `Ok(value)` when `raw` is already normal; `Err(trimmed)` when it needs folding.
fn prepare(raw: &str, fold: bool) -> Result<&str, &str> {
    let trimmed = trim(raw);
    if !fold {
        return Ok(trimmed);
    }
    let mut after_space = false;
    for &b in trimmed.as_bytes() {
        if breaks_normal(b, after_space) {
            return Err(trimmed);
        }
        after_space = b.is_ascii_whitespace();
    }
    Ok(trimmed)
}

/// Whether byte `b` (after ASCII whitespace or not) stops a value being normal:
/// normal is no capital, no non-ASCII, and ASCII whitespace only as single spaces.
/// The one rule of both `prepare` and the one-pass fold.
fn breaks_normal(b: u8, after_space: bool) -> bool {
    b.is_ascii_uppercase() || b >= 0x80 || (b.is_ascii_whitespace() && (after_space || b != b' '))
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

/// Reads an ISO date (`YYYY-MM-DD`, `YYYY/MM/DD`, or an RFC 3339 timestamp whose time is
/// dropped) as days since 0001-01-01: [`DateFormat::Iso`], the format of reference dates,
/// `closed_at` and command-line days. Columns may declare others (see [`crate::date`]).
pub fn parse_day(raw: &str) -> Option<i32> {
    DateFormat::Iso.parse(raw)
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

    /// The normalisation as first written (three scans, then a fold by words):
    /// the reference the fast paths must equal.
    fn reference_normalisation(raw: &str, fold: bool) -> String {
        let trimmed = raw.trim();
        let clean = !trimmed.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80)
            && !trimmed.as_bytes().windows(2).any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
            && !trimmed.bytes().any(|b| b.is_ascii_whitespace() && b != b' ');
        if !fold || clean {
            return trimmed.to_owned();
        }
        let words: Vec<String> =
            trimmed.split_whitespace().map(|w| w.chars().flat_map(char::to_lowercase).collect()).collect();
        words.join(" ")
    }

    use proptest::prop_oneof;

    proptest::proptest! {
        /// The buffered fold and the heap fold equal the reference, for any text (ASCII
        /// or not, short or long, any whitespace) and either fold setting.
        #[test]
        fn buffered_normalisation_equals_the_heap_one(
            raw in prop_oneof!["[ \t\r\n\x0B\x0CaZ_K-]{0,70}", "[ \t\r\n\x0B\x0CaZé_ÄßİK\u{85}\u{3000}-]{0,80}"],
            fold: bool,
        ) {
            let mut buf = FoldBuffer::default();
            let reference = reference_normalisation(&raw, fold);
            proptest::prop_assert_eq!(&normalize_category(&raw, fold), &reference);
            proptest::prop_assert_eq!(&normalize_category_in(&raw, fold, &mut buf), &reference);
        }

        /// The quick trim is `str::trim`.
        #[test]
        fn quick_trim_is_trim(raw in "[ \t\x0B\x01a~é\u{85}\u{3000}]{0,6}") {
            proptest::prop_assert_eq!(trim(&raw), raw.trim());
        }

        /// Whole numbers read by the quick path are what `str::parse` reads; anything
        /// else goes through it.
        #[test]
        fn whole_numbers_parse_as_std_does(raw in "[0-9]{1,18}|[0-9 .e+-]{0,8}") {
            let std = raw.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            proptest::prop_assert_eq!(parse_number(&raw).ok().map(f64::to_bits), std.map(f64::to_bits));
        }

        /// The length filter never hides a token, whatever its case, padding or length.
        #[test]
        fn missing_tokens_match_by_length_and_case(
            tokens in proptest::collection::vec("[a-zA-Z0-9/é -]{0,70}", 0..5),
            raw in "[a-zA-Z0-9/é -]{0,70}|[nN][aA]|-",
        ) {
            let set = MissingTokens::new(&tokens);
            let expected = raw.trim().is_empty() || tokens.iter().any(|t| t.trim().eq_ignore_ascii_case(raw.trim()));
            proptest::prop_assert_eq!(set.is_missing(&raw), expected);
            let pick = tokens.first().map(|t| t.to_ascii_uppercase()).unwrap_or_default();
            let padded = format!(" {pick} ");
            proptest::prop_assert!(set.is_missing(&padded));
        }
    }

    #[test]
    fn missing_tokens_are_stored_as_their_list() {
        let tokens = MissingTokens::new(["NA", " Select "]);
        let bytes = bincode::serde::encode_to_vec(&tokens, bincode::config::standard()).unwrap();
        let list = vec![String::new(), "na".to_owned(), "select".to_owned()];
        let expected = bincode::serde::encode_to_vec((&list,), bincode::config::standard()).unwrap();
        assert_eq!(bytes, expected);
        let (back, _): (MissingTokens, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
        assert_eq!(back, tokens);
        assert!(back.is_missing(" SELECT ") && !back.is_missing("selected"));
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
