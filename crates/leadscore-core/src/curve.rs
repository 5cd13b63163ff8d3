//! The held-out operating curve, and MQL threshold suggestions read from it.
//!
//! A trained artifact stores this curve instead of the held-out data, so any
//! threshold's figures (how many MQLs, how many convert, how many customers
//! are caught) can be computed later, by a server or a dashboard slider,
//! without the data, and without leaking it. Thresholds are suggested from
//! business constraints marketers actually have ("sales can call 200 leads a
//! week", "MQLs must convert 30% of the time"), each with a plain-English
//! explanation.
//!
//! A lead is an MQL iff its probability, rounded to 6 decimals, is at least
//! the threshold. Rounding bounds the curve's size (at most a million points)
//! and makes it independent of float noise in the last digits.

use crate::{Error, Result};

/// Number of decimals probabilities are rounded to on the curve.
const ROUNDING: f64 = 1e6;

/// A probability rounded to 6 decimals, `-0.0` turned into `0.0` so that it
/// ties with `0.0`.
pub(crate) fn round6(p: f64) -> f64 {
    (p * ROUNDING).round() / ROUNDING + 0.0
}

/// One distinct (rounded) held-out probability and how many won and lost
/// leads score at or above it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CurvePoint {
    /// A distinct held-out probability, rounded to 6 decimals.
    pub threshold: f64,
    /// Won leads whose rounded probability is `>= threshold`.
    pub pos_at_or_above: u64,
    /// Lost leads whose rounded probability is `>= threshold`.
    pub neg_at_or_above: u64,
}

/// Cumulative counts of won and lost held-out leads above every distinct
/// probability: everything needed to evaluate any threshold later.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperatingCurve {
    /// Won held-out leads.
    pub n_pos: u64,
    /// Lost held-out leads.
    pub n_neg: u64,
    /// One point per distinct rounded probability, threshold descending, so
    /// counts grow down the list and the last point counts every lead.
    pub points: Vec<CurvePoint>,
}

/// What happens at one threshold: the figures a marketer weighs when picking
/// the MQL cut-off.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperatingPoint {
    /// The threshold asked about (MQL iff rounded probability `>=` it).
    pub threshold: f64,
    /// Held-out leads that would be MQLs.
    pub mql_count: u64,
    /// Share of all held-out leads that would be MQLs (0 with no leads).
    pub mql_rate: f64,
    /// Share of MQLs that were won. Defined as 0 when there are no MQLs, so
    /// a dashboard never shows "NaN%" (nobody converts if nobody is called).
    pub precision: f64,
    /// Share of won leads that are MQLs (0 with no won leads).
    pub recall: f64,
    /// Precision divided by the overall won rate: how many times better than
    /// calling leads at random. 0 when the base rate is 0.
    pub lift: f64,
    /// `2tp / (2tp + fp + fn)`: the balance of precision and recall, 0 when
    /// undefined.
    pub f1: f64,
    /// Same as recall, under the name ROC curves use.
    pub true_positive_rate: f64,
    /// Share of lost leads that are MQLs: wasted sales calls (0 with no lost
    /// leads).
    pub false_positive_rate: f64,
}

/// `num / den`, or 0 when `den` is 0: the "nothing to divide" convention of
/// every rate on the curve.
fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// How the MQL threshold should be chosen: one per business constraint a
/// marketing team can state.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "strategy", rename_all = "snake_case")]
pub enum Strategy {
    /// Best balance of precision and recall (highest F1).
    MaxF1,
    /// Best separation of won from lost leads (highest TPR - FPR, Youden's J).
    Youden,
    /// Sales can work this share of leads (e.g. 0.2 = top 20%).
    Capacity {
        /// Share of leads sales can work, in `(0, 1]`.
        mql_rate: f64,
    },
    /// Sales can call `leads_per_period` of the `volume_per_period` leads that
    /// arrive (e.g. 200 of 1,500 a week).
    CapacityPerPeriod {
        /// Leads sales can work in a period, `> 0`.
        leads_per_period: f64,
        /// Leads arriving in the same period, `>= leads_per_period`.
        volume_per_period: f64,
    },
    /// MQLs must convert at least this often.
    Precision {
        /// Minimum share of MQLs that convert, in `(0, 1]`.
        target: f64,
    },
    /// Catch at least this share of eventual customers.
    Recall {
        /// Minimum share of won leads that must be MQLs, in `(0, 1]`.
        target: f64,
    },
    /// Cost of a sales touch vs value of a won deal: threshold p = cost / value
    /// (the probability is calibrated).
    ExpectedValue {
        /// Cost of working one lead, `> 0`.
        cost: f64,
        /// Value of a won deal, `> cost` (else no lead is worth a call).
        value: f64,
    },
}

