//! The marketers' view end to end: rules files checked with their lines, the model compared
//! with the shipped rules (figures recounted lead by lead), the model exported as points and
//! held against itself, and the worked X Education example of the README.

use std::collections::HashMap;
use std::path::Path;

use leadscore_core::rules::RuleSet;
use leadscore_core::value::RawValue;
use leadscore_core::Spec;
use serde_json::Value;

use crate::util::{root, run, s, scratch, train_xeducation, xeducation};

fn spec(path: &str) -> Spec {
    Spec::from_toml_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// Every row of a CSV file as a map from column name to cell.
fn rows(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = reader.headers().unwrap().iter().map(|h| h.trim().to_owned()).collect();
    reader.records().map(|r| header.iter().cloned().zip(r.unwrap().iter().map(str::to_owned)).collect()).collect()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"))
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{v} is not a count"))
}

#[test]
fn the_shipped_rules_files_pass_rules_check() {
    let out = run(&["rules", "check", "--rules", "data/rules.toml", "--spec", "data/spec.toml"]).ok();
    assert!(
        out.stdout.contains("data/rules.toml: ok: 20 rules in groups fit, engagement, MQL at 50 points"),
        "{}",
        out.stdout
    );
    let out = run(&[
        "rules",
        "check",
        "--rules",
        "data/rules-xeducation.toml",
        "--spec",
        "data/specs/xeducation-no-post-contact.toml",
    ])
    .ok();
    assert!(out.stdout.contains("ok: 23 rules"), "{}", out.stdout);
}

#[test]
fn rules_check_names_every_mistake_with_its_line() {
    let dir = scratch();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"mql_threshold = 50

[[rules]]
name = "VP title"
when = { field = "job_title", equals = "VP" }
points = 15

[[rules]]
name = "Many visits"
when = { field = "page_views", gte = "ten" }
points = 5

[[rules]]
name = "10 to 20 visits"
when = { field = "page_views", gte = 10, lte = 20 }
points = 5

[[rules]]
name = "20+ visits"
when = { field = "page_views", gte = 20 }
points = 10
"#,
    )
    .unwrap();
    let out = run(&["rules", "check", "--rules", s(&path), "--spec", "data/spec.toml"]).fails();
    assert_eq!(out.status, 2);
    let file = s(&path);
    for expected in [
        format!("{file}:5: rule `VP title`: field `job_title` is not a column of the spec; did you mean `job_level`?"),
        format!("{file}:10: rule `Many visits`: the text value \"ten\" compared with the number column `page_views`"),
        format!("{file}:18: rule `20+ visits` (`page_views` >= 20) overlaps rule `10 to 20 visits` on line 13"),
    ] {
        assert!(out.stderr.contains(&expected), "missing {expected:?} in\n{}", out.stderr);
    }
    assert!(out.stderr.contains("3 mistakes"), "{}", out.stderr);
    // An empty rule set.
    std::fs::write(&path, "mql_threshold = 50\n").unwrap();
    let out = run(&["rules", "check", "--rules", s(&path)]).fails();
    assert!(out.stderr.contains(":1: the rule set is empty"), "{}", out.stderr);
    // Points beyond the documented range (issue 10: `points = 1e308` passed and totals became null).
    std::fs::write(&path, "mql_threshold = 50\n[[rules]]\nname = \"huge\"\npoints = 1e308\n").unwrap();
    let out = run(&["rules", "check", "--rules", s(&path), "--spec", "data/spec.toml"]).fails();
    assert_eq!(out.status, 2);
    assert!(
        out.stderr.contains(":4: rule `huge`: `points` = 1e308 is not a finite number from -1000000 to 1000000"),
        "{}",
        out.stderr
    );
}

