//! Pair terms: which pairs of features interact, and each pair's weights.
//!
//! The search follows GA²M/EBM (Lou, Caruana, Gehrke, Hooker 2013, "Accurate intelligible
//! models with pairwise interactions"): fit the additive model first, then rank every pair of
//! features by FAST, the log loss a pair term on the additive model's residuals would remove,
//! computed in one pass over the rows per pair from a histogram of the gradients and hessians
//! on the pair's grid. A number's axis is tried at 8 and at 4 quantile bins ([`PAIR_GRIDS`]):
//! each pair is ranked on the grid where FAST finds the most, and judged on the grids the
//! folds' rankings picked. FAST's score of a pair (`table_score`) is the loss a penalised table
//! of the grid's cells would remove (to second order), less what an additive term over the same
//! grid (a weight per row plus one per column) would remove, less half the interaction's degrees
//! of freedom: the interaction's own worth, *purified* as EBM's interaction detection is, so a
//! pair is not ranked high for repairing a main effect or for fitting noise.
//!
//! The best-ranked pairs are then tried one at a time, in rank order, against the model's own
//! cross-validation folds: each fold's additive model (from the penalty search) is the offset,
//! the pair's cells get one weight each under a penalty (a multiple of the model's, with or
//! without a pull between neighbouring cells along a number's bins: [`PAIR_PULLS`]; the
//! out-of-fold test picks it), and the pooled out-of-fold log loss says whether the pair
//! helps. A pair is kept when it lowers that loss by at least [`MIN_RELATIVE_GAIN`] of it and
//! by [`MIN_Z`] standard errors of the per-lead improvement; the next candidate is tried on top
//! of the pairs kept. The search stops at `max_pairs`, after [`MAX_CANDIDATES`], or at its time
//! budget.
//!
//! The published model is fitted the same way on all training rows: the additive model, then
//! each kept pair's cells with the model's log-odds so far as the offset, as EBM fits its pairs
//! on the main effects' residuals. So the out-of-fold figure describes exactly the procedure
//! that made the model, and no design matrix ever holds a pair's columns (a pair of 8 × 12
//! cells on a million leads would be 770 MB). Everything is a fixed function of the data, the
//! folds and the seed: the same input gives the same pairs and weights on any number of cores.

use std::time::{Duration, Instant};

use linfa_linalg::cholesky::SolveC;

use leadscore_core::encode::{Encoder, Transform};
use leadscore_core::evidence::TermEvidence;
use leadscore_core::model::sigmoid;
use leadscore_core::pair::{column_values, Axis, AxisValue, MissingCell, MAX_CELLS};
use leadscore_core::report::{PairCandidate, PairSearch};
use leadscore_core::table::Table;

use crate::{Error, Result};

/// Bins of a number's axis: fine enough to follow a campaign wave or a threshold, coarse
/// enough that every cell of an 8 × 8 grid holds leads.
pub const PAIR_BINS: usize = 8;
/// The grids the search may give a pair, a number's axis in this many bins. FAST scores every
/// pair on each and keeps its best (each score is net of what noise would show on its grid);
/// a candidate is judged out of fold on each grid some fold's ranking picked it on, and the
/// lower pooled out-of-fold log loss wins. A coarser grid has fewer cells, each resting on
/// more leads: a smooth interaction (a number's effect that grows or shrinks along another)
/// costs fewer degrees of freedom there, so FAST ranks it and the out-of-fold test sees it,
/// where on the finer grid the noise of 64 cells hid it; a threshold or a wave keeps 8 bins.
pub const PAIR_GRIDS: [usize; 2] = [PAIR_BINS, 4];
/// Most rows FAST ranks on: larger data is ranked on every k-th training row.
pub const RANK_ROWS: usize = 200_000;
/// Most candidates tried, best-ranked first.
pub const MAX_CANDIDATES: usize = 20;
/// A kept pair lowers the pooled out-of-fold log loss by at least this share of it.
pub const MIN_RELATIVE_GAIN: f64 = 0.001;
/// ... and by at least this many standard errors of the per-lead improvement.
pub const MIN_Z: f64 = 2.0;
/// Default most pairs the search keeps.
pub const DEFAULT_MAX_PAIRS: u32 = 5;
/// Default time budget of the search.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(120);

/// A row without a cell on an axis.
const NONE: u16 = u16::MAX;

/// A feature as an axis of pair terms: the axis and every training row's cell on it.
pub struct FeatureAxis {
    /// How the feature's values pick cells.
    pub axis: Axis,
    /// Each training row's cell ([`NONE`] for none).
    cells: Vec<u16>,
}

/// Each feature's axis over `rows` of `table` (`None`: the feature has a single cell).
///
/// A categorical's axis is its encoder's levels; a yes/no's, no and yes (and `(missing)` when
/// training had blanks); a number's, `bins` quantile bins of its raw values (and `(missing)`;
/// without blanks in training a blank goes to the median's bin).
pub fn axes(encoder: &Encoder, table: &Table, rows: &[usize], bins: usize) -> Result<Vec<Option<FeatureAxis>>> {
    encoder
        .features
        .iter()
        .map(|feature| {
            let column =
                table.columns.iter().find(|c| c.name == feature.name).ok_or_else(|| {
                    leadscore_core::Error::Spec(format!("column `{}` is not in the table", feature.name))
                })?;
            if matches!(feature.transform, Transform::Date(_)) {
                return Ok(None);
            }
            let values = column_values(feature, &column.data, rows)?;
            let any_missing = || values.iter().any(|v| matches!(v, AxisValue::Flag(None) | AxisValue::Number(None)));
            let axis = match &feature.transform {
                Transform::Categorical(c) => Axis::Levels { n: c.levels.len() },
                Transform::Boolean(b) => Axis::Flag {
                    missing: if any_missing() { MissingCell::Own } else { MissingCell::Shares(usize::from(b.fill)) },
                },
                // A date is not an axis (see `leadscore_core::pair`).
                Transform::Date(_) => return Ok(None),
                Transform::Numeric(_) => {
                    let mut present: Vec<f64> = values
                        .iter()
                        .filter_map(|v| match v {
                            AxisValue::Number(x) => *x,
                            _ => None,
                        })
                        .collect();
                    if present.is_empty() {
                        return Ok(None);
                    }
                    present.sort_by(f64::total_cmp);
                    let cuts = quantile_cuts(&present, bins);
                    let median = present[present.len() / 2];
                    let missing = if any_missing() {
                        MissingCell::Own
                    } else {
                        MissingCell::Shares(cuts.partition_point(|c| *c <= median))
                    };
                    Axis::Bins { cuts, missing }
                }
            };
            if axis.len() < 2 || axis.len() >= usize::from(NONE) {
                return Ok(None);
            }
            let cells = values.iter().map(|v| axis.cell(*v).map_or(NONE, |c| c as u16)).collect();
            Ok(Some(FeatureAxis { axis, cells }))
        })
        .collect()
}

/// Interior cut points of up to `bins` bins of ascending `sorted` values, each holding about
/// an equal share of the rows not yet binned: a value held by many rows (the 0 of a count)
/// gets a bin of its own and the bins after it share the rest, so a skewed count keeps its
/// tail (1, 2, 3 visits) apart instead of merging it into one quantile bin. A cut is a value
/// some row has; a bin starts at its cut.
fn quantile_cuts(sorted: &[f64], bins: usize) -> Vec<f64> {
    let n = sorted.len();
    let mut cuts = Vec::new();
    let (mut start, mut bins_left) = (0usize, bins.max(1));
    while start < n && bins_left > 1 {
        let target = (n - start).div_ceil(bins_left);
        // The end of the run of values equal to the one at `start + target - 1`.
        let mut end = (start + target).min(n);
        while end < n && sorted[end] == sorted[end - 1] {
            end += 1;
        }
        if end >= n {
            break;
        }
        cuts.push(sorted[end]);
        bins_left -= 1;
        start = end;
    }
    cuts
}

