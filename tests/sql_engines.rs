//! `leadscore export-sql` run inside real engines, compared lead by lead with `leadscore score`,
//! and `leadscore train` from PostgreSQL compared byte for byte with training from the CSV.
//!
//! The engines are installed and started by `scripts/engines.sh` (which `.ci/run` sources):
//! `LEADSCORE_TEST_PG` is a PostgreSQL URL, `LEADSCORE_TEST_PYTHON` a python with duckdb and
//! pyspark. A test whose engine is absent prints why and checks nothing else.
//!
//! Per engine and data set the comparison asserts max |probability difference| <= 1e-9 and
//! identical scores, tiers, MQL flags and top features, and prints the measured maximum.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::util::{missing_external, root, run, run_in, s, scratch, train_xeducation, xeducation};

/// What `leadscore score` (or an engine) said about one lead.
#[derive(Clone, Debug, PartialEq)]
struct Scored {
    probability: Option<f64>,
    score: Option<i64>,
    tier: Option<String>,
    mql: Option<bool>,
    top: Option<String>,
    invalid: Option<String>,
}

fn pg_url() -> Option<String> {
    let url = std::env::var("LEADSCORE_TEST_PG").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        missing_external("PostgreSQL (LEADSCORE_TEST_PG)", "eval \"$(bash scripts/engines.sh start)\" first");
    }
    url
}

fn python() -> Option<PathBuf> {
    let python = std::env::var("LEADSCORE_TEST_PYTHON").ok().filter(|p| !p.is_empty()).map(PathBuf::from);
    if python.is_none() {
        missing_external(
            "a Python with DuckDB and pyspark (LEADSCORE_TEST_PYTHON)",
            "eval \"$(bash scripts/engines.sh start)\" first",
        );
    }
    python
}

/// A data set: a CSV, the model that scores it, its id column.
struct Case {
    name: &'static str,
    csv: PathBuf,
    models: PathBuf,
    model: String,
    id: String,
}

/// `leadscore score` on the case's CSV: the reference.
fn reference(case: &Case, dir: &Path) -> HashMap<String, Scored> {
    let out = dir.join(format!("{}.rust.csv", case.name));
    run(&[
        "score",
        "--models",
        s(&case.models),
        "--model",
        &case.model,
        "--data",
        s(&case.csv),
        "--out",
        s(&out),
        "--explain",
        "1",
    ])
    .ok();
    let mut reader = csv::Reader::from_path(&out).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no `{name}` in {header:?}"));
    let (id, p, score, tier, mql, factor) =
        (at(&case.id), at("probability"), at("score"), at("tier"), at("mql"), at("factor_1"));
    let mut rows = HashMap::new();
    for record in reader.records() {
        let r = record.unwrap();
        // factor_1 is `feature=value (+0.123)`: the feature is what precedes the first `=`.
        let top = r[factor].split('=').next().map(str::to_owned);
        let scored = Scored {
            probability: Some(r[p].parse().unwrap()),
            score: Some(r[score].parse().unwrap()),
            tier: Some(r[tier].to_owned()),
            mql: Some(&r[mql] == "true"),
            top,
            invalid: None,
        };
        rows.insert(r[id].to_owned(), scored);
    }
    rows
}

fn export(case: &Case, dialect: &str, dir: &Path) -> PathBuf {
    let sql = dir.join(format!("{}.{dialect}.sql", case.name));
    run(&[
        "export-sql",
        "--models",
        s(&case.models),
        "--model",
        &case.model,
        "--dialect",
        dialect,
        "--table",
        case.name,
        "--id",
        &case.id,
        "--top-feature",
        "--out",
        s(&sql),
    ])
    .ok();
    sql
}

fn opt<T: std::str::FromStr>(cell: &str) -> Option<T> {
    if cell.is_empty() {
        None
    } else {
        cell.parse().ok()
    }
}

