//! The shipped model in `models/` is exactly what the code trains from `data/`.

use crate::util::{root, run, s, scratch};

#[test]
fn shipped_model_matches_a_retrain_from_data() {
    let dir = scratch();
    let models = dir.path().join("models");
    let out = run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--spec",
        "data/spec.toml",
        "--name",
        "leads",
        "--models",
        s(&models),
        "--json",
    ])
    .ok();
    let summary = out.json();
    assert_eq!(summary["version"], "v1");
    let current = std::fs::read_to_string(root().join("models/leads/CURRENT")).unwrap();
    let shipped = root().join("models/leads").join(current.trim());
    for file in ["model.bin", "card.json", "report.html"] {
        let fresh = std::fs::read(models.join("leads/v1").join(file)).unwrap();
        let committed = std::fs::read(shipped.join(file)).unwrap();
        assert!(
            fresh == committed,
            "models/leads/{}/{file} is out of date with the code: retrain with\n  leadscore train --data data/leads.csv --spec data/spec.toml --name leads\n(after removing models/leads)",
            current.trim()
        );
    }
}

#[test]
fn same_data_spec_and_seed_give_the_same_bytes_and_another_seed_does_not() {
    let dir = scratch();
    let train = |models: &str, seed: &str| {
        // `--promote always`: the gate judges a candidate against a current version that was
        // refit on these very leads, which favours it; promotion is not what is tested here.
        run(&[
            "train",
            "--data",
            "data/leads.csv",
            "--spec",
            "data/spec.toml",
            "--name",
            "leads",
            "--models",
            models,
            "--seed",
            seed,
            "--cv-folds",
            "3",
            "--json",
            "--promote",
            "always",
        ])
        .ok()
        .json()
    };
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    let first = train(s(&a), "7");
    let second = train(s(&b), "7");
    let bytes = |p: &serde_json::Value| std::fs::read(p.as_str().unwrap()).unwrap();
    assert_eq!(bytes(&first["model_path"]), bytes(&second["model_path"]));
    // Retraining into the same registry reuses the identical version instead of adding one.
    let again = train(s(&a), "7");
    assert_eq!((again["version"].as_str(), again["reused"].as_bool()), (Some("v1"), Some(true)));
    let other = train(s(&a), "8");
    assert_eq!(other["version"], "v2");
    assert_ne!(bytes(&first["model_path"]), bytes(&other["model_path"]));
}

#[test]
fn corrupt_model_files_are_refused_with_the_reason() {
    let dir = scratch();
    let good = std::fs::read(root().join("models/leads/v1/model.bin")).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("truncated", good[..good.len() / 2].to_vec(), "truncated"),
        ("trailing", [good.clone(), b"extra".to_vec()].concat(), "unexpected bytes"),
        (
            "flipped",
            {
                let mut b = good.clone();
                let i = b.len() - 100;
                b[i] ^= 0x55;
                b
            },
            "checksum mismatch",
        ),
        ("foreign", b"PK\x03\x04 this is a zip file, not a model".to_vec(), "not a leadscore model"),
        ("tiny", vec![0x4c, 0x53], "not a leadscore model"),
        (
            "huge-length",
            {
                // A header whose length field claims terabytes: must be refused, not allocated.
                let mut b = good[..52].to_vec();
                b[12..20].copy_from_slice(&(1u64 << 42).to_le_bytes());
                b
            },
            "truncated",
        ),
    ];
    for (name, bytes, reason) in cases {
        let path = dir.path().join(format!("{name}.bin"));
        std::fs::write(&path, bytes).unwrap();
        let out = run(&["inspect", "--model", s(&path)]).fails();
        assert!(out.stderr.contains(reason), "{name}: {}", out.stderr);
        assert!(out.stderr.contains(s(&path)), "{name}: error should name the file: {}", out.stderr);
    }
}

