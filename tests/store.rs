//! The prediction log (`leadscore-store`) on both backends, and the commands over it:
//! `outcomes import`, `monitor`, `export-training`, `forget`. Until the server logs (issue 12,
//! phase 2) the store is filled the way the server will fill it: the shipped model scores leads
//! through the core's `Scorer` and each scoring goes through the store's own `LogWriter`.

use std::path::Path;
use std::time::Duration;

use leadscore_core::value::RawValue;
use leadscore_store::{
    FieldLogging, Fields, Filter, LogWriter, Outcome, Pair, PairFilter, Prediction, Store, WriterConfig,
};

use crate::util::{missing_external, root, run, s, scratch, shipped_model};

/// `leadscore synth --rows n --seed seed` as text.
fn synth(n: usize, seed: u64) -> String {
    let out = run(&["synth", "--rows", &n.to_string(), "--seed", &seed.to_string()]).ok();
    out.stdout
}

/// The CSV with `f(column, row index, cell)` applied to every cell.
fn rewrite(csv_text: &str, f: impl Fn(&str, usize, &str) -> String) -> String {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(&header).unwrap();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let cells: Vec<String> = header.iter().zip(record.iter()).map(|(h, c)| f(h, i, c)).collect();
        writer.write_record(&cells).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// Scores every lead of `csv_text` with the shipped model and logs it through a `LogWriter` on
/// `location`, as the server's CSV route will: id from `lead_id`, scored "on" its `created_at`
/// day, fields as they arrived. Returns the writer's final counters.
fn log_csv(location: &str, csv_text: &str) -> leadscore_store::WriterStats {
    let (_, artifact) = shipped_model();
    let version = std::fs::read_to_string(root().join("models/leads/CURRENT")).unwrap().trim().to_owned();
    let threshold = artifact.thresholds[0].threshold;
    let writer = LogWriter::start(location, WriterConfig::default()).unwrap();
    let mut scorer = leadscore_core::score::Scorer::new(&artifact);
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let field = |name: &str| at(name).and_then(|p| record.get(p)).map_or(RawValue::Missing, RawValue::Text);
        let scored = scorer.score(field, 0).unwrap();
        let day = leadscore_core::value::parse_day(&record[at("created_at").unwrap()]).unwrap();
        let row = Prediction {
            scored_at_ms: (i64::from(day) - 719_163) * 86_400_000 + i as i64,
            model: artifact.name.clone(),
            version: version.clone(),
            shadow: false,
            lead_id: record[at("lead_id").unwrap()].to_owned(),
            probability: scored.probability,
            score: scored.score,
            tier: scored.tier.to_owned(),
            mql: scored.probability >= threshold,
            threshold,
            rule_points: None,
            rule_mql: None,
            fields: Fields::of(&artifact, FieldLogging::Model, field),
        };
        assert!(writer.log(row));
    }
    let stats = writer.shutdown(Duration::from_secs(60));
    assert_eq!(stats.dropped(), 0, "{stats:?}");
    stats
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn monitor(store: &str) -> serde_json::Value {
    run(&["monitor", "--store", store, "--model", "leads", "--replicates", "200", "--json"]).ok().json()
}

fn flagged(doc: &serde_json::Value) -> Vec<String> {
    doc["drifted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect()
}

/// The end-to-end loop on the default SQLite store: log 5,000 unchanged leads, import their
/// outcomes, monitor (no drift, live AUC consistent with the held-out one), then log shifted
/// leads into another store (new lead-source mix, a new industry) and see exactly those flagged.
#[test]
fn sqlite_log_outcomes_monitor_and_drift() {
    let dir = scratch();
    let leads = synth(5000, 7);
    let data = write(dir.path(), "leads.csv", &leads);
    let store = dir.path().join("log.db");
    let store = s(&store);
    let stats = log_csv(store, &leads);
    assert_eq!(stats.written, 5000);

    let out = run(&["outcomes", "import", "--store", store, "--data", &data, "--id", "lead_id", "--json"]).ok().json();
    assert_eq!(
        (out["received"].as_u64(), out["stored"].as_u64(), out["unknown"].as_u64()),
        (Some(5000), Some(5000), Some(0))
    );
    // Idempotent: the same file again changes nothing and says the same.
    let again =
        run(&["outcomes", "import", "--store", store, "--data", &data, "--id", "lead_id", "--json"]).ok().json();
    assert_eq!(again, out);

    let doc = monitor(store);
    assert_eq!((doc["n_scored"].as_u64(), doc["n_outcomes"].as_u64()), (Some(5000), Some(5000)));
    assert_eq!(flagged(&doc), Vec::<String>::new(), "unchanged leads flagged: {doc:#}");
    assert_eq!(doc["score_drift"]["flagged"], false);
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), shipped_model().1.encoder.features.len());
    for f in features {
        let (n, psi) = (f["psi"]["n"].as_u64(), f["psi"]["psi"].as_f64().unwrap());
        assert!(n == Some(5000) && psi < 0.03, "{f:#}");
        // 5,000 leads are enough to flag every feature of the shipped model.
        assert!(f["psi"]["min_leads"].as_u64().unwrap() <= 5000, "{f:#}");
    }
    let figures = &doc["outcomes"]["figures"];
    let (low, high) =
        (figures["auc"]["interval"]["low"].as_f64().unwrap(), figures["auc"]["interval"]["high"].as_f64().unwrap());
    let held_out = doc["outcomes"]["holdout_auc"].as_f64().unwrap();
    assert!(low <= held_out && held_out <= high, "held-out AUC {held_out} outside the live interval [{low}, {high}]");
    let tiers = doc["outcomes"]["by_tier"].as_array().unwrap();
    assert_eq!(tiers.iter().map(|t| t["n"].as_u64().unwrap()).sum::<u64>(), 5000);
    // Won rates fall from tier A to D, as the model predicts.
    let rates: Vec<f64> = tiers.iter().map(|t| t["observed_rate"].as_f64().unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] > w[1]), "{rates:?}");

    // The text and HTML forms of the same report.
    let html = dir.path().join("monitor.html");
    let text = run(&["monitor", "--store", store, "--model", "leads", "--replicates", "200", "--html", s(&html)]).ok();
    assert!(text.stdout.contains("5000 leads scored, 5000 with an outcome"), "{}", text.stdout);
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>") && page.contains("<svg") && page.contains("No feature is flagged"));

    // Shifted leads: half from partners, a third from an industry the model never saw, and five
    // times the page views (a count, whose training shares the deciles bound only loosely).
    let shifted = rewrite(&synth(5000, 8), |column, i, cell| match column {
        "lead_source" if i % 2 == 0 => "Partner".into(),
        "industry" if i % 3 == 0 => "Space Mining".into(),
        "page_views" => cell.parse::<f64>().map_or_else(|_| cell.into(), |v| (5.0 * v).to_string()),
        _ => cell.into(),
    });
    let store2 = dir.path().join("shifted.db");
    log_csv(s(&store2), &shifted);
    let doc = monitor(s(&store2));
    let mut drifted = flagged(&doc);
    drifted.sort();
    assert_eq!(drifted, ["industry", "lead_source", "page_views"], "{doc:#}");
    let industry = doc["features"].as_array().unwrap().iter().find(|f| f["feature"] == "industry").unwrap();
    let unseen = industry["unseen"]["live"].as_f64().unwrap();
    assert!((unseen - 1667.0 / 5000.0).abs() < 1e-9, "{unseen}");
    assert!(doc["outcomes"].is_null(), "no outcomes were imported into this store");
}

