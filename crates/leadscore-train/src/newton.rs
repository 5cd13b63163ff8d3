//! Penalised logistic fits by Newton steps over sparse rows: the crate's one Newton solver of
//! several columns at once. The shape search fits each candidate's columns with it; a sampled
//! search (a training part above `--search-rows`) fits the penalty path on the sample with it,
//! and then the model on every lead (`fit::fit_newton_started`: linfa-logistic, started at the
//! Newton optimum, would keep it; it runs only when the steps stop short).
//!
//! A smooth number's bins (see `steps`) can be held one-hot in the rows ([`Columns::steps`])
//! while their weights are fitted as steps: a row then has one cell for its bin instead of one
//! per step below it, and the gradient and curvature taken over the one-hot columns are carried
//! over to the steps (`Tᵀ g`, `Tᵀ H T`, where `T` sums steps into levels). The objective is the
//! same; only the rounding differs from rows written as steps.
//!
//! The objective is linfa-logistic's: the log loss summed over the rows plus `l2 / 2 |w|²`, with
//! an unpenalised intercept (here a shift on top of an optional per-row offset, which is the
//! rest of the model when only some columns are fitted). Most columns of a design are one-hot,
//! so a row has a few dozen nonzero cells whatever the width: the curvature is accumulated over
//! those cells only, in its lower triangle (all the Cholesky solve reads), row by row in the
//! order given, on one thread, so the same input gives the same bits. Each Newton step is halved
//! until the objective does not rise. On the one-hot designs of lead data L-BFGS needs on the
//! order of a hundred passes per fit; Newton from a warm start needs three to six, up to
//! [`MAX_COLUMNS`] columns.

use linfa_linalg::cholesky::SolveC;
use ndarray::{Array2, ArrayView2, ShapeBuilder};

use leadscore_core::encode::Encoder;
use leadscore_core::model::{sigmoid, LogisticModel};
use leadscore_core::table::Table;

use crate::pairs::loss;
use crate::steps::Steps;
use crate::{Error, Result};

/// Widest design fitted whole by Newton steps: each step solves a `(p+1)²` system (`p³/3` for its
/// Cholesky factor, about a second at this width, when L-BFGS's passes cost about as much).
/// Wider designs keep linfa-logistic's L-BFGS throughout.
pub const MAX_COLUMNS: usize = 1_500;

/// Rows as their nonzero cells `(column, value)`, columns ascending within a row.
pub trait SparseRows {
    /// Number of columns (the shift is one more, last).
    fn width(&self) -> usize;
    /// Calls `f(i, cells)` for every `i` of `rows`, in that order, with row `i`'s cells.
    fn each_row(&self, rows: &[usize], f: impl FnMut(usize, &[(u32, f64)]));
    /// The smooth numbers whose bins the rows hold one-hot while their weights are fitted as
    /// steps (see [`Steps::levels_of`]); none by default.
    fn steps(&self) -> Option<&Steps> {
        None
    }
}

/// Sparse rows held in memory (compressed rows): what the shape search builds for a candidate,
/// and a copy of a sampled search's design.
pub struct Columns {
    /// Number of columns.
    pub width: usize,
    /// Where each row's cells start in `cells`; one more than the rows.
    pub start: Vec<usize>,
    /// Every row's nonzero cells, row after row.
    pub cells: Vec<(u32, f64)>,
    /// Smooth numbers whose bins `cells` hold one-hot (one cell a row, whatever the bin) while
    /// their weights are steps: empty when the cells are the design's own.
    pub steps: Steps,
}

impl Columns {
    /// The nonzero cells of every row of the design `x`.
    pub fn of_design(x: ArrayView2<'_, f64>) -> Columns {
        let rows: Vec<usize> = (0..x.nrows()).collect();
        let mut start = Vec::with_capacity(x.nrows() + 1);
        let mut cells = Vec::new();
        start.push(0);
        Dense(x).each_row(&rows, |_, row| {
            cells.extend_from_slice(row);
            start.push(cells.len());
        });
        Columns { width: x.ncols(), start, cells, steps: Steps::default() }
    }

    /// The weights of the rows' own columns for the fit `w` (in steps where [`Columns::steps`]
    /// says; the shift, if any, kept): what [`Columns::at`] reads.
    pub fn levels(&self, w: &[f64]) -> Vec<f64> {
        self.steps.levels_of(w)
    }

