//! A whole training run: split, encode, choose the penalty, choose numbers' shapes, fit, find
//! pairs, evaluate, refit on every lead, package.

use std::collections::BTreeMap;

use ndarray::{Array1, Array2, ArrayView1};

use leadscore_core::artifact::Artifact;
use leadscore_core::curve::OperatingCurve;
use leadscore_core::encode::Encoder;
use leadscore_core::model::LogisticModel;
use leadscore_core::report::{FeatureDistribution, FittedOn, Holdout, Regularisation, TrainingSummary, Warning};
use leadscore_core::table::Table;
use leadscore_core::tiers::Tiers;
use leadscore_core::value::format_day;
use leadscore_core::Spec;

use crate::cv::cross_validate;
use crate::design::{column_means, design_matrix};
use crate::distribution::distributions;
use crate::evaluate::{default_replicates, evaluate};
use crate::evidence::term_evidence;
use crate::fit::{fit_large, fit_newton_started, log_odds, predict, FitOptions};
use crate::leakage::{leakage_warnings, small_data_warnings};
use crate::newton::{self, Columns, Stop};
use crate::pairs::{CvFolds, PairOptions};
use crate::params::{Refit, ValidTrainParams};
use crate::split::{newest_holdout, stratified_folds, stratified_holdout, stratified_sample, Split};
use crate::steps::Steps;
use crate::{Error, Result};
use leadscore_io::csv_source::Progress;

/// Out-of-fold predictions, kept for reports that want them.
#[derive(Clone, Debug, Default)]
pub struct TrainDetails {
    /// Out-of-fold probabilities of the rows the searches judged on (the training rows, or the
    /// sample of a large training part) at the chosen penalty.
    pub oof: Vec<f64>,
    /// Held-out probabilities.
    pub holdout_probs: Vec<f64>,
    /// Held-out outcomes.
    pub holdout_labels: Vec<bool>,
    /// The held-out rows of the table, ascending (parallel to `holdout_probs`).
    pub holdout_rows: Vec<usize>,
}

fn split(spec: &Spec, table: &Table, params: &ValidTrainParams) -> Result<(Split, Holdout)> {
    match (&spec.time_column, &table.time) {
        (Some(column), Some(days)) => {
            let split = newest_holdout(days, params.holdout_share);
            let from = split.holdout.iter().map(|&r| days[r]).min().map(format_day).unwrap_or_default();
            Ok((split, Holdout::Newest { column: column.clone(), from }))
        }
        _ => Ok((
            stratified_holdout(&table.target, params.holdout_share, params.seed),
            Holdout::Stratified { seed: params.seed },
        )),
    }
}

fn both_classes(labels: &[bool], rows: &[usize], what: &str) -> Result<()> {
    let won = rows.iter().filter(|&&r| labels[r]).count();
    if won == 0 || won == rows.len() {
        return Err(Error::Params {
            name: "data",
            reason: format!(
                "the {what} set ({} leads) has only {} leads; more data or a different split is needed",
                rows.len(),
                if won == 0 { "lost" } else { "won" }
            ),
        });
    }
    Ok(())
}

/// The spec's pairs as feature indices of `encoder` (first < second); a pair over a feature
/// the encoder dropped (all missing or constant) is left out with a warning.
fn named_pairs(spec: &Spec, encoder: &Encoder, warnings: &mut Vec<Warning>) -> Vec<[usize; 2]> {
    let index = |name: &str| encoder.features.iter().position(|f| f.name == name);
    spec.pairs
        .iter()
        .filter_map(|[a, b]| match (index(a), index(b)) {
            (Some(i), Some(j)) => Some(if i < j { [i, j] } else { [j, i] }),
            _ => {
                warnings.push(Warning {
                    code: "dropped_pair".into(),
                    feature: None,
                    message: format!("the spec's pair `{a} × {b}` is left out: one of its features was dropped"),
                });
                None
            }
        })
        .collect()
}