/// `export-training` gives the logged inputs joined with the outcomes, and `train` reads it with
/// the model's own spec: the model trained on the export has the held-out AUC of one trained on
/// the same leads from the original CSV.
#[test]
fn export_training_round_trips_into_train() {
    let dir = scratch();
    let leads = synth(4000, 11);
    let data = write(dir.path(), "leads.csv", &leads);
    let store = dir.path().join("log.db");
    let store = s(&store);
    log_csv(store, &leads);
    run(&["outcomes", "import", "--store", store, "--data", &data, "--id", "lead_id"]).ok();
    let export = dir.path().join("train.csv");
    let spec = dir.path().join("spec.toml");
    let out = run(&[
        "export-training",
        "--store",
        store,
        "--model",
        "leads",
        "--out",
        s(&export),
        "--spec-out",
        s(&spec),
        "--json",
    ])
    .ok()
    .json();
    assert_eq!(out["rows"].as_u64(), Some(4000));
    let text = std::fs::read_to_string(&export).unwrap();
    assert_eq!(text.lines().count(), 4001);
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("lead_id,created_at,") && header.ends_with(",outcome"), "{header}");
    assert!(!header.contains("notes"), "an excluded column was exported: {header}");

    let models = dir.path().join("models");
    let train = |data: &str, name: &str| {
        run(&["train", "--data", data, "--spec", s(&spec), "--name", name, "--models", s(&models), "--json"])
            .ok()
            .json()
    };
    let from_log = train(s(&export), "from-log");
    let from_csv = train(&data, "from-csv");
    let auc =
        |doc: &serde_json::Value| doc["holdout"]["auc"].as_f64().unwrap_or_else(|| panic!("no held-out AUC: {doc:#}"));
    let (a, b) = (auc(&from_log), auc(&from_csv));
    assert!((a - b).abs() < 0.01, "held-out AUC from the log {a}, from the CSV {b}");
}

