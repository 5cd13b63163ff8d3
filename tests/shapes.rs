//! Numbers' shapes chosen by the data (issue 13, item 2): trained from the flags alone, each
//! number's reading is the one whose out-of-fold log loss on the training part is lowest, and
//! the model card, `inspect` and the report say which won and by how much; a spec can pin a
//! shape, and a pinned number is not searched.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use leadscore_core::encode::Transform;
use leadscore_core::report::ShapeSearch;
use leadscore_core::spec::Shape;
use leadscore_core::Artifact;

use crate::util::{run, s, scratch};

/// A deterministic stream of uniform numbers in [0, 1) (SplitMix64).
struct Draws(u64);

impl Draws {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) as f64 / 2f64.powi(64)
    }
}

/// Unordered effects of the twelve codes of `code`.
const CODE_EFFECT: [f64; 12] = [0.0, 1.2, -0.9, 0.8, -1.1, 0.3, 1.0, -0.5, -1.3, 0.9, -0.2, 0.6];

/// 12,000 leads whose log-odds add four numbers' effects, each of a known shape: `spend`
/// (uniform 0-100) along a line, `visits` (a skewed count) along `ln(1 + x)`, `tenure`
/// (uniform 0-100) as a step at 60, `code` (1-12) with an unordered effect per value.
pub(crate) fn export(dir: &Path) -> PathBuf {
    let mut draws = Draws(7);
    let mut text = String::from("lead_id,spend,visits,tenure,code,won\n");
    for i in 0..12_000 {
        let spend = (draws.next() * 100.0).round();
        // A count with a long right tail: 0 for one lead in seven, up to 299.
        let visits = (draws.next().powi(3) * 300.0).floor();
        let tenure = (draws.next() * 100.0).round();
        let code = 1 + (draws.next() * 12.0) as usize % 12;
        let z = -1.5 + 0.03 * (spend - 50.0) + 0.9 * (visits + 1.0).ln() - 2.0
            + if tenure >= 60.0 { 1.6 } else { 0.0 }
            + CODE_EFFECT[code - 1];
        let won = draws.next() < 1.0 / (1.0 + (-z).exp());
        writeln!(text, "L{i:05},{spend},{visits},{tenure},{code},{}", u8::from(won)).unwrap();
    }
    let path = dir.join("shapes.csv");
    std::fs::write(&path, text).unwrap();
    path
}

pub(crate) fn train(data: &Path, models: &Path, name: &str, extra: &[&str]) -> (Vec<u8>, Artifact) {
    let mut args =
        vec!["train", "--data", s(data), "--models", s(models), "--name", name, "--json", "--max-pairs", "0"];
    args.extend(extra);
    let summary = run(&args).ok().json();
    let bytes = std::fs::read(summary["model_path"].as_str().unwrap()).unwrap();
    let artifact = Artifact::from_bytes(&bytes).unwrap();
    (bytes, artifact)
}

pub(crate) fn chosen(search: &ShapeSearch, feature: &str) -> Shape {
    search.features.iter().find(|c| c.feature == feature).unwrap_or_else(|| panic!("{feature}: {search:?}")).chosen
}

