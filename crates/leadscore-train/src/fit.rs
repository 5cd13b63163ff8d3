//! One L2-penalised logistic fit with linfa-logistic, copied into our own model type.
//!
//! Two facts about linfa-logistic 0.8 shape this module:
//! - its positive class is the **more frequent** one (`labels().pos`), so on
//!   typical lead data (10-15% won) its coefficients describe "lost": the sign
//!   is fixed here through `labels()`, and a test pins the orientation;
//! - its loss is a sum over rows, so the gradient tolerance is given per row
//!   and multiplied by the row count, and `l2` is the penalty on that sum
//!   (scikit-learn's `C` is `1 / l2`).

use linfa::prelude::*;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, ShapeBuilder};

use leadscore_core::model::LogisticModel;

use crate::newton::{Columns, Stop};
use crate::{Error, Result};

/// Rows above which a fit first solves a subsample and warm-starts from it.
pub const WARM_START_ROWS: usize = 200_000;

/// Share of linfa-logistic's gradient tolerance that the Newton steps of
/// [`fit_newton_started`] reach, so that linfa's own evaluation finds it met.
pub const NEWTON_MARGIN: f64 = 0.1;

/// Options of one fit.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// L2 penalty on the summed log loss (intercept not penalised).
    pub l2: f64,
    /// Stop when the gradient's L2 norm is below this times the row count.
    pub tolerance_per_row: f64,
    /// Iteration cap of L-BFGS.
    pub max_iterations: u64,
}

impl Default for FitOptions {
    fn default() -> Self {
        Self { l2: 1.0, tolerance_per_row: 1e-4, max_iterations: 1000 }
    }
}

/// Fits `P(won | x)`; `warm` is a starting point (e.g. the neighbouring penalty's solution).
pub fn fit(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, bool>,
    options: &FitOptions,
    warm: Option<&LogisticModel>,
) -> Result<LogisticModel> {
    let n = x.nrows();
    let fail = |message: String| Error::Fit { l2: options.l2, message };
    if n == 0 {
        return Err(fail("no rows".into()));
    }
    let n_won = y.iter().filter(|b| **b).count();
    // linfa labels the more frequent class positive (the first seen on a tie).
    let linfa_pos_is_won = n_won > n - n_won || (2 * n_won == n && y[0]);
    let sign = if linfa_pos_is_won { 1.0 } else { -1.0 };
    let mut params = LogisticRegression::default()
        .alpha(options.l2)
        .gradient_tolerance(options.tolerance_per_row * n as f64)
        .max_iterations(options.max_iterations)
        .with_intercept(true);
    if let Some(start) = warm.filter(|m| m.weights.len() == x.ncols()) {
        let mut init = Array1::zeros(x.ncols() + 1);
        for (i, w) in start.weights.iter().enumerate() {
            init[i] = sign * w;
        }
        init[x.ncols()] = sign * start.intercept;
        params = params.initial_params(init);
    }
    let dataset = DatasetBase::new(x, y);
    let started = std::time::Instant::now();
    let fitted = params.fit(&dataset).map_err(|e| fail(e.to_string()))?;
    tracing::debug!(
        rows = n,
        columns = x.ncols(),
        l2 = options.l2,
        warm = warm.is_some(),
        ms = started.elapsed().as_millis() as u64,
        "fit"
    );
    let sign = if fitted.labels().pos.class { 1.0 } else { -1.0 };
    let model = LogisticModel {
        intercept: sign * fitted.intercept(),
        weights: fitted.params().iter().map(|w| sign * w).collect(),
    };
    if !model.intercept.is_finite() || model.weights.iter().any(|w| !w.is_finite()) {
        return Err(fail("the optimiser produced non-finite coefficients".into()));
    }
    Ok(model)
}

/// Like [`fit`], but on large data first fits every k-th row (with the
/// penalty scaled to the subsample, so both problems have nearly the same
/// solution) and starts the full fit there: L-BFGS then needs a few passes
/// over the big matrix instead of dozens.
pub fn fit_large(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, bool>,
    options: &FitOptions,
    warm: Option<&LogisticModel>,
) -> Result<LogisticModel> {
    let n = x.nrows();
    if n <= WARM_START_ROWS || warm.is_some() {
        return fit(x, y, options, warm);
    }
    let step = n.div_ceil(WARM_START_ROWS / 4);
    let rows: Vec<usize> = (0..n).step_by(step).collect();
    let sub_x = gather_rows(x, &rows);
    let sub_y: Array1<bool> = rows.iter().map(|&r| y[r]).collect();
    let sub_options = FitOptions { l2: options.l2 * rows.len() as f64 / n as f64, ..options.clone() };
    let start = fit(sub_x.view(), sub_y.view(), &sub_options, None)?;
    fit(x, y, options, Some(&start))
}

