//! The serving model survives files moving (issue 10, item 1): 8 clients score
//! for about 27 s against the real `leadscore serve` (as `nobody` when the tests
//! run as root, so that permissions apply) while six faults come and go in the
//! registry: `CURRENT` missing, a symlink loop, an unreadable model folder, an
//! unreadable registry root, the model folder renamed, the serving `model.bin`
//! removed (with a v2 beside it that `CURRENT` does not name). Every answer
//! must be a 200 from v1 with v1's probability, `readyz` must stay 200, each
//! fault must show as exactly one problem in `/v1/models` and `/metrics` while
//! `leadscore_model_info` names v1, and the log must hold one line when each
//! problem appears and one when it clears.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::util::{
    missing_external, poll_until, put_version, shifted_model, shipped_model, vp_probability, Load, ServeProcess,
};

const CLIENTS: usize = 8;
/// How long each fault lasts: several watcher ticks and many requests.
const FAULT_FOR: Duration = Duration::from_millis(3500);
/// How long the registry stays healthy between faults.
const CALM_FOR: Duration = Duration::from_millis(1000);

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Makes a tree readable by anyone (the server may run as `nobody`).
fn open_up(path: &Path) {
    chmod(path, if path.is_dir() { 0o755 } else { 0o644 });
    if path.is_dir() {
        for entry in std::fs::read_dir(path).unwrap() {
            open_up(&entry.unwrap().path());
        }
    }
}

/// One fault: what it does to the registry, how it is undone, and which model its problem names.
struct Fault {
    name: &'static str,
    apply: fn(&Path, &Path),
    undo: fn(&Path, &Path),
    /// The problem's `model` in `/v1/models` (null for the registry root).
    model: Option<&'static str>,
}

fn faults() -> Vec<Fault> {
    vec![
        Fault {
            name: "CURRENT briefly missing",
            apply: |m, away| std::fs::rename(m.join("leads/CURRENT"), away.join("CURRENT")).unwrap(),
            undo: |m, away| std::fs::rename(away.join("CURRENT"), m.join("leads/CURRENT")).unwrap(),
            model: Some("leads"),
        },
        Fault {
            name: "symlink loop",
            apply: |m, away| {
                std::fs::rename(m.join("leads"), away.join("leads")).unwrap();
                std::os::unix::fs::symlink(m.join("leads"), m.join("leads")).unwrap();
            },
            undo: |m, away| {
                std::fs::remove_file(m.join("leads")).unwrap();
                std::fs::rename(away.join("leads"), m.join("leads")).unwrap();
            },
            model: Some("leads"),
        },
        Fault {
            name: "unreadable model folder",
            apply: |m, _| chmod(&m.join("leads"), 0o000),
            undo: |m, _| chmod(&m.join("leads"), 0o755),
            model: Some("leads"),
        },
        Fault {
            name: "unreadable registry root",
            apply: |m, _| chmod(m, 0o000),
            undo: |m, _| chmod(m, 0o755),
            model: None,
        },
        Fault {
            name: "model folder renamed",
            apply: |m, _| std::fs::rename(m.join("leads"), m.join("leads-renamed")).unwrap(),
            undo: |m, _| std::fs::rename(m.join("leads-renamed"), m.join("leads")).unwrap(),
            model: Some("leads"),
        },
        Fault {
            name: "serving model.bin removed",
            apply: |m, away| std::fs::rename(m.join("leads/v1/model.bin"), away.join("model.bin")).unwrap(),
            undo: |m, away| {
                // Written back as a new file (a new stamp): the server reads it again.
                let bytes = std::fs::read(away.join("model.bin")).unwrap();
                leadscore_registry::write_atomic(&m.join("leads/v1/model.bin"), &bytes).unwrap();
                open_up(&m.join("leads/v1/model.bin"));
                std::fs::remove_file(away.join("model.bin")).unwrap();
            },
            model: Some("leads"),
        },
    ]
}

