//! A large training part is searched on a sample (issue 13, item 5): above `--search-rows`
//! leads, the penalty, shape and pair searches judge a seeded stratified sample, and the model
//! is then fitted on every training lead at the settings chosen. The card and `train` say so;
//! at or below it nothing changes.

use leadscore_core::spec::Shape;
use leadscore_core::Artifact;
use leadscore_train::synth::{self, SynthParams};

use crate::shapes::{chosen, export, train};
use crate::util::{run, s, scratch};

const FLAGS: [&str; 4] = ["--target", "won", "--id", "lead_id"];

/// The flags-only training flags and `extra`.
fn with<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    FLAGS.iter().chain(extra).copied().collect()
}

#[test]
fn a_training_part_above_search_rows_is_searched_on_a_sample_and_fitted_on_every_lead() {
    let dir = scratch();
    let data = export(dir.path()); // 12,000 leads: 9,600 in the training part
    let models = dir.path().join("models");
    let (full_bytes, full) = train(&data, &models, "full", &FLAGS);
    let (bytes, sampled) = train(&data, &models, "sampled", &with(&["--search-rows", "6000"]));

    // Reported: in the artifact's warnings (the card and `train` print them), with the counts.
    assert!(full.warnings.iter().all(|w| w.code != "sampled_search"), "{:?}", full.warnings);
    let note = sampled.warnings.iter().find(|w| w.code == "sampled_search").expect("the sample is reported");
    assert!(
        note.message.contains("a stratified sample of 6000 of the 9600 training leads (seed 42)"),
        "{}",
        note.message
    );
    let card = run(&["inspect", "--model", s(&models.join("sampled/v1/model.bin")), "--json"]).ok().json();
    assert!(card.to_string().contains("a stratified sample of 6000 of the 9600 training leads"), "{card}");

    // The searches ran on the sample and still find the shapes that matter (on 6,000 leads the
    // line of `spend` may come out as bins, its steps fitting the line).
    let search = sampled.shape_search.as_ref().expect("the shape search ran");
    assert_eq!(chosen(search, "visits"), Shape::Log1p, "{search:#?}");
    assert!(matches!(chosen(search, "tenure"), Shape::Bins | Shape::Log1pBins), "{search:#?}");
    assert_eq!(chosen(search, "code"), Shape::Levels, "{search:#?}");
    assert_ne!(search, full.shape_search.as_ref().unwrap(), "judged on other rows");

    // The encoder and the published model are fitted on every training lead: the same training
    // part, and a held-out AUC within noise of the search on every lead.
    assert_eq!(sampled.training, full.training);
    let (a, b) = (sampled.holdout.auc.unwrap(), full.holdout.auc.unwrap());
    assert!((a - b).abs() < 0.005, "held-out AUC sampled {a} vs full {b}");

    // Seeded: the same data, flags and seed give the same bytes.
    let again = train(&data, &dir.path().join("again"), "sampled", &with(&["--search-rows", "6000"])).0;
    assert!(again == bytes, "the sampled search is deterministic");
    // At or above the training part's size, nothing is sampled: the bytes of the full search.
    let same = train(&data, &dir.path().join("same"), "full", &with(&["--search-rows", "9600"])).0;
    assert!(same == full_bytes, "a training part of --search-rows leads is searched whole");
}

#[test]
fn search_rows_below_the_minimum_are_refused_by_name() {
    let dir = scratch();
    let data = export(dir.path());
    let models = dir.path().join("models");
    let mut args = vec!["train", "--data", s(&data), "--models", s(&models), "--search-rows", "500"];
    args.extend(FLAGS);
    let err = run(&args).fails().stderr;
    assert!(err.contains("search-rows") && err.contains("at least 1000"), "{err}");
}

/// Pairs found on the sample are fitted on top of the additive model on every training lead, at
/// the penalty the search chose: each lead of the training part sits in one cell of each pair.
#[test]
fn pairs_found_on_the_sample_are_fitted_on_every_training_lead() {
    let dir = scratch();
    let csv = dir.path().join("inter.csv");
    // 24,000 leads in the training part, 20,000 of them in the sample.
    let params = SynthParams { rows: 30_000, seed: 42, interactions: true };
    synth::write_csv(&params, std::fs::File::create(&csv).unwrap()).unwrap();
    let models = dir.path().join("models");
    let args = ["--spec", "data/spec.toml", "--search-rows", "20000", "--refit", "train"];
    let mut argv = vec!["train", "--data", s(&csv), "--models", s(&models), "--name", "inter"];
    argv.extend(args);
    run(&argv).ok();
    let bytes = std::fs::read(models.join("inter/v1/model.bin")).unwrap();
    let artifact = Artifact::from_bytes(&bytes).unwrap();
    assert!(artifact.warnings.iter().any(|w| w.code == "sampled_search"), "{:?}", artifact.warnings);
    // Pairs of the ground truth only (on a sample this size the search finds one or both).
    let kept: Vec<&str> = artifact.encoder.pairs.iter().map(|p| p.name.as_str()).collect();
    assert!(!kept.is_empty(), "{:?}", artifact.pair_search);
    assert!(
        kept.iter().all(|k| ["demo_requested × job_level", "industry × pricing_page_visits"].contains(k)),
        "{kept:?}"
    );
    let search = artifact.pair_search.as_ref().unwrap();
    assert_eq!(search.candidates.iter().filter(|c| c.kept).count(), kept.len(), "{search:?}");
    assert_eq!(artifact.evidence.len(), artifact.encoder.n_columns);
    for pair in &artifact.encoder.pairs {
        let cells = &artifact.evidence[pair.offset..pair.offset + pair.width()];
        assert_eq!(cells.iter().map(|e| e.leads).sum::<u64>(), artifact.training.n_train, "{}", pair.name);
        assert!(cells.iter().all(|e| e.std_error.is_finite() && e.std_error > 0.0), "{}: {cells:?}", pair.name);
    }
    let shares: f64 = artifact
        .encoder
        .pairs
        .iter()
        .map(|p| artifact.encoder.baseline[p.offset..p.offset + p.width()].iter().sum::<f64>())
        .sum();
    assert!(
        (shares - kept.len() as f64).abs() < 1e-9,
        "each pair's cell shares of the training leads sum to one: {shares}"
    );
}