/// A pair's FAST score.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    /// The two features (indices into the encoder's features), first < second.
    pub features: [usize; 2],
    /// [`table_score`]: the loss the interaction explains, in nats over the ranked rows.
    pub gain: f64,
    /// The bins of a number's axis on the grid scored.
    pub bins: usize,
}

/// Gradient and hessian summed over some rows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Sums {
    g: f64,
    h: f64,
}

/// FAST's score of one grid of sums (`na` × `nb`, row-major) under penalty `l2`: the loss
/// the penalised bin table would remove (to second order), less what an additive term over
/// the same grid (a weight per row plus a weight per column) would remove, less half the
/// interaction's degrees of freedom (what a grid of pure noise would remove in sample): an
/// estimate of the loss the interaction itself explains, whatever order its levels are in.
fn table_score(grid: &[Sums], na: usize, nb: usize, l2: f64) -> f64 {
    let mut full = 0.0;
    let mut df_full = 0.0;
    for c in grid {
        full += c.g * c.g / (2.0 * (c.h + l2));
        df_full += c.h / (c.h + l2);
    }
    // The additive term, by backfitting the quadratic: a row's weight given the columns',
    // then the columns' given the rows'. Twenty rounds settle it on grids this small.
    let (mut a, mut b) = (vec![0.0; na], vec![0.0; nb]);
    for _ in 0..20 {
        for (i, ai) in a.iter_mut().enumerate() {
            let (mut g, mut h) = (0.0, l2);
            for (j, bj) in b.iter().enumerate() {
                let c = grid[i * nb + j];
                g += c.g + c.h * bj;
                h += c.h;
            }
            *ai = -g / h;
        }
        for (j, bj) in b.iter_mut().enumerate() {
            let (mut g, mut h) = (0.0, l2);
            for (i, ai) in a.iter().enumerate() {
                let c = grid[i * nb + j];
                g += c.g + c.h * ai;
                h += c.h;
            }
            *bj = -g / h;
        }
    }
    let mut additive = 0.0;
    for i in 0..na {
        for j in 0..nb {
            let c = grid[i * nb + j];
            let d = a[i] + b[j];
            additive -= c.g * d + 0.5 * c.h * d * d;
        }
    }
    additive -= 0.5 * l2 * (a.iter().map(|x| x * x).sum::<f64>() + b.iter().map(|x| x * x).sum::<f64>());
    let margin = |sums: &mut dyn Iterator<Item = f64>| sums.map(|h| h / (h + l2)).sum::<f64>();
    let df_additive = margin(&mut (0..na).map(|i| (0..nb).map(|j| grid[i * nb + j].h).sum::<f64>()))
        + margin(&mut (0..nb).map(|j| (0..na).map(|i| grid[i * nb + j].h).sum::<f64>()))
        - 1.0;
    full - additive - 0.5 * (df_full - df_additive).max(0.0)
}

/// Ranks every pair of features whose grid fits [`MAX_CELLS`] by FAST on `rank_rows`
/// (positions into the training rows), with gradients `g` and hessians `h` of the additive
/// model's log loss per training row and the model's penalty `l2`. Best first; ties in
/// feature order.
pub fn rank(axes: &[Option<FeatureAxis>], g: &[f64], h: &[f64], rank_rows: &[usize], l2: f64) -> Vec<Ranked> {
    rank_on(axes, PAIR_BINS, g, h, rank_rows, l2)
}

/// [`rank`] on each grid of `grids` (a number's bins, and every feature's axis at them): each
/// pair once, scored on the grid where FAST finds the most (each score is net of what noise
/// would show on its grid, so they compare; a tie goes to the finer grid). Best first.
pub fn rank_grids(
    grids: &[(usize, &[Option<FeatureAxis>])],
    g: &[f64],
    h: &[f64],
    rank_rows: &[usize],
    l2: f64,
) -> Vec<Ranked> {
    let mut best: std::collections::BTreeMap<[usize; 2], Ranked> = std::collections::BTreeMap::new();
    let mut by_bins: Vec<(usize, &[Option<FeatureAxis>])> = grids.to_vec();
    by_bins.sort_by_key(|g| std::cmp::Reverse(g.0));
    for (bins, axes) in by_bins {
        for r in rank_on(axes, bins, g, h, rank_rows, l2) {
            let entry = best.entry(r.features).or_insert(r);
            if r.gain > entry.gain {
                *entry = r;
            }
        }
    }
    let mut ranked: Vec<Ranked> = best.into_values().collect();
    ranked.sort_by(|x, y| y.gain.total_cmp(&x.gain).then(x.features.cmp(&y.features)));
    ranked
}

fn rank_on(
    axes: &[Option<FeatureAxis>],
    bins: usize,
    g: &[f64],
    h: &[f64],
    rank_rows: &[usize],
    l2: f64,
) -> Vec<Ranked> {
    let mut pairs = Vec::new();
    for a in 0..axes.len() {
        for b in a + 1..axes.len() {
            if let (Some(x), Some(y)) = (&axes[a], &axes[b]) {
                if x.axis.len() * y.axis.len() <= MAX_CELLS {
                    pairs.push([a, b]);
                }
            }
        }
    }
    let score = |[a, b]: [usize; 2], grid: &mut Vec<Sums>| -> f64 {
        let (Some(x), Some(y)) = (&axes[a], &axes[b]) else { return 0.0 };
        let (na, nb) = (x.axis.len(), y.axis.len());
        grid.clear();
        grid.resize(na * nb, Sums::default());
        for &r in rank_rows {
            let (i, j) = (x.cells[r], y.cells[r]);
            if i != NONE && j != NONE {
                let cell = &mut grid[usize::from(i) * nb + usize::from(j)];
                cell.g += g[r];
                cell.h += h[r];
            }
        }
        table_score(grid, na, nb, l2)
    };
    let gains = parallel(pairs.len(), |range| {
        let mut grid = Vec::new();
        range.map(|p| score(pairs[p], &mut grid)).collect()
    });
    let mut ranked: Vec<Ranked> =
        pairs.into_iter().zip(gains).map(|(features, gain)| Ranked { features, gain, bins }).collect();
    ranked.sort_by(|x, y| y.gain.total_cmp(&x.gain).then(x.features.cmp(&y.features)));
    ranked
}

/// `work(range)` over `0..n` split into one contiguous range per core, results in order:
/// the same answer on any number of cores.
fn parallel<T: Send>(n: usize, work: impl Fn(std::ops::Range<usize>) -> Vec<T> + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, n.max(1));
    if workers == 1 {
        return work(0..n);
    }
    let chunk = n.div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let work = &work;
                scope.spawn(move || work((w * chunk).min(n)..((w + 1) * chunk).min(n)))
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// `ln(1 + e^z) - y z`: one lead's log loss at log-odds `z`, without overflow.
pub(crate) fn loss(z: f64, won: bool) -> f64 {
    z.max(0.0) + (-z.abs()).exp().ln_1p() - if won { z } else { 0.0 }
}

/// The pulls between a pair's neighbouring cells tried (see [`Smoothing`]), as multiples of its
/// penalty: a path, weakest first, each pull at every penalty of [`PAIR_PENALTIES`], a fit
/// started at the previous pull's at the same penalty; the path stops at the first pull that
/// lowers the pooled out-of-fold log loss no further, and the out-of-fold test picks the setting
/// (penalty and pull) with the lowest (see [`choose`]).
///
/// None or 4 times the penalty, because neither suits every pair: a pull on every pair took
/// online shoppers from 0.9273 / 0.2338 (AUC / log loss, `scripts/quality.py`) to 0.9297 / 0.2309
/// and X Education from 0.9842 / 0.1479 to 0.9835 / 0.1504 (a threshold-like pair lost its step);
/// chosen per pair, 0.9287 / 0.2323 and 0.9842 / 0.1479. Longer paths were measured and not
/// kept: none, 1, 4, 16, 64 (the shape search's smoothings) chose weaker pulls on a few pairs and
/// gave X Education without post-contact columns 0.9030 / 0.3808 (0.9027 / 0.3817 with these
/// two) but online shoppers 0.9284 / 0.2327; the same pulls judged all, without the stop, the
/// same; none, 4, 16, 64 the same figures as these two at twice the fits on a pair of noise
/// (whose loss falls, a little, all along the path). The published model is refit on every lead
/// with each pair's cells as plain columns at the model's penalty (`Refit::All`), so a pair's
/// pull decides whether it is kept, not its published weights.
pub const PAIR_PULLS: [f64; 2] = [0.0, 4.0];

