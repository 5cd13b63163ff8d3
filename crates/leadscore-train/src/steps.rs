//! The `smooth` shapes' bins fitted as steps: a training-time change of basis, never published.
//!
//! A number read `smooth` has the `bins` encoding (the line, its missing indicator, one 0/1
//! column per quantile bin). Fitted as they are, the ridge penalty shrinks each bin's level
//! towards zero on its own, and a bin's level follows only its own leads. Here, while training,
//! bin `b`'s column becomes the "thermometer" `[bin ≥ b]` (bin 0's column is left empty: the
//! intercept holds it), so the weight of column `b` is the step between bins `b − 1` and `b`,
//! and the same ridge penalty now shrinks the steps: a first-difference ("fused") penalty, the
//! order-0 case of Eilers and Marx's P-splines, which leaves a staircase that moves only where
//! the data asks. The columns are written as `1 / √m` instead of 1, so the uniform penalty `λ`
//! of every fit (linfa-logistic's, Newton's) acts as `m·λ` on the steps: `m` is the smoothing,
//! chosen per number by the shape search ([`PENALTIES`]).
//!
//! Every fit, fold model and warm start of the training crate lives in this basis; a model
//! leaves it through [`Steps::to_levels`] (the steps summed back into one weight per bin,
//! centred on the training leads), and the published artifact holds ordinary `bins` weights:
//! the lookup scorer, explanations, SQL and points read it as any other.

use std::collections::BTreeMap;

use ndarray::Array2;

use leadscore_core::encode::{Encoder, NumericEncoder, Transform};
use leadscore_core::model::LogisticModel;
use leadscore_core::spec::Shape;

/// The smoothing multipliers the shape search tries: the steps' penalty as a multiple of the
/// model's.
pub const PENALTIES: [f64; 4] = [1.0, 4.0, 16.0, 64.0];
/// The smoothing of a number whose `smooth` shape the spec pins (no search chose one).
pub const DEFAULT_PENALTY: f64 = 16.0;

/// One smooth number's bins in the design: where its first bin column is, how many bins.
#[derive(Clone, Debug, PartialEq)]
struct Run {
    first: usize,
    bins: usize,
    /// The value a step column holds for a row past the step, `1 / √m`.
    scale: f64,
}

/// Where the design's smooth bins are, and their smoothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Steps {
    runs: Vec<Run>,
}

/// The first bin column within a numeric feature's columns (after the line and the indicator).
fn first_bin(enc: &NumericEncoder) -> usize {
    1 + usize::from(enc.missing_indicator)
}

/// The step columns' value for the smoothing `m`.
pub fn scale(m: f64) -> f64 {
    1.0 / m.max(f64::MIN_POSITIVE).sqrt()
}

/// Writes `enc`'s columns of one value (`None` = missing) with the bins as steps of `scale`,
/// nonzero cells only, in column order.
pub fn write_steps(enc: &NumericEncoder, value: Option<f64>, scale: f64, mut set: impl FnMut(usize, f64)) {
    let first = first_bin(enc);
    let mut bin = None;
    enc.write(value, |c, v| {
        if c < first {
            if v != 0.0 {
                set(c, v);
            }
        } else if v != 0.0 {
            bin = Some(c - first);
        }
    });
    if let Some(bin) = bin {
        for b in 1..=bin {
            set(first + b, scale);
        }
    }
}

/// Over one run's entries (bin `b` at `at(b)`): each step's entry becomes `scale` times the sum
/// of the entries of its bin and every later one; bin 0's becomes 0 (no step column).
fn suffix_sums(run: &Run, values: &mut [f64], at: impl Fn(usize) -> usize) {
    let mut sum = 0.0;
    for b in (1..run.bins).rev() {
        sum += values[at(b)];
        values[at(b)] = sum * run.scale;
    }
    values[at(0)] = 0.0;
}

impl Steps {
    /// The smooth numbers of `encoder` (those `shapes` reads `smooth`), each with its smoothing
    /// from `penalties` ([`DEFAULT_PENALTY`] when absent).
    pub fn of(encoder: &Encoder, shapes: &BTreeMap<String, Shape>, penalties: &BTreeMap<String, f64>) -> Steps {
        let runs = encoder
            .features
            .iter()
            .filter(|f| shapes.get(&f.name).is_some_and(|s| s.smooth()))
            .filter_map(|f| match &f.transform {
                Transform::Numeric(enc) if !enc.cuts.is_empty() => Some(Run {
                    first: f.offset + first_bin(enc),
                    bins: enc.cuts.len() + 1,
                    scale: scale(penalties.get(&f.name).copied().unwrap_or(DEFAULT_PENALTY)),
                }),
                _ => None,
            })
            .collect();
        Steps { runs }
    }

    /// The steps of one smooth number's candidate columns (the shape search's: `enc`'s columns
    /// from 0) at the smoothing `m`; empty when it has no bins.
    pub fn of_candidate(enc: &NumericEncoder, m: f64) -> Steps {
        let runs = (!enc.cuts.is_empty())
            .then(|| Run { first: first_bin(enc), bins: enc.cuts.len() + 1, scale: scale(m) })
            .into_iter()
            .collect();
        Steps { runs }
    }

    /// The weights `w` (fitted in steps; any entries past the design's columns, such as a
    /// shift, are kept) as weights of the one-hot design: bin `b`'s weight is the sum of the
    /// steps up to it, bin 0's is 0 (its level is in the intercept). Not centred, unlike
    /// [`Steps::to_levels`]: the log-odds of a one-hot row from these are those of its step row.
    pub fn levels_of(&self, w: &[f64]) -> Vec<f64> {
        let mut out = w.to_vec();
        for run in &self.runs {
            let mut level = 0.0;
            out[run.first] = 0.0;
            for b in 1..run.bins {
                level += w[run.first + b] * run.scale;
                out[run.first + b] = level;
            }
        }
        out
    }

