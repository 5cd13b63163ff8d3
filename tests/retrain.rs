//! Retraining through the promotion gate, end to end with the real binary: a weaker candidate
//! refused and kept, forced and rolled back; a better one promoted; `retrain` with its guard and
//! its lock; `prune`; `kill -9` at any point leaving the registry valid.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::util::{bin, root, run, s, sample_every, scratch, shipped_registry};

fn current(models: &Path) -> String {
    std::fs::read_to_string(models.join("leads/CURRENT")).unwrap().trim().to_owned()
}

fn train(models: &Path, data: &Path, flags: &[&str]) -> crate::util::Run {
    let mut args =
        vec!["train", "--data", s(data), "--spec", "data/spec.toml", "--name", "leads", "--models", s(models)];
    args.extend_from_slice(flags);
    run(&args)
}

#[test]
fn a_candidate_from_a_small_sample_is_refused_then_forced_then_rolled_back() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    let small = dir.path().join("small.csv");
    sample_every(&small, 20, 3); // 3,000 of the 20,000 leads, spread over every date
    let refused = train(&models, &small, &[]);
    assert_eq!(refused.status, 3, "exit code 3: trained but not promoted\n{}\n{}", refused.stdout, refused.stderr);
    let out = &refused.stdout;
    assert!(out.contains("v2 was not promoted over v1"), "{out}");
    // Both AUCs and the interval of their difference, in the one sentence.
    let sentence = out.lines().find(|l| l.contains("was not promoted over")).unwrap();
    assert!(sentence.contains("for v2 against") && sentence.contains("for v1"), "{sentence}");
    assert!(sentence.contains("AUC") && sentence.contains("95% interval ["), "{sentence}");
    // The shipped registry has no history: how long v1 has served is unknown, so the 90-day
    // rule for a stale version is not applied, and the sentence says so.
    assert!(sentence.contains("was not applied: no history entry says when v1 became current"), "{sentence}");
    assert_eq!(current(&models), "v1");
    assert!(models.join("leads/v2/model.bin").is_file(), "the refused candidate is kept");
    // The comparison is in the candidate's card and report.
    let card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("leads/v2/card.json")).unwrap()).unwrap();
    let gate = &card["promotion"]["gate"];
    assert_eq!((gate["against"].as_str(), gate["verdict"]["passed"].as_bool()), (Some("v1"), Some(false)));
    assert!(gate["comparison"]["auc"]["interval"]["low"].is_number(), "{gate}");
    assert!(gate["roc"]["current"].as_array().unwrap().len() > 10);
    let report = std::fs::read_to_string(models.join("leads/v2/report.html")).unwrap();
    assert!(report.contains("Against v1, before promotion: refused"));
    assert!(report.contains("v1 current (AUC") && report.contains("v2 candidate (AUC"));

    // --promote always: the same candidate (reused) is promoted, its verdict recorded.
    let forced = train(&models, &small, &["--promote", "always"]);
    assert_eq!(forced.status, 0, "{}\n{}", forced.stdout, forced.stderr);
    assert!(forced.stdout.contains("promoted anyway (--promote always)"), "{}", forced.stdout);
    assert_eq!(current(&models), "v2");
    let back = run(&["rollback", "--model", "leads", "--models", s(&models)]).ok();
    assert!(back.stdout.contains("CURRENT v2 -> v1"), "{}", back.stdout);
    assert_eq!(current(&models), "v1");

    // `promote` refuses it again (the gate said no against v1), `--force` passes.
    let no = run(&["promote", "--model", "leads", "--version", "v2", "--models", s(&models)]);
    assert_eq!(no.status, 3, "{}\n{}", no.stdout, no.stderr);
    assert!(
        no.stdout.contains("AUC") && no.stderr.contains("--force promotes it anyway"),
        "{}\n{}",
        no.stdout,
        no.stderr
    );
    run(&["promote", "--model", "leads", "--version", "v2", "--force", "--models", s(&models)]).ok();
    assert_eq!(current(&models), "v2");

    let history = run(&["history", "--model", "leads", "--models", s(&models), "--json"]).ok();
    let entries: Vec<serde_json::Value> = history.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let moves: Vec<(String, String, String)> = entries
        .iter()
        .map(|e| (e["from"].to_string(), e["to"].to_string(), e["command"].as_str().unwrap().to_owned()))
        .collect();
    let m = |f: &str, t: &str, c: &str| (format!("\"{f}\""), format!("\"{t}\""), c.to_owned());
    assert_eq!(
        moves,
        [
            m("v1", "v1", "train"), // refused: v1 kept
            m("v1", "v2", "train --promote always"),
            m("v2", "v1", "rollback"),
            m("v1", "v2", "promote --force"),
        ]
    );
    assert_eq!(entries[0]["refused"], true);
    assert_eq!(entries[0]["gate"]["passed"], false);
    assert_eq!(entries[1]["gate"]["forced"], true);
    assert!(entries[1]["gate"]["comparison"]["auc"]["a"].is_number());
    let text = run(&["history", "--model", "leads", "--models", s(&models)]).ok().stdout;
    assert!(text.contains("gate refused against v1: AUC"), "{text}");
    assert!(text.contains("current: v2; challenger: none"), "{text}");
}

