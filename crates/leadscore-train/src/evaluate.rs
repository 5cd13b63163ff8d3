//! Held-out figures with bootstrap intervals.
//!
//! A point AUC from 60 won leads is not the same claim as one from 6,000; the
//! card shows both with a 95% percentile-bootstrap interval so a small data
//! set reads as what it is. Resampling draws row multiplicities and reuses
//! one sorted order, so each replicate costs O(n), not O(n log n).

use leadscore_core::metrics::{self, RankedScores};
use leadscore_core::monitor::bootstrap;
use leadscore_core::report::{Evaluation, Interval};

/// Number of calibration bins in the card.
pub const CALIBRATION_BINS: usize = 10;

/// Replicates used for `n` rows: fewer on big sets, where intervals are narrow anyway.
pub fn default_replicates(n: usize) -> u32 {
    if n <= 50_000 {
        1000
    } else {
        200
    }
}

/// Lift of the top `fraction` under row weights, walking a precomputed best-first order.
fn weighted_lift(order: &[usize], labels: &[bool], weights: &[u32], fraction: f64) -> Option<f64> {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    let won: u64 = order.iter().filter(|&&i| labels[i]).map(|&i| u64::from(weights[i])).sum();
    if total == 0 || won == 0 {
        return None;
    }
    let target = ((total as f64) * fraction).ceil() as u64;
    let (mut taken, mut taken_won) = (0u64, 0u64);
    for &i in order {
        if taken >= target {
            break;
        }
        let w = u64::from(weights[i]);
        taken += w;
        if labels[i] {
            taken_won += w;
        }
    }
    Some((taken_won as f64 / taken as f64) / (won as f64 / total as f64))
}

/// The core's percentile interval, withheld below 10 replicates (too few to put a 95% interval on).
fn percentile_interval(values: Vec<f64>) -> Option<Interval> {
    if values.len() < 10 {
        return None;
    }
    bootstrap::percentile_interval(values)
}

/// One bootstrap replicate's AUC and top-decile lift (None where undefined).
type Replicate = (Option<f64>, Option<f64>);

/// Evaluates probabilities against outcomes; `replicates` bootstrap draws seeded by `seed`.
pub fn evaluate(probs: &[f64], labels: &[bool], replicates: u32, seed: u64) -> Evaluation {
    let n = probs.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    let ranked = RankedScores::new(probs);
    // Replicate r draws from its own ChaCha stream (the core's `bootstrap::draw`, shared with the
    // monitor), so the result does not depend on how replicates are spread over threads.
    let replicate = |r: u32| -> Replicate {
        let mut weights = vec![0u32; n];
        bootstrap::draw(seed, r, &mut weights);
        (ranked.weighted_auc(labels, &weights), weighted_lift(&order, labels, &weights, 0.1))
    };
    let workers = std::thread::available_parallelism().map_or(1, |w| w.get()).clamp(1, 8) as u32;
    let results: Vec<Replicate> = if n == 0 || replicates == 0 {
        Vec::new()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let replicate = &replicate;
                    scope.spawn(move || {
                        (w..replicates).step_by(workers as usize).map(|r| (r, replicate(r))).collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut all: Vec<(u32, Replicate)> =
                handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect();
            all.sort_by_key(|(r, _)| *r);
            all.into_iter().map(|(_, v)| v).collect()
        })
    };
    let aucs: Vec<f64> = results.iter().filter_map(|(a, _)| *a).collect();
    let lifts: Vec<f64> = results.iter().filter_map(|(_, l)| *l).collect();
    let ones = vec![1u32; n];
    Evaluation {
        n_rows: n as u64,
        n_positives: labels.iter().filter(|y| **y).count() as u64,
        auc: metrics::auc(probs, labels),
        auc_ci: percentile_interval(aucs),
        log_loss: metrics::log_loss(probs, labels),
        brier: metrics::brier(probs, labels),
        average_precision: metrics::average_precision(probs, labels),
        lift_top_decile: weighted_lift(&order, labels, &ones, 0.1),
        lift_ci: percentile_interval(lifts),
        calibration: metrics::calibration(probs, labels, CALIBRATION_BINS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lift_of_a_perfect_ranking() {
        // 10 leads, 2 won, ranked first: top 10% = 1 lead, won rate 1 / base 0.2 = 5
        let probs = [0.9, 0.8, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1];
        let labels = [true, true, false, false, false, false, false, false, false, false];
        let e = evaluate(&probs, &labels, 0, 1);
        assert_eq!(e.lift_top_decile, Some(5.0));
        assert_eq!(e.auc, Some(1.0));
        assert_eq!(e.n_positives, 2);
        assert!(e.auc_ci.is_none());
    }

    #[test]
    fn intervals_contain_the_estimate_and_are_seeded() {
        let probs: Vec<f64> = (0..400).map(|i| f64::from(i) / 400.0).collect();
        let labels: Vec<bool> = (0..400).map(|i| (i * 7919) % 400 < i).collect();
        let a = evaluate(&probs, &labels, 300, 42);
        let ci = a.auc_ci.unwrap();
        let auc = a.auc.unwrap();
        assert!(ci.low <= auc && auc <= ci.high, "{ci:?} vs {auc}");
        assert!(ci.high - ci.low > 0.01 && ci.high - ci.low < 0.2, "{ci:?}");
        assert_eq!(a, evaluate(&probs, &labels, 300, 42));
    }
}
