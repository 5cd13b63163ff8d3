//! Pair terms end to end: the search keeps the pairs a synthetic ground truth has and nothing
//! else, none on data/leads.csv (generated without interactions), and one model with three
//! pairs scores the same through every path: the library, `leadscore score`, the server's JSON
//! and CSV routes, and its points version within the rounding it reports. The SQL engines score
//! that model in `tests/sql_engines.rs`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use leadscore_core::value::RawValue;
use leadscore_core::Artifact;
use leadscore_train::registry::Registry;
use leadscore_train::synth::{self, SynthParams};
use serde_json::Value;

use crate::util::{json_leads, root, run, s, scratch, serve_config, shipped_model, TestServer};

/// The pairs of `pairs_spec`: every kind of axis (yes/no × levels, levels × bins, bins with a
/// `(missing)` cell × bins).
pub const PAIRS: &str = r#"pairs = [["demo_requested", "job_level"], ["industry", "pricing_page_visits"], ["annual_revenue", "days_since_last_activity"]]"#;

/// `data/spec.toml` with [`PAIRS`], written into `dir`.
pub fn pairs_spec(dir: &Path) -> PathBuf {
    let spec = std::fs::read_to_string(root().join("data/spec.toml")).unwrap();
    let path = dir.join("pairs-spec.toml");
    std::fs::write(&path, format!("{PAIRS}\n{spec}")).unwrap();
    path
}

/// A model of `data/leads.csv` with the three pairs of [`PAIRS`] (fixed penalty: no search),
/// trained into `dir/models` as `pairs`.
pub fn train_pairs_model(dir: &Path) -> PathBuf {
    let models = dir.join("models");
    let spec = pairs_spec(dir);
    run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--spec",
        s(&spec),
        "--models",
        s(&models),
        "--name",
        "pairs",
        "--cv-folds",
        "0",
        "--l2",
        "1",
    ])
    .ok();
    models
}

fn load(models: &Path, name: &str) -> Artifact {
    Registry::load(&models.join(name).join("v1/model.bin")).unwrap().0
}

