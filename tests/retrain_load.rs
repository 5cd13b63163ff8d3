//! Promote and roll back under load (issue 11, must show): 8 clients score for 20 s against the
//! real `leadscore serve` while `CURRENT` moves six times, by `leadscore promote`/`rollback`
//! (the server follows through its file watcher) and by the admin routes (it reloads at once).
//! No answer may be anything but a 200; every answer names the version that scored it, with that
//! version's probability, and a version served at some moment between the request leaving and
//! the answer arriving; the served version follows each change within 2 s. `history` then lists
//! every change in order, the promotions with the gate's figures.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{poll_until, run, s, sample_every, scratch, shipped_registry, vp_probability, Load, ServeProcess};

const CLIENTS: usize = 8;
const LOAD_FOR: Duration = Duration::from_secs(20);
const ADMIN: &str = "Bearer admin-key-0001";

/// One change of `CURRENT`, and how it is made.
#[derive(Clone, Copy, Debug)]
enum Change {
    CliPromote,
    CliRollback,
    HttpPromote,
    HttpRollback,
}

impl Change {
    /// The history's command for it (promotions are forced: the gate refused v2 against v1).
    fn command(self) -> &'static str {
        match self {
            Change::CliPromote => "promote --force",
            Change::CliRollback => "rollback",
            Change::HttpPromote => "http promote --force",
            Change::HttpRollback => "http rollback",
        }
    }
}

/// A version served from `from` (when the change to it started) to `until` (when the change away
/// from it was seen served).
struct Served {
    version: &'static str,
    from: Instant,
    until: Instant,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promote_and_rollback_by_cli_and_http_under_load_fail_no_request() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    let small = dir.path().join("small.csv");
    sample_every(&small, 20, 3);
    let trained =
        run(&["train", "--data", s(&small), "--spec", "data/spec.toml", "--name", "leads", "--models", s(&models)]);
    assert_eq!(trained.status, 3, "v2 kept, refused by the gate\n{}\n{}", trained.stdout, trained.stderr);
    let expected: BTreeMap<String, f64> = ["v1", "v2"]
        .into_iter()
        .map(|v| {
            let bytes = std::fs::read(models.join("leads").join(v).join("model.bin")).unwrap();
            (v.to_owned(), vp_probability(&leadscore_core::Artifact::from_bytes(&bytes).unwrap()))
        })
        .collect();
    assert_ne!(expected["v1"], expected["v2"], "the two versions must be told apart by their answers");

    // The server as shipped: the file watcher at its default (1 s), a prediction log.
    let server = ServeProcess::start(
        &models,
        &[],
        &[("LEADSCORE_API_KEYS", "user-key-0001"), ("LEADSCORE_ADMIN_KEYS", "admin-key-0001")],
    );
    let t0 = Instant::now();
    let load = Load::start(server.url("/v1/score"), CLIENTS, Some("user-key-0001"));
    let admin = reqwest::Client::new();
    let sequence = [
        Change::CliPromote,
        Change::HttpRollback,
        Change::HttpPromote,
        Change::CliRollback,
        Change::CliPromote,
        Change::HttpRollback,
    ];
    let mut served = vec![Served { version: "v1", from: t0, until: t0 }];
    let mut follow = Vec::new();
    for (i, change) in sequence.into_iter().enumerate() {
        // Spread over the run, each change with load before and after it.
        tokio::time::sleep_until((t0 + LOAD_FOR * (i as u32 + 1) / (sequence.len() as u32 + 1)).into()).await;
        let to = if served.last().unwrap().version == "v1" { "v2" } else { "v1" };
        let started = Instant::now();
        match change {
            Change::CliPromote | Change::CliRollback => {
                let models: PathBuf = models.clone();
                let out = tokio::task::spawn_blocking(move || {
                    let m = s(&models);
                    match change {
                        Change::CliPromote => {
                            run(&["promote", "--model", "leads", "--version", "v2", "--force", "--models", m])
                        }
                        _ => run(&["rollback", "--model", "leads", "--models", m]),
                    }
                })
                .await
                .unwrap()
                .ok();
                let from = if to == "v1" { "v2" } else { "v1" };
                assert!(out.stdout.contains(&format!("CURRENT {from} -> {to}")), "{change:?}: {}", out.stdout);
            }
            Change::HttpPromote | Change::HttpRollback => {
                let (path, body) = match change {
                    Change::HttpPromote => ("promote", serde_json::json!({"version": "v2", "force": true})),
                    _ => ("rollback", serde_json::json!({})),
                };
                let response = admin
                    .post(server.url(&format!("/v1/admin/models/leads/{path}")))
                    .header(reqwest::header::AUTHORIZATION, ADMIN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200, "{change:?}");
                let answer: Value = response.json().await.unwrap();
                // The route reloads before it answers: served already.
                assert_eq!((answer["current"].as_str(), answer["served"].as_str()), (Some(to), Some(to)), "{answer}");
            }
        }
        let returned = Instant::now();
        // The served version follows within 2 s of the command returning.
        let scoring = server.url("/v1/score");
        poll_until(2, &format!("{change:?}: {to} to serve"), || {
            let (client, url) = (admin.clone(), scoring.clone());
            async move {
                let answer: Value = client
                    .post(url)
                    .header(reqwest::header::AUTHORIZATION, ADMIN)
                    .json(&serde_json::json!({"leads": [crate::util::vp_lead()]}))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                (answer["model"]["version"] == to).then_some(())
            }
        })
        .await;
        let seen = Instant::now();
        follow.push((change, seen - returned));
        served.last_mut().unwrap().until = seen;
        served.push(Served { version: to, from: started, until: seen });
    }
    tokio::time::sleep_until((t0 + LOAD_FOR).into()).await;
    let (answers, failures) = load.stop().await;
    served.last_mut().unwrap().until = Instant::now() + Duration::from_secs(3600);

