//! Bad training data: every refusal names the file, the line and the column
//! and writes no model; what real CRM exports contain (a byte-order mark,
//! CRLF line ends, quoted cells with line breaks) is read; empty and constant
//! features are dropped with a warning.
//!
//! Each test writes a small labelled CSV (300 generated leads with a real
//! signal, so a fit is meaningful) into a scratch folder and runs
//! `leadscore train` into `<scratch>/models`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{self, s, Run};

/// Data rows of the generated file.
const N: usize = 300;
/// Its columns.
const HEADER: [&str; 5] = ["lead_id", "visits", "source", "emailed", "outcome"];
/// The flags that say what to predict when the spec is inferred.
const COLUMNS: [&str; 8] = ["--target", "outcome", "--positive", "won", "--negative", "lost", "--id", "lead_id"];
/// The same choices as a spec file, with the feature kinds spelled out.
const SPEC: &str = r#"
ids = ["lead_id"]

[target]
column = "outcome"
positive = ["won"]
negative = ["lost"]

[features.visits]
kind = "numeric"

[features.source]
kind = "categorical"

[features.emailed]
kind = "boolean"
"#;
const BOM: &str = "\u{feff}";
/// A notes cell that spans three lines, with a quoted comma and escaped quotes.
const NOTE: &str = "\"called twice\nsaid \"\"call back, after Easter\"\"\nfollow up\"";

// Column indexes in `HEADER`.
const VISITS: usize = 1;
const SOURCE: usize = 2;
const EMAILED: usize = 3;
const OUTCOME: usize = 4;

/// Lead `i`: won when visits, a referral and an e-mail add up, with noise so no column decides alone.
fn lead(i: usize) -> Vec<String> {
    const SOURCES: [&str; 4] = ["web", "referral", "event", "ads"];
    let visits = (i * 7) % 23;
    let source = SOURCES[(i * 3) % 4];
    let emailed = (i * 5) % 3 == 0;
    let noise = (i * 37) % 17;
    let score = visits + if source == "referral" { 8 } else { 0 } + if emailed { 6 } else { 0 } + noise;
    vec![
        format!("L{i:04}"),
        visits.to_string(),
        source.to_owned(),
        (if emailed { "yes" } else { "no" }).to_owned(),
        (if score >= 22 { "won" } else { "lost" }).to_owned(),
    ]
}

/// Header and [`N`] leads, cells as they go into the file (already quoted where needed).
fn leads() -> Vec<Vec<String>> {
    let mut rows = vec![HEADER.iter().map(|h| (*h).to_owned()).collect()];
    rows.extend((0..N).map(lead));
    rows
}

/// The rows as CSV text, every line ended by `eol`.
fn csv(rows: &[Vec<String>], eol: &str) -> String {
    rows.iter().map(|r| format!("{}{eol}", r.join(","))).collect()
}

/// Line of data row `i` (0-based) in a file whose rows each take one line.
fn line_of(i: usize) -> String {
    format!("line {}", i + 2)
}

/// Writes `bytes` to `dir/name`.
fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// How `train` learns what to read.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// `--target ... --id ...`: the spec is inferred from the file.
    Infer,
    /// `--spec spec.toml` with [`SPEC`].
    Spec,
}

const MODES: [Mode; 2] = [Mode::Infer, Mode::Spec];

/// `leadscore train` of `data` into `<dir>/models` as `leads`, fast settings (a
/// fixed penalty, no search), plus `extra` arguments.
fn train(dir: &Path, data: &Path, mode: Mode, extra: &[&str]) -> Run {
    let models = dir.join("models");
    let spec = dir.join("spec.toml");
    let mut args =
        vec!["train", "--data", s(data), "--models", s(&models), "--name", "leads", "--cv-folds", "0", "--l2", "1"];
    match mode {
        Mode::Infer => args.extend(COLUMNS),
        Mode::Spec => {
            if !spec.exists() {
                fs::write(&spec, SPEC).unwrap();
            }
            args.extend(["--spec", s(&spec)]);
        }
    }
    args.extend(extra);
    util::run_in(dir, &args)
}

