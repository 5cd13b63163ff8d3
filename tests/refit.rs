//! The published model: refit on every labelled lead (`--refit all`, the default) or the fit on
//! the training part (`--refit train`), and which of the two the figures describe (issue 13,
//! item 4).

use std::path::Path;

use leadscore_core::report::FittedOn;
use leadscore_core::Artifact;
use serde_json::Value;

use crate::util::*;

fn train(data: &Path, models: &Path, name: &str, refit: &str) -> Artifact {
    run(&[
        "train",
        "--data",
        s(data),
        "--spec",
        "data/spec.toml",
        "--models",
        s(models),
        "--name",
        name,
        "--refit",
        refit,
        "--cv-folds",
        "3",
    ])
    .ok();
    Artifact::from_bytes(&std::fs::read(models.join(name).join("v1/model.bin")).unwrap()).unwrap()
}

/// Sum of log losses plus the L2 penalty linfa minimises (`l2 / 2 · |w|²`, intercept free), of
/// `model` on every lead of `data`.
fn objective(artifact: &Artifact, model: &leadscore_core::model::LogisticModel, data: &Path) -> f64 {
    let table =
        leadscore_io::csv_source::read_table(data, &artifact.spec, &leadscore_io::csv_source::NoProgress).unwrap();
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    let x = leadscore_train::design::design_matrix(&artifact.encoder, &table, &rows).unwrap();
    let mut loss = 0.0;
    for (r, row) in x.rows().into_iter().enumerate() {
        let z = model.intercept + row.iter().zip(&model.weights).map(|(a, w)| a * w).sum::<f64>();
        // log(1 + e^z) - y z, stable for either sign of z.
        let softplus = if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() };
        loss += softplus - if table.target[r] { z } else { 0.0 };
    }
    loss + artifact.regularisation.l2 / 2.0 * model.weights.iter().map(|w| w * w).sum::<f64>()
}

/// The refit changes the published coefficients and nothing the held-out leads judged: the same
/// figures, curve, thresholds, tiers, encoder and penalty as the fit on the training part, which
/// the artifact keeps as the evaluated model. The refit minimises the penalised loss over every
/// lead (below the training-part fit's), the card and `inspect` say which model the figures
/// describe, and `compare --holdout` scores the held-out leads with the model that never saw them.
#[test]
fn the_refit_learns_from_every_lead_and_the_figures_stay_those_of_the_judged_fit() {
    let dir = scratch();
    let data = dir.path().join("leads.csv");
    sample_every(&data, 4, 1);
    let models = dir.path().join("models");
    let part = train(&data, &models, "part", "train");
    let all = train(&data, &models, "all", "all");

    assert_eq!(part.fitted_on, FittedOn::TrainingPart);
    let FittedOn::AllRows { evaluated } = &all.fitted_on else { panic!("--refit all: {:?}", all.fitted_on) };
    assert_eq!(evaluated, &part.model, "the evaluated model is the fit on the training part");
    assert_ne!(all.model, part.model, "the published model is refit");
    assert_eq!(
        (&all.holdout, &all.curve, &all.thresholds, &all.tiers, &all.encoder, &all.regularisation, &all.cv),
        (&part.holdout, &part.curve, &part.thresholds, &part.tiers, &part.encoder, &part.regularisation, &part.cv),
        "the figures and settings are those of the judged fit"
    );
    assert_eq!(all.training, part.training);
    let (n_rows, n_train) = (all.training.n_rows, all.training.n_train);
    assert!(n_rows > n_train && n_train > 0);

    let (refit, judged) = (objective(&all, &all.model, &data), objective(&all, &part.model, &data));
    eprintln!("penalised loss over all {n_rows} leads: refit {refit:.3}, training-part fit {judged:.3}");
    assert!(refit < judged, "the refit minimises the loss over every lead: {refit} vs {judged}");

    // Evidence counts the leads the published model learnt from.
    let most = |a: &Artifact| a.evidence.iter().map(|e| e.leads).max().unwrap();
    assert_eq!((most(&all), most(&part)), (n_rows, n_train));

    // What people read.
    let card = run(&["inspect", "--models", s(&models), "--model", "all", "--json"]).ok().json();
    assert_eq!(card["fitted_on"]["part"], "all");
    assert_eq!(card["fitted_on"]["leads"].as_u64(), Some(n_rows));
    let figures = card["fitted_on"]["figures"].as_str().unwrap();
    assert!(figures.contains(&format!("fit on the training part ({n_train} leads)")), "{figures}");
    let text = run(&["inspect", "--models", s(&models), "--model", "all"]).ok().stdout;
    assert!(text.contains(&format!("refit on all {n_rows} labelled leads")), "{text}");
    let card = run(&["inspect", "--models", s(&models), "--model", "part", "--json"]).ok().json();
    assert_eq!(
        (card["fitted_on"]["part"].as_str(), card["fitted_on"]["leads"].as_u64()),
        (Some("training"), Some(n_train))
    );
    let report = std::fs::read_to_string(models.join("all/v1/report.html")).unwrap();
    assert!(report.contains(&format!("refit on all {n_rows} labelled leads")), "report.html says which model");

    // compare --holdout: the same comparison for both, since both score the held-out leads with
    // the fit that never saw them.
    let compare = |name: &str| -> Value {
        run(&[
            "compare",
            "--models",
            s(&models),
            "--model",
            name,
            "--rules",
            "data/rules.toml",
            "--data",
            s(&data),
            "--holdout",
            "--out",
            s(&dir.path().join(format!("cmp-{name}"))),
            "--json",
        ])
        .ok()
        .json()
    };
    let (c_all, c_part) = (compare("all"), compare("part"));
    assert_eq!(c_all["n_leads"].as_u64(), Some(all.training.n_holdout));
    assert_eq!(c_all["scorers"][0]["auc"], c_part["scorers"][0]["auc"]);
    assert_eq!(c_all["scorers"][0]["auc"].as_f64(), all.holdout.auc, "the card's held-out AUC, recomputed");
    assert!(
        c_all["labels"]["data"].as_str().unwrap().contains("scored by the fit on the training part"),
        "{}",
        c_all["labels"]
    );
}

/// `retrain` keeps the current version's choice, as it keeps its seed and its search.
#[test]
fn retrain_keeps_the_current_versions_choice() {
    let dir = scratch();
    let data = dir.path().join("leads.csv");
    sample_every(&data, 8, 1);
    let models = dir.path().join("models");
    train(&data, &models, "part", "train");
    sample_every(&data, 8, 2);
    let out = run(&["retrain", "--models", s(&models), "--model", "part", "--data", s(&data), "--promote", "never"]);
    assert_eq!(out.status, 3, "exit 3: trained, not promoted (--promote never)\n{}\n{}", out.stdout, out.stderr);
    let v2 = Artifact::from_bytes(&std::fs::read(models.join("part/v2/model.bin")).unwrap()).unwrap();
    assert_eq!(v2.fitted_on, FittedOn::TrainingPart);
}
