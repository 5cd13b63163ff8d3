//! Calibration in production: did the leads the model called A-tier close as often as it said?
//!
//! Realised won rate against the mean predicted probability, by the tier each lead was given and
//! by decile of the live probabilities, each rate with its Wilson 95% interval (exact enough for
//! the small groups a fresh deployment has, and never outside [0, 1] as a normal interval is).

use serde::{Deserialize, Serialize};

use crate::metrics::ceil_count;
use crate::report::Interval;

/// z of a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;

/// One group of leads with outcomes: what the model predicted and what happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalibrationRow {
    /// The tier name, or the decile (`1` = the lowest probabilities).
    pub group: String,
    /// Leads with an outcome in the group.
    pub n: u64,
    /// Won among them.
    pub won: u64,
    /// Mean predicted probability (0 with no lead).
    pub mean_predicted: f64,
    /// Realised won rate (0 with no lead).
    pub observed_rate: f64,
    /// Wilson 95% interval of the won rate (`None` with no lead).
    pub interval: Option<Interval>,
}

/// The Wilson score interval of `won` successes in `n` at 95%.
pub fn wilson(won: u64, n: u64) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let (n, p) = (n as f64, won as f64 / n as f64);
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(Interval { low: (centre - half).max(0.0), high: (centre + half).min(1.0), level: 0.95 })
}

fn row(group: String, members: impl Iterator<Item = (f64, bool)>) -> CalibrationRow {
    let (mut n, mut won, mut sum) = (0u64, 0u64, 0.0);
    for (p, y) in members {
        n += 1;
        won += u64::from(y);
        sum += p;
    }
    let per = |x: f64| if n == 0 { 0.0 } else { x / n as f64 };
    CalibrationRow { group, n, won, mean_predicted: per(sum), observed_rate: per(won as f64), interval: wilson(won, n) }
}

/// By tier, in the order of `tier_names` (the artifact's, best first): `lead_tiers[i]` is the tier
/// lead `i` was given when scored. Every tier is listed, empty ones with `n = 0`.
pub fn by_tier(tier_names: &[&str], lead_tiers: &[&str], probs: &[f64], labels: &[bool]) -> Vec<CalibrationRow> {
    tier_names
        .iter()
        .map(|&name| {
            let members = lead_tiers
                .iter()
                .zip(probs.iter().zip(labels))
                .filter(move |(t, _)| **t == name)
                .map(|(_, (&p, &y))| (p, y));
            row(name.to_owned(), members)
        })
        .collect()
}

/// By decile of the live probabilities, lowest first: the leads sorted by probability (ties in
/// lead order) and cut after `ceil(k n / 10)` leads for k = 1..10. Fewer rows when `n < 10`.
pub fn by_decile(probs: &[f64], labels: &[bool]) -> Vec<CalibrationRow> {
    let n = probs.len().min(labels.len());
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| probs[a].total_cmp(&probs[b]).then(a.cmp(&b)));
    let mut rows = Vec::new();
    let mut start = 0;
    for k in 1..=10u32 {
        let end = ceil_count(f64::from(k) / 10.0, n);
        if end > start {
            rows.push(row(k.to_string(), order[start..end].iter().map(|&i| (probs[i], labels[i]))));
            start = end;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_by_hand() {
        // 8 of 10: p = 0.8, z² = 3.841459; centre (0.8 + 0.192073) / 1.384146 = 0.716741;
        // half 1.959964 / 1.384146 * sqrt(0.016 + 0.009604) = 1.416009 * 0.160012 = 0.226579.
        let i = wilson(8, 10).unwrap();
        assert!((i.low - 0.490_162).abs() < 1e-5 && (i.high - 0.943_320).abs() < 1e-5, "{i:?}");
        let i = wilson(0, 5).unwrap();
        assert_eq!(i.low, 0.0);
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn tiers_and_deciles_by_hand() {
        let probs = [0.9, 0.8, 0.3, 0.2, 0.1];
        let labels = [true, false, true, false, false];
        let tiers = ["A", "A", "B", "C", "C"];
        let rows = by_tier(&["A", "B", "C", "D"], &tiers, &probs, &labels);
        // A: 0.9 won, 0.8 lost -> n 2, mean 0.85, rate 0.5. B: 0.3 won. C: 0.2, 0.1 lost. D empty.
        assert_eq!(rows.iter().map(|r| (r.n, r.won)).collect::<Vec<_>>(), [(2, 1), (1, 1), (2, 0), (0, 0)]);
        assert!((rows[0].mean_predicted - 0.85).abs() < 1e-12 && rows[0].observed_rate == 0.5);
        assert!(rows[3].interval.is_none());
        // 5 leads: the cuts ceil(0.1 * 5) = 1, ceil(0.2 * 5) = 1 (no new lead), 2, ... so five
        // deciles of one lead each: 1, 3, 5, 7, 9 (k where ceil(k/2) grows).
        let rows = by_decile(&probs, &labels);
        assert_eq!(rows.iter().map(|r| r.group.as_str()).collect::<Vec<_>>(), ["1", "3", "5", "7", "9"]);
        assert_eq!(rows[0].mean_predicted, 0.1);
        assert_eq!(rows[4].observed_rate, 1.0);
    }
}