/// Every `model.bin` under `dir` (none when `dir` does not exist).
fn model_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return found;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(model_files(&path));
        } else if path.file_name().is_some_and(|n| n == "model.bin") {
            found.push(path);
        }
    }
    found
}

/// Asserts that no `model.bin` exists anywhere under `dir`.
#[track_caller]
fn no_artifact(dir: &Path) {
    let found = model_files(dir);
    assert!(found.is_empty(), "a failed training wrote {found:?}");
}

/// Asserts a refusal: exit code 2, one `leadscore: error:` message holding
/// every piece (file path, `line N`, `` `column` ``, reason), no panic, and no
/// model under `<dir>/models`. Returns the message.
#[track_caller]
fn refused(run: Run, dir: &Path, pieces: &[&str]) -> String {
    assert_eq!(run.status, 2, "expected exit code 2\nstdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
    let message = run.stderr.trim();
    assert!(
        message.starts_with("leadscore: error: ") && !message.contains("panicked"),
        "not a clean error:\n{message}"
    );
    for piece in pieces {
        assert!(message.contains(piece), "error should contain {piece:?}:\n{message}");
    }
    assert!(run.stdout.is_empty(), "a refusal printed a result:\n{}", run.stdout);
    no_artifact(&dir.join("models"));
    message.to_owned()
}

/// The card of the model trained into `<dir>/models/leads`.
fn card(dir: &Path) -> serde_json::Value {
    let model = dir.join("models/leads");
    util::run_in(dir, &["inspect", "--model", s(&model), "--json"]).ok().json()
}

/// Source features the model of `<dir>/models/leads` uses.
fn features(dir: &Path) -> BTreeSet<String> {
    card(dir)["coefficients"].as_array().unwrap().iter().map(|c| c["feature"].as_str().unwrap().to_owned()).collect()
}

/// Encoded model columns (`source = web`, `visits`, ...) of `<dir>/models/leads`.
fn columns(dir: &Path) -> BTreeSet<String> {
    card(dir)["coefficients"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap().to_owned()).collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// Trains on `data`, expecting success, and checks the model reads all [`N`]
/// leads with the three generated features. Returns the `train --json` summary.
#[track_caller]
fn trains_normally(dir: &Path, data: &Path, mode: Mode, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json"];
    args.extend(extra);
    let summary = train(dir, data, mode, &args).ok().json();
    assert_eq!(summary["training"]["n_rows"], N as u64, "{summary:#}");
    assert_eq!(summary["version"], "v1");
    assert_eq!(features(dir), set(&["visits", "source", "emailed"]));
    summary
}

#[test]
fn empty_file_is_refused() {
    let cases: [(&str, &[u8]); 4] =
        [("empty.csv", b""), ("blank_line.csv", b"\n"), ("blank_crlf.csv", b"\r\n"), ("bom_only.csv", BOM.as_bytes())];
    for (name, bytes) in cases {
        for mode in MODES {
            let dir = util::scratch();
            let data = write(dir.path(), name, bytes);
            let message = refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data)]);
            assert!(message.contains("the file is empty"), "{name} {mode:?}: {message}");
        }
    }
}

#[test]
fn header_only_is_refused() {
    let header = HEADER.join(",");
    for (name, text) in [
        ("header.csv", format!("{header}\n")),
        ("header_crlf.csv", format!("{BOM}{header}\r\n")),
        ("header_no_eol.csv", header.clone()),
        ("header_blank_lines.csv", format!("{header}\n\n\n")),
    ] {
        for mode in MODES {
            let dir = util::scratch();
            let data = write(dir.path(), name, text.as_bytes());
            refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data), "has a header but no data rows"]);
        }
    }
}