/// The ground truth of `synth --interactions` has two pairs (a senior lead who asked for a
/// demo; Software with two or more pricing visits): the search keeps exactly those, and the
/// model with them ranks the held-out leads better than its own additive part and within 0.01
/// of the true probabilities.
#[test]
fn the_search_keeps_the_pairs_of_the_ground_truth_and_only_those() {
    let dir = scratch();
    let csv = dir.path().join("inter.csv");
    let params = SynthParams { rows: 20_000, seed: 42, interactions: true };
    synth::write_csv(&params, std::fs::File::create(&csv).unwrap()).unwrap();
    let models = dir.path().join("models");
    let out = run(&[
        "train",
        "--data",
        s(&csv),
        "--spec",
        "data/spec.toml",
        "--models",
        s(&models),
        "--name",
        "inter",
        "--json",
    ])
    .ok();
    let summary = out.json();
    let artifact = load(&models, "inter");
    let mut kept: Vec<&str> = artifact.encoder.pairs.iter().map(|p| p.name.as_str()).collect();
    kept.sort_unstable();
    assert_eq!(kept, ["demo_requested × job_level", "industry × pricing_page_visits"]);
    let search = artifact.pair_search.as_ref().expect("the search ran");
    assert!(search.log_loss < search.base_log_loss, "{search:?}");
    for c in search.candidates.iter().filter(|c| c.kept) {
        assert!(c.cv_gain >= 2.0 * c.cv_gain_se && c.cv_gain >= search.min_gain, "{c:?}");
    }
    // Every judged candidate records the pull chosen with its penalty, the card too; a pair
    // without a number's bins (a flag by a categorical) has no neighbours, so no pull.
    assert!(search.candidates.iter().filter(|c| c.l2.is_finite()).all(|c| c.pull >= 0.0), "{search:?}");
    let demo = search.candidates.iter().find(|c| c.kept && c.features.contains(&"job_level".to_owned())).unwrap();
    assert_eq!(demo.pull, 0.0, "{demo:?}");
    let card = run(&["inspect", "--model", s(&models.join("inter/v1/model.bin")), "--json"]).ok().json();
    let listed = card["pair_search"]["candidates"].as_array().unwrap();
    assert!(listed.iter().filter(|c| c["kept"] == true).all(|c| c["pull"].is_f64()), "{card}");
    let text = run(&["inspect", "--model", s(&models.join("inter/v1/model.bin"))]).ok().stdout;
    let line = text.lines().find(|l| l.contains("kept demo_requested × job_level")).unwrap_or_default();
    assert!(line.contains("penalty ") && line.ends_with(", no pull"), "{text}");

    // The held-out leads (the newest 20%): the model, its additive part alone, the truth.
    let leads: Vec<synth::SynthLead> = synth::generate(&params).collect();
    let days: Vec<i32> =
        leads.iter().map(|l| leadscore_core::value::parse_day(&l.created_at.to_string()).unwrap()).collect();
    let split = leadscore_train::split::newest_holdout(&days, 0.2);
    // Held-out leads are judged with the fit that never saw them (the published model is refit
    // on every lead).
    let judged = artifact.evaluated().into_owned();
    let mut additive = judged.clone();
    let first_pair = additive.encoder.pairs[0].offset;
    additive.encoder.pairs.clear();
    additive.encoder.n_columns = first_pair;
    additive.encoder.baseline.truncate(first_pair);
    additive.model.weights.truncate(first_pair);
    additive.evidence.truncate(first_pair);
    additive.validate().unwrap();
    let score = |a: &Artifact, lead: &synth::SynthLead| {
        let record = lead.to_record();
        a.score(|name| {
            synth::HEADER.iter().position(|h| *h == name).map_or(RawValue::Missing, |i| RawValue::Text(&record[i]))
        })
        .unwrap()
        .probability
    };
    let y: Vec<bool> = split.holdout.iter().map(|&r| leads[r].won).collect();
    let auc = |p: Vec<f64>| leadscore_core::metrics::auc(&p, &y).unwrap();
    let with = auc(split.holdout.iter().map(|&r| score(&judged, &leads[r])).collect());
    let without = auc(split.holdout.iter().map(|&r| score(&additive, &leads[r])).collect());
    let oracle = auc(split.holdout.iter().map(|&r| leads[r].true_probability).collect());
    assert_eq!(with, summary["holdout"]["auc"].as_f64().unwrap(), "the library scores as training measured");
    eprintln!("held-out AUC: with pairs {with:.4}, additive part alone {without:.4}, true probabilities {oracle:.4}");
    assert!(with > without, "pairs {with} vs none {without}");
    assert!((with - oracle).abs() <= 0.01, "pairs {with} vs oracle {oracle}");
}

/// `data/leads.csv` comes from the ground truth without interactions: the shipped model (which
/// `shipped_model.rs` retrains from it) ran the search and kept no pair.
#[test]
fn the_shipped_model_searched_and_kept_no_pair() {
    let (_, artifact) = shipped_model();
    assert!(artifact.encoder.pairs.is_empty(), "{:?}", artifact.encoder.pairs);
    let search = artifact.pair_search.expect("the shipped model ran the pair search");
    assert!(search.candidates.len() >= 10 && search.candidates.iter().all(|c| !c.kept), "{search:?}");
    assert_eq!(search.log_loss, search.base_log_loss);
    let inspect = run(&["inspect", "--model", "leads"]).ok().stdout;
    assert!(inspect.contains("search: 105 pairs ranked by FAST"), "{inspect}");
}

