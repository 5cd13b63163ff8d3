//! Held-out metrics: how good a trained model's scores are on leads it never saw.
//!
//! Training reports these figures so a marketer can judge a model before it
//! routes a single lead, and the bootstrap re-computes AUC hundreds of times to
//! put an interval around it. Every function here is pure, deterministic and
//! total: scores and labels are parallel slices, and bad input (slices of
//! different lengths, no rows, one class only) gives `None`, `NaN` or an empty
//! table instead of a panic.
//!
//! Callers pass finite scores and probabilities. A NaN never panics: when
//! ranking, NaN ranks above every number (the order of [`f64::total_cmp`]);
//! in means, it makes the mean NaN.

use std::collections::BTreeMap;

/// scikit-learn's clipping bound for log loss: one wrong 0/1 prediction costs
/// `-ln(1e-15)` (about 34.5) instead of infinity, so one lead cannot make the
/// whole mean infinite.
const LOG_LOSS_EPS: f64 = 1e-15;

/// How close (relative) `share * n` must be to a whole number to count as it.
///
/// Shares such as `0.1 + 0.2` are not exact in binary (`0.30000000000000004`),
/// and `ceil(0.30000000000000004 * 10)` would take 4 leads where the caller
/// meant 3.
const SHARE_TOLERANCE: f64 = 1e-9;

/// `share * n` snapped to the nearest whole number when it is within
/// [`SHARE_TOLERANCE`] of it, so float noise in a share does not move a count.
fn snapped(share: f64, n: usize) -> f64 {
    let x = share * n as f64;
    let nearest = x.round();
    if (x - nearest).abs() <= SHARE_TOLERANCE * nearest.abs().max(1.0) {
        nearest
    } else {
        x
    }
}

/// The number of leads in the top `share` of `n`: `ceil(share * n)`, at least
/// 1 and at most `n` (0 only when `n` is 0).
///
/// Shared with the tiers so that "top 10%" means the same count everywhere.
pub(crate) fn ceil_count(share: f64, n: usize) -> usize {
    // `as usize` saturates (and maps NaN to 0), so this never panics.
    (snapped(share, n).ceil() as usize).clamp(1.min(n), n)
}

/// The largest number of leads that fits in `share` of `n`: `floor(share * n)`,
/// at most `n`.
///
/// Used by capacity thresholds, where going over the share means more leads
/// than sales can work.
pub(crate) fn floor_count(share: f64, n: usize) -> usize {
    (snapped(share, n).floor() as usize).min(n)
}

/// The key scores are ranked by: `-0.0` equals `0.0`, and every NaN is the
/// same NaN, so that ties are exactly the scores that compare equal and NaNs
/// (which callers should not pass) all tie above `+inf`.
fn rank_key(score: f64) -> f64 {
    if score == 0.0 {
        0.0
    } else if score.is_nan() {
        f64::NAN
    } else {
        score
    }
}

/// AUC (probability a random won lead outranks a random lost one), ties count
/// one half.
///
/// This is the headline figure of a lead model because it does not depend on
/// any threshold. O(n log n) via ranks. `None` when either class is absent
/// (the probability is undefined) or when the slices differ in length.
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    RankedScores::new(scores).auc_by(labels, |_| 1)
}

/// Scores sorted once, so that AUC can be re-computed in O(n) for many
/// re-weightings of the same rows.
///
/// The bootstrap draws hundreds of resamples of up to 200k held-out leads; a
/// resample only changes how many times each row counts, never the order of
/// the scores, so sorting once and passing multiplicities as weights turns
/// each resample into a linear pass.
#[derive(Clone, Debug, PartialEq)]
pub struct RankedScores {
    /// Row indices sorted by ascending score (stable: ties keep row order).
    order: Vec<usize>,
    /// Exclusive end, in `order`, of each group of equal scores, ascending.
    group_ends: Vec<usize>,
}