/// The shipped spec without `demo_requested` and `pricing_page_visits`, two of its strongest
/// features: a genuinely worse model of the same leads.
fn weaker_spec(path: &Path) {
    let spec = std::fs::read_to_string(root().join("data/spec.toml")).unwrap();
    let blocks: Vec<&str> = spec
        .split("\n\n")
        .filter(|b| !b.starts_with("[features.demo_requested]") && !b.starts_with("[features.pricing_page_visits]"))
        .collect();
    assert_eq!(blocks.len(), spec.split("\n\n").count() - 2);
    std::fs::write(path, blocks.join("\n\n")).unwrap();
}

#[test]
fn a_current_version_over_90_days_old_gives_way_to_a_near_miss_but_not_to_a_much_worse_one() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    // The operator's history says v1 became current on 1 January 2020: long over 90 days.
    std::fs::write(
        models.join("leads/HISTORY.jsonl"),
        "{\"at\":\"2020-01-01T00:00:00.000Z\",\"alias\":\"CURRENT\",\"from\":null,\"to\":\"v1\",\"command\":\"train\"}\n",
    )
    .unwrap();
    let small = dir.path().join("small.csv");
    sample_every(&small, 20, 3); // the near miss refused by the test above when v1's age is unknown
    let stale = train(&models, &small, &["--json"]);
    assert_eq!(stale.status, 0, "{}\n{}", stale.stdout, stale.stderr);
    let summary = stale.json();
    let message = summary["message"].as_str().unwrap();
    let verdict = &summary["gate"]["verdict"];
    assert_eq!((summary["promoted"].as_bool(), verdict["stale"].as_bool()), (Some(true), Some(true)), "{message}");
    // Worse beyond the noise on AUC, over the 1% log-loss margin, within 95% of v1 on both.
    let c = &summary["gate"]["comparison"];
    let (auc_a, auc_b) = (c["auc"]["a"].as_f64().unwrap(), c["auc"]["b"].as_f64().unwrap());
    let (ll_a, ll_b) = (c["log_loss"]["a"].as_f64().unwrap(), c["log_loss"]["b"].as_f64().unwrap());
    assert!(c["auc"]["interval"]["high"].as_f64().unwrap() < 0.0 && auc_b >= 0.95 * auc_a, "{c}");
    assert!(ll_b > 1.01 * ll_a && ll_b <= ll_a / 0.95, "{c}");
    assert!(verdict["current_age_days"].as_f64().unwrap() > 2000.0, "{verdict}");
    assert!(message.starts_with("v2 passed the gate against v1"), "{message}");
    assert!(
        message.contains("worse beyond the noise, but at least 95% of v1's, accepted because v1 has been current for "),
        "{message}"
    );
    assert!(message.contains(" days (over 90)") && message.ends_with("v2 now serves."), "{message}");
    assert_eq!(current(&models), "v2");
    // The verdict is the card's and the report's, as any gate's.
    let card: serde_json::Value =
        serde_json::from_slice(&std::fs::read(models.join("leads/v2/card.json")).unwrap()).unwrap();
    assert_eq!(card["promotion"]["gate"]["verdict"]["stale"], true);
    assert_eq!(card["promotion"]["policy"]["max_current_age_days"], 90);
    let report = std::fs::read_to_string(models.join("leads/v2/report.html")).unwrap();
    assert!(report.contains("Against v1, before promotion: passed") && report.contains("accepted because v1 has been"));

    // Back to v1 (its age still counts from 2020): `promote --max-current-age-days 0` and
    // `train --max-current-age-days 0` turn the rule off, and the near miss is refused again.
    run(&["rollback", "--model", "leads", "--models", s(&models)]).ok();
    let off =
        run(&["promote", "--model", "leads", "--version", "v2", "--max-current-age-days", "0", "--models", s(&models)]);
    assert_eq!(off.status, 3, "{}\n{}", off.stdout, off.stderr);
    assert!(off.stderr.contains("v2 was not promoted over v1") && !off.stderr.contains("accepted"), "{}", off.stderr);
    let off = train(&models, &small, &["--max-current-age-days", "0"]);
    assert_eq!(off.status, 3, "{}\n{}", off.stdout, off.stderr);
    assert!(off.stdout.contains("worse beyond the noise)") && !off.stdout.contains("accepted"), "{}", off.stdout);
    let bad = train(&models, &small, &["--max-current-age-days", "4000"]);
    assert_eq!(bad.status, 2);
    assert!(bad.stderr.contains("max_current_age_days = 4000 must be at most 3650"), "{}", bad.stderr);
    assert_eq!(current(&models), "v1");

    // A much worse candidate (two strong features dropped) is still refused, however old v1 is.
    let weaker = dir.path().join("weaker.toml");
    weaker_spec(&weaker);
    let worse = run(&["train", "--data", s(&small), "--spec", s(&weaker), "--name", "leads", "--models", s(&models)]);
    assert_eq!(worse.status, 3, "{}\n{}", worse.stdout, worse.stderr);
    let sentence = worse.stdout.lines().find(|l| l.contains("v3 was not promoted over v1")).unwrap();
    assert!(sentence.contains("below 95% of v1's even for a stale version"), "{sentence}");
    assert!(worse.stdout.contains("features dropped: demo_requested, pricing_page_visits"), "{}", worse.stdout);
    assert_eq!(current(&models), "v1");

    // The history: the stale promotion with its sentence, the refusals.
    let history = run(&["history", "--model", "leads", "--models", s(&models), "--json"]).ok();
    let entries: Vec<serde_json::Value> = history.stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let moves: Vec<(&str, bool)> =
        entries.iter().map(|e| (e["command"].as_str().unwrap(), e["refused"].as_bool().unwrap_or(false))).collect();
    assert_eq!(moves, [("train", false), ("train", false), ("rollback", false), ("train", true), ("train", true)]);
    assert!(entries[1]["gate"]["sentence"].as_str().unwrap().contains("accepted because v1 has been current"));
    assert_eq!(entries[1]["gate"]["stale"], true);
    let text = run(&["history", "--model", "leads", "--models", s(&models)]).ok().stdout;
    assert!(text.contains("gate passed against v1 (stale: current past the age limit): AUC"), "{text}");
}