#[test]
fn compare_on_the_shipped_data_adds_up_lead_by_lead() {
    let dir = scratch();
    let out_dir = dir.path().join("cmp");
    let out = run(&[
        "compare",
        "--model",
        "leads",
        "--rules",
        "data/rules.toml",
        "--data",
        "data/leads.csv",
        "--out",
        s(&out_dir),
        "--json",
    ])
    .ok();
    let c = out.json();
    let from_file: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("compare.json")).unwrap()).unwrap();
    assert_eq!(c, from_file, "--json prints compare.json");
    let html = std::fs::read_to_string(out_dir.join("compare.html")).unwrap();
    assert!(html.contains("Who agrees, and who was right") && html.contains("</svg>"));

    // Recount every lead: the model's MQL flag from `leadscore score` (its own code path), the rules'
    // points from the library, the outcome from the file.
    let leads = rows(&root().join("data/leads.csv"));
    let n = leads.len() as u64;
    assert_eq!(u(&c["n_leads"]), n);
    let model_t = f(&c["own_threshold"][0]["threshold"]);
    let scored = dir.path().join("scored.csv");
    run(&[
        "score",
        "--model",
        "leads",
        "--data",
        "data/leads.csv",
        "--threshold",
        &model_t.to_string(),
        "--out",
        s(&scored),
    ])
    .ok();
    let model_mql: HashMap<String, bool> =
        rows(&scored).into_iter().map(|r| (r["lead_id"].clone(), r["mql"] == "true")).collect();
    let rules = RuleSet::from_toml_str(
        &std::fs::read_to_string(root().join("data/rules.toml")).unwrap(),
        &spec("data/spec.toml"),
    )
    .unwrap();
    let mut cells: HashMap<(bool, bool), (u64, u64)> = HashMap::new();
    let mut points = Vec::new();
    let mut fired = vec![0u64; rules.rules.len()];
    for lead in &leads {
        let score = rules.score(|name| lead.get(name).map_or(RawValue::Missing, |v| RawValue::Text(v))).unwrap();
        let won = lead["outcome"].trim() == "won";
        let cell = cells.entry((model_mql[&lead["lead_id"]], score.mql)).or_default();
        cell.0 += 1;
        cell.1 += u64::from(won);
        points.push((score.total, won));
        for f in &score.fired {
            fired[f.rule] += 1;
        }
    }
    let a = &c["agreement"];
    let mut total = 0;
    for (key, flags) in [
        ("both", (true, true)),
        ("model_only", (true, false)),
        ("rules_only", (false, true)),
        ("neither", (false, false)),
    ] {
        let (leads_here, won_here) = cells[&flags];
        assert_eq!((u(&a[key]["leads"]), u(&a[key]["won"])), (leads_here, won_here), "cell {key}");
        assert!((f(&a[key]["won_rate"]) - won_here as f64 / leads_here as f64).abs() < 1e-12, "cell {key}");
        total += u(&a[key]["leads"]);
    }
    assert_eq!(total, n, "the 2x2 table holds every lead once");

    // Equal volume: the rules' top V leads, V = the model's MQL count exactly; ties at the cut pro rata.
    let v = u(&c["own_threshold"][0]["mql_count"]);
    let row = c["equal_volume"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["volume_of"] == "model" && e["scorer"] == "rules")
        .unwrap()
        .clone();
    assert_eq!(u(&row["volume"]), v);
    let cut = f(&row["cut"]);
    let above: Vec<bool> = points.iter().filter(|(p, _)| *p > cut).map(|(_, w)| *w).collect();
    let tied: Vec<bool> = points.iter().filter(|(p, _)| *p == cut).map(|(_, w)| *w).collect();
    let need = v - above.len() as u64;
    assert!(need >= 1 && need <= tied.len() as u64);
    assert_eq!((u(&row["tied_at_cut"]), u(&row["taken_from_tie"])), (tied.len() as u64, need));
    let expected_won = above.iter().filter(|w| **w).count() as f64
        + tied.iter().filter(|w| **w).count() as f64 * need as f64 / tied.len() as f64;
    assert!((f(&row["won"]) - expected_won).abs() < 1e-9);
    assert!((f(&row["precision"]) - expected_won / v as f64).abs() < 1e-12);
    if need < tied.len() as u64 {
        assert!(row["note"].as_str().unwrap().contains(&format!("{need} of the {} leads tied", tied.len())));
    }

    // The rules threshold matching the model's volume gives the volume it reports.
    let m = &c["matching"][0];
    assert_eq!(m["scorer"], "rules");
    let t = f(&m["threshold"]);
    assert_eq!(u(&m["volume"]), points.iter().filter(|(p, _)| *p >= t).count() as u64);

    // Rules have no probabilities: no log loss is invented for them.
    assert!(c["scorers"][1]["log_loss"].is_null() && c["scorers"][0]["log_loss"].is_f64());
    // Disagreements carry the lead id, the model's factors and the rules that fired.
    let d = &c["disagreements"]["model_only"][0];
    assert!(d["id"].as_str().unwrap().starts_with('L'), "{d}");
    assert_eq!(d["model_factors"].as_array().unwrap().len(), 3);
    // Every rule's firing count agrees with the library's.
    for (i, rule) in rules.rules.iter().enumerate() {
        assert_eq!(u(&c["rules"][i]["fired"]), fired[i], "rule {}", rule.name);
    }
}