impl Strategy {
    /// The snake_case name used in the serialized form, model card and
    /// errors.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::MaxF1 => "max_f1",
            Strategy::Youden => "youden",
            Strategy::Capacity { .. } => "capacity",
            Strategy::CapacityPerPeriod { .. } => "capacity_per_period",
            Strategy::Precision { .. } => "precision",
            Strategy::Recall { .. } => "recall",
            Strategy::ExpectedValue { .. } => "expected_value",
        }
    }

    /// Checks the parameters before any curve is read, so a typo in a config
    /// (a 20 meant as 20%, a value below the cost) is reported by field name
    /// and value rather than producing a nonsense threshold.
    pub fn validate(&self) -> Result<()> {
        let fail = |reason: String| Err(Error::InvalidStrategy { strategy: self.name().to_string(), reason });
        let share = |field: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                fail(format!("`{field}` must be a share in (0, 1] (e.g. 0.2 for 20%), got {v}"))
            }
        };
        match *self {
            Strategy::MaxF1 | Strategy::Youden => Ok(()),
            Strategy::Capacity { mql_rate } => share("mql_rate", mql_rate),
            Strategy::Precision { target } | Strategy::Recall { target } => share("target", target),
            Strategy::CapacityPerPeriod { leads_per_period, volume_per_period } => {
                if !(leads_per_period.is_finite() && leads_per_period > 0.0) {
                    fail(format!("`leads_per_period` must be a positive number, got {leads_per_period}"))
                } else if !(volume_per_period.is_finite() && volume_per_period >= leads_per_period) {
                    fail(format!(
                        "`volume_per_period` must be at least `leads_per_period` \
                         ({leads_per_period}), got {volume_per_period}"
                    ))
                } else {
                    Ok(())
                }
            }
            Strategy::ExpectedValue { cost, value } => {
                if !(cost.is_finite() && cost > 0.0) {
                    fail(format!("`cost` must be a positive number, got {cost}"))
                } else if !(value.is_finite() && value > cost) {
                    fail(format!("`value` must be greater than `cost` ({cost}), got {value}"))
                } else {
                    Ok(())
                }
            }
        }
    }
}

/// A suggested MQL threshold with its held-out figures and a sentence a
/// marketer can read, as stored in the model card.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Suggestion {
    /// The strategy's name (see [`Strategy::name`]).
    pub strategy: String,
    /// MQL iff probability `>=` this.
    pub threshold: f64,
    /// Share of held-out leads that would be MQLs.
    pub mql_rate: f64,
    /// Share of MQLs that were won (0 with no MQLs).
    pub precision: f64,
    /// Share of won leads that are MQLs.
    pub recall: f64,
    /// Precision over the base rate.
    pub lift: f64,
    /// One plain-English sentence on what the threshold means.
    pub explanation: String,
}

/// A share as a percentage for a sentence: whole percents, one decimal where
/// rounding would say 0% or 100% when it is neither.
fn pct(share: f64) -> String {
    let v = share * 100.0;
    if (v > 0.0 && v < 1.0) || (v > 99.0 && v < 100.0) {
        format!("{v:.1}%")
    } else {
        format!("{v:.0}%")
    }
}

/// A number for a sentence: whole numbers with thousands separators
/// ("1,500"), others with two decimals.
fn amount(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        let digits = format!("{}", x.abs() as u64);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        if x < 0.0 {
            out.insert(0, '-');
        }
        out
    } else {
        format!("{x:.2}")
    }
}

impl OperatingCurve {
    /// Builds the curve from held-out probabilities and outcomes.
    ///
    /// Probabilities are rounded to 6 decimals (`(p * 1e6).round() / 1e6`);
    /// there is one point per distinct rounded value, threshold descending,
    /// with cumulative counts of leads at or above it. Rows whose probability
    /// is not finite (callers should not pass them) are left out entirely, so
    /// the stored curve is always valid JSON. If the slices differ in length
    /// the input is unusable and the curve is empty.
    pub fn from_predictions(probs: &[f64], labels: &[bool]) -> OperatingCurve {
        let mut rows: Vec<(f64, bool)> = if probs.len() == labels.len() {
            probs.iter().map(|&p| round6(p)).zip(labels.iter().copied()).filter(|(p, _)| p.is_finite()).collect()
        } else {
            Vec::new()
        };
        rows.sort_by(|a, b| b.0.total_cmp(&a.0));
        let (mut pos, mut neg) = (0u64, 0u64);
        let mut points = Vec::new();
        for group in rows.chunk_by(|a, b| a.0 == b.0) {
            let won = group.iter().filter(|(_, won)| *won).count() as u64;
            pos += won;
            neg += group.len() as u64 - won;
            let threshold = group.first().map_or(0.0, |row| row.0);
            points.push(CurvePoint { threshold, pos_at_or_above: pos, neg_at_or_above: neg });
        }
        OperatingCurve { n_pos: pos, n_neg: neg, points }
    }

    /// The figures at `threshold`: a lead is an MQL iff its rounded
    /// probability is `>= threshold`. A binary search over the points, so a
    /// slider can call it on every move.
    ///
    /// A threshold above every point (or NaN) gives zero MQLs. Assumes the
    /// points are as [`OperatingCurve::from_predictions`] builds them; a
    /// hand-edited curve gives meaningless figures, never a panic.
    pub fn at(&self, threshold: f64) -> OperatingPoint {
        let above = self.points.partition_point(|pt| pt.threshold >= threshold);
        let (tp, fp) = above
            .checked_sub(1)
            .and_then(|i| self.points.get(i))
            .map_or((0, 0), |pt| (pt.pos_at_or_above, pt.neg_at_or_above));
        self.point_from_counts(threshold, tp, fp)
    }