/// Models written in format 1 (before date formats) still load and score to the same bits: the
/// shipped model of that time, and one with date features (age bins, month, weekday), each
/// scored by that build into `tests/fixtures/format1/<name>.scored.csv` (probabilities as
/// shortest round-trip text, so equal text is equal bits). `score` has since gained a last
/// `error` column: every other cell must be the same, and no lead may get an error.
#[test]
fn format_1_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format1");
    for name in ["leads", "dates"] {
        let model = fixtures.join(format!("{name}.bin"));
        let bytes = std::fs::read(&model).unwrap();
        assert_eq!(&bytes[8..12], &1u32.to_le_bytes(), "{name}.bin is a format-1 file");
        let data = fixtures.join(format!("{name}.csv"));
        let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
        let expected = std::fs::read_to_string(fixtures.join(format!("{name}.scored.csv"))).unwrap();
        let mut scored = csv::Reader::from_reader(out.stdout.as_bytes());
        let mut then = csv::Reader::from_reader(expected.as_bytes());
        let header: Vec<String> = scored.headers().unwrap().iter().map(str::to_owned).collect();
        let mut header_then: Vec<String> = then.headers().unwrap().iter().map(str::to_owned).collect();
        header_then.push("error".into());
        assert_eq!(header, header_then, "{name}: the columns are those of that build plus `error`");
        let rows: Vec<csv::StringRecord> = scored.records().map(Result::unwrap).collect();
        let rows_then: Vec<csv::StringRecord> = then.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), rows_then.len(), "{name}: one row per lead");
        for (row, row_then) in rows.iter().zip(&rows_then) {
            let cells: Vec<&str> = row.iter().collect();
            let (error, cells) = cells.split_last().unwrap();
            assert_eq!(*error, "", "{name}: lead {} gets an error", &row[0]);
            assert!(
                cells == row_then.iter().collect::<Vec<_>>(),
                "{name}: a format-1 model no longer scores as it did:\n now  {cells:?}\n then {row_then:?}"
            );
        }
    }
}

/// Models written in format 2 (before the evidence behind each term) still load and score to
/// the same bits: the shipped model of that time, scored by that build (2e1cb1d) into
/// `tests/fixtures/format2/leads.scored.csv`, every cell compared. It has no evidence, so its
/// lists rank terms by the weights' size, as they did.
#[test]
fn format_2_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format2");
    let model = fixtures.join("leads.bin");
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(&bytes[8..12], &2u32.to_le_bytes(), "leads.bin is a format-2 file");
    let data = root().join("tests/fixtures/format1/leads.csv");
    let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
    let expected = std::fs::read_to_string(fixtures.join("leads.scored.csv")).unwrap();
    assert!(out.stdout.lines().count() > 100, "{}", out.stderr);
    assert!(out.stdout == expected, "a format-2 model no longer scores as it did");
    let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
    assert!(artifact.evidence.is_empty());
    let card = run(&["inspect", "--model", s(&model), "--json"]).ok().json();
    let first = &card["coefficients"][0];
    assert!(first.get("leads").is_none() && first.get("odds_interval").is_none(), "{first}");
    let weights: Vec<f64> =
        card["coefficients"].as_array().unwrap().iter().map(|c| c["coefficient"].as_f64().unwrap().abs()).collect();
    assert!(weights.windows(2).all(|w| w[0] >= w[1]), "without evidence, by the weight's size");
}