/// Trains a model named `name` on `table` as `spec` says. `notes` are warnings
/// from before training (e.g. what spec inference left out), kept in the artifact.
pub fn train(
    spec: &Spec,
    table: &Table,
    name: &str,
    params: &ValidTrainParams,
    notes: Vec<Warning>,
    progress: &dyn Progress,
) -> Result<(Artifact, TrainDetails)> {
    spec.validate()?;
    let mut clock = std::time::Instant::now();
    let mut lap = |stage: &str| {
        tracing::debug!(stage, ms = clock.elapsed().as_millis() as u64, "stage");
        clock = std::time::Instant::now();
    };
    let (split, holdout_kind) = split(spec, table, params)?;
    both_classes(&table.target, &split.train, "training")?;
    both_classes(&table.target, &split.holdout, "held-out")?;
    let mut warnings: Vec<Warning> = notes;

    lap("split");
    // Numbers whose shape the data chooses (`shape = "auto"`) start at the draft's rule; the
    // encoder is fitted with the spec they resolve to (see `shapes`).
    let starts = crate::shapes::start_shapes(spec, table, &split.train);
    let mut fit_spec = crate::shapes::resolved(spec, &starts);
    let (mut encoder, fit_warnings) = Encoder::fit(&fit_spec, table, &split.train)?;
    lap("encoder fit");
    warnings.extend(fit_warnings.into_iter().map(|w| Warning {
        code: "dropped_feature".into(),
        feature: Some(w.feature),
        message: w.message,
    }));
    if encoder.n_columns == 0 {
        return Err(Error::Params {
            name: "features",
            reason: "no usable feature is left (all missing or constant)".into(),
        });
    }
    warnings.extend(leakage_warnings(table, &encoder, &split.train, params.leakage_auc));
    lap("leakage guard");

    // The rows the searches judge on: every training lead, or a stratified sample of a large
    // training part (the model is then fitted once on every lead at the settings chosen).
    let sample = search_sample(&table.target, &split.train, params);
    let rows: &[usize] = sample.as_deref().unwrap_or(&split.train);
    if sample.is_some() {
        warnings.push(sampled_search_warning(rows.len(), split.train.len(), params.seed));
    }
    let n_won_train = split.train.iter().filter(|&&r| table.target[r]).count() as u64;
    warnings.extend(small_data_warnings(split.train.len() as u64, n_won_train, encoder.n_columns));

    if sample.is_some() {
        // The fit on every training lead comes after the searches: a matrix too large for it is
        // refused before they run.
        crate::design::check_size(&encoder, &fit_spec, split.train.len(), 2, crate::design::available_memory())?;
    }
    // The matrix, and a copy per cross-validation fold running at once.
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(params.cv_folds.max(1) as usize);
    let copies = if params.cv_folds >= 2 { 1 + workers as u64 } else { 2 };
    crate::design::check_size(&encoder, &fit_spec, rows.len(), copies, crate::design::available_memory())?;
    let mut x = design_matrix(&encoder, table, rows)?;
    let y: Array1<bool> = rows.iter().map(|&r| table.target[r]).collect();
    encoder.baseline = column_means(&x);
    // Smooth numbers' bins are fitted as steps (see `steps`): every fit below is in that basis,
    // and a model leaves it through `Steps::to_levels` before it is scored or published.
    let mut smoothing = BTreeMap::new();
    let mut steps = Steps::of(&encoder, &pinned_shapes(&fit_spec), &smoothing);
    // A sampled search fits by Newton steps on the sample's rows kept sparse (see `cv`), unless
    // the design is too wide for them: the one-hot rows, their smooth bins fitted as steps.
    let sparse_rows = |x: &ndarray::Array2<f64>, steps: &Steps| {
        (sample.is_some() && x.ncols() <= newton::MAX_COLUMNS)
            .then(|| Columns { steps: steps.clone(), ..Columns::of_design(x.view()) })
    };
    let mut sparse = sparse_rows(&x, &steps);
    steps.to_steps(&mut x);
    lap("design matrix");

    let options = FitOptions {
        l2: params.l2.unwrap_or(1.0),
        tolerance_per_row: params.tolerance_per_row,
        max_iterations: params.max_iterations,
    };
    let mut details = TrainDetails::default();
    let mut fold_models = Vec::new();
    let mut folds = Vec::new();
    let (l2, grid, mut cv) = if params.cv_folds >= 2 {
        let k = params.cv_folds as usize;
        folds = stratified_folds(&table.target, rows, k, params.seed);
        let grid = params.l2.map_or_else(|| params.grid.clone(), |l2| vec![l2]);
        let result = cross_validate(x.view(), y.view(), &folds, k, &grid, &options, None, sparse.as_ref(), progress)?;
        details.oof = result.oof;
        fold_models = result.fold_models;
        let grid = if params.l2.is_some() { Vec::new() } else { result.grid };
        (result.best_l2, grid, Some(result.summary))
    } else {
        (options.l2, Vec::new(), None)
    };
    lap("cross-validation");

    // Shapes: each `shape = "auto"` number's reading chosen on the penalty search's folds; the
    // encoder, the matrix and the folds' models are redone when a shape moved, at the penalty
    // chosen with the starting shapes.
    let mut shape_search = None;
    if params.shape_search && !starts.is_empty() && !fold_models.is_empty() {
        progress.start("choosing shapes", 0);
        let y_train: Vec<bool> = y.to_vec();
        let shape_folds = crate::shapes::Folds { fold: &folds, models: &fold_models, l2 };
        let searched = crate::shapes::search(
            &encoder,
            table,
            rows,
            &y_train,
            x.view(),
            &shape_folds,
            spec,
            &starts,
            params.shape_budget,
        )?;
        lap("shape search");
        let record = searched.record;
        if searched.chosen != starts {
            fit_spec = crate::shapes::resolved(spec, &searched.chosen);
            let before = std::mem::replace(&mut encoder, Encoder::fit(&fit_spec, table, &split.train)?.0);
            let warm = crate::shapes::warm_starts(&before, &encoder, &fold_models, &searched.fits);
            drop(x);
            crate::design::check_size(&encoder, &fit_spec, rows.len(), copies, crate::design::available_memory())?;
            x = design_matrix(&encoder, table, rows)?;
            encoder.baseline = column_means(&x);
            smoothing = searched.smoothing;
            steps = Steps::of(&encoder, &pinned_shapes(&fit_spec), &smoothing);
            sparse = sparse_rows(&x, &steps);
            steps.to_steps(&mut x);
            let k = params.cv_folds as usize;
            let warm = Some(warm.as_slice());
            let result =
                cross_validate(x.view(), y.view(), &folds, k, &[l2], &options, warm, sparse.as_ref(), progress)?;
            details.oof = result.oof;
            fold_models = result.fold_models;
            cv = Some(result.summary);
        }
        if record.out_of_time {
            warnings.push(Warning {
                code: "shape_search_budget".into(),
                feature: None,
                message: format!(
                    "the shape search stopped at its time budget ({}): another machine may choose other shapes; raise --shape-budget",
                    record.stopped
                ),
            });
        }
        shape_search = Some(record);
        progress.finish();
        lap("refit of the folds with the shapes chosen");
    }
    progress.start("fitting", 0);
    let fit_options = FitOptions { l2, ..options };
    let mut model = match &sparse {
        // The sample's fit starts the fit on every lead: Newton steps from the folds' mean.
        Some(z) => {
            let rows: Vec<usize> = (0..y.len()).collect();
            let stop = Stop::gradient(options.tolerance_per_row * rows.len() as f64);
            newton::fit_model(z, &y.to_vec(), &rows, l2, mean_model(&fold_models).as_ref(), stop)?
        }
        None => fit_large(x.view(), y.view(), &fit_options, None)?,
    };
    drop(sparse);
    progress.finish();
    // Evidence of the features' columns, from the additive fit the pairs are fitted on top of.
    let distributions = distributions(table, &encoder, &split.train);
    // The evidence describes the published fit: this one (with its pairs' cells added below), or
    // the refit on every lead, which computes its own.
    let mut evidence = match params.refit {
        Refit::Train if sample.is_none() => steps_evidence(
            &steps,
            &mut x,
            y.view(),
            &model,
            l2,
            &encoder,
            &present_leads(&encoder, &distributions, y.len()),
        ),
        Refit::Train | Refit::All => Vec::new(),
    };
    lap("distributions and evidence");

    // Pair terms: the spec's, then the search's, each fitted on the model so far.
    let named = if params.pairs { named_pairs(spec, &encoder, &mut warnings) } else { Vec::new() };
    let search = params.pairs && spec.pair_search != Some(false) && params.max_pairs > 0 && !fold_models.is_empty();
    let mut found = None;
    if search || !named.is_empty() {
        progress.start("looking for pairs", 0);
        let eta = log_odds(&model, x.view());
        let cv_folds = (!fold_models.is_empty())
            .then(|| CvFolds { fold: &folds, eta: fold_models.iter().map(|m| log_odds(m, x.view())).collect() });
        drop(x);
        let y_rows: Vec<bool> = y.to_vec();
        let pair_options = PairOptions {
            max_pairs: if search { params.max_pairs } else { 0 },
            budget: params.pair_budget,
            penalties: Vec::new(),
            pulls: Vec::new(),
            bins: Vec::new(),
        };
        let f = crate::pairs::find(&encoder, table, rows, &y_rows, &eta, cv_folds, &named, l2, &pair_options)?;
        if let (Some(oof), Some(summary)) = (&f.oof, cv.as_mut()) {
            if !f.terms.is_empty() {
                // The cross-validated figures of the model with its pairs, fitted as it was.
                summary.auc = leadscore_core::metrics::auc(oof, &y_rows);
                summary.log_loss = leadscore_core::metrics::log_loss(oof, &y_rows);
                summary.brier = leadscore_core::metrics::brier(oof, &y_rows);
                details.oof = oof.clone();
            }
        }
        if let Some(record) = f.search.as_ref().filter(|r| r.out_of_time) {
            warnings.push(Warning {
                code: "pair_search_budget".into(),
                feature: None,
                message: format!(
                    "the pair search stopped at its time budget ({}): another machine may keep other pairs; raise --pair-budget",
                    record.stopped
                ),
            });
        }
        progress.finish();
        found = Some(f);
    } else {
        drop(x);
    }
    lap("pairs");

    // A sampled search chose the settings. The additive model is fitted again on every training
    // lead, starting from the sample's fit, and the pairs kept are fitted on top of it there,
    // each at the penalty the search chose: what the search on every lead would have done with
    // these choices.
    if sample.is_some() {
        crate::design::check_size(&encoder, &fit_spec, split.train.len(), 2, crate::design::available_memory())?;
        // Sparse rows, not the dense matrix: the fit is Newton's (see `fit_newton_started`).
        let z = Columns::of_encoder(&encoder, table, &split.train, &steps)?;
        let y: Vec<bool> = split.train.iter().map(|&r| table.target[r]).collect();
        encoder.baseline = z.column_means();
        progress.start("fitting on every training lead", 0);
        model = fit_newton_started(&z, &y, &fit_options, &model)?;
        progress.finish();
        if params.refit == Refit::Train {
            let leads = present_leads(&encoder, &distributions, y.len());
            evidence = sparse_evidence(&steps, &z, &y, &model, l2, &encoder, &leads);
        }
        if let Some(f) = found.as_mut().filter(|f| !f.terms.is_empty()) {
            let eta = z.log_odds(&model);
            drop(z);
            let kept: Vec<[usize; 2]> = f.terms.iter().map(|(pair, _)| *pair).collect();
            let options = PairOptions {
                max_pairs: 0,
                budget: params.pair_budget,
                penalties: f.penalties.clone(),
                pulls: f.pulls.clone(),
                bins: f.bins.clone(),
            };
            let all = crate::pairs::find(&encoder, table, &split.train, &y, &eta, None, &kept, l2, &options)?;
            (f.terms, f.weights, f.shares, f.evidence, f.penalties, f.pulls, f.bins) =
                (all.terms, all.weights, all.shares, all.evidence, all.penalties, all.pulls, all.bins);
        }
        lap("fit on every training lead");
    }
    let pair_search = match found {
        Some(found) => {
            for (((pair, axes), weights), shares) in found.terms.into_iter().zip(found.weights).zip(found.shares) {
                encoder.add_pair(pair, axes)?;
                let at = encoder.baseline.len() - shares.len();
                encoder.baseline[at..].copy_from_slice(&shares);
                model.weights.extend(weights);
            }
            evidence.extend(found.evidence.into_iter().flatten());
            found.search
        }
        None => None,
    };

    // The model as published: one weight per bin (the steps, if any, summed back).
    let judged = steps.to_levels(&model, &encoder.baseline);
    let x_hold = design_matrix(&encoder, table, &split.holdout)?;
    let probs = predict(&judged, x_hold.view());
    drop(x_hold);
    let (model, fitted_on, evidence) = match params.refit {
        Refit::Train => (judged, FittedOn::TrainingPart, evidence),
        Refit::All => {
            // The settings are judged; now every labelled lead teaches the published model. The
            // fit starts from the training part's optimum, a few steps away. Pair terms the
            // search kept are columns like any other here: every term, their cells included, is
            // refit jointly at the chosen penalty.
            let mut all: Vec<usize> = split.train.iter().chain(&split.holdout).copied().collect();
            all.sort_unstable();
            crate::design::check_size(&encoder, &fit_spec, all.len(), 2, crate::design::available_memory())?;
            let leads = present_leads(&encoder, &distributions, all.len());
            progress.start("refitting on every lead", 0);
            let (refit, evidence) = if sample.is_some() {
                // Sparse rows, as the fit on every training lead.
                let z = Columns::of_encoder(&encoder, table, &all, &steps)?;
                let y_all: Vec<bool> = all.iter().map(|&r| table.target[r]).collect();
                let refit = fit_newton_started(&z, &y_all, &fit_options, &model)?;
                let evidence = sparse_evidence(&steps, &z, &y_all, &refit, l2, &encoder, &leads);
                (refit, evidence)
            } else {
                let mut x_all = design_matrix(&encoder, table, &all)?;
                steps.to_steps(&mut x_all);
                let y_all: Array1<bool> = all.iter().map(|&r| table.target[r]).collect();
                let refit = fit_large(x_all.view(), y_all.view(), &fit_options, Some(&model))?;
                let evidence = steps_evidence(&steps, &mut x_all, y_all.view(), &refit, l2, &encoder, &leads);
                (refit, evidence)
            };
            progress.finish();
            lap("refit on every lead");
            (steps.to_levels(&refit, &encoder.baseline), FittedOn::AllRows { evaluated: judged }, evidence)
        }
    };
    let labels: Vec<bool> = split.holdout.iter().map(|&r| table.target[r]).collect();
    let replicates = params.bootstrap.unwrap_or_else(|| default_replicates(probs.len()));
    lap("fit and hold-out scoring");
    let holdout = evaluate(&probs, &labels, replicates, params.seed);
    lap("evaluation and bootstrap");
    let curve = OperatingCurve::from_predictions(&probs, &labels);
    let thresholds = curve.default_suggestions();
    let tiers = Tiers::from_predictions(&probs, &spec.defaults.tier_shares)?;

    let date_range = table.time.as_ref().and_then(|days| {
        let (min, max) = (days.iter().min()?, days.iter().max()?);
        Some((format_day(*min), format_day(*max)))
    });
    let training = TrainingSummary {
        n_rows: table.n_rows() as u64,
        n_positives: table.target.iter().filter(|y| **y).count() as u64,
        n_train: split.train.len() as u64,
        n_holdout: split.holdout.len() as u64,
        holdout: holdout_kind,
        date_range,
        data_hash: table.data_hash.clone(),
        seed: params.seed,
        leadscore_version: env!("CARGO_PKG_VERSION").to_owned(),
    };
    let artifact = Artifact {
        name: name.to_owned(),
        spec: spec.clone(),
        encoder,
        model,
        regularisation: Regularisation { l2, grid },
        training,
        cv,
        holdout,
        curve,
        thresholds,
        tiers,
        distributions,
        warnings,
        evidence,
        pair_search,
        fitted_on,
        shape_search,
    };
    artifact.validate()?;
    details.holdout_probs = probs;
    details.holdout_labels = labels;
    details.holdout_rows = split.holdout;
    Ok((artifact, details))
}

