//! Dates as exports write them: every format inferred from its column, ambiguous and mixed
//! columns reported (the mixed one with its line), a declared `format` used by training and
//! scoring, a cell in another format refused with its line; a date's age measured at the lead's
//! own time column by every path, hours offered where the cells have a time, the time column as
//! a feature when asked.

use std::fmt::Write as _;
use std::path::Path;

use leadscore_core::date::DateFormat;
use leadscore_core::spec::{DateAge, Kind};
use leadscore_core::Spec;
use serde_json::{json, Value};

use crate::util::{run, s, scratch, serve_config, TestServer};

/// Day `i` of a calendar of 12 months of 28 days from 2024-01-01: (year, month, day).
fn ymd(i: usize) -> (usize, usize, usize) {
    (2023 + (i / 336) + 1, (i / 28) % 12 + 1, i % 28 + 1)
}

fn write_as(format: &str, (y, m, d): (usize, usize, usize)) -> String {
    match format {
        "yyyy-mm-dd" => format!("{y}-{m:02}-{d:02}"),
        "yyyy-mm-ddTHH:MM:SS+zz" => format!("{y}-{m:02}-{d:02}T{:02}:15:00+02:00", d % 24),
        "dd-mm-yyyy" => format!("{d:02}-{m:02}-{y}"),
        "dd/mm/yyyy" => format!("{d:02}/{m:02}/{y}"),
        "dd/mm/yyyy HH:MM" => format!("{d:02}/{m:02}/{y} {:02}:30", d % 24),
        "mm/dd/yyyy" => format!("{m:02}/{d:02}/{y}"),
        "mm/dd/yyyy HH:MM AM" => format!("{m:02}/{d:02}/{y} 0{}:30 AM", d % 10),
        "dd.mm.yyyy" => format!("{d:02}.{m:02}.{y}"),
        other => panic!("no such test format {other}"),
    }
}

/// The columns of the export: (column, how its dates are written, the format to infer).
const COLUMNS: [(&str, &str, &str); 7] = [
    ("Date Submitted", "mm/dd/yyyy HH:MM AM", "mm/dd/yyyy"),
    ("customer_since", "yyyy-mm-ddTHH:MM:SS+zz", "yyyy-mm-dd"),
    ("first_visit", "dd-mm-yyyy", "dd-mm-yyyy"),
    ("trial_start", "dd/mm/yyyy HH:MM", "dd/mm/yyyy"),
    ("last_order", "mm/dd/yyyy", "mm/dd/yyyy"),
    ("renewal", "dd.mm.yyyy", "dd.mm.yyyy"),
    ("birthday", "yyyy-mm-dd", "yyyy-mm-dd"),
];

/// 400 leads with a date column per format, one whose day and month are never above 12
/// (`meeting`), one that switches from day-first to month-first at `MIXED_LINE`, and an
/// outcome that depends on the trial's month.
fn export(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("lead_id,won,meeting,mixed");
    for (column, _, _) in COLUMNS {
        write!(text, ",{column}").unwrap();
    }
    text.push('\n');
    for i in 0..400 {
        let day = ymd(i);
        let trial = ymd((i + 37 * 3) % 672);
        let won = u8::from(trial.1 % 3 == 0 || i % 7 == 0);
        let meeting = format!("{:02}/{:02}/2024", i % 12 + 1, i % 5 + 1);
        // Lines are 2 (the first lead) onwards: 13/01/2024 on line 14 settles day-first; line
        // MIXED_LINE then writes a month first.
        let mixed = if i + 2 == MIXED_LINE { "03/26/2024".to_owned() } else { write_as("dd/mm/yyyy", day) };
        write!(text, "L{i:04},{won},{meeting},{mixed}").unwrap();
        for (offset, (_, written, _)) in COLUMNS.iter().enumerate() {
            write!(text, ",{}", write_as(written, ymd((i + 37 * offset) % 672))).unwrap();
        }
        text.push('\n');
    }
    let path = dir.join("export.csv");
    std::fs::write(&path, text).unwrap();
    path
}

const MIXED_LINE: usize = 60;