/// An engine's result CSV as written by scripts/sql_engines.py.
fn read_engine_csv(path: &Path) -> HashMap<String, Scored> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&header[1..], ["probability", "score", "tier", "mql", "top_feature", "invalid_column"]);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let scored = Scored {
                probability: opt(&r[1]),
                score: opt(&r[2]),
                tier: opt(&r[3]),
                mql: opt(&r[4]),
                top: opt(&r[5]),
                invalid: opt(&r[6]),
            };
            (r[0].to_owned(), scored)
        })
        .collect()
}

/// Asserts parity and returns max |Δp|.
#[track_caller]
fn compare(what: &str, expected: &HashMap<String, Scored>, got: &HashMap<String, Scored>) -> f64 {
    assert_eq!(expected.len(), got.len(), "{what}: number of leads");
    let mut max_diff = 0.0f64;
    let mut identical = 0;
    for (id, want) in expected {
        let have = got.get(id).unwrap_or_else(|| panic!("{what}: lead {id} is missing from the engine's result"));
        let (Some(p), Some(q)) = (want.probability, have.probability) else {
            panic!("{what}: lead {id}: no probability: {have:?}");
        };
        max_diff = max_diff.max((p - q).abs());
        identical += usize::from(p.to_bits() == q.to_bits());
        assert!((p - q).abs() <= 1e-9, "{what}: lead {id}: probability {q} vs {p}");
        assert_eq!(have.tier, want.tier, "{what}: lead {id}: tier (p = {p})");
        assert_eq!(have.mql, want.mql, "{what}: lead {id}: MQL flag (p = {p})");
        assert_eq!(have.score, want.score, "{what}: lead {id}: score (p = {p})");
        assert_eq!(have.top, want.top, "{what}: lead {id}: top feature");
        assert_eq!(have.invalid, None, "{what}: lead {id}");
    }
    eprintln!(
        "sql parity: {what}: {} leads, max |dp| = {max_diff:e}, {identical} probabilities bit-identical, tiers and MQL flags identical",
        expected.len()
    );
    max_diff
}