async fn get(client: &reqwest::Client, url: String) -> (u16, String) {
    match client.get(url).send().await {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_serving_model_survives_files_moving_under_load() {
    let dir = tempfile::tempdir().unwrap();
    let (models, away) = (dir.path().join("models"), dir.path().join("away"));
    std::fs::create_dir_all(&away).unwrap();
    put_version(&models, "v1", &shipped_model().0, true);
    put_version(&models, "v2", &shifted_model(0.7).0, false); // the old code fell back to it
    open_up(dir.path());
    let Some(server) = ServeProcess::start_unprivileged(
        &models,
        &["--watch-ms", "50", "--model", "leads", "--no-log"],
        &[("LEADSCORE_LOG", "info")],
    ) else {
        missing_external(
            "setpriv (util-linux)",
            "install util-linux: the server must run unprivileged for permissions to apply",
        );
        return;
    };
    let expected = vp_probability(&shipped_model().1);
    let load = Load::start(server.url("/v1/score"), CLIENTS, None);
    let stop = Arc::new(AtomicBool::new(false));
    let ready = {
        let (url, stop) = (server.url("/readyz"), stop.clone());
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut n, mut bad) = (0u64, Vec::new());
            while !stop.load(Ordering::Relaxed) {
                let (status, text) = get(&client, url.clone()).await;
                if status != 200 {
                    bad.push(format!("{status}: {text}"));
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (n, bad)
        })
    };

    let client = reqwest::Client::new();
    let problems = |list: &Value| list["problems"].as_array().cloned().unwrap_or_default();
    for fault in faults() {
        tokio::time::sleep(CALM_FOR).await;
        (fault.apply)(&models, &away);
        tokio::time::sleep(FAULT_FOR / 2).await;
        let (status, text) = get(&client, server.url("/v1/models")).await;
        assert_eq!(status, 200, "{}: /v1/models {text}", fault.name);
        let list: Value = serde_json::from_str(&text).unwrap();
        let shown = problems(&list);
        assert_eq!(shown.len(), 1, "{}: exactly one problem shown, got {shown:?}", fault.name);
        assert_eq!(shown[0]["model"], json!(fault.model), "{}: {shown:?}", fault.name);
        assert_eq!(shown[0]["serving"], json!("v1"), "{}: {shown:?}", fault.name);
        let (_, metrics) = get(&client, server.url("/metrics")).await;
        let info: Vec<&str> =
            metrics.lines().filter(|l| l.starts_with("leadscore_model_info{name=\"leads\"")).collect();
        assert!(
            info.len() == 1 && info[0].contains("version=\"v1\"") && info[0].contains("default=\"true\""),
            "{}: {info:?}",
            fault.name
        );
        let gauge = format!("leadscore_registry_problems{{model=\"{}\"}} 1", fault.model.unwrap_or(""));
        assert!(metrics.lines().any(|l| l == gauge), "{}: no `{gauge}` in\n{metrics}", fault.name);
        tokio::time::sleep(FAULT_FOR / 2).await;
        (fault.undo)(&models, &away);
        poll_until(10, &format!("{}: the problem to clear", fault.name), || {
            let (client, url) = (client.clone(), server.url("/v1/models"));
            async move {
                let (_, text) = get(&client, url).await;
                let list: Value = serde_json::from_str(&text).ok()?;
                (problems(&list).is_empty() && list["models"].as_array()?.len() == 1).then_some(())
            }
        })
        .await;
    }
    stop.store(true, Ordering::Relaxed);
    let (answers, mut failures) = load.stop().await;
    let mut answered = 0u64;
    for a in answers {
        if a.version == "v1" && a.probability == expected {
            answered += 1;
        } else {
            failures.push(format!("answered by another model: {} p={}", a.version, a.probability));
        }
    }
    let (probes, not_ready) = ready.await.unwrap();
    eprintln!(
        "{answered} answers from v1, {} failures; readyz {probes} probes, {} not 200",
        failures.len(),
        not_ready.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} requests failed or were answered by another model, e.g. {:?}",
        failures.len(),
        answered + failures.len() as u64,
        &failures[..failures.len().min(3)]
    );
    assert!(not_ready.is_empty(), "readyz was not 200 {} times, e.g. {:?}", not_ready.len(), not_ready.first());
    assert!(answered > 1000, "only {answered} answers in the run");

    // One log line when each problem appears and one when it clears: not one per reload.
    let log = server.stderr.lock().unwrap().clone();
    let appeared = log.lines().filter(|l| l.contains("registry problem: still serving")).count();
    let cleared = log.lines().filter(|l| l.contains("registry problem cleared")).count();
    assert_eq!((appeared, cleared), (6, 6), "log:\n{log}");
    open_up(dir.path()); // let the temporary folder be removed
}