#[test]
fn spec_infer_reads_every_format_and_reports_ambiguous_and_mixed_columns() {
    let dir = scratch();
    let data = export(dir.path());
    let out = dir.path().join("spec.toml");
    run(&["spec", "infer", "--data", s(&data), "--target", "won", "--out", s(&out)]).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    let spec = Spec::from_toml_str(&text).unwrap();
    // The arrival date orders the leads; its format is the spec's time_format.
    assert_eq!(spec.time_column.as_deref(), Some("Date Submitted"));
    assert_eq!(spec.time_format.map(DateFormat::as_str), Some("mm/dd/yyyy"));
    assert!(text.contains("#   Date Submitted: time column: dates written mm/dd/yyyy"), "{text}");
    for (column, _, format) in &COLUMNS[1..] {
        let feature = spec.features.get(*column).unwrap_or_else(|| panic!("{column} should be a feature:\n{text}"));
        assert_eq!(feature.kind, Kind::Date, "{column}");
        assert_eq!(feature.format.map(DateFormat::as_str), Some(*format), "{column}");
        assert_eq!((feature.month, feature.weekday), (Some(true), Some(true)), "{column}");
        assert!(text.contains(&format!("#   {column}: date written {format}")), "{column}:\n{text}");
    }
    let ambiguous = &spec.exclude["meeting"];
    assert!(ambiguous.contains("cannot be told apart"), "{ambiguous}");
    assert!(ambiguous.contains("format = \"dd/mm/yyyy\" or format = \"mm/dd/yyyy\""), "{ambiguous}");
    let mixed = &spec.exclude["mixed"];
    assert!(mixed.contains(&format!("line {MIXED_LINE} has \"03/26/2024\" (mm/dd/yyyy)")), "{mixed}");
    assert!(mixed.contains("line 14 has \"13/01/2024\" (dd/mm/yyyy)"), "{mixed}");
}

#[test]
fn flags_only_training_uses_the_dates_and_scoring_reads_them_in_their_format() {
    let dir = scratch();
    let data = export(dir.path());
    let models = dir.path().join("models");
    let summary =
        run(&["train", "--data", s(&data), "--target", "won", "--name", "d", "--models", s(&models), "--json"])
            .ok()
            .json();
    let artifact =
        leadscore_core::Artifact::from_bytes(&std::fs::read(summary["model_path"].as_str().unwrap()).unwrap()).unwrap();
    let names = artifact.encoder.column_names();
    // The outcome follows the trial's month: the model has that column, read day-first.
    assert!(names.iter().any(|n| n == "trial_start = mar"), "{names:?}");
    let scored = run(&["score", "--models", s(&models), "--model", "d", "--data", s(&data)]).ok();
    assert_eq!(scored.stdout.lines().count(), 401, "{}", scored.stdout);
}

#[test]
fn a_cell_in_another_format_is_refused_with_its_line_and_the_format() {
    let dir = scratch();
    let data = export(dir.path());
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "ids = [\"lead_id\"]\ntime_column = \"Date Submitted\"\ntime_format = \"mm/dd/yyyy\"\n\
         [target]\ncolumn = \"won\"\npositive = [\"1\"]\n\
         [exclude]\nmeeting = \"ambiguous\"\nmixed = \"mixed\"\ncustomer_since = \"\"\nfirst_visit = \"\"\n\
         trial_start = \"\"\nlast_order = \"\"\nbirthday = \"\"\n\
         [features.renewal]\nkind = \"date\"\nformat = \"dd.mm.yyyy\"\nmonth = true\n",
    )
    .unwrap();
    let models = dir.path().join("models");
    let train = |data: &Path| {
        run(&["train", "--data", s(data), "--spec", s(&spec), "--name", "d", "--models", s(&models), "--json"])
    };
    train(&data).ok();
    let text = std::fs::read_to_string(&data).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // Line 12 of the file writes its renewal ISO-style.
    let cells: Vec<&str> = lines[11].split(',').collect();
    let renewal = cells.len() - 2;
    let mut cells: Vec<String> = cells.iter().map(|c| (*c).to_owned()).collect();
    cells[renewal] = "2024-03-01".into();
    lines[11] = cells.join(",");
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    let err = train(&bad).fails().stderr;
    assert!(err.contains("line 12"), "{err}");
    assert!(err.contains("`renewal`") && err.contains("\"2024-03-01\"") && err.contains("dd.mm.yyyy"), "{err}");
    // Scoring writes that lead as an error row saying the same; `--strict` refuses the file.
    let scored = run(&["score", "--models", s(&models), "--model", "d", "--data", s(&bad)]).ok().stdout;
    let mut reader = csv::Reader::from_reader(scored.as_bytes());
    let error = reader.headers().unwrap().iter().position(|h| h == "error").expect("an `error` column");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 400, "one row per lead");
    let bad_rows: Vec<&csv::StringRecord> = rows.iter().filter(|r| !r[error].is_empty()).collect();
    assert_eq!(bad_rows.len(), 1, "only line 12 is in another format");
    let message = &bad_rows[0][error];
    assert!(
        message.starts_with("line 12: ") && message.contains("`renewal`") && message.contains("dd.mm.yyyy"),
        "{message}"
    );
    assert_eq!((&bad_rows[0][0], &bad_rows[0][1]), ("L0010", ""), "the row keeps its id and gets no score");
    let err = run(&["score", "--models", s(&models), "--model", "d", "--data", s(&bad), "--strict"]).fails().stderr;
    assert!(err.contains("line 12") && err.contains("dd.mm.yyyy"), "{err}");
}