/// The neighbours of a pair's grid, and how strongly each pair of them is pulled together: a
/// penalty `smooth / 2 (w_a - w_b)²` on the cells next to each other along a number's bins (its
/// `(missing)` cell apart; a categorical's levels have no order). Most cells of an 8 × 8 grid rest
/// on few leads: alone, each is noise that the out-of-fold test charges for, and a real
/// interaction (a number's effect that grows along another) fell below the two-standard-error
/// rule. Pulled towards its neighbours, a cell borrows their leads, as a smooth shape's bins do
/// along one number, while a step that the data support stays.
struct Smoothing {
    edges: Vec<(usize, usize)>,
    smooth: f64,
}

impl Smoothing {
    /// No pull between cells: each cell's weight is a one-dimensional fit.
    #[cfg(test)]
    const NONE: Smoothing = Smoothing { edges: Vec::new(), smooth: 0.0 };

    /// The neighbours of `grid`, pulled together at `smooth`.
    fn of(grid: &Grid, smooth: f64) -> Smoothing {
        let ordinal = |axis: &Axis| match axis {
            Axis::Bins { cuts, .. } => cuts.len() + 1,
            Axis::Levels { .. } | Axis::Flag { .. } => 0,
        };
        let (along_rows, along_columns) = (ordinal(&grid.axes[0]), ordinal(&grid.axes[1]));
        let mut edges = Vec::new();
        for i in 0..grid.rows {
            for j in 0..grid.columns {
                let c = i * grid.columns + j;
                if i + 1 < along_rows {
                    edges.push((c, c + grid.columns));
                }
                if j + 1 < along_columns {
                    edges.push((c, c + 1));
                }
            }
        }
        Smoothing { edges, smooth }
    }
}

/// One weight per cell fitted with offset `eta` on the rows with a cell: together they minimise
/// the rows' log loss plus `l2 / 2 w²` (linfa's penalty on the summed loss) and `smoothing`'s pull
/// between neighbours, by Newton steps from `start` (zeros when `None`). Without a pull the cells
/// are disjoint and each weight is a one-dimensional fit; with one, each step solves the cells'
/// system (at most [`MAX_CELLS`] of them). A cell without rows keeps weight 0 without a pull, and
/// its neighbours' level with one.
fn fit_cells(
    cells: &[u32],
    n_cells: usize,
    eta: &[f64],
    y: &[bool],
    l2: f64,
    start: Option<&[f64]>,
    smoothing: &Smoothing,
) -> Vec<f64> {
    let pulled = !smoothing.edges.is_empty() && smoothing.smooth > 0.0;
    let mut w = start.map_or_else(|| vec![0.0; n_cells], <[f64]>::to_vec);
    let (mut grad, mut hess) = (vec![0.0; n_cells], vec![0.0; n_cells]);
    for _ in 0..50 {
        grad.iter_mut().for_each(|x| *x = 0.0);
        hess.iter_mut().for_each(|x| *x = 0.0);
        for (i, &c) in cells.iter().enumerate() {
            if c == u32::MAX {
                continue;
            }
            let c = c as usize;
            let p = sigmoid(eta[i] + w[c]);
            grad[c] += p - if y[i] { 1.0 } else { 0.0 };
            hess[c] += p * (1.0 - p);
        }
        let step: Vec<f64> = if pulled {
            let s = smoothing.smooth;
            let mut h = ndarray::Array2::<f64>::zeros((n_cells, n_cells));
            let mut rhs = ndarray::Array2::<f64>::zeros((n_cells, 1));
            for c in 0..n_cells {
                h[[c, c]] = hess[c] + l2;
                rhs[[c, 0]] = -(grad[c] + l2 * w[c]);
            }
            for &(a, b) in &smoothing.edges {
                let d = s * (w[a] - w[b]);
                rhs[[a, 0]] -= d;
                rhs[[b, 0]] += d;
                h[[a, a]] += s;
                h[[b, b]] += s;
                h[[a, b]] -= s;
                h[[b, a]] -= s;
            }
            // Positive definite: the ridge on every cell (l2 > 0) and a Laplacian's pull.
            match h.solvec(&rhs) {
                Ok(step) => step.column(0).to_vec(),
                Err(_) => break,
            }
        } else {
            (0..n_cells).map(|c| -(grad[c] + l2 * w[c]) / (hess[c] + l2)).collect()
        };
        let mut largest = 0.0f64;
        for (wc, sc) in w.iter_mut().zip(step) {
            // Steps capped at 4 log-odds: Newton on a logistic can overshoot from far away.
            let sc = sc.clamp(-4.0, 4.0);
            *wc += sc;
            largest = largest.max(sc.abs());
        }
        if largest < 1e-8 {
            break;
        }
    }
    w
}

/// Penalties tried for a pair's cells, as multiples of the model's (at least 1): a cell holds
/// far fewer leads than a level, and most cells of a grid are noise, so the penalty that suits
/// the features' columns may be too weak for a grid's. Strongest first.
pub const PAIR_PENALTIES: [f64; 4] = [64.0, 16.0, 4.0, 1.0];

/// A pair's grid over the training rows: each row's cell ([`u32::MAX`] for none) and the
/// grid's shape.
struct Grid {
    cells: Vec<u32>,
    rows: usize,
    columns: usize,
    axes: [Axis; 2],
}

impl Grid {
    fn width(&self) -> usize {
        self.rows * self.columns
    }

    /// The weight a row gets from the pair.
    fn at(&self, w: &[f64], i: usize) -> f64 {
        self.cells.get(i).filter(|c| **c != u32::MAX).map_or(0.0, |&c| w[c as usize])
    }
}

/// Removes from a grid of weights what either feature alone could carry: weighted by the
/// rows in each cell, every row and every column of the grid then averages zero (EBM's
/// purification), and a cell without rows gets 0. What is left is the interaction only: the
/// features' own terms keep their effects, the heat map shows what the pair adds to them, and
/// a pair that would only have refined one feature's shape adds nothing.
fn purify(w: &mut [f64], counts: &[f64], rows: usize, columns: usize) {
    for _ in 0..100 {
        let mut moved = 0.0f64;
        for i in 0..rows {
            let (mut sum, mut n) = (0.0, 0.0);
            for j in 0..columns {
                sum += counts[i * columns + j] * w[i * columns + j];
                n += counts[i * columns + j];
            }
            if n > 0.0 {
                let mean = sum / n;
                w[i * columns..(i + 1) * columns].iter_mut().for_each(|x| *x -= mean);
                moved = moved.max(mean.abs());
            }
        }
        for j in 0..columns {
            let (mut sum, mut n) = (0.0, 0.0);
            for i in 0..rows {
                sum += counts[i * columns + j] * w[i * columns + j];
                n += counts[i * columns + j];
            }
            if n > 0.0 {
                let mean = sum / n;
                (0..rows).for_each(|i| w[i * columns + j] -= mean);
                moved = moved.max(mean.abs());
            }
        }
        if moved < 1e-12 {
            break;
        }
    }
    for (x, n) in w.iter_mut().zip(counts) {
        if *n == 0.0 {
            *x = 0.0;
        }
    }
}

/// A pair's cells fitted with offset `eta` on the rows `include` admits, from `start`: the
/// penalised fit, and its purified weights (what the model uses).
fn fit_pair(
    grid: &Grid,
    eta: &[f64],
    y: &[bool],
    (l2, pull): (f64, f64),
    include: impl Fn(usize) -> bool,
    start: Option<&[f64]>,
) -> (Vec<f64>, Vec<f64>) {
    FitRows::gather(grid, eta, y, include).fit(grid, (l2, pull), start)
}

