//! Drafting a spec from the data, for a person to review.
//!
//! The rules are the ones a careful analyst applies by eye: identifiers
//! (unique per row, or named like ids) and constant columns are excluded;
//! free text with thousands of distinct values is excluded (one-hot of it
//! overfits); e-mail addresses are excluded as personal data; yes/no columns
//! are booleans (a column of only 0 and 1 is a number: the same fit, and it reads a
//! later 2); numbers are numeric with `shape = "auto"`: training chooses among a line, `log1p`,
//! quantile bins, smoothed bins and integer levels by out-of-fold log loss ([`crate::shapes`]);
//! dates are read in the format the whole column agrees on ([`leadscore_core::date`]; an
//! ambiguous or mixed column is left out with the reason). A date named like the lead's
//! arrival (`created_at`, `Date Submitted`) becomes the time column (held-out = newest leads)
//! rather than a feature, because a lead's age in a training set mostly measures how long it
//! has had to close; any other date ("customer since") is a feature: its age, bins, month and
//! weekday. Every exclusion is written into the spec with its reason, and every kind chosen
//! with why ([`Inference::reasons`]).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use leadscore_core::date::{hour_of, FormatInference, Inferred};
use leadscore_core::report::Warning;
use leadscore_core::spec::{FeatureSpec, Kind, Shape, TargetSpec, MAX_SHAPE_LEVELS, SHAPE_BINS, SMOOTH_BINS};
use leadscore_core::value::{normalize_category, parse_bool, parse_number, MissingTokens};
use leadscore_core::Spec;

use crate::{Error, Result};
use leadscore_io::csv_source::CsvFile;

/// Rows read to infer a spec; beyond this the decision would not change.
pub const INFER_ROWS: usize = 200_000;
/// Distinct text values above which a column is free text.
pub const MAX_LEVELS: usize = 200;
/// Quantile bins proposed for the ages of dates with many distinct values (numbers' shapes are searched).
pub const DEFAULT_BINS: u32 = SHAPE_BINS;

/// What the user said; everything else is inferred.
#[derive(Clone, Debug, Default)]
pub struct InferOptions {
    /// Target column (required).
    pub target: String,
    /// Values meaning won; inferred when empty (1, yes, true, won, closed won, converted).
    pub positive: Vec<String>,
    /// Values meaning lost (optional).
    pub negative: Vec<String>,
    /// Identifier columns.
    pub ids: Vec<String>,
    /// Columns to exclude, with the user's reason.
    pub exclude: Vec<String>,
    /// Extra missing tokens.
    pub missing: Vec<String>,
    /// Time column; inferred from date columns when absent.
    pub time_column: Option<String>,
    /// Also use the time column as a feature: its month, weekday and hour (no age).
    pub time_feature: bool,
}

struct ColumnStats {
    present: usize,
    numbers: Vec<f64>,
    all_numeric: bool,
    n_numbers: usize,
    first_text: Option<String>,
    all_bool: bool,
    dates: FormatInference,
    /// Cells with a time of day after their date.
    hours: usize,
    levels: HashMap<String, usize>,
    emails: usize,
}

fn id_like_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n == "id"
        || n.ends_with("_id")
        || n.ends_with(" id")
        || n.ends_with("id") && n.len() > 2 && name.ends_with("ID")
        || n.ends_with("number") && n.contains("lead")
        || n.contains("uuid")
        || n.ends_with(" number")
}

/// Guesses which target values mean won.
fn infer_positive(levels: &[String]) -> Option<String> {
    const WON: [&str; 8] = ["1", "yes", "true", "won", "closed won", "converted", "y", "customer"];
    WON.iter().find_map(|w| levels.iter().find(|l| normalize_category(l, true) == *w).cloned())
}

/// A drafted spec and what the draft should tell the person reviewing it.
#[derive(Clone, Debug)]
pub struct Inference {
    /// The draft.
    pub spec: Spec,
    /// What the user should hear about: columns excluded and why, columns that look numeric
    /// but hold some text.
    pub notes: Vec<Warning>,
    /// Why each feature (and the time column) got its kind and options, by column.
    pub reasons: BTreeMap<String, String>,
}

/// Reads up to [`INFER_ROWS`] rows of `path` and drafts a spec.
pub fn infer_spec(path: &Path, options: &InferOptions) -> Result<Spec> {
    infer_spec_with_notes(path, options).map(|(spec, _)| spec)
}

