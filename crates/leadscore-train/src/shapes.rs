//! Shapes chosen by the data: for each number the spec leaves to training (`shape = "auto"`),
//! which reading of it (a line, `log1p`, quantile bins on top of either, one column per value of
//! an integer code) fits best out of fold.
//!
//! The search reuses the penalty search's cross-validation: the same folds, and each fold's
//! model at the chosen penalty as the rest of the model. The numbers are visited once, in the
//! model's column order; for each, every fold's log-odds lose that number's current columns
//! and each candidate shape's columns are fitted in their place on the other folds' rows (an
//! intercept shift and the candidate's weights, penalised as the model's, by Newton steps (`newton`) warm
//! started from the previous fold's), then scored on the fold's own rows. A smooth shape is
//! judged along a path of smoothings ([`crate::steps::PENALTIES`], weakest first, its bins held
//! one-hot and fitted as steps), each smoothing's first fold started at the previous one's
//! optimum; the path stops at the first smoothing that does worse out of fold than the best so
//! far. A number's candidate shapes are independent of each other and run one a core, their
//! results taken in candidate order. The pooled out-of-fold
//! log loss ranks the candidates; a shape with more columns must beat a simpler one by
//! [`MIN_GAIN_PER_COLUMN`] of the log loss per added column, so a tie goes to the simpler
//! reading. The winner's fits stay in the folds' log-odds, so each later number is judged with
//! the earlier ones at their chosen shape (one pass of backfitting). Numbers start at the
//! draft's old rule ([`start_shape`]), so a search that stops at its time budget leaves the
//! rest as flags-only training read them before.
//!
//! Every step is a fixed function of the data, the folds and the seed: the same input gives the
//! same shapes on any machine, unless the time budget stops the search (said in the record).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ndarray::ArrayView2;

use leadscore_core::encode::{distinct_sorted, Cuts, Encoder, NumericEncoder, Transform};
use leadscore_core::model::LogisticModel;
use leadscore_core::report::{ShapeCandidate, ShapeChoice, ShapeSearch};
use leadscore_core::spec::{Shape, MAX_SHAPE_LEVELS, SHAPE_BINS};
use leadscore_core::table::{ColumnData, Table};
use leadscore_core::Spec;

use crate::newton::{self, Columns, Stop};
use crate::pairs::loss;
use crate::steps::Steps;
use crate::Result;

/// Default time budget of the search.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);
/// Most rows a candidate is fitted on per fold: larger data fits on every k-th row (and is
/// scored on all of them).
pub const FIT_ROWS: usize = 200_000;
/// Share of the out-of-fold log loss a shape must remove per column it adds over a simpler one.
pub const MIN_GAIN_PER_COLUMN: f64 = 0.0001;