    assert!(
        failures.is_empty(),
        "{} of {} requests failed, e.g. {:?}",
        failures.len(),
        failures.len() + answers.len(),
        &failures[..failures.len().min(3)]
    );
    let mut wrong = Vec::new();
    let mut by_version: BTreeMap<&str, usize> = BTreeMap::new();
    for a in &answers {
        let was_served = served.iter().any(|s| s.version == a.version && s.from <= a.received && s.until >= a.sent);
        if !was_served || expected.get(&a.version) != Some(&a.probability) {
            wrong.push(format!("{} p={} (expected {:?})", a.version, a.probability, expected.get(&a.version)));
        }
        *by_version.entry(a.version.as_str()).or_default() += 1;
    }
    assert!(
        wrong.is_empty(),
        "{} answer(s) not from a served version: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(5)]
    );
    assert!(answers.len() > 1000, "only {} answers in {LOAD_FOR:?}: the load did not happen", answers.len());
    assert!(by_version.len() == 2, "both versions answered: {by_version:?}");
    eprintln!(
        "promote/rollback under load: {} answers {by_version:?}, 0 failed; followed in {follow:?}",
        answers.len()
    );
    drop(server);

    // The history: the gate's refusal at training, then the six changes in order.
    let out = run(&["history", "--model", "leads", "--models", s(&models), "--json"]).ok().stdout;
    let entries: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let commands: Vec<&str> = entries.iter().map(|e| e["command"].as_str().unwrap()).collect();
    let mut want = vec!["train"];
    want.extend(sequence.iter().map(|c| c.command()));
    assert_eq!(commands, want);
    let moves: Vec<(&str, &str)> =
        entries[1..].iter().map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap())).collect();
    assert_eq!(moves, [("v1", "v2"), ("v2", "v1"), ("v1", "v2"), ("v2", "v1"), ("v1", "v2"), ("v2", "v1")]);
    let times: Vec<&str> = entries.iter().map(|e| e["at"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "in order: {times:?}");
    for e in entries[1..].iter().filter(|e| e["to"] == "v2") {
        let gate = &e["gate"];
        assert_eq!((&gate["against"], &gate["forced"]), (&serde_json::json!("v1"), &serde_json::json!(true)), "{e}");
        assert!(gate["comparison"]["auc"]["a"].is_number() && gate["comparison"]["auc"]["interval"]["low"].is_number());
    }
    let text = run(&["history", "--model", "leads", "--models", s(&models)]).ok().stdout;
    let forced = text.lines().filter(|l| l.contains("gate refused (promoted anyway) against v1: AUC")).count();
    assert_eq!(forced, 3, "{text}");
    assert!(text.contains("current: v1; challenger: none"), "{text}");
}