#[test]
fn forget_deletes_every_row_of_one_lead() {
    let dir = scratch();
    let leads = synth(50, 3);
    let data = write(dir.path(), "leads.csv", &leads);
    let store = dir.path().join("log.db");
    let store = s(&store);
    log_csv(store, &leads);
    // Scored twice: both scorings go.
    log_csv(store, &rewrite(&leads, |_, _, c| c.into()));
    run(&["outcomes", "import", "--store", store, "--data", &data, "--id", "lead_id"]).ok();
    let out = run(&["forget", "--store", store, "--id", "L0000007", "--json"]).ok().json();
    assert_eq!((out["predictions"].as_u64(), out["outcomes"].as_u64()), (Some(2), Some(1)));
    let mut opened = leadscore_store::open(store).unwrap();
    let rows = opened.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 98);
    assert!(rows.iter().all(|r| r.prediction.lead_id != "L0000007"));
    assert_eq!(opened.count_outcomes().unwrap(), 49);
    // Forgetting it again finds nothing.
    let out = run(&["forget", "--store", store, "--id", "L0000007", "--json"]).ok().json();
    assert_eq!(out["predictions"].as_u64(), Some(0));
}

#[test]
fn outcomes_import_errors_name_the_line_and_column_and_count_unknown_ids() {
    let dir = scratch();
    let leads = synth(20, 5);
    let store = dir.path().join("log.db");
    let store = s(&store);
    log_csv(store, &leads);
    let bad = write(dir.path(), "bad.csv", "lead_id,outcome\nL0000001,won\nL0000002,maybe\n");
    let err = run(&["outcomes", "import", "--store", store, "--data", &bad, "--id", "lead_id"]).fails();
    assert!(err.stderr.contains("line 3") && err.stderr.contains("\"maybe\""), "{}", err.stderr);
    let missing = run(&["outcomes", "import", "--store", store, "--data", &bad, "--id", "crm_id"]).fails();
    assert!(missing.stderr.contains("column `crm_id` (the lead id) is not in the file"), "{}", missing.stderr);
    let date = write(dir.path(), "date.csv", "lead_id,outcome,closed\nL0000001,won,31/12/2026\n");
    let err =
        run(&["outcomes", "import", "--store", store, "--data", &date, "--id", "lead_id", "--closed-at", "closed"])
            .fails();
    assert!(err.stderr.contains("line 2: column `closed`"), "{}", err.stderr);
    // Nothing was stored by the failed imports.
    assert_eq!(leadscore_store::open(store).unwrap().count_outcomes().unwrap(), 0);
    let some =
        write(dir.path(), "some.csv", "lead_id,outcome,closed\nL0000001,won,2026-12-01\nNOPE-1,lost,\nNOPE-2,won,\n");
    let out = run(&[
        "outcomes",
        "import",
        "--store",
        store,
        "--data",
        &some,
        "--id",
        "lead_id",
        "--closed-at",
        "closed",
        "--json",
    ])
    .ok()
    .json();
    assert_eq!((out["stored"].as_u64(), out["unknown"].as_u64()), (Some(1), Some(2)));
    assert_eq!(out["unknown_ids"], serde_json::json!(["NOPE-1", "NOPE-2"]));
}