/// Whether `values` lean to the right (skewness above 1, none negative), as counts and money do.
pub fn skewed(values: &[f64]) -> bool {
    if values.iter().any(|v| *v < 0.0) || values.len() < 20 {
        return false;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt();
    if sd == 0.0 {
        return false;
    }
    let skew = values.iter().map(|v| ((v - mean) / sd).powi(3)).sum::<f64>() / n;
    skew > 1.0
}

/// The shape a searched number starts from, the rule flags-only training applied before the
/// search: `log1p` when skewed to the right, quantile bins with `4 ×` [`SHAPE_BINS`] or more
/// distinct values. `present` are its filled training values.
pub fn start_shape(present: &[f64]) -> Shape {
    let mut sorted = present.to_vec();
    sorted.sort_by(f64::total_cmp);
    let bins = distinct_sorted(&sorted, 4 * SHAPE_BINS as usize) >= 4 * SHAPE_BINS as usize;
    match (skewed(present), bins) {
        (false, false) => Shape::Linear,
        (true, false) => Shape::Log1p,
        (false, true) => Shape::Bins,
        (true, true) => Shape::Log1pBins,
    }
}

/// Filled values of a numeric column over `rows`.
fn present_values(table: &Table, name: &str, rows: &[usize]) -> Vec<f64> {
    match table.columns.iter().find(|c| c.name == name).map(|c| &c.data) {
        Some(ColumnData::Numeric(values)) => rows.iter().map(|&r| values[r]).filter(|v| !v.is_nan()).collect(),
        _ => Vec::new(),
    }
}

/// The starting shape of every `shape = "auto"` number of `spec`, from the training `rows`.
pub fn start_shapes(spec: &Spec, table: &Table, rows: &[usize]) -> BTreeMap<String, Shape> {
    spec.features
        .iter()
        .filter(|(_, f)| f.shape == Some(Shape::Auto))
        .map(|(name, _)| (name.clone(), start_shape(&present_values(table, name, rows))))
        .collect()
}

/// `spec` with each number of `shapes` read in its shape: what the encoder is fitted with.
pub fn resolved(spec: &Spec, shapes: &BTreeMap<String, Shape>) -> Spec {
    let mut out = spec.clone();
    for (name, shape) in shapes {
        if let Some(f) = out.features.get_mut(name) {
            f.shape = Some(*shape);
        }
    }
    out
}

/// What the search needs of the penalty search: its folds and each fold's model.
pub struct Folds<'a> {
    /// Fold of each training row, `0..k`.
    pub fold: &'a [usize],
    /// Each fold's model (fitted without it) at the chosen penalty, over `x`'s columns.
    pub models: &'a [LogisticModel],
    /// The penalty the models were fitted with (on the summed log loss).
    pub l2: f64,
}

/// What the search decided.
pub struct Searched {
    /// What it tried and chose, for the artifact.
    pub record: ShapeSearch,
    /// Every searched number's shape (its start when the budget ran out first).
    pub chosen: BTreeMap<String, Shape>,
    /// Per searched number and fold: the chosen shape's weights, then its intercept shift, as
    /// fitted in that fold on top of the model so far (see [`warm_starts`]); a smooth shape's in
    /// steps ([`crate::steps`]).
    pub fits: BTreeMap<String, Vec<Vec<f64>>>,
    /// Each number that chose a smooth shape: the smoothing chosen with it (the steps' penalty as
    /// a multiple of the model's, one of [`crate::steps::PENALTIES`]).
    pub smoothing: BTreeMap<String, f64>,
}

/// Each fold's starting point for refitting with the shapes chosen: the fold's model with every
/// searched number's columns replaced by its chosen shape's fit, and the intercept moved by
/// their shifts (the log-odds the search ended with). `before` is the encoder `models` were
/// fitted with, `after` the one with the shapes chosen.
pub fn warm_starts(
    before: &Encoder,
    after: &Encoder,
    models: &[LogisticModel],
    fits: &BTreeMap<String, Vec<Vec<f64>>>,
) -> Vec<LogisticModel> {
    models
        .iter()
        .enumerate()
        .map(|(f, model)| {
            let mut warm = LogisticModel { intercept: model.intercept, weights: vec![0.0; after.n_columns] };
            for feature in &after.features {
                let (at, width) = (feature.offset, feature.width());
                let slot = &mut warm.weights[at..at + width];
                match fits.get(&feature.name).and_then(|per_fold| per_fold.get(f)) {
                    Some(w) if w.len() == width + 1 => {
                        slot.copy_from_slice(&w[..width]);
                        warm.intercept += w[width];
                    }
                    _ => {
                        if let Some(old) = before.features.iter().find(|o| o.name == feature.name && o.width() == width)
                        {
                            slot.copy_from_slice(&model.weights[old.offset..old.offset + width]);
                        }
                    }
                }
            }
            warm
        })
        .collect()
}

