//! Reloads under load: 8 clients score for about 5 s while the model is swapped
//! 20 times (5 of the swaps are corrupt files). No request may fail, and every
//! response must name a version that was being served at some moment between the
//! request leaving and the response arriving, with exactly that version's probability.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use leadscore_core::value::RawValue;
use serde_json::{json, Value};

use crate::util::{flipped, put_version, scratch_registry, serve_config, shifted_model, shipped_model, TestServer};

const CLIENTS: usize = 8;
const SWAPS: usize = 20;
const SWAP_EVERY: Duration = Duration::from_millis(250);

/// What the swapper did: the served version from `from` (the start of the reload that
/// installed it) to `until` (the end of the reload that replaced it).
struct Served {
    version: String,
    from: Instant,
    until: Instant,
}

/// One answered request.
struct Answer {
    sent: Instant,
    received: Instant,
    version: String,
    probability: f64,
}

fn probability(artifact: &leadscore_core::Artifact) -> f64 {
    let lead: BTreeMap<&str, RawValue> = BTreeMap::from([
        ("job_level", RawValue::Text("VP")),
        ("lead_source", RawValue::Text("Referral")),
        ("pricing_page_visits", RawValue::Number(4.0)),
        ("demo_requested", RawValue::Bool(true)),
    ]);
    artifact.score(|name| lead.get(name).copied().unwrap_or(RawValue::Missing)).unwrap().probability
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_swaps_under_load_fail_no_request_and_every_answer_names_a_served_version() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;
    let body = json!({"leads": [{"id": "L1", "job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "demo_requested": true}]});

    // The probability each valid version gives the lead.
    let mut expected: BTreeMap<String, f64> = BTreeMap::from([("v1".to_owned(), probability(&shipped_model().1))]);
    let t0 = Instant::now(); // v1 is served from before the first request
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (url, body, stop) = (server.url("/v1/score"), body.clone(), stop.clone());
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut answers, mut failures) = (Vec::new(), Vec::new());
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sent = Instant::now();
                let response = client.post(&url).json(&body).send().await;
                let result = match response {
                    Ok(r) if r.status() == 200 => r.json::<Value>().await.map_err(|e| e.to_string()),
                    Ok(r) => Err(format!("status {}: {}", r.status(), r.text().await.unwrap_or_default())),
                    Err(e) => Err(e.to_string()),
                };
                match result {
                    Ok(v) => answers.push(Answer {
                        sent,
                        received: Instant::now(),
                        version: v["model"]["version"].as_str().unwrap_or("").to_owned(),
                        probability: v["scores"][0]["probability"].as_f64().unwrap_or(f64::NAN),
                    }),
                    Err(e) => failures.push(e),
                }
            }
            (answers, failures)
        }));
    }

    // The swaps, each through the admin route; every 4th from the 3rd is a corrupt file.
    let admin = reqwest::Client::new();
    let mut served = vec![Served { version: "v1".into(), from: t0, until: t0 }];
    let (mut next_valid, mut corrupt_done) = (2u32, 0);
    for swap in 0..SWAPS {
        tokio::time::sleep(SWAP_EVERY).await;
        let current = served.last().unwrap().version.clone();
        let corrupt = swap % 4 == 2;
        let refused_version = if corrupt {
            let (good, _) = shifted_model(-1.0 - swap as f64);
            let version = format!("v{}", 100 + swap);
            match corrupt_done {
                0 => put_version(&models, &version, &flipped(&good), true),
                1 => put_version(&models, &version, &good[..good.len() / 2], true),
                2 => put_version(&models, &version, b"not a model at all", true),
                3 => put_version(&models, &version, b"", true),
                // The file being served is overwritten with a truncated copy.
                _ => {
                    let bytes = std::fs::read(models.join("leads").join(&current).join("model.bin")).unwrap();
                    put_version(&models, &current, &bytes[..bytes.len() - 7], false);
                }
            }
            corrupt_done += 1;
            if corrupt_done == 5 {
                current.clone()
            } else {
                version
            }
        } else {
            let version = format!("v{next_valid}");
            let (bytes, artifact) = shifted_model(0.1 * f64::from(next_valid));
            expected.insert(version.clone(), probability(&artifact));
            put_version(&models, &version, &bytes, true);
            next_valid += 1;
            version
        };
        let started = Instant::now();
        let report: Value = admin.post(server.url("/v1/admin/reload")).send().await.unwrap().json().await.unwrap();
        let finished = Instant::now();
        let now_serving = report["model"]["version"].as_str().unwrap().to_owned();
        if corrupt {
            let refused: Vec<&str> =
                report["refused"].as_array().unwrap().iter().filter_map(|r| r["version"].as_str()).collect();
            assert!(refused.contains(&refused_version.as_str()), "swap {swap}: not refused: {report}");
            assert_eq!(now_serving, current, "swap {swap}: a corrupt file replaced the served model");
        } else {
            assert_eq!(now_serving, refused_version, "swap {swap}: {report}");
            served.last_mut().unwrap().until = finished;
            served.push(Served { version: now_serving, from: started, until: finished });
        }
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    served.last_mut().unwrap().until = Instant::now() + Duration::from_secs(3600);
    assert_eq!((corrupt_done, served.len()), (5, 16), "5 corrupt swaps and 15 valid ones");

    let (mut n_answers, mut wrong) = (0, Vec::new());
    for client in clients {
        let (answers, failures) = client.await.unwrap();
        assert!(failures.is_empty(), "{} failed request(s): {:?}", failures.len(), &failures[..failures.len().min(5)]);
        n_answers += answers.len();
        for a in answers {
            let was_served = served.iter().any(|s| s.version == a.version && s.from <= a.received && s.until >= a.sent);
            if !was_served || expected.get(&a.version) != Some(&a.probability) {
                wrong.push(format!("{} p={} (expected {:?})", a.version, a.probability, expected.get(&a.version)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answer(s) not from a served version: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    assert!(n_answers >= 200, "only {n_answers} requests in 5 s: the load did not happen");
    eprintln!("reload under load: {n_answers} requests from {CLIENTS} clients, {SWAPS} swaps (5 corrupt), 0 failed");
    server.stop().await;
}