/// Like [`infer_spec`], also returning what inference decided that the user
/// should hear about: columns it excluded and why, and columns that look
/// numeric but hold some text.
pub fn infer_spec_with_notes(path: &Path, options: &InferOptions) -> Result<(Spec, Vec<Warning>)> {
    infer_spec_from(CsvFile::open(path)?, options)
}

/// The columns `options` names besides the target (`--id`, `--exclude`, `--time-column`), with
/// the flag each comes from, for checking against a file's header.
pub fn named_columns(options: &InferOptions) -> Vec<(String, String)> {
    let mut named: Vec<(String, String)> = Vec::new();
    named.extend(options.ids.iter().map(|c| (c.clone(), "an id column".into())));
    named.extend(options.exclude.iter().map(|c| (c.clone(), "a column to exclude".into())));
    named.extend(options.time_column.iter().map(|c| (c.clone(), "the time column".into())));
    named
}

/// [`infer_spec_with_notes`] from an already open source (a file, or a database query).
pub fn infer_spec_from(file: CsvFile, options: &InferOptions) -> Result<(Spec, Vec<Warning>)> {
    infer(file, options).map(|inference| (inference.spec, inference.notes))
}

/// The whole draft of a source: spec, notes and the reason for each kind.
pub fn infer(mut file: CsvFile, options: &InferOptions) -> Result<Inference> {
    let path = file.path().to_owned();
    let header: Vec<String> = file.header().to_vec();
    let target_pos = file.positions(&[(options.target.clone(), "the target".into())])?[0];
    // Every column a flag names must be in the file, before any row is read: an `--exclude`
    // that misses (a typo) would otherwise leave a personal-data or leakage column in the model.
    file.positions(&named_columns(options))?;
    let mut missing_tokens: Vec<String> =
        leadscore_core::value::DEFAULT_MISSING.iter().map(|s| (*s).to_owned()).collect();
    missing_tokens.extend(options.missing.iter().cloned());
    let missing = MissingTokens::new(&missing_tokens);
    // Columns the user excluded are never read: they may hold anything (free text in another encoding).
    let positions: Vec<usize> =
        (0..header.len()).filter(|&i| i == target_pos || !options.exclude.contains(&header[i])).collect();
    let mut stats: Vec<ColumnStats> = header
        .iter()
        .map(|_| ColumnStats {
            present: 0,
            numbers: Vec::new(),
            all_numeric: true,
            n_numbers: 0,
            first_text: None,
            all_bool: true,
            dates: FormatInference::default(),
            hours: 0,
            levels: HashMap::new(),
            emails: 0,
        })
        .collect();
    let mut n_rows = 0usize;
    let mut target_levels: BTreeMap<String, usize> = BTreeMap::new();
    let mut record = csv::ByteRecord::new();
    // A draft needs a sample, not the whole file: the first INFER_ROWS rows.
    while n_rows < INFER_ROWS {
        let Some(line) = file.read_record(&mut record)? else { break };
        let mut cells = Vec::with_capacity(positions.len());
        file.cell_reader().cells(line, &record, &positions, &mut cells)?;
        n_rows += 1;
        for (j, cell) in cells.iter().enumerate() {
            let i = positions[j];
            if i == target_pos {
                *target_levels.entry(cell.trim().to_owned()).or_default() += 1;
                continue;
            }
            if missing.is_missing(cell) {
                continue;
            }
            let s = &mut stats[i];
            s.present += 1;
            match parse_number(cell) {
                Ok(v) => {
                    s.n_numbers += 1;
                    if s.all_numeric {
                        s.numbers.push(v);
                    }
                }
                Err(_) => {
                    s.all_numeric = false;
                    if s.first_text.is_none() {
                        s.first_text = Some(cell.trim().chars().take(24).collect());
                    }
                }
            }
            if s.all_bool && parse_bool(cell).is_none() {
                s.all_bool = false;
            }
            s.dates.push(line, cell);
            if hour_of(cell).is_some() {
                s.hours += 1;
            }
            if cell.contains('@') {
                s.emails += 1;
            }
            if s.levels.len() <= INFER_ROWS {
                *s.levels.entry(normalize_category(cell, true).into_owned()).or_default() += 1;
            }
        }
    }
    if n_rows == 0 {
        return Err(leadscore_io::Error::NoRows { path: path.to_owned() }.into());
    }
    let levels: Vec<String> = target_levels.keys().cloned().collect();
    let positive = if options.positive.is_empty() {
        vec![infer_positive(&levels).ok_or_else(|| Error::Params {
            name: "positive",
            reason: format!(
                "{}: cannot tell which value of `{}` means won (values: {}); pass --positive VALUE",
                path.display(),
                options.target,
                levels.join(", ")
            ),
        })?]
    } else {
        options.positive.clone()
    };
    let mut spec =
        Spec::new(TargetSpec { column: options.target.clone(), positive, negative: options.negative.clone() });
    spec.missing = missing_tokens;
    spec.ids = options.ids.clone();
    for column in &options.exclude {
        spec.exclude.insert(column.clone(), "excluded by the user".into());
    }
    spec.time_column = options.time_column.clone();
    let mut date_columns = Vec::new();
    let mut notes = Vec::new();
    let mut reasons = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        if i == target_pos || name.is_empty() || spec.ids.contains(name) || spec.exclude.contains_key(name) {
            continue;
        }
        let s = &stats[i];
        let distinct = s.levels.len();
        let mut exclude = |why: String| {
            spec.exclude.insert(name.clone(), why);
        };
        let dates = s.dates.result();
        if s.present == 0 {
            exclude("entirely empty".into());
        } else if distinct == 1 {
            exclude("constant: a single value in every row".into());
        } else if s.emails * 2 > s.present {
            exclude("e-mail addresses: personal data, and unique per lead".into());
        } else if let Some(problem) = dates.problem() {
            exclude(problem);
        } else if let Inferred::Format(format) = dates {
            date_columns.push((name.clone(), format, distinct, s.hours > 0));
        } else if (distinct == s.present && s.present * 10 >= n_rows * 9 && !s.all_numeric)
            || (id_like_name(name) && distinct * 10 >= s.present * 9)
        {
            spec.ids.push(name.clone());
        } else if s.all_bool && !s.all_numeric {
            // Words (yes/no, true/false, y/n) make a flag. A column of only 0 and 1 is read
            // as a number: in a linear model a 0/1 flag as a number is the same fit, and a
            // count that happened to be 0 or 1 in training still reads a later 2.
            spec.features.insert(name.clone(), FeatureSpec::new(Kind::Boolean));
            reasons.insert(
                name.clone(),
                "boolean: every filled value is yes/no, true/false, y/n or t/f (or 1/0 among such words)".into(),
            );
        } else if s.all_numeric {
            let mut f = FeatureSpec::new(Kind::Numeric);
            let mut why = format!("numeric: every filled value is a number ({distinct} distinct)");
            if distinct <= 2 {
                why.push_str("; two values, one line through them");
                if s.all_bool {
                    why.push_str("; only 0 and 1, read as a number: the same fit as a flag, and a later 2 still reads");
                }
            } else {
                // The data chooses the shape in training, on the training part's folds; the
                // draft says where the search starts.
                f.shape = Some(Shape::Auto);
                let start = crate::shapes::start_shape(&s.numbers);
                let integers = s.numbers.iter().all(|v| v.fract() == 0.0);
                why.push_str(&format!(
                    "; shape = auto: training picks linear, log1p, {SHAPE_BINS} quantile bins, log1p + bins or a smooth staircase of {SMOOTH_BINS} bins{} by \
                     out-of-fold log loss, from {} ({})",
                    if integers && distinct <= MAX_SHAPE_LEVELS {
                        ", or one column per value (integer codes)"
                    } else {
                        ""
                    },
                    start.as_str(),
                    match start {
                        Shape::Log1p => "skewed to the right, as counts and money are".to_owned(),
                        Shape::Log1pBins => format!(
                            "skewed to the right, and {} or more distinct values to follow a bend",
                            4 * SHAPE_BINS
                        ),
                        Shape::Bins => format!("{} or more distinct values to follow a bend", 4 * SHAPE_BINS),
                        _ => format!("not skewed, fewer than {} distinct values", 4 * SHAPE_BINS),
                    }
                ));
            }
            spec.features.insert(name.clone(), f);
            reasons.insert(name.clone(), why);
        } else if distinct > MAX_LEVELS && distinct * 5 > s.present {
            exclude(format!(
                "free text: {distinct} distinct values in {} filled rows; one-hot of it would overfit",
                s.present
            ));
        } else {
            if s.n_numbers * 20 >= s.present * 19 {
                notes.push(Warning {
                    code: "mixed_column".into(),
                    feature: Some(name.clone()),
                    message: format!(
                        "`{name}` looks numeric ({} of {} filled values are numbers) but holds text such as {:?}: \
                         read as categorical. If that text means missing, pass --missing {:?}; otherwise fix the data",
                        s.n_numbers,
                        s.present,
                        s.first_text.as_deref().unwrap_or_default(),
                        s.first_text.as_deref().unwrap_or_default(),
                    ),
                });
            }
            spec.features.insert(name.clone(), FeatureSpec::new(Kind::Categorical));
            reasons.insert(name.clone(), format!("categorical: {distinct} distinct text values, one-hot"));
        }
    }
    if spec.time_column.is_none() {
        spec.time_column = date_columns.iter().find(|(name, ..)| arrival_like(name)).map(|(name, ..)| name.clone());
    }
    if let Some(t) = &spec.time_column {
        spec.features.remove(t);
    }
    let parts = |has_hours: bool| if has_hours { "month, weekday and hour" } else { "month and weekday" };
    for (name, format, distinct, has_hours) in date_columns {
        let mut f = FeatureSpec::new(Kind::Date);
        f.format = Some(format);
        f.month = Some(true);
        f.weekday = Some(true);
        f.hour = has_hours.then_some(true);
        if spec.time_column.as_deref() == Some(name.as_str()) {
            spec.time_format = Some(format);
            let mut why = format!("time column: dates written {format}, named like the lead's arrival");
            if options.time_feature {
                why.push_str(&format!(
                    "; also a feature (--time-feature): its {}, no age (it would mostly measure how long a lead \
                     has had to close)",
                    parts(has_hours)
                ));
                spec.features.insert(name.clone(), f);
            } else {
                spec.exclude.insert(
                    name.clone(),
                    "time column: orders leads for the held-out set; as a feature its age mostly measures how long \
                     a lead has had to close (--time-feature uses its month, weekday and hour)"
                        .into(),
                );
            }
            reasons.insert(name, why);
            continue;
        }
        let at = match &spec.time_column {
            Some(time) => format!("at the lead's own `{time}`"),
            None => "at the reference date".to_owned(),
        };
        let mut why = format!(
            "date written {format} ({distinct} distinct), not named like the lead's arrival: a feature (its age in days \
             {at}, {})",
            parts(has_hours)
        );
        if distinct >= 4 * DEFAULT_BINS as usize {
            f.bins = Some(DEFAULT_BINS);
            why.push_str(&format!("; {DEFAULT_BINS} quantile bins of the age"));
        }
        spec.features.insert(name.clone(), f);
        reasons.insert(name, why);
    }
    spec.validate()?;
    for (column, reason) in &spec.exclude {
        if !options.exclude.contains(column) {
            notes.push(Warning {
                code: "excluded_column".into(),
                feature: Some(column.clone()),
                message: format!("`{column}` left out by inference: {reason}"),
            });
        }
    }
    Ok(Inference { spec, notes, reasons })
}