/// A candidate's columns over the training rows, each row's nonzero cells only (a number writes
/// at most three: its line, its missing indicator, its bin), so a million leads cost tens of
/// megabytes whatever the shape. A smooth shape's bins stay one-hot here, one cell a row; its
/// fits set the smoothing ([`Columns::steps`]) and are fitted in steps (see [`crate::steps`]).
fn candidate_columns(enc: &NumericEncoder, values: &[Option<f64>]) -> Columns {
    let width = enc.width();
    let mut start = Vec::with_capacity(values.len() + 1);
    let mut cells = Vec::with_capacity(values.len() * 2);
    start.push(0);
    for v in values {
        enc.write(*v, |c: usize, value: f64| {
            if value != 0.0 {
                cells.push((c as u32, value));
            }
        });
        start.push(cells.len());
    }
    Columns { width, start, cells, steps: Steps::default() }
}

/// The columns `z` of a candidate at `smoothing` (a smooth shape's; `None`: as they are).
fn smoothed(mut z: Columns, enc: &NumericEncoder, smoothing: Option<f64>) -> Columns {
    z.steps = smoothing.map_or_else(Steps::default, |m| Steps::of_candidate(enc, m));
    z
}

/// A candidate shape as judged: its encoder, its per-fold fits, its pooled out-of-fold loss.
struct Tried {
    shape: Shape,
    enc: NumericEncoder,
    width: usize,
    /// Per fold: the weights, then the intercept shift.
    fits: Vec<Vec<f64>>,
    log_loss: f64,
    /// A smooth shape's smoothing (see [`crate::steps`]).
    smoothing: Option<f64>,
}