/// One value per row of the synthetic layout that `leadscore score` reads but an engine may
/// read differently: case and Unicode whitespace, missing tokens, extreme and odd numbers,
/// every yes/no spelling, unseen and non-ASCII categories.
fn edge_cases(dir: &Path) -> PathBuf {
    let mut reader = csv::Reader::from_path(root().join("data/leads.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let template: Vec<String> = reader.records().next().unwrap().unwrap().iter().map(str::to_owned).collect();
    let overrides: &[(&str, &[&str])] = &[
        (
            "lead_source",
            &[
                " partner ",
                "TRADE   SHOW",
                "trade\u{a0}show",
                "\u{3000}Webinar\t",
                "trade\nshow",
                "TikTok",
                "Zürich Referral",
                "ÉMAIL CAMPAIGN",
                "(other)",
                "(missing)",
            ],
        ),
        ("country", &["select", " NA ", "n/a", "NULL", "-", "", "None", "nan", "\u{2003}"]),
        (
            "annual_revenue",
            &[
                "1e300",
                "-1e300",
                "1.7976931348623157e308",
                "-1.7976931348623157e308",
                "5e-324",
                "1e-400",
                "1.",
                ".5",
                "+3",
                "-0",
                "00012",
                "1E5",
                " 42 ",
                "2.5e+3",
            ],
        ),
        ("page_views", &["0", "1e15", "-3", "0.0001"]),
        ("content_downloads", &["1e308", "-1e308", "12345678901234567890"]),
        (
            "days_since_last_activity",
            &["0", "1", "2", "3", "5", "7", "10", "14", "20", "30", "45", "60", "90", "400", "-5"],
        ),
        ("webinar_attended", &["YES", " y ", "t", "1", "FALSE", "N", "0", "f", "Select", "True"]),
        ("demo_requested", &["No", "TRUE", "", "n/a"]),
        ("company_size", &["Select", "5000+", "1-10", "huge"]),
        ("job_level", &["c-level", "C-LEVEL", "C- Level"]),
    ];
    let path = dir.join("edge.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&header).unwrap();
    let mut n = 0;
    for (column, values) in overrides {
        let col = header.iter().position(|h| h == column).unwrap();
        for value in *values {
            let mut row = template.clone();
            row[0] = format!("E{n:04}");
            row[col] = (*value).to_owned();
            writer.write_record(&row).unwrap();
            n += 1;
        }
    }
    // Every feature missing at once.
    let mut row: Vec<String> = template.iter().map(|_| String::new()).collect();
    row[0] = "E_all_missing".into();
    row[header.iter().position(|h| h == "outcome").unwrap()] = "lost".into();
    writer.write_record(&row).unwrap();
    writer.flush().unwrap();
    path
}

/// Rows with one unreadable cell each: `leadscore score` refuses each one; the query gives
/// NULL probability and names the column.
fn invalid_rows(dir: &Path) -> (PathBuf, Vec<(String, &'static str)>) {
    let mut reader = csv::Reader::from_path(root().join("data/leads.csv")).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let template: Vec<String> = reader.records().next().unwrap().unwrap().iter().map(str::to_owned).collect();
    let bad: [(&str, &str); 7] = [
        ("annual_revenue", "12abc"),
        ("annual_revenue", "1e400"),
        ("page_views", "inf"),
        ("email_opens", "1,5"),
        ("webinar_attended", "maybe"),
        ("demo_requested", "2"),
        ("days_since_last_activity", "NaN%"),
    ];
    let path = dir.join("invalid.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&header).unwrap();
    let mut expected = Vec::new();
    for (i, (column, value)) in bad.iter().enumerate() {
        let mut row = template.clone();
        row[0] = format!("X{i}");
        row[header.iter().position(|h| h == column).unwrap()] = (*value).to_owned();
        writer.write_record(&row).unwrap();
        expected.push((format!("X{i}"), *column));
        // The CLI writes an error row naming the line and the column, and `--strict` refuses the file.
        let one = dir.join(format!("invalid-{i}.csv"));
        let mut w = csv::Writer::from_path(&one).unwrap();
        w.write_record(&header).unwrap();
        w.write_record(&row).unwrap();
        w.flush().unwrap();
        let scored = dir.join(format!("invalid-{i}.scored.csv"));
        run(&["score", "--data", s(&one), "--out", s(&scored)]).ok();
        let mut out = csv::Reader::from_path(&scored).unwrap();
        let error = out.headers().unwrap().iter().position(|h| h == "error").expect("an `error` column");
        let record = out.records().next().expect("one output row per input row").unwrap();
        assert_eq!((&record[0], &record[1]), (row[0].as_str(), ""), "{value:?}: the row keeps its id, no score");
        assert!(
            record[error].starts_with("line 2: ") && record[error].contains(&format!("column `{column}`")),
            "{value:?}: {}",
            &record[error]
        );
        let out = run(&["score", "--data", s(&one), "--strict"]).fails();
        assert!(out.stderr.contains(&format!("column `{column}`")), "{value:?}: {}", out.stderr);
    }
    writer.flush().unwrap();
    (path, expected)
}

#[track_caller]
fn check_invalid(what: &str, got: &HashMap<String, Scored>, expected: &[(String, &str)]) {
    for (id, column) in expected {
        let row = &got[id];
        assert_eq!(
            (row.probability, row.score, &row.tier, row.mql, row.invalid.as_deref()),
            (None, None, &None, None, Some(*column)),
            "{what}: {id}"
        );
    }
    eprintln!("sql invalid cells: {what}: {} unreadable leads get NULL and name their column", expected.len());
}

/// The shipped model, a model with pair terms (`tests/pairs.rs`) on the same leads and the edge
/// cases and, when ../shared is present, a model trained on the X Education export.
fn cases(dir: &Path) -> Vec<Case> {
    let pairs = crate::pairs::train_pairs_model(dir);
    let mut cases = vec![
        Case {
            name: "synthetic",
            csv: root().join("data/leads.csv"),
            models: root().join("models"),
            model: "leads".into(),
            id: "lead_id".into(),
        },
        Case {
            name: "edge",
            csv: edge_cases(dir),
            models: root().join("models"),
            model: "leads".into(),
            id: "lead_id".into(),
        },
        Case {
            name: "pairs",
            csv: root().join("data/leads.csv"),
            models: pairs.clone(),
            model: "pairs".into(),
            id: "lead_id".into(),
        },
        Case {
            name: "pairs_edge",
            csv: dir.join("edge.csv"),
            models: pairs,
            model: "pairs".into(),
            id: "lead_id".into(),
        },
    ];
    cases.push(dates_case(dir));
    if let Some(x) = xeducation() {
        let models = dir.join("models");
        train_xeducation(&x, &models, &["--cv-folds", "0", "--l2", "1"]);
        cases.push(Case { name: "xeducation", csv: x, models, model: "xeducation".into(), id: "Prospect ID".into() });
    }
    cases
}

/// 3,000 leads of `data/leads.csv` with two date features in other formats (`dd.mm.yyyy`,
/// sometimes with a time on either clock, and `mm/dd/yyyy`; some blank), trained with age bins,
/// month, weekday and hour, one age measured at the lead's own `created_at` (the spec's time
/// column) and one at the reference date: the engines must read each format's day, month, year
/// and hour, and the time column, where the CLI does.
fn dates_case(dir: &Path) -> Case {
    let mut reader = csv::Reader::from_path(root().join("data/leads.csv")).unwrap();
    let mut header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let created = header.iter().position(|h| h == "created_at").unwrap();
    let rows: Vec<Vec<String>> =
        reader.records().take(3000).map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    header.extend(["trial_start".to_owned(), "last_order".to_owned()]);
    let path = dir.join("dates.csv");
    let mut writer = csv::Writer::from_path(&path).unwrap();
    writer.write_record(&header).unwrap();
    for (i, row) in rows.iter().enumerate() {
        let iso = |r: &[String]| {
            let (y, m, d) = (r[created][0..4].to_owned(), r[created][5..7].to_owned(), r[created][8..10].to_owned());
            (y, m, d)
        };
        let (y, m, d) = iso(row);
        // Times on either clock, one or two hour digits, and one that is no time (no hour).
        let trial = match i % 17 {
            0 => String::new(),
            k if k % 3 == 0 => format!("{d}.{m}.{y} {:02}:05", i % 24),
            k if k % 5 == 0 => format!("{d}.{m}.{y} {}:30 {}", i % 12 + 1, if i % 2 == 0 { "AM" } else { "pm" }),
            7 => format!("{d}.{m}.{y} 25:00"),
            4 => format!("{d}.{m}.{y}T{}:15:00+02:00", i % 10),
            _ => format!("{d}.{m}.{y}"),
        };
        let (y2, m2, d2) = iso(&rows[(i * 7 + 11) % rows.len()]);
        let order = if i % 23 == 0 { String::new() } else { format!("{m2}/{d2}/{y2}") };
        let mut row = row.clone();
        row.extend([trial, order]);
        writer.write_record(&row).unwrap();
    }
    writer.flush().unwrap();
    let spec = dir.join("dates-spec.toml");
    let base = std::fs::read_to_string(root().join("data/spec.toml")).unwrap();
    std::fs::write(
        &spec,
        format!(
            "{base}\n[features.trial_start]\nkind = \"date\"\nformat = \"dd.mm.yyyy\"\nbins = 4\nmonth = true\nweekday = true\n\
             hour = true\n\n[features.last_order]\nkind = \"date\"\nformat = \"mm/dd/yyyy\"\nmonth = true\n\
             age = \"reference_date\"\n"
        ),
    )
    .unwrap();
    let models = dir.join("dates-models");
    let args =
        ["train", "--data", s(&path), "--spec", s(&spec), "--name", "dates", "--models", s(&models), "--cv-folds", "0"];
    run(&[&args[..], &["--l2", "1"]].concat()).ok();
    Case { name: "dates", csv: path, models, model: "dates".into(), id: "lead_id".into() }
}

/// Runs jobs through scripts/sql_engines.py.
fn run_python(python: &Path, engine: &str, dir: &Path, jobs: &[serde_json::Value]) {
    let file = dir.join(format!("{engine}-jobs.json"));
    std::fs::write(&file, serde_json::to_vec(jobs).unwrap()).unwrap();
    let out = std::process::Command::new(python)
        .arg(root().join("scripts/sql_engines.py"))
        .args(["--engine", engine, "--jobs", s(&file)])
        .output()
        .unwrap();
    assert!(out.status.success(), "{engine} failed:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn python_engine(engine: &str, dialect: &str) {
    let Some(python) = python() else { return };
    let dir = scratch();
    let cases = cases(dir.path());
    let (invalid_csv, invalid_expected) = invalid_rows(dir.path());
    let mut jobs = Vec::new();
    for case in &cases {
        let sql = export(case, dialect, dir.path());
        for typed in [false, true] {
            // Typed loads (engine-inferred numbers, booleans) for the shipped model's data.
            if typed && case.name != "synthetic" {
                continue;
            }
            let out = dir.path().join(format!("{}.{engine}.{typed}.csv", case.name));
            jobs.push(serde_json::json!({"csv": case.csv, "table": case.name, "typed": typed, "sql": sql, "out": out}));
        }
    }
    let invalid_case = Case { name: "invalid", csv: invalid_csv.clone(), ..cases_shipped() };
    let invalid_sql = export(&invalid_case, dialect, dir.path());
    let invalid_out = dir.path().join(format!("invalid.{engine}.csv"));
    jobs.push(serde_json::json!({"csv": invalid_csv, "table": "invalid", "sql": invalid_sql, "out": invalid_out}));
    run_python(&python, engine, dir.path(), &jobs);
    for case in &cases {
        let expected = reference(case, dir.path());
        for typed in [false, true] {
            if typed && case.name != "synthetic" {
                continue;
            }
            let got = read_engine_csv(&dir.path().join(format!("{}.{engine}.{typed}.csv", case.name)));
            let what = format!("{engine} {} ({} columns)", case.name, if typed { "typed" } else { "text" });
            compare(&what, &expected, &got);
        }
    }
    check_invalid(engine, &read_engine_csv(&invalid_out), &invalid_expected);
}

fn cases_shipped() -> Case {
    Case {
        name: "synthetic",
        csv: root().join("data/leads.csv"),
        models: root().join("models"),
        model: "leads".into(),
        id: "lead_id".into(),
    }
}

#[test]
fn duckdb_scores_like_the_cli() {
    python_engine("duckdb", "duckdb");
}

#[test]
fn spark_scores_like_the_cli() {
    python_engine("spark", "spark");
}

/// Loads a CSV into a PostgreSQL table of text columns (plus `ord`, the file's row order).
fn pg_load(client: &mut postgres::Client, table: &str, csv_path: &Path) {
    use std::io::Write;
    let bytes = std::fs::read(csv_path).unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    // An unnamed column (a trailing comma in the export) gets a name: PostgreSQL has no empty identifiers.
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, h)| if h.is_empty() { format!("unnamed_{i}") } else { h.to_owned() })
        .map(|h| format!("\"{}\"", h.replace('"', "\"\"")))
        .collect();
    let columns: Vec<String> = header.iter().map(|h| format!("{h} text")).collect();
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS \"{table}\"; CREATE TABLE \"{table}\" ({}, ord bigserial)",
            columns.join(", ")
        ))
        .unwrap();
    let mut writer =
        client.copy_in(&format!("COPY \"{table}\" ({}) FROM STDIN (FORMAT csv, HEADER)", header.join(", "))).unwrap();
    writer.write_all(&bytes).unwrap();
    writer.finish().unwrap();
}

fn pg_query(client: &mut postgres::Client, sql: &Path) -> HashMap<String, Scored> {
    let text = std::fs::read_to_string(sql).unwrap();
    client
        .query(text.as_str(), &[])
        .unwrap()
        .iter()
        .map(|row| {
            let scored = Scored {
                probability: row.get("probability"),
                score: row.get::<_, Option<i32>>("score").map(i64::from),
                tier: row.get("tier"),
                mql: row.get("mql"),
                top: row.get("top_feature"),
                invalid: row.get("invalid_column"),
            };
            (row.get::<_, String>(0), scored)
        })
        .collect()
}

#[test]
fn postgres_scores_like_the_cli() {
    let Some(url) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let dir = scratch();
    for case in cases(dir.path()) {
        pg_load(&mut client, case.name, &case.csv);
        let sql = export(&case, "postgres", dir.path());
        let got = pg_query(&mut client, &sql);
        compare(&format!("postgres {}", case.name), &reference(&case, dir.path()), &got);
    }
    let (invalid_csv, invalid_expected) = invalid_rows(dir.path());
    pg_load(&mut client, "invalid", &invalid_csv);
    let invalid_case = Case { name: "invalid", csv: invalid_csv, ..cases_shipped() };
    let got = pg_query(&mut client, &export(&invalid_case, "postgres", dir.path()));
    check_invalid("postgres", &got, &invalid_expected);
}

#[test]
fn training_from_postgres_gives_the_csv_artifact_byte_for_byte() {
    let Some(url) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let dir = scratch();
    let mut sets = vec![("train_synthetic", root().join("data/leads.csv"), "data/spec.toml", vec![])];
    if let Some(x) = xeducation() {
        sets.push((
            "train_xeducation",
            x,
            "data/specs/xeducation-no-post-contact.toml",
            vec!["--cv-folds", "0", "--l2", "1"],
        ));
    }
    for (table, csv_path, spec, extra) in sets {
        pg_load(&mut client, table, &csv_path);
        let train = |data: &str, query: Option<String>, models: &Path| {
            let mut args = vec!["train", "--data", data, "--spec", spec, "--name", "m", "--models", s(models)];
            if let Some(q) = &query {
                args.extend(["--query", q.as_str()]);
            }
            args.extend(extra.iter().copied());
            run(&args).ok();
            std::fs::read(models.join("m/v1/model.bin")).unwrap()
        };
        // A table has no order of its own and the artifact depends on row order: ORDER BY the load order.
        let from_pg = train(
            &url,
            Some(format!("SELECT * FROM \"{table}\" ORDER BY ord")),
            &dir.path().join(format!("{table}-pg")),
        );
        let from_csv = train(s(&csv_path), None, &dir.path().join(format!("{table}-csv")));
        assert!(from_pg == from_csv, "{table}: the artifact trained from PostgreSQL differs from the CSV's");
        eprintln!(
            "pg training: {table}: model.bin from PostgreSQL is byte-identical to the CSV's ({} bytes)",
            from_pg.len()
        );
    }
    // A column the query does not return is named, with the columns it does return.
    let out = run(&[
        "train",
        "--data",
        &url,
        "--query",
        "SELECT lead_id, outcome FROM train_synthetic",
        "--spec",
        "data/spec.toml",
        "--models",
        s(dir.path()),
    ])
    .fails();
    assert!(
        out.stderr.contains(
            "column `created_at` (the time column) is not in the file; its columns are: `lead_id`, `outcome`"
        ),
        "{}",
        out.stderr
    );
    // A bad cell names its line (the query's row + 1) and column, as in a CSV.
    let out = run(&[
        "train",
        "--data",
        &url,
        "--query",
        "SELECT * FROM train_synthetic WHERE ord <= 3 UNION ALL SELECT lead_id, created_at, lead_source, country, industry, job_level, department, company_size, 'lots', page_views, pricing_page_visits, email_opens, email_clicks, content_downloads, webinar_attended, demo_requested, days_since_last_activity, outcome, 4 FROM train_synthetic WHERE ord = 4 ORDER BY ord",
        "--spec",
        "data/spec.toml",
        "--models",
        s(dir.path()),
    ])
    .fails();
    assert!(
        out.stderr.contains("line 5: column `annual_revenue`: cannot parse \"lots\" as a number"),
        "{}",
        out.stderr
    );
    let out = run_in(
        &root(),
        &["train", "--data", &url, "--table", "no_such_table", "--spec", "data/spec.toml", "--models", s(dir.path())],
    )
    .fails();
    assert!(out.stderr.contains("relation \"no_such_table\" does not exist"), "{}", out.stderr);
}