#[test]
fn flags_only_training_picks_each_numbers_true_shape_and_says_why() {
    let dir = scratch();
    let data = export(dir.path());
    let models = dir.path().join("models");
    let (bytes, artifact) = train(&data, &models, "shapes", &["--target", "won", "--id", "lead_id"]);
    let search = artifact.shape_search.as_ref().expect("the shape search ran");
    assert_eq!(chosen(search, "spend"), Shape::Linear, "{search:#?}");
    assert_eq!(chosen(search, "visits"), Shape::Log1p, "{search:#?}");
    assert!(matches!(chosen(search, "tenure"), Shape::Bins | Shape::Log1pBins), "a step needs bins: {search:#?}");
    assert_eq!(chosen(search, "code"), Shape::Levels, "{search:#?}");
    // Every candidate's out-of-fold log loss is recorded, the winner is the lowest or a simpler
    // shape within its columns' worth of it, and the search beat its starting shapes.
    for choice in &search.features {
        let won = choice.candidates.iter().find(|c| c.shape == choice.chosen).unwrap();
        for c in &choice.candidates {
            let extra = f64::from(c.columns.saturating_sub(won.columns));
            assert!(c.log_loss >= won.log_loss - search.min_gain * extra - 1e-15, "{choice:#?}");
        }
        assert!(!choice.why.is_empty());
    }
    assert!(search.log_loss < search.base_log_loss, "{search:#?}");
    // The model reads the codes one column per value.
    let names = artifact.encoder.column_names();
    assert!(names.iter().filter(|n| n.starts_with("code in [")).count() == 12, "{names:?}");
    assert!(names.iter().any(|n| n == "log1p(visits)") && names.iter().any(|n| n == "spend"), "{names:?}");

    // `inspect`, the card and the report say which shape won and why.
    let model = models.join("shapes/v1/model.bin");
    let text = run(&["inspect", "--model", s(&model)]).ok().stdout;
    assert!(text.contains("shapes (each `shape = \"auto\"` number's reading"), "{text}");
    let line = text.lines().find(|l| l.trim_start().starts_with("visits ")).unwrap();
    assert!(line.contains("log1p (from log1p_bins; out-of-fold log loss linear "), "{line}");
    let card = run(&["inspect", "--model", s(&model), "--json"]).ok().json();
    assert_eq!(card["shape_search"]["features"].as_array().unwrap().len(), 4, "{card}");
    let report = std::fs::read_to_string(models.join("shapes/v1/report.html")).unwrap();
    assert!(report.contains("<h2>Shapes of numbers</h2>") && report.contains("<code>code</code></td><td>levels"));

    // The same data, flags and seed give the same bytes; `spec infer`'s draft, fed back to
    // `train`, gives that model too (the draft says `shape = "auto"`).
    let again = train(&data, &dir.path().join("again"), "shapes", &["--target", "won", "--id", "lead_id"]).0;
    assert!(again == bytes, "the search is deterministic");
    let spec = dir.path().join("spec.toml");
    run(&["spec", "infer", "--data", s(&data), "--target", "won", "--id", "lead_id", "--out", s(&spec)]).ok();
    let draft = std::fs::read_to_string(&spec).unwrap();
    assert!(draft.contains("[features.code]\nkind = \"numeric\"\nshape = \"auto\""), "{draft}");
    assert!(draft.contains("training picks linear, log1p, 5 quantile bins, log1p + bins or a smooth staircase of 20 bins, or one column per value"));
    let fed = train(&data, &dir.path().join("fed"), "shapes", &["--spec", s(&spec)]).0;
    assert!(fed == bytes, "spec infer's draft trains the flags-only model");
}