/// The behaviours both backends must share, on a fresh store from `open`.
fn check_backend(open: &dyn Fn() -> Box<dyn Store>) {
    let mut store = open();
    assert_eq!(store.schema_version().unwrap(), leadscore_store::schema::LATEST);
    let row = |id: &str, ms: i64, version: &str| Prediction {
        scored_at_ms: ms,
        model: "leads".into(),
        version: version.into(),
        shadow: false,
        lead_id: id.into(),
        probability: 0.1 + 0.2,
        score: 30,
        tier: "B".into(),
        mql: true,
        threshold: 0.25,
        rule_points: Some(42.5),
        rule_mql: Some(false),
        // In name order: the order a stored row reads back in.
        fields: Some(Fields::new(vec![
            ("country".into(), leadscore_store::FieldValue::Missing),
            ("demo_requested".into(), leadscore_store::FieldValue::Bool(true)),
            ("lead_source".into(), leadscore_store::FieldValue::Text("Web\tForm \\ \"x\"\nnew line".into())),
            ("page_views".into(), leadscore_store::FieldValue::Number(1e-7)),
        ])),
    };
    let mut first = row("A", 1_000, "v1");
    first.fields = None;
    first.rule_points = None;
    first.rule_mql = None;
    store.insert(&[first.clone(), row("B", 2_000, "v1"), row("A", 3_000, "v2")]).unwrap();
    let all = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(all.len(), 3);
    // Every value reads back to the bit, text with tabs, quotes and line breaks included.
    assert_eq!(all[0].prediction, first);
    assert_eq!(all[1].prediction, row("B", 2_000, "v1"));
    let v1 = store.rows(&Filter { model: "leads".into(), version: Some("v1".into()), ..Default::default() }).unwrap();
    assert_eq!(v1.len(), 2);
    let late = store
        .rows(&Filter { model: "leads".into(), since_ms: Some(2_000), until_ms: Some(3_000), ..Default::default() })
        .unwrap();
    assert_eq!(late.iter().map(|r| r.prediction.lead_id.as_str()).collect::<Vec<_>>(), ["B"]);
    assert!(store.rows(&Filter { model: "other".into(), ..Default::default() }).unwrap().is_empty());

    // Outcomes: upsert by id, unknown ids counted, posting twice harmless, a later one replaces.
    let outcomes = [Outcome::new("A", true, Some("2026-11-30")).unwrap(), Outcome::new("ZZ", false, None).unwrap()];
    let report = store.upsert_outcomes(&outcomes, 10_000).unwrap();
    assert_eq!((report.received, report.stored, report.unknown), (2, 1, 1));
    assert_eq!(store.upsert_outcomes(&outcomes, 20_000).unwrap(), report);
    store
        .upsert_outcomes(&[Outcome::new("A", false, None).unwrap(), Outcome::new("A", true, None).unwrap()], 30_000)
        .unwrap();
    let all = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    let a = all[0].outcome.as_ref().unwrap();
    assert_eq!((a.won, a.closed_at.as_deref(), a.received_at_ms), (true, None, 10_000));
    assert!(all[1].outcome.is_none());
    assert_eq!(store.count_outcomes().unwrap(), 1);
    assert_eq!(store.versions().unwrap(), [("leads".into(), "v1".into(), 2), ("leads".into(), "v2".into(), 1)]);

    // Forget: every scoring and the outcome of one lead.
    let gone = store.forget("A").unwrap();
    assert_eq!((gone.predictions, gone.outcomes), (2, 1));
    assert_eq!(store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap().len(), 1);
    // Retention: scorings older than the cutoff and outcomes left without a scoring.
    store.upsert_outcomes(&[Outcome::new("B", true, None).unwrap()], 40_000).unwrap();
    assert_eq!(store.purge_before(2_500).unwrap(), 1);
    assert_eq!(store.count_outcomes().unwrap(), 0);

    // Shadow rows name the served row they shadow, exactly: two scorings of lead C at the same
    // moment, each shadowed, paired crosswise in the batch.
    let served = |p: f64, mql: bool| Prediction { probability: p, mql, ..row("C", 5_000, "v1") };
    let shadow = |p: f64, mql: bool| Prediction {
        shadow: true,
        probability: p,
        mql,
        rule_points: None,
        rule_mql: None,
        ..row("C", 5_000, "v3")
    };
    let batch = [served(0.2, false), served(0.7, true), shadow(0.3, false), shadow(0.6, true)];
    store.insert_paired(&batch, &[Pair { champion: 1, shadow: 2 }, Pair { champion: 0, shadow: 3 }]).unwrap();
    let stored = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(stored.len(), 4);
    assert_eq!((stored[2].champion_id, stored[3].champion_id), (Some(stored[1].row_id), Some(stored[0].row_id)));
    assert_eq!((stored[0].champion_id, stored[1].champion_id), (None, None));
    // The monitor's leads are the served ones.
    let served_rows = store.rows(&Filter::served("leads", None, None, None)).unwrap();
    assert_eq!(served_rows.iter().map(|r| r.prediction.probability).collect::<Vec<_>>(), [0.2, 0.7]);
    let filter = PairFilter { model: "leads".into(), challenger: Some("v3".into()), ..Default::default() };
    let pairs = store.paired_rows(&filter).unwrap();
    let probabilities: Vec<(f64, f64)> =
        pairs.iter().map(|p| (p.champion.prediction.probability, p.challenger.prediction.probability)).collect();
    assert_eq!(probabilities, [(0.7, 0.3), (0.2, 0.6)]);
    assert_eq!(pairs[0].challenger.champion_id, Some(pairs[0].champion.row_id));
    assert_eq!(
        (pairs[0].champion.prediction.version.as_str(), pairs[0].challenger.prediction.version.as_str()),
        ("v1", "v3")
    );
    let other = PairFilter { champion: Some("v2".into()), ..filter.clone() };
    assert!(store.paired_rows(&other).unwrap().is_empty());
    let late = PairFilter { since_ms: Some(5_001), ..filter.clone() };
    assert!(store.paired_rows(&late).unwrap().is_empty());
    // A pair that does not name an earlier served row of the same lead is refused whole.
    let err = store
        .insert_paired(
            &[served(0.1, false), Prediction { lead_id: "D".into(), ..shadow(0.1, false) }],
            &[Pair { champion: 0, shadow: 1 }],
        )
        .unwrap_err();
    assert!(err.to_string().contains("pair"), "{err}");
    assert_eq!(store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap().len(), 4);
    // The one computation behind the monitor's challenger block: rank and MQL agreement on every
    // pair (they disagree on both), no outcome figures while one class only.
    store.upsert_outcomes(&[Outcome::new("C", true, None).unwrap()], 50_000).unwrap();
    let reports = leadscore_store::monitor::challengers(store.as_mut(), &filter, 50, 1).unwrap();
    assert_eq!(reports.len(), 1);
    let r = &reports[0];
    assert_eq!((r.champion.as_str(), r.challenger.as_str(), r.n_paired), ("v1", "v3", 2));
    assert_eq!((r.agreement.rank, r.agreement.mql), (Some(-1.0), Some(0.0)));
    assert!(r.outcomes.is_none());
    // Forgetting the lead removes its shadow rows too.
    assert_eq!(store.forget("C").unwrap().predictions, 4);
    // Retention reaches every model and version (it deletes one version at a time): the old
    // scorings of three versions of two models go, the newer ones stay.
    let other = |id: &str, ms: i64| Prediction { model: "other".into(), ..row(id, ms, "v1") };
    let rows = [row("D", 1_000, "v1"), row("D", 9_000, "v1"), row("E", 1_500, "v2"), other("F", 1_200)];
    store.insert(&[&rows[..], &[row("E", 9_500, "v2"), other("F", 9_900), row("G", 4_999, "v9")]].concat()).unwrap();
    assert_eq!(store.purge_before(5_000).unwrap(), 4);
    let mut left = |model: &str| {
        let rows = store.rows(&Filter { model: model.into(), ..Default::default() }).unwrap();
        rows.iter().map(|r| (r.prediction.version.clone(), r.prediction.scored_at_ms)).collect::<Vec<_>>()
    };
    assert_eq!(left("leads"), [("v1".to_owned(), 9_000), ("v2".to_owned(), 9_500)]);
    assert_eq!(left("other"), [("v1".to_owned(), 9_900)]);
    assert_eq!(store.purge_before(i64::MAX).unwrap(), 3);
    assert!(store.versions().unwrap().is_empty());

    // Rows of two field sets in one batch, and one whose fields were read back from a row stored
    // before schema 5 (a JSON object, no names): each reads back with its own names.
    let value = |x: f64| leadscore_store::FieldValue::Number(x);
    let other_set = Fields::new(vec![
        ("job_level".into(), leadscore_store::FieldValue::Text("VP".into())),
        ("page_views".into(), value(3.0)),
    ]);
    let unnamed = Fields::read(r#"{"page_views":2,"country":null}"#, None).unwrap();
    let mixed = [
        row("M1", 1, "v1"),
        Prediction { fields: Some(other_set), ..row("M2", 2, "v2") },
        Prediction { fields: Some(unnamed), ..row("M3", 3, "v1") },
        row("M4", 4, "v1"),
    ];
    store.insert(&mixed).unwrap();
    let back = store.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(back.into_iter().map(|r| r.prediction).collect::<Vec<_>>(), mixed);
    assert_eq!(store.purge_before(i64::MAX).unwrap(), 4);

    // A large read a page at a time reads what one statement reads: 30,000 rows of v1 (three
    // full pages, then an empty one) and 15,000 of v2 (one and a half), interleaved with
    // another model's rows.
    let page = leadscore_store::read::PAGE_ROWS as usize;
    let many: Vec<Prediction> = (0..45_000)
        .map(|i| {
            let version = if i % 3 == 2 { "v2" } else { "v1" };
            let mut r = row(&format!("L{i}"), 10_000 + i as i64, version);
            r.probability = i as f64 / 45_000.0;
            r
        })
        .collect();
    for chunk in many.chunks(1_000) {
        store.insert(chunk).unwrap();
        store.insert(&[other("O", 1)]).unwrap();
    }
    for version in ["v1", "v2"] {
        let filter = Filter::served("leads", Some(version), None, None);
        let whole = store.rows(&filter).unwrap();
        assert_eq!(whole.len(), if version == "v1" { 3 * page } else { 3 * page / 2 });
        let paged = leadscore_store::read::rows_in_pages(store.as_mut(), &filter, None).unwrap();
        assert_eq!(paged.rows, whole);
        assert!(!paged.capped);
        // The newest n: the last n of the whole read, and whether older rows were left out.
        for n in [1, 12_345, whole.len() as u64, whole.len() as u64 + 1] {
            let newest = leadscore_store::read::rows_in_pages(store.as_mut(), &filter, Some(n)).unwrap();
            let kept = (n as usize).min(whole.len());
            assert_eq!(newest.rows, whole[whole.len() - kept..], "newest {n}");
            assert_eq!(newest.capped, (n as usize) < whole.len(), "newest {n}");
        }
        assert_eq!(store.nth_newest_id(&filter, 0).unwrap(), Some(whole[whole.len() - 1].row_id));
        assert_eq!(store.nth_newest_id(&filter, 2).unwrap(), Some(whole[whole.len() - 3].row_id));
        assert_eq!(store.nth_newest_id(&filter, whole.len() as u64).unwrap(), None);
        // One page by hand: after a row, through a row, at most so many.
        let some = Filter {
            after_id: Some(whole[10].row_id),
            through_id: Some(whole[20].row_id),
            limit: Some(4),
            ..filter.clone()
        };
        assert_eq!(store.rows(&some).unwrap(), whole[11..15]);
        let rest = Filter { limit: None, ..some };
        assert_eq!(store.rows(&rest).unwrap(), whole[11..21]);
    }
    let nothing = Filter::served("nobody", None, None, None);
    let empty = leadscore_store::read::rows_in_pages(store.as_mut(), &nothing, Some(5)).unwrap();
    assert!(empty.rows.is_empty() && !empty.capped);

    // Shadow pairs a page at a time too: 12,500 leads served by v1 and shadowed by v3 (one full
    // page and a quarter), in batches of 500 pairs with another model's row between them.
    // Lead `P<i>` served by v1 at `at + i` and shadowed by `challenger`, for each i below n.
    let paired = |n: usize, at: i64, challenger: &str| -> Vec<Prediction> {
        (0..n)
            .flat_map(|i| {
                let (lead, ms) = (format!("P{i}"), at + i as i64);
                let shadow =
                    Prediction { shadow: true, rule_points: None, rule_mql: None, ..row(&lead, ms, challenger) };
                [row(&lead, ms, "v1"), shadow]
            })
            .collect()
    };
    let served_and_shadow = paired(12_500, 100_000, "v3");
    for chunk in served_and_shadow.chunks(1_000) {
        let pairs: Vec<Pair> = (0..chunk.len() / 2).map(|k| Pair { champion: 2 * k, shadow: 2 * k + 1 }).collect();
        store.insert_paired(chunk, &pairs).unwrap();
        store.insert(&[other("O", 1)]).unwrap();
    }
    let filter = PairFilter {
        model: "leads".into(),
        champion: Some("v1".into()),
        challenger: Some("v3".into()),
        ..Default::default()
    };
    let whole = store.paired_rows(&filter).unwrap();
    assert_eq!(whole.len(), 12_500);
    assert!(whole.iter().all(|p| p.challenger.champion_id == Some(p.champion.row_id)
        && p.champion.prediction.lead_id == p.challenger.prediction.lead_id));
    assert_eq!(leadscore_store::read::pairs_in_pages(store.as_mut(), &filter).unwrap(), whole);
    // One page by hand: after a pair, through a pair (by the shadow row's id), at most so many.
    let some = PairFilter {
        after_id: Some(whole[10].challenger.row_id),
        through_id: Some(whole[20].challenger.row_id),
        limit: Some(4),
        ..filter.clone()
    };
    assert_eq!(store.paired_rows(&some).unwrap(), whole[11..15]);
    assert_eq!(store.paired_rows(&PairFilter { limit: None, ..some }).unwrap(), whole[11..21]);
    let reports = leadscore_store::monitor::challengers(store.as_mut(), &filter, 10, 1).unwrap();
    assert_eq!(reports.iter().map(|r| r.n_paired).collect::<Vec<_>>(), [12_500]);
    let nobody = PairFilter { model: "nobody".into(), ..Default::default() };
    assert!(leadscore_store::read::pairs_in_pages(store.as_mut(), &nobody).unwrap().is_empty());
    // A second challenger, v4, on 300 of the same leads: without a named challenger, each one's
    // pairs in turn, in version order.
    let v4 = paired(300, 200_000, "v4");
    store
        .insert_paired(&v4, &(0..300).map(|k| Pair { champion: 2 * k, shadow: 2 * k + 1 }).collect::<Vec<_>>())
        .unwrap();
    assert_eq!(store.shadow_versions("leads").unwrap(), ["v3", "v4"]);
    assert!(store.shadow_versions("other").unwrap().is_empty());
    let of_v4 = store.paired_rows(&PairFilter { challenger: Some("v4".into()), ..filter.clone() }).unwrap();
    assert_eq!(of_v4.len(), 300);
    let every = PairFilter { challenger: None, ..filter.clone() };
    assert_eq!(leadscore_store::read::pairs_in_pages(store.as_mut(), &every).unwrap(), [whole, of_v4].concat());
    assert_eq!(store.purge_before(i64::MAX).unwrap(), 45_000 + 45 + 25_000 + 25 + 600);
    drop(store);
    // Reopening is a no-op migration.
    assert_eq!(open().schema_version().unwrap(), leadscore_store::schema::LATEST);
}

#[test]
fn sqlite_backend() {
    let dir = scratch();
    let path = dir.path().join("log.db");
    check_backend(&|| leadscore_store::open(s(&path)).unwrap());
}

/// A served row as a build of schema 1 wrote it (its columns only; both dialects).
const OLD_ROW: &str =
    "INSERT INTO predictions (scored_at_ms, model, version, shadow, lead_id, probability, score, tier,
    mql, threshold, fields) VALUES (5, 'leads', 'v1', FALSE, 'old', 0.5, 50, 'A', TRUE, 0.4,
    '{\"page_views\":15,\"country\":\"Iceland\"}')";