    /// The one-hot design of `encoder` over `rows` of `table` as sparse rows, with the smooth
    /// numbers of `steps` fitted as steps: what `design::design_matrix` writes, built a block of
    /// rows at a time, so a million leads never take a dense matrix (a fifth of its size here).
    pub fn of_encoder(encoder: &Encoder, table: &Table, rows: &[usize], steps: &Steps) -> Result<Columns> {
        const CHUNK: usize = 32_768;
        let mut z = Columns { width: encoder.n_columns, start: vec![0], cells: Vec::new(), steps: steps.clone() };
        z.start.reserve(rows.len());
        for (c, chunk) in rows.chunks(CHUNK).enumerate() {
            let x = crate::design::design_matrix(encoder, table, chunk)?;
            let first = z.cells.len();
            let all: Vec<usize> = (0..chunk.len()).collect();
            Dense(x.view()).each_row(&all, |_, cells| {
                z.cells.extend_from_slice(cells);
                z.start.push(z.cells.len());
            });
            if c == 0 && !chunk.is_empty() {
                // Room for the rest at the first block's cells a row, and a little more.
                let per_row = (z.cells.len() - first) as f64 / chunk.len() as f64;
                z.cells.reserve(((per_row * 1.02 + 0.5) * rows.len() as f64) as usize);
            }
        }
        Ok(z)
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.start.len() - 1
    }

    /// The mean of every column (the explanation baseline), to the bit what
    /// `design::column_means` gives on the dense design: a column of 0s and 1s is summed
    /// exactly in any order, and any other is summed as the dense column is.
    pub fn column_means(&self) -> Vec<f64> {
        let n = self.n_rows();
        let mut sums = vec![0.0; self.width];
        let mut binary = vec![true; self.width];
        for &(c, v) in &self.cells {
            sums[c as usize] += v;
            binary[c as usize] &= v == 1.0;
        }
        for c in (0..self.width).filter(|&c| !binary[c]) {
            let mut column = vec![0.0; n];
            for (i, value) in column.iter_mut().enumerate() {
                if let Some(&(_, v)) = self.row(i).iter().find(|(j, _)| *j as usize == c) {
                    *value = v;
                }
            }
            sums[c] = ndarray::ArrayView1::from(&column[..]).sum();
        }
        let n = n.max(1) as f64;
        sums.into_iter().map(|s| s / n).collect()
    }

    /// Every row's log-odds from `model` (over the rows' one-hot columns, in steps where
    /// [`Columns::steps`] says).
    pub fn log_odds(&self, model: &LogisticModel) -> Vec<f64> {
        let w: Vec<f64> = model.weights.iter().chain([&model.intercept]).copied().collect();
        let w = self.levels(&w);
        (0..self.n_rows()).map(|i| self.at(&w, i)).collect()
    }

    /// The dense design, bins as steps where [`Columns::steps`] says (what linfa-logistic fits).
    pub fn to_dense(&self) -> Array2<f64> {
        let n = self.n_rows();
        let mut x = Array2::<f64>::zeros((n, self.width).f());
        for i in 0..n {
            for &(c, v) in self.row(i) {
                x[[i, c as usize]] = v;
            }
        }
        self.steps.to_steps(&mut x);
        x
    }

    /// Row `i`'s cells.
    pub fn row(&self, i: usize) -> &[(u32, f64)] {
        &self.cells[self.start[i]..self.start[i + 1]]
    }

    /// Row `i`'s log-odds from the weights `w` of its columns (see [`Columns::levels`]), then
    /// the shift.
    pub fn at(&self, w: &[f64], i: usize) -> f64 {
        at(self.row(i), w, self.width)
    }
}

impl SparseRows for Columns {
    fn width(&self) -> usize {
        self.width
    }

    fn each_row(&self, rows: &[usize], mut f: impl FnMut(usize, &[(u32, f64)])) {
        for &i in rows {
            f(i, self.row(i));
        }
    }

    fn steps(&self) -> Option<&Steps> {
        Some(&self.steps).filter(|s| !s.is_empty())
    }
}

/// A dense design (column-major, as `design` builds it) read as sparse rows a block at a time,
/// so a fit on a million leads needs no copy of the matrix.
pub struct Dense<'a>(pub ArrayView2<'a, f64>);

/// Rows gathered per block of [`Dense::each_row`].
const BLOCK: usize = 1024;

impl SparseRows for Dense<'_> {
    fn width(&self) -> usize {
        self.0.ncols()
    }

    fn each_row(&self, rows: &[usize], mut f: impl FnMut(usize, &[(u32, f64)])) {
        let p = self.0.ncols();
        let mut cells = vec![(0u32, 0.0); BLOCK.min(rows.len()) * p];
        let mut len = vec![0usize; BLOCK.min(rows.len())];
        for block in rows.chunks(BLOCK) {
            len.fill(0);
            for (j, column) in self.0.columns().into_iter().enumerate() {
                for (b, &i) in block.iter().enumerate() {
                    let v = column[i];
                    if v != 0.0 {
                        cells[b * p + len[b]] = (j as u32, v);
                        len[b] += 1;
                    }
                }
            }
            for (b, &i) in block.iter().enumerate() {
                f(i, &cells[b * p..b * p + len[b]]);
            }
        }
    }
}