#[test]
fn a_better_candidate_on_more_data_from_the_same_ground_truth_is_promoted() {
    let dir = scratch();
    let models = dir.path().join("models");
    let (few, many) = (dir.path().join("few.csv"), dir.path().join("many.csv"));
    run(&["synth", "--rows", "1500", "--seed", "5", "--out", s(&few)]).ok();
    run(&["synth", "--rows", "20000", "--seed", "6", "--out", s(&many)]).ok();
    let first = train(&models, &few, &[]).ok();
    assert!(first.stdout.contains("v1 is the first version of `leads`"), "{}", first.stdout);
    let better = train(&models, &many, &["--json"]).ok();
    let summary = better.json();
    assert_eq!((summary["version"].as_str(), summary["promoted"].as_bool()), (Some("v2"), Some(true)));
    let gate = &summary["gate"];
    assert_eq!(gate["verdict"]["passed"], true, "{}", summary["message"]);
    assert!(gate["comparison"]["auc"]["difference"].as_f64().unwrap() > 0.0, "{gate}");
    assert!(gate["comparison"]["log_loss"]["difference"].as_f64().unwrap() < 0.0, "{gate}");
    assert!(summary["message"].as_str().unwrap().contains("v2 passed the gate against v1"), "{}", summary["message"]);
    assert_eq!(current(&models), "v2");
}