#[test]
fn sqlite_schema_migrates_older_and_refuses_newer() {
    let dir = scratch();
    let path = dir.path().join("old.db");
    {
        let mut old = leadscore_store::sqlite::SqliteStore::open_at(&path, 1).unwrap();
        assert_eq!(old.schema_version().unwrap(), 1);
        old.raw_execute(OLD_ROW).unwrap();
    }
    let mut store = leadscore_store::open(s(&path)).unwrap();
    assert_eq!(store.schema_version().unwrap(), leadscore_store::schema::LATEST);
    check_migrated(store.as_mut());
    drop(store);
    mark_newer(&path);
    let err = leadscore_store::open(s(&path)).err().expect("a newer schema is refused");
    let text = err.to_string();
    let expected = format!("schema version 99 is newer than this build's {}", leadscore_store::schema::LATEST);
    assert!(text.contains(&expected), "{text}");
    // The CLI says the same and exits non-zero.
    let out = run(&["forget", "--store", s(&path), "--id", "x"]).fails();
    assert!(out.stderr.contains("schema version 99"), "{}", out.stderr);
}

/// A store migrated from schema 1 (one served row of lead `old`): its row reads back unpaired,
/// with its fields as that schema stored them (a JSON object), a pair logged now is read back
/// paired, and the monitor reads both kinds of rows.
fn check_migrated(store: &mut dyn Store) {
    let rows = store.rows(&Filter::served("leads", None, None, None)).unwrap();
    assert_eq!((rows.len(), rows[0].prediction.lead_id.as_str(), rows[0].champion_id), (1, "old", None));
    let fields = rows[0].prediction.fields.as_ref().expect("the old row's fields");
    assert_eq!(fields.get("country"), &leadscore_store::FieldValue::Text("Iceland".into()));
    assert_eq!(fields.get("page_views"), &leadscore_store::FieldValue::Number(15.0));
    let served = Prediction {
        lead_id: "new".into(),
        fields: Some(Fields::new(vec![("country".into(), leadscore_store::FieldValue::Text("Chile".into()))])),
        ..rows[0].prediction.clone()
    };
    let shadow = Prediction { shadow: true, version: "v2".into(), probability: 0.6, ..served.clone() };
    store.insert_paired(&[served, shadow], &[Pair { champion: 0, shadow: 1 }]).unwrap();
    let pairs = store.paired_rows(&PairFilter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(pairs.len(), 1);
    assert_eq!(
        (pairs[0].champion.prediction.lead_id.as_str(), pairs[0].challenger.prediction.probability),
        ("new", 0.6)
    );
    let both = store.rows(&Filter::served("leads", Some("v1"), None, None)).unwrap();
    assert_eq!(both.len(), 2);
    assert_eq!(
        both[1].prediction.fields.as_ref().unwrap().get("country"),
        &leadscore_store::FieldValue::Text("Chile".into())
    );
}

/// Marks the store as written by a future leadscore (schema 99) through the store's own
/// connection type, as a newer build would leave it.
fn mark_newer(path: &Path) {
    let mut store = leadscore_store::sqlite::SqliteStore::open(path).unwrap();
    store.raw_execute("INSERT INTO leadscore_schema (version, applied_at_ms) VALUES (99, 0)").unwrap();
}

pub fn pg_url() -> Option<String> {
    let url = std::env::var("LEADSCORE_TEST_PG").ok().filter(|u| !u.is_empty());
    if url.is_none() {
        missing_external("PostgreSQL (LEADSCORE_TEST_PG)", "eval \"$(bash scripts/engines.sh start)\" first");
    }
    url
}

/// A fresh schema in the test database, and a URL whose connections use it.
pub fn pg_schema(url: &str, name: &str) -> String {
    let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
    client.batch_execute(&format!("DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")).unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-csearch_path%3D{name}")
}

#[test]
fn postgres_backend() {
    let Some(url) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let url = pg_schema(&url, "ls_store_backend");
    check_backend(&|| leadscore_store::open(&url).unwrap());
}

#[test]
fn postgres_schema_migrates_older_and_refuses_newer_and_migrates_once_under_a_race() {
    let Some(base) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let url = pg_schema(&base, "ls_store_schema");
    drop(leadscore_store::postgres::PgStore::open_at(&url, 1).unwrap());
    postgres::Client::connect(&url, postgres::NoTls).unwrap().batch_execute(OLD_ROW).unwrap();
    let mut store = leadscore_store::open(&url).unwrap();
    assert_eq!(store.schema_version().unwrap(), leadscore_store::schema::LATEST);
    check_migrated(store.as_mut());
    drop(store);
    let latest = i64::from(leadscore_store::schema::LATEST);
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let n: i64 = client.query_one("SELECT COUNT(*) FROM leadscore_schema", &[]).unwrap().get(0);
    assert_eq!(n, latest);
    client.batch_execute("INSERT INTO leadscore_schema VALUES (99, 0)").unwrap();
    let err = leadscore_store::open(&url).err().expect("a newer schema is refused").to_string();
    assert!(err.contains("schema version 99 is newer") && !err.contains("password"), "{err}");

    // Four replicas opening a fresh store at once: one migrates, none fails.
    let url = pg_schema(&base, "ls_store_race");
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || leadscore_store::open(&url).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let n: i64 = client.query_one("SELECT COUNT(*) FROM ls_store_race.leadscore_schema", &[]).unwrap().get(0);
    assert_eq!(n, latest);
}

/// Two writers (two server replicas) logging into one PostgreSQL store at once: every row lands.
#[test]
fn postgres_two_writers_one_log() {
    let Some(base) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let url = pg_schema(&base, "ls_store_writers");
    let leads = synth(3000, 9);
    let second =
        rewrite(&leads, |column, _, cell| if column == "lead_id" { format!("R2-{cell}") } else { cell.into() });
    let (u1, u2) = (url.clone(), url.clone());
    let t1 = std::thread::spawn(move || log_csv(&u1, &leads));
    let t2 = std::thread::spawn(move || log_csv(&u2, &second));
    let (s1, s2) = (t1.join().unwrap(), t2.join().unwrap());
    assert_eq!((s1.written, s2.written), (3000, 3000));
    let doc = monitor(&url);
    assert_eq!(doc["n_scored"].as_u64(), Some(6000));
    assert!(doc["store"].as_str().unwrap().starts_with("postgres://"));
}