/// The log-odds of a row's `cells` from the fit `w` (weights, then the shift at `width`).
pub fn at(cells: &[(u32, f64)], w: &[f64], width: usize) -> f64 {
    cells.iter().map(|(c, v)| v * w[*c as usize]).sum::<f64>() + w[width]
}

/// The weights the rows' cells read: `w` itself, or its levels where the rows hold bins one-hot
/// and `w` has steps.
fn levels<'w>(steps: Option<&Steps>, w: &'w [f64]) -> std::borrow::Cow<'w, [f64]> {
    match steps {
        Some(steps) => std::borrow::Cow::Owned(steps.levels_of(w)),
        None => std::borrow::Cow::Borrowed(w),
    }
}

/// When the Newton steps stop.
#[derive(Clone, Copy, Debug)]
pub struct Stop {
    /// Most steps taken.
    pub max_steps: usize,
    /// Stop once no weight moves more than this in a step.
    pub smallest_step: f64,
    /// Stop before a step once the objective's gradient (L2 norm, the shift's included) is below
    /// this: linfa-logistic's own test of convergence.
    pub gradient_norm: f64,
}

impl Stop {
    /// Steps until the weights stop moving (to 1e-7), at most 30: a fit to the optimum.
    pub const OPTIMUM: Stop = Stop { max_steps: 30, smallest_step: 1e-7, gradient_norm: 0.0 };

    /// Steps until the gradient's norm is below `gradient_norm` (or the weights stop moving).
    /// On a million rows the summed loss is too coarse to tell the last steps apart, so a fit
    /// of that size must stop on its gradient.
    pub fn gradient(gradient_norm: f64) -> Stop {
        Stop { gradient_norm, ..Stop::OPTIMUM }
    }
}

/// The weights of `z`'s columns and a shift (last), fitted on `rows` with outcomes `y` (indexed
/// by row) and offset `off` (indexed by row; none is zero) by Newton steps from `start` or zeros:
/// the log loss summed over the rows plus `l2 / 2 |w|²`, the shift unpenalised.
pub fn fit<R: SparseRows>(
    z: &R,
    off: Option<&[f64]>,
    y: &[bool],
    rows: &[usize],
    l2: f64,
    start: Option<&[f64]>,
    stop: Stop,
) -> Vec<f64> {
    fit_stopped(z, off, y, rows, l2, start, stop).0
}

