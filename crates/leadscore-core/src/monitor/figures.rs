//! A model's figures on labelled leads with bootstrap intervals, and two models compared on the
//! *same* leads with the paired bootstrap interval of each difference.
//!
//! One function, [`compare_paired`], is the evidence of issue 11's promotion gate (candidate
//! against current on the newest closed deals) and of the monitor's shadow challenger (challenger
//! against champion on live leads): AUC, log loss, Brier, lift in the top 10%, and precision and
//! recall at each model's own default threshold. Every figure is computed by one weighted routine
//! ([`Weighted`]): unit weights give the point estimate, bootstrap multiplicities a replicate, so
//! the estimate and its interval cannot disagree on a definition.

use serde::{Deserialize, Serialize};

use super::bootstrap::{percentile_interval, Resamples};
use crate::metrics::{ceil_count, RankedScores};
use crate::report::Interval;
use crate::{Error, Result};

/// scikit-learn's clipping of log loss (see `metrics::log_loss`).
const LOG_LOSS_EPS: f64 = 1e-15;

/// The share of leads "top 10%" means.
pub const TOP_SHARE: f64 = 0.1;

/// A model's probabilities for the leads, and the threshold at which it calls a lead an MQL.
#[derive(Clone, Copy, Debug)]
pub struct Scores<'a> {
    /// One probability per lead, in `[0, 1]`.
    pub probs: &'a [f64],
    /// MQL iff `probability >= threshold` (the model's default suggestion).
    pub threshold: f64,
}

/// A figure and its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The figure on the leads as they are (`None` when undefined, e.g. AUC with one class).
    pub value: Option<f64>,
    /// Percentile bootstrap interval (`None` when no replicate defines the figure).
    pub interval: Option<Interval>,
}

/// One model's figures on labelled leads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveFigures {
    /// Leads with an outcome.
    pub n_leads: u64,
    /// Won among them.
    pub n_won: u64,
    /// Bootstrap replicates behind the intervals.
    pub replicates: u64,
    /// Area under the ROC curve.
    pub auc: Estimate,
    /// Mean log loss.
    pub log_loss: Estimate,
    /// Brier score.
    pub brier: Estimate,
    /// Won rate of the top 10% over the overall won rate.
    pub lift_top_decile: Estimate,
    /// The MQL threshold the next two figures are at.
    pub threshold: f64,
    /// Share of MQLs won.
    pub precision: Estimate,
    /// Share of won leads that were MQLs.
    pub recall: Estimate,
}

/// A figure of two models on the same leads and the interval of their difference.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Paired {
    /// Model A (the current model, the champion).
    pub a: Option<f64>,
    /// Model B (the candidate, the challenger).
    pub b: Option<f64>,
    /// `b - a`.
    pub difference: Option<f64>,
    /// Percentile interval of `b - a` over replicates that draw the same leads for both.
    pub interval: Option<Interval>,
}

/// Two models on the same labelled leads. Every difference is B minus A: for AUC, lift,
/// precision and recall higher is better; for log loss and Brier lower is better.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairedComparison {
    /// Leads both models scored.
    pub n_leads: u64,
    /// Won among them.
    pub n_won: u64,
    /// Bootstrap replicates behind the intervals.
    pub replicates: u64,
    /// A's MQL threshold.
    pub threshold_a: f64,
    /// B's MQL threshold.
    pub threshold_b: f64,
    /// Area under the ROC curve.
    pub auc: Paired,
    /// Mean log loss.
    pub log_loss: Paired,
    /// Brier score.
    pub brier: Paired,
    /// Lift in the top 10%.
    pub lift_top_decile: Paired,
    /// Precision at each one's threshold.
    pub precision: Paired,
    /// Recall at each one's threshold.
    pub recall: Paired,
}

/// The figures of one weighting (unit weights or one bootstrap replicate).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Point {
    auc: Option<f64>,
    log_loss: Option<f64>,
    brier: Option<f64>,
    lift: Option<f64>,
    precision: Option<f64>,
    recall: Option<f64>,
}

/// Per-lead quantities of one model, computed once so that each replicate is weighted sums.
struct Weighted<'a> {
    labels: &'a [bool],
    ranked: RankedScores,
    /// Leads best first; ties keep lead order (as `metrics::lift_at`).
    order: Vec<usize>,
    loss: Vec<f64>,
    squared: Vec<f64>,
    mql: Vec<bool>,
}

