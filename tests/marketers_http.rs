//! The marketers' view in the server, over a real socket: `rule_points` in scores,
//! `POST /v1/compare`, the dashboard at `GET /`, and their errors. The rules are
//! `data/rules.toml`; the leads come from `data/leads.csv`.

use leadscore_core::rules::RuleSet;
use leadscore_core::value::RawValue;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

use crate::util::{root, run, s, sample_leads, scratch, scratch_registry, serve_config, shipped_model, TestServer};

fn rules_path() -> std::path::PathBuf {
    root().join("data/rules.toml")
}

async fn post(server: &TestServer, path: &str, body: &Value) -> (StatusCode, String, Value) {
    let response = Client::new().post(server.url(path)).json(body).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.json().await.unwrap())
}

async fn get_text(server: &TestServer, path: &str) -> (StatusCode, String, String) {
    let response = Client::new().get(server.url(path)).send().await.unwrap();
    let status = response.status();
    let content_type = response.headers().get(CONTENT_TYPE).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

/// The first `n` leads of `data/leads.csv` as JSON, each with its `outcome`.
fn labelled_leads(n: usize) -> (String, Vec<Value>) {
    let (csv, mut leads) = sample_leads(n);
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let at = reader.headers().unwrap().iter().position(|h| h == "outcome").unwrap();
    for (lead, record) in leads.iter_mut().zip(reader.records()) {
        lead["outcome"] = json!(record.unwrap()[at].to_owned());
    }
    (csv, leads)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scores_carry_the_rule_points_of_the_core_rules_engine() {
    let (_dir, models) = scratch_registry();
    let config = leadscore_server::ServeConfig { rules: Some(rules_path()), ..serve_config(&models) };
    let server = TestServer::start(config).await;

    // By hand, from data/rules.toml: fit = VP 20 + Software 10 = 30; engagement = demo 30 +
    // pricing 4 x 10 capped at 30 + 3 email opens x 1 = 63, capped at 60, halved after 30 quiet
    // days = 30; ungrouped: referral 15. Total 75, an MQL at 50.
    let lead = json!({"id": "H1", "job_level": "VP", "industry": "Software", "country": "Germany",
        "demo_requested": true, "pricing_page_visits": 4, "email_opens": 3, "lead_source": "Referral",
        "days_since_last_activity": 30});
    let (status, _, body) = post(&server, "/v1/score", &json!({"leads": [lead]})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let points = &body["scores"][0]["rule_points"];
    assert_eq!(points["total"], json!(75.0), "{points}");
    assert_eq!(points["mql"], json!(true));
    assert_eq!(points["threshold"], json!(50.0));
    assert_eq!(points["groups"], json!({"fit": 30.0, "engagement": 30.0}));
    assert_eq!(points["ungrouped"], json!(15.0));
    let fired: Vec<(String, f64)> = points["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap().to_owned(), f["points"].as_f64().unwrap()))
        .collect();
    let expected = [
        ("Decision maker (C-level or VP)", 20.0),
        ("Target industry", 10.0),
        ("Requested a demo", 30.0),
        ("Pricing page visits", 30.0),
        ("Email opens", 3.0),
        ("Referred by a customer or partner", 15.0),
    ];
    assert_eq!(fired, expected.map(|(n, p)| (n.to_owned(), p)));
    assert_eq!(points["fired"][0]["group"], "fit");
    assert_eq!(points["fired"][5]["group"], Value::Null);

    // 200 leads as JSON (typed) against the core rules engine reading the same rows as CSV text.
    let (csv, leads) = sample_leads(200);
    let (status, _, body) = post(&server, "/v1/score", &json!({"leads": leads})).await;
    assert_eq!(status, StatusCode::OK);
    let set = RuleSet::from_toml_str(&std::fs::read_to_string(rules_path()).unwrap(), &shipped_model().1.spec).unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    for (i, record) in reader.records().enumerate() {
        let record = record.unwrap();
        let core = set
            .score(|name| {
                header.iter().position(|h| h == name).map_or(RawValue::Missing, |p| RawValue::Text(&record[p]))
            })
            .unwrap();
        let api = &body["scores"][i]["rule_points"];
        assert_eq!(api["total"].as_f64().unwrap(), core.total, "lead {i}");
        assert_eq!(api["mql"].as_bool().unwrap(), core.mql, "lead {i}");
        assert_eq!(api["fired"].as_array().unwrap().len(), core.fired.len(), "lead {i}");
    }
    // The rules' fields are read, not warned about as unused.
    assert!(!body.to_string().contains("`days_since_last_activity` is not used"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_answers_what_leadscore_compare_writes() {
    let (dir, models) = scratch_registry();
    let (csv, leads) = labelled_leads(600);
    let data = dir.path().join("leads600.csv");
    std::fs::write(&data, &csv).unwrap();
    let out = dir.path().join("compare");
    let cli = run(&[
        "compare",
        "--models",
        s(&models),
        "--model",
        "leads",
        "--rules",
        s(&rules_path()),
        "--data",
        s(&data),
        "--out",
        s(&out),
        "--json",
    ])
    .ok()
    .json();

    let config = leadscore_server::ServeConfig { rules: Some(rules_path()), ..serve_config(&models) };
    let server = TestServer::start(config).await;
    // Before any comparison, the dashboard says how to get one.
    let (_, _, page) = get_text(&server, "/").await;
    assert!(page.contains("Post labelled leads to <code>/v1/compare</code>"), "no hint on the page");

    let (status, content_type, mut api) = post(&server, "/v1/compare", &json!({"leads": leads})).await;
    assert_eq!(status, StatusCode::OK, "{api}");
    assert_eq!(content_type, "application/json");
    // The same document, but for where the leads came from.
    assert_eq!(api["labels"]["data"], "600 leads posted to /v1/compare");
    let mut cli = cli;
    for doc in [&mut api, &mut cli] {
        doc["labels"]["data"] = Value::Null;
    }
    assert_eq!(api, cli);
    // The wire contract: compare.json's top-level fields, pinned (serde_json sorts them).
    let keys: Vec<&str> = api.as_object().unwrap().keys().map(String::as_str).collect();
    let expected = [
        "agreement",
        "disagreements",
        "equal_volume",
        "labels",
        "matching",
        "n_leads",
        "n_won",
        "notes",
        "own_threshold",
        "plots",
        "points_version_auc_cost",
        "rules",
        "scorers",
        "won_rate",
    ];
    assert_eq!(keys, expected);

    // The dashboard now shows the rules' figures from it.
    let (status, content_type, page) = get_text(&server, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/html; charset=utf-8");
    let rules = api["own_threshold"].as_array().unwrap().iter().find(|o| o["scorer"] == "rules").unwrap();
    assert!(page.contains(&format!("id=\"r-rate\" data-value=\"{}\"", rules["mql_rate"])), "rules' MQL rate");
    assert!(page.contains(&format!("id=\"r-precision\" data-value=\"{}\"", rules["precision"])), "rules' precision");
    server.stop().await;
}

/// The numbers of the dashboard's slider, from the page.
fn slider_grid(page: &str) -> Vec<Vec<f64>> {
    let start = page.find("id=\"curve-data\">").unwrap() + "id=\"curve-data\">".len();
    let end = start + page[start..].find("</script>").unwrap();
    serde_json::from_str(&page[start..end]).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_slider_gives_the_figures_of_v1_thresholds() {
    let (dir, models) = scratch_registry();
    // A `leadscore compare --out` folder given at start-up.
    let (csv, _) = labelled_leads(300);
    let data = dir.path().join("leads300.csv");
    std::fs::write(&data, &csv).unwrap();
    let out = dir.path().join("compare");
    run(&["compare", "--models", s(&models), "--rules", s(&rules_path()), "--data", s(&data), "--out", s(&out)]).ok();
    let config =
        leadscore_server::ServeConfig { rules: Some(rules_path()), compare: Some(out), ..serve_config(&models) };
    let server = TestServer::start(config).await;
    let (status, content_type, page) = get_text(&server, "/").await;
    assert_eq!((status, content_type.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    assert!(page.contains("id=\"r-rate\" data-value="), "the comparison given at start-up is shown");
    assert_eq!(page.matches("<svg xmlns").count(), 6, "4 held-out charts, ROC and gains against the rules");
    let grid = slider_grid(&page);
    assert!(grid.len() > 500, "0.001 steps up to the top score");
    for k in [0, 7, 120, 266, 400, grid.len() - 1] {
        let row = &grid[k];
        let t = format!("{:.3}", k as f64 / 1000.0);
        let response = Client::new().get(server.url(&format!("/v1/thresholds?strategy=fixed&value={t}"))).send().await;
        let api: Value = response.unwrap().json().await.unwrap();
        let api = &api["thresholds"][0];
        assert_eq!(row[0], api["value"].as_f64().unwrap(), "threshold {t}");
        for (i, key) in [(2, "mql_rate"), (3, "precision"), (4, "recall"), (5, "lift")] {
            assert_eq!(row[i], api[key].as_f64().unwrap(), "{key} at {t}");
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn marketers_errors_are_problems_naming_the_field() {
    // Without --rules: no rule points, and /v1/compare says how to get them.
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let (status, _, body) = post(&server, "/v1/score", &json!({"leads": [{"job_level": "VP"}]})).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body["scores"][0].get("rule_points").is_none());
    let (status, content_type, problem) =
        post(&server, "/v1/compare", &json!({"leads": [{"job_level": "VP", "outcome": "won"}]})).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::CONFLICT, "application/problem+json"));
    assert_eq!(problem["code"], "no_rules");
    assert!(problem["detail"].as_str().unwrap().contains("--rules"), "{problem}");
    server.stop().await;

    let config = leadscore_server::ServeConfig { rules: Some(rules_path()), ..serve_config(&models) };
    let server = TestServer::start(config).await;
    let leads = json!([
        {"id": "a", "job_level": "VP", "outcome": "won"},
        {"id": "b", "job_level": "VP"},
        {"id": "c", "job_level": "VP", "outcome": "perhaps"},
        {"id": "d", "job_level": "VP", "outcome": "lost", "days_since_last_activity": "long ago"},
        {"id": "e", "job_level": "VP", "outcome": ["won"]},
    ]);
    let (status, content_type, problem) = post(&server, "/v1/compare", &json!({"leads": leads})).await;
    assert_eq!((status, content_type.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "application/problem+json"));
    assert_eq!(problem["code"], "invalid_leads");
    let errors: Vec<(u64, String, String)> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["lead"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 4, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1.as_str()), (1, "outcome"));
    assert!(errors[0].2.contains("missing"), "{errors:?}");
    assert_eq!((errors[1].0, errors[1].1.as_str()), (2, "outcome"));
    assert!(errors[1].2.contains("won label (`won`)") && errors[1].2.contains("lost label (`lost`)"), "{errors:?}");
    assert!(!problem.to_string().contains("perhaps"), "values are never echoed");
    assert_eq!((errors[2].0, errors[2].1.as_str()), (3, "days_since_last_activity"));
    assert_eq!((errors[3].0, errors[3].1.as_str()), (4, "outcome"));
    // Request-level mistakes.
    let (status, _, problem) = post(&server, "/v1/compare", &json!({"leads": [], "top": 3})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("empty_leads")));
    let (status, _, problem) = post(&server, "/v1/compare", &json!({"leads": [{"outcome": "won"}], "top": 1000})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    assert!(problem["detail"].as_str().unwrap().contains("top"), "{problem}");
    let (status, _, problem) = post(&server, "/v1/compare", &json!({"lead": []})).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")));
    let response = Client::new().post(server.url("/v1/compare")).header(CONTENT_TYPE, "text/csv").body("a,b\n").send();
    assert_eq!(response.await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    server.stop().await;
}

#[test]
fn a_bad_rules_file_stops_the_server_with_its_line() {
    let (dir, models) = scratch_registry();
    let rules = dir.path().join("bad.toml");
    std::fs::write(&rules, "mql_threshold = 50\n\n[[rules]]\nname = \"Senior\"\nwhen = { field = \"job_levle\", equals = \"VP\" }\npoints = 10\n")
        .unwrap();
    let config = leadscore_server::ServeConfig { rules: Some(rules.clone()), ..serve_config(&models) };
    let Err(message) = leadscore_server::AppState::start(config) else { panic!("bad rules were accepted") };
    assert!(message.contains("bad.toml:5:") && message.contains("did you mean `job_level`?"), "{message}");

    // The real command: exits 2 with the message, before listening.
    let out = crate::util::bin()
        .args(["serve", "--models", s(&models), "--addr", "127.0.0.1:0", "--watch-ms", "0", "--no-log"])
        .env("LEADSCORE_RULES", &rules)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.toml:5:") && stderr.contains("job_level"), "{stderr}");
    assert!(!stderr.contains("serving"), "{stderr}");

    // A --compare that is not a comparison.
    let junk = scratch();
    std::fs::write(junk.path().join("compare.json"), "{\"n_leads\": 3}").unwrap();
    let config = leadscore_server::ServeConfig { compare: Some(junk.path().to_owned()), ..serve_config(&models) };
    let Err(message) = leadscore_server::AppState::start(config) else { panic!("a bad comparison was accepted") };
    assert!(message.contains("is not a `leadscore compare` output"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_the_rules_do_not_fit_serves_without_rule_points() {
    let (_dir, models) = scratch_registry();
    let config = leadscore_server::ServeConfig { rules: Some(rules_path()), ..serve_config(&models) };
    let server = TestServer::start(config).await;
    // v2's spec no longer has `industry`, which two rules read.
    let mut artifact = shipped_model().1;
    artifact.spec.features.remove("industry");
    crate::util::put_version(&models, "v2", &artifact.to_bytes().unwrap(), true);
    let state = server.state.clone();
    tokio::task::spawn_blocking(move || state.reload()).await.unwrap();

    let lead = json!({"leads": [{"job_level": "VP", "outcome": "won"}]});
    let (status, _, body) = post(&server, "/v1/score", &json!({"leads": [{"job_level": "VP"}]})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["model"]["version"], "v2");
    assert!(body["scores"][0].get("rule_points").is_none(), "{body}");
    let (status, _, problem) = post(&server, "/v1/compare", &lead).await;
    assert_eq!((status, problem["code"].as_str()), (StatusCode::CONFLICT, Some("no_rules")));
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("do not fit model leads v2") && detail.contains("industry"), "{detail}");
    // v1, which they fit, still gets them.
    let (status, _, body) = post(&server, "/v1/score?version=v1", &json!({"leads": [{"job_level": "VP"}]})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["scores"][0]["rule_points"]["total"], json!(20.0));
    server.stop().await;
}
