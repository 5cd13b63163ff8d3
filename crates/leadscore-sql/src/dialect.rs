//! How each SQL engine spells the handful of things the export needs.
//!
//! Everything dialect-specific lives here, so the scoring program in
//! [`crate::program`] is written once. The pitfalls each function avoids are
//! the reason it exists: PostgreSQL and Snowflake read `0.1` as an exact
//! decimal (so a weight would be summed in decimal arithmetic), Spark,
//! BigQuery and Snowflake process backslash escapes inside string literals,
//! DuckDB's `/` on integers is float division, PostgreSQL's `float8` cast
//! raises on overflow and on underflow to zero.

use std::fmt::Write as _;

use crate::{Error, Result};

/// An SQL dialect the export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL 12 or later, database encoding UTF8.
    Postgres,
    /// Apache Spark SQL 3.4 or later (ANSI mode on or off).
    Spark,
    /// DuckDB 1.0 or later.
    DuckDb,
    /// Google BigQuery (GoogleSQL). Not run by the tests: checked by golden files only.
    BigQuery,
    /// Snowflake. Not run by the tests: checked by golden files only.
    Snowflake,
}

/// The largest finite double, spelled so every engine reads it back exactly.
const MAX_F64: &str = "1.7976931348623157e308";

/// `2^1024 - 2^970`: the smallest decimal that rounds to infinity. A number at or
/// above it is what the CSV reader refuses as non-finite.
/// (A unit test checks it against Rust's own parser.)
pub const OVERFLOW_BOUND: &str = "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497792";

/// `2^-1075`: the largest decimal that rounds to zero (ties to even). PostgreSQL
/// refuses such a number instead of reading it as 0, so the export reads it as 0 itself.
/// (A unit test checks it against Rust's own parser.)
pub const UNDERFLOW_BOUND: &str = "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324";

/// The syntax of a number the CSV reader accepts (Rust's `f64` grammar without
/// `inf`/`nan`, which it refuses as non-finite): digits with an optional point
/// and exponent, `1.` and `.5` included. `[.]` instead of `\.` so that no
/// dialect's string escaping touches it.
pub const NUMBER_RE: &str = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$";

impl std::str::FromStr for Dialect {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "spark" => Ok(Dialect::Spark),
            "duckdb" => Ok(Dialect::DuckDb),
            "bigquery" => Ok(Dialect::BigQuery),
            "snowflake" => Ok(Dialect::Snowflake),
            _ => Err(Error::UnknownDialect(s.to_owned())),
        }
    }
}

/// A text that trimming leaves as it is: empty, or printable ASCII other than
/// space at both ends. (`[!-~]` rather than `\S`: the classes differ per engine.)
pub const TRIMMED_RE: &str = "([!-~](.*[!-~])?)?";

/// Printable ASCII words separated by single spaces: trimmed, nothing to
/// collapse, and lowercased by any engine's `lower` exactly as by Rust's.
pub const PLAIN_RE: &str = "[!-~]+( [!-~]+)*";

/// The characters Rust's `str::trim` and `split_whitespace` treat as
/// whitespace (Unicode `White_Space`), which the CSV reader strips and
/// collapses: tab, line breaks, no-break space, the ideographic space, ...
pub fn whitespace_chars() -> Vec<char> {
    (0u32..=0x3000).filter_map(char::from_u32).filter(|c| c.is_whitespace()).collect()
}

/// At most this many spellings of words listed by [`Dialect::equals_ignoring_ascii_case`].
pub const MAX_SPELLINGS: usize = 512;

/// Every spelling of an ASCII `word` that `eq_ignore_ascii_case` takes as
/// equal to it (2^letters of them, sorted), or `None` when the word has a
/// non-ASCII byte or more than 9 letters.
pub fn ascii_spellings(word: &str) -> Option<Vec<String>> {
    if !word.is_ascii() || word.bytes().filter(u8::is_ascii_alphabetic).count() > 9 {
        return None;
    }
    let mut all = vec![String::new()];
    for c in word.chars() {
        let (lower, upper) = (c.to_ascii_lowercase(), c.to_ascii_uppercase());
        let mut next = Vec::with_capacity(all.len() * 2);
        for prefix in &all {
            next.push(format!("{prefix}{upper}"));
            if lower != upper {
                next.push(format!("{prefix}{lower}"));
            }
        }
        all = next;
    }
    all.sort();
    Some(all)
}