/// The rows a pair's cells are fitted on (those admitted, with a cell), gathered in row order
/// with each cell's count: fitted at several penalties, they are gathered once, and every fit
/// sums them in the same order, so it is the same to the bit however often it runs.
struct FitRows {
    cells: Vec<u32>,
    eta: Vec<f64>,
    y: Vec<bool>,
    counts: Vec<f64>,
}

impl FitRows {
    fn gather(grid: &Grid, eta: &[f64], y: &[bool], include: impl Fn(usize) -> bool) -> FitRows {
        let rows: Vec<usize> = (0..grid.cells.len()).filter(|&i| grid.cells[i] != u32::MAX && include(i)).collect();
        let cells: Vec<u32> = rows.iter().map(|&i| grid.cells[i]).collect();
        let mut counts = vec![0.0; grid.width()];
        for &c in &cells {
            counts[c as usize] += 1.0;
        }
        FitRows { eta: rows.iter().map(|&i| eta[i]).collect(), y: rows.iter().map(|&i| y[i]).collect(), cells, counts }
    }

    /// The penalised fit from `start`, and its purified weights.
    fn fit(&self, grid: &Grid, (l2, pull): (f64, f64), start: Option<&[f64]>) -> (Vec<f64>, Vec<f64>) {
        let smoothing = Smoothing::of(grid, pull);
        let fitted = fit_cells(&self.cells, grid.width(), &self.eta, &self.y, l2, start, &smoothing);
        let mut pure = fitted.clone();
        purify(&mut pure, &self.counts, grid.rows, grid.columns);
        (fitted, pure)
    }
}

/// A pair's out-of-fold fits along its path of settings: in each fold where it was `used`
/// (ranked among that fold's candidates), the other folds' rows gathered once, and the cells'
/// last fit at each penalty, where the same penalty at the next pull starts.
struct OutOfFold<'f, 'a> {
    folds: &'f CvFolds<'a>,
    grid: &'f Grid,
    /// Per fold: its fit rows and last fits (`None`: the pair is not used there).
    paths: Vec<Option<FoldPath>>,
    /// Whether the folds run on every core (a caller that runs candidates on every core already
    /// says no).
    spread: bool,
}

/// One fold's side of [`OutOfFold`].
struct FoldPath {
    /// The other folds' rows, with that fold's model as the offset.
    rows: FitRows,
    /// The cells' last (penalised, unpurified) fit at each penalty, `None` before the first.
    last: Vec<Option<Vec<f64>>>,
}

/// One fold's fits at one pull: per penalty its own rows' log-odds (row, value), and the fits.
struct FoldStep {
    z: Vec<Vec<(usize, f64)>>,
    fits: Vec<Option<Vec<f64>>>,
}

impl<'f, 'a> OutOfFold<'f, 'a> {
    fn new(folds: &'f CvFolds<'a>, grid: &'f Grid, y: &[bool], used: &[bool], spread: bool) -> Self {
        let fold = folds.fold;
        let k = folds.eta.len();
        let gather = |range: std::ops::Range<usize>| -> Vec<Option<FoldPath>> {
            range
                .map(|f| {
                    used.get(f).copied().unwrap_or(true).then(|| FoldPath {
                        rows: FitRows::gather(grid, &folds.eta[f], y, |i| fold[i] != f),
                        last: vec![None; PAIR_PENALTIES.len()],
                    })
                })
                .collect()
        };
        let paths = if spread { parallel(k, gather) } else { gather(0..k) };
        OutOfFold { folds, grid, paths, spread }
    }

    /// The pair's out-of-fold log-odds at each penalty of [`PAIR_PENALTIES`] (multiples of
    /// `l2`, strongest first) with a pull of `pull` times the penalty: each fold's cells fitted
    /// on the other folds (on top of that fold's model), purified, scored on its own rows; in a
    /// fold where the pair is not used, the model's own. A fit starts at the same penalty's fit
    /// at the previous pull, or at the previous (stronger) penalty's at this one.
    fn at(&mut self, l2: f64, pull: f64) -> Vec<Vec<f64>> {
        let (folds, grid) = (self.folds, self.grid);
        let fold = folds.fold;
        let n = grid.cells.len();
        let paths = &self.paths;
        let work = |range: std::ops::Range<usize>| -> Vec<FoldStep> {
            range
                .map(|f| {
                    let eta_f = &folds.eta[f];
                    let Some(FoldPath { rows, last }) = &paths[f] else {
                        // The procedure did not pick the pair in this fold: it adds nothing there.
                        let z: Vec<(usize, f64)> = (0..n).filter(|&i| fold[i] == f).map(|i| (i, eta_f[i])).collect();
                        return FoldStep { z: vec![z; PAIR_PENALTIES.len()], fits: Vec::new() };
                    };
                    let mut start: Option<Vec<f64>> = None;
                    let mut fits = Vec::with_capacity(PAIR_PENALTIES.len());
                    let z = PAIR_PENALTIES
                        .iter()
                        .zip(last)
                        .map(|(m, last)| {
                            let setting = (m * l2, pull * m * l2);
                            let from = last.as_deref().or(start.as_deref());
                            let (fitted, pure) = rows.fit(grid, setting, from);
                            let z: Vec<(usize, f64)> =
                                (0..n).filter(|&i| fold[i] == f).map(|i| (i, eta_f[i] + grid.at(&pure, i))).collect();
                            start = Some(fitted.clone());
                            fits.push(Some(fitted));
                            z
                        })
                        .collect::<Vec<_>>();
                    FoldStep { z, fits }
                })
                .collect()
        };
        let k = folds.eta.len();
        let per_fold = if self.spread { parallel(k, work) } else { work(0..k) };
        let mut out = vec![vec![0.0; n]; PAIR_PENALTIES.len()];
        for (f, step) in per_fold.into_iter().enumerate() {
            for (p, z) in step.z.into_iter().enumerate() {
                for (i, v) in z {
                    out[p][i] = v;
                }
            }
            if let Some(path) = self.paths[f].as_mut() {
                path.last = step.fits;
            }
        }
        out
    }
}

/// The standard error of the mean of `diffs` when the rows of a cluster (`cluster(i)`: a
/// fold's cell) move together: every lead of a cell got the same weight from the same fit,
/// so a cell whose weight was lucky is one draw, not one per lead.
fn clustered_se(diffs: &[f64], mean: f64, cluster: impl Fn(usize) -> usize) -> f64 {
    let n = diffs.len();
    let mut sums: std::collections::BTreeMap<usize, f64> = std::collections::BTreeMap::new();
    for (i, d) in diffs.iter().enumerate() {
        *sums.entry(cluster(i)).or_default() += d - mean;
    }
    let c = sums.len() as f64;
    if c < 2.0 || n == 0 {
        return f64::INFINITY;
    }
    (sums.values().map(|s| s * s).sum::<f64>() * c / (c - 1.0)).sqrt() / n as f64
}

/// A candidate as the out-of-fold test saw it on its best grid.
struct Judged {
    /// The bins of a number's axis on that grid.
    bins: usize,
    /// The penalty of its cells and the pull between neighbours.
    setting: (f64, f64),
    /// The pooled out-of-fold improvement, nats per lead.
    gain: f64,
    /// Its standard error (a fold's cell as one draw).
    se: f64,
}

/// The setting of a pair's cells the out-of-fold test picks.
struct Choice {
    /// The penalty of its cells and the pull between neighbours.
    setting: (f64, f64),
    /// Each lead's out-of-fold improvement at that setting (0 in a fold where the pair is not
    /// used).
    diffs: Vec<f64>,
    /// How many pulls of [`PAIR_PULLS`] the path tried.
    pulls_tried: usize,
}