/// Per lead id: probability text, score, tier, mql, the factor cells.
fn scored_csv(text: &str) -> HashMap<String, Vec<String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header.last().map(String::as_str), Some("error"));
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            assert_eq!(r.get(r.len() - 1), Some(""), "lead {}: {:?}", &r[0], r);
            (r[0].to_owned(), r.iter().skip(1).map(str::to_owned).collect())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_with_pairs_scores_the_same_in_the_library_the_cli_and_the_server() {
    let dir = scratch();
    let models = train_pairs_model(dir.path());
    let artifact = load(&models, "pairs");
    let names: Vec<&str> = artifact.encoder.pairs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["demo_requested × job_level", "industry × pricing_page_visits", "annual_revenue × days_since_last_activity"]
    );
    let inspect = run(&["inspect", "--models", s(&models), "--model", "pairs"]).ok().stdout;
    assert!(inspect.contains("demo_requested × job_level") && inspect.contains("cells, weights"), "{inspect}");
    // Every cell carries its evidence: the leads the published model learnt from that are in it
    // (each lead is in one cell of each pair; the refit learnt from every labelled lead) and a
    // finite standard error; the signal lists rank cells with every other term.
    assert_eq!(artifact.evidence.len(), artifact.encoder.n_columns);
    assert!(matches!(artifact.fitted_on, leadscore_core::report::FittedOn::AllRows { .. }));
    for pair in &artifact.encoder.pairs {
        let cells = &artifact.evidence[pair.offset..pair.offset + pair.width()];
        assert_eq!(cells.iter().map(|e| e.leads).sum::<u64>(), artifact.training.n_rows, "{}", pair.name);
        assert!(cells.iter().all(|e| e.std_error.is_finite() && e.std_error > 0.0), "{}: {cells:?}", pair.name);
    }
    let signals = leadscore_core::evidence::signals(&artifact);
    assert_eq!(signals.len(), artifact.encoder.n_columns);
    let cell = signals.iter().find(|s| s.column == "demo_requested × job_level = yes, vp").unwrap();
    assert!(cell.leads.is_some() && cell.odds_interval.is_some(), "{cell:?}");

    // 2,000 leads through the CLI, with every factor.
    let text = std::fs::read_to_string(root().join("data/leads.csv")).unwrap();
    let sample: String = text.lines().take(2001).collect::<Vec<_>>().join("\n") + "\n";
    let data = dir.path().join("sample.csv");
    std::fs::write(&data, &sample).unwrap();
    let cli = run(&["score", "--models", s(&models), "--model", "pairs", "--data", s(&data), "--explain", "20"]).ok();
    let cli = scored_csv(&cli.stdout);
    assert_eq!(cli.len(), 2000);
    // `feature=value (+0.123)`: the name and value, and the contribution.
    let factor = |cell: &str| -> (String, f64) {
        let (shown, contribution) = cell.rsplit_once(" (").unwrap();
        (shown.to_owned(), contribution.trim_end_matches(')').parse().unwrap())
    };

    // The library: every lead's probability to the bit, and its explanation names the pairs.
    let mut reader = csv::Reader::from_reader(sample.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let mut pair_factors = 0;
    for record in reader.records() {
        let record = record.unwrap();
        let field = |name: &str| {
            header.iter().position(|h| h == name).map_or(RawValue::Missing, |i| RawValue::Text(&record[i]))
        };
        let scored = artifact.score(field).unwrap();
        let row = &cli[&record[0]];
        assert_eq!(row[0].parse::<f64>().unwrap().to_bits(), scored.probability.to_bits(), "lead {}", &record[0]);
        assert_eq!(scored.contributions.len(), 15 + 3);
        for (k, c) in scored.contributions.iter().enumerate() {
            let (shown, contribution) = factor(&row[4 + k]);
            assert_eq!(shown, format!("{}={}", c.feature, c.value), "lead {}", &record[0]);
            assert!(
                (contribution - c.contribution).abs() <= 5e-4,
                "lead {}: {} vs {}",
                &record[0],
                row[4 + k],
                c.contribution
            );
        }
        let pair = scored.contributions.iter().find(|c| c.feature == "demo_requested × job_level").unwrap();
        let (demo, job) = (
            &record[header.iter().position(|h| h == "demo_requested").unwrap()],
            &record[header.iter().position(|h| h == "job_level").unwrap()],
        );
        let shown = |v: &str| if v.trim().is_empty() { "(missing)".to_owned() } else { v.trim().to_owned() };
        assert_eq!(pair.value, format!("{}, {}", shown(demo), shown(job)));
        pair_factors += usize::from(scored.contributions.iter().take(3).any(|c| c.feature.contains('×')));
    }
    assert!(pair_factors > 100, "pairs are among the top 3 factors of {pair_factors} leads only");

    // The server, JSON and CSV, on the same leads.
    let server = TestServer::start(serve_config(&models)).await;
    let leads = json_leads(&sample);
    let client = reqwest::Client::new();
    let body = serde_json::json!({ "explain": 20, "leads": leads });
    let response = client.post(server.url("/v1/score?model=pairs")).json(&body).send().await.unwrap();
    assert!(response.status().is_success());
    let json: Value = response.json().await.unwrap();
    for lead in json["scores"].as_array().unwrap() {
        let id = lead["id"].as_str().unwrap();
        let row = &cli[id];
        assert_eq!(
            lead["probability"].as_f64().unwrap().to_bits(),
            row[0].parse::<f64>().unwrap().to_bits(),
            "lead {id}"
        );
        let factors = lead["factors"].as_array().unwrap();
        assert_eq!(factors.len(), 18);
        for (k, f) in factors.iter().enumerate() {
            // JSON numbers are read as numbers (`4` may show as `4.0`): names and contributions.
            let (shown, contribution) = factor(&row[4 + k]);
            assert_eq!(shown.split_once('=').unwrap().0, f["feature"].as_str().unwrap(), "lead {id}");
            assert!((contribution - f["contribution"].as_f64().unwrap()).abs() <= 5e-4, "lead {id}: {shown}");
        }
    }
    let cli3 = run(&["score", "--models", s(&models), "--model", "pairs", "--data", s(&data)]).ok();
    let response = client
        .post(server.url("/v1/score?model=pairs"))
        .header(reqwest::header::CONTENT_TYPE, "text/csv")
        .body(sample.clone())
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let served = scored_csv(&response.text().await.unwrap());
    assert_eq!(served, scored_csv(&cli3.stdout), "the CSV route answers what `leadscore score` writes");
    server.stop().await;
}

