//! The admin routes that move `CURRENT` over a real socket (issue 11): `POST
//! /v1/admin/models/{name}/promote` and `/rollback` do what `leadscore promote` and `leadscore
//! rollback` do, through the registry's own functions (the gate's stored verdict, the lock, the
//! history entry), and the answer names the version served from then on. Every refusal has its
//! status: the gate's (409 with its figures), an unknown model or version (404), no earlier
//! version (409), a held lock (409), no key (401), a user key (403), a server without admin
//! keys (403).

use std::path::Path;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::util::{
    put_version, run, s, sample_every, scratch, scratch_registry, serve_config, shifted_model, shipped_registry,
    vp_lead, TestServer,
};

const USER: &str = "Bearer user-key-0001";
const ADMIN: &str = "Bearer admin-key-0001";

fn keyed(models: &Path) -> leadscore_server::ServeConfig {
    leadscore_server::ServeConfig {
        api_keys: vec!["user-key-0001".into()],
        admin_keys: vec!["admin-key-0001".into()],
        ..serve_config(models)
    }
}

/// POSTs `body` (JSON when given) to `path` with `key`; status and parsed body.
async fn post(server: &TestServer, path: &str, key: Option<&str>, body: Option<Value>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(server.url(path));
    if let Some(key) = key {
        request = request.header(AUTHORIZATION, key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {text}")))
}

fn current(models: &Path) -> String {
    std::fs::read_to_string(models.join("leads/CURRENT")).unwrap().trim().to_owned()
}

/// The version that scores a lead now.
async fn scored_by(server: &TestServer) -> String {
    let (status, answer) = post(server, "/v1/score", Some(USER), Some(json!({"leads": [vp_lead()]}))).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    answer["model"]["version"].as_str().unwrap().to_owned()
}

fn history(models: &Path) -> Vec<Value> {
    let out = run(&["history", "--model", "leads", "--models", s(models), "--json"]).ok().stdout;
    out.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_and_rollback_over_http_follow_the_gate_record_the_change_and_serve_it_at_once() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    let small = dir.path().join("small.csv");
    sample_every(&small, 20, 3);
    let refused =
        run(&["train", "--data", s(&small), "--spec", "data/spec.toml", "--name", "leads", "--models", s(&models)]);
    assert_eq!(refused.status, 3, "v2 refused by the gate\n{}\n{}", refused.stdout, refused.stderr);
    // No file watcher: what the answers say is served comes from the route's own reload.
    let server = TestServer::start(keyed(&models)).await;
    let promote = "/v1/admin/models/leads/promote";
    let v2 = Some(json!({"version": "v2"}));

    let (status, problem) = post(&server, promote, None, v2.clone()).await;
    assert_eq!((status, &problem["code"]), (StatusCode::UNAUTHORIZED, &json!("unauthorized")));
    let (status, problem) = post(&server, promote, Some(USER), v2.clone()).await;
    assert_eq!((status, &problem["code"]), (StatusCode::FORBIDDEN, &json!("forbidden")));

    // The gate refused v2 against v1 when it was trained: 409 with the figures.
    let (status, problem) = post(&server, promote, Some(ADMIN), v2.clone()).await;
    assert_eq!((status, &problem["code"]), (StatusCode::CONFLICT, &json!("not_promoted")), "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("v2 was not promoted over v1") && detail.contains("--force"), "{detail}");
    let gate = &problem["gate"];
    assert_eq!((&gate["candidate"], &gate["against"], &gate["passed"]), (&json!("v2"), &json!("v1"), &json!(false)));
    let auc = &gate["auc"];
    let (a, b) = (auc["current"].as_f64().unwrap(), auc["candidate"].as_f64().unwrap());
    assert!((auc["difference"].as_f64().unwrap() - (b - a)).abs() < 1e-12, "{auc}");
    assert!(auc["interval_low"].as_f64().unwrap() <= auc["interval_high"].as_f64().unwrap(), "{auc}");
    assert!(gate["n_leads"].as_u64().unwrap() >= 200, "{gate}");
    assert_eq!(gate["checks"].as_array().unwrap().len(), 3, "{gate}");
    assert_eq!((current(&models), scored_by(&server).await), ("v1".into(), "v1".into()));

    // Unknown version and model: 404 naming what exists, and no folder made for a mistyped name.
    let (status, problem) = post(&server, promote, Some(ADMIN), Some(json!({"version": "v9"}))).await;
    assert_eq!((status, &problem["code"]), (StatusCode::NOT_FOUND, &json!("unknown_model")));
    assert!(problem["detail"].as_str().unwrap().contains("no version `v9` (it has: v1, v2)"), "{problem}");
    let (status, problem) = post(&server, "/v1/admin/models/lead/promote", Some(ADMIN), v2.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("no model `lead`"), "{problem}");
    assert!(!models.join("lead").exists());
    let (status, _) = post(&server, "/v1/admin/models/lead/rollback", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Bodies the route cannot read.
    for (body, code) in [(json!({"version": 2}), "bad_request"), (json!({"versions": "v2"}), "bad_request")] {
        let (status, problem) = post(&server, promote, Some(ADMIN), Some(body.clone())).await;
        assert_eq!((status, &problem["code"]), (StatusCode::BAD_REQUEST, &json!(code)), "{body}");
    }
    let response = reqwest::Client::new()
        .post(server.url(promote))
        .header(AUTHORIZATION, ADMIN)
        .header(CONTENT_TYPE, "text/plain")
        .body("v2")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Forced: v2 serves when the answer arrives, with the gate's figures and the history's command.
    let (status, change) = post(&server, promote, Some(ADMIN), Some(json!({"version": "v2", "force": true}))).await;
    assert_eq!(status, StatusCode::OK, "{change}");
    assert_eq!(
        (&change["previous"], &change["current"], &change["served"], &change["changed"]),
        (&json!("v1"), &json!("v2"), &json!("v2"), &json!(true))
    );
    assert_eq!(change["command"], "http promote --force");
    assert_eq!((&change["gate"]["against"], &change["gate"]["passed"]), (&json!("v1"), &json!(false)));
    assert_eq!((current(&models), scored_by(&server).await), ("v2".into(), "v2".into()));
    // Again: nothing to do, nothing recorded.
    let (status, again) = post(&server, promote, Some(ADMIN), v2.clone()).await;
    assert_eq!((status, &again["changed"], &again["command"]), (StatusCode::OK, &json!(false), &json!(null)));

    let (status, back) = post(&server, "/v1/admin/models/leads/rollback", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK, "{back}");
    assert_eq!(
        (&back["previous"], &back["current"], &back["served"], &back["command"]),
        (&json!("v2"), &json!("v1"), &json!("v1"), &json!("http rollback"))
    );
    assert_eq!((current(&models), scored_by(&server).await), ("v1".into(), "v1".into()));

    let entries = history(&models);
    let moves: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap(), e["command"].as_str().unwrap()))
        .collect();
    assert_eq!(moves, [("v1", "v1", "train"), ("v1", "v2", "http promote --force"), ("v2", "v1", "http rollback")]);
    assert_eq!((&entries[1]["gate"]["forced"], &entries[1]["gate"]["against"]), (&json!(true), &json!("v1")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_admin_keys_no_earlier_version_and_a_held_lock_are_refused_and_change_nothing() {
    let (_dir, models) = scratch_registry();
    put_version(&models, "v2", &shifted_model(0.5).0, false);

    // A server without admin keys lets anyone score, and no one move what serves.
    let open = TestServer::start(serve_config(&models)).await;
    let (status, problem) = post(&open, "/v1/admin/models/leads/promote", None, Some(json!({"version": "v2"}))).await;
    assert_eq!((status, &problem["code"]), (StatusCode::FORBIDDEN, &json!("admin_keys_required")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("LEADSCORE_ADMIN_KEYS"), "{problem}");
    let (status, _) = post(&open, "/v1/admin/models/leads/rollback", None, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    open.stop().await;
    assert_eq!(current(&models), "v1");

    // A short timeout: the route waits for the lock for half of it, then answers 409.
    let config = leadscore_server::ServeConfig { request_timeout: std::time::Duration::from_secs(2), ..keyed(&models) };
    let server = TestServer::start(config).await;
    let (status, problem) = post(&server, "/v1/admin/models/leads/rollback", Some(ADMIN), None).await;
    assert_eq!((status, &problem["code"]), (StatusCode::CONFLICT, &json!("no_previous_version")), "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("no earlier version to roll back to"), "{problem}");

    let held = leadscore_registry::Registry::new(&models).lock("leads", "a test holding the lock").unwrap();
    let forced = Some(json!({"version": "v2", "force": true}));
    let (status, problem) = post(&server, "/v1/admin/models/leads/promote", Some(ADMIN), forced.clone()).await;
    assert_eq!((status, &problem["code"]), (StatusCode::CONFLICT, &json!("locked")), "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("is locked") && detail.contains("a test holding the lock"), "{detail}");
    assert_eq!(current(&models), "v1");
    drop(held);
    let (status, change) = post(&server, "/v1/admin/models/leads/promote", Some(ADMIN), forced).await;
    assert_eq!((status, &change["served"]), (StatusCode::OK, &json!("v2")), "{change}");
    // v2 was never judged by a gate: no figures, and the history says it was forced.
    assert_eq!((&change["gate"], &change["command"]), (&json!(null), &json!("http promote --force")));
    server.stop().await;
}