/// `spec infer` measures every other date at the lead's own time column and says so, offers the
/// hour of the columns whose cells carry a time, and with `--time-feature` makes the time
/// column a feature too: its month, weekday and hour, without an age.
#[test]
fn spec_infer_measures_dates_at_the_lead_s_time_offers_hours_and_the_time_column_when_asked() {
    let dir = scratch();
    let data = export(dir.path());
    let out = dir.path().join("spec.toml");
    run(&["spec", "infer", "--data", s(&data), "--target", "won", "--out", s(&out)]).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    let spec = Spec::from_toml_str(&text).unwrap();
    for (column, written, _) in &COLUMNS[1..] {
        let feature = &spec.features[*column];
        let has_time = written.contains("HH");
        assert_eq!(feature.hour, has_time.then_some(true), "{column}: hour offered only with a time");
        assert_eq!(spec.date_age(column), DateAge::TimeColumn, "{column}");
        let parts = if has_time { "month, weekday and hour" } else { "month and weekday" };
        let why = format!("its age in days at the lead's own `Date Submitted`, {parts})");
        let line = text.lines().find(|l| l.starts_with(&format!("#   {column}: "))).unwrap();
        assert!(line.contains(&why), "{column}: {line}");
    }
    assert!(!spec.features.contains_key("Date Submitted"));
    assert!(spec.exclude["Date Submitted"].contains("--time-feature"), "{:?}", spec.exclude);

    run(&["spec", "infer", "--data", s(&data), "--target", "won", "--time-feature", "--out", s(&out)]).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    let spec = Spec::from_toml_str(&text).unwrap();
    let time = &spec.features["Date Submitted"];
    assert_eq!((time.month, time.weekday, time.hour), (Some(true), Some(true), Some(true)));
    assert_eq!(spec.date_age("Date Submitted"), DateAge::None, "the time column has no age");
    assert!(!spec.exclude.contains_key("Date Submitted"));
    assert!(text.contains("also a feature (--time-feature): its month, weekday and hour, no age"), "{text}");
    let models = dir.path().join("models");
    let summary = run(&[
        "train",
        "--data",
        s(&data),
        "--target",
        "won",
        "--time-feature",
        "--name",
        "t",
        "--models",
        s(&models),
        "--json",
    ])
    .ok()
    .json();
    let artifact =
        leadscore_core::Artifact::from_bytes(&std::fs::read(summary["model_path"].as_str().unwrap()).unwrap()).unwrap();
    let names = artifact.encoder.column_names();
    assert!(names.iter().any(|n| n.starts_with("Date Submitted hour = ")), "{names:?}");
    assert!(names.iter().any(|n| n.starts_with("trial_start hour = ")), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("Date Submitted age")), "{names:?}");
}