/// The mean of `models` (weights and intercepts); `None` for none.
fn mean_model(models: &[LogisticModel]) -> Option<LogisticModel> {
    let first = models.first()?;
    let k = models.len() as f64;
    let mut mean = LogisticModel { intercept: 0.0, weights: vec![0.0; first.weights.len()] };
    for m in models.iter().filter(|m| m.weights.len() == first.weights.len()) {
        mean.intercept += m.intercept / k;
        for (a, b) in mean.weights.iter_mut().zip(&m.weights) {
            *a += b / k;
        }
    }
    Some(mean)
}

/// For each encoded column, the training leads where its feature had a value (from the stored
/// training distributions' missing rates).
/// Each number's shape as `spec` reads it (resolved: no `auto` left).
fn pinned_shapes(spec: &Spec) -> BTreeMap<String, leadscore_core::spec::Shape> {
    spec.features.iter().filter_map(|(name, f)| f.shape.map(|s| (name.clone(), s))).collect()
}

/// The evidence of `model`, fitted in `steps` on the design `x`, as published: of one weight per
/// bin, on the one-hot design (the curvature of the penalised fit taken with the ridge penalty
/// on the levels, which is wider than the fused one the steps were fitted with).
fn steps_evidence(
    steps: &Steps,
    x: &mut Array2<f64>,
    y: ArrayView1<'_, bool>,
    model: &LogisticModel,
    l2: f64,
    encoder: &Encoder,
    leads: &[u64],
) -> Vec<leadscore_core::evidence::TermEvidence> {
    if steps.is_empty() {
        return term_evidence(x.view(), y, model, l2, leads);
    }
    // In place, not on a copy: the matrix is the largest thing in memory (a copy of the 1M-lead
    // benchmark's took the whole `train` from 0.6 to 1.4 GB). It goes back to steps bit for bit
    // (a step column holds 0 or its run's scale).
    steps.to_one_hot(x);
    let evidence = term_evidence(x.view(), y, &steps.to_levels(model, &encoder.baseline), l2, leads);
    steps.to_steps(x);
    evidence
}

