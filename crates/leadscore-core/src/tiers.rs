//! A/B/C/D lead tiers cut from held-out score quantiles.
//!
//! Sales teams act on letters, not probabilities: "call every A today, nurture
//! the Ds". Cutting the tiers at quantiles of the held-out probabilities makes
//! each tier a known share of the lead flow (A = top 10%, ...), so the size of
//! each queue is predictable. The cut points are stored in the artifact and
//! applied to new leads without the held-out data.

use crate::metrics::ceil_count;
use crate::{Error, Result};

/// One tier: every lead with `probability >= min_probability` that no better
/// tier took.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tier {
    /// The tier's letter: "A" is best.
    pub name: String,
    /// Lowest probability in the tier (0.0 for the last tier, which takes
    /// everything else).
    pub min_probability: f64,
    /// The share of leads the tier was cut for. The share actually landing in
    /// it can differ when held-out probabilities tie at a cut (see
    /// [`Tiers::from_predictions`]).
    pub share: f64,
}

/// The tiers of a model, best first; the last tier has `min_probability` 0.0.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tiers {
    /// Best first, `min_probability` non-increasing.
    pub tiers: Vec<Tier>,
}

/// Allowed distance of the sum of the shares from 1, for shares like
/// `1.0 / 3.0` that cannot sum to exactly 1 in floats.
const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// The name of tier `k` (0-based): "A" to "Z", then "AA", "AB", ... as
/// spreadsheet columns, so any number of tiers gets a distinct name.
fn tier_name(k: usize) -> String {
    let mut letters = Vec::new();
    let mut k = k + 1;
    while k > 0 {
        k -= 1;
        letters.push(char::from(b'A' + (k % 26) as u8));
        k /= 26;
    }
    letters.iter().rev().collect()
}

impl Tiers {
    /// Default shares: A = top 10%, B = next 20%, C = next 30%, D = the rest
    /// (40%).
    pub const DEFAULT_SHARES: [f64; 4] = [0.1, 0.2, 0.3, 0.4];

    /// Cut points from held-out probabilities; names "A", "B", "C", ...
    /// Shares must be finite, `> 0` and sum to 1 (±1e-9), else
    /// [`Error::InvalidTiers`].
    ///
    /// With the probabilities sorted descending, tier k's `min_probability` is
    /// the value at index `ceil(cum_share_k * n) - 1`, where `cum_share_k` is
    /// the sum of the shares of tiers 0..=k (a product within a relative 1e-9
    /// of a whole number counts as that number, so `0.1 + 0.2` of 10 leads is
    /// 3 leads). The last tier's `min_probability` is 0.0.
    ///
    /// Ties: every lead whose probability equals a cut goes to the better
    /// tier, so a tier holds more than its share when leads tie at its cut,
    /// and the next tier correspondingly fewer, none at all when its own cut
    /// equals the previous one (the tier is then empty, but still listed).
    ///
    /// Non-finite probabilities (which callers should not pass) are left out;
    /// [`Error::EmptyCurve`] if no probability remains.
    pub fn from_predictions(probs: &[f64], shares: &[f64]) -> Result<Tiers> {
        let sum: f64 = shares.iter().sum();
        let shares_ok = !shares.is_empty()
            && shares.iter().all(|s| s.is_finite() && *s > 0.0)
            && (sum - 1.0).abs() <= SHARE_SUM_TOLERANCE;
        if !shares_ok {
            return Err(Error::InvalidTiers { shares: shares.to_vec() });
        }
        // `+ 0.0` turns -0.0 into 0.0, so no cut is ever stored as -0.0.
        let mut sorted: Vec<f64> = probs.iter().filter(|p| p.is_finite()).map(|p| p + 0.0).collect();
        if sorted.is_empty() {
            return Err(Error::EmptyCurve { what: "score tiers".to_string() });
        }
        sorted.sort_by(|a, b| b.total_cmp(a));
        let n = sorted.len();
        let mut cum_share = 0.0;
        let tiers = shares
            .iter()
            .enumerate()
            .map(|(k, &share)| {
                cum_share += share;
                let min_probability = if k + 1 == shares.len() {
                    0.0
                } else {
                    // ceil_count is in 1..=n, so the index is always valid.
                    sorted.get(ceil_count(cum_share, n) - 1).copied().unwrap_or(0.0)
                };
                Tier { name: tier_name(k), min_probability, share }
            })
            .collect();
        Ok(Tiers { tiers })
    }

