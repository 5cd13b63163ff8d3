//! Choosing the L2 penalty by stratified k-fold cross-validation.
//!
//! Each fold walks the grid from the strongest penalty to the weakest, warm
//! starting every fit from the previous solution (the optimum moves little
//! between neighbouring penalties). The penalty with the lowest pooled
//! out-of-fold log loss wins; on a tie the stronger penalty wins.
//!
//! The fits are linfa-logistic's, except on a sampled search (a training part above
//! `--search-rows`), whose design is handed over as sparse rows: there each fit is taken to its
//! optimum by Newton steps (`newton`), a few passes where L-BFGS takes about a hundred on a
//! one-hot design. Only the settings the sample chooses leave it; the model published is fitted
//! on every lead (by Newton steps to a tenth of linfa-logistic's tolerance, see
//! `fit::fit_newton_started`).

use ndarray::{Array1, ArrayView1, ArrayView2};

use leadscore_core::metrics;
use leadscore_core::model::{sigmoid, LogisticModel};
use leadscore_core::report::{CvSummary, GridPoint};

use crate::fit::{fit_large, gather_rows, predict, FitOptions};
use crate::newton::{self, Columns, Stop};
use crate::Result;
use leadscore_io::csv_source::Progress;

/// The default grid: half-decades from 0.01 to 1000 (scikit-learn's C from 100 down to 0.001).
pub const DEFAULT_GRID: [f64; 11] =
    [1000.0, 316.227766, 100.0, 31.6227766, 10.0, 3.16227766, 1.0, 0.316227766, 0.1, 0.0316227766, 0.01];

/// A fold's test rows and, per grid point, their predicted probabilities and the fold's model.
type FoldPredictions = (Vec<usize>, Vec<Vec<f64>>, Vec<LogisticModel>);

/// What cross-validation found.
#[derive(Clone, Debug)]
pub struct CvResult {
    /// Every grid point's out-of-fold figures.
    pub grid: Vec<GridPoint>,
    /// The chosen penalty.
    pub best_l2: f64,
    /// Pooled out-of-fold figures at the chosen penalty.
    pub summary: CvSummary,
    /// Out-of-fold probabilities at the chosen penalty, aligned with the rows.
    pub oof: Vec<f64>,
    /// Each fold's model at the chosen penalty (fitted without that fold), in fold order: the
    /// pair search judges pairs on top of them.
    pub fold_models: Vec<LogisticModel>,
}

/// Cross-validates every penalty in `grid` over `folds` (`folds[i]` is row i's fold, `0..k`);
/// `warm`, one model per fold, starts each fold's first fit (the shape search's folds, a few
/// steps from the refit's optimum). `sparse`, the rows of `x` as sparse rows, asks for Newton
/// fits (a sampled search; see the module).
#[allow(clippy::too_many_arguments)]
pub fn cross_validate(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, bool>,
    folds: &[usize],
    k: usize,
    grid: &[f64],
    options: &FitOptions,
    warm: Option<&[LogisticModel]>,
    sparse: Option<&Columns>,
    progress: &dyn Progress,
) -> Result<CvResult> {
    let mut grid_sorted = grid.to_vec();
    grid_sorted.sort_by(|a, b| b.total_cmp(a));
    grid_sorted.dedup();
    let n = x.nrows();
    let labels: Vec<bool> = y.to_vec();
    let mut oof = vec![vec![0.0; n]; grid_sorted.len()];
    progress.start("cross-validating", k as u64);
    // Folds are independent: run them on all cores. Each fold writes only its
    // own rows, so the result does not depend on scheduling.
    let one_fold = |fold: usize| -> Result<FoldPredictions> {
        let train: Vec<usize> = (0..n).filter(|&i| folds[i] != fold).collect();
        let test: Vec<usize> = (0..n).filter(|&i| folds[i] == fold).collect();
        if let Some(z) = sparse {
            return newton_path(z, &labels, &train, test, &grid_sorted, options, warm.and_then(|w| w.get(fold)));
        }
        let x_train = gather_rows(x, &train);
        let y_train: Array1<bool> = train.iter().map(|&i| y[i]).collect();
        let x_test = gather_rows(x, &test);
        let mut preds = Vec::with_capacity(grid_sorted.len());
        let mut models: Vec<LogisticModel> = Vec::with_capacity(grid_sorted.len());
        for &l2 in &grid_sorted {
            let start = models.last().or_else(|| warm.and_then(|w| w.get(fold)));
            let model = fit_large(x_train.view(), y_train.view(), &FitOptions { l2, ..options.clone() }, start)?;
            preds.push(predict(&model, x_test.view()));
            models.push(model);
        }
        Ok((test, preds, models))
    };
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, k);
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<FoldPredictions>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let one_fold = &one_fold;
                let done = &done;
                scope.spawn(move || {
                    (w..k)
                        .step_by(workers)
                        .map(|fold| {
                            let r = one_fold(fold);
                            progress.set(done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) as u64 + 1);
                            r
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![Err(crate::Error::Fit { l2: 0.0, message: "a cross-validation worker panicked".into() })]
                })
            })
            .collect()
    });
    let mut models_by_fold = Vec::with_capacity(k);
    for result in results {
        let (test, preds, models) = result?;
        models_by_fold.push(models);
        for (g, probs) in preds.into_iter().enumerate() {
            for (p, &i) in probs.into_iter().zip(&test) {
                oof[g][i] = p;
            }
        }
    }
    progress.finish();
    let points: Vec<GridPoint> = grid_sorted
        .iter()
        .zip(&oof)
        .map(|(&l2, probs)| GridPoint {
            l2,
            cv_log_loss: metrics::log_loss(probs, &labels),
            cv_auc: metrics::auc(probs, &labels),
        })
        .collect();
    // Strongest penalty first, so `<` keeps the stronger one on ties.
    let mut best = 0;
    for (g, point) in points.iter().enumerate() {
        if point.cv_log_loss < points[best].cv_log_loss {
            best = g;
        }
    }
    let probs = std::mem::take(&mut oof[best]);
    let summary = CvSummary {
        folds: k as u32,
        auc: metrics::auc(&probs, &labels),
        log_loss: metrics::log_loss(&probs, &labels),
        brier: metrics::brier(&probs, &labels),
    };
    // Workers return their folds in the order w, w + workers, ...: put them back in fold order.
    let mut fold_models: Vec<(usize, LogisticModel)> = Vec::with_capacity(k);
    let mut order = (0..workers).flat_map(|w| (w..k).step_by(workers));
    for mut models in models_by_fold {
        let fold = order.next().unwrap_or(0);
        fold_models.push((fold, models.swap_remove(best)));
    }
    fold_models.sort_by_key(|(fold, _)| *fold);
    let fold_models = fold_models.into_iter().map(|(_, m)| m).collect();
    Ok(CvResult { best_l2: points[best].l2, grid: points, summary, oof: probs, fold_models })
}