#[test]
fn one_class_only_is_refused() {
    for (class, other) in [("won", "lost"), ("lost", "won")] {
        let mut rows = leads();
        for row in &mut rows[1..] {
            if row[OUTCOME] == other {
                row[OUTCOME] = class.to_owned();
            }
        }
        for mode in MODES {
            let dir = util::scratch();
            let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
            let reason = format!(
                "target column `outcome` has only {class} leads ({N} rows); a model needs both won and lost leads"
            );
            refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data), &reason]);
        }
    }
}

#[test]
fn missing_target_column_is_refused() {
    let all = "its columns are: `lead_id`, `visits`, `source`, `emailed`, `outcome`";
    // Named on the command line.
    let dir = util::scratch();
    let data = write(dir.path(), "leads.csv", csv(&leads(), "\n"));
    let models = dir.path().join("models");
    let run = util::run_in(
        dir.path(),
        &[
            "train",
            "--data",
            s(&data),
            "--models",
            s(&models),
            "--name",
            "leads",
            "--target",
            "converted",
            "--positive",
            "1",
            "--cv-folds",
            "0",
            "--l2",
            "1",
        ],
    );
    refused(run, dir.path(), &[s(&data), "column `converted` (the target) is not in the file", all]);
    // Named by a spec, whose features are all present.
    let dir = util::scratch();
    let data = write(dir.path(), "leads.csv", csv(&leads(), "\n"));
    fs::write(dir.path().join("spec.toml"), SPEC.replace("column = \"outcome\"", "column = \"converted\"")).unwrap();
    refused(
        train(dir.path(), &data, Mode::Spec, &[]),
        dir.path(),
        &[s(&data), "column `converted` (the target) is not in the file", all],
    );
    // A file whose target header is there but spelled differently.
    let dir = util::scratch();
    let mut rows = leads();
    rows[0][OUTCOME] = "Outcome".into();
    let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
    refused(
        train(dir.path(), &data, Mode::Infer, &[]),
        dir.path(),
        &[s(&data), "column `outcome` (the target) is not in the file", "`Outcome`"],
    );
}