fn check(labels: &[bool], scores: &Scores<'_>, which: &str) -> Result<()> {
    if scores.probs.len() != labels.len() {
        return Err(Error::Compare(format!(
            "model {which} has {} probabilities for {} leads",
            scores.probs.len(),
            labels.len()
        )));
    }
    if let Some(i) = scores.probs.iter().position(|p| !(0.0..=1.0).contains(p)) {
        return Err(Error::Compare(format!(
            "model {which}: lead {i}: probability {} is not in [0, 1]",
            scores.probs[i]
        )));
    }
    Ok(())
}

impl<'a> Weighted<'a> {
    fn new(labels: &'a [bool], scores: &Scores<'a>) -> Self {
        let probs = scores.probs;
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
        let loss = probs
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
            .collect();
        let squared = probs.iter().zip(labels).map(|(&p, &won)| (p - f64::from(u8::from(won))).powi(2)).collect();
        let mql = probs.iter().map(|&p| p >= scores.threshold).collect();
        Weighted { labels, ranked: RankedScores::new(probs), order, loss, squared, mql }
    }

    fn point(&self, weights: &[u32]) -> Point {
        let w = |i: usize| u64::from(weights[i]);
        let (mut total, mut won, mut mql, mut mql_won) = (0u64, 0u64, 0u64, 0u64);
        let (mut loss, mut squared) = (0.0, 0.0);
        for i in 0..weights.len() {
            let wi = w(i);
            if wi == 0 {
                continue;
            }
            total += wi;
            loss += wi as f64 * self.loss[i];
            squared += wi as f64 * self.squared[i];
            if self.labels[i] {
                won += wi;
            }
            if self.mql[i] {
                mql += wi;
                if self.labels[i] {
                    mql_won += wi;
                }
            }
        }
        let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
        Point {
            auc: self.ranked.weighted_auc(self.labels, weights),
            log_loss: ratio(1, total).map(|inv| loss * inv),
            brier: ratio(1, total).map(|inv| squared * inv),
            lift: self.lift(weights, total, won),
            precision: ratio(mql_won, mql),
            recall: ratio(mql_won, won),
        }
    }

    /// Lift of the top `ceil(10% of the drawn leads)` draws: a lead drawn `w` times counts `w`
    /// times, and the draw at the cut counts only as far as the cut (unit weights give
    /// `metrics::lift_at` exactly).
    fn lift(&self, weights: &[u32], total: u64, won: u64) -> Option<f64> {
        if won == 0 {
            return None;
        }
        let k = ceil_count(TOP_SHARE, usize::try_from(total).ok()?) as u64;
        let (mut taken, mut taken_won) = (0u64, 0u64);
        for &i in &self.order {
            if taken >= k {
                break;
            }
            let take = u64::from(weights[i]).min(k - taken);
            taken += take;
            if self.labels[i] {
                taken_won += take;
            }
        }
        Some((taken_won as f64 / k as f64) / (won as f64 / total as f64))
    }
}

fn estimate(value: Option<f64>, replicates: Vec<f64>) -> Estimate {
    Estimate { value, interval: percentile_interval(replicates) }
}

/// One model's AUC, log loss, Brier, top-10% lift, and precision and recall at its threshold on
/// labelled leads, each with its percentile bootstrap interval over `resamples`.
pub fn live_figures(labels: &[bool], scores: Scores<'_>, resamples: &Resamples) -> Result<LiveFigures> {
    check(labels, &scores, "A")?;
    if resamples.n_leads() != labels.len() {
        return Err(Error::Compare(format!("resamples are of {} leads, not {}", resamples.n_leads(), labels.len())));
    }
    let model = Weighted::new(labels, &scores);
    let ones = vec![1u32; labels.len()];
    let point = model.point(&ones);
    let mut draws: [Vec<f64>; 6] = Default::default();
    resamples.for_each(|w| {
        let p = model.point(w);
        for (slot, v) in draws.iter_mut().zip([p.auc, p.log_loss, p.brier, p.lift, p.precision, p.recall]) {
            slot.extend(v);
        }
    });
    let [auc, log_loss, brier, lift, precision, recall] = draws;
    Ok(LiveFigures {
        n_leads: labels.len() as u64,
        n_won: labels.iter().filter(|&&y| y).count() as u64,
        replicates: resamples.replicates() as u64,
        auc: estimate(point.auc, auc),
        log_loss: estimate(point.log_loss, log_loss),
        brier: estimate(point.brier, brier),
        lift_top_decile: estimate(point.lift, lift),
        threshold: scores.threshold,
        precision: estimate(point.precision, precision),
        recall: estimate(point.recall, recall),
    })
}

fn paired(a: Option<f64>, b: Option<f64>, differences: Vec<f64>) -> Paired {
    let difference = a.zip(b).map(|(a, b)| b - a);
    Paired { a, b, difference, interval: percentile_interval(differences) }
}