impl RankedScores {
    /// Sorts the rows by score and finds the groups of tied scores.
    pub fn new(scores: &[f64]) -> Self {
        let mut order: Vec<usize> = (0..scores.len()).collect();
        order.sort_by(|&a, &b| rank_key(scores[a]).total_cmp(&rank_key(scores[b])));
        let mut group_ends = Vec::new();
        for (pos, pair) in order.windows(2).enumerate() {
            if rank_key(scores[pair[0]]).total_cmp(&rank_key(scores[pair[1]])).is_ne() {
                group_ends.push(pos + 1);
            }
        }
        if !order.is_empty() {
            group_ends.push(order.len());
        }
        RankedScores { order, group_ends }
    }

    /// The number of rows ranked, so a caller can check that its labels and
    /// weights line up before resampling.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there are no rows at all (AUC is then always `None`).
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// The groups of tied rows, lowest score first.
    fn groups(&self) -> impl DoubleEndedIterator<Item = &[usize]> + '_ {
        self.group_ends.iter().enumerate().map(move |(g, &end)| {
            let start = g.checked_sub(1).and_then(|prev| self.group_ends.get(prev)).copied().unwrap_or(0);
            &self.order[start..end]
        })
    }

    /// AUC where row i counts `weights[i]` times (a bootstrap multiplicity),
    /// with the same tie rule as [`auc`]: O(n), exact integer pair counts.
    ///
    /// `None` if the total positive or negative weight is 0, or if `labels`
    /// or `weights` do not have one entry per ranked row.
    pub fn weighted_auc(&self, labels: &[bool], weights: &[u32]) -> Option<f64> {
        if weights.len() != self.len() {
            return None;
        }
        self.auc_by(labels, |i| u64::from(weights[i]))
    }

    /// The AUC computation shared by [`auc`] and [`RankedScores::weighted_auc`].
    ///
    /// Walking the tie groups upwards, each positive of a group beats every
    /// negative below the group and ties with the negatives inside it. Twice
    /// the number of won pairs is an integer, kept in u128 so 200k rows with
    /// large weights cannot overflow.
    fn auc_by(&self, labels: &[bool], weight: impl Fn(usize) -> u64) -> Option<f64> {
        if labels.len() != self.len() {
            return None;
        }
        let mut neg_below: u64 = 0;
        let mut pos_total: u64 = 0;
        let mut twice_wins: u128 = 0;
        for group in self.groups() {
            let (mut pos, mut neg) = (0u64, 0u64);
            for &i in group {
                let w = weight(i);
                if labels[i] {
                    pos = pos.saturating_add(w);
                } else {
                    neg = neg.saturating_add(w);
                }
            }
            let beaten = u128::from(neg_below) * 2 + u128::from(neg);
            twice_wins = twice_wins.saturating_add(u128::from(pos).saturating_mul(beaten));
            neg_below = neg_below.saturating_add(neg);
            pos_total = pos_total.saturating_add(pos);
        }
        if pos_total == 0 || neg_below == 0 {
            return None;
        }
        let twice_pairs = 2.0 * pos_total as f64 * neg_below as f64;
        Some(twice_wins as f64 / twice_pairs)
    }
}