/// Chooses the shape of each number in `starts` (`spec`'s `shape = "auto"` features and their
/// starting shapes), judged on the training `rows` of `table` with outcomes `y`, the design `x` of
/// `encoder` (fitted with the starting shapes) and the penalty search's `folds`.
#[allow(clippy::too_many_arguments)]
pub fn search(
    encoder: &Encoder,
    table: &Table,
    rows: &[usize],
    y: &[bool],
    x: ArrayView2<'_, f64>,
    folds: &Folds<'_>,
    spec: &Spec,
    starts: &BTreeMap<String, Shape>,
    budget: Duration,
) -> Result<Searched> {
    let started = Instant::now();
    let min_count = spec.defaults.min_count;
    let n = rows.len();
    let k = folds.models.len();
    let mut eta: Vec<Vec<f64>> = folds.models.iter().map(|m| crate::fit::log_odds(m, x)).collect();
    let pooled =
        |eta: &[Vec<f64>]| -> f64 { (0..n).map(|i| loss(eta[folds.fold[i]][i], y[i])).sum::<f64>() / n.max(1) as f64 };
    let base_log_loss = pooled(&eta);
    let min_gain = MIN_GAIN_PER_COLUMN * base_log_loss;
    let mut chosen = starts.clone();
    let mut fits: BTreeMap<String, Vec<Vec<f64>>> = BTreeMap::new();
    let mut smoothing: BTreeMap<String, f64> = BTreeMap::new();
    let mut record = ShapeSearch {
        base_log_loss,
        log_loss: base_log_loss,
        min_gain,
        features: Vec::new(),
        stopped: String::new(),
        out_of_time: false,
    };
    // Rows each fold's candidates are fitted on: the other folds', every `step`-th on large data.
    let step = n.div_ceil(FIT_ROWS).max(1);
    let fit_rows: Vec<Vec<usize>> =
        (0..k).map(|f| (0..n).step_by(step).filter(|&i| folds.fold[i] != f).collect()).collect();
    let other_rows: Vec<usize> = (0..k).map(|f| folds.fold.iter().filter(|&&g| g != f).count()).collect();
    let mut searched = 0usize;
    for feature in &encoder.features {
        let Some(&start) = starts.get(&feature.name) else { continue };
        let Transform::Numeric(current) = &feature.transform else { continue };
        if started.elapsed() > budget {
            record.out_of_time = true;
            break;
        }
        let Some(ColumnData::Numeric(column)) = table.columns.iter().find(|c| c.name == feature.name).map(|c| &c.data)
        else {
            continue;
        };
        let values: Vec<Option<f64>> = rows.iter().map(|&r| Some(column[r]).filter(|v| !v.is_nan())).collect();
        let mut present: Vec<f64> = values.iter().flatten().copied().collect();
        present.sort_by(f64::total_cmp);
        let distinct = distinct_sorted(&present, MAX_SHAPE_LEVELS);
        if distinct < 3 {
            // Two values: every shape is the same line through them.
            continue;
        }
        let integers = present.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15);
        let non_negative = present.first().is_some_and(|v| *v >= 0.0);
        let impute = spec.features.get(&feature.name).and_then(|f| f.impute).unwrap_or_default();
        // The rest of the model: each fold's log-odds without this number's columns.
        let offsets: Vec<Vec<f64>> = (0..k)
            .map(|f| {
                let w = &folds.models[f].weights;
                let mut off = eta[f].clone();
                for (c, weight) in w.iter().enumerate().skip(feature.offset).take(current.width()) {
                    for (o, v) in off.iter_mut().zip(x.column(c).iter()) {
                        *o -= v * weight;
                    }
                }
                off
            })
            .collect();
        // One candidate shape judged on every fold; candidates are independent of each other,
        // so they run one a core and come back in `Shape::CANDIDATES` order (the same bytes).
        let judge = |shape: Shape| -> Option<Tried> {
            let reading = shape.reading().expect("candidates are concrete shapes");
            if reading.log1p && !non_negative
                || reading.levels && !(integers && distinct <= MAX_SHAPE_LEVELS)
                || reading.bins > 0 && distinct <= 3
            {
                return None;
            }
            let cuts = if reading.levels { Cuts::Levels { min_count } } else { Cuts::Quantiles(reading.bins) };
            let enc = NumericEncoder::fit(values.iter().copied(), reading.log1p, impute, cuts)?;
            let width = enc.width();
            u32::try_from(width).ok()?;
            // A smooth shape is fitted at each smoothing, weakest first, each fold's first fit
            // started at the previous smoothing's optimum; the path stops at the first
            // smoothing that fits worse out of fold than the best so far, which stands for it.
            let smoothings: Vec<Option<f64>> =
                if shape.smooth() { crate::steps::PENALTIES.iter().map(|m| Some(*m)).collect() } else { vec![None] };
            let mut z = candidate_columns(&enc, &values);
            let mut best: Option<Tried> = None;
            let mut previous: Option<(f64, Vec<f64>)> = None;
            for smoothing in smoothings {
                z = smoothed(z, &enc, smoothing);
                let mut fits: Vec<Vec<f64>> = Vec::with_capacity(k);
                let mut total = 0.0;
                for f in 0..k {
                    // The penalty of a fit on all the other folds' rows, scaled to the rows fitted.
                    let l2 = folds.l2 * fit_rows[f].len() as f64 / other_rows[f].max(1) as f64;
                    // The previous smoothing's fit of fold 0, its steps rescaled to the same levels.
                    let rescaled = match (&previous, smoothing) {
                        (Some((m, w)), Some(now)) if f == 0 => Some(rescale(&z.steps, w, *m, now)),
                        _ => None,
                    };
                    let start = fits.last().map(Vec::as_slice).or(rescaled.as_deref());
                    let w = newton::fit(&z, Some(&offsets[f]), y, &fit_rows[f], l2, start, Stop::OPTIMUM);
                    let lw = z.levels(&w);
                    for i in (0..n).filter(|&i| folds.fold[i] == f) {
                        total += loss(offsets[f][i] + z.at(&lw, i), y[i]);
                    }
                    fits.push(w);
                }
                let log_loss = total / n.max(1) as f64;
                if let (Some(m), Some(first)) = (smoothing, fits.first()) {
                    previous = Some((m, first.clone()));
                }
                if best.as_ref().is_none_or(|b| log_loss < b.log_loss) {
                    best = Some(Tried { shape, enc: enc.clone(), width, fits, log_loss, smoothing });
                } else {
                    break;
                }
            }
            best
        };
        let mut tried: Vec<Tried> = in_parallel(&Shape::CANDIDATES, judge).into_iter().flatten().collect();
        if tried.is_empty() {
            continue;
        }
        searched += 1;
        // Simplest first; a richer shape wins only by its columns' worth of gain.
        tried.sort_by_key(|t| t.width);
        let mut best = 0;
        for (i, t) in tried.iter().enumerate().skip(1) {
            let extra = t.width.saturating_sub(tried[best].width) as f64;
            if tried[best].log_loss - t.log_loss > min_gain * extra {
                best = i;
            }
        }
        let lowest = (0..tried.len()).min_by(|&a, &b| tried[a].log_loss.total_cmp(&tried[b].log_loss)).unwrap_or(best);
        let why = if lowest == best {
            format!("the lowest out-of-fold log loss ({:.5})", tried[best].log_loss)
        } else {
            let (b, l) = (&tried[best], &tried[lowest]);
            format!(
                "out-of-fold log loss {:.5}; {} was {:.5} lower with {} more columns, less than the {:.5} asked",
                b.log_loss,
                l.shape.as_str(),
                b.log_loss - l.log_loss,
                l.width.saturating_sub(b.width),
                min_gain * l.width.saturating_sub(b.width) as f64
            )
        };
        let winner = &tried[best];
        let why = match winner.smoothing {
            Some(m) => format!("{why}; steps between its bins penalised {m}x the model's penalty"),
            None => why,
        };
        let z = smoothed(candidate_columns(&winner.enc, &values), &winner.enc, winner.smoothing);
        for (f, eta_f) in eta.iter_mut().enumerate() {
            let lw = z.levels(&winner.fits[f]);
            for (i, e) in eta_f.iter_mut().enumerate() {
                *e = offsets[f][i] + z.at(&lw, i);
            }
        }
        tracing::debug!(feature = %feature.name, start = start.as_str(), chosen = winner.shape.as_str(), %why, "shape");
        chosen.insert(feature.name.clone(), winner.shape);
        fits.insert(feature.name.clone(), winner.fits.clone());
        match winner.smoothing {
            Some(m) => smoothing.insert(feature.name.clone(), m),
            None => smoothing.remove(&feature.name),
        };
        record.features.push(ShapeChoice {
            feature: feature.name.clone(),
            start,
            chosen: winner.shape,
            candidates: tried
                .iter()
                .map(|t| ShapeCandidate { shape: t.shape, columns: t.width as u32, log_loss: t.log_loss })
                .collect(),
            why,
        });
    }
    record.log_loss = pooled(&eta);
    record.stopped = if record.out_of_time {
        format!(
            "the time budget of {} s ran out after {searched} numbers; the rest kept their starting shape",
            budget.as_secs()
        )
    } else {
        format!("every number searched ({searched})")
    };
    Ok(Searched { record, chosen, fits, smoothing })
}