/// Whether a date column's name says it is when the lead arrived (`created_at`, `Date
/// Submitted`, `timestamp`): the time column. Other dates (`customer since`, `last order`)
/// describe the lead and are features.
fn arrival_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase().replace(['_', '-'], " ");
    const WORDS: [&str; 12] = [
        "created",
        "creation",
        "submitted",
        "submission",
        "received",
        "arrived",
        "arrival",
        "timestamp",
        "signup",
        "sign up",
        "registered",
        "inquiry",
    ];
    n == "date" || n == "time" || n == "lead date" || WORDS.iter().any(|w| n.contains(w))
}

/// Applies command-line choices to a spec read from a file: flags win.
pub fn apply_overrides(spec: &mut Spec, options: &InferOptions) {
    if !options.target.is_empty() && options.target != spec.target.column {
        spec.target.column = options.target.clone();
    }
    if !options.positive.is_empty() {
        spec.target.positive = options.positive.clone();
    }
    if !options.negative.is_empty() {
        spec.target.negative = options.negative.clone();
    }
    for id in &options.ids {
        spec.features.remove(id);
        if !spec.ids.contains(id) {
            spec.ids.push(id.clone());
        }
    }
    for column in &options.exclude {
        spec.features.remove(column);
        spec.exclude.insert(column.clone(), "excluded by the user".into());
    }
    for token in &options.missing {
        if !spec.missing.contains(token) {
            spec.missing.push(token.clone());
        }
    }
    if options.time_column.is_some() {
        spec.time_column = options.time_column.clone();
    }
    if let Some(time) = spec.time_column.clone().filter(|t| options.time_feature && !spec.features.contains_key(t)) {
        spec.exclude.remove(&time);
        let mut f = FeatureSpec::new(Kind::Date);
        f.format = spec.time_format;
        f.month = Some(true);
        f.weekday = Some(true);
        spec.features.insert(time, f);
    }
}