/// Models written in format 3 (before dates measured at the lead's own time column) still load
/// and score to the same bits: the shipped model of that time, and one with the time column as a
/// date feature (age bins, month, weekday: `format1/dates-spec.toml` on `head -6000
/// data/leads.csv`), each scored by that build (78fa6c5) into
/// `tests/fixtures/format3/<name>.scored.csv`, every cell compared. Format 3 measured every age
/// at the reference date; read today, the spec says so (`age = "reference_date"`), where a spec
/// without `age` would now give the time column no age at all.
#[test]
fn format_3_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format3");
    for name in ["leads", "dates"] {
        let model = fixtures.join(format!("{name}.bin"));
        let bytes = std::fs::read(&model).unwrap();
        assert_eq!(&bytes[8..12], &3u32.to_le_bytes(), "{name}.bin is a format-3 file");
        let data = root().join(format!("tests/fixtures/format1/{name}.csv"));
        let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
        let expected = std::fs::read_to_string(fixtures.join(format!("{name}.scored.csv"))).unwrap();
        assert!(out.stdout.lines().count() > 100, "{name}: {}", out.stderr);
        assert!(out.stdout == expected, "{name}: a format-3 model no longer scores as it did");
        let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
        assert_eq!(artifact.evidence.len(), artifact.encoder.n_columns, "{name}: its evidence is kept");
        assert_eq!(artifact.encoder.time, None, "{name}: no age read from the lead's own time");
    }
    let artifact = leadscore_core::Artifact::from_bytes(&std::fs::read(fixtures.join("dates.bin")).unwrap()).unwrap();
    let created = &artifact.spec.features["created_at"];
    assert_eq!(created.age, Some(leadscore_core::spec::DateAge::ReferenceDate));
    assert_eq!(artifact.spec.date_age("created_at"), leadscore_core::spec::DateAge::ReferenceDate);
    let names = artifact.encoder.column_names();
    assert!(names.iter().any(|n| n.starts_with("created_at age (days)")), "{names:?}");
}

/// Models written in format 4 (before pair terms) still load and score to the same bits: the
/// shipped model of that time, and one with a `dd/mm/yyyy` date whose age is measured at each
/// lead's own `created_at` (`format4/since-spec.toml`, trained on the first 6000 leads of
/// `data/leads.csv` with the `first_seen` column `format4/since.csv` has), each scored by that
/// build (h-dates2, 72b4c1d) into `tests/fixtures/format4/<name>.scored.csv`, every cell
/// compared. Read today they have no pair term, and their spec says no search ran.
#[test]
fn format_4_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format4");
    for (name, data) in [("leads", "tests/fixtures/format1/leads.csv"), ("since", "tests/fixtures/format4/since.csv")] {
        let model = fixtures.join(format!("{name}.bin"));
        let bytes = std::fs::read(&model).unwrap();
        assert_eq!(&bytes[8..12], &4u32.to_le_bytes(), "{name}.bin is a format-4 file");
        let out = run(&["score", "--model", s(&model), "--data", s(&root().join(data)), "--explain", "3"]).ok();
        let expected = std::fs::read_to_string(fixtures.join(format!("{name}.scored.csv"))).unwrap();
        assert!(out.stdout.lines().count() > 100, "{name}: {}", out.stderr);
        assert!(out.stdout == expected, "{name}: a format-4 model no longer scores as it did");
        let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
        assert_eq!(artifact.evidence.len(), artifact.encoder.n_columns, "{name}: its evidence is kept");
        assert_eq!(artifact.fitted_on, leadscore_core::report::FittedOn::TrainingPart, "{name}");
        assert!(artifact.encoder.pairs.is_empty() && artifact.pair_search.is_none(), "{name}");
        assert_eq!((artifact.spec.pairs.len(), artifact.spec.pair_search), (0, Some(false)), "{name}");
    }
    let artifact = leadscore_core::Artifact::from_bytes(&std::fs::read(fixtures.join("since.bin")).unwrap()).unwrap();
    assert_eq!(artifact.encoder.time.as_ref().map(|t| t.column.as_str()), Some("created_at"));
    assert_eq!(artifact.spec.date_age("first_seen"), leadscore_core::spec::DateAge::TimeColumn);
}