/// Mean log loss with probabilities clipped to `[1e-15, 1 - 1e-15]`
/// (scikit-learn's convention).
///
/// It rewards calibrated probabilities, which matter because thresholds and
/// expected-value decisions read the probability itself, not just the order.
/// NaN when there are no rows or the slices differ in length (there is
/// nothing to average).
pub fn log_loss(probs: &[f64], labels: &[bool]) -> f64 {
    if probs.len() != labels.len() {
        return f64::NAN;
    }
    let total: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &won)| {
            let p = p.clamp(LOG_LOSS_EPS, 1.0 - LOG_LOSS_EPS);
            if won {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .sum();
    total / probs.len() as f64
}

/// Mean squared error of the probability against the 0/1 outcome.
///
/// Unlike log loss it stays bounded (0 to 1), so one confident mistake does
/// not dominate it; it is the calibration figure to show a non-statistician.
/// NaN when there are no rows or the slices differ in length.
pub fn brier(probs: &[f64], labels: &[bool]) -> f64 {
    if probs.len() != labels.len() {
        return f64::NAN;
    }
    let total: f64 = probs
        .iter()
        .zip(labels)
        .map(|(&p, &won)| {
            let outcome = if won { 1.0 } else { 0.0 };
            (p - outcome) * (p - outcome)
        })
        .sum();
    total / probs.len() as f64
}

/// Average precision as scikit-learn computes it: the sum over distinct
/// thresholds of `(R_k - R_{k-1}) * P_k`, tied scores forming one step.
///
/// When won leads are rare, AUC can look good while the top of the list is
/// still mostly noise; average precision summarises the top of the list.
/// `None` if there are no positives or the slices differ in length.
pub fn average_precision(scores: &[f64], labels: &[bool]) -> Option<f64> {
    if scores.len() != labels.len() {
        return None;
    }
    let n_pos = labels.iter().filter(|&&won| won).count();
    if n_pos == 0 {
        return None;
    }
    let ranked = RankedScores::new(scores);
    let (mut tp, mut fp) = (0usize, 0usize);
    // R_k - R_{k-1} is (positives in step k) / n_pos, so sum
    // (positives in step) * P_k and divide once at the end.
    let mut sum = 0.0;
    for group in ranked.groups().rev() {
        let pos = group.iter().filter(|&&i| labels[i]).count();
        tp += pos;
        fp += group.len() - pos;
        if pos > 0 {
            sum += pos as f64 * (tp as f64 / (tp + fp) as f64);
        }
    }
    Some(sum / n_pos as f64)
}

/// One row of a reliability table: of the leads predicted in
/// `[lower, upper)`, how often did they actually convert?
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationBin {
    /// Inclusive lower edge of the probability bin.
    pub lower: f64,
    /// Exclusive upper edge (inclusive for the last bin, which ends at 1).
    pub upper: f64,
    /// Number of held-out leads whose probability fell in the bin.
    pub n: u64,
    /// Mean predicted probability of those leads.
    pub mean_predicted: f64,
    /// Share of those leads that were won.
    pub observed_rate: f64,
}

/// Reliability table: `n_bins` equal-width probability bins over `[0, 1]`
/// (the last bin closed), empty bins omitted.
///
/// A calibrated model's `observed_rate` tracks `mean_predicted`; this is what
/// makes "this lead has a 30% chance" a statement sales can trust. A lead
/// lands in bin `i` iff `lower <= p < upper` with exactly the edges reported
/// (`i / n_bins`), whatever rounding `p * n_bins` does. Probabilities outside
/// `[0, 1]` (and NaN) are left out. Empty when `n_bins` is 0 or the slices
/// differ in length.
pub fn calibration(probs: &[f64], labels: &[bool], n_bins: usize) -> Vec<CalibrationBin> {
    if n_bins == 0 || probs.len() != labels.len() {
        return Vec::new();
    }
    let edge = |i: usize| i as f64 / n_bins as f64;
    // Sparse accumulation: a huge `n_bins` costs nothing for empty bins.
    // (count, sum of probabilities, won count) per bin index.
    let mut bins: BTreeMap<usize, (u64, f64, u64)> = BTreeMap::new();
    for (&p, &won) in probs.iter().zip(labels) {
        if !(0.0..=1.0).contains(&p) {
            continue;
        }
        let mut bin = ((p * n_bins as f64).floor() as usize).min(n_bins - 1);
        while bin + 1 < n_bins && p >= edge(bin + 1) {
            bin += 1;
        }
        while bin > 0 && p < edge(bin) {
            bin -= 1;
        }
        let entry = bins.entry(bin).or_insert((0, 0.0, 0));
        entry.0 += 1;
        entry.1 += p;
        entry.2 += u64::from(won);
    }
    bins.into_iter()
        .map(|(bin, (n, sum_p, won))| CalibrationBin {
            lower: edge(bin),
            upper: edge(bin + 1),
            n,
            mean_predicted: sum_p / n as f64,
            observed_rate: won as f64 / n as f64,
        })
        .collect()
}

/// Won rate among the top `fraction` of leads by score divided by the overall
/// won rate: "the top 10% convert 3.2x as often as average".
///
/// Takes exactly `ceil(fraction * n)` leads (at least 1), where a
/// `fraction * n` within a relative 1e-9 of a whole number counts as that
/// number (so `0.3` of 10 leads is 3 leads, despite float noise). Leads tied
/// at the cut are taken in their original order (a stable sort), so the
/// result is deterministic but depends on row order when scores tie.
/// `None` if there are no positives, `fraction` is not in `(0, 1]`, or the
/// slices differ in length.
pub fn lift_at(scores: &[f64], labels: &[bool], fraction: f64) -> Option<f64> {
    if scores.len() != labels.len() || !(fraction > 0.0 && fraction <= 1.0) {
        return None;
    }
    let n = scores.len();
    let n_pos = labels.iter().filter(|&&won| won).count();
    if n_pos == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| rank_key(scores[b]).total_cmp(&rank_key(scores[a])));
    let k = ceil_count(fraction, n);
    let top_pos = order.iter().take(k).filter(|&&i| labels[i]).count();
    let top_rate = top_pos as f64 / k as f64;
    let base_rate = n_pos as f64 / n as f64;
    Some(top_rate / base_rate)
}