/// A fit at the smoothing `from` (steps of `steps`' run, at its current smoothing `to`) as
/// steps at `to`: the same levels.
fn rescale(steps: &Steps, w: &[f64], from: f64, to: f64) -> Vec<f64> {
    let ratio = crate::steps::scale(from) / crate::steps::scale(to);
    let mut out = w.to_vec();
    steps.each_step(|c| out[c] *= ratio);
    out
}

/// `f` of every item, on up to one thread a core, in the items' order.
fn in_parallel<T: Copy + Sync, R: Send>(items: &[T], f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, usize::from).clamp(1, items.len().max(1));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut out: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (f, next) = (&f, &next);
                scope.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(*item)));
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    });
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_is_the_drafts_old_rule() {
        let counts: Vec<f64> = (0..200).map(|i| if i % 10 == 0 { f64::from(i) } else { f64::from(i % 3) }).collect();
        assert_eq!(start_shape(&counts), Shape::Log1pBins);
        let even: Vec<f64> = (0..200).map(|i| f64::from(i % 50)).collect();
        assert_eq!(start_shape(&even), Shape::Bins);
        let few: Vec<f64> = (0..200).map(|i| f64::from(i % 4)).collect();
        assert_eq!(start_shape(&few), Shape::Linear);
    }
}