/// [`steps_evidence`] of the sparse rows `z` (the one-hot design, as `Columns::of_encoder`
/// builds it): the same figures.
fn sparse_evidence(
    steps: &Steps,
    z: &Columns,
    y: &[bool],
    model: &LogisticModel,
    l2: f64,
    encoder: &Encoder,
    leads: &[u64],
) -> Vec<leadscore_core::evidence::TermEvidence> {
    let levels = steps.to_levels(model, &encoder.baseline);
    crate::evidence::term_evidence_rows(z, y.len(), ArrayView1::from(y), &levels, l2, leads)
}

fn present_leads(encoder: &Encoder, distributions: &[FeatureDistribution], n: usize) -> Vec<u64> {
    let mut out = vec![n as u64; encoder.n_columns];
    for feature in &encoder.features {
        let missing = distributions.iter().find(|d| d.feature == feature.name).map_or(0.0, |d| d.missing_rate);
        let present = ((1.0 - missing) * n as f64).round().max(0.0) as u64;
        for slot in out.iter_mut().skip(feature.offset).take(feature.width()) {
            *slot = present;
        }
    }
    out
}

/// The stratified sample the searches judge on, when the training part is larger than
/// `params.search_rows` and there is a search to run (cross-validation); `None`: every lead.
fn search_sample(labels: &[bool], train: &[usize], params: &ValidTrainParams) -> Option<Vec<usize>> {
    let large = params.search_rows > 0 && train.len() > params.search_rows;
    (large && params.cv_folds >= 2).then(|| stratified_sample(labels, train, params.search_rows, params.seed))
}