impl Dialect {
    /// Every dialect, in the order the CLI lists them.
    pub const ALL: [Dialect; 5] =
        [Dialect::Postgres, Dialect::Spark, Dialect::DuckDb, Dialect::BigQuery, Dialect::Snowflake];

    /// The name used on the command line and in file names.
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Spark => "spark",
            Dialect::DuckDb => "duckdb",
            Dialect::BigQuery => "bigquery",
            Dialect::Snowflake => "snowflake",
        }
    }

    /// One quoted identifier. Column names such as `Total Time Spent on Website`
    /// exist in real exports, so every name is quoted, never passed bare.
    pub fn ident(self, what: &'static str, name: &str) -> Result<String> {
        let bad = |reason| Err(Error::BadIdentifier { what, name: name.to_owned(), reason });
        if name.is_empty() {
            return bad("it is empty");
        }
        if name.contains('\0') {
            return bad("it contains a NUL character");
        }
        Ok(match self {
            Dialect::Postgres | Dialect::DuckDb | Dialect::Snowflake => format!("\"{}\"", name.replace('"', "\"\"")),
            Dialect::Spark => format!("`{}`", name.replace('`', "``")),
            Dialect::BigQuery => format!("`{}`", name.replace('\\', "\\\\").replace('`', "\\`")),
        })
    }

    /// A possibly qualified table or view name (`schema.table`,
    /// `project.dataset.table`): each dot-separated part quoted.
    pub fn qualified(self, what: &'static str, name: &str) -> Result<String> {
        let parts: Result<Vec<String>> = name.split('.').map(|part| self.ident(what, part)).collect();
        Ok(parts?.join("."))
    }

    /// A string literal that the engine reads back as exactly `s`.
    pub fn string(self, s: &str) -> String {
        let plain = s.chars().all(|c| (' '..='~').contains(&c));
        match self {
            Dialect::Postgres if plain => format!("'{}'", s.replace('\'', "''")),
            // E'' strings: backslash escapes, \uXXXX for everything that is not printable ASCII
            // (needs a UTF8 database, PostgreSQL's default).
            Dialect::Postgres => {
                let mut out = String::from("E'");
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("''"),
                        ' '..='~' => out.push(c),
                        c if (c as u32) <= 0xFFFF => {
                            let _ = write!(out, "\\u{:04X}", c as u32);
                        }
                        c => {
                            let _ = write!(out, "\\U{:08X}", c as u32);
                        }
                    }
                }
                out.push('\'');
                out
            }
            // DuckDB reads '...' verbatim (no backslash escapes); characters a reader cannot see
            // are spliced in with chr(), which DuckDB folds into a constant.
            Dialect::DuckDb => {
                let mut pieces: Vec<String> = Vec::new();
                let mut run = String::new();
                for c in s.chars() {
                    if c.is_control() || (c.is_whitespace() && c != ' ') {
                        if !run.is_empty() {
                            pieces.push(format!("'{}'", run.replace('\'', "''")));
                            run.clear();
                        }
                        pieces.push(format!("chr({})", c as u32));
                    } else {
                        run.push(c);
                    }
                }
                if !run.is_empty() || pieces.is_empty() {
                    pieces.push(format!("'{}'", run.replace('\'', "''")));
                }
                if pieces.len() == 1 {
                    pieces.remove(0)
                } else {
                    format!("({})", pieces.join(" || "))
                }
            }
            // Spark, BigQuery and Snowflake unescape backslashes inside '...'.
            Dialect::Spark | Dialect::BigQuery | Dialect::Snowflake => {
                let mut out = String::from("'");
                for c in s.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '\'' => out.push_str("\\'"),
                        ' '..='~' => out.push(c),
                        // Snowflake keeps printable non-ASCII as UTF-8 text.
                        c if self == Dialect::Snowflake && !c.is_control() && !c.is_whitespace() => out.push(c),
                        c if (c as u32) <= 0xFFFF => {
                            let _ = write!(out, "\\u{:04X}", c as u32);
                        }
                        // Spark unescapes \uXXXX into UTF-16 units: a surrogate pair.
                        c if self == Dialect::Spark => {
                            let mut units = [0u16; 2];
                            for unit in c.encode_utf16(&mut units) {
                                let _ = write!(out, "\\u{:04X}", unit);
                            }
                        }
                        c => {
                            let _ = write!(out, "\\U{:08X}", c as u32);
                        }
                    }
                }
                out.push('\'');
                out
            }
        }
    }

    /// A double literal that parses to exactly `x` (`x` finite). Written in
    /// exponent form, the shortest digits that round-trip, typed as a double:
    /// a plain `0.1` is an exact decimal in PostgreSQL, DuckDB, Spark and
    /// Snowflake, and decimal arithmetic would not give the scorer's sums.
    pub fn float(self, x: f64) -> String {
        let text = format!("{x:e}");
        let literal = match self {
            Dialect::Postgres => format!("{text}::float8"),
            Dialect::Snowflake => format!("{text}::FLOAT"),
            // An exponent makes the literal a DOUBLE in DuckDB, Spark (3.0+) and BigQuery.
            Dialect::DuckDb | Dialect::Spark | Dialect::BigQuery => text,
        };
        if x.is_sign_negative() {
            format!("({literal})")
        } else {
            literal
        }
    }

    /// The text type that `CAST(column AS ...)` turns any column into.
    pub fn text_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "text",
            Dialect::Spark | Dialect::BigQuery => "STRING",
            Dialect::DuckDb | Dialect::Snowflake => "VARCHAR",
        }
    }

    /// The integer type for calendar arithmetic.
    pub fn int_type(self) -> &'static str {
        match self {
            Dialect::Postgres | Dialect::DuckDb | Dialect::Snowflake => "INTEGER",
            Dialect::Spark => "INT",
            Dialect::BigQuery => "INT64",
        }
    }

    /// The double type.
    pub fn double_type(self) -> &'static str {
        match self {
            Dialect::Postgres => "double precision",
            Dialect::Spark | Dialect::DuckDb | Dialect::Snowflake => "DOUBLE",
            Dialect::BigQuery => "FLOAT64",
        }
    }

    /// `expr` (a column name: it may be read more than once) with Unicode
    /// whitespace stripped from both ends, as `str::trim` does.
    ///
    /// Spark's `trim` with a set of multi-byte characters costs more than a
    /// test of both ends, so a cell whose first and last characters are
    /// printable ASCII other than space, the usual case, is taken as it is:
    /// trimming would return it unchanged. (DuckDB's fast path is
    /// [`Dialect::plain_test`], decided per feature by the query.)
    pub fn trim(self, expr: &str) -> String {
        let chars = self.string(&whitespace_chars().into_iter().collect::<String>());
        match self {
            Dialect::Postgres => format!("btrim({expr}, {chars})"),
            Dialect::DuckDb => format!("trim({expr}, {chars})"),
            // No regular expression: Java's `$` also matches before a final line break. One
            // character compared as bytes (Spark's string order) lies in `!`..`~` only when
            // it is that ASCII character; a multi-byte character starts with a byte >= 0xC2.
            Dialect::Spark => format!(
                "CASE WHEN {expr} = '' OR (substring({expr}, 1, 1) BETWEEN '!' AND '~' \
AND substring({expr}, -1, 1) BETWEEN '!' AND '~') THEN {expr} ELSE trim(BOTH {chars} FROM {expr}) END"
            ),
            Dialect::BigQuery | Dialect::Snowflake => format!("TRIM({expr}, {chars})"),
        }
    }

    /// Where the engine has a cheap whole-text match and reading a cell
    /// (trimming with multi-byte characters, collapsing whitespace, folding)
    /// costs much more (DuckDB: trimming alone was ~0.7 µs a cell, 75% of the
    /// query), whether `expr` matches `re` whole: the query then reads a cell
    /// of the usual shape ([`PLAIN_RE`], or a number) as it is and gives only
    /// the others the full treatment. `None`: the engine reads every cell fully.
    pub fn plain_test(self, expr: &str, re: &str) -> Option<String> {
        match self {
            // RE2: the match is whole, `^`/`$` in `re` change nothing.
            Dialect::DuckDb => Some(format!("regexp_full_match({expr}, {})", self.string(re))),
            _ => None,
        }
    }

    /// `expr` with every run of whitespace replaced by one space, as
    /// `split_whitespace().join(" ")` does on a trimmed value.
    pub fn collapse_whitespace(self, expr: &str) -> String {
        let class = format!("[{}]+", whitespace_chars().into_iter().collect::<String>());
        let re = self.string(&class);
        match self {
            Dialect::Postgres | Dialect::DuckDb => format!("regexp_replace({expr}, {re}, ' ', 'g')"),
            Dialect::Spark => format!("regexp_replace({expr}, {re}, ' ')"),
            Dialect::BigQuery | Dialect::Snowflake => format!("REGEXP_REPLACE({expr}, {re}, ' ')"),
        }
    }

    /// `expr` (a column name: it may be read more than once) with only A-Z
    /// lowercased, as `to_ascii_lowercase` does.
    ///
    /// `translate` is exact everywhere but slow (~0.8 µs a cell in DuckDB and
    /// PostgreSQL), and `lower` folds non-ASCII letters too (DuckDB's turns the
    /// Kelvin sign into `k`) or follows the locale (PostgreSQL's). PostgreSQL's
    /// `lower` under the `C` collation folds only A-Z; DuckDB's `lower` is exact
    /// on a pure ASCII text (as many bytes as characters), the usual case.
    pub fn ascii_lower(self, expr: &str) -> String {
        let translate = format!("translate({expr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')");
        match self {
            Dialect::Postgres => format!("lower({expr} COLLATE \"C\")"),
            Dialect::DuckDb => {
                format!("CASE WHEN strlen({expr}) = length({expr}) THEN lower({expr}) ELSE {translate} END")
            }
            Dialect::Spark | Dialect::BigQuery | Dialect::Snowflake => translate,
        }
    }

    /// Whether `expr` (a column name, not NULL) equals one of `words` ignoring
    /// ASCII case, as `eq_ignore_ascii_case` decides.
    ///
    /// DuckDB and Spark compare the cell itself with every ASCII case spelling
    /// of the words (`NA`, `Na`, `nA`, `na`): a hash lookup per cell, where
    /// folding the cell first costs more than the rest of the test. A word
    /// with non-ASCII bytes, or so many letters that its spellings would not
    /// fit [`MAX_SPELLINGS`], is compared after folding. Elsewhere, and for
    /// those words: a text longer (in characters) than the longest word (in
    /// bytes) cannot be equal and skips the folding; most cells are.
    pub fn equals_ignoring_ascii_case(self, expr: &str, words: &[&str]) -> String {
        let spelled = matches!(self, Dialect::DuckDb | Dialect::Spark);
        let mut spellings: Vec<String> = Vec::new();
        let mut folded: Vec<&str> = Vec::new();
        for &word in words {
            match ascii_spellings(word) {
                Some(all) if spelled && spellings.len() + all.len() <= MAX_SPELLINGS => {
                    for s in all {
                        if !spellings.contains(&s) {
                            spellings.push(s);
                        }
                    }
                }
                _ => folded.push(word),
            }
        }
        let mut tests = Vec::new();
        if !spellings.is_empty() {
            let list: Vec<String> = spellings.iter().map(|w| self.string(w)).collect();
            tests.push(format!("{expr} IN ({})", list.join(", ")));
        }
        if !folded.is_empty() {
            let longest = folded.iter().map(|w| w.len()).max().unwrap_or(0);
            let list: Vec<String> = folded.iter().map(|w| self.string(&w.to_ascii_lowercase())).collect();
            tests.push(format!(
                "(length({expr}) <= {longest} AND {} IN ({}))",
                self.ascii_lower(expr),
                list.join(", ")
            ));
        }
        match tests.len() {
            0 => "FALSE".to_owned(),
            1 => tests.remove(0),
            _ => format!("({})", tests.join(" OR ")),
        }
    }

    /// Whether `expr` matches the regular expression `re`, which is anchored
    /// with `^`/`$` where it must match whole (Snowflake's `REGEXP_LIKE` always
    /// matches whole) and uses only syntax common to POSIX ARE, RE2 and Java.
    pub fn matches(self, expr: &str, re: &str) -> String {
        let lit = self.string(re);
        match self {
            Dialect::Postgres => format!("({expr} ~ {lit})"),
            Dialect::Spark => format!("({expr} RLIKE {lit})"),
            Dialect::DuckDb => format!("regexp_matches({expr}, {lit})"),
            Dialect::BigQuery => format!("REGEXP_CONTAINS({expr}, {lit})"),
            Dialect::Snowflake => format!("REGEXP_LIKE({expr}, {lit})"),
        }
    }

    /// The double value of `expr`, a text already known to match [`NUMBER_RE`].
    /// May be NULL or infinite where the text overflows; the caller treats any
    /// result whose absolute value is not `<=` [`Dialect::max_double`] as unreadable.
    pub fn parse_double(self, expr: &str) -> String {
        match self {
            // float8in raises on overflow and on underflow to zero, and numeric input refuses
            // exponents beyond +-1000: decide those cases first, exactly, through numeric.
            Dialect::Postgres => {
                let big_exponent = self.matches(expr, "[eE][+-]?0*[1-9][0-9]{3,}$");
                let zero = self.matches(expr, "^[+-]?[0.]*([eE][+-]?[0-9]+)?$");
                let negative_exponent = self.matches(expr, "[eE]-");
                format!(
                    "CASE WHEN {zero} THEN 0::float8 \
WHEN length({expr}) > 1000 THEN NULL \
WHEN {big_exponent} THEN (CASE WHEN length({expr}) <= 400 AND {negative_exponent} THEN 0::float8 END) \
WHEN abs(CAST({expr} AS numeric)) >= {OVERFLOW_BOUND} THEN NULL \
WHEN abs(CAST({expr} AS numeric)) <= {UNDERFLOW_BOUND} THEN 0::float8 \
ELSE CAST({expr} AS float8) END"
                )
            }
            Dialect::Spark => format!("CAST({expr} AS DOUBLE)"),
            Dialect::DuckDb => format!("TRY_CAST({expr} AS DOUBLE)"),
            Dialect::BigQuery => format!("SAFE_CAST({expr} AS FLOAT64)"),
            Dialect::Snowflake => format!("TRY_TO_DOUBLE({expr})"),
        }
    }

    /// The largest finite double, as a literal.
    pub fn max_double(self) -> String {
        match self {
            Dialect::Postgres => format!("{MAX_F64}::float8"),
            Dialect::Snowflake => format!("{MAX_F64}::FLOAT"),
            _ => MAX_F64.to_owned(),
        }
    }

    /// Integer division of non-negative integers.
    pub fn idiv(self, a: &str, b: i64) -> String {
        match self {
            Dialect::Postgres => format!("({a} / {b})"),
            Dialect::DuckDb => format!("({a} // {b})"),
            Dialect::Spark => format!("({a} DIV {b})"),
            Dialect::BigQuery => format!("DIV({a}, {b})"),
            Dialect::Snowflake => format!("TRUNC({a} / {b})"),
        }
    }

    /// Remainder of non-negative integers.
    pub fn modulo(self, a: &str, b: i64) -> String {
        match self {
            Dialect::Postgres | Dialect::BigQuery | Dialect::Snowflake => format!("MOD({a}, {b})"),
            Dialect::DuckDb | Dialect::Spark => format!("({a} % {b})"),
        }
    }

    /// A typed NULL text.
    pub fn null_text(self) -> String {
        format!("CAST(NULL AS {})", self.text_type())
    }

    /// What ends each CTE's body. PostgreSQL pulls a CTE referenced once up into
    /// its parent and substitutes its expressions wherever a column is used;
    /// each step here uses the previous step's columns several times, so the
    /// substituted expression grows exponentially with the steps (minutes for
    /// 20,000 rows). `OFFSET 0` keeps each step a separate, streamed subquery.
    pub fn fence(self) -> &'static str {
        match self {
            Dialect::Postgres => "\n  OFFSET 0",
            _ => "",
        }
    }

    /// `CREATE OR REPLACE VIEW name AS`.
    pub fn create_view(self, name: &str) -> String {
        format!("CREATE OR REPLACE VIEW {name} AS")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_where_rust_rounds_to_infinity_and_to_zero() {
        assert_eq!(OVERFLOW_BOUND.parse::<f64>(), Ok(f64::INFINITY));
        // One less in the last digit: the largest decimal that still rounds to MAX.
        let (head, last) = OVERFLOW_BOUND.split_at(OVERFLOW_BOUND.len() - 1);
        let below = format!("{head}{}", last.parse::<u8>().unwrap() - 1);
        assert_eq!(below.parse::<f64>(), Ok(f64::MAX));
        assert_eq!(UNDERFLOW_BOUND.parse::<f64>(), Ok(0.0));
        // One more digit at the end: just above 2^-1075, rounds up to the smallest subnormal.
        let above = UNDERFLOW_BOUND.replace("e-324", "1e-324");
        assert_eq!(above.parse::<f64>(), Ok(5e-324));
        assert_eq!(MAX_F64.parse::<f64>(), Ok(f64::MAX));
    }

    #[test]
    fn whitespace_is_rusts() {
        let ws = whitespace_chars();
        assert_eq!(ws.len(), 25);
        assert!(ws.contains(&'\t') && ws.contains(&'\u{a0}') && ws.contains(&'\u{3000}'));
        assert!(!ws.contains(&'\u{200b}'), "zero-width space is not White_Space");
    }

    #[test]
    fn spellings_are_every_ascii_case() {
        assert_eq!(ascii_spellings("n/a").unwrap(), ["N/A", "N/a", "n/A", "n/a"]);
        assert_eq!(ascii_spellings("").unwrap(), [""]);
        assert_eq!(ascii_spellings("-1").unwrap(), ["-1"]);
        assert!(ascii_spellings("né").is_none());
        assert!(ascii_spellings("unavailable").is_none(), "11 letters: 2048 spellings");
        // Each spelling is equal to the word ignoring ASCII case, and they are all different.
        let all = ascii_spellings("Select").unwrap();
        assert_eq!(all.len(), 64);
        assert!(all.iter().all(|s| s.eq_ignore_ascii_case("select")));
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        // A word beyond the budget is folded instead; non-spelling dialects always fold.
        let test = Dialect::DuckDb.equals_ignoring_ascii_case("c", &["na", "né"]);
        assert_eq!(
            test,
            "(c IN ('NA', 'Na', 'nA', 'na') OR (length(c) <= 3 AND CASE WHEN strlen(c) = length(c) \
THEN lower(c) ELSE translate(c, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') END IN ('né')))"
        );
        assert_eq!(
            Dialect::Postgres.equals_ignoring_ascii_case("c", &["na"]),
            "(length(c) <= 2 AND lower(c COLLATE \"C\") IN ('na'))"
        );
    }

    #[test]
    fn identifiers_are_quoted_per_dialect() {
        let name = "Total \"Time\" `x`";
        assert_eq!(Dialect::Postgres.ident("column", name).unwrap(), "\"Total \"\"Time\"\" `x`\"");
        assert_eq!(Dialect::Spark.ident("column", name).unwrap(), "`Total \"Time\" ``x```");
        assert_eq!(Dialect::BigQuery.ident("column", "a`b\\c").unwrap(), "`a\\`b\\\\c`");
        assert_eq!(Dialect::Snowflake.qualified("table", "db.leads").unwrap(), "\"db\".\"leads\"");
        assert!(Dialect::DuckDb.ident("column", "").is_err());
    }

    #[test]
    fn strings_are_escaped_per_dialect() {
        assert_eq!(Dialect::Postgres.string("it's"), "'it''s'");
        assert_eq!(Dialect::Postgres.string("a\\b\tü"), "E'a\\\\b\\u0009\\u00FC'");
        assert_eq!(Dialect::DuckDb.string("it's"), "'it''s'");
        assert_eq!(Dialect::DuckDb.string("a\\b\tü"), "('a\\b' || chr(9) || 'ü')");
        assert_eq!(Dialect::DuckDb.string(""), "''");
        assert_eq!(Dialect::Spark.string("it's a\\b ü 😀"), "'it\\'s a\\\\b \\u00FC \\uD83D\\uDE00'");
        assert_eq!(Dialect::BigQuery.string("😀"), "'\\U0001F600'");
        assert_eq!(Dialect::Snowflake.string("it's ü\n"), "'it\\'s ü\\u000A'");
    }

    #[test]
    fn floats_round_trip_and_are_typed() {
        for x in [0.1f64, -2.5, 1e300, 5e-324, 123456.789, -0.0] {
            let text = format!("{x:e}");
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), x.to_bits(), "{text}");
        }
        assert_eq!(Dialect::Postgres.float(0.1), "1e-1::float8");
        assert_eq!(Dialect::Postgres.float(-2.5), "(-2.5e0::float8)");
        assert_eq!(Dialect::DuckDb.float(1.0), "1e0");
        assert_eq!(Dialect::Snowflake.float(3.0), "3e0::FLOAT");
    }

    #[test]
    fn dialect_names_parse() {
        for d in Dialect::ALL {
            assert_eq!(d.name().parse::<Dialect>(), Ok(d));
        }
        assert_eq!("PostgreSQL".parse::<Dialect>(), Ok(Dialect::Postgres));
        assert!(matches!("mysql".parse::<Dialect>(), Err(Error::UnknownDialect(_))));
    }
}