/// Counts of a yes/no decision at one threshold against the outcomes.
///
/// The field is `fn_` because `fn` is a keyword.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ConfusionMatrix {
    /// Predicted positive and won.
    pub tp: u64,
    /// Predicted positive but lost.
    pub fp: u64,
    /// Predicted negative and lost.
    pub tn: u64,
    /// Predicted negative but won: customers the threshold misses.
    pub fn_: u64,
}

impl ConfusionMatrix {
    /// Share of predicted positives that were won; `None` when nothing was
    /// predicted positive (0 / 0).
    pub fn precision(&self) -> Option<f64> {
        let predicted = self.tp.saturating_add(self.fp);
        (predicted > 0).then(|| self.tp as f64 / predicted as f64)
    }

    /// Share of won leads predicted positive; `None` when nothing was won.
    pub fn recall(&self) -> Option<f64> {
        let won = self.tp.saturating_add(self.fn_);
        (won > 0).then(|| self.tp as f64 / won as f64)
    }

    /// Harmonic mean of precision and recall, computed as
    /// `2tp / (2tp + fp + fn)` so that it is 0 (not undefined) when there are
    /// errors but no true positives, as scikit-learn reports it. `None` only
    /// when `tp + fp + fn` is 0.
    pub fn f1(&self) -> Option<f64> {
        let twice_tp = self.tp.saturating_mul(2);
        let denominator = twice_tp.saturating_add(self.fp).saturating_add(self.fn_);
        (denominator > 0).then(|| twice_tp as f64 / denominator as f64)
    }
}

