//! The prediction log on PostgreSQL 15 (from `scripts/engines.sh`) behind two `leadscore serve`
//! processes writing one store, and PostgreSQL restarted under load.

use std::time::Duration;

use reqwest::{Client, StatusCode};
use serde_json::json;

use crate::feedback_http::{check_unchanged, get, outcomes_of, post, synth};
use crate::store::{pg_schema, pg_url};
use crate::util::{json_leads, poll_until, root, scratch_registry, ServeProcess};

/// Two replicas, one log: half the leads scored by each, outcomes posted to one, and the monitor
/// on either counts every lead exactly once.
// The PostgreSQL guard is held for the whole test on purpose: the test's future runs on its own
// thread (`#[tokio::test]` blocks on it), so no other task waits behind the lock.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_server_processes_one_store() {
    let Some(base) = pg_url() else { return };
    let _pg = crate::util::pg_shared();
    let url = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || pg_schema(&base, "ls_http_replicas")).await.unwrap()
    };
    let (_dir, models) = scratch_registry();
    let args = ["--watch-ms", "0", "--store", url.as_str()];
    let (a, b) = (ServeProcess::start(&models, &args, &[]), ServeProcess::start(&models, &args, &[]));
    let leads_csv = synth(10_000, 31);
    let leads = json_leads(&leads_csv);
    let (first, second) = leads.split_at(5_000);
    let score = |url: String, leads: Vec<serde_json::Value>| async move {
        let client = Client::new();
        for chunk in leads.chunks(500) {
            let (status, body) = post(&client, &url, &json!({"leads": chunk, "explain": 0})).await;
            assert_eq!(status, StatusCode::OK, "{body:#}");
        }
    };
    let (ta, tb) = (
        tokio::spawn(score(a.url("/v1/score"), first.to_vec())),
        tokio::spawn(score(b.url("/v1/score"), second.to_vec())),
    );
    ta.await.unwrap();
    tb.await.unwrap();
    let client = Client::new();
    // B's last batch is at most 200 ms behind.
    poll_until(10, "both replicas' rows", || async {
        let (_, doc) = get(&client, &a.url("/v1/monitor?replicates=1")).await;
        (doc["report"]["n_scored"] == 10_000).then_some(())
    })
    .await;
    let (status, report) = post(&client, &a.url("/v1/outcomes"), &json!(outcomes_of(&leads_csv))).await;
    assert_eq!(status, StatusCode::OK, "{report:#}");
    assert_eq!((report["stored"].as_u64(), report["unknown"].as_u64()), (Some(10_000), Some(0)));
    for server in [&a, &b] {
        let (_, doc) = get(&client, &server.url("/v1/monitor")).await;
        assert!(
            doc["store"].as_str().unwrap().starts_with("postgres://")
                && !doc["store"].as_str().unwrap().contains("password")
        );
        check_unchanged(&doc, 10_000);
    }
}

/// PostgreSQL restarted mid-load: every request answers 200, the rows lost while it was down are
/// counted, and writing resumes when it is back.
// The PostgreSQL guard is held for the whole test on purpose: the test's future runs on its own
// thread (`#[tokio::test]` blocks on it), so no other task waits behind the lock.
#[allow(clippy::await_holding_lock)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restarted_under_load() {
    let Some(base) = pg_url() else { return };
    let _pg = crate::util::pg_exclusive();
    let url = {
        let base = base.clone();
        tokio::task::spawn_blocking(move || pg_schema(&base, "ls_http_restart")).await.unwrap()
    };
    let port = base.rsplit(':').next().and_then(|p| p.split('/').next()).unwrap().to_owned();
    let (_dir, models) = scratch_registry();
    let server = ServeProcess::start(&models, &["--watch-ms", "0", "--store", url.as_str()], &[]);
    let (_, leads) = crate::util::sample_leads(20);
    let body = json!({"leads": leads, "explain": 0});
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let (url, stop) = (server.url("/v1/score"), stop.clone());
        tokio::spawn(async move {
            let client = Client::new();
            let (mut ok, mut failed) = (0u64, 0u64);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match client.post(&url).json(&body).send().await {
                    Ok(r) if r.status().is_success() => ok += 1,
                    _ => failed += 1,
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (ok, failed)
        })
    };
    let client = Client::new();
    let counter = |text: &str, name: &str| -> u64 {
        text.lines().find_map(|l| l.strip_prefix(name)).and_then(|n| n.trim().parse().ok()).unwrap_or(0)
    };
    let metrics = || async { client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap() };
    tokio::time::sleep(Duration::from_secs(1)).await;
    let restart = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["scripts/engines.sh", "restart-pg"])
            .env("LEADSCORE_PG_PORT", port)
            .current_dir(root())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(restart.status.success(), "{}", String::from_utf8_lossy(&restart.stderr));
    let written = counter(&metrics().await, "leadscore_log_rows_total{fate=\"written\"} ");
    poll_until(20, "writing resumed after the restart", || async {
        let text = metrics().await;
        let now = counter(&text, "leadscore_log_rows_total{fate=\"written\"} ");
        (now > written + 200 && text.contains("leadscore_log_healthy 1")).then_some(())
    })
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (ok, failed) = load.await.unwrap();
    assert_eq!(failed, 0, "{failed} requests failed while PostgreSQL restarted ({ok} answered)");
    let text = metrics().await;
    assert!(counter(&text, "leadscore_log_dropped_total ") > 0, "no drop counted across a restart:\n{text}");
}
