//! The real `leadscore serve` process: signals (SIGHUP reloads, SIGTERM drains),
//! API keys from the environment, and logs that never carry lead data.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::util::{
    chunk, dechunk, open_upload, poll_until, put_version, sample_leads, scratch_registry, shifted_model, ServeProcess,
};

async fn current_version(server: &ServeProcess, key: &str) -> String {
    let response = reqwest::Client::new()
        .get(server.url("/v1/models"))
        .header(AUTHORIZATION, format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    let list: Value = response.json().await.unwrap();
    list["models"][0]["current"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_and_keys_come_from_the_environment() {
    let (_dir, models) = scratch_registry();
    let mut server = ServeProcess::start(
        &models,
        &["--watch-ms", "0"],
        &[("LEADSCORE_API_KEYS", "user-key-0001,user-key-0002"), ("LEADSCORE_ADMIN_KEYS", "admin-key-0001")],
    );
    let client = reqwest::Client::new();
    let status = |path: &'static str, key: Option<&'static str>| {
        let mut request = client.get(server.url(path));
        if let Some(key) = key {
            request = request.header(AUTHORIZATION, format!("Bearer {key}"));
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status("/healthz", None).await, 200);
    assert_eq!(status("/v1/models", None).await, 401);
    assert_eq!(status("/v1/models", Some("user-key-0002")).await, 200);
    let admin = |key: &'static str| {
        let request = client.post(server.url("/v1/admin/reload")).header(AUTHORIZATION, format!("Bearer {key}"));
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(admin("user-key-0001").await, 403);
    assert_eq!(admin("admin-key-0001").await, 200);
    assert_eq!(current_version(&server, "user-key-0001").await, "v1");

    // The watcher is off: a new version is served only after SIGHUP.
    put_version(&models, "v2", &shifted_model(0.5).0, true);
    tokio::time::sleep(Duration::from_millis(300)).await; // would-be watcher ticks: nothing may change
    assert_eq!(current_version(&server, "user-key-0001").await, "v1");
    server.signal("HUP");
    poll_until(10, "SIGHUP to serve v2", || async {
        (current_version(&server, "user-key-0001").await == "v2").then_some(())
    })
    .await;
    server.signal("TERM");
    assert_eq!(server.wait_exit(10), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_slow_requests_finish_refuses_new_connections_and_exits() {
    const CLIENTS: usize = 20;
    const CHUNKS: usize = 10;
    let (_dir, models) = scratch_registry();
    let mut server = ServeProcess::start(&models, &["--watch-ms", "0", "--drain-seconds", "8"], &[]);
    let addr = server.addr;
    let (csv, _) = sample_leads(CHUNKS * 10);
    let lines: Vec<String> = csv.lines().map(|l| format!("{l}\n")).collect();
    let header = lines[0].clone();
    let rows: Vec<String> = lines[1..].chunks(10).map(|c| c.concat()).collect();

    // 20 uploads in flight: each has sent its first 10 rows and has its 200 head back.
    let mut uploads = Vec::new();
    for _ in 0..CLIENTS {
        uploads.push(open_upload(addr, &format!("{header}{}", rows[0])).await);
    }
    let done = Arc::new(AtomicUsize::new(0));
    server.signal("TERM");
    let terminated = Instant::now();
    let mut tasks = Vec::new();
    for (mut stream, mut response) in uploads {
        let rows = rows.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            // The other 90 rows, slowly: about 1 s per upload.
            for part in &rows[1..] {
                tokio::time::sleep(Duration::from_millis(110)).await;
                chunk(&mut stream, part.as_bytes()).await.unwrap();
            }
            stream.write_all(b"0\r\n\r\n").await.unwrap();
            tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await.unwrap().unwrap();
            done.fetch_add(1, Ordering::SeqCst);
            response
        }));
    }

    // New connections are refused while the uploads are still going.
    poll_until(5, "new connections to be refused", || async { TcpStream::connect(addr).await.is_err().then_some(()) })
        .await;
    assert_eq!(done.load(Ordering::SeqCst), 0, "the slow uploads were still in flight when the listener closed");

    for task in tasks {
        let response = task.await.unwrap();
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
        assert!(head.starts_with("http/1.1 200") && head.contains("transfer-encoding: chunked"), "{head}");
        let body = dechunk(&response[split..]).expect("a complete chunked body");
        let scored: Vec<csv::StringRecord> =
            csv::Reader::from_reader(&body[..]).records().map(Result::unwrap).collect();
        assert_eq!(scored.len(), CHUNKS * 10, "every row of the upload is scored");
        assert!(scored.iter().all(|r| r[1].parse::<f64>().is_ok() && r[9].is_empty()));
    }
    let code = tokio::task::spawn_blocking(move || {
        let code = server.wait_exit(10);
        (code, server.stderr.lock().unwrap().clone())
    })
    .await
    .unwrap();
    let elapsed = terminated.elapsed();
    assert_eq!(code.0, Some(0), "exit code; stderr:\n{}", code.1);
    assert!(elapsed < Duration::from_secs(8), "exited {elapsed:?} after SIGTERM, past the 8 s drain deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_exits_by_the_drain_deadline_when_a_request_never_finishes() {
    let (_dir, models) = scratch_registry();
    let mut server = ServeProcess::start(&models, &["--watch-ms", "0", "--drain-seconds", "1"], &[]);
    let (csv, _) = sample_leads(5);
    // An upload that stalls forever after its first rows.
    let (_stalled, _) = open_upload(server.addr, &csv).await;
    server.signal("TERM");
    let terminated = Instant::now();
    let code = tokio::task::spawn_blocking(move || server.wait_exit(10)).await.unwrap();
    let elapsed = terminated.elapsed();
    assert!(code.is_some(), "still running 10 s after SIGTERM with a 1 s drain deadline");
    assert!(elapsed >= Duration::from_millis(900), "exited after {elapsed:?}, before the drain deadline");
    assert!(elapsed < Duration::from_secs(4), "exited {elapsed:?} after SIGTERM with a 1 s drain deadline");
}

const CANARY: &str = "canary.7f3a91@leak-test.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_email_in_leads_never_reaches_the_logs() {
    let (_dir, models) = scratch_registry();
    let mut server = ServeProcess::start(&models, &["--watch-ms", "0"], &[("LEADSCORE_LOG", "trace")]);
    let client = reqwest::Client::new();
    let post = |query: &str, content_type: &str, body: String| {
        let request =
            client.post(server.url(&format!("/v1/score{query}"))).header("content-type", content_type).body(body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let good = json!({"leads": [
        {"id": CANARY, "email": CANARY, "lead_source": CANARY, "country": "Germany", "page_views": 3},
        {"id": 7, CANARY: "x", "industry": CANARY},
    ], "explain": 50});
    assert_eq!(post("", "application/json", good.to_string()).await, 200);
    assert_eq!(post("?strict=true", "application/json", good.to_string()).await, 422);
    let bad_types =
        json!({"leads": [{"id": CANARY, "page_views": CANARY, "demo_requested": CANARY, "lead_source": {CANARY: 1}}]});
    assert_eq!(post("", "application/json", bad_types.to_string()).await, 422);
    assert_eq!(post("", "application/json", json!({"leads": [CANARY]}).to_string()).await, 400);
    assert_eq!(post("", "application/json", json!({"leads": [{}], CANARY: 1}).to_string()).await, 400);
    assert_eq!(
        post("", "application/json", json!({"leads": [{}], "threshold": {"strategy": CANARY}}).to_string()).await,
        400
    );
    assert_eq!(post("", "application/json", format!(r#"{{"leads": [{{"email": "{CANARY}", }}]}}"#)).await, 400);
    assert_eq!(post(&format!("?strict={CANARY}"), "application/json", good.to_string()).await, 400);
    assert_eq!(post(&format!("?model={CANARY}"), "application/json", good.to_string()).await, 404);
    assert_eq!(post("", &format!("text/{CANARY}"), good.to_string()).await, 415);
    // CSV: the canary as id, as a category and as a number.
    let (csv, _) = sample_leads(3);
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    for line in &mut lines[1..] {
        let mut cells: Vec<String> = line.split(',').map(str::to_owned).collect();
        cells[0] = CANARY.into();
        cells[2] = CANARY.into();
        cells[9] = CANARY.into();
        *line = cells.join(",");
    }
    assert_eq!(post("", "text/csv", lines.join("\n")).await, 200);
    assert_eq!(post("", "text/csv", format!("{CANARY},x\n1,2\n")).await, 422);
    let response = client.get(server.url(&format!("/v1/thresholds?strategy={CANARY}"))).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 400);

    server.signal("TERM");
    let (code, stderr) = tokio::task::spawn_blocking(move || {
        let code = server.wait_exit(10);
        (code, server.stderr.lock().unwrap().clone())
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0));
    assert!(stderr.contains("request") && stderr.lines().count() > 20, "trace logging was not on:\n{stderr}");
    let leaked: Vec<&str> = stderr.lines().filter(|l| l.contains(CANARY) || l.contains("leak-test")).collect();
    assert!(leaked.is_empty(), "lead data in the logs:\n{}", leaked.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentication_fails_closed_trims_keys_and_reads_the_scheme_in_any_case() {
    let (_dir, models) = scratch_registry();
    // A list that is set but holds no key is a start-up error, never "authentication off".
    for (var, value) in [("LEADSCORE_API_KEYS", ",,"), ("LEADSCORE_API_KEYS", ""), ("LEADSCORE_ADMIN_KEYS", " , ")] {
        let out = crate::util::bin()
            .args(["serve", "--models", crate::util::s(&models), "--addr", "127.0.0.1:0"])
            .env_remove("LEADSCORE_API_KEYS")
            .env_remove("LEADSCORE_ADMIN_KEYS")
            .env(var, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value:?}: {stderr}");
        assert!(stderr.contains(&format!("({var}) is set but holds no key")), "{var}={value:?}: {stderr}");
    }
    let server = ServeProcess::start(
        &models,
        &["--watch-ms", "0", "--no-log"],
        &[("LEADSCORE_API_KEYS", " user-key-0001 , user-key-0002 "), ("LEADSCORE_ADMIN_KEYS", "admin-key-0001")],
    );
    let client = reqwest::Client::new();
    let status = |auth: &'static str| {
        let request = client.get(server.url("/v1/models")).header(AUTHORIZATION, auth);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for auth in ["Bearer user-key-0001", "bearer user-key-0002", "BEARER admin-key-0001"] {
        assert_eq!(status(auth).await, 200, "{auth}");
    }
    for auth in ["Bearer  user-key-000", "Bearer user-key-00012", "Basic user-key-0001", "Bearer"] {
        assert_eq!(status(auth).await, 401, "{auth}");
    }
    let stderr = server.stderr.lock().unwrap().clone();
    assert!(stderr.contains("Authorization: Bearer $KEY"), "the banner shows the header to send: {stderr}");
}