/// The fit of the sparse rows `z` on every lead (a sampled search's fits on every lead), by
/// Newton steps from `start` (the optimum of a sample or of fewer leads) to a tenth of
/// linfa-logistic's gradient tolerance: linfa started there finds its tolerance met at its first
/// evaluation and keeps the point, where from `start` it takes dozens of passes over a large
/// design. So linfa runs (on the dense design, built for it) only when the steps stop short of
/// that, or for a design wider than `newton::MAX_COLUMNS`. The rows stay sparse, a smooth
/// number's bins one-hot (see `steps`): no dense matrix of every lead is needed.
pub fn fit_newton_started(
    z: &Columns,
    y: &[bool],
    options: &FitOptions,
    start: &LogisticModel,
) -> Result<LogisticModel> {
    let linfa = |from: &LogisticModel| {
        let x = z.to_dense();
        let y: Array1<bool> = y.iter().copied().collect();
        fit(x.view(), y.view(), options, Some(from))
    };
    if z.width > crate::newton::MAX_COLUMNS {
        return linfa(start);
    }
    let started = std::time::Instant::now();
    let rows: Vec<usize> = (0..z.n_rows()).collect();
    let stop = Stop::gradient(NEWTON_MARGIN * options.tolerance_per_row * rows.len() as f64);
    let (newton, reached) = crate::newton::fit_model_stopped(z, y, &rows, options.l2, Some(start), stop)?;
    tracing::debug!(rows = rows.len(), reached, ms = started.elapsed().as_millis() as u64, "newton fit");
    if reached {
        Ok(newton)
    } else {
        linfa(&newton)
    }
}

/// Copies `rows` of `x` into a new column-major matrix (see `design` for why column-major).
pub fn gather_rows(x: ArrayView2<'_, f64>, rows: &[usize]) -> Array2<f64> {
    let mut buf = Vec::with_capacity(rows.len() * x.ncols());
    for column in x.columns() {
        buf.extend(rows.iter().map(|&r| column[r]));
    }
    Array2::from_shape_vec((rows.len(), x.ncols()).f(), buf).unwrap_or_else(|_| Array2::zeros((0, x.ncols())))
}

/// Log-odds of won for every row of `x`.
pub fn log_odds(model: &LogisticModel, x: ArrayView2<'_, f64>) -> Vec<f64> {
    let w = ArrayView1::from(&model.weights[..]);
    x.dot(&w).iter().map(|z| z + model.intercept).collect()
}

/// Probabilities of won for every row of `x`.
pub fn predict(model: &LogisticModel, x: ArrayView2<'_, f64>) -> Vec<f64> {
    let w = ArrayView1::from(&model.weights[..]);
    let z = x.dot(&w);
    z.iter().map(|z| leadscore_core::model::sigmoid(z + model.intercept)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// 12 won of 40: won is the minority class, as in real lead data.
    fn data() -> (Array2<f64>, Array1<bool>) {
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..40 {
            let v = f64::from(i) / 10.0;
            x.push(v);
            // won mostly at high v, with some overlap so the fit is finite
            y.push((i >= 28 && i != 30) || i == 5);
        }
        (Array2::from_shape_vec((40, 1), x).unwrap(), Array1::from(y))
    }

    #[test]
    fn coefficients_point_towards_won_when_won_is_the_minority() {
        let (x, y) = data();
        assert!(y.iter().filter(|b| **b).count() < 20);
        let m = fit(x.view(), y.view(), &FitOptions::default(), None).unwrap();
        assert!(m.weights[0] > 0.0, "higher v means more wins: weight {}", m.weights[0]);
        let p = predict(&m, x.view());
        assert!(p[39] > 0.5 && p[0] < 0.1, "{} {}", p[39], p[0]);
    }

    #[test]
    fn coefficients_point_towards_won_when_won_is_the_majority() {
        let (x, y) = data();
        let flipped: Array1<bool> = y.mapv(|b| !b);
        let m = fit(x.view(), y.view(), &FitOptions::default(), None).unwrap();
        let f = fit(x.view(), flipped.view(), &FitOptions::default(), None).unwrap();
        // The same problem with labels swapped: exactly opposite coefficients.
        assert!((m.weights[0] + f.weights[0]).abs() < 1e-4, "{} vs {}", m.weights[0], f.weights[0]);
        assert!((m.intercept + f.intercept).abs() < 1e-4);
    }

    #[test]
    fn warm_start_reaches_the_same_optimum() {
        let (x, y) = data();
        let opts = FitOptions { tolerance_per_row: 1e-9, ..FitOptions::default() };
        let cold = fit(x.view(), y.view(), &opts, None).unwrap();
        let start = LogisticModel { intercept: 1.0, weights: vec![-1.0] };
        let warm = fit(x.view(), y.view(), &opts, Some(&start)).unwrap();
        assert!((cold.weights[0] - warm.weights[0]).abs() < 1e-5);
    }

    #[test]
    fn a_newton_start_gives_linfas_optimum() {
        let (x, y) = data();
        let opts = FitOptions { l2: 0.5, ..FitOptions::default() };
        let tight = fit(x.view(), y.view(), &FitOptions { tolerance_per_row: 1e-10, ..opts.clone() }, None).unwrap();
        let far = LogisticModel { intercept: 2.0, weights: vec![-3.0] };
        let z = Columns::of_design(x.view());
        let started = fit_newton_started(&z, &y.to_vec(), &opts, &far).unwrap();
        // Within what a tenth of the default tolerance (a gradient of 4e-4 here) allows.
        assert!((started.weights[0] - tight.weights[0]).abs() < 1e-4, "{started:?} vs {tight:?}");
        assert!((started.intercept - tight.intercept).abs() < 1e-4, "{started:?} vs {tight:?}");
        // linfa, started there, finds its tolerance met and keeps the point.
        assert_eq!(fit(x.view(), y.view(), &opts, Some(&started)).unwrap(), started);
    }

    #[test]
    fn gather_keeps_values() {
        let x = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let g = gather_rows(x.view(), &[2, 0]);
        assert_eq!(g, array![[5.0, 6.0], [1.0, 2.0]]);
        assert!(g.t().is_standard_layout());
    }
}