/// A pair's penalty and pull: the setting with the lowest pooled out-of-fold log loss along the
/// path of [`PAIR_PULLS`], weakest first, every penalty of [`PAIR_PENALTIES`] (multiples of the
/// model's `l2`, at least 1) at each; the path stops at the first pull that does no better than
/// the best so far. A grid without a number's bins has no neighbours: no pull is tried on it (it
/// would fit the same cells). `base` is each lead's loss under its fold's model so far; a lead
/// of a fold where the pair is not `used` keeps that model's log-odds, so its improvement is 0
/// without computing it.
fn choose(folds: &CvFolds<'_>, base: &[f64], grid: &Grid, y: &[bool], used: &[bool], spread: bool, l2: f64) -> Choice {
    let n = grid.cells.len();
    let l2 = l2.max(1.0);
    let counted: Vec<bool> = folds.fold.iter().map(|&f| used.get(f).copied().unwrap_or(true)).collect();
    let ordered = !Smoothing::of(grid, 1.0).edges.is_empty();
    let mut path = OutOfFold::new(folds, grid, y, used, spread);
    let mut best: Option<((f64, f64), Vec<f64>, f64)> = None;
    let mut pulls_tried = 0;
    for &pull in PAIR_PULLS.iter().filter(|&&p| p == 0.0 || ordered) {
        pulls_tried += 1;
        let mut improved = false;
        for (z, m) in path.at(l2, pull).iter().zip(PAIR_PENALTIES) {
            let diffs: Vec<f64> = (0..n).map(|i| if counted[i] { base[i] - loss(z[i], y[i]) } else { 0.0 }).collect();
            let gain = diffs.iter().sum::<f64>() / n.max(1) as f64;
            if best.as_ref().is_none_or(|(_, _, g)| gain > *g) {
                best = Some(((m * l2, pull * m * l2), diffs, gain));
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    let (setting, diffs) = best.map_or(((l2, 0.0), vec![0.0; n]), |(setting, diffs, _)| (setting, diffs));
    let choice = Choice { setting, diffs, pulls_tried };
    tracing::trace!(penalty = setting.0, pull = setting.1, pulls_tried = choice.pulls_tried, "pair setting");
    choice
}

/// How the search runs.
#[derive(Clone, Debug, PartialEq)]
pub struct PairOptions {
    /// Most pairs the search keeps; 0: no search.
    pub max_pairs: u32,
    /// Time the search may take; a candidate is not started past it.
    pub budget: Duration,
    /// The penalty of each named pair, in order, when it was already chosen (by a search on a
    /// sample, refitted on every lead); past its end a named pair's penalty is chosen out of
    /// fold, or is the model's without folds.
    pub penalties: Vec<f64>,
    /// The pull between neighbouring cells of each named pair, in order, when already chosen (as
    /// `penalties`); past its end none.
    pub pulls: Vec<f64>,
    /// The bins of a number's axis for each named pair, in order, when already chosen (as
    /// `penalties`); past its end [`PAIR_BINS`].
    pub bins: Vec<usize>,
}

/// The cross-validation the search judges pairs by.
pub struct CvFolds<'a> {
    /// Fold of each training row, `0..k`.
    pub fold: &'a [usize],
    /// Per fold, every training row's log-odds under the model fitted without that fold.
    pub eta: Vec<Vec<f64>>,
}

/// What the search and the fits decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Pair terms for the encoder, in order: the spec's, then the search's.
    pub terms: Vec<([usize; 2], [Axis; 2])>,
    /// Each term's weights, fitted on all training rows.
    pub weights: Vec<Vec<f64>>,
    /// Each term's penalty on its cells.
    pub penalties: Vec<f64>,
    /// Each term's pull between neighbouring cells (see [`Smoothing`]; 0: none).
    pub pulls: Vec<f64>,
    /// Each term's bins of a number's axis (of [`PAIR_GRIDS`] for the search's).
    pub bins: Vec<usize>,
    /// Each term's share of training rows per cell (the explanation baseline).
    pub shares: Vec<Vec<f64>>,
    /// Each term's evidence per cell: its training leads, and the standard error of its
    /// weight given the model beneath it (the curvature of the cell's penalised fit).
    pub evidence: Vec<Vec<TermEvidence>>,
    /// The search's record (None: no search ran).
    pub search: Option<PairSearch>,
    /// Pooled out-of-fold probabilities with every pair (None: no cross-validation).
    pub oof: Option<Vec<f64>>,
}

/// A pair's grid over the training rows (`None` when a feature cannot be an axis).
fn pair_grid(axes: &[Option<FeatureAxis>], [a, b]: [usize; 2]) -> Option<Grid> {
    let (x, y) = (axes.get(a)?.as_ref()?, axes.get(b)?.as_ref()?);
    let columns = y.axis.len();
    let cells = x
        .cells
        .iter()
        .zip(&y.cells)
        .map(|(&i, &j)| if i == NONE || j == NONE { u32::MAX } else { u32::from(i) * columns as u32 + u32::from(j) })
        .collect();
    Some(Grid { cells, rows: x.axis.len(), columns, axes: [x.axis.clone(), y.axis.clone()] })
}

/// Finds and fits the pair terms of a model whose additive part gives training row `i`
/// log-odds `eta[i]`: the pairs `named` (by the spec) always, then, when `cv` is given and
/// `options.max_pairs > 0`, the search's. `rows` are the training rows of `table`, `y` their
/// outcomes, `l2` the model's penalty.
#[allow(clippy::too_many_arguments)]
pub fn find(
    encoder: &Encoder,
    table: &Table,
    rows: &[usize],
    y: &[bool],
    eta: &[f64],
    cv: Option<CvFolds<'_>>,
    named: &[[usize; 2]],
    l2: f64,
    options: &PairOptions,
) -> Result<Found> {
    let started = Instant::now();
    let n = rows.len();
    let search = cv.is_some() && options.max_pairs > 0;
    let mut found = Found {
        terms: Vec::new(),
        weights: Vec::new(),
        penalties: Vec::new(),
        pulls: Vec::new(),
        bins: Vec::new(),
        shares: Vec::new(),
        evidence: Vec::new(),
        search: None,
        oof: None,
    };
    if named.is_empty() && !search {
        return Ok(found);
    }
    // Each feature's axis at every number of bins a grid may need.
    let mut wanted: Vec<usize> = options.bins.clone();
    wanted.push(PAIR_BINS);
    if search {
        wanted.extend(PAIR_GRIDS);
    }
    wanted.sort_unstable();
    wanted.dedup();
    let mut axes_at = std::collections::BTreeMap::new();
    for bins in wanted {
        axes_at.insert(bins, axes(encoder, table, rows, bins)?);
    }
    let name = |f: usize| encoder.features.get(f).map_or("?", |f| f.name.as_str()).to_owned();
    let mut eta_all = eta.to_vec();
    let mut folds = cv;
    let own = |folds: &CvFolds<'_>| -> Vec<f64> { (0..n).map(|i| folds.eta[folds.fold[i]][i]).collect() };
    let losses = |z: &[f64]| -> Vec<f64> { z.iter().zip(y).map(|(z, y)| loss(*z, *y)).collect() };
    let mean = |v: &[f64]| v.iter().sum::<f64>() / n.max(1) as f64;
    // A pair's penalty and pull, and its per-lead out-of-fold improvement (see [`choose`]).
    let judge =
        |folds: &CvFolds<'_>, base: &[f64], grid: &Grid, used: &[bool], spread: bool| -> ((f64, f64), Vec<f64>) {
            let choice = choose(folds, base, grid, y, used, spread, l2);
            (choice.setting, choice.diffs)
        };
    // Keeps a pair: its purified weights fitted on all training rows on top of the model so
    // far, and per fold on the other folds on top of that fold's model.
    let keep = |found: &mut Found,
                eta_all: &mut [f64],
                folds: Option<&mut CvFolds<'_>>,
                pair: [usize; 2],
                grid: Grid,
                (l2, pull): (f64, f64),
                bins: usize| {
        if let Some(folds) = folds {
            let fold = folds.fold;
            for (f, eta_f) in folds.eta.iter_mut().enumerate() {
                let (_, w) = fit_pair(&grid, eta_f, y, (l2, pull), |i| fold[i] != f, None);
                for (i, z) in eta_f.iter_mut().enumerate() {
                    *z += grid.at(&w, i);
                }
            }
        }
        let (fitted, w) = fit_pair(&grid, eta_all, y, (l2, pull), |_| true, None);
        let mut counts = vec![0.0; grid.width()];
        // Each cell's curvature at its penalised fit: cells are disjoint, so the Laplace
        // approximation's covariance of the cells is diagonal given the model beneath them (a
        // pull between neighbours is left out of it: its intervals are a little wider than the
        // fit's own).
        let mut curvature = vec![l2; grid.width()];
        for (i, z) in eta_all.iter_mut().enumerate() {
            if let Some(&c) = grid.cells.get(i).filter(|c| **c != u32::MAX) {
                let c = c as usize;
                counts[c] += 1.0;
                let p = sigmoid(*z + fitted[c]);
                curvature[c] += p * (1.0 - p);
            }
            *z += grid.at(&w, i);
        }
        found.evidence.push(
            counts
                .iter()
                .zip(&curvature)
                .map(|(&leads, &h)| TermEvidence { leads: leads as u64, std_error: 1.0 / h.sqrt() })
                .collect(),
        );
        found.shares.push(counts.iter().map(|c| c / n.max(1) as f64).collect());
        found.weights.push(w);
        found.penalties.push(l2);
        found.pulls.push(pull);
        found.bins.push(bins);
        found.terms.push((pair, grid.axes));
    };
    for (at, &pair) in named.iter().enumerate() {
        let bins = options.bins.get(at).copied().unwrap_or(PAIR_BINS);
        let Some(grid) = axes_at.get(&bins).and_then(|axes| pair_grid(axes, pair)) else {
            return Err(Error::Params {
                name: "pairs",
                reason: format!("`{} × {}`: one of them has a single value in training", name(pair[0]), name(pair[1])),
            });
        };
        if grid.width() > MAX_CELLS {
            return Err(Error::Params {
                name: "pairs",
                reason: format!(
                    "`{} × {}` would have {} × {} = {} cells, more than {MAX_CELLS}; raise the categorical's `min_count`",
                    name(pair[0]),
                    name(pair[1]),
                    grid.rows,
                    grid.columns,
                    grid.width()
                ),
            });
        }
        // The spec's pairs are always in: cross-validation only picks their penalty.
        let l2_pair = match options.penalties.get(at) {
            Some(&fixed) => (fixed, options.pulls.get(at).copied().unwrap_or(0.0)),
            None => folds.as_ref().map_or((l2, 0.0), |f| judge(f, &losses(&own(f)), &grid, &[], true).0),
        };
        keep(&mut found, &mut eta_all, folds.as_mut(), pair, grid, l2_pair, bins);
    }
    let Some(mut folds) = folds else { return Ok(found) };
    if search {
        // FAST on the residuals of the model so far, on every k-th row of large data: once on
        // every training row (the order candidates are listed in), and once per fold on the
        // other folds' rows with that fold's model, so that a fold's own leads never help pick
        // the pairs they judge (ranking 100 pairs on the very leads that then judge the top 20
        // made noise pairs look good out of fold).
        let step = n.div_ceil(RANK_ROWS).max(1);
        let rank_rows: Vec<usize> = (0..n).step_by(step).collect();
        let residuals = |eta: &[f64]| -> (Vec<f64>, Vec<f64>) {
            let p: Vec<f64> = eta.iter().map(|z| sigmoid(*z)).collect();
            let g = p.iter().zip(y).map(|(p, y)| p - if *y { 1.0 } else { 0.0 }).collect();
            let h = p.iter().map(|p| p * (1.0 - p)).collect();
            (g, h)
        };
        let grids: Vec<(usize, &[Option<FeatureAxis>])> =
            PAIR_GRIDS.iter().filter_map(|b| axes_at.get(b).map(|a| (*b, a.as_slice()))).collect();
        let (g, h) = residuals(&eta_all);
        let ranked = rank_grids(&grids, &g, &h, &rank_rows, l2);
        let k = folds.eta.len();
        // Each fold's picks: a pair and the grid FAST scored it best on.
        let picked: Vec<Vec<([usize; 2], usize)>> = (0..k)
            .map(|f| {
                let (g, h) = residuals(&folds.eta[f]);
                let rows: Vec<usize> = rank_rows.iter().copied().filter(|&i| folds.fold[i] != f).collect();
                rank_grids(&grids, &g, &h, &rows, l2)
                    .into_iter()
                    .filter(|r| r.gain > 0.0 && !named.contains(&r.features))
                    .take(MAX_CANDIDATES)
                    .map(|r| (r.features, r.bins))
                    .collect()
            })
            .collect();
        let base_log_loss = mean(&losses(&own(&folds)));
        let min_gain = MIN_RELATIVE_GAIN * base_log_loss;
        let mut record = PairSearch {
            n_ranked: ranked.len() as u64,
            n_rank_rows: rank_rows.len() as u64,
            base_log_loss,
            log_loss: base_log_loss,
            min_gain,
            candidates: Vec::new(),
            stopped: String::new(),
            out_of_time: false,
        };
        // Candidates: every pair some fold picked, in the order of the ranking on all rows.
        // Each is judged on every grid some fold picked it on (finest first).
        let candidates: Vec<(Ranked, Vec<bool>, Vec<usize>)> = ranked
            .into_iter()
            .filter_map(|r| {
                let at: Vec<Option<usize>> =
                    picked.iter().map(|p| p.iter().find(|(pair, _)| *pair == r.features).map(|(_, b)| *b)).collect();
                let used: Vec<bool> = at.iter().map(Option::is_some).collect();
                let mut on: Vec<usize> = at.into_iter().flatten().collect();
                on.sort_unstable_by_key(|b| std::cmp::Reverse(*b));
                on.dedup();
                used.iter().any(|u| *u).then_some((r, used, on))
            })
            .collect();
        let n_candidates = candidates.len();
        record.candidates = candidates
            .iter()
            .map(|(c, used, _)| PairCandidate {
                features: [name(c.features[0]), name(c.features[1])],
                fast_gain: c.gain,
                folds: used.iter().filter(|u| **u).count() as u32,
                cv_gain: f64::NAN,
                cv_gain_se: f64::NAN,
                l2: f64::NAN,
                pull: f64::NAN,
                kept: false,
            })
            .collect();
        // Forward selection: each round tries every candidate still in the running on top of
        // the pairs kept so far and keeps the one that lowers the out-of-fold loss most, if
        // it is worth keeping; a candidate below the minimum gain leaves the running (another
        // pair rarely makes a pair more useful).
        let mut running: Vec<usize> = (0..candidates.len()).collect();
        let mut kept = 0u32;
        'rounds: while kept < options.max_pairs && !running.is_empty() {
            // Every candidate still running, judged on every core (one candidate a core at a
            // time: the same answer on any number of cores); `None` for one not started
            // because the budget ran out.
            let base = losses(&own(&folds));
            let judged = parallel(running.len(), |range| {
                range
                    .map(|at| {
                        if started.elapsed() > options.budget {
                            return None;
                        }
                        let (candidate, used, on) = &candidates[running[at]];
                        let pair = candidate.features;
                        // The pair on each grid some fold picked it on (a grid the same as a
                        // finer one's, as for a number with few values, is judged once): the
                        // lowest out-of-fold loss, and the standard error of its gain.
                        let mut best: Option<Judged> = None;
                        let mut seen: Vec<[Axis; 2]> = Vec::new();
                        for &bins in on {
                            let Some(grid) = axes_at.get(&bins).and_then(|axes| pair_grid(axes, pair)) else {
                                continue;
                            };
                            if seen.contains(&grid.axes) {
                                continue;
                            }
                            seen.push(grid.axes.clone());
                            let (setting, diffs) = judge(&folds, &base, &grid, used, false);
                            let gain = mean(&diffs);
                            if best.as_ref().is_none_or(|b| gain > b.gain) {
                                let width = grid.width();
                                let se = clustered_se(&diffs, gain, |i| {
                                    folds.fold[i] * (width + 1) + grid.cells[i].min(width as u32) as usize
                                });
                                best = Some(Judged { bins, setting, gain, se });
                            }
                        }
                        Some(best)
                    })
                    .collect()
            });
            let mut best: Option<(usize, f64, (f64, f64), usize)> = None;
            let mut still = Vec::new();
            for (&c, judged) in running.iter().zip(judged) {
                let Some(judged) = judged else {
                    record.out_of_time = true;
                    break 'rounds;
                };
                let Some(Judged { bins, setting: l2_pair, gain, se }) = judged else { continue };
                let pair = candidates[c].0.features;
                let entry = &mut record.candidates[c];
                (entry.cv_gain, entry.cv_gain_se, entry.l2, entry.pull) = (gain, se, l2_pair.0, l2_pair.1);
                tracing::debug!(
                    pair = %format!("{} × {}", name(pair[0]), name(pair[1])),
                    fast = candidates[c].0.gain, folds = entry.folds, cv_gain = gain, se, l2 = l2_pair.0, pull = l2_pair.1, bins, "pair candidate"
                );
                if gain >= min_gain {
                    still.push(c);
                    if gain >= MIN_Z * se && best.is_none_or(|(_, g, _, _)| gain > g) {
                        best = Some((c, gain, l2_pair, bins));
                    }
                }
            }
            let Some((c, _, l2_pair, bins)) = best else { break };
            let pair = candidates[c].0.features;
            if let Some(grid) = axes_at.get(&bins).and_then(|axes| pair_grid(axes, pair)) {
                keep(&mut found, &mut eta_all, Some(&mut folds), pair, grid, l2_pair, bins);
            }
            record.candidates[c].kept = true;
            kept += 1;
            running = still.into_iter().filter(|&x| x != c).collect();
        }
        let tried = record.candidates.len();
        record.stopped = if record.out_of_time {
            format!("the time budget of {} s ran out after {tried} candidates", options.budget.as_secs())
        } else if kept >= options.max_pairs {
            format!("{kept} pairs kept, the most allowed")
        } else {
            format!("all {n_candidates} candidates tried (the best {MAX_CANDIDATES} of each fold's ranking)")
        };
        record.log_loss = mean(&losses(&own(&folds)));
        found.search = Some(record);
    }
    found.oof = Some(own(&folds).into_iter().map(sigmoid).collect());
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantile_cuts_are_values_above_the_smallest_and_rising() {
        let v: Vec<f64> = (0..100).map(|i| f64::from(i / 10)).collect(); // 0..9, ten each
                                                                         // 25 rows a bin, runs of equal values kept whole: [0, 3) holds 30; the other 70 in three
                                                                         // bins of about 24: [3, 6) 30, [6, 8) 20, [8, inf) 20.
        assert_eq!(quantile_cuts(&v, 4), [3.0, 6.0, 8.0]);
        assert_eq!(quantile_cuts(&[1.0, 1.0, 1.0, 2.0], 8), [2.0]);
        assert!(quantile_cuts(&[3.0; 10], 8).is_empty());
        // A skewed count: 65 zeros, 20 ones, 8 twos, 4 threes, 2 fours, 1 five. The zeros fill
        // a bin; the rest share the other bins, so 1, 2 and 3 visits stay apart.
        let mut counts = vec![0.0; 65];
        for (value, n) in [(1.0, 20), (2.0, 8), (3.0, 4), (4.0, 2), (5.0, 1)] {
            counts.extend(std::iter::repeat_n(value, n));
        }
        assert_eq!(quantile_cuts(&counts, 8), [1.0, 2.0, 3.0, 4.0, 5.0]);
    }

    /// Two numbers in 8 bins (and the same numbers in 4, each coarse bin two fine ones): a
    /// residual that grows along both (a bilinear effect) is ranked on the 4-bin grid, where
    /// it costs 9 degrees of freedom instead of 49; one that flips with every fine bin (a
    /// wave the coarse bins average away) stays on 8.
    #[test]
    fn each_pair_is_ranked_on_the_grid_where_fast_finds_the_most() {
        let rows: Vec<(usize, usize)> = (0..6400).map(|i| (i % 8, (i / 8) % 8)).collect();
        let axis = |side: usize, per: usize| FeatureAxis {
            axis: Axis::Levels { n: 8 / per },
            cells: rows.iter().map(|r| ((if side == 0 { r.0 } else { r.1 }) / per) as u16).collect(),
        };
        let fine = vec![Some(axis(0, 1)), Some(axis(1, 1))];
        let coarse = vec![Some(axis(0, 2)), Some(axis(1, 2))];
        let grids: Vec<(usize, &[Option<FeatureAxis>])> = vec![(8, &fine), (4, &coarse)];
        let h = vec![0.25; rows.len()];
        let all: Vec<usize> = (0..rows.len()).collect();
        let bilinear: Vec<f64> = rows.iter().map(|&(a, b)| 0.2 * (a as f64 - 3.5) * (b as f64 - 3.5) / 12.25).collect();
        let wave: Vec<f64> = rows.iter().map(|&(a, b)| if (a + b) % 2 == 0 { 0.1 } else { -0.1 }).collect();
        let smooth = rank_grids(&grids, &bilinear, &h, &all, 1e-9);
        assert_eq!((smooth.len(), smooth[0].bins), (1, 4), "{smooth:?}");
        let on_fine = rank(&fine, &bilinear, &h, &all, 1e-9)[0].gain;
        assert!(on_fine > 0.0 && smooth[0].gain > on_fine, "{on_fine} {smooth:?}");
        let waves = rank_grids(&grids, &wave, &h, &all, 1e-9);
        assert_eq!(waves[0].bins, 8, "{waves:?}");
    }

    #[test]
    fn log_loss_is_stable_at_extremes() {
        assert!((loss(0.0, true) - 2f64.ln()).abs() < 1e-15);
        assert_eq!(loss(800.0, true), 0.0);
        assert_eq!(loss(-800.0, true), 800.0);
        assert!((loss(2.0, false) - (1.0 + 2f64.exp()).ln()).abs() < 1e-12);
    }

    /// One cell's weight solves `Σ (σ(η + w) - y) + l2 w = 0`: with η = 0, 30 won of 40 and
    /// no penalty, σ(w) = 0.75, w = ln 3.
    #[test]
    fn cell_weights_are_penalised_newton_fits() {
        let cells: Vec<u32> = (0..50).map(|i| if i < 40 { 0 } else { 1 }).collect();
        let y: Vec<bool> = (0..50).map(|i| i < 30).collect();
        let eta = vec![0.0; 50];
        let w = fit_cells(&cells, 3, &eta, &y, 1e-12, None, &Smoothing::NONE);
        assert!((w[0] - 3f64.ln()).abs() < 1e-9, "{w:?}");
        // Cell 1: 10 rows, all lost: pushed far down; cell 2: no rows, weight 0.
        assert!(w[1] < -10.0, "{w:?}");
        assert_eq!(w[2], 0.0);
        // A penalty shrinks towards 0.
        let shrunk = fit_cells(&cells, 3, &eta, &y, 10.0, Some(&w), &Smoothing::NONE);
        assert!(shrunk[0] > 0.0 && shrunk[0] < w[0] && shrunk[1] > -2.0, "{shrunk:?}");
        let g: f64 = (0..40).map(|i| sigmoid(shrunk[0]) - if i < 30 { 1.0 } else { 0.0 }).sum();
        assert!((g + 10.0 * shrunk[0]).abs() < 1e-8);
    }

    /// Neighbours are cells next to each other along a number's bins: none across a categorical's
    /// levels, none to a `(missing)` cell.
    #[test]
    fn neighbours_run_along_bins_only() {
        use leadscore_core::pair::MissingCell;
        let bins = Axis::Bins { cuts: vec![1.0, 2.0], missing: MissingCell::Own };
        let grid = |axes: [Axis; 2]| Grid { cells: Vec::new(), rows: axes[0].len(), columns: axes[1].len(), axes };
        // 4 x 2 (bins 0-2 and missing, by two levels): along the rows, bins 0-1 and 1-2 in each column.
        let by_levels = Smoothing::of(&grid([bins.clone(), Axis::Levels { n: 2 }]), 1.0);
        assert_eq!(by_levels.edges, [(0, 2), (1, 3), (2, 4), (3, 5)]);
        // 2 x 4: the same along the columns.
        let levels_by = Smoothing::of(&grid([Axis::Levels { n: 2 }, bins.clone()]), 1.0);
        assert_eq!(levels_by.edges, [(0, 1), (1, 2), (4, 5), (5, 6)]);
        // Bins by bins (4 x 4): both ways, 2 edges along each of the 4 rows and 4 columns (the
        // other axis's `(missing)` row and column included: they are ordered along this one).
        assert_eq!(Smoothing::of(&grid([bins.clone(), bins]), 1.0).edges.len(), 16);
        assert!(Smoothing::of(&grid([Axis::Levels { n: 3 }, Axis::Levels { n: 3 }]), 1.0).edges.is_empty());
    }

    /// A pull between two neighbours draws their weights together, the more the stronger, and
    /// fills a cell without rows with its neighbour's level; without a pull the fit is the
    /// per-cell one, to the bit.
    #[test]
    fn a_pull_draws_neighbouring_cells_together() {
        // Cell 0: 40 rows, 30 won; cell 1: 40 rows, 10 won; cell 2: none.
        let cells: Vec<u32> = (0..80).map(|i| if i < 40 { 0 } else { 1 }).collect();
        let y: Vec<bool> = (0..80).map(|i| i < 30 || (40..50).contains(&i)).collect();
        let eta = vec![0.0; 80];
        let fit = |smooth: f64| {
            let smoothing = Smoothing { edges: vec![(0, 1), (1, 2)], smooth };
            fit_cells(&cells, 3, &eta, &y, 0.5, None, &smoothing)
        };
        let apart = fit_cells(&cells, 3, &eta, &y, 0.5, None, &Smoothing::NONE);
        assert_eq!(fit(0.0), apart);
        let (weak, strong) = (fit(2.0), fit(200.0));
        let gap = |w: &[f64]| w[0] - w[1];
        assert!(
            gap(&apart) > gap(&weak) && gap(&weak) > gap(&strong) && gap(&strong) > 0.0,
            "{apart:?} {weak:?} {strong:?}"
        );
        assert!(gap(&strong) < 0.05, "{strong:?}");
        // The empty cell takes its neighbour's level rather than 0.
        assert_eq!(apart[2], 0.0);
        assert!((strong[2] - strong[1]).abs() < 0.01 && strong[2] != 0.0, "{strong:?}");
        // At the optimum: the gradient of the loss, the ridge and the pull sum to zero for each cell.
        let s = 2.0;
        let g = |c: usize| -> f64 {
            (0..80).filter(|&i| cells[i] as usize == c).map(|i| sigmoid(weak[c]) - f64::from(u8::from(y[i]))).sum()
        };
        assert!((g(0) + 0.5 * weak[0] + s * (weak[0] - weak[1])).abs() < 1e-8);
        assert!((g(1) + 0.5 * weak[1] + s * (2.0 * weak[1] - weak[0] - weak[2])).abs() < 1e-8);
    }

    /// The out-of-fold choice of a pair's pull on 6 × 6 bins (200 leads a cell, five folds, an
    /// additive model of log-odds 0 in every fold) whose outcomes follow `logit(a, b)`.
    fn choice_on(logit: impl Fn(usize, usize) -> f64, axes: [Axis; 2]) -> Choice {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let (rows, columns) = (axes[0].len(), axes[1].len());
        let cells: Vec<u32> = (0..rows * columns * 200).map(|i| (i % (rows * columns)) as u32).collect();
        let y: Vec<bool> = cells
            .iter()
            .map(|&c| {
                let (a, b) = (c as usize / columns, c as usize % columns);
                rng.gen::<f64>() < sigmoid(logit(a, b))
            })
            .collect();
        let fold: Vec<usize> = (0..cells.len()).map(|i| (i / 7) % 5).collect();
        let folds = CvFolds { fold: &fold, eta: vec![vec![0.0; cells.len()]; 5] };
        let base: Vec<f64> = y.iter().map(|&won| loss(0.0, won)).collect();
        let grid = Grid { cells, rows, columns, axes };
        choose(&folds, &base, &grid, &y, &[], false, 1.0)
    }

    fn six_bins() -> Axis {
        Axis::Bins { cuts: (1..6).map(f64::from).collect(), missing: MissingCell::Shares(0) }
    }

    /// An interaction that grows smoothly along both numbers (a bilinear effect) is fitted with
    /// its cells pulled together; one whose sign flips between every two neighbouring cells is
    /// fitted without a pull (the path tried the pull and stopped); a pair of categoricals (no
    /// neighbours) is not pulled at all; on outcomes without an interaction, whatever the
    /// setting, the pair brings less than a kept pair must.
    #[test]
    fn the_pull_is_chosen_out_of_fold_along_a_path() {
        let gain = |c: &Choice| c.diffs.iter().sum::<f64>() / c.diffs.len() as f64;
        let smooth = choice_on(|a, b| 0.6 * (a as f64 - 2.5) * (b as f64 - 2.5) / 6.25, [six_bins(), six_bins()]);
        assert!(smooth.setting.1 > 0.0 && gain(&smooth) > 0.0, "{:?}", smooth.setting);
        let flips = choice_on(|a, b| if (a + b) % 2 == 0 { 0.8 } else { -0.8 }, [six_bins(), six_bins()]);
        assert_eq!((flips.setting.1, flips.pulls_tried), (0.0, 2), "{:?}", flips.setting);
        assert!(gain(&flips) > 0.05, "{}", gain(&flips));
        let levels = Axis::Levels { n: 6 };
        let codes = choice_on(|a, b| 0.6 * (a as f64 - 2.5) * (b as f64 - 2.5) / 6.25, [levels.clone(), levels]);
        assert_eq!((codes.setting.1, codes.pulls_tried), (0.0, 1));
        let none = choice_on(|_, _| 0.0, [six_bins(), six_bins()]);
        assert!(gain(&none) < MIN_RELATIVE_GAIN * 2f64.ln(), "{:?}: {}", none.setting, gain(&none));
    }

    /// A checkerboard residual (gradients +0.2/-0.2 by the parity of both axes' halves) scores
    /// its whole gain less its degrees of freedom; a residual that follows one axis alone (a
    /// main effect misfit) scores nothing but the negative degrees of freedom.
    #[test]
    fn fast_sees_interactions_and_not_main_effects() {
        let rows: Vec<(usize, usize)> = (0..4000).map(|i| (i % 4, (i / 4) % 4)).collect();
        let axis = |side: usize| FeatureAxis {
            axis: Axis::Levels { n: 4 },
            cells: rows.iter().map(|r| if side == 0 { r.0 as u16 } else { r.1 as u16 }).collect(),
        };
        let axes = vec![Some(axis(0)), Some(axis(1))];
        let h = vec![0.25; rows.len()];
        let all: Vec<usize> = (0..rows.len()).collect();
        let checker: Vec<f64> = rows.iter().map(|(a, b)| if (*a < 2) == (*b < 2) { 0.2 } else { -0.2 }).collect();
        let main: Vec<f64> = rows.iter().map(|(a, _)| if *a < 2 { 0.2 } else { -0.2 }).collect();
        let inter = rank(&axes, &checker, &h, &all, 1e-9)[0].gain;
        let alone = rank(&axes, &main, &h, &all, 1e-9)[0].gain;
        // 16 cells of 250 rows, G = ±50, H = 62.5: the table removes 16 * 50² / 125 = 320 nats,
        // the rows and columns nothing; 16 - 7 = 9 degrees of freedom of interaction, half of
        // which a grid of noise would show.
        assert!((inter - (320.0 - 4.5)).abs() < 1e-6, "{inter}");
        assert!((alone + 4.5).abs() < 1e-6, "{alone}");
    }
}
