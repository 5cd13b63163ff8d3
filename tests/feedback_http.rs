//! The prediction log from the server (issue 12, phase 2), over a real socket: every lead the
//! JSON and CSV routes score is logged with its id (a new one when it came without), outcomes
//! are posted to `/v1/outcomes`, `/v1/monitor` reports, `/metrics` and `readyz` tell the log's
//! state, graceful shutdown flushes, and the log feeds `export-training` and `forget`.

use std::path::Path;
use std::time::Duration;

use leadscore_server::log::LogSettings;
use leadscore_store::Filter;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::util::{json_leads, run, s, scratch_registry, serve_config, TestServer};

/// `leadscore synth --rows n --seed seed` as text.
pub fn synth(n: usize, seed: u64) -> String {
    run(&["synth", "--rows", &n.to_string(), "--seed", &seed.to_string()]).ok().stdout
}

/// The CSV with `f(column, row index, cell)` applied to every cell.
pub fn rewrite(csv_text: &str, f: impl Fn(&str, usize, &str) -> String) -> String {
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

/// The synthetic generator's shifted traffic: half the leads from partners, a third from an
/// industry the model never saw, five times the page views.
pub fn shifted(csv_text: &str) -> String {
    rewrite(csv_text, |column, i, cell| match column {
        "lead_source" if i % 2 == 0 => "Partner".into(),
        "industry" if i % 3 == 0 => "Space Mining".into(),
        "page_views" => cell.parse::<f64>().map_or_else(|_| cell.into(), |v| (5.0 * v).to_string()),
        _ => cell.into(),
    })
}

/// `(lead_id, outcome)` of every row: the synthetic ground truth.
pub fn outcomes_of(csv_text: &str) -> Vec<Value> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (id, outcome) = (at("lead_id"), at("outcome"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            json!({"id": &r[id], "outcome": &r[outcome]})
        })
        .collect()
}

/// Server settings logging to `store` (SQLite file or PostgreSQL URL).
pub fn logging(models: &Path, store: &str) -> leadscore_server::ServeConfig {
    leadscore_server::ServeConfig { log: Some(LogSettings::new(store)), ..serve_config(models) }
}