/// Models A and B on the same labelled leads: each figure for both, `b - a`, and the percentile
/// interval of `b - a` over `resamples`, every replicate drawing the same leads for both models
/// (a replicate where a figure is undefined for either model is left out of that figure).
pub fn compare_paired(
    labels: &[bool],
    a: Scores<'_>,
    b: Scores<'_>,
    resamples: &Resamples,
) -> Result<PairedComparison> {
    check(labels, &a, "A")?;
    check(labels, &b, "B")?;
    if resamples.n_leads() != labels.len() {
        return Err(Error::Compare(format!("resamples are of {} leads, not {}", resamples.n_leads(), labels.len())));
    }
    let (model_a, model_b) = (Weighted::new(labels, &a), Weighted::new(labels, &b));
    let ones = vec![1u32; labels.len()];
    let (pa, pb) = (model_a.point(&ones), model_b.point(&ones));
    let mut diffs: [Vec<f64>; 6] = Default::default();
    resamples.for_each(|w| {
        let (ra, rb) = (model_a.point(w), model_b.point(w));
        let pairs = [
            (ra.auc, rb.auc),
            (ra.log_loss, rb.log_loss),
            (ra.brier, rb.brier),
            (ra.lift, rb.lift),
            (ra.precision, rb.precision),
            (ra.recall, rb.recall),
        ];
        for (slot, (x, y)) in diffs.iter_mut().zip(pairs) {
            slot.extend(x.zip(y).map(|(x, y)| y - x));
        }
    });
    let [auc, log_loss, brier, lift, precision, recall] = diffs;
    Ok(PairedComparison {
        n_leads: labels.len() as u64,
        n_won: labels.iter().filter(|&&y| y).count() as u64,
        replicates: resamples.replicates() as u64,
        threshold_a: a.threshold,
        threshold_b: b.threshold,
        auc: paired(pa.auc, pb.auc, auc),
        log_loss: paired(pa.log_loss, pb.log_loss, log_loss),
        brier: paired(pa.brier, pb.brier, brier),
        lift_top_decile: paired(pa.lift, pb.lift, lift),
        precision: paired(pa.precision, pb.precision, precision),
        recall: paired(pa.recall, pb.recall, recall),
    })
}

/// How far two models agree on the same leads, outcomes or not (the shadow challenger's first
/// evidence, before any deal closes).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Leads both scored.
    pub n_leads: u64,
    /// Share of leads both call MQL or both do not.
    pub mql: Option<f64>,
    /// Spearman's rank correlation of the probabilities (tied ranks averaged); `None` when either
    /// model gives every lead the same probability.
    pub rank: Option<f64>,
}

/// Average ranks (1-based, ties share their mean rank).
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut out = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]].total_cmp(&values[order[start]]).is_eq() {
            end += 1;
        }
        let mean = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            out[i] = mean;
        }
        start = end;
    }
    out
}