/// The shipped model's points version against the model on the held-out leads.
#[test]
fn export_points_keeps_the_ranking_of_the_shipped_model() {
    let dir = scratch();
    let toml = dir.path().join("points.toml");
    run(&["export-points", "--model", "leads", "--out", s(&toml)]).ok();
    run(&["rules", "check", "--rules", s(&toml), "--spec", "data/spec.toml"]).ok();
    let csv = dir.path().join("points.csv");
    run(&["export-points", "--model", "leads", "--format", "csv", "--scale", "20", "--out", s(&csv)]).ok();
    let table = std::fs::read_to_string(&csv).unwrap();
    assert!(table.starts_with("field,condition,points\n"));
    assert!(table.contains("demo_requested,is yes,"), "{table}");

    // The exported file itself, as a rule set, against the model on its held-out leads.
    let c = run(&[
        "compare",
        "--model",
        "leads",
        "--rules",
        s(&toml),
        "--data",
        "data/leads.csv",
        "--holdout",
        "--out",
        s(&dir.path().join("cmp")),
        "--json",
    ])
    .ok()
    .json();
    let card: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("models/leads/v1/card.json")).unwrap()).unwrap();
    assert_eq!(u(&c["n_leads"]), u(&card["training"]["n_holdout"]), "exactly the held-out leads");
    let model_auc = f(&c["scorers"][0]["auc"]);
    let points_auc = f(&c["scorers"][1]["auc"]);
    eprintln!("held-out AUC: model {model_auc:.4}, exported points {points_auc:.4}");
    assert!((model_auc - points_auc).abs() < 0.01, "model {model_auc} vs points {points_auc}");
    // On held-out leads the in-memory points version is the judged fit's (the model fitted on the
    // training part, `Artifact::evaluated`), the exported file the published refit's: close.
    assert!((f(&c["scorers"][2]["auc"]) - points_auc).abs() < 0.01);
    // On every lead both are the published model's: the in-memory points version is the same
    // table as the exported file, so the same AUC.
    let every = run(&[
        "compare",
        "--model",
        "leads",
        "--rules",
        s(&toml),
        "--data",
        "data/leads.csv",
        "--out",
        s(&dir.path().join("cmp-all")),
        "--json",
    ])
    .ok()
    .json();
    assert!((f(&every["scorers"][2]["auc"]) - f(&every["scorers"][1]["auc"])).abs() < 1e-12, "{}", every["scorers"]);
    // At the model's volume the exported points take nearly the model's wins.
    let model_won = f(&c["equal_volume"][0]["won"]);
    let points_won = f(&c["equal_volume"][1]["won"]);
    assert!((model_won - points_won).abs() <= 0.02 * model_won, "{model_won} vs {points_won}");
}

#[test]
fn holdout_needs_the_training_file() {
    let dir = scratch();
    let part = dir.path().join("part.csv");
    let text = std::fs::read_to_string(root().join("data/leads.csv")).unwrap();
    std::fs::write(&part, text.lines().take(3001).collect::<Vec<_>>().join("\n")).unwrap();
    let out = run(&[
        "compare",
        "--model",
        "leads",
        "--rules",
        "data/rules.toml",
        "--data",
        s(&part),
        "--holdout",
        "--out",
        s(&dir.path().join("cmp")),
    ])
    .fails();
    assert!(out.stderr.contains("is not the file the model was trained on"), "{}", out.stderr);
    // Without --holdout the same file compares fine.
    let out = run(&[
        "compare",
        "--model",
        "leads",
        "--rules",
        "data/rules.toml",
        "--data",
        s(&part),
        "--out",
        s(&dir.path().join("cmp")),
    ])
    .ok();
    assert!(out.stdout.contains("3000 leads"), "{}", out.stdout);
}

/// The worked example of the README: X Education's marketers' rules against the model,
/// on the model's held-out leads.
#[test]
fn xeducation_rules_against_the_model() {
    let Some(data) = xeducation() else { return };
    let dir = scratch();
    let models = dir.path().join("models");
    train_xeducation(&data, &models, &[]);
    let out = run(&[
        "compare",
        "--models",
        s(&models),
        "--model",
        "xeducation",
        "--rules",
        "data/rules-xeducation.toml",
        "--data",
        s(&data),
        "--holdout",
        "--out",
        s(&dir.path().join("cmp")),
    ])
    .ok();
    eprintln!("{}", out.stdout);
    let c: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("cmp/compare.json")).unwrap()).unwrap();
    // 20% of 9,240 leads, stratified: 1,848 held out.
    assert_eq!(u(&c["n_leads"]), 1848);
    let a = &c["agreement"];
    let sum: u64 = ["both", "model_only", "rules_only", "neither"].iter().map(|k| u(&a[*k]["leads"])).sum();
    assert_eq!(sum, 1848);
    let (model, rules) = (f(&c["scorers"][0]["auc"]), f(&c["scorers"][1]["auc"]));
    assert!(model > 0.88 && model > rules + 0.05, "model {model} vs rules {rules}");
    // Where they disagree, the model is right more often: its MQLs the rules reject win more
    // often than the rules' MQLs it rejects.
    assert!(f(&a["model_only"]["won_rate"]) > f(&a["rules_only"]["won_rate"]));
    // Its points version loses little.
    assert!(f(&c["points_version_auc_cost"]).abs() < 0.01);
}