    /// Every figure of an [`OperatingPoint`] from the MQL counts.
    fn point_from_counts(&self, threshold: f64, tp: u64, fp: u64) -> OperatingPoint {
        let n = self.n_pos.saturating_add(self.n_neg);
        let mql_count = tp.saturating_add(fp);
        let fn_ = self.n_pos.saturating_sub(tp);
        let precision = ratio(tp, mql_count);
        let base_rate = ratio(self.n_pos, n);
        let recall = ratio(tp, self.n_pos);
        OperatingPoint {
            threshold,
            mql_count,
            mql_rate: ratio(mql_count, n),
            precision,
            recall,
            lift: if base_rate > 0.0 { precision / base_rate } else { 0.0 },
            f1: ratio(tp.saturating_mul(2), tp.saturating_mul(2).saturating_add(fp).saturating_add(fn_)),
            true_positive_rate: recall,
            false_positive_rate: ratio(fp, self.n_neg),
        }
    }

    /// Suggests a threshold for `strategy`, chosen among the curve's points
    /// (except [`Strategy::ExpectedValue`], whose threshold is exactly
    /// `cost / value`).
    ///
    /// - `MaxF1` / `Youden`: the best point; ties go to the higher threshold
    ///   (fewer MQLs for the same score). Compared exactly in integers.
    /// - `Capacity` / `CapacityPerPeriod`: the point with the most MQLs not
    ///   exceeding the share (`floor(share * n)` leads); if even the top point
    ///   exceeds it (many leads tie at the top), the top point, and the
    ///   explanation says so.
    /// - `Precision`: the lowest threshold (most volume) whose precision
    ///   reaches the target; if none does, an error giving the best precision
    ///   reachable.
    /// - `Recall`: the highest threshold whose recall reaches the target.
    ///
    /// Errors: [`Error::InvalidStrategy`] for bad parameters, or when the
    /// held-out data lacks the won (or, for Youden, lost) leads the strategy
    /// needs; [`Error::EmptyCurve`] when the curve has no points.
    pub fn suggest(&self, strategy: &Strategy) -> Result<Suggestion> {
        strategy.validate()?;
        let Some(top) = self.points.first() else {
            let what = format!("a `{}` threshold", strategy.name());
            return Err(Error::EmptyCurve { what });
        };
        let fail = |reason: &str| {
            let strategy = strategy.name().to_string();
            Err(Error::InvalidStrategy { strategy, reason: reason.to_string() })
        };
        let needs_won = matches!(
            strategy,
            Strategy::MaxF1 | Strategy::Youden | Strategy::Precision { .. } | Strategy::Recall { .. }
        );
        if needs_won && self.n_pos == 0 {
            return fail("the held-out leads include no won deals, so there is nothing to aim for");
        }
        let (threshold, lead) = match *strategy {
            Strategy::MaxF1 => {
                // f1 = 2tp / d with d = 2tp + fp + fn; a beats b iff
                // tp_a * d_b > tp_b * d_a (exact in u128).
                let f1_parts = |pt: &CurvePoint| {
                    let tp = u128::from(pt.pos_at_or_above);
                    let missed = self.n_pos.saturating_sub(pt.pos_at_or_above);
                    (tp, 2 * tp + u128::from(pt.neg_at_or_above) + u128::from(missed))
                };
                let best = self.best_point(|a, b| {
                    let ((tp_a, d_a), (tp_b, d_b)) = (f1_parts(a), f1_parts(b));
                    tp_a.saturating_mul(d_b) > tp_b.saturating_mul(d_a)
                });
                let threshold = best.unwrap_or(top).threshold;
                let f1 = self.at(threshold).f1;
                let lead = format!(
                    "Best balance between customers caught and calls wasted \
                     (highest F1 score, {f1:.2})"
                );
                (threshold, lead)
            }
            Strategy::Youden => {
                if self.n_neg == 0 {
                    return fail("the held-out leads include no lost deals, so there is nothing to separate");
                }
                // J = tp/P - fp/N = (tp*N - fp*P) / (P*N): compare numerators.
                let j = |pt: &CurvePoint| {
                    let won = i128::from(pt.pos_at_or_above).saturating_mul(i128::from(self.n_neg));
                    let lost = i128::from(pt.neg_at_or_above).saturating_mul(i128::from(self.n_pos));
                    won - lost
                };
                let threshold = self.best_point(|a, b| j(a) > j(b)).unwrap_or(top).threshold;
                let op = self.at(threshold);
                let lead = format!(
                    "Best separation of customers from the rest \
                     (flags {} of customers but only {} of non-customers)",
                    pct(op.true_positive_rate),
                    pct(op.false_positive_rate)
                );
                (threshold, lead)
            }
            Strategy::Capacity { mql_rate } => {
                let capacity = format!("{} of leads", pct(mql_rate));
                self.capacity(mql_rate, top, &capacity)
            }
            Strategy::CapacityPerPeriod { leads_per_period, volume_per_period } => {
                let share = leads_per_period / volume_per_period;
                let capacity = format!(
                    "{} of the {} leads arriving per period ({})",
                    amount(leads_per_period),
                    amount(volume_per_period),
                    pct(share)
                );
                self.capacity(share, top, &capacity)
            }
            Strategy::Precision { target } => {
                let precision = |pt: &CurvePoint| self.at(pt.threshold).precision;
                let Some(pt) = self.points.iter().rev().find(|pt| precision(pt) >= target) else {
                    let best = self.points.iter().map(precision).fold(0.0, f64::max);
                    return fail(&format!(
                        "no threshold makes {} of MQLs convert; the best reachable on the held-out \
                         leads is {}",
                        pct(target),
                        pct(best)
                    ));
                };
                let lead = format!("Most leads possible while MQLs convert at least {} of the time", pct(target));
                (pt.threshold, lead)
            }
            Strategy::Recall { target } => {
                let recall = |pt: &&CurvePoint| self.at(pt.threshold).recall >= target;
                let Some(pt) = self.points.iter().find(recall) else {
                    return fail(&format!("no threshold catches {} of customers", pct(target)));
                };
                let lead = format!("Fewest MQLs that still catch at least {} of customers", pct(target));
                (pt.threshold, lead)
            }
            Strategy::ExpectedValue { cost, value } => {
                let threshold = cost / value;
                let lead = format!(
                    "A sales touch costing {} pays off on deals worth {} \
                     when the chance of winning is at least {}",
                    amount(cost),
                    amount(value),
                    pct(threshold)
                );
                (threshold, lead)
            }
        };
        Ok(self.suggestion(strategy, threshold, &lead))
    }