/// What the card and `train` say when the searches ran on a sample.
fn sampled_search_warning(sampled: usize, train: usize, seed: u64) -> Warning {
    Warning {
        code: "sampled_search".into(),
        feature: None,
        message: format!(
            "the searches (penalty, shapes, pairs) and the cross-validated figures ran on a stratified sample of \
             {sampled} of the {train} training leads (seed {seed}); the model was then fitted on all {train} at the \
             settings chosen (--search-rows 0 searches on every lead)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::TrainParams;

    #[test]
    fn only_a_training_part_above_search_rows_with_folds_is_sampled() {
        let labels: Vec<bool> = (0..10_000).map(|i| i % 8 == 0).collect();
        let train: Vec<usize> = (0..8_000).collect();
        let params = |p: TrainParams| p.check().unwrap();
        let sample = search_sample(&labels, &train, &params(TrainParams::default().search_rows(2_000))).unwrap();
        assert_eq!(sample, stratified_sample(&labels, &train, 2_000, 42));
        assert_eq!(sample.len(), 2_000);
        // At or below the threshold, with it off, or with no cross-validation: every lead.
        assert!(search_sample(&labels, &train, &params(TrainParams::default().search_rows(8_000))).is_none());
        assert!(search_sample(&labels, &train, &params(TrainParams::default().search_rows(0))).is_none());
        let no_cv = params(TrainParams::default().search_rows(2_000).cv_folds(0).l2(Some(1.0)));
        assert!(search_sample(&labels, &train, &no_cv).is_none());
        // The default leaves the shared exports (about 10,000 leads) and the shipped data whole.
        assert!(search_sample(&labels, &train, &params(TrainParams::default())).is_none());
    }

    #[test]
    fn the_sample_warning_names_both_counts_and_the_seed() {
        let w = sampled_search_warning(50_000, 800_000, 42);
        assert_eq!(w.code, "sampled_search");
        assert!(
            w.message.contains("a stratified sample of 50000 of the 800000 training leads (seed 42)"),
            "{}",
            w.message
        );
        assert!(w.message.contains("fitted on all 800000"), "{}", w.message);
    }
}