/// Models written in format 5 (pair terms, before the published model could be refit on every
/// labelled lead) still load and score to the same bits: the shipped model of that time and one
/// with two pair terms (`format5/pairs-spec.toml`), each scored by that build (h-pairs 86b419a)
/// into `tests/fixtures/format5/<name>.scored.csv`, every cell compared, pair explanations
/// included. They read as fitted on their training part, which they were.
#[test]
fn format_5_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format5");
    let data = root().join("tests/fixtures/format1/leads.csv");
    for name in ["leads", "pairs"] {
        let model = fixtures.join(format!("{name}.bin"));
        let bytes = std::fs::read(&model).unwrap();
        assert_eq!(&bytes[8..12], &5u32.to_le_bytes(), "{name}.bin is a format-5 file");
        let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
        let expected = std::fs::read_to_string(fixtures.join(format!("{name}.scored.csv"))).unwrap();
        assert!(out.stdout.lines().count() > 100, "{name}: {}", out.stderr);
        assert!(out.stdout == expected, "{name}: a format-5 model no longer scores as it did");
        let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
        assert_eq!(artifact.fitted_on, leadscore_core::report::FittedOn::TrainingPart, "{name}");
        let card = run(&["inspect", "--model", s(&model), "--json"]).ok().json();
        assert_eq!(card["fitted_on"]["part"], "training", "{name}");
    }
    let pairs = leadscore_core::Artifact::from_bytes(&std::fs::read(fixtures.join("pairs.bin")).unwrap()).unwrap();
    assert_eq!(pairs.encoder.pairs.len(), 2);
    let scored = std::fs::read_to_string(fixtures.join("pairs.scored.csv")).unwrap();
    assert!(scored.contains(" × "), "explanations name the pairs");
}

/// Models written in format 6 (before numbers' shapes were chosen by the data) still load and
/// score to the same bits: the shipped model of that time (refit on every labelled lead),
/// scored by that build (main 27f7a26) into `tests/fixtures/format6/leads.scored.csv`, every
/// cell compared. Read today its spec pins every number (no `shape`) and no search ran.
#[test]
fn format_6_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format6");
    let data = root().join("tests/fixtures/format1/leads.csv");
    let model = fixtures.join("leads.bin");
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(&bytes[8..12], &6u32.to_le_bytes(), "leads.bin is a format-6 file");
    let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
    let expected = std::fs::read_to_string(fixtures.join("leads.scored.csv")).unwrap();
    assert!(out.stdout.lines().count() > 100, "{}", out.stderr);
    assert!(out.stdout == expected, "a format-6 model no longer scores as it did");
    let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
    assert!(matches!(artifact.fitted_on, leadscore_core::report::FittedOn::AllRows { .. }));
    assert!(artifact.shape_search.is_none());
    assert!(artifact.spec.features.values().all(|f| f.shape.is_none()));
    let card = run(&["inspect", "--model", s(&model), "--json"]).ok().json();
    assert!(card.get("shape_search").is_none(), "{card}");
}

/// Models written in format 7 (before a pair candidate's pull was recorded) still load and
/// score to the same bits: the shipped model of that time (a pair search that judged candidates
/// and kept none), scored by that build (main 3aa8295) into
/// `tests/fixtures/format7/leads.scored.csv`, every cell compared. Read today its candidates'
/// pulls are unknown (not a number: `null` in the card), their penalties as recorded.
#[test]
fn format_7_models_still_score_to_the_same_bits() {
    let fixtures = root().join("tests/fixtures/format7");
    let data = root().join("tests/fixtures/format1/leads.csv");
    let model = fixtures.join("leads.bin");
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(&bytes[8..12], &7u32.to_le_bytes(), "leads.bin is a format-7 file");
    let out = run(&["score", "--model", s(&model), "--data", s(&data), "--explain", "3"]).ok();
    let expected = std::fs::read_to_string(fixtures.join("leads.scored.csv")).unwrap();
    assert!(out.stdout.lines().count() > 100, "{}", out.stderr);
    assert!(out.stdout == expected, "a format-7 model no longer scores as it did");
    let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
    let search = artifact.pair_search.as_ref().expect("the shipped model searched for pairs");
    let judged: Vec<_> = search.candidates.iter().filter(|c| c.l2.is_finite()).collect();
    assert!(!judged.is_empty() && judged.iter().all(|c| c.pull.is_nan()), "{search:?}");
    let card = run(&["inspect", "--model", s(&model), "--json"]).ok().json();
    let candidates = card["pair_search"]["candidates"].as_array().expect("the card lists the candidates");
    assert!(candidates.iter().all(|c| c["pull"].is_null()), "{card}");
}