#[test]
fn a_pinned_shape_is_not_searched_and_no_search_keeps_the_start() {
    let dir = scratch();
    let data = export(dir.path());
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "ids = [\"lead_id\"]\n[target]\ncolumn = \"won\"\npositive = [\"1\"]\n\
         [features.spend]\nkind = \"numeric\"\nshape = \"auto\"\n\
         [features.visits]\nkind = \"numeric\"\nlog1p = true\n\
         [features.tenure]\nkind = \"numeric\"\nshape = \"linear\"\n\
         [features.code]\nkind = \"numeric\"\nshape = \"levels\"\n",
    )
    .unwrap();
    let models = dir.path().join("models");
    let (_, artifact) = train(&data, &models, "pinned", &["--spec", s(&spec)]);
    let search = artifact.shape_search.as_ref().unwrap();
    let searched: Vec<&str> = search.features.iter().map(|c| c.feature.as_str()).collect();
    assert_eq!(searched, ["spend"], "only the auto number is searched");
    let names = artifact.encoder.column_names();
    assert!(names.iter().any(|n| n == "log1p(visits)") && !names.iter().any(|n| n.starts_with("visits in")));
    assert!(names.iter().any(|n| n == "tenure") && !names.iter().any(|n| n.starts_with("tenure in")), "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("code in [")).count(), 12, "{names:?}");

    // Without the search, an auto number keeps the draft's rule (bins: 101 distinct values).
    let (_, off) = train(&data, &models, "off", &["--spec", s(&spec), "--no-shape-search"]);
    assert!(off.shape_search.is_none());
    assert!(off.encoder.column_names().iter().any(|n| n.starts_with("spend in [")));

    // A search out of time keeps the start, says so, and warns.
    let (_, late) = train(&data, &models, "late", &["--spec", s(&spec), "--shape-budget", "0"]);
    let search = late.shape_search.as_ref().unwrap();
    assert!(search.out_of_time && search.features.is_empty(), "{search:?}");
    assert!(search.stopped.contains("the time budget of 0 s ran out after 0 numbers"), "{}", search.stopped);
    assert!(late.warnings.iter().any(|w| w.code == "shape_search_budget" && w.message.contains("--shape-budget")));
    assert!(late.encoder.column_names().iter().any(|n| n.starts_with("spend in [")));

    // A shape and `log1p`/`bins` on one feature, or a shape on a category, are refused by name.
    let both = dir.path().join("both.toml");
    std::fs::write(
        &both,
        std::fs::read_to_string(&spec).unwrap().replace("log1p = true", "log1p = true\nshape = \"bins\""),
    )
    .unwrap();
    let err = run(&["train", "--data", s(&data), "--spec", s(&both), "--models", s(&models)]).fails().stderr;
    assert!(
        err.contains("features.visits: shape = \"bins\" already says how the number is read; drop `log1p`"),
        "{err}"
    );
    let many = dir.path().join("many.toml");
    std::fs::write(&many, std::fs::read_to_string(&spec).unwrap().replace("shape = \"linear\"", "shape = \"levels\""))
        .unwrap();
    let err = run(&["train", "--data", s(&data), "--spec", s(&many), "--models", s(&models)]).fails().stderr;
    assert!(err.contains("features.tenure: shape = \"levels\" reads at most 50 distinct values"), "{err}");
    let category =
        "[target]\ncolumn = \"won\"\npositive = [\"1\"]\n[features.c]\nkind = \"categorical\"\nshape = \"auto\"\n";
    let err = leadscore_core::Spec::from_toml_str(category).unwrap_err().to_string();
    assert!(err.contains("features.c: option `shape` does not apply to a categorical feature"), "{err}");
}

/// 12,000 leads whose log-odds follow `age` (uniform 0-100) along a hump (a sine, highest at
/// 50), which neither a line nor `log1p` can follow and five bins follow coarsely.
fn hump(dir: &Path) -> PathBuf {
    let mut draws = Draws(11);
    let mut text = String::from("lead_id,age,won\n");
    for i in 0..12_000 {
        let age = (draws.next() * 1000.0).round() / 10.0;
        let z = -1.0 + 1.5 * (age / 100.0 * std::f64::consts::PI).sin();
        let won = draws.next() < 1.0 / (1.0 + (-z).exp());
        writeln!(text, "L{i:05},{age},{}", u8::from(won)).unwrap();
    }
    let path = dir.join("hump.csv");
    std::fs::write(&path, text).unwrap();
    path
}

/// The bin levels of `feature` as published (one weight per bin, in bin order).
fn bin_levels(artifact: &Artifact, feature: &str) -> Vec<f64> {
    let names = artifact.encoder.column_names();
    let prefix = format!("{feature} in [");
    names.iter().zip(&artifact.model.weights).filter(|(n, _)| n.starts_with(&prefix)).map(|(_, w)| *w).collect()
}

#[test]
fn a_smooth_effect_chooses_the_smooth_shape_published_as_ordinary_bins() {
    let dir = scratch();
    let data = hump(dir.path());
    let models = dir.path().join("models");
    let (bytes, artifact) = train(&data, &models, "hump", &["--target", "won", "--id", "lead_id"]);
    let search = artifact.shape_search.as_ref().expect("the shape search ran");
    assert!(matches!(chosen(search, "age"), Shape::Smooth | Shape::Log1pSmooth), "{search:#?}");
    let choice = &search.features[0];
    assert!(choice.why.contains("steps between its bins penalised"), "{choice:#?}");
    let smooth = choice.candidates.iter().find(|c| c.shape == choice.chosen).unwrap();
    let bins = choice.candidates.iter().find(|c| c.shape == Shape::Bins).unwrap();
    assert!(smooth.log_loss < bins.log_loss, "{choice:#?}");
    // Published as the line and ten bins, one weight each, centred on the training leads.
    let levels = bin_levels(&artifact, "age");
    assert_eq!(levels.len(), 20, "{:?}", artifact.encoder.column_names());
    // The line and the bins together follow the hump: the effect at each bin's middle.
    let feature = artifact.encoder.features.iter().find(|f| f.name == "age").unwrap();
    let Transform::Numeric(enc) = &feature.transform else { panic!("age is a number") };
    let effect: Vec<f64> = (0..20)
        .map(|b| {
            let x = 2.5 + 5.0 * b as f64;
            let t = if enc.log1p { x.ln_1p() } else { x };
            artifact.model.weights[feature.offset] * (t - enc.mean) / enc.std + levels[b]
        })
        .collect();
    assert!(effect[9] > effect[0] + 0.6 && effect[10] > effect[19] + 0.6, "a hump: {effect:?}");
    let model = models.join("hump/v1/model.bin");
    let text = run(&["inspect", "--model", s(&model)]).ok().stdout;
    let line = text.lines().find(|l| l.trim_start().starts_with("age ") && l.contains("(from ")).unwrap();
    assert!(line.contains("smooth (from bins; out-of-fold log loss linear "), "{line}");
    let report = std::fs::read_to_string(models.join("hump/v1/report.html")).unwrap();
    assert!(report.contains("smooth"), "the report names the shape");
    // Deterministic like every search.
    let again = train(&data, &dir.path().join("again"), "hump", &["--target", "won", "--id", "lead_id"]).0;
    assert!(again == bytes, "the search is deterministic");
}

#[test]
fn a_pinned_smooth_shape_is_a_fused_fit_of_the_same_bins() {
    let dir = scratch();
    let data = hump(dir.path());
    let spec = |shape: &str| {
        let path = dir.path().join(format!("{}.toml", shape.replace(' ', "")));
        std::fs::write(
            &path,
            format!(
                "ids = [\"lead_id\"]\n[target]\ncolumn = \"won\"\npositive = [\"1\"]\n\
                 [features.age]\nkind = \"numeric\"\n{shape}\n"
            ),
        )
        .unwrap();
        path
    };
    let models = dir.path().join("models");
    let (_, smooth) = train(&data, &models, "smooth", &["--spec", s(&spec("shape = \"smooth\""))]);
    let (_, free) = train(&data, &models, "free", &["--spec", s(&spec("bins = 20"))]);
    // The same columns (the line and ten quantile bins): only the fit differs.
    assert_eq!(smooth.encoder, free.encoder);
    assert!(smooth.shape_search.is_none(), "a pinned shape is not searched");
    // The steps between neighbouring bins are shrunk: a smoother staircase than free levels.
    let roughness = |w: &[f64]| w.windows(3).map(|t| (t[0] - 2.0 * t[1] + t[2]).powi(2)).sum::<f64>();
    let (a, b) = (bin_levels(&smooth, "age"), bin_levels(&free, "age"));
    assert!(roughness(&a) < roughness(&b), "smooth {a:?} against free {b:?}");
    // Centred on the training leads: the bins' share-weighted mean level is zero.
    let names = smooth.encoder.column_names();
    let centre: f64 = names
        .iter()
        .zip(&smooth.model.weights)
        .zip(&smooth.encoder.baseline)
        .filter(|((n, _), _)| n.starts_with("age in ["))
        .map(|((_, w), share)| w * share)
        .sum();
    assert!(centre.abs() < 1e-9, "{centre}");
    // Held out, no worse than the free levels.
    let (sa, sb) = (smooth.holdout.log_loss, free.holdout.log_loss);
    assert!(sa <= sb + 0.002, "smooth {sa} against free {sb}");
}