/// The confusion matrix of "positive when `prob >= threshold`".
///
/// The `>=` matches how an MQL threshold is applied when scoring, so these
/// counts agree with what sales would see. A NaN probability is never
/// `>= threshold`, so it counts as negative. All zeros when the slices differ
/// in length.
pub fn confusion(probs: &[f64], labels: &[bool], threshold: f64) -> ConfusionMatrix {
    let mut m = ConfusionMatrix { tp: 0, fp: 0, tn: 0, fn_: 0 };
    if probs.len() != labels.len() {
        return m;
    }
    for (&p, &won) in probs.iter().zip(labels) {
        match (p >= threshold, won) {
            (true, true) => m.tp += 1,
            (true, false) => m.fp += 1,
            (false, false) => m.tn += 1,
            (false, true) => m.fn_ += 1,
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const T: bool = true;
    const F: bool = false;

    #[track_caller]
    fn check(got: Option<f64>, want: f64) {
        match got {
            Some(got) => assert!((got - want).abs() < 1e-12, "got {got}, want {want}"),
            None => panic!("got None, want {want}"),
        }
    }

    #[track_caller]
    fn check_f(got: f64, want: f64, tolerance: f64) {
        assert!((got - want).abs() < tolerance, "got {got}, want {want}");
    }

    #[test]
    fn auc_counts_won_pairs() {
        // Positives {0.35, 0.8}, negatives {0.1, 0.4}; pairs (pos, neg):
        // (0.35,0.1) win, (0.35,0.4) loss, (0.8,0.1) win, (0.8,0.4) win = 3/4.
        check(auc(&[0.1, 0.4, 0.35, 0.8], &[F, F, T, T]), 0.75);
        // Perfect and reversed rankings.
        check(auc(&[0.1, 0.2, 0.8, 0.9], &[F, F, T, T]), 1.0);
        check(auc(&[0.9, 0.8, 0.2, 0.1], &[F, F, T, T]), 0.0);
    }

    #[test]
    fn auc_ties_count_one_half() {
        // Positives {0.5, 0.5}, negatives {0.5, 0.2}. Each positive: tie with
        // 0.5 (1/2) + win over 0.2 (1) = 1.5; two positives = 3 of 4 pairs.
        check(auc(&[0.5, 0.5, 0.5, 0.2], &[T, F, T, F]), 0.75);
        // All scores equal: every pair ties, 1/2.
        check(auc(&[0.3, 0.3, 0.3], &[T, F, F]), 0.5);
        // -0.0 and 0.0 are the same score: one tied pair = 1/2.
        check(auc(&[-0.0, 0.0], &[T, F]), 0.5);
    }

    #[test]
    fn auc_undefined_without_both_classes() {
        assert_eq!(auc(&[0.1, 0.2], &[T, T]), None);
        assert_eq!(auc(&[0.1, 0.2], &[F, F]), None);
        assert_eq!(auc(&[], &[]), None);
        // Mismatched lengths are unusable input, not a panic.
        assert_eq!(auc(&[0.1, 0.2, 0.3], &[T, F]), None);
    }

    #[test]
    fn auc_with_nan_does_not_panic() {
        // NaN ranks above every number: the NaN positive beats both
        // negatives (2 wins), the 0.2 positive beats 0.1 only (1 win) = 3/4.
        check(auc(&[f64::NAN, 0.2, 0.1, 0.3], &[T, T, F, F]), 0.75);
    }

    #[test]
    fn weighted_auc_counts_rows_weight_times() {
        let ranked = RankedScores::new(&[0.1, 0.4, 0.35, 0.8]);
        let labels = [F, F, T, T];
        // Positive 0.35 counts 3 times, 0.8 not at all; negatives 0.1 x1,
        // 0.4 x2. Won pairs: 0.35>0.1: 3*1 = 3; 0.35<0.4: 0.
        // All pairs: 3 * (1 + 2) = 9. AUC = 3/9.
        check(ranked.weighted_auc(&labels, &[1, 2, 3, 0]), 1.0 / 3.0);
        // Unit weights give the plain AUC (3/4, see auc_counts_won_pairs).
        check(ranked.weighted_auc(&labels, &[1, 1, 1, 1]), 0.75);
        assert_eq!(ranked.len(), 4);
        assert!(!ranked.is_empty());
    }

    #[test]
    fn weighted_auc_ties_and_zero_weight() {
        let ranked = RankedScores::new(&[0.5, 0.5, 0.2]);
        // Positive 0.5 x2; negatives 0.5 x3 (tie), 0.2 x1.
        // Won pairs: 2*3*(1/2) + 2*1*1 = 3 + 2 = 5; all pairs 2 * 4 = 8.
        check(ranked.weighted_auc(&[T, F, F], &[2, 3, 1]), 5.0 / 8.0);
        // The only positive has weight 0: no positive weight, undefined.
        assert_eq!(ranked.weighted_auc(&[T, F, F], &[0, 3, 1]), None);
        // The only negatives have weight 0.
        assert_eq!(ranked.weighted_auc(&[T, F, F], &[1, 0, 0]), None);
        // Wrong lengths.
        assert_eq!(ranked.weighted_auc(&[T, F], &[1, 1]), None);
        assert_eq!(ranked.weighted_auc(&[T, F, F], &[1, 1]), None);
        assert!(RankedScores::new(&[]).is_empty());
    }

    #[test]
    fn log_loss_matches_hand_computation() {
        // -(ln 0.9 + ln(1 - 0.2)) / 2 = (0.1053605157 + 0.2231435513) / 2
        //                             = 0.1642520335
        check_f(log_loss(&[0.9, 0.2], &[T, F]), 0.164_252_033_5, 1e-9);
        // Clipping: p = 0 for a won lead costs -ln(1e-15) = 15 ln 10 = 34.5388;
        // p = 1 for a lost lead costs -ln(1 - (1 - 1e-15)), the same up to the
        // rounding of 1 - 1e-15 (about 34.5396).
        check_f(log_loss(&[0.0], &[T]), 34.538_776, 1e-3);
        check_f(log_loss(&[1.0], &[F]), 34.538_776, 1e-3);
        assert!(log_loss(&[], &[]).is_nan());
        assert!(log_loss(&[0.5], &[T, F]).is_nan());
    }

    #[test]
    fn brier_matches_hand_computation() {
        // ((0.9-1)^2 + (0.2-0)^2 + (0.6-0)^2) / 3 = (0.01 + 0.04 + 0.36) / 3
        //                                        = 0.41 / 3 = 0.136666...
        check_f(brier(&[0.9, 0.2, 0.6], &[T, F, F]), 0.41 / 3.0, 1e-12);
        assert!(brier(&[], &[]).is_nan());
        assert!(brier(&[0.5, 0.5], &[T]).is_nan());
    }

    #[test]
    fn average_precision_matches_scikit_learn() {
        // scikit-learn's docstring example, 0.8333...: descending scores
        // 0.8 (won): P = 1/1, R = 1/2 -> (1/2 - 0) * 1       = 0.5
        // 0.4 (lost): recall unchanged, no step
        // 0.35 (won): P = 2/3, R = 2/2 -> (1 - 1/2) * 2/3     = 0.3333
        // 0.1 (lost): no step. AP = 0.8333
        check(average_precision(&[0.1, 0.4, 0.35, 0.8], &[F, F, T, T]), 5.0 / 6.0);
    }

    #[test]
    fn average_precision_tied_scores_form_one_step() {
        // Threshold 0.8 takes both tied leads: tp 1, fp 1, P = 1/2, R = 1/2
        //   -> 1/2 * 1/2 = 0.25
        // Threshold 0.3: tp 2, fp 1, P = 2/3, R = 1 -> 1/2 * 2/3 = 0.3333
        // AP = 0.25 + 0.3333 = 0.5833 (7/12). Without the tie rule the won
        // lead could be counted first and get P = 1.
        check(average_precision(&[0.8, 0.8, 0.3], &[F, T, T]), 7.0 / 12.0);
        check(average_precision(&[0.8, 0.8, 0.3], &[T, F, T]), 7.0 / 12.0);
        assert_eq!(average_precision(&[0.8, 0.3], &[F, F]), None);
        assert_eq!(average_precision(&[0.8], &[F, F]), None);
    }

    #[test]
    fn calibration_bins_hand_computed() {
        let bins = calibration(&[0.05, 0.15, 0.12, 0.95, 1.0], &[F, T, F, T, T], 10);
        // bin 0 [0.0, 0.1): {0.05 lost}           n 1, mean 0.05,  rate 0
        // bin 1 [0.1, 0.2): {0.15 won, 0.12 lost} n 2, mean 0.135, rate 1/2
        // bin 9 [0.9, 1.0]: {0.95 won, 1.0 won}   n 2, mean 0.975, rate 1
        // (1.0 is in the last bin because it is closed.) Empty bins omitted.
        assert_eq!(bins.len(), 3);
        let want = [(0.0, 0.1, 1, 0.05, 0.0), (0.1, 0.2, 2, 0.135, 0.5), (0.9, 1.0, 2, 0.975, 1.0)];
        for (bin, (lower, upper, n, mean, rate)) in bins.iter().zip(want) {
            check_f(bin.lower, lower, 1e-12);
            check_f(bin.upper, upper, 1e-12);
            assert_eq!(bin.n, n);
            check_f(bin.mean_predicted, mean, 1e-12);
            check_f(bin.observed_rate, rate, 1e-12);
        }
    }

    #[test]
    fn calibration_edges_land_in_the_upper_bin() {
        // p = i / n_bins is the lower edge of bin i (the last edge, 1.0,
        // belongs to the last bin), whatever rounding p * n_bins does.
        for n_bins in [3usize, 7, 10, 49, 100] {
            for i in 0..=n_bins {
                let p = i as f64 / n_bins as f64;
                let bins = calibration(&[p], &[T], n_bins);
                assert_eq!(bins.len(), 1);
                let want_lower = i.min(n_bins - 1) as f64 / n_bins as f64;
                assert_eq!(bins[0].lower, want_lower, "p = {p}, n_bins = {n_bins}");
            }
        }
    }

    #[test]
    fn calibration_skips_invalid_input() {
        // Out of [0, 1] and NaN are left out; only 0.5 remains.
        let bins = calibration(&[-0.1, 1.1, f64::NAN, 0.5], &[T, T, T, F], 2);
        assert_eq!(bins.len(), 1);
        assert_eq!((bins[0].lower, bins[0].upper, bins[0].n), (0.5, 1.0, 1));
        assert!(calibration(&[0.5], &[T], 0).is_empty());
        assert!(calibration(&[0.5], &[T, F], 4).is_empty());
        // A huge bin count allocates only the non-empty bins.
        assert_eq!(calibration(&[0.5], &[T], usize::MAX).len(), 1);
    }

    #[test]
    fn lift_at_hand_computed() {
        let scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0];
        let labels = [T, T, F, T, F, F, F, F, F, F];
        // Base rate 3/10. Top 20% = 2 leads, both won: (2/2) / (3/10) = 10/3.
        check(lift_at(&scores, &labels, 0.2), 10.0 / 3.0);
        // Top 30% = 3 leads (0.3 * 10 is 3.0000000000000004 in floats, still
        // 3), 2 won: (2/3) / (3/10) = 20/9.
        check(lift_at(&scores, &labels, 0.1 + 0.2), 20.0 / 9.0);
        // 25% of 10 = 2.5 -> ceil 3 leads: 20/9 again.
        check(lift_at(&scores, &labels, 0.25), 20.0 / 9.0);
        // 1% of 10 = 0.1 -> at least 1 lead, won: 1 / (3/10) = 10/3.
        check(lift_at(&scores, &labels, 0.01), 10.0 / 3.0);
        // Everyone: lift 1.
        check(lift_at(&scores, &labels, 1.0), 1.0);
    }

    #[test]
    fn lift_at_breaks_ties_by_original_index() {
        // Top 50% of 4 = 2 leads among three tied at 0.5: rows 0 and 1 (the
        // earlier ones), 1 won -> (1/2) / (2/4) = 1. Rows 1 and 2 would give 2.
        check(lift_at(&[0.5, 0.5, 0.5, 0.1], &[F, T, T, F], 0.5), 1.0);
        // Same rows reordered: now rows 0 and 1 are both won -> (2/2)/(2/4) = 2.
        check(lift_at(&[0.5, 0.5, 0.5, 0.1], &[T, T, F, F], 0.5), 2.0);
    }

    #[test]
    fn lift_at_undefined_cases() {
        let scores = [0.9, 0.1];
        assert_eq!(lift_at(&scores, &[F, F], 0.5), None);
        assert_eq!(lift_at(&scores, &[T, F], 0.0), None);
        assert_eq!(lift_at(&scores, &[T, F], 1.5), None);
        assert_eq!(lift_at(&scores, &[T, F], f64::NAN), None);
        assert_eq!(lift_at(&scores, &[T], 0.5), None);
        assert_eq!(lift_at(&[], &[], 0.5), None);
    }

    #[test]
    fn confusion_hand_computed() {
        // threshold 0.5, positive when p >= 0.5:
        // 0.9 won -> tp, 0.6 lost -> fp, 0.5 won -> tp (>=), 0.4 won -> fn,
        // 0.1 lost -> tn.
        let m = confusion(&[0.9, 0.6, 0.5, 0.4, 0.1], &[T, F, T, T, F], 0.5);
        assert_eq!(m, ConfusionMatrix { tp: 2, fp: 1, tn: 1, fn_: 1 });
        // precision 2/3, recall 2/(2+1) = 2/3, f1 = 4 / (4 + 1 + 1) = 2/3.
        check(m.precision(), 2.0 / 3.0);
        check(m.recall(), 2.0 / 3.0);
        check(m.f1(), 2.0 / 3.0);
    }

    #[test]
    fn confusion_undefined_ratios() {
        // Nothing predicted positive: precision 0/0 undefined, recall 0/3,
        // f1 = 0 / (0 + 0 + 3) = 0.
        let m = confusion(&[0.9, 0.6, 0.5, 0.1], &[T, T, T, F], 1.1);
        assert_eq!(m, ConfusionMatrix { tp: 0, fp: 0, tn: 1, fn_: 3 });
        assert_eq!(m.precision(), None);
        check(m.recall(), 0.0);
        check(m.f1(), 0.0);
        // No won leads, nothing predicted positive: recall and f1 undefined.
        let m = confusion(&[0.2, f64::NAN], &[F, F], 0.5);
        assert_eq!(m, ConfusionMatrix { tp: 0, fp: 0, tn: 2, fn_: 0 });
        assert_eq!((m.precision(), m.recall(), m.f1()), (None, None, None));
        // Mismatched lengths: no usable rows.
        let m = confusion(&[0.9], &[T, F], 0.5);
        assert_eq!(m, ConfusionMatrix { tp: 0, fp: 0, tn: 0, fn_: 0 });
    }

    #[test]
    fn share_counts_ignore_float_noise() {
        // 0.1 + 0.2 = 0.30000000000000004; of 10 leads that is 3, not 4.
        assert_eq!(ceil_count(0.1 + 0.2, 10), 3);
        assert_eq!(ceil_count(0.25, 10), 3); // ceil(2.5)
        assert_eq!(ceil_count(0.01, 10), 1); // at least one
        assert_eq!(ceil_count(1.0, 10), 10);
        assert_eq!(ceil_count(0.5, 0), 0);
        assert_eq!(floor_count(0.25, 10), 2); // floor(2.5)
        assert_eq!(floor_count(0.7, 10), 7); // 7.000000000000001 -> 7
        assert_eq!(floor_count(0.01, 10), 0);
    }

    /// Rows with scores on a coarse grid, so that ties are common.
    fn rows() -> impl Strategy<Value = Vec<(f64, bool, u32)>> {
        prop::collection::vec(((0u8..8).prop_map(|k| f64::from(k) / 8.0), any::<bool>(), 0u32..4), 0..40)
    }

    proptest! {
        #[test]
        fn auc_is_a_probability_and_flips_with_negated_scores(rows in rows()) {
            let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let negated: Vec<f64> = scores.iter().map(|s| -s).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let both = labels.contains(&true) && labels.contains(&false);
            match (auc(&scores, &labels), auc(&negated, &labels)) {
                (Some(a), Some(b)) => {
                    prop_assert!(both);
                    prop_assert!((0.0..=1.0).contains(&a));
                    prop_assert!((a - (1.0 - b)).abs() < 1e-12);
                }
                (None, None) => prop_assert!(!both),
                other => prop_assert!(false, "one side defined: {:?}", other),
            }
        }

        #[test]
        fn weighted_auc_equals_auc_of_repeated_rows(rows in rows()) {
            let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let weights: Vec<u32> = rows.iter().map(|r| r.2).collect();
            let mut expanded_scores = Vec::new();
            let mut expanded_labels = Vec::new();
            for &(score, won, w) in &rows {
                for _ in 0..w {
                    expanded_scores.push(score);
                    expanded_labels.push(won);
                }
            }
            let weighted = RankedScores::new(&scores).weighted_auc(&labels, &weights);
            let expanded = auc(&expanded_scores, &expanded_labels);
            match (weighted, expanded) {
                (Some(a), Some(b)) => prop_assert!((a - b).abs() < 1e-12),
                (a, b) => prop_assert_eq!(a, b),
            }
        }

        #[test]
        fn average_precision_is_a_probability(rows in rows()) {
            let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            match average_precision(&scores, &labels) {
                Some(ap) => prop_assert!(ap > 0.0 && ap <= 1.0 + 1e-12),
                None => prop_assert!(!labels.contains(&true)),
            }
        }
    }
}
