//! Reloads under load: 8 clients score for about 5 s while the model is swapped
//! 20 times (5 of the swaps are corrupt files). No request may fail, and every
//! response must name a version that was being served at some moment between the
//! request leaving and the response arriving, with exactly that version's probability.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{
    flipped, put_version, scratch_registry, serve_config, shifted_model, shipped_model, vp_probability, Load,
    TestServer,
};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_swaps_under_load_fail_no_request_and_every_answer_names_a_served_version() {
    let (_dir, models) = scratch_registry();
    let server = TestServer::start(serve_config(&models)).await;

    // The probability each valid version gives the lead.
    let mut expected: BTreeMap<String, f64> = BTreeMap::from([("v1".to_owned(), vp_probability(&shipped_model().1))]);
    let t0 = Instant::now(); // v1 is served from before the first request
    let load = Load::start(server.url("/v1/score"), CLIENTS, None);

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
            expected.insert(version.clone(), vp_probability(&artifact));
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
    let (answers, failures) = load.stop().await;
    served.last_mut().unwrap().until = Instant::now() + Duration::from_secs(3600);
    assert_eq!((corrupt_done, served.len()), (5, 16), "5 corrupt swaps and 15 valid ones");

    assert!(failures.is_empty(), "{} failed request(s): {:?}", failures.len(), &failures[..failures.len().min(5)]);
    let n_answers = answers.len();
    let mut wrong = Vec::new();
    for a in answers {
        let was_served = served.iter().any(|s| s.version == a.version && s.from <= a.received && s.until >= a.sent);
        if !was_served || expected.get(&a.version) != Some(&a.probability) {
            wrong.push(format!("{} p={} (expected {:?})", a.version, a.probability, expected.get(&a.version)));
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