#[test]
fn retrain_uses_the_current_spec_skips_without_new_leads_and_refuses_a_second_run() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    // The shipped data again: no closed deal dated after the current model's last training day.
    let skipped = run(&[
        "retrain",
        "--model",
        "leads",
        "--data",
        "data/leads.csv",
        "--min-new-leads",
        "1",
        "--models",
        s(&models),
    ]);
    assert_eq!(skipped.status, 4, "{}\n{}", skipped.stdout, skipped.stderr);
    assert!(skipped.stdout.contains("not retrained: 0 closed deals dated after"), "{}", skipped.stdout);
    assert!(skipped.stdout.contains("--min-new-leads is 1"), "{}", skipped.stdout);
    // While another retrain holds the model's lock, a second one stops at once, touching nothing.
    let registry = leadscore_registry::Registry::new(&models);
    let held = registry.lock_retrain("leads").unwrap();
    let second = run(&["retrain", "--model", "leads", "--data", "data/leads.csv", "--models", s(&models)]);
    assert_eq!(second.status, 2, "{}\n{}", second.stdout, second.stderr);
    assert!(second.stderr.contains("another retrain is running (pid"), "{}", second.stderr);
    drop(held);
    // Same data, same spec and seed: the same model, already current.
    let same = run(&["retrain", "--model", "leads", "--data", "data/leads.csv", "--models", s(&models)]).ok();
    assert!(same.stdout.contains("v1 is identical to the current version"), "{}", same.stdout);
    assert_eq!(
        std::fs::read_dir(models.join("leads"))
            .unwrap()
            .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('v'))
            .count(),
        1
    );
}

#[test]
fn prune_and_challenger_through_the_cli() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    for (i, v) in ["v2", "v3", "v4", "v5"].iter().enumerate() {
        let (bytes, _) = crate::util::shifted_model(0.01 * (i + 1) as f64);
        crate::util::put_version(&models, v, &bytes, false);
    }
    let m = s(&models);
    run(&["promote", "--model", "leads", "--version", "v3", "--force", "--models", m]).ok();
    run(&["challenger", "set", "--model", "leads", "--version", "v2", "--models", m]).ok();
    let out = run(&["prune", "--model", "leads", "--keep", "1", "--models", m]).ok().stdout;
    // current v3, previous v1, challenger v2, newest v5 stay.
    assert!(out.contains("removed v4; kept v1, v2, v3, v5"), "{out}");
    run(&["challenger", "clear", "--model", "leads", "--models", m]).ok();
    let err = run(&["challenger", "set", "--model", "leads", "--version", "v4", "--models", m]).fails().stderr;
    assert!(err.contains("has no version `v4`"), "{err}");
}

/// Checks the registry after a kill: CURRENT names a version that loads; the history reads.
#[track_caller]
fn check_valid(models: &Path, when: &str) {
    let version = current(models);
    let path = models.join("leads").join(&version).join("model.bin");
    leadscore_registry::Registry::load(&path).unwrap_or_else(|e| panic!("{when}: CURRENT = {version}: {e}"));
    let h = run(&["history", "--model", "leads", "--models", s(models), "--json"]);
    assert_eq!(h.status, 0, "{when}: {}", h.stderr);
    let last = h.stdout.lines().rev().find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok());
    if let Some(last) = last {
        assert!(last["to"].is_string(), "{when}: {last}");
    }
}

fn kill_after(args: &[&str], delay: Duration) {
    let mut child = bin().args(args).current_dir(root()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(delay);
    let _ = Command::new("kill").args(["-9", &child.id().to_string()]).status();
    let _ = child.wait();
}

#[test]
fn kill_9_at_any_point_leaves_current_valid_and_the_history_readable() {
    let dir = scratch();
    let models = shipped_registry(dir.path());
    let (bytes, _) = crate::util::shifted_model(0.05);
    crate::util::put_version(&models, "v2", &bytes, false);
    let m = s(&models);
    run(&["promote", "--model", "leads", "--version", "v2", "--force", "--models", m]).ok();
    for i in 0..40u64 {
        let delay = Duration::from_micros(250 * i);
        if i % 2 == 0 {
            kill_after(&["rollback", "--model", "leads", "--models", m], delay);
        } else {
            let target = if current(&models) == "v1" { "v2" } else { "v1" };
            kill_after(&["promote", "--model", "leads", "--version", target, "--force", "--models", m], delay);
        }
        check_valid(&models, &format!("promote/rollback killed after {delay:?}"));
    }
    let newer = dir.path().join("newer.csv");
    sample_every(&newer, 4, 3);
    for ms in [50u64, 300, 1000, 2500, 5000] {
        kill_after(
            &["retrain", "--model", "leads", "--data", s(&newer), "--promote", "always", "--models", m],
            Duration::from_millis(ms),
        );
        check_valid(&models, &format!("retrain killed after {ms} ms"));
    }
    // And a whole retrain afterwards still works (no stale lock, no half-written version in the way).
    let done = run(&["retrain", "--model", "leads", "--data", s(&newer), "--promote", "always", "--models", m]);
    assert_eq!(done.status, 0, "{}\n{}", done.stdout, done.stderr);
    check_valid(&models, "after a whole retrain");
}