/// One fold's path on sparse rows: each penalty (strongest first) fitted by Newton steps on the
/// `train` rows from the previous penalty's optimum (the first from `warm` or zeros), to the
/// gradient tolerance linfa-logistic's fit would have had, and the `test` rows' probabilities.
fn newton_path(
    z: &Columns,
    y: &[bool],
    train: &[usize],
    test: Vec<usize>,
    grid: &[f64],
    options: &FitOptions,
    warm: Option<&LogisticModel>,
) -> Result<FoldPredictions> {
    let stop = Stop::gradient(options.tolerance_per_row * train.len() as f64);
    let mut preds = Vec::with_capacity(grid.len());
    let mut models: Vec<LogisticModel> = Vec::with_capacity(grid.len());
    for &l2 in grid {
        let model = newton::fit_model(z, y, train, l2, models.last().or(warm), stop)?;
        let w: Vec<f64> = model.weights.iter().chain([&model.intercept]).copied().collect();
        let w = z.levels(&w);
        preds.push(test.iter().map(|&i| sigmoid(z.at(&w, i))).collect());
        models.push(model);
    }
    Ok((test, preds, models))
}

#[cfg(test)]
mod tests {
    use leadscore_io::csv_source::NoProgress;
    use ndarray::{Array2, ShapeBuilder};

    use super::*;

    /// 3,000 rows: a four-level one-hot (every level kept, as the bench spec does) and a number.
    fn data() -> (Array2<f64>, Array1<bool>, Vec<usize>) {
        let n = 3_000;
        let mut buf = vec![0.0; n * 5];
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let level = (i * 7) % 4;
            buf[level * n + i] = 1.0;
            let v = ((i * 31) % 101) as f64 / 50.0 - 1.0;
            buf[4 * n + i] = v;
            let logit = -1.5 + 0.4 * level as f64 + 0.8 * v;
            let u = ((i * 2_654_435_761) % 1_000) as f64 / 1_000.0;
            y.push(u < leadscore_core::model::sigmoid(logit));
        }
        let folds = (0..n).map(|i| i % 5).collect();
        (Array2::from_shape_vec((n, 5).f(), buf).unwrap(), Array1::from(y), folds)
    }

    #[test]
    fn newton_fits_on_sparse_rows_judge_the_grid_as_linfa_does() {
        let (x, y, folds) = data();
        let options = FitOptions::default();
        let linfa =
            cross_validate(x.view(), y.view(), &folds, 5, &DEFAULT_GRID, &options, None, None, &NoProgress).unwrap();
        let z = Columns::of_design(x.view());
        let newton =
            cross_validate(x.view(), y.view(), &folds, 5, &DEFAULT_GRID, &options, None, Some(&z), &NoProgress)
                .unwrap();
        assert_eq!(newton.best_l2, linfa.best_l2);
        for (a, b) in newton.grid.iter().zip(&linfa.grid) {
            assert!((a.cv_log_loss - b.cv_log_loss).abs() < 1e-4, "{a:?} vs {b:?}");
        }
        for (a, b) in newton.fold_models.iter().zip(&linfa.fold_models) {
            for (u, v) in a.weights.iter().chain([&a.intercept]).zip(b.weights.iter().chain([&b.intercept])) {
                assert!((u - v).abs() < 1e-2, "{a:?} vs {b:?}");
            }
        }
    }
}