pub async fn post(client: &Client, url: &str, body: &Value) -> (StatusCode, Value) {
    let response = client.post(url).json(body).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

pub async fn get(client: &Client, url: &str) -> (StatusCode, Value) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

/// Scores `leads` through `/v1/score` in requests of 1,000; every answer must be 200.
pub async fn score_all(client: &Client, server: &TestServer, leads: &[Value]) {
    for chunk in leads.chunks(1000) {
        let (status, body) = post(client, &server.url("/v1/score"), &json!({"leads": chunk, "explain": 0})).await;
        assert_eq!(status, StatusCode::OK, "{body:#}");
        assert_eq!(body["scores"].as_array().unwrap().len(), chunk.len());
    }
}

pub fn flagged(doc: &Value) -> Vec<String> {
    let mut out: Vec<String> =
        doc["report"]["drifted"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    out.sort();
    out
}

/// Checks the monitor of unchanged traffic with outcomes: counts, no drift, the live AUC's
/// interval holding the held-out AUC.
pub fn check_unchanged(doc: &Value, n: u64) {
    let report = &doc["report"];
    assert_eq!((report["n_scored"].as_u64(), report["n_outcomes"].as_u64()), (Some(n), Some(n)), "{doc:#}");
    assert_eq!(flagged(doc), Vec::<String>::new(), "unchanged leads flagged: {doc:#}");
    assert_eq!(report["score_drift"]["flagged"], false);
    let figures = &report["outcomes"]["figures"];
    let (low, high) =
        (figures["auc"]["interval"]["low"].as_f64().unwrap(), figures["auc"]["interval"]["high"].as_f64().unwrap());
    let held_out = report["outcomes"]["holdout_auc"].as_f64().unwrap();
    assert!(low <= held_out && held_out <= high, "held-out AUC {held_out} outside the live interval [{low}, {high}]");
}

/// The end to end of the issue on the default SQLite store: 10,000 synthetic leads scored over
/// HTTP, their outcomes posted, the monitor's counts, AUC and (absent) drift; then 10,000 shifted
/// leads on a second store, flagged on exactly the shifted features; export-training on the first
/// log into `train`; forget; graceful shutdown flushing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_end_to_end_over_http() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("leadscore-log.db");
    let server = TestServer::start(logging(&models, s(&store))).await;
    let client = Client::new();
    let leads_csv = synth(10_000, 21);
    let leads = json_leads(&leads_csv);
    score_all(&client, &server, &leads).await;

    let outcomes = outcomes_of(&leads_csv);
    let (status, report) = post(&client, &server.url("/v1/outcomes"), &json!(outcomes)).await;
    assert_eq!(status, StatusCode::OK, "{report:#}");
    assert_eq!(report, json!({"received": 10000, "stored": 10000, "unknown": 0, "unknown_ids": []}));
    // Idempotent.
    let (_, again) = post(&client, &server.url("/v1/outcomes"), &json!(outcomes)).await;
    assert_eq!(again, report);

    let (status, doc) = get(&client, &server.url("/v1/monitor")).await;
    assert_eq!(status, StatusCode::OK, "{doc:#}");
    assert_eq!(doc["model"], json!({"name": "leads", "version": "v1"}));
    check_unchanged(&doc, 10_000);
    // A period that holds nothing.
    let (status, empty) = get(&client, &server.url("/v1/monitor?until=2000-01-01")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(empty["report"]["n_scored"], 0);

    // The log's state in /metrics and readyz.
    let metrics = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("leadscore_log_rows_total{fate=\"written\"} 10000"), "{metrics}");
    assert!(metrics.contains("leadscore_log_dropped_total 0"), "{metrics}");
    assert!(metrics.contains("leadscore_drift_flagged{model=\"leads\",version=\"v1\",feature=\"lead_source\"} 0"));
    assert!(metrics.contains("leadscore_monitor_leads{model=\"leads\",version=\"v1\",kind=\"outcome\"} 10000"));
    let (_, ready) = get(&client, &server.url("/readyz")).await;
    assert_eq!((&ready["store"]["status"], &ready["store"]["dropped"]), (&json!("ok"), &json!(0)));
    server.stop().await;

    // Shifted traffic into a second store.
    let store2 = dir.path().join("shifted.db");
    let server = TestServer::start(logging(&models, s(&store2))).await;
    let shifted_csv = shifted(&synth(10_000, 22));
    score_all(&client, &server, &json_leads(&shifted_csv)).await;
    server.state.log().unwrap().flush(Duration::from_secs(10));
    let (_, doc) = get(&client, &server.url("/v1/monitor")).await;
    assert_eq!(doc["report"]["n_scored"], 10_000);
    assert_eq!(flagged(&doc), ["industry", "lead_source", "page_views"], "{doc:#}");
    let metrics = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("leadscore_drift_flagged{model=\"leads\",version=\"v1\",feature=\"lead_source\"} 1"));
    assert!(metrics.contains("leadscore_drift_flagged{model=\"leads\",version=\"v1\",feature=\"job_level\"} 0"));
    server.stop().await;

    // The first run's log is the next training set.
    let export = dir.path().join("train.csv");
    let spec = dir.path().join("spec.toml");
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, &leads_csv).unwrap();
    let out = run(&[
        "export-training",
        "--store",
        s(&store),
        "--models",
        s(&models),
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
    assert_eq!(out["rows"].as_u64(), Some(10_000), "{out:#}");
    let trained = dir.path().join("trained");
    let train = |data: &Path, name: &str| {
        run(&["train", "--data", s(data), "--spec", s(&spec), "--name", name, "--models", s(&trained), "--json"])
            .ok()
            .json()["holdout"]["auc"]
            .as_f64()
            .unwrap()
    };
    let (from_log, from_csv) = (train(&export, "from-log"), train(&data, "from-csv"));
    assert!((from_log - from_csv).abs() < 0.01, "held-out AUC from the log {from_log}, from the CSV {from_csv}");

    // forget removes every row of the lead, checked in the store.
    let id = leads[17]["id"].as_str().unwrap().to_owned();
    let out = run(&["forget", "--store", s(&store), "--id", &id, "--json"]).ok().json();
    assert_eq!((out["predictions"].as_u64(), out["outcomes"].as_u64()), (Some(1), Some(1)));
    let mut opened = leadscore_store::open(s(&store)).unwrap();
    let rows = opened.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    assert_eq!(rows.len(), 9_999);
    assert!(rows.iter().all(|r| r.prediction.lead_id != id));
    assert_eq!(opened.count_outcomes().unwrap(), 9_999);
}

/// Ids: a lead without one gets a UUIDv7 in the answer, under which it is logged; a numeric id is
/// logged as its text; an id the log cannot store is a 422 naming the lead and `id`. The CSV route
/// logs its rows (an empty id cell gets one too). Rows hold the model's fields as they arrived,
/// or none with `--log-fields none`. Graceful shutdown writes what is queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scored_lead_is_logged_under_an_id() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("log.db");
    let mut config = logging(&models, s(&store));
    // A long delay: rows wait in the queue until shutdown flushes them.
    config.log.as_mut().unwrap().writer.max_delay = Duration::from_secs(60);
    let server = TestServer::start(config).await;
    let client = Client::new();
    let lead = json!({"job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "notes": "call back"});
    let mut with_id = lead.clone();
    with_id["id"] = json!(17);
    let (status, body) = post(&client, &server.url("/v1/score"), &json!({"leads": [lead, with_id]})).await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    let made = body["scores"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!((made.len(), made.chars().nth(14)), (36, Some('7')), "{made}");
    assert_eq!(body["scores"][1]["id"], 17);
    let probability = body["scores"][0]["probability"].as_f64().unwrap();

    let (status, problem) =
        post(&client, &server.url("/v1/score"), &json!({"leads": [{"id": "x".repeat(201)}, {"id": " "}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["lead"], 0);
    assert_eq!(problem["errors"][0]["field"], "id");
    assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("at most 200 bytes"), "{problem:#}");
    assert_eq!(problem["errors"][1]["lead"], 1);

    let csv = rewrite(&crate::util::sample_leads(2).0, |column, i, cell| match column {
        "lead_id" if i == 0 => "C1".into(),
        "lead_id" => String::new(),
        _ => cell.into(),
    });
    let response =
        client.post(server.url("/v1/score")).header("content-type", "text/csv").body(csv).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    let ids: Vec<&str> = text.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(ids[0], "C1");
    assert_eq!(ids[1].len(), 36, "{text}");

    // Nothing written yet (the batch waits 60 s); graceful shutdown writes it.
    assert_eq!(server.state.log().unwrap().stats().written, 0);
    let state = server.state.clone();
    server.stop().await;
    let stats = state.log().unwrap().shutdown(Duration::from_secs(10));
    assert_eq!((stats.written, stats.dropped()), (4, 0), "{stats:?}");

    let mut opened = leadscore_store::open(s(&store)).unwrap();
    let rows = opened.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.prediction.lead_id.as_str()).collect();
    assert_eq!(ids[..3], [made.as_str(), "17", "C1"]);
    let first = &rows[0].prediction;
    assert_eq!((first.model.as_str(), first.version.as_str(), first.shadow), ("leads", "v1", false));
    assert_eq!(first.probability, probability);
    let fields = first.fields.as_ref().unwrap();
    assert_eq!(fields.get("job_level"), &leadscore_store::FieldValue::Text("VP".into()));
    assert_eq!(fields.get("pricing_page_visits"), &leadscore_store::FieldValue::Number(4.0));
    assert!(fields.values().iter().all(|(name, _)| name != "notes"), "a field the model does not read was logged");
    assert_eq!(fields.values().len(), crate::util::shipped_model().1.encoder.features.len());

    // --log-fields none: scores only.
    let store2 = dir.path().join("scores-only.db");
    let mut config = logging(&models, s(&store2));
    config.log.as_mut().unwrap().fields = leadscore_store::FieldLogging::None;
    let server = TestServer::start(config).await;
    let (status, _) =
        post(&client, &server.url("/v1/score"), &json!({"leads": [{"id": "N1", "job_level": "VP"}]})).await;
    assert_eq!(status, StatusCode::OK);
    let state = server.state.clone();
    server.stop().await;
    state.log().unwrap().shutdown(Duration::from_secs(10));
    let rows = leadscore_store::open(s(&store2))
        .unwrap()
        .rows(&Filter { model: "leads".into(), ..Default::default() })
        .unwrap();
    assert_eq!((rows.len(), rows[0].prediction.fields.is_none()), (1, true));
}

/// A request whose rows the log's queue has no room for is answered as any other, its leads with
/// their ids, and its rows are counted as dropped (since `LogWriter::admit`, before they are built;
/// the counts are the same); the next request that fits is logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rows_the_queue_has_no_room_for_are_counted_and_the_leads_answered() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("log.db");
    let mut config = logging(&models, s(&store));
    config.log.as_mut().unwrap().writer.capacity = 2;
    let server = TestServer::start(config).await;
    let client = Client::new();
    let lead = |id: Option<&str>| {
        let mut lead = json!({"job_level": "VP", "pricing_page_visits": 4});
        if let Some(id) = id {
            lead["id"] = json!(id);
        }
        lead
    };
    let (status, body) =
        post(&client, &server.url("/v1/score"), &json!({"leads": [lead(Some("A")), lead(None), lead(Some("C"))]}))
            .await;
    assert_eq!(status, StatusCode::OK, "{body:#}");
    assert_eq!(body["scores"][0]["id"], "A");
    assert_eq!(body["scores"][1]["id"].as_str().map(str::len), Some(36), "{body:#}");
    let stats = server.state.log().unwrap().stats();
    assert_eq!((stats.queued, stats.dropped_queue_full), (0, 3), "{stats:?}");
    let (status, _) =
        post(&client, &server.url("/v1/score"), &json!({"leads": [lead(Some("D")), lead(Some("E"))]})).await;
    assert_eq!(status, StatusCode::OK);
    let state = server.state.clone();
    server.stop().await;
    let stats = state.log().unwrap().shutdown(Duration::from_secs(10));
    assert_eq!((stats.written, stats.dropped_queue_full), (2, 3), "{stats:?}");
    let rows = leadscore_store::open(s(&store))
        .unwrap()
        .rows(&Filter { model: "leads".into(), ..Default::default() })
        .unwrap();
    assert_eq!(rows.iter().map(|r| r.prediction.lead_id.as_str()).collect::<Vec<_>>(), ["D", "E"]);
}

/// `POST /v1/outcomes`: unknown ids counted and listed, every bad item named by index and
/// field (and then nothing stored), the model's labels or booleans; 503 without a log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_route_reports_unknown_ids_and_bad_items() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("log.db");
    let server = TestServer::start(logging(&models, s(&store))).await;
    let client = Client::new();
    let leads = json!({"leads": [{"id": "A"}, {"id": "B"}]});
    assert_eq!(post(&client, &server.url("/v1/score"), &leads).await.0, StatusCode::OK);
    // Posted right after scoring: the route waits for the queued rows.
    let body = json!([
        {"id": "A", "outcome": "won", "closed_at": "2026/11/30"},
        {"id": "B", "outcome": false},
        {"id": "nobody", "outcome": "lost"}
    ]);
    let (status, report) = post(&client, &server.url("/v1/outcomes"), &body).await;
    assert_eq!(status, StatusCode::OK, "{report:#}");
    assert_eq!(report, json!({"received": 3, "stored": 2, "unknown": 1, "unknown_ids": ["nobody"]}));

    let bad = json!([
        {"id": "A", "outcome": "maybe"},
        {"outcome": "won"},
        {"id": "B", "outcome": "won", "closed_at": "30.11.2026"},
        {"id": "B", "outcome": "won", "colour": "red"}
    ]);
    let (status, problem) = post(&client, &server.url("/v1/outcomes"), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem:#}");
    let errors: Vec<(u64, &str)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["lead"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(errors, [(0, "outcome"), (1, "id"), (2, "closed_at"), (3, "colour")]);
    assert!(problem["errors"][0]["reason"].as_str().unwrap().contains("won"), "{problem:#}");
    let (status, problem) = post(&client, &server.url("/v1/outcomes"), &json!({"id": "A"})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let (status, problem) = get(&client, &server.url("/v1/monitor?since=yesterday")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(problem["detail"].as_str().unwrap().contains("since"), "{problem:#}");
    let (status, _) = get(&client, &server.url("/v1/monitor?replicates=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Nothing of the refused upload was stored: B is still lost.
    let state = server.state.clone();
    server.stop().await;
    state.log().unwrap().shutdown(Duration::from_secs(10));
    let rows = leadscore_store::open(s(&store))
        .unwrap()
        .rows(&Filter { model: "leads".into(), ..Default::default() })
        .unwrap();
    let b = rows.iter().find(|r| r.prediction.lead_id == "B").unwrap();
    assert_eq!(b.outcome.as_ref().map(|o| o.won), Some(false));
    let a = rows.iter().find(|r| r.prediction.lead_id == "A").unwrap();
    assert_eq!(a.outcome.as_ref().and_then(|o| o.closed_at.as_deref()), Some("2026-11-30"));

    // Without a log.
    let server = TestServer::start(serve_config(&models)).await;
    let (status, problem) = post(&client, &server.url("/v1/outcomes"), &body).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("no_log")));
    let (_, ready) = get(&client, &server.url("/readyz")).await;
    assert!(ready.get("store").is_none());
    server.stop().await;
}

/// With `--rules`, logged rows carry the rule points and MQL flag, and `/v1/monitor` puts the
/// rules beside the model on the same live leads: the model's side is the report's own live AUC.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn monitor_shows_the_rules_beside_the_model() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("log.db");
    let config = leadscore_server::ServeConfig {
        rules: Some(crate::util::root().join("data/rules.toml")),
        ..logging(&models, s(&store))
    };
    let server = TestServer::start(config).await;
    let client = Client::new();
    let leads_csv = synth(2_000, 41);
    score_all(&client, &server, &json_leads(&leads_csv)).await;
    let (status, _) = post(&client, &server.url("/v1/outcomes"), &json!(outcomes_of(&leads_csv))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, doc) = get(&client, &server.url("/v1/monitor")).await;
    let rules = &doc["rules"];
    assert_eq!(rules["n_leads"], 2_000, "{doc:#}");
    assert_eq!(rules["auc"]["a"], doc["report"]["outcomes"]["figures"]["auc"]["value"]);
    let (a, b) = (rules["auc"]["a"].as_f64().unwrap(), rules["auc"]["b"].as_f64().unwrap());
    let difference = rules["auc"]["difference"].as_f64().unwrap();
    assert!((difference - (b - a)).abs() < 1e-12 && rules["auc"]["interval"]["low"].is_number());
    assert!(rules["log_loss"]["b"].is_null() && rules["brier"]["b"].is_null(), "{rules:#}");
    assert!(rules["precision"]["b"].is_number() && rules["recall"]["b"].is_number(), "{rules:#}");
    let state = server.state.clone();
    server.stop().await;
    state.log().unwrap().shutdown(Duration::from_secs(10));
    let rows = leadscore_store::open(s(&store))
        .unwrap()
        .rows(&Filter { model: "leads".into(), ..Default::default() })
        .unwrap();
    assert!(rows.iter().all(|r| r.prediction.rule_points.is_some() && r.prediction.rule_mql.is_some()));
}

/// `GET /` as text.
async fn dashboard(client: &Client, server: &TestServer, query: &str) -> String {
    let response = client.get(server.url(&format!("/{query}"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The page's "In production" section.
fn production_section(page: &str) -> &str {
    let section = &page[page.find("<section id=\"production\">").expect("an In production section")..];
    &section[..section.find("</section>").expect("the section's end")]
}

/// The number in attribute `attr` of the element with `id` in `html`.
fn attribute(html: &str, id: &str, attr: &str) -> Option<f64> {
    let element = &html[html.find(&format!("id=\"{id}\""))?..];
    let element = &element[..element.find('>')?];
    let start = element.find(&format!("{attr}=\""))? + attr.len() + 2;
    element[start..].split('"').next()?.parse().ok()
}

/// The dashboard's "In production" section over a real socket: before any lead it says none is
/// logged; after 2,000 leads scored with `--rules` and their outcomes, it shows the figures
/// `/v1/monitor` reports (counts, the live AUC and its interval, the held-out AUC, the rules'
/// live AUC beside the model's, a drift row per feature and the score, five charts); a server
/// without a log says how to turn it on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_model_in_production() {
    let (dir, models) = scratch_registry();
    let store = dir.path().join("log.db");
    let config = leadscore_server::ServeConfig {
        rules: Some(crate::util::root().join("data/rules.toml")),
        ..logging(&models, s(&store))
    };
    let server = TestServer::start(config).await;
    let client = Client::new();
    let page = dashboard(&client, &server, "").await;
    let section = production_section(&page);
    assert!(section.contains("id=\"live-empty\"") && section.contains("No lead logged yet"), "{section}");

    let leads_csv = synth(2_000, 43);
    score_all(&client, &server, &json_leads(&leads_csv)).await;
    assert!(server.state.log().unwrap().flush(Duration::from_secs(10)));
    let page = dashboard(&client, &server, "").await;
    let section = production_section(&page);
    assert_eq!(attribute(section, "live-scored", "data-value"), Some(2_000.0));
    assert!(section.contains("id=\"live-no-outcomes\"") && section.contains("/v1/outcomes"), "{section}");

    let (status, _) = post(&client, &server.url("/v1/outcomes"), &json!(outcomes_of(&leads_csv))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, doc) = get(&client, &server.url("/v1/monitor")).await;
    let page = dashboard(&client, &server, "?model=leads&version=v1").await;
    let section = production_section(&page);
    let report = &doc["report"];
    let auc = &report["outcomes"]["figures"]["auc"];
    assert_eq!(attribute(section, "live-outcomes", "data-value"), Some(2_000.0));
    assert_eq!(attribute(section, "live-auc", "data-value"), auc["value"].as_f64());
    assert_eq!(attribute(section, "live-auc", "data-low"), auc["interval"]["low"].as_f64());
    assert_eq!(attribute(section, "live-auc", "data-high"), auc["interval"]["high"].as_f64());
    assert_eq!(attribute(section, "live-holdout-auc", "data-value"), report["outcomes"]["holdout_auc"].as_f64());
    assert!(!section.contains("live-no-outcomes"));
    // The rules beside the model, from the same leads.
    let rules_auc = &section[section.find("data-figure=\"auc\"").expect("the rules' AUC row")..];
    let rules_auc = &rules_auc[..rules_auc.find("</tr>").unwrap()];
    let values: Vec<f64> =
        rules_auc.split("data-value=\"").skip(1).map(|v| v.split('"').next().unwrap().parse().unwrap()).collect();
    assert_eq!(values, [doc["rules"]["auc"]["a"].as_f64().unwrap(), doc["rules"]["auc"]["b"].as_f64().unwrap()]);
    let features = report["features"].as_array().unwrap().len();
    assert_eq!(section.matches("<tr data-feature=").count(), features + 1, "each feature and the score");
    assert_eq!(section.matches("<svg xmlns").count(), 5, "leads and MQL per day, deciles, tiers, PSI");
    assert!(section.contains("as of ") && section.contains("/v1/monitor?model=leads&amp;version=v1"));
    assert!(!section.contains("NaN"));
    server.stop().await;

    let server = TestServer::start(serve_config(&models)).await;
    let page = dashboard(&client, &server, "").await;
    assert!(production_section(&page).contains("id=\"live-off\""), "a server without a log says so");
    server.stop().await;
}