    /// The first point (highest threshold) that no later point `beats`:
    /// scanning down and replacing only on a strict improvement sends ties to
    /// the higher threshold. `None` only for an empty curve.
    fn best_point(&self, beats: impl Fn(&CurvePoint, &CurvePoint) -> bool) -> Option<&CurvePoint> {
        let mut points = self.points.iter();
        let mut best = points.next()?;
        for pt in points {
            if beats(pt, best) {
                best = pt;
            }
        }
        Some(best)
    }

    /// The capacity rule shared by both capacity strategies: the threshold
    /// and the start of the explanation, `capacity` describing the share.
    fn capacity(&self, share: f64, top: &CurvePoint, capacity: &str) -> (f64, String) {
        let n = usize::try_from(self.n_pos.saturating_add(self.n_neg)).unwrap_or(usize::MAX);
        let allowed = crate::metrics::floor_count(share, n) as u64;
        // Counts grow down the list, so the last fitting point has the most MQLs.
        let fitting =
            self.points.iter().take_while(|pt| pt.pos_at_or_above.saturating_add(pt.neg_at_or_above) <= allowed).last();
        if let Some(pt) = fitting {
            return (pt.threshold, format!("Fits a sales capacity of {capacity}"));
        }
        // Too few held-out leads for the share, or ties at the top score.
        let at_top = top.pos_at_or_above.saturating_add(top.neg_at_or_above);
        let why = if at_top > 1 { format!(", because {at_top} leads share the top score") } else { String::new() };
        let lead = format!("Even the highest threshold exceeds a sales capacity of {capacity}{why}");
        (top.threshold, lead)
    }

    /// A suggestion at `threshold`: figures via [`OperatingCurve::at`] and the
    /// explanation `lead` followed by what the threshold does.
    fn suggestion(&self, strategy: &Strategy, threshold: f64, lead: &str) -> Suggestion {
        let op = self.at(threshold);
        Suggestion {
            strategy: strategy.name().to_string(),
            threshold,
            mql_rate: op.mql_rate,
            precision: op.precision,
            recall: op.recall,
            lift: op.lift,
            explanation: format!("{lead}: {}", self.describe(&op)),
        }
    }

    /// The second half of every explanation: who becomes an MQL and how they
    /// convert, e.g. "the top 20% of leads become MQLs; 31% of them convert
    /// (2.6x the average); they include 52% of all customers."
    fn describe(&self, op: &OperatingPoint) -> String {
        if op.mql_count == 0 {
            return "no held-out lead scores this high, so no lead would become an MQL.".to_string();
        }
        let who = if op.mql_count >= self.n_pos.saturating_add(self.n_neg) {
            "every lead becomes an MQL".to_string()
        } else {
            format!("the top {} of leads become MQLs", pct(op.mql_rate))
        };
        if self.n_pos == 0 {
            return format!("{who}; none of them convert (no held-out lead was won).");
        }
        format!(
            "{who}; {} of them convert ({:.1}x the average); they include {} of all customers.",
            pct(op.precision),
            op.lift,
            pct(op.recall)
        )
    }