    /// The tier of a probability: the first tier whose `min_probability <= p`.
    ///
    /// A probability below every cut (negative) or NaN, which callers should
    /// not pass, gets the last tier rather than a panic; "" only if there are
    /// no tiers at all (possible only for a hand-made `Tiers`).
    pub fn tier(&self, probability: f64) -> &str {
        self.tiers
            .iter()
            .find(|t| t.min_probability <= probability)
            .or(self.tiers.last())
            .map_or("", |t| t.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[track_caller]
    fn ok(result: Result<Tiers>) -> Tiers {
        match result {
            Ok(t) => t,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[track_caller]
    fn check(tiers: &Tiers, want: &[(&str, f64, f64)]) {
        let got: Vec<(&str, f64, f64)> =
            tiers.tiers.iter().map(|t| (t.name.as_str(), t.min_probability, t.share)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn default_shares_on_ten_leads() {
        let probs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
        let tiers = ok(Tiers::from_predictions(&probs, &Tiers::DEFAULT_SHARES));
        // Sorted desc: 0.95 0.9 0.8 0.7 0.6 0.5 0.4 0.3 0.2 0.1
        // A: cum 0.1 -> ceil(1) - 1 = index 0 -> 0.95
        // B: cum 0.1 + 0.2 = 0.30000000000000004 -> 3 leads -> index 2 -> 0.8
        // C: cum 0.6000000000000001 -> 6 leads -> index 5 -> 0.5
        // D: 0.0
        check(&tiers, &[("A", 0.95, 0.1), ("B", 0.8, 0.2), ("C", 0.5, 0.3), ("D", 0.0, 0.4)]);
        assert_eq!(tiers.tier(0.95), "A");
        assert_eq!(tiers.tier(0.99), "A");
        assert_eq!(tiers.tier(0.9), "B");
        assert_eq!(tiers.tier(0.8), "B"); // at the cut -> the better tier
        assert_eq!(tiers.tier(0.7), "C");
        assert_eq!(tiers.tier(0.5), "C");
        assert_eq!(tiers.tier(0.49), "D");
        assert_eq!(tiers.tier(0.0), "D");
        // Invalid probabilities fall to the last tier.
        assert_eq!(tiers.tier(-1.0), "D");
        assert_eq!(tiers.tier(f64::NAN), "D");
    }

    #[test]
    fn uneven_counts_round_up() {
        // 7 leads, shares 0.25 / 0.25 / 0.5: sorted desc 0.7 .. 0.1
        // A: ceil(0.25 * 7 = 1.75) = 2 -> index 1 -> 0.6
        // B: ceil(0.5 * 7 = 3.5) = 4 -> index 3 -> 0.4
        let probs = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7];
        let tiers = ok(Tiers::from_predictions(&probs, &[0.25, 0.25, 0.5]));
        check(&tiers, &[("A", 0.6, 0.25), ("B", 0.4, 0.25), ("C", 0.0, 0.5)]);
    }

    #[test]
    fn ties_at_a_cut_go_to_the_better_tier() {
        // 5 leads, shares 0.2 / 0.4 / 0.4; sorted desc 0.9 0.7 0.7 0.7 0.2
        // A: ceil(1) - 1 = index 0 -> 0.9
        // B: ceil(3) - 1 = index 2 -> 0.7: all three 0.7s are B (60% of
        //    leads for a 40% share), C gets only 0.2.
        let tiers = ok(Tiers::from_predictions(&[0.7, 0.2, 0.9, 0.7, 0.7], &[0.2, 0.4, 0.4]));
        check(&tiers, &[("A", 0.9, 0.2), ("B", 0.7, 0.4), ("C", 0.0, 0.4)]);
        // Four leads tied at 0.8: A cut index 0 -> 0.8, B cut index 2 -> 0.8.
        // Every 0.8 is an A; B is empty.
        let tiers = ok(Tiers::from_predictions(&[0.8, 0.8, 0.8, 0.8, 0.1], &[0.2, 0.4, 0.4]));
        check(&tiers, &[("A", 0.8, 0.2), ("B", 0.8, 0.4), ("C", 0.0, 0.4)]);
        assert_eq!(tiers.tier(0.8), "A");
        assert_eq!(tiers.tier(0.1), "C");
    }

    #[test]
    fn invalid_shares_are_rejected() {
        for shares in [vec![0.5, 0.4], vec![1.0, 0.0], vec![1.5, -0.5], vec![], vec![f64::NAN, 1.0], vec![0.6, 0.6]] {
            match Tiers::from_predictions(&[0.5], &shares) {
                Err(Error::InvalidTiers { shares: got }) => {
                    assert_eq!(format!("{got:?}"), format!("{shares:?}"));
                }
                other => panic!("{shares:?}: expected InvalidTiers, got {other:?}"),
            }
        }
        // Thirds sum to 1 within the tolerance.
        assert!(Tiers::from_predictions(&[0.5], &[1.0 / 3.0; 3]).is_ok());
    }

    #[test]
    fn empty_or_non_finite_probabilities() {
        match Tiers::from_predictions(&[], &Tiers::DEFAULT_SHARES) {
            Err(Error::EmptyCurve { what }) => assert_eq!(what, "score tiers"),
            other => panic!("expected EmptyCurve, got {other:?}"),
        }
        assert!(matches!(Tiers::from_predictions(&[f64::NAN], &Tiers::DEFAULT_SHARES), Err(Error::EmptyCurve { .. })));
        // NaN and infinity are left out: one lead, 0.5, is every cut.
        let tiers = ok(Tiers::from_predictions(&[f64::NAN, f64::INFINITY, 0.5], &[0.5, 0.5]));
        check(&tiers, &[("A", 0.5, 0.5), ("B", 0.0, 0.5)]);
        // A single tier takes everything.
        let tiers = ok(Tiers::from_predictions(&[0.3], &[1.0]));
        check(&tiers, &[("A", 0.0, 1.0)]);
        assert_eq!(Tiers { tiers: vec![] }.tier(0.5), "");
    }

    #[test]
    fn names_continue_past_z() {
        assert_eq!(tier_name(0), "A");
        assert_eq!(tier_name(25), "Z");
        assert_eq!(tier_name(26), "AA");
        assert_eq!(tier_name(27), "AB");
        assert_eq!(tier_name(26 + 26 * 26), "AAA");
        let tiers = ok(Tiers::from_predictions(&[0.5], &[1.0 / 27.0; 27]));
        assert_eq!(tiers.tiers[26].name, "AA");
    }

    proptest! {
        #[test]
        fn cuts_are_monotone_and_hold_at_least_their_share(
            probs in prop::collection::vec((0u32..20).prop_map(|k| f64::from(k) / 20.0), 1..60),
            raw in prop::collection::vec(1u32..10, 1..6),
        ) {
            let total: u32 = raw.iter().sum();
            let shares: Vec<f64> = raw.iter().map(|&r| f64::from(r) / f64::from(total)).collect();
            let tiers = ok(Tiers::from_predictions(&probs, &shares));
            prop_assert_eq!(tiers.tiers.len(), shares.len());
            prop_assert_eq!(tiers.tiers.last().map(|t| t.min_probability), Some(0.0));
            for pair in tiers.tiers.windows(2) {
                prop_assert!(pair[0].min_probability >= pair[1].min_probability);
            }
            // The leads in tiers 0..=k are at least ceil(cum share * n).
            let mut cum = 0.0;
            for (k, tier) in tiers.tiers.iter().enumerate() {
                cum += tier.share;
                let names: Vec<&str> = tiers.tiers[..=k].iter().map(|t| t.name.as_str()).collect();
                let inside = probs.iter().filter(|&&p| names.contains(&tiers.tier(p))).count();
                prop_assert!(inside >= ceil_count(cum, probs.len()));
            }
        }
    }
}