    /// A gradient taken over the one-hot design's columns as the gradient over the steps
    /// (`Tᵀ g`, where `T` maps steps to levels as [`Steps::levels_of`] does).
    pub fn gradient_to_steps(&self, g: &mut [f64]) {
        for run in &self.runs {
            suffix_sums(run, g, |b| run.first + b);
        }
    }

    /// A curvature (full, symmetric, `p × p` row-major in `h`) taken over the one-hot design's
    /// columns as the curvature over the steps (`Tᵀ H T`).
    pub fn curvature_to_steps(&self, h: &mut [f64], p: usize) {
        for run in &self.runs {
            for r in 0..p {
                suffix_sums(run, h, |b| r * p + run.first + b);
            }
            for c in 0..p {
                suffix_sums(run, h, |b| (run.first + b) * p + c);
            }
        }
    }

    /// Calls `f` with every step column (bin 0's, always empty, left out).
    pub fn each_step(&self, mut f: impl FnMut(usize)) {
        for run in &self.runs {
            (1..run.bins).for_each(|b| f(run.first + b));
        }
    }

    /// Whether no number is smooth (every conversion is then the identity).
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    /// One-hot bins of the design `x` (as `design_matrix` writes them) into steps.
    pub fn to_steps(&self, x: &mut Array2<f64>) {
        for run in &self.runs {
            for i in 0..x.nrows() {
                let bin = (0..run.bins).find(|&b| x[[i, run.first + b]] != 0.0).unwrap_or(0);
                for b in 0..run.bins {
                    x[[i, run.first + b]] = if b >= 1 && b <= bin { run.scale } else { 0.0 };
                }
            }
        }
    }

    /// Steps of the design `x` back into one-hot bins: exactly the matrix `design_matrix` wrote.
    pub fn to_one_hot(&self, x: &mut Array2<f64>) {
        for run in &self.runs {
            for i in 0..x.nrows() {
                let bin = (1..run.bins).take_while(|&b| x[[i, run.first + b]] != 0.0).count();
                for b in 0..run.bins {
                    x[[i, run.first + b]] = if b == bin { 1.0 } else { 0.0 };
                }
            }
        }
    }

    /// `model`, fitted in steps, as one weight per bin: bin `b`'s level is the sum of the steps up
    /// to it, less the levels' mean over the training leads (`shares`, each bin's share: the
    /// encoder's baseline), which moves to the intercept. The log-odds of every lead are the same
    /// (to rounding).
    pub fn to_levels(&self, model: &LogisticModel, shares: &[f64]) -> LogisticModel {
        let mut out = model.clone();
        for run in &self.runs {
            let mut level = 0.0;
            let mut levels = Vec::with_capacity(run.bins);
            for b in 0..run.bins {
                if b >= 1 {
                    level += model.weights[run.first + b] * run.scale;
                }
                levels.push(level);
            }
            let mean: f64 =
                levels.iter().enumerate().map(|(b, l)| l * shares.get(run.first + b).copied().unwrap_or(0.0)).sum();
            for (b, l) in levels.iter().enumerate() {
                out.weights[run.first + b] = l - mean;
            }
            out.intercept += mean;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::encode::Cuts;
    use leadscore_core::spec::Impute;

    #[test]
    fn steps_and_levels_give_the_same_log_odds() {
        let values: Vec<Option<f64>> =
            (0..100).map(|i| if i % 17 == 0 { None } else { Some(f64::from(i % 23)) }).collect();
        let enc = NumericEncoder::fit(values.iter().copied(), false, Impute::Median, Cuts::Quantiles(5)).unwrap();
        let width = enc.width();
        let mut x = Array2::zeros((values.len(), width));
        for (i, v) in values.iter().enumerate() {
            enc.write(*v, |c, value| x[[i, c]] = value);
        }
        let one_hot = x.clone();
        let run = Run { first: first_bin(&enc), bins: enc.cuts.len() + 1, scale: scale(4.0) };
        let steps = Steps { runs: vec![run] };
        steps.to_steps(&mut x);
        for (i, v) in values.iter().enumerate() {
            let mut row = vec![0.0; width];
            write_steps(&enc, *v, scale(4.0), |c, value| row[c] = value);
            assert_eq!(row.as_slice(), x.row(i).to_vec().as_slice(), "row {i}");
        }
        let model = LogisticModel { intercept: -0.3, weights: (0..width).map(|c| 0.1 * c as f64 - 0.2).collect() };
        let shares: Vec<f64> = one_hot.columns().into_iter().map(|c| c.sum() / values.len() as f64).collect();
        let levels = steps.to_levels(&model, &shares);
        for i in 0..values.len() {
            let a: f64 = model.intercept + x.row(i).dot(&ndarray::ArrayView1::from(&model.weights[..]));
            let b: f64 = levels.intercept + one_hot.row(i).dot(&ndarray::ArrayView1::from(&levels.weights[..]));
            assert!((a - b).abs() < 1e-12, "row {i}: {a} against {b}");
        }
        let bins = &levels.weights[first_bin(&enc)..];
        let centre: f64 = bins.iter().zip(&shares[first_bin(&enc)..]).map(|(w, s)| w * s).sum();
        assert!(centre.abs() < 1e-12);
        steps.to_one_hot(&mut x);
        assert_eq!(x, one_hot);
    }
}