/// The points version of a model with pairs: one `all` rule per cell, and on every lead the
/// points stand for the model's log-odds within the rounding and range averaging they report.
#[test]
fn a_model_with_pairs_becomes_points_with_rules_on_both_fields() {
    let dir = scratch();
    let models = train_pairs_model(dir.path());
    let toml = dir.path().join("points.toml");
    run(&["export-points", "--models", s(&models), "--model", "pairs", "--out", s(&toml)]).ok();
    let rules = std::fs::read_to_string(&toml).unwrap();
    assert!(rules.contains("when = { all = [{ field = \"demo_requested\", equals = true }, { field = \"job_level\", equals = \"vp\" }] }"), "{rules}");
    let spec = pairs_spec(dir.path());
    run(&["rules", "check", "--rules", s(&toml), "--spec", s(&spec)]).ok();
    let without = dir.path().join("points-without-pairs.toml");
    // The same model without its pairs (`--no-pairs`) gives the features' rules only.
    run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--spec",
        s(&spec),
        "--models",
        s(&models),
        "--name",
        "nopairs",
        "--cv-folds",
        "0",
        "--l2",
        "1",
        "--no-pairs",
    ])
    .ok();
    run(&["export-points", "--models", s(&models), "--model", "nopairs", "--out", s(&without)]).ok();
    assert!(!std::fs::read_to_string(&without).unwrap().contains("all = ["));

    let c = run(&[
        "compare",
        "--models",
        s(&models),
        "--model",
        "pairs",
        "--rules",
        s(&toml),
        "--data",
        "data/leads.csv",
        "--out",
        s(&dir.path().join("cmp")),
        "--json",
    ])
    .ok()
    .json();
    let model_auc = c["scorers"][0]["auc"].as_f64().unwrap();
    let points_auc = c["scorers"][1]["auc"].as_f64().unwrap();
    eprintln!("AUC on data/leads.csv: model with pairs {model_auc:.4}, its points {points_auc:.4}");
    assert!((model_auc - points_auc).abs() < 0.01, "model {model_auc} vs points {points_auc}");
}