    /// The default set stored in the model card: max_f1, youden, capacity
    /// 0.2, precision = 2x base rate (skipped if unreachable), recall 0.8.
    ///
    /// A suggestion the held-out data cannot support (no won or lost leads,
    /// an empty curve) is left out rather than failing the whole card.
    pub fn default_suggestions(&self) -> Vec<Suggestion> {
        let base_rate = ratio(self.n_pos, self.n_pos.saturating_add(self.n_neg));
        let strategies = [
            Strategy::MaxF1,
            Strategy::Youden,
            Strategy::Capacity { mql_rate: 0.2 },
            Strategy::Precision { target: 2.0 * base_rate },
            Strategy::Recall { target: 0.8 },
        ];
        strategies.iter().filter_map(|s| self.suggest(s).ok()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::{any, prop, prop_assert, prop_assert_eq, proptest};
    use proptest::strategy::Strategy as _;

    const T: bool = true;
    const F: bool = false;

    /// Six leads, three won:
    ///   p:     0.9  0.8  0.8  0.6  0.3  0.1
    ///   won:   yes  yes  no   yes  no   no
    /// Points (threshold: won, lost at or above):
    ///   0.9: 1,0   0.8: 2,1   0.6: 3,1   0.3: 3,2   0.1: 3,3
    fn six() -> OperatingCurve {
        OperatingCurve::from_predictions(&[0.8, 0.9, 0.1, 0.6, 0.8, 0.3], &[F, T, F, T, T, F])
    }

    #[track_caller]
    fn check(got: f64, want: f64) {
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    #[track_caller]
    fn ok(result: Result<Suggestion>) -> Suggestion {
        match result {
            Ok(s) => s,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[track_caller]
    fn invalid(result: Result<Suggestion>, strategy: &str, reason_contains: &str) {
        match result {
            Err(Error::InvalidStrategy { strategy: s, reason }) => {
                assert_eq!(s, strategy);
                assert!(reason.contains(reason_contains), "reason {reason:?} lacks {reason_contains:?}");
            }
            other => panic!("expected InvalidStrategy, got {other:?}"),
        }
    }

    #[test]
    fn curve_points_are_cumulative_and_descending() {
        let curve = six();
        assert_eq!((curve.n_pos, curve.n_neg), (3, 3));
        let got: Vec<(f64, u64, u64)> =
            curve.points.iter().map(|p| (p.threshold, p.pos_at_or_above, p.neg_at_or_above)).collect();
        assert_eq!(got, vec![(0.9, 1, 0), (0.8, 2, 1), (0.6, 3, 1), (0.3, 3, 2), (0.1, 3, 3)]);
    }

    #[test]
    fn probabilities_are_rounded_to_six_decimals() {
        // 0.1234564 * 1e6 = 123456.4 -> 123456; 0.1234556 * 1e6 = 123455.6
        // -> 123456: both are 0.123456, one point counting 2 leads.
        // -0.0 ties with 0.0; NaN and infinity are left out.
        let curve = OperatingCurve::from_predictions(
            &[0.1234564, 0.1234556, -0.0, 0.0, f64::NAN, f64::INFINITY],
            &[T, F, T, F, T, T],
        );
        assert_eq!((curve.n_pos, curve.n_neg), (2, 2));
        assert_eq!(
            curve.points,
            vec![
                CurvePoint { threshold: 0.123456, pos_at_or_above: 1, neg_at_or_above: 1 },
                CurvePoint { threshold: 0.0, pos_at_or_above: 2, neg_at_or_above: 2 },
            ]
        );
        assert!(curve.points[1].threshold.is_sign_positive());
        // Mismatched lengths: an empty curve.
        let curve = OperatingCurve::from_predictions(&[0.5, 0.4], &[T]);
        assert_eq!(curve, OperatingCurve { n_pos: 0, n_neg: 0, points: vec![] });
    }

    #[test]
    fn at_reads_the_point_at_or_below_the_threshold() {
        let curve = six();
        // threshold 0.8: MQLs are 0.9, 0.8, 0.8 -> tp 2, fp 1, fn 1.
        let op = curve.at(0.8);
        assert_eq!(op.mql_count, 3);
        check(op.mql_rate, 0.5); // 3/6
        check(op.precision, 2.0 / 3.0); // 2/3
        check(op.recall, 2.0 / 3.0); // 2/3
        check(op.lift, 4.0 / 3.0); // (2/3) / (3/6)
        check(op.f1, 2.0 / 3.0); // 4 / (4 + 1 + 1)
        check(op.true_positive_rate, 2.0 / 3.0);
        check(op.false_positive_rate, 1.0 / 3.0); // 1/3

        // 0.85 lies between points: only 0.9 is >= 0.85 -> tp 1, fp 0, fn 2.
        let op = curve.at(0.85);
        assert_eq!(op.mql_count, 1);
        check(op.precision, 1.0);
        check(op.recall, 1.0 / 3.0);
        check(op.f1, 0.5); // 2 / (2 + 0 + 2)
        check(op.lift, 2.0); // 1 / 0.5

        // Nothing scores 0.95: no MQLs, precision defined as 0, f1 = 0/3.
        let op = curve.at(0.95);
        assert_eq!(op.mql_count, 0);
        check(op.precision, 0.0);
        check(op.recall, 0.0);
        check(op.lift, 0.0);
        check(op.f1, 0.0);
        assert_eq!(curve.at(f64::NAN).mql_count, 0);
        // Threshold 0: everyone, tp 3 fp 3: precision 1/2, lift 1, f1 = 6/9.
        let op = curve.at(0.0);
        assert_eq!(op.mql_count, 6);
        check(op.precision, 0.5);
        check(op.lift, 1.0);
        check(op.f1, 2.0 / 3.0);
        check(op.false_positive_rate, 1.0);
        assert_eq!(op.threshold, 0.0);
    }

    #[test]
    fn max_f1_and_youden_pick_the_best_point() {
        let curve = six();
        // F1 = 2tp / (2tp + fp + fn):
        //   0.9: 2/(2+0+2) = .5   0.8: 4/6 = .667   0.6: 6/(6+1+0) = .857
        //   0.3: 6/8 = .75        0.1: 6/9 = .667   -> 0.6
        let s = ok(curve.suggest(&Strategy::MaxF1));
        assert_eq!((s.strategy.as_str(), s.threshold), ("max_f1", 0.6));
        check(s.precision, 0.75); // 3/4
        check(s.recall, 1.0);
        // J = tp/3 - fp/3: 0.9: 1/3, 0.8: 1/3, 0.6: 2/3, 0.3: 1/3, 0.1: 0 -> 0.6
        let s = ok(curve.suggest(&Strategy::Youden));
        assert_eq!((s.strategy.as_str(), s.threshold), ("youden", 0.6));
    }

    #[test]
    fn ties_go_to_the_higher_threshold() {
        // p 0.9 won, 0.5 lost, 0.4 lost, 0.3 won (P = 2, N = 2):
        // F1: 0.9: 2/(2+0+1) = 2/3; 0.5: 2/4; 0.4: 2/5; 0.3: 4/(4+2+0) = 2/3
        // -> tie between 0.9 and 0.3, the higher wins.
        let curve = OperatingCurve::from_predictions(&[0.9, 0.5, 0.4, 0.3], &[T, F, F, T]);
        assert_eq!(ok(curve.suggest(&Strategy::MaxF1)).threshold, 0.9);
        // p 0.9 won, 0.8 lost, 0.7 won, 0.6 lost (P = 2, N = 2):
        // J: 0.9: 1/2 - 0 = 1/2; 0.8: 1/2 - 1/2 = 0; 0.7: 1 - 1/2 = 1/2;
        // 0.6: 0 -> tie between 0.9 and 0.7, the higher wins.
        let curve = OperatingCurve::from_predictions(&[0.9, 0.8, 0.7, 0.6], &[T, F, T, F]);
        assert_eq!(ok(curve.suggest(&Strategy::Youden)).threshold, 0.9);
    }

    #[test]
    fn capacity_takes_the_most_mqls_that_fit() {
        let curve = six();
        // 50% of 6 = 3 leads: MQL counts 1, 3, 4, 5, 6 -> 0.8 (3 leads).
        let s = ok(curve.suggest(&Strategy::Capacity { mql_rate: 0.5 }));
        assert_eq!(s.threshold, 0.8);
        // mql_rate 3/6, precision 2/3 -> "67%", lift (2/3)/(1/2) = 1.33 ->
        // "1.3x", recall 2/3 -> "67%".
        assert_eq!(
            s.explanation,
            "Fits a sales capacity of 50% of leads: the top 50% of leads become MQLs; \
             67% of them convert (1.3x the average); they include 67% of all customers."
        );
        // 40% of 6 = 2.4 -> at most 2 leads: only 0.9 (1 lead) fits.
        assert_eq!(ok(curve.suggest(&Strategy::Capacity { mql_rate: 0.4 })).threshold, 0.9);
        // 100%: everyone, the lowest point.
        let s = ok(curve.suggest(&Strategy::Capacity { mql_rate: 1.0 }));
        assert_eq!(s.threshold, 0.1);
        assert!(s.explanation.contains("every lead becomes an MQL"), "{}", s.explanation);
        // 200 of 400 per period = 50% -> 0.8 as above.
        let s = ok(curve.suggest(&Strategy::CapacityPerPeriod { leads_per_period: 200.0, volume_per_period: 400.0 }));
        assert_eq!((s.strategy.as_str(), s.threshold), ("capacity_per_period", 0.8));
        assert!(
            s.explanation.starts_with("Fits a sales capacity of 200 of the 400 leads arriving per period (50%)"),
            "{}",
            s.explanation
        );
    }

    #[test]
    fn capacity_below_the_top_point_says_so() {
        // 10% of 6 = 0.6 -> 0 leads fit; the top point (1 lead, 1/6 = 17%)
        // is used. One lead cannot be split, so no "share the top score".
        let s = ok(six().suggest(&Strategy::Capacity { mql_rate: 0.1 }));
        assert_eq!(s.threshold, 0.9);
        assert_eq!(
            s.explanation,
            "Even the highest threshold exceeds a sales capacity of 10% of leads: \
             the top 17% of leads become MQLs; 100% of them convert (2.0x the average); \
             they include 33% of all customers."
        );
        // Four leads tied at the top, 25% = 1 lead: the top point holds 4.
        let curve = OperatingCurve::from_predictions(&[0.7, 0.7, 0.7, 0.7], &[T, F, F, F]);
        let s = ok(curve.suggest(&Strategy::CapacityPerPeriod { leads_per_period: 1.0, volume_per_period: 4.0 }));
        assert_eq!(s.threshold, 0.7);
        check(s.mql_rate, 1.0);
        assert_eq!(
            s.explanation,
            "Even the highest threshold exceeds a sales capacity of 1 of the 4 leads \
             arriving per period (25%), because 4 leads share the top score: \
             every lead becomes an MQL; 25% of them convert (1.0x the average); \
             they include 100% of all customers."
        );
    }

    #[test]
    fn precision_target_takes_the_lowest_threshold_reaching_it() {
        let curve = six();
        // Precision per point: 0.9: 1/1, 0.8: 2/3, 0.6: 3/4, 0.3: 3/5, 0.1: 3/6.
        // >= 0.75: 0.9 and 0.6 -> the lowest, 0.6.
        let s = ok(curve.suggest(&Strategy::Precision { target: 0.75 }));
        assert_eq!(s.threshold, 0.6);
        check(s.precision, 0.75);
        // >= 1.0: only 0.9.
        assert_eq!(ok(curve.suggest(&Strategy::Precision { target: 1.0 })).threshold, 0.9);
        // >= 0.5: every point; the lowest is 0.1.
        assert_eq!(ok(curve.suggest(&Strategy::Precision { target: 0.5 })).threshold, 0.1);
    }

    #[test]
    fn unreachable_precision_reports_the_best() {
        // 0.9 lost, 0.5 won: precision 0/1 at 0.9, 1/2 at 0.5; best 50%.
        let curve = OperatingCurve::from_predictions(&[0.9, 0.5], &[F, T]);
        invalid(
            curve.suggest(&Strategy::Precision { target: 0.6 }),
            "precision",
            "best reachable on the held-out leads is 50%",
        );
    }

    #[test]
    fn recall_target_takes_the_highest_threshold_reaching_it() {
        let curve = six();
        // Recall per point: 1/3, 2/3, 3/3, 3/3, 3/3.
        // >= 0.8: first at 0.6.
        assert_eq!(ok(curve.suggest(&Strategy::Recall { target: 0.8 })).threshold, 0.6);
        // >= 0.6: first at 0.8 (2/3 = 0.667).
        assert_eq!(ok(curve.suggest(&Strategy::Recall { target: 0.6 })).threshold, 0.8);
        // >= 1/3 exactly: 0.9 (1/3 computed the same way).
        assert_eq!(ok(curve.suggest(&Strategy::Recall { target: 1.0 / 3.0 })).threshold, 0.9);
    }

    #[test]
    fn expected_value_threshold_is_cost_over_value() {
        // 50 / 100 = 0.5, not a point: MQLs are p >= 0.5 = 0.9, 0.8, 0.8, 0.6
        // -> tp 3, fp 1: rate 4/6, precision 3/4, recall 1, lift 0.75/0.5 = 1.5.
        let s = ok(six().suggest(&Strategy::ExpectedValue { cost: 50.0, value: 100.0 }));
        check(s.threshold, 0.5);
        check(s.mql_rate, 4.0 / 6.0);
        check(s.precision, 0.75);
        check(s.recall, 1.0);
        check(s.lift, 1.5);
        assert_eq!(
            s.explanation,
            "A sales touch costing 50 pays off on deals worth 100 \
             when the chance of winning is at least 50%: \
             the top 67% of leads become MQLs; 75% of them convert (1.5x the average); \
             they include 100% of all customers."
        );
        // 1,990 / 2,000 = 0.995: nobody scores that high.
        let s = ok(six().suggest(&Strategy::ExpectedValue { cost: 1990.0, value: 2000.0 }));
        assert!(
            s.explanation.contains("costing 1,990") && s.explanation.contains("no lead would become"),
            "{}",
            s.explanation
        );
    }

    #[test]
    fn validate_names_the_field_and_value() {
        let curve = six();
        invalid(
            curve.suggest(&Strategy::Capacity { mql_rate: 20.0 }),
            "capacity",
            "`mql_rate` must be a share in (0, 1] (e.g. 0.2 for 20%), got 20",
        );
        invalid(curve.suggest(&Strategy::Capacity { mql_rate: 0.0 }), "capacity", "got 0");
        invalid(curve.suggest(&Strategy::Capacity { mql_rate: f64::NAN }), "capacity", "got NaN");
        invalid(curve.suggest(&Strategy::Precision { target: -0.1 }), "precision", "`target`");
        invalid(curve.suggest(&Strategy::Recall { target: 1.5 }), "recall", "got 1.5");
        invalid(
            curve.suggest(&Strategy::CapacityPerPeriod { leads_per_period: 0.0, volume_per_period: 10.0 }),
            "capacity_per_period",
            "`leads_per_period` must be a positive number, got 0",
        );
        invalid(
            curve.suggest(&Strategy::CapacityPerPeriod { leads_per_period: 200.0, volume_per_period: 150.0 }),
            "capacity_per_period",
            "`volume_per_period` must be at least `leads_per_period` (200), got 150",
        );
        invalid(
            curve.suggest(&Strategy::ExpectedValue { cost: 0.0, value: 10.0 }),
            "expected_value",
            "`cost` must be a positive number, got 0",
        );
        invalid(
            curve.suggest(&Strategy::ExpectedValue { cost: 10.0, value: 10.0 }),
            "expected_value",
            "`value` must be greater than `cost` (10), got 10",
        );
        invalid(
            curve.suggest(&Strategy::ExpectedValue { cost: 1.0, value: f64::INFINITY }),
            "expected_value",
            "got inf",
        );
        assert_eq!(Strategy::MaxF1.validate(), Ok(()));
        assert_eq!(Strategy::CapacityPerPeriod { leads_per_period: 5.0, volume_per_period: 5.0 }.validate(), Ok(()));
    }

    #[test]
    fn strategy_names() {
        let all = [
            (Strategy::MaxF1, "max_f1"),
            (Strategy::Youden, "youden"),
            (Strategy::Capacity { mql_rate: 0.2 }, "capacity"),
            (Strategy::CapacityPerPeriod { leads_per_period: 1.0, volume_per_period: 2.0 }, "capacity_per_period"),
            (Strategy::Precision { target: 0.3 }, "precision"),
            (Strategy::Recall { target: 0.8 }, "recall"),
            (Strategy::ExpectedValue { cost: 1.0, value: 2.0 }, "expected_value"),
        ];
        for (strategy, name) in all {
            assert_eq!(strategy.name(), name);
        }
    }

    #[test]
    fn empty_and_one_class_curves() {
        let empty = OperatingCurve::from_predictions(&[], &[]);
        match empty.suggest(&Strategy::MaxF1) {
            Err(Error::EmptyCurve { what }) => assert!(what.contains("max_f1")),
            other => panic!("expected EmptyCurve, got {other:?}"),
        }
        // Bad parameters are reported before the empty curve.
        invalid(empty.suggest(&Strategy::Recall { target: 2.0 }), "recall", "got 2");
        assert!(empty.default_suggestions().is_empty());
        let op = empty.at(0.5);
        assert_eq!((op.mql_count, op.mql_rate, op.lift), (0, 0.0, 0.0));

        // No won leads: strategies aiming at customers fail, capacity works.
        let lost = OperatingCurve::from_predictions(&[0.9, 0.2], &[F, F]);
        invalid(lost.suggest(&Strategy::MaxF1), "max_f1", "no won deals");
        invalid(lost.suggest(&Strategy::Recall { target: 0.5 }), "recall", "no won deals");
        let s = ok(lost.suggest(&Strategy::Capacity { mql_rate: 0.5 }));
        assert_eq!(s.threshold, 0.9);
        assert!(s.explanation.ends_with("none of them convert (no held-out lead was won)."), "{}", s.explanation);
        // Capacity alone survives in the defaults (precision 2 x 0 = 0 is invalid).
        let names: Vec<String> = lost.default_suggestions().into_iter().map(|s| s.strategy).collect();
        assert_eq!(names, vec!["capacity"]);

        // No lost leads: Youden cannot separate.
        let won = OperatingCurve::from_predictions(&[0.9, 0.2], &[T, T]);
        invalid(won.suggest(&Strategy::Youden), "youden", "no lost deals");
    }

    #[test]
    fn default_suggestions_in_order() {
        // Base rate 3/6 -> precision target 2 x 0.5 = 1.0, reached at 0.9.
        let names: Vec<(String, f64)> =
            six().default_suggestions().into_iter().map(|s| (s.strategy, s.threshold)).collect();
        let want = [("max_f1", 0.6), ("youden", 0.6), ("capacity", 0.9), ("precision", 0.9), ("recall", 0.6)];
        // capacity: 20% of 6 = 1.2 -> 1 lead -> 0.9. recall 0.8 -> 0.6.
        assert_eq!(names, want.map(|(n, t)| (n.to_string(), t)).to_vec());
        // 0.9 lost, 0.5 won: base 1/2 -> target 1.0 unreachable -> skipped.
        let curve = OperatingCurve::from_predictions(&[0.9, 0.5], &[F, T]);
        let names: Vec<String> = curve.default_suggestions().into_iter().map(|s| s.strategy).collect();
        assert_eq!(names, vec!["max_f1", "youden", "capacity", "recall"]);
    }

    #[test]
    fn formatting_helpers() {
        assert_eq!(pct(0.2), "20%");
        assert_eq!(pct(0.004), "0.4%");
        assert_eq!(pct(0.996), "99.6%");
        assert_eq!(pct(1.0), "100%");
        assert_eq!(pct(0.0), "0%");
        assert_eq!(amount(1500.0), "1,500");
        assert_eq!(amount(1234567.0), "1,234,567");
        assert_eq!(amount(200.0), "200");
        assert_eq!(amount(12.5), "12.50");
    }

    fn rows() -> impl proptest::strategy::Strategy<Value = Vec<(f64, bool)>> {
        prop::collection::vec(((0u32..20).prop_map(|k| f64::from(k) / 20.0), any::<bool>()), 0..50)
    }

    proptest! {
        #[test]
        fn curve_counts_are_monotone_and_match_brute_force(rows in rows(), t in 0.0f64..1.05) {
            let probs: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let curve = OperatingCurve::from_predictions(&probs, &labels);
            prop_assert_eq!(curve.n_pos + curve.n_neg, rows.len() as u64);
            for pair in curve.points.windows(2) {
                prop_assert!(pair[0].threshold > pair[1].threshold);
                prop_assert!(pair[0].pos_at_or_above <= pair[1].pos_at_or_above);
                prop_assert!(pair[0].neg_at_or_above <= pair[1].neg_at_or_above);
            }
            if let Some(last) = curve.points.last() {
                let last = (last.pos_at_or_above, last.neg_at_or_above);
                prop_assert_eq!(last, (curve.n_pos, curve.n_neg));
            }
            let brute = rows.iter().filter(|r| round6(r.0) >= t).count() as u64;
            prop_assert_eq!(curve.at(t).mql_count, brute);
        }

        #[test]
        fn suggestions_are_curve_points_or_fail_cleanly(rows in rows(), target in 0.01f64..=1.0) {
            let probs: Vec<f64> = rows.iter().map(|r| r.0).collect();
            let labels: Vec<bool> = rows.iter().map(|r| r.1).collect();
            let curve = OperatingCurve::from_predictions(&probs, &labels);
            for strategy in [
                Strategy::MaxF1,
                Strategy::Youden,
                Strategy::Capacity { mql_rate: target },
                Strategy::Precision { target },
                Strategy::Recall { target },
            ] {
                if let Ok(s) = curve.suggest(&strategy) {
                    prop_assert!(curve.points.iter().any(|p| p.threshold == s.threshold));
                    prop_assert!((0.0..=1.0).contains(&s.precision));
                    prop_assert!((0.0..=1.0).contains(&s.recall));
                }
            }
        }
    }
}