/// MQL agreement and rank correlation of two models on the same leads.
pub fn agreement(a: Scores<'_>, b: Scores<'_>) -> Result<Agreement> {
    if a.probs.len() != b.probs.len() {
        return Err(Error::Compare(format!("model A scored {} leads and model B {}", a.probs.len(), b.probs.len())));
    }
    let n = a.probs.len();
    let same = a.probs.iter().zip(b.probs).filter(|(&x, &y)| (x >= a.threshold) == (y >= b.threshold)).count();
    let (ra, rb) = (ranks(a.probs), ranks(b.probs));
    let mean = (n as f64 + 1.0) / 2.0;
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in ra.iter().zip(&rb) {
        cov += (x - mean) * (y - mean);
        va += (x - mean) * (x - mean);
        vb += (y - mean) * (y - mean);
    }
    Ok(Agreement {
        n_leads: n as u64,
        mql: (n > 0).then(|| same as f64 / n as f64),
        rank: (va > 0.0 && vb > 0.0).then(|| cov / (va * vb).sqrt()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics;

    const T: bool = true;
    const F: bool = false;

    #[track_caller]
    fn close(got: Option<f64>, want: f64) {
        let got = got.unwrap_or_else(|| panic!("got None, want {want}"));
        assert!((got - want).abs() < 1e-12, "got {got}, want {want}");
    }

    /// Four leads, labels T F T F. A gives them 0.8, 0.6, 0.4, 0.2 (a lost lead second);
    /// B gives them 0.9, 0.3, 0.7, 0.1 (both won leads first: B is better).
    fn case() -> (Vec<bool>, Vec<f64>, Vec<f64>) {
        (vec![T, F, T, F], vec![0.8, 0.6, 0.4, 0.2], vec![0.9, 0.3, 0.7, 0.1])
    }

    #[test]
    fn paired_comparison_by_hand() {
        let (labels, pa, pb) = case();
        // Three hand-made resamples of the four leads:
        //   r0 = [1, 1, 1, 1] (every lead once)
        //   r1 = [2, 1, 0, 1] (lead 0 twice, lead 2 not drawn)
        //   r2 = [0, 2, 1, 1] (lead 0 not drawn, lead 1 twice)
        let resamples = Resamples::given(4, vec![vec![1, 1, 1, 1], vec![2, 1, 0, 1], vec![0, 2, 1, 1]]).unwrap();
        let a = Scores { probs: &pa, threshold: 0.5 };
        let b = Scores { probs: &pb, threshold: 0.5 };
        let c = compare_paired(&labels, a, b, &resamples).unwrap();

        // AUC. A: won {0.8, 0.4}, lost {0.6, 0.2}: pairs 0.8>0.6, 0.8>0.2, 0.4<0.6, 0.4>0.2 = 3/4.
        // B: won {0.9, 0.7}, lost {0.3, 0.1}: all 4 pairs = 1.
        close(c.auc.a, 0.75);
        close(c.auc.b, 1.0);
        close(c.auc.difference, 0.25);
        // Replicates: r0 as above, difference 0.25.
        // r1: won lead 0 (x2) only, lost leads 1, 3 (x1 each). A: 0.8 beats 0.6 and 0.2 -> 1.
        //     B: 0.9 beats both -> 1. Difference 0.
        // r2: won lead 2 (x1), lost lead 1 (x2), lead 3 (x1). A: 0.4 loses to 0.6 (x2), beats 0.2
        //     -> 1/3. B: 0.7 beats 0.3 (x2) and 0.1 -> 1. Difference 2/3.
        // Sorted differences [0, 0.25, 2/3]; 3 values: ranks round(2 * 0.025) = 0, round(2 * 0.975) = 2.
        let i = c.auc.interval.unwrap();
        assert_eq!(i.low, 0.0);
        close(Some(i.high), 2.0 / 3.0);

        // Log loss (a lost lead costs -ln(1 - p)). A: leads 0..3 cost -ln 0.8, -ln 0.4, -ln 0.4,
        // -ln 0.8; B: -ln 0.9, -ln 0.7, -ln 0.7, -ln 0.9.
        let la = -(2.0 * 0.8f64.ln() + 2.0 * 0.4f64.ln()) / 4.0;
        let lb = -(0.9f64.ln() + 0.7f64.ln() + 0.7f64.ln() + 0.9f64.ln()) / 4.0;
        close(c.log_loss.a, la);
        close(c.log_loss.b, lb);
        close(c.log_loss.difference, lb - la);
        // r1 = leads 0, 0, 1, 3: A -(2 ln 0.8 + ln 0.4 + ln 0.8) / 4, B -(2 ln 0.9 + ln 0.7 + ln 0.9) / 4.
        let r1 = -(3.0 * 0.9f64.ln() + 0.7f64.ln()) / 4.0 + (3.0 * 0.8f64.ln() + 0.4f64.ln()) / 4.0;
        // r2 = leads 1, 1, 2, 3: A -(2 ln 0.4 + ln 0.4 + ln 0.8) / 4, B -(2 ln 0.7 + ln 0.7 + ln 0.9) / 4.
        let r2 = -(3.0 * 0.7f64.ln() + 0.9f64.ln()) / 4.0 + (3.0 * 0.4f64.ln() + 0.8f64.ln()) / 4.0;
        let mut d = [lb - la, r1, r2];
        d.sort_by(f64::total_cmp);
        let i = c.log_loss.interval.unwrap();
        close(Some(i.low), d[0]);
        close(Some(i.high), d[2]);

        // Brier. A: (0.04 + 0.36 + 0.36 + 0.04) / 4 = 0.2; B: (0.01 + 0.09 + 0.09 + 0.01) / 4 = 0.05.
        close(c.brier.a, 0.2);
        close(c.brier.b, 0.05);
        close(c.brier.difference, -0.15);

        // Lift of the top 10% = ceil(0.4) = 1 lead: both rank a won lead first -> (1/1) / (2/4) = 2.
        close(c.lift_top_decile.difference, 0.0);
        // Threshold 0.5. A's MQLs: leads 0 (won), 1 (lost): precision 1/2, recall 1/2.
        // B's MQLs: leads 0, 2 (both won): precision 1, recall 1.
        close(c.precision.a, 0.5);
        close(c.precision.b, 1.0);
        close(c.recall.difference, 0.5);
        // r1: A's MQLs 0 (x2), 1: precision 2/3, recall 2/2; B's MQLs 0 (x2): precision 1, recall 1.
        // r2: A's MQLs 1 (x2): precision 0, recall 0/1; B's MQLs 2: precision 1, recall 1.
        // Precision differences [0.5, 1/3, 1] -> interval [1/3, 1].
        let i = c.precision.interval.unwrap();
        close(Some(i.low), 1.0 / 3.0);
        close(Some(i.high), 1.0);
        assert_eq!((c.n_leads, c.n_won, c.replicates), (4, 2, 3));
    }

    #[test]
    fn unit_weights_give_the_plain_metrics() {
        let labels: Vec<bool> = (0..50).map(|i| (i * 7) % 5 < 2).collect();
        let probs: Vec<f64> = (0..50).map(|i| f64::from((i * 13) % 17) / 17.0).collect();
        let f = live_figures(&labels, Scores { probs: &probs, threshold: 0.4 }, &Resamples::drawn(50, 0, 1)).unwrap();
        close(f.auc.value, metrics::auc(&probs, &labels).unwrap());
        close(f.log_loss.value, metrics::log_loss(&probs, &labels));
        close(f.brier.value, metrics::brier(&probs, &labels));
        close(f.lift_top_decile.value, metrics::lift_at(&probs, &labels, 0.1).unwrap());
        let m = metrics::confusion(&probs, &labels, 0.4);
        close(f.precision.value, m.precision().unwrap());
        close(f.recall.value, m.recall().unwrap());
        assert_eq!(f.auc.interval, None);
    }

    #[test]
    fn drawn_intervals_contain_the_estimate_and_repeat() {
        let labels: Vec<bool> = (0..400).map(|i| (i * 7919) % 400 < i).collect();
        let probs: Vec<f64> = (0..400).map(|i| f64::from(i) / 400.0).collect();
        let resamples = Resamples::drawn(400, 200, 42);
        let f = live_figures(&labels, Scores { probs: &probs, threshold: 0.5 }, &resamples).unwrap();
        let (auc, ci) = (f.auc.value.unwrap(), f.auc.interval.unwrap());
        assert!(ci.low < auc && auc < ci.high, "{ci:?} vs {auc}");
        assert_eq!(f, live_figures(&labels, Scores { probs: &probs, threshold: 0.5 }, &resamples).unwrap());
        // The same model against itself: every paired difference is exactly 0, interval [0, 0].
        let s = Scores { probs: &probs, threshold: 0.5 };
        let c = compare_paired(&labels, s, s, &resamples).unwrap();
        let i = c.auc.interval.unwrap();
        assert_eq!((c.auc.difference, i.low, i.high), (Some(0.0), 0.0, 0.0));
    }

    #[test]
    fn bad_input_is_an_error_naming_the_lead() {
        let (labels, pa, _) = case();
        let r = Resamples::drawn(4, 1, 1);
        let err = compare_paired(
            &labels,
            Scores { probs: &pa, threshold: 0.5 },
            Scores { probs: &pa[..3], threshold: 0.5 },
            &r,
        );
        assert!(err.unwrap_err().to_string().contains("model B has 3 probabilities for 4 leads"));
        let bad = [0.1, f64::NAN, 0.2, 0.3];
        let err = live_figures(&labels, Scores { probs: &bad, threshold: 0.5 }, &r).unwrap_err();
        assert!(err.to_string().contains("lead 1: probability NaN"), "{err}");
    }

    #[test]
    fn agreement_by_hand() {
        // A ranks 0.8, 0.6, 0.4, 0.2 (ranks 4 3 2 1); B 0.9, 0.3, 0.7, 0.1 (ranks 4 2 3 1).
        // Spearman: 1 - 6 Σd² / (n (n² - 1)) = 1 - 6 * 2 / 60 = 0.8 (no ties).
        // MQL at 0.5: A {0, 1}, B {0, 2}: leads 0 and 3 agree -> 1/2.
        let (_, pa, pb) = case();
        let g = agreement(Scores { probs: &pa, threshold: 0.5 }, Scores { probs: &pb, threshold: 0.5 }).unwrap();
        close(g.rank, 0.8);
        close(g.mql, 0.5);
        let flat = [0.5; 4];
        let g = agreement(Scores { probs: &pa, threshold: 0.5 }, Scores { probs: &flat, threshold: 0.5 }).unwrap();
        assert_eq!(g.rank, None);
    }
}
