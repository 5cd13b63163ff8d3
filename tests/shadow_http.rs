//! Shadow scoring of the registry's `CHALLENGER` (issue 12), over a real socket: the server scores
//! every lead it scores with the current version with the challenger too, off the response path,
//! logs it as a shadow row paired with the served row, and `/v1/monitor`, `leadscore monitor` and
//! `leadscore promote --store` show the two on the same live leads with the paired intervals.

use std::path::Path;
use std::time::{Duration, Instant};

use leadscore_store::{Filter, PairFilter};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::feedback_http::{get, logging, outcomes_of, post, rewrite, score_all, synth};
use crate::util::{json_leads, root, run, s, scratch_registry, TestServer};

/// The shipped spec without `page_views`: a challenger that reads one feature fewer.
fn challenger_spec(dir: &Path) -> std::path::PathBuf {
    let spec = std::fs::read_to_string(root().join("data/spec.toml")).unwrap();
    let start = spec.find("[features.page_views]").unwrap();
    let end = start + spec[start..].find("\n\n").unwrap() + 2;
    let path = dir.join("challenger.toml");
    std::fs::write(&path, format!("{}{}", &spec[..start], &spec[end..])).unwrap();
    path
}

/// Trains `leads` v2 from 3,000 synthetic leads with the challenger's spec, kept beside the
/// current v1 (`--promote never`: exit code 3).
fn train_challenger(dir: &Path, models: &Path) {
    let data = dir.join("challenger.csv");
    std::fs::write(&data, synth(3_000, 5)).unwrap();
    let spec = challenger_spec(dir);
    let out = run(&[
        "train",
        "--data",
        s(&data),
        "--spec",
        s(&spec),
        "--name",
        "leads",
        "--models",
        s(models),
        "--promote",
        "never",
    ]);
    assert_eq!(out.status, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(models.join("leads/v2/model.bin").is_file());
}

/// The leads of `csv_text` with their ids prefixed (each batch its own leads).
fn prefixed(csv_text: &str, prefix: &str) -> String {
    rewrite(csv_text, |column, _, cell| if column == "lead_id" { format!("{prefix}{cell}") } else { cell.into() })
}

/// Waits until the served set's challenger of `leads` is `want` (the watcher's reload).
async fn until_shadowed(server: &TestServer, want: Option<&str>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let set = server.state.models();
        let shadow = set.models["leads"].shadow.as_ref().map(|s| s.challenger.version.clone());
        if shadow.as_deref() == want {
            return;
        }
        assert!(Instant::now() < deadline, "the challenger is {shadow:?}, not {want:?}, after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The end to end: a challenger set while the server runs is picked up by its reload; 4,000 JSON
/// leads and 100 CSV leads are scored and answered by v1 alone while v2 scores them in the shadow;
/// outcomes arrive; `/v1/monitor` shows v1 and v2 on the same leads (agreement, both AUCs and the
/// paired interval of each difference), as `leadscore monitor` does and `promote --store` prints;
/// each shadow row names its served row in the store; `/metrics` counts the shadow rows; after the
/// promotion nothing is shadowed; a challenger that cannot load is a registry problem and serving
/// goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenger_shadowed_end_to_end_over_http() {
    let (dir, models) = scratch_registry();
    train_challenger(dir.path(), &models);
    let store = dir.path().join("log.db");
    let config =
        leadscore_server::ServeConfig { watch_interval: Duration::from_millis(100), ..logging(&models, s(&store)) };
    let server = TestServer::start(config).await;
    let client = Client::new();

    // Before a challenger: served rows only.
    let before = prefixed(&synth(200, 50), "A-");
    score_all(&client, &server, &json_leads(&before)).await;
    let (_, plain) = post(&client, &server.url("/v1/score"), &json!({"leads": [json_leads(&before)[0]]})).await;

    run(&["challenger", "set", "--model", "leads", "--version", "v2", "--models", s(&models)]).ok();
    until_shadowed(&server, Some("v2")).await;

    // Answers come from v1 alone, shaped as before, with no trace of the challenger.
    let leads_csv = prefixed(&synth(4_000, 51), "B-");
    let leads = json_leads(&leads_csv);
    let response = client.post(server.url("/v1/score")).json(&json!({"leads": [&leads[0]]})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = response.text().await.unwrap();
    assert!(!text.contains("v2") && !text.to_lowercase().contains("challenger") && !text.contains("shadow"), "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["model"], json!({"name": "leads", "version": "v1"}));
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!((keys(&answer), keys(&answer["scores"][0])), (keys(&plain), keys(&plain["scores"][0])));
    score_all(&client, &server, &leads[1..]).await;
    let uploads = prefixed(&synth(100, 52), "C-");
    let response =
        client.post(server.url("/v1/score")).header("content-type", "text/csv").body(uploads).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csv_answer = response.text().await.unwrap();
    assert_eq!(csv_answer.lines().count(), 101);
    assert!(!csv_answer.contains("v2"), "{csv_answer}");

    let (status, stored) = post(&client, &server.url("/v1/outcomes"), &json!(outcomes_of(&leads_csv))).await;
    assert_eq!((status, stored["stored"].as_u64()), (StatusCode::OK, Some(4_000)), "{stored:#}");

    let (status, doc) = get(&client, &server.url("/v1/monitor?replicates=200")).await;
    assert_eq!(status, StatusCode::OK, "{doc:#}");
    // 200 + 1 leads before the challenger, then 4,000 JSON and 100 CSV leads: served rows only.
    assert_eq!(doc["report"]["n_scored"], 4_301, "{doc:#}");
    let challengers = doc["challengers"].as_array().unwrap();
    assert_eq!(challengers.len(), 1, "{doc:#}");
    let c = &challengers[0];
    assert_eq!((&c["champion"], &c["challenger"], &c["n_paired"]), (&json!("v1"), &json!("v2"), &json!(4_100)));
    let rank = c["agreement"]["rank"].as_f64().unwrap();
    let mql = c["agreement"]["mql"].as_f64().unwrap();
    assert!(rank > 0.8 && rank < 1.0, "two models of the same leads rank them alike, not identically: {rank}");
    assert!(mql > 0.5 && mql <= 1.0, "{mql}");
    let o = &c["outcomes"];
    assert_eq!((o["n_leads"].as_u64(), o["replicates"].as_u64()), (Some(4_000), Some(200)), "{o:#}");
    // The champion's side is the report's own live AUC: the same 4,000 leads.
    let live = doc["report"]["outcomes"]["figures"]["auc"]["value"].as_f64().unwrap();
    let (a, b) = (o["auc"]["a"].as_f64().unwrap(), o["auc"]["b"].as_f64().unwrap());
    assert!((a - live).abs() < 1e-12, "{a} vs {live}");
    assert!(b > 0.6, "the challenger ranks live leads: AUC {b}");
    for figure in ["auc", "log_loss", "brier", "lift_top_decile", "precision", "recall"] {
        let f = &o[figure];
        let d = f["difference"].as_f64().unwrap();
        let (low, high) = (f["interval"]["low"].as_f64().unwrap(), f["interval"]["high"].as_f64().unwrap());
        assert!((d - (f["b"].as_f64().unwrap() - f["a"].as_f64().unwrap())).abs() < 1e-12, "{figure}: {f:#}");
        assert!(low <= d && d <= high && low < high, "{figure}: {f:#}");
    }

    // The dashboard's "In production" shows the same challenger block.
    let page = client.get(server.url("/")).send().await.unwrap().text().await.unwrap();
    let table = &page[page.find("data-challenger=\"v2\"").expect("the challenger's table on the dashboard")..];
    let auc_row = &table[table.find("data-figure=\"auc\"").unwrap()..];
    let auc_row = &auc_row[..auc_row.find("</tr>").unwrap()];
    let values: Vec<f64> =
        auc_row.split("data-value=\"").skip(1).map(|v| v.split('"').next().unwrap().parse().unwrap()).collect();
    assert_eq!(values, [a, b]);

    // /metrics counts the shadow rows.
    let metrics = client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
    for line in [
        "leadscore_shadow_rows_total{fate=\"scored\"} 4100",
        "leadscore_shadow_rows_total{fate=\"dropped\"} 0",
        "leadscore_shadow_rows_total{fate=\"failed\"} 0",
        "leadscore_log_rows_total{fate=\"written\"} 8401",
        &format!("leadscore_shadow_agreement{{model=\"leads\",version=\"v1\",challenger=\"v2\",kind=\"rank\"}} {rank}"),
        &format!(
            "leadscore_shadow_live_auc{{model=\"leads\",version=\"v1\",challenger=\"v2\",side=\"challenger\"}} {b}"
        ),
    ] {
        assert!(metrics.contains(line), "{line} not in\n{metrics}");
    }

    // `leadscore monitor` computes the same challenger block (the same store function).
    let cli = run(&[
        "monitor",
        "--store",
        s(&store),
        "--models",
        s(&models),
        "--model",
        "leads",
        "--replicates",
        "200",
        "--json",
    ])
    .ok()
    .json();
    assert_eq!(cli["challengers"], doc["challengers"]);
    let text =
        run(&["monitor", "--store", s(&store), "--models", s(&models), "--model", "leads", "--replicates", "200"]).ok();
    assert!(text.stdout.contains("challenger v2 shadowed v1 on 4100 live leads"), "{}", text.stdout);

    // In the store, each shadow row names the served row of the same lead and moment.
    let mut opened = leadscore_store::open(s(&store)).unwrap();
    let all = opened.rows(&Filter { model: "leads".into(), ..Default::default() }).unwrap();
    let by_id: std::collections::BTreeMap<i64, &leadscore_store::LoggedRow> =
        all.iter().map(|r| (r.row_id, r)).collect();
    let shadows: Vec<_> = all.iter().filter(|r| r.prediction.shadow).collect();
    assert_eq!(shadows.len(), 4_100);
    let v2 = leadscore_core::Artifact::from_bytes(&std::fs::read(models.join("leads/v2/model.bin")).unwrap()).unwrap();
    let v2_features = v2.encoder.features.len();
    for r in &shadows {
        let served = by_id[&r.champion_id.expect("a shadow row names its served row")];
        assert_eq!((served.prediction.shadow, served.prediction.version.as_str()), (false, "v1"));
        assert_eq!(
            (&served.prediction.lead_id, served.prediction.scored_at_ms),
            (&r.prediction.lead_id, r.prediction.scored_at_ms)
        );
        assert_eq!(r.prediction.version, "v2");
        let fields = r.prediction.fields.as_ref().unwrap();
        assert_eq!(fields.values().len(), v2_features);
        assert!(fields.values().iter().all(|(name, _)| name != "page_views"));
    }
    assert_eq!(opened.paired_rows(&PairFilter { model: "leads".into(), ..Default::default() }).unwrap().len(), 4_100);

    // `promote --store` prints the live evidence beside the gate's figures.
    let promoted = run(&[
        "promote",
        "--model",
        "leads",
        "--version",
        "v2",
        "--models",
        s(&models),
        "--store",
        s(&store),
        "--replicates",
        "200",
        "--force",
    ])
    .ok();
    let out = &promoted.stdout;
    assert!(out.contains("challenger v2 shadowed v1 on 4100 live leads"), "{out}");
    assert!(out.contains("on the 4000 of them with an outcome") && out.contains("AUC"), "{out}");
    assert!(out.contains("CURRENT v1 -> v2"), "{out}");

    // Promoted: CHALLENGER names the current version, nothing is shadowed.
    until_shadowed(&server, None).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while server.state.models().get(None, None).unwrap().version != "v2" {
        assert!(Instant::now() < deadline, "v2 not served after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = prefixed(&synth(10, 53), "D-");
    score_all(&client, &server, &json_leads(&after)).await;

    // A challenger that cannot load is a registry problem; serving goes on.
    std::fs::write(models.join("leads/CHALLENGER"), "v9\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, listed) = get(&client, &server.url("/v1/models")).await;
        if listed.to_string().contains("CHALLENGER names v9") {
            break;
        }
        assert!(Instant::now() < deadline, "no registry problem after 10 s: {listed:#}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    score_all(&client, &server, &json_leads(&prefixed(&synth(10, 54), "E-"))).await;
    let state = server.state.clone();
    server.stop().await;
    let stats = state.log().unwrap().shutdown(Duration::from_secs(10));
    assert_eq!((stats.written, stats.dropped()), (8_421, 0), "{stats:?}");
    assert_eq!(state.log().unwrap().shadow_stats().scored, 4_100, "nothing shadowed after the promotion");
}

/// A challenger named before start-up is shadowed from the first request, and graceful shutdown
/// drains the shadow queue before the writer's flush: with batches held for a minute, every
/// served row and its shadow row are written at shutdown, paired.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_drains_the_shadow_queue_before_the_log() {
    let (dir, models) = scratch_registry();
    train_challenger(dir.path(), &models);
    run(&["challenger", "set", "--model", "leads", "--version", "v2", "--models", s(&models)]).ok();
    let store = dir.path().join("log.db");
    let mut config = logging(&models, s(&store));
    config.log.as_mut().unwrap().writer.max_delay = Duration::from_secs(60);
    let server = TestServer::start(config).await;
    let client = Client::new();
    score_all(&client, &server, &json_leads(&synth(300, 60))).await;
    assert_eq!(server.state.log().unwrap().stats().written, 0, "held in the queue");
    let state = server.state.clone();
    server.stop().await;
    let stats = state.log().unwrap().shutdown(Duration::from_secs(10));
    assert_eq!((stats.written, stats.dropped()), (600, 0), "{stats:?}");
    let pairs = leadscore_store::open(s(&store))
        .unwrap()
        .paired_rows(&PairFilter { model: "leads".into(), challenger: Some("v2".into()), ..Default::default() })
        .unwrap();
    assert_eq!(pairs.len(), 300);
}

/// The CSV with a `partner_tier` column: `gold` for every third lead, else `silver`.
fn with_partner_tier(csv_text: &str) -> String {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    header.push("partner_tier".into());
    writer.write_record(&header).unwrap();
    for (i, record) in reader.records().enumerate() {
        let mut cells: Vec<String> = record.unwrap().iter().map(str::to_owned).collect();
        cells.push(if i % 3 == 0 { "gold" } else { "silver" }.into());
        writer.write_record(&cells).unwrap();
    }
    String::from_utf8(writer.into_inner().unwrap()).unwrap()
}

/// A challenger that reads a field the current version does not: a JSON lead carrying it is read
/// for the challenger (its shadow row holds the value), while the answer is what it would be
/// without a challenger: the field named as unused, and in strict mode the same 422.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_only_the_challenger_reads_reaches_it_and_changes_no_answer() {
    let (dir, models) = scratch_registry();
    let data = dir.path().join("tiers.csv");
    std::fs::write(&data, with_partner_tier(&synth(3_000, 7))).unwrap();
    let spec = dir.path().join("tiers.toml");
    let shipped = std::fs::read_to_string(root().join("data/spec.toml")).unwrap();
    std::fs::write(&spec, format!("{shipped}\n[features.partner_tier]\nkind = \"categorical\"\n")).unwrap();
    let m = s(&models);
    let trained =
        run(&["train", "--data", s(&data), "--spec", s(&spec), "--name", "leads", "--models", m, "--promote", "never"]);
    assert_eq!(trained.status, 3, "{}\n{}", trained.stdout, trained.stderr);
    let store = dir.path().join("log.db");
    let client = Client::new();
    let mut lead = json_leads(&synth(1, 70))[0].clone();
    lead["id"] = json!("T1");
    lead["partner_tier"] = json!("gold");
    let body = json!({"leads": [&lead], "explain": 0});

    // The answers without a challenger.
    let server = TestServer::start(logging(&models, s(&store))).await;
    let (_, plain) = post(&client, &server.url("/v1/score"), &body).await;
    let (strict_status, strict_plain) = post(&client, &server.url("/v1/score?strict=true"), &body).await;
    server.stop().await;
    assert_eq!(strict_status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(plain["warnings"].to_string().contains("partner_tier"), "{plain:#}");

    run(&["challenger", "set", "--model", "leads", "--version", "v2", "--models", m]).ok();
    let server = TestServer::start(logging(&models, s(&store))).await;
    let (status, shadowed) = post(&client, &server.url("/v1/score"), &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shadowed, plain, "the same answer, challenger or not");
    let (status, strict) = post(&client, &server.url("/v1/score?strict=true"), &body).await;
    assert_eq!((status, &strict["errors"]), (strict_status, &strict_plain["errors"]));
    let state = server.state.clone();
    server.stop().await;
    state.log().unwrap().shutdown(Duration::from_secs(10));

    let pairs = leadscore_store::open(s(&store))
        .unwrap()
        .paired_rows(&PairFilter { model: "leads".into(), ..Default::default() })
        .unwrap();
    assert_eq!(pairs.len(), 1, "the strict 422 scored nothing");
    let rows = leadscore_store::open(s(&store))
        .unwrap()
        .rows(&Filter { model: "leads".into(), shadow: Some(true), ..Default::default() })
        .unwrap();
    let fields = rows[0].prediction.fields.as_ref().unwrap();
    assert_eq!(fields.get("partner_tier"), &leadscore_store::FieldValue::Text("gold".into()));
    assert_eq!(fields.get("job_level"), &leadscore_store::FieldValue::Text(lead["job_level"].as_str().unwrap().into()));
}