/// Leads arriving over two years, each a customer for some time before it came in (`since`,
/// written `dd/mm/yyyy`), won when that tenure at arrival was short: what counts is the tenure
/// when the lead came in, which the age at one reference date blurs across two years.
fn tenure_export(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("lead_id,created,since,won\n");
    let start = chrono::NaiveDate::from_ymd_opt(2023, 1, 1).unwrap();
    for i in 0..1200u32 {
        let created = start + chrono::Days::new(u64::from(i * 7 % 730));
        let tenure = u64::from((i * 37 + i / 7) % 120);
        let since = created - chrono::Days::new(tenure);
        let won = u8::from((tenure < 45) != (i % 11 == 0));
        writeln!(text, "L{i:04},{},{},{won}", created.format("%Y-%m-%d"), since.format("%d/%m/%Y")).unwrap();
    }
    let path = dir.join("tenure.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// A date's age is measured at the lead's own time column: the model learns tenure at arrival
/// (far better than the age at the reference date), and the CLI and the server read the time
/// column with the date, so a lead whose two dates move together scores the same, on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_date_s_age_is_measured_at_the_lead_s_own_time_by_every_path() {
    let dir = scratch();
    let data = tenure_export(dir.path());
    let models = dir.path().join("models");
    let train = |name: &str, age: &str| {
        let spec = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &spec,
            format!(
                "ids = [\"lead_id\"]\ntime_column = \"created\"\n[target]\ncolumn = \"won\"\npositive = [\"1\"]\n\
                 [features.since]\nkind = \"date\"\nformat = \"dd/mm/yyyy\"\nbins = 4\n{age}"
            ),
        )
        .unwrap();
        let summary =
            run(&["train", "--data", s(&data), "--spec", s(&spec), "--name", name, "--models", s(&models), "--json"])
                .ok()
                .json();
        let bytes = std::fs::read(summary["model_path"].as_str().unwrap()).unwrap();
        (summary["holdout"]["auc"].as_f64().unwrap(), leadscore_core::Artifact::from_bytes(&bytes).unwrap())
    };
    let (at_arrival, artifact) = train("arrival", "");
    let (at_reference, reference) = train("reference", "age = \"reference_date\"\n");
    assert_eq!(artifact.spec.date_age("since"), DateAge::TimeColumn);
    assert_eq!(artifact.encoder.time.as_ref().map(|t| t.column.as_str()), Some("created"));
    assert_eq!(artifact.encoder.inputs(), ["since", "created"]);
    assert_eq!(reference.encoder.time, None);
    assert!(at_arrival > 0.85 && at_arrival > at_reference + 0.1, "arrival {at_arrival}, reference {at_reference}");

    // Two leads a year apart with the same tenure, one with another, and one without its own time.
    let leads = "lead_id,created,since\nA,2024-03-01,01/02/2024\nB,2025-03-01,31/01/2025\nC,2024-03-01,01/02/2023\nD,,01/02/2024\n";
    let file = dir.path().join("leads.csv");
    std::fs::write(&file, leads).unwrap();
    let scored = run(&["score", "--models", s(&models), "--model", "arrival", "--data", s(&file)]).ok().stdout;
    let mut reader = csv::Reader::from_reader(scored.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let p: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert_eq!(p[0], p[1], "the same tenure at arrival scores the same, a year later");
    assert!(p[0] > p[2] + 0.3, "a short tenure wins more: {p:?}");
    let notes = rows[3].iter().collect::<Vec<_>>().join(",");
    assert!(notes.contains("created"), "a lead without its own time is noted: {notes}");

    let server = TestServer::start(serve_config(&models)).await;
    let body = json!({"leads": [
        {"lead_id": "A", "created": "2024-03-01", "since": "01/02/2024"},
        {"lead_id": "B", "created": "2025-03-01", "since": "31/01/2025"},
        {"lead_id": "C", "created": "2024-03-01", "since": "01/02/2023"},
    ]});
    let response = reqwest::Client::new().post(server.url("/v1/score?model=arrival")).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    let served: Vec<f64> = (0..3).map(|i| answer["scores"][i]["probability"].as_f64().unwrap()).collect();
    assert_eq!(served, p[..3], "the server reads the time column as the CLI does");
    assert!(!answer["warnings"].to_string().contains("created"), "`created` is read, not unused: {answer}");
    server.stop().await;
}