/// [`fit`], and whether it stopped on `stop.gradient_norm` (not on its step count or a step too
/// small to tell).
#[allow(clippy::too_many_arguments)]
fn fit_stopped<R: SparseRows>(
    z: &R,
    off: Option<&[f64]>,
    y: &[bool],
    rows: &[usize],
    l2: f64,
    start: Option<&[f64]>,
    stop: Stop,
) -> (Vec<f64>, bool) {
    let width = z.width();
    let p = width + 1;
    let mut w = start.filter(|s| s.len() == p).map_or_else(|| vec![0.0; p], <[f64]>::to_vec);
    let steps = z.steps();
    let eta = |cells: &[(u32, f64)], w: &[f64], i: usize| -> f64 {
        match off {
            Some(off) => off[i] + at(cells, w, width),
            None => at(cells, w, width),
        }
    };
    let objective = |w: &[f64]| -> f64 {
        let mut total = 0.0;
        let lw = levels(steps, w);
        z.each_row(rows, |i, cells| total += loss(eta(cells, &lw, i), y[i]));
        total + 0.5 * l2 * w[..width].iter().map(|v| v * v).sum::<f64>()
    };
    let mut current = objective(&w);
    let mut nz: Vec<(usize, f64)> = Vec::with_capacity(p);
    let mut passes = 0;
    let mut reached = false;
    for _ in 0..stop.max_steps {
        passes += 1;
        let mut g = vec![0.0; p];
        // Row-major; only the lower triangle (row >= column) is filled (all of it over steps).
        let mut h = Array2::<f64>::zeros((p, p));
        {
            let flat = h.as_slice_mut().expect("a new array is contiguous");
            let lw = levels(steps, &w);
            z.each_row(rows, |i, cells| {
                nz.clear();
                nz.extend(cells.iter().map(|(c, v)| (*c as usize, *v)));
                nz.push((width, 1.0));
                let pr = sigmoid(eta(cells, &lw, i));
                let (r, curv) = (pr - f64::from(u8::from(y[i])), pr * (1.0 - pr));
                for (t, &(a, va)) in nz.iter().enumerate() {
                    g[a] += r * va;
                    let ca = curv * va;
                    let line = &mut flat[a * p..a * p + a + 1];
                    for &(b, vb) in &nz[..=t] {
                        line[b] += ca * vb;
                    }
                }
            });
            if let Some(steps) = steps {
                // Taken over the one-hot bins: over the steps, `Tᵀ g` and `Tᵀ H T`.
                for a in 0..p {
                    for b in 0..a {
                        flat[b * p + a] = flat[a * p + b];
                    }
                }
                steps.gradient_to_steps(&mut g);
                steps.curvature_to_steps(flat, p);
            }
        }
        for c in 0..width {
            g[c] += l2 * w[c];
            h[[c, c]] += l2;
        }
        if g.iter().map(|v| v * v).sum::<f64>().sqrt() < stop.gradient_norm {
            reached = true;
            break;
        }
        // A sliver of ridge keeps the system solvable when a column is empty in these rows.
        for c in 0..p {
            h[[c, c]] += 1e-9 * (1.0 + h[[c, c]]);
        }
        let rhs = Array2::from_shape_vec((p, 1), g.iter().map(|v| -v).collect()).expect("p values");
        let Ok(step) = h.solvec(&rhs) else { break };
        // Damped: halve the step until the objective does not rise.
        let mut scale = 1.0;
        let mut accepted = false;
        for _ in 0..20 {
            let trial: Vec<f64> = w.iter().enumerate().map(|(c, v)| v + scale * step[[c, 0]]).collect();
            let value = objective(&trial);
            if value <= current {
                w = trial;
                current = value;
                accepted = true;
                break;
            }
            scale *= 0.5;
        }
        let largest = (0..p).map(|c| (scale * step[[c, 0]]).abs()).fold(0.0, f64::max);
        if !accepted || largest < stop.smallest_step {
            break;
        }
    }
    tracing::trace!(rows = rows.len(), columns = width, l2, passes, "newton");
    (w, reached)
}

/// A whole model fitted on `rows` of `z` (no offset) by [`fit`] from `start`.
pub fn fit_model<R: SparseRows>(
    z: &R,
    y: &[bool],
    rows: &[usize],
    l2: f64,
    start: Option<&LogisticModel>,
    stop: Stop,
) -> Result<LogisticModel> {
    Ok(fit_model_stopped(z, y, rows, l2, start, stop)?.0)
}

/// [`fit_model`], and whether it stopped on `stop.gradient_norm`.
pub fn fit_model_stopped<R: SparseRows>(
    z: &R,
    y: &[bool],
    rows: &[usize],
    l2: f64,
    start: Option<&LogisticModel>,
    stop: Stop,
) -> Result<(LogisticModel, bool)> {
    let width = z.width();
    let start: Option<Vec<f64>> =
        start.filter(|m| m.weights.len() == width).map(|m| m.weights.iter().chain([&m.intercept]).copied().collect());
    let (w, reached) = fit_stopped(z, None, y, rows, l2, start.as_deref(), stop);
    if w.iter().any(|v| !v.is_finite()) {
        return Err(Error::Fit { l2, message: "Newton steps produced non-finite coefficients".into() });
    }
    Ok((LogisticModel { intercept: w[width], weights: w[..width].to_vec() }, reached))
}

#[cfg(test)]
mod tests {
    use ndarray::ShapeBuilder;

    use super::*;

    /// One column whose effect is `ln 3` on rows 0..40 (30 won of 40) and nothing elsewhere,
    /// fitted without penalty: the weight solves the rows' own rate.
    #[test]
    fn columns_are_fitted_to_their_rows_rate() {
        let mut z = Columns { width: 1, start: vec![0], cells: Vec::new(), steps: Steps::default() };
        for i in 0..80 {
            if i < 40 {
                z.cells.push((0, 1.0));
            }
            z.start.push(z.cells.len());
        }
        let y: Vec<bool> = (0..80).map(|i| if i < 40 { i < 30 } else { i < 60 }).collect();
        let off = vec![0.0; 80];
        let rows: Vec<usize> = (0..80).collect();
        let w = fit(&z, Some(&off), &y, &rows, 1e-12, None, Stop::OPTIMUM);
        // Rows 40..80: 20 won of 40, the shift is 0; rows 0..40: 30 of 40, ln 3 above it.
        assert!(w[1].abs() < 1e-6 && (w[0] - 3f64.ln()).abs() < 1e-6, "{w:?}");
    }