#[test]
fn target_values_outside_the_declared_set_are_refused() {
    let declared = r#"is neither a positive label ["won"] nor a negative label ["lost"]"#;
    let cases: [(usize, &str, String); 4] = [
        (56, "pending", format!(r#"target column `outcome`: "pending" {declared}"#)),
        (0, "Closed Won", format!(r#"target column `outcome`: "Closed Won" {declared}"#)),
        (N - 1, "?", format!(r#"target column `outcome`: "?" {declared}"#)),
        (120, "", "target column `outcome` is empty (every training lead needs an outcome)".to_owned()),
    ];
    for (row, value, reason) in cases {
        for mode in MODES {
            let mut rows = leads();
            rows[row + 1][OUTCOME] = value.to_owned();
            let dir = util::scratch();
            let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
            let line = line_of(row);
            let message = refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data), &line, &reason]);
            assert!(message.contains(&format!("{line}: {reason}")), "{message}");
        }
    }
    // Case and surrounding spaces do not make a value undeclared.
    let mut rows = leads();
    rows[5][OUTCOME] = " WON ".into();
    rows[6][OUTCOME] = "Lost".into();
    let dir = util::scratch();
    let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
    trains_normally(dir.path(), &data, Mode::Spec, &[]);
}

#[test]
fn unparsable_values_in_typed_columns_are_refused() {
    // The spec says `visits` is numeric and `emailed` boolean (inference would
    // read a column with a stray word as categorical instead).
    let cases: [(usize, usize, &str, &str); 6] = [
        (76, VISITS, "12a", r#"column `visits`: cannot parse "12a" as a number"#),
        (0, VISITS, "\"1,5\"", r#"column `visits`: cannot parse "1,5" as a number"#),
        (N - 1, VISITS, "seven", r#"column `visits`: cannot parse "seven" as a number"#),
        (200, VISITS, "inf", r#"column `visits`: "inf" is not a finite number"#),
        (150, VISITS, "1e999", r#"column `visits`: "1e999" is not a finite number"#),
        (33, EMAILED, "maybe", r#"column `emailed`: cannot read "maybe" as yes/no"#),
    ];
    for (row, column, value, reason) in cases {
        let mut rows = leads();
        rows[row + 1][column] = value.to_owned();
        let dir = util::scratch();
        let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
        let line = line_of(row);
        let message = refused(train(dir.path(), &data, Mode::Spec, &[]), dir.path(), &[s(&data), &line, reason]);
        assert!(message.contains(&format!("{line}: {reason}")), "{message}");
    }
}

#[test]
fn ragged_rows_are_refused() {
    let cases: [(usize, &str, usize); 4] = [(57, "extra", 6), (0, "a,b", 7), (99, "", 4), (N - 1, "", 4)];
    for (row, change, fields) in cases {
        for (eol, mode) in [("\n", Mode::Infer), ("\r\n", Mode::Spec), ("\n", Mode::Spec)] {
            let mut rows = leads();
            if change.is_empty() {
                rows[row + 1].pop();
            } else {
                rows[row + 1].push(change.to_owned());
            }
            let dir = util::scratch();
            let data = write(dir.path(), "leads.csv", csv(&rows, eol));
            let line = line_of(row);
            let reason = format!("{line}: row has {fields} fields but the header has 5");
            refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data), &reason, "ragged row"]);
        }
    }
}

#[test]
fn duplicate_header_names_are_refused() {
    let cases: [(usize, &str, &str); 3] = [
        (SOURCE, "visits", "line 1: column name `visits` appears twice (columns 2 and 3); rename one"),
        (SOURCE, " visits ", "line 1: column name `visits` appears twice (columns 2 and 3); rename one"),
        (OUTCOME, "lead_id", "line 1: column name `lead_id` appears twice (columns 1 and 5); rename one"),
    ];
    for (column, name, reason) in cases {
        for mode in MODES {
            let mut rows = leads();
            rows[0][column] = name.to_owned();
            let dir = util::scratch();
            let data = write(dir.path(), "leads.csv", format!("{BOM}{}", csv(&rows, "\r\n")));
            refused(train(dir.path(), &data, mode, &[]), dir.path(), &[s(&data), reason]);
        }
    }
}

#[test]
fn utf8_bom_is_accepted() {
    let plain_dir = util::scratch();
    let plain = write(plain_dir.path(), "plain.csv", csv(&leads(), "\n"));
    let reference = trains_normally(plain_dir.path(), &plain, Mode::Infer, &[]);
    let hash = &reference["training"]["data_hash"];

    let quoted: Vec<Vec<String>> =
        leads().into_iter().map(|r| r.into_iter().map(|c| format!("\"{c}\"")).collect()).collect();
    // The target first, so a mark left on its name would lose the target.
    let target_first: Vec<Vec<String>> = leads()
        .into_iter()
        .map(|mut r| {
            let outcome = r.remove(OUTCOME);
            r.insert(0, outcome);
            r
        })
        .collect();
    let cases = [
        ("bom_lf.csv", format!("{BOM}{}", csv(&leads(), "\n"))),
        ("excel.csv", format!("{BOM}{}", csv(&leads(), "\r\n"))),
        ("bom_quoted.csv", format!("{BOM}{}", csv(&quoted, "\r\n"))),
        ("bom_target_first.csv", format!("{BOM}{}", csv(&target_first, "\n"))),
    ];
    for (name, text) in cases {
        for mode in MODES {
            let dir = util::scratch();
            let data = write(dir.path(), name, text.as_bytes());
            let summary = trains_normally(dir.path(), &data, mode, &[]);
            // The same cells as the file without a mark: the same data, the same model.
            assert_eq!(&summary["training"]["data_hash"], hash, "{name} {mode:?}");
            let model_card = card(dir.path());
            assert!(model_card["spec"].as_str().unwrap().contains("column = \"outcome\""), "{name}");
        }
    }
}

#[test]
fn quoted_fields_with_line_breaks_are_accepted() {
    // The model columns of the same leads without notes, per mode (inference adds bins).
    let plain_columns: Vec<BTreeSet<String>> = MODES
        .iter()
        .map(|&mode| {
            let dir = util::scratch();
            let plain = write(dir.path(), "plain.csv", csv(&leads(), "\n"));
            trains_normally(dir.path(), &plain, mode, &[]);
            columns(dir.path())
        })
        .collect();

    let mut rows = leads();
    rows[0].push("notes".into());
    for (i, row) in rows[1..].iter_mut().enumerate() {
        row.push(if i % 4 == 0 { NOTE.to_owned() } else { format!("note {i}") });
    }
    // A line break inside a used cell too: a quoted source that ends in one reads as its level.
    rows[10][SOURCE] = format!("\"{}\n\"", rows[10][SOURCE]);
    for eol in ["\n", "\r\n"] {
        let text = csv(&rows, "\n").replace('\n', eol);
        assert!(text.lines().count() > N + 1 + N / 2, "the notes span several lines");
        for (mode, plain_columns) in MODES.into_iter().zip(&plain_columns) {
            let dir = util::scratch();
            let data = write(dir.path(), "notes.csv", text.as_bytes());
            trains_normally(dir.path(), &data, mode, &["--exclude", "notes"]);
            // The same model columns as the file without notes: no level was split or invented.
            assert_eq!(&columns(dir.path()), plain_columns, "{eol:?} {mode:?}");
        }
    }
}

#[test]
fn line_numbers_count_quoted_line_breaks_and_crlf() {
    // Notes spanning three lines before the bad row: its line is the one an editor shows.
    let mut rows = leads();
    rows[0].push("notes".into());
    let mut lines = vec![1];
    let mut next = 2;
    for (i, row) in rows[1..].iter_mut().enumerate() {
        let note = if i % 5 == 0 { NOTE.to_owned() } else { format!("n{i}") };
        lines.push(next);
        next += 1 + note.matches('\n').count();
        row.push(note);
    }
    // (row, column to overwrite or `None` to add a cell, value, reason)
    let bad: [(usize, Option<usize>, &str, &str); 4] = [
        (123, Some(OUTCOME), "pending", r#"target column `outcome`: "pending" is neither"#),
        (211, Some(VISITS), "12a", r#"column `visits`: cannot parse "12a" as a number"#),
        (250, None, "extra", "row has 7 fields but the header has 6"),
        (N - 1, Some(EMAILED), "maybe", r#"column `emailed`: cannot read "maybe" as yes/no"#),
    ];
    for (row, column, value, reason) in bad {
        for eol in ["\n", "\r\n"] {
            let mut rows = rows.clone();
            match column {
                Some(column) => rows[row + 1][column] = value.to_owned(),
                None => rows[row + 1].push(value.to_owned()),
            }
            let text = csv(&rows, "\n").replace('\n', eol);
            let dir = util::scratch();
            let data = write(dir.path(), "notes.csv", text.as_bytes());
            let line = format!("line {}: {reason}", lines[row + 1]);
            refused(train(dir.path(), &data, Mode::Spec, &[]), dir.path(), &[s(&data), &line]);
        }
    }
}

#[test]
fn non_utf8_bytes_are_refused() {
    // Latin-1 `café` in a data cell of a used column.
    for mode in MODES {
        let mut text = csv(&leads()[..43], "\n").into_bytes();
        text.extend_from_slice(b"L9999,3,caf\xE9,yes,won\n");
        text.extend_from_slice(csv(&leads()[43..], "\n").as_bytes());
        let dir = util::scratch();
        let data = write(dir.path(), "latin1.csv", &text);
        refused(
            train(dir.path(), &data, mode, &[]),
            dir.path(),
            &[s(&data), "line 44: column `source` is not valid UTF-8", "UTF-8"],
        );
    }
    // In a header name: the column is named as far as it can be read.
    for mode in MODES {
        let rows = leads();
        let mut text = b"lead_id,visits,source,emailed,outcome,r\xE9gion\n".to_vec();
        text.extend_from_slice(csv(&rows[1..], "\n").replace('\n', ",x\n").as_bytes());
        let dir = util::scratch();
        let data = write(dir.path(), "latin1_header.csv", &text);
        refused(
            train(dir.path(), &data, mode, &[]),
            dir.path(),
            &[s(&data), "line 1:", "column 6", "`r\u{FFFD}gion`", "not valid UTF-8"],
        );
    }
}

#[test]
fn empty_and_constant_features_are_dropped_with_a_warning() {
    let mut rows = leads();
    rows[0].extend(["blank", "same", "fixed", "flag"].map(String::from));
    for (i, row) in rows[1..].iter_mut().enumerate() {
        // Entirely missing (the usual missing tokens), one level, one number, never filled.
        let blank = ["", "NA", "Select", "null"][i % 4];
        row.extend([blank, if i % 2 == 0 { "Partner" } else { " partner " }, "5", ""].map(String::from));
    }
    let dir = util::scratch();
    let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
    let spec = format!(
        "{SPEC}\n[features.blank]\nkind = \"numeric\"\n\n[features.same]\nkind = \"categorical\"\n\n\
         [features.fixed]\nkind = \"numeric\"\n\n[features.flag]\nkind = \"boolean\"\n"
    );
    fs::write(dir.path().join("spec.toml"), spec).unwrap();
    let run = train(dir.path(), &data, Mode::Spec, &["--json"]).ok();
    let expected = [
        ("blank", "is entirely missing"),
        ("same", "single level"),
        ("fixed", "single value"),
        ("flag", "is entirely missing"),
    ];
    for (column, why) in expected {
        let line = run
            .stderr
            .lines()
            .find(|l| l.starts_with("warning: ") && l.contains(&format!("`{column}`")))
            .unwrap_or_else(|| panic!("no warning about `{column}`:\n{}", run.stderr));
        assert!(line.contains(why) && line.contains("dropped"), "{line}");
    }
    let dropped = |warnings: &serde_json::Value| -> BTreeMap<String, String> {
        warnings
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["code"] == "dropped_feature")
            .map(|w| (w["feature"].as_str().unwrap().to_owned(), w["message"].as_str().unwrap().to_owned()))
            .collect()
    };
    let summary = run.json();
    let reported = dropped(&summary["warnings"]);
    assert_eq!(reported.keys().cloned().collect::<BTreeSet<_>>(), set(&["blank", "same", "fixed", "flag"]));
    for (column, why) in expected {
        assert!(reported[column].contains(why) && reported[column].contains("dropped"), "{reported:?}");
    }
    assert_eq!(summary["training"]["n_rows"], N as u64);
    let model_card = card(dir.path());
    assert_eq!(dropped(&model_card["warnings"]), reported, "the card keeps the warnings");
    assert_eq!(features(dir.path()), set(&["visits", "source", "emailed"]));

    // Inferred, the same columns never become features: the spec excludes them, with the reason.
    let dir = util::scratch();
    let data = write(dir.path(), "leads.csv", csv(&rows, "\n"));
    trains_normally(dir.path(), &data, Mode::Infer, &[]);
    let spec = card(dir.path())["spec"].as_str().unwrap().to_owned();
    for (column, why) in [("blank", "empty"), ("same", "constant"), ("fixed", "constant"), ("flag", "empty")] {
        assert!(
            spec.lines().any(|l| l.starts_with(&format!("{column} = ")) && l.contains(why)),
            "`{column}` should be excluded as {why}:\n{spec}"
        );
    }
}

#[test]
fn spec_naming_a_column_the_file_lacks_is_refused() {
    let all = "its columns are: `lead_id`, `visits`, `source`, `emailed`, `outcome`";
    let cases = [
        (
            format!("{SPEC}\n[features.pages]\nkind = \"numeric\"\n"),
            "column `pages` (a feature of the spec) is not in the file",
        ),
        (
            format!("{SPEC}\n[features.Visits]\nkind = \"numeric\"\n"),
            "column `Visits` (a feature of the spec) is not in the file",
        ),
        (format!("time_column = \"created_at\"\n{SPEC}"), "column `created_at` (the time column) is not in the file"),
        (SPEC.replace("column = \"outcome\"", "column = \"stage\""), "column `stage` (the target) is not in the file"),
    ];
    for (spec, reason) in cases {
        let dir = util::scratch();
        let data = write(dir.path(), "leads.csv", csv(&leads(), "\n"));
        fs::write(dir.path().join("spec.toml"), spec).unwrap();
        refused(train(dir.path(), &data, Mode::Spec, &[]), dir.path(), &[s(&data), reason, all]);
    }
}

/// Every file and folder under `dir`, with the bytes of the files.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.insert(path.clone(), None);
            out.extend(snapshot(&path));
        } else {
            out.insert(path.clone(), Some(fs::read(&path).unwrap()));
        }
    }
    out
}

#[test]
fn failed_training_leaves_the_published_model_untouched() {
    let dir = util::scratch();
    let models = dir.path().join("models");
    let good = write(dir.path(), "good.csv", csv(&leads(), "\n"));
    trains_normally(dir.path(), &good, Mode::Spec, &[]);
    let before = snapshot(&models);
    let v1 = models.join("leads/v1");
    assert!(before.contains_key(&v1.join("model.bin")) && before.contains_key(&v1.join("card.json")));
    assert_eq!(fs::read_to_string(models.join("leads/CURRENT")).unwrap().trim(), "v1");

    let mut ragged = leads();
    ragged[100].push("extra".into());
    let mut undeclared = leads();
    undeclared[200][OUTCOME] = "pending".into();
    let mut bad_number = leads();
    bad_number[250][VISITS] = "n/a?".into();
    let mut one_class = leads();
    for row in &mut one_class[1..] {
        row[OUTCOME] = "lost".into();
    }
    let mut latin1 = csv(&leads(), "\n").into_bytes();
    latin1.extend_from_slice(b"L9999,3,caf\xE9,yes,won\n");
    // An inferred spec reads a numeric column with a stray word as categorical:
    // the bad number is only an error under the spec that says `numeric`.
    let cases: [(&str, Vec<u8>, &str, &[Mode]); 6] = [
        ("ragged.csv", csv(&ragged, "\n").into_bytes(), "line 101", &MODES),
        ("undeclared.csv", csv(&undeclared, "\n").into_bytes(), "line 201", &MODES),
        ("bad_number.csv", csv(&bad_number, "\n").into_bytes(), "line 251", &[Mode::Spec]),
        ("one_class.csv", csv(&one_class, "\n").into_bytes(), "only lost leads", &MODES),
        ("latin1.csv", latin1, "line 302", &MODES),
        ("empty.csv", Vec::new(), "the file is empty", &MODES),
    ];
    for (name, bytes, piece, modes) in cases {
        for &mode in modes {
            let data = write(dir.path(), name, &bytes);
            let run = train(dir.path(), &data, mode, &[]);
            assert_eq!(run.status, 2, "{name} {mode:?}: {}", run.stderr);
            assert!(run.stderr.contains(s(&data)) && run.stderr.contains(piece), "{name}: {}", run.stderr);
            // Byte for byte the same registry: v1 and its files, CURRENT, no v2, no temporary folder.
            assert_eq!(
                snapshot(&models).keys().collect::<Vec<_>>(),
                before.keys().collect::<Vec<_>>(),
                "{name} {mode:?}"
            );
            assert!(snapshot(&models) == before, "{name} {mode:?} changed a registry file");
            assert_eq!(fs::read_to_string(models.join("leads/CURRENT")).unwrap(), "v1\n");
            assert!(!models.join("leads/v2").exists());
        }
    }
    // The model still loads and is the one that was published.
    let model_card = card(dir.path());
    assert_eq!(model_card["version"], "v1");
}