    /// A column-major design with a one-hot pair and a number.
    fn design() -> (Array2<f64>, Vec<bool>) {
        let n = 2500;
        let mut buf = vec![0.0; n * 3];
        let mut y = Vec::with_capacity(n);
        for i in 0..n {
            let level = i % 3;
            if level < 2 {
                buf[level * n + i] = 1.0;
            }
            let v = (i % 17) as f64 / 8.0 - 1.0;
            buf[2 * n + i] = v;
            y.push((i * 7919 + level * 13) % 10 < 3 + level + usize::from(v > 0.0) * 2);
        }
        (Array2::from_shape_vec((n, 3).f(), buf).unwrap(), y)
    }

    #[test]
    fn dense_and_compressed_rows_give_the_same_fit_as_linfa() {
        let (x, y) = design();
        let rows: Vec<usize> = (0..x.nrows()).collect();
        let dense = fit(&Dense(x.view()), None, &y, &rows, 2.0, None, Stop::OPTIMUM);
        let compressed = fit(&Columns::of_design(x.view()), None, &y, &rows, 2.0, None, Stop::OPTIMUM);
        assert_eq!(dense, compressed);
        let yy = ndarray::Array1::from(y.clone());
        let options = crate::fit::FitOptions { l2: 2.0, tolerance_per_row: 1e-10, ..Default::default() };
        let linfa = crate::fit::fit(x.view(), yy.view(), &options, None).unwrap();
        for (a, b) in dense.iter().zip(linfa.weights.iter().chain([&linfa.intercept])) {
            assert!((a - b).abs() < 1e-5, "{dense:?} vs {linfa:?}");
        }
    }

    /// A smooth number's bins held one-hot and fitted as steps give the fit of the rows written
    /// as steps (to rounding): the same optimum, the same log-odds.
    #[test]
    fn one_hot_bins_fitted_as_steps_match_the_rows_written_as_steps() {
        use leadscore_core::encode::{Cuts, NumericEncoder};
        use leadscore_core::spec::Impute;
        let values: Vec<Option<f64>> =
            (0..3000).map(|i| if i % 29 == 0 { None } else { Some(f64::from(i % 37)) }).collect();
        let enc = NumericEncoder::fit(values.iter().copied(), false, Impute::Median, Cuts::Quantiles(6)).unwrap();
        let y: Vec<bool> = (0..3000).map(|i| (i * 7919) % 10 < 2 + (i % 37) / 9).collect();
        let m = 4.0;
        let empty = || Columns { width: enc.width(), start: vec![0], cells: Vec::new(), steps: Steps::default() };
        let (mut one_hot, mut stepped) = (empty(), empty());
        one_hot.steps = Steps::of_candidate(&enc, m);
        for v in &values {
            enc.write(*v, |c, x| {
                if x != 0.0 {
                    one_hot.cells.push((c as u32, x));
                }
            });
            one_hot.start.push(one_hot.cells.len());
            crate::steps::write_steps(&enc, *v, crate::steps::scale(m), |c, x| stepped.cells.push((c as u32, x)));
            stepped.start.push(stepped.cells.len());
        }
        let rows: Vec<usize> = (0..values.len()).collect();
        let a = fit(&one_hot, None, &y, &rows, 2.0, None, Stop::OPTIMUM);
        let b = fit(&stepped, None, &y, &rows, 2.0, None, Stop::OPTIMUM);
        assert!(a.iter().zip(&b).all(|(u, v)| (u - v).abs() < 1e-7), "{a:?} vs {b:?}");
        let levels = one_hot.levels(&a);
        for i in rows {
            assert!((one_hot.at(&levels, i) - stepped.at(&b, i)).abs() < 1e-7, "row {i}");
        }
    }

    #[test]
    fn the_cells_of_a_design_are_its_nonzero_entries_in_column_order() {
        let (x, _) = design();
        let z = Columns::of_design(x.view());
        assert_eq!(z.row(0), &[(0, 1.0), (2, -1.0)]);
        assert_eq!(z.row(2), &[(2, -0.75)]);
        // Every row is read once, in the order asked, across blocks.
        let rows: Vec<usize> = (0..x.nrows()).rev().collect();
        let mut seen = Vec::new();
        Dense(x.view()).each_row(&rows, |i, cells| {
            assert_eq!(cells, z.row(i));
            seen.push(i);
        });
        assert_eq!(seen, rows);
    }
}
