//! Drift: are today's leads like the ones the model learned from?
//!
//! Each feature's live values are binned by the training distribution stored in the artifact
//! (numbers and dates: the training deciles; categories: the encoded levels, plus the unseen
//! levels; yes/no: yes, no; every kind: missing), the score by the deciles of the held-out
//! probabilities (exact, from the stored operating curve), and the population stability index
//! `PSI = Σ (a - e) ln(a / e)` of live shares `a` against training shares `e` is reported.
//!
//! **When a PSI is flagged.** The rule of thumb (0.1 "moderate", 0.25 "major") ignores sampling
//! noise: over 100 unchanged leads in 10 equal bins, PSI exceeds 0.1 about 35% of the time (more
//! when the training bins themselves come from a small sample). Under no drift,
//! `PSI ≈ χ²(k - 1) · (1/n + 1/m)` for `n` live leads, `m` training leads and `k` bins
//! (B. Yurdakul, "Statistical properties of population stability index", 2018: PSI is the
//! symmetrised Kullback-Leibler divergence, whose scaled sampling distribution is chi-squared).
//! So a PSI is flagged only when
//! 1. `PSI > 0.1` ([`PSI_SHIFT`]: a shift large enough to matter), and
//! 2. there are at least [`Psi::min_leads`] live values: enough that unchanged data exceeds 0.1
//!    with probability at most [`NOISE_ALPHA`] (0.1%: with 15-20 features the chance of any false
//!    flag stays near 2%), and that every training bin of at least 1% expects at least 5 leads (the
//!    chi-squared approximation needs it).
//!
//! Below `min_leads` a PSI is shown but never flagged ("too few leads to tell").
//!
//! **What is approximate.** The artifact keeps 11 deciles, not the data. Where several deciles
//! share one value (a count that is 0 for 40% of leads), that value is a bin of its own and its
//! training share is known only within ±5 points; the midpoint is used. The bias this can put
//! into an unchanged feature's PSI is well under the 0.1 that a flag needs.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ChiSquared, ContinuousCDF};

use crate::curve::{round6, OperatingCurve};
use crate::encode::{CategoricalEncoder, FeatureEncoder, Slot, Transform};
use crate::report::{DistributionSummary, FeatureDistribution};
use crate::table::read;
use crate::value::{MissingTokens, RawValue};

/// The PSI above which a shift is large enough to matter (the usual "moderate" mark).
pub const PSI_SHIFT: f64 = 0.1;
/// The usual "major shift" mark, reported beside the flag.
pub const PSI_MAJOR: f64 = 0.25;
/// The chance that unchanged data is flagged, per feature, once `n >= min_leads`.
pub const NOISE_ALPHA: f64 = 0.001;
/// Every training bin holding at least [`MIN_SHARE_FOR_COUNT`] must expect this many live leads
/// before a flag is allowed.
pub const MIN_EXPECTED_PER_BIN: f64 = 5.0;
/// Bins rarer than this in training are left out of the 5-leads rule: the chi-squared
/// approximation is poor there, but such a bin moves the PSI by a few thousandths at most unless
/// live leads crowd into it, which is then a shift worth flagging.
pub const MIN_SHARE_FOR_COUNT: f64 = 0.01;

/// One bin: its training share and what the live leads put in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// What the bin holds (`[3, 7)`, `= 0`, `google`, `(missing)`, `(unseen level)`).
    pub label: String,
    /// Training share.
    pub expected: f64,
    /// Live leads in the bin.
    pub count: u64,
    /// Live share.
    pub actual: f64,
}

/// The PSI of one distribution and whether it is flagged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Psi {
    /// The index (`None` with no live value).
    pub psi: Option<f64>,
    /// Live values binned.
    pub n: u64,
    /// Training (or held-out) leads the reference shares come from.
    pub n_reference: u64,
    /// The PSI unchanged data exceeds with probability [`NOISE_ALPHA`] at this `n`
    /// (`None` with fewer than two bins or no live value).
    pub noise_bound: Option<f64>,
    /// Live values needed before a flag is allowed (`None`: never, e.g. a single bin).
    pub min_leads: Option<u64>,
    /// `psi > PSI_SHIFT` and `n >= min_leads`.
    pub flagged: bool,
    /// `psi > PSI_MAJOR`, with the same sample-size condition.
    pub major: bool,
    /// The bins.
    pub bins: Vec<Bin>,
}

/// The PSI of `counts` against the training `expected` shares (which sum to 1), computed from
/// `n_reference` training rows.
///
/// An empty live bin counts as half a lead (`0.5 / n`) and a bin with no training share (unseen
/// levels) as half a training lead (`0.5 / m`): a continuity correction, so one empty bin cannot
/// make the index infinite.
pub fn psi(bins: Vec<(String, f64)>, counts: &[u64], n_reference: u64) -> Psi {
    let n: u64 = counts.iter().sum();
    let m = n_reference.max(1) as f64;
    let bins: Vec<Bin> = bins
        .into_iter()
        .zip(counts.iter().copied().chain(std::iter::repeat(0)))
        .map(|((label, expected), count)| Bin {
            label,
            expected,
            count,
            actual: if n == 0 { 0.0 } else { count as f64 / n as f64 },
        })
        .collect();
    let value = (n > 0).then(|| {
        bins.iter()
            .map(|b| {
                let e = if b.expected > 0.0 { b.expected } else { 0.5 / m };
                let a = if b.count > 0 { b.actual } else { 0.5 / n as f64 };
                (a - e) * (a / e).ln()
            })
            .sum::<f64>()
    });
    let trained: Vec<f64> = bins.iter().map(|b| b.expected).filter(|e| *e > 0.0).collect();
    let chi2 = chi_squared_quantile(trained.len().saturating_sub(1));
    let noise_bound = chi2.filter(|_| n > 0).map(|q| q * (1.0 / n as f64 + 1.0 / m));
    let min_leads = chi2.and_then(|q| {
        let room = PSI_SHIFT / q - 1.0 / m;
        let smallest = trained.iter().copied().filter(|e| *e >= MIN_SHARE_FOR_COUNT).fold(f64::INFINITY, f64::min);
        let smallest = if smallest.is_finite() { smallest } else { 1.0 };
        (room > 0.0).then(|| ((1.0 / room).ceil().max((MIN_EXPECTED_PER_BIN / smallest).ceil())) as u64)
    });
    let enough = min_leads.is_some_and(|min| n >= min);
    let v = value.unwrap_or(0.0);
    Psi {
        psi: value,
        n,
        n_reference,
        noise_bound,
        min_leads,
        flagged: enough && v > PSI_SHIFT,
        major: enough && v > PSI_MAJOR,
        bins,
    }
}

/// The `1 - NOISE_ALPHA` quantile of a chi-squared with `df` degrees of freedom (`None` for 0).
fn chi_squared_quantile(df: usize) -> Option<f64> {
    let dist = ChiSquared::new(df as f64).ok().filter(|_| df > 0)?;
    Some(dist.inverse_cdf(1.0 - NOISE_ALPHA))
}

/// A share of live values against the training share.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// In training.
    pub training: f64,
    /// Among the live leads (0 with none).
    pub live: f64,
}

/// One feature's live distribution against its training distribution.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureDrift {
    /// The source column.
    pub feature: String,
    /// `numeric`, `categorical`, `boolean` or `date`.
    pub kind: String,
    /// Live values read (missing ones included).
    pub n: u64,
    /// Share missing.
    pub missing: Rate,
    /// Share of levels never seen in training (categories only).
    pub unseen: Option<Rate>,
    /// Live values the model's reader refuses (left out of the bins; a scored lead has none).
    pub unreadable: u64,
    /// The PSI over the bins.
    pub psi: Psi,
}

/// The training distribution of a number as far as 11 stored deciles pin it down: cut points
/// (the distinct decile values above the minimum) and, at each cut `c`, bounds on the training
/// share below it, `F(c-)`.
///
/// If `c` first appears at decile `q`, then `F(c-)` lies in `[(q - 1)/10, q/10]`: decile `q - 1`
/// is below `c` and decile `q` is not. For a feature whose deciles are all distinct (a continuous
/// number) the share is `q/10`, exactly enough. When deciles tie (a count that is 0 for 40% of
/// leads), or are all whole numbers (a count), the feature has point masses, and `F(c-)` is only known within those bounds: then the
/// reference is the training CDF *nearest the live one within the bounds* (the live share below
/// each cut, clamped to its bounds), so that the PSI counts only the shift the stored deciles
/// prove, never the rounding of the deciles themselves.
#[derive(Clone, Debug, PartialEq)]
struct NumericReference {
    cuts: Vec<f64>,
    bounds: Vec<(f64, f64)>,
}

fn numeric_reference(deciles: &[f64]) -> NumericReference {
    let last = deciles.len().saturating_sub(1);
    if last == 0 {
        return NumericReference { cuts: Vec::new(), bounds: Vec::new() };
    }
    // Point masses are likely when deciles tie, or when every decile is a whole number (a count:
    // page views, days since the last activity).
    let tied = deciles.windows(2).any(|w| w[0] == w[1]) || deciles.iter().all(|d| d.fract() == 0.0);
    let mut cuts = Vec::new();
    let mut bounds = Vec::new();
    for q in 1..=last {
        if deciles[q] > deciles[q - 1] {
            cuts.push(deciles[q]);
            let high = q as f64 / last as f64;
            bounds.push((if tied { (q - 1) as f64 / last as f64 } else { high }, high));
        }
    }
    NumericReference { cuts, bounds }
}

impl NumericReference {
    /// The bin of a value: 0 below the first cut, i after the i-th.
    fn bin(&self, x: f64) -> usize {
        self.cuts.partition_point(|c| *c <= x)
    }

    fn labels(&self) -> Vec<String> {
        let n = self.cuts.len();
        (0..=n)
            .map(|i| {
                let lo = if i == 0 { "(-inf".to_owned() } else { format!("[{}", show(self.cuts[i - 1])) };
                let hi = if i == n { "inf)".to_owned() } else { format!("{})", show(self.cuts[i])) };
                format!("{lo}, {hi}")
            })
            .collect()
    }

    /// Training shares of each bin given the live counts per bin (see the type).
    fn shares(&self, counts: &[u64]) -> Vec<f64> {
        let n: u64 = counts.iter().sum();
        let mut below = 0u64;
        let mut cdf = Vec::with_capacity(self.cuts.len() + 2);
        cdf.push(0.0);
        for (i, &(low, high)) in self.bounds.iter().enumerate() {
            below += counts.get(i).copied().unwrap_or(0);
            let live = if n == 0 { high } else { below as f64 / n as f64 };
            cdf.push(live.clamp(low, high));
        }
        cdf.push(1.0);
        cdf.windows(2).map(|w| (w[1] - w[0]).max(0.0)).collect()
    }
}

fn show(x: f64) -> String {
    format!("{}", (x * 1000.0).round() / 1000.0)
}

/// The label of the missing bin.
pub const MISSING_BIN: &str = "(missing)";
/// The label of the bin of levels never seen in training.
pub const UNSEEN_BIN: &str = "(unseen level)";

/// One feature's drift: `values` are the live leads' values of `feature` as they arrived,
/// `distribution` its training distribution from the artifact, `n_reference` the training rows.
/// `lead_times` are the same leads' own dates (the encoder's time column, read), which a date
/// feature's age is measured from when the encoder says so (empty otherwise).
pub fn feature_drift(
    feature: &FeatureEncoder,
    distribution: &FeatureDistribution,
    missing: &MissingTokens,
    values: &[RawValue<'_>],
    lead_times: &[Option<i32>],
    n_reference: u64,
) -> FeatureDrift {
    let name = feature.name.as_str();
    let present_share = 1.0 - distribution.missing_rate;
    let n = values.len() as u64;
    let (mut n_missing, mut unreadable) = (0u64, 0u64);
    let mut unseen = None;
    let (bins, counts): (Vec<(String, f64)>, Vec<u64>) = match (&feature.transform, &distribution.summary) {
        (Transform::Categorical(c), DistributionSummary::Levels { shares }) => {
            let (bins, counts, n_unseen, missing_count) = categorical(c, shares, missing, values);
            n_missing = missing_count;
            unseen = Some(Rate { training: 0.0, live: rate(n_unseen, n) });
            (bins, counts)
        }
        (Transform::Boolean(_), DistributionSummary::Boolean { true_share }) => {
            let mut counts = vec![0u64; 3];
            for &v in values {
                match read::boolean(v, missing, name) {
                    Ok(Some(true)) => counts[0] += 1,
                    Ok(Some(false)) => counts[1] += 1,
                    Ok(None) => counts[2] += 1,
                    Err(_) => unreadable += 1,
                }
            }
            n_missing = counts[2];
            let bins = vec![
                ("yes".to_owned(), true_share * present_share),
                ("no".to_owned(), (1.0 - true_share) * present_share),
                (MISSING_BIN.to_owned(), distribution.missing_rate),
            ];
            (bins, counts)
        }
        (Transform::Numeric(_) | Transform::Date(_), DistributionSummary::Numeric { deciles, .. }) => {
            let reference = numeric_reference(deciles);
            let n_bins = reference.cuts.len() + 1;
            let mut counts = vec![0u64; n_bins + 1];
            let date = match &feature.transform {
                Transform::Date(d) => Some(d),
                _ => None,
            };
            for (i, &v) in values.iter().enumerate() {
                let x = match date {
                    Some(d) => read::day(v, missing, d.format, name)
                        .map(|day| d.age_of(day, lead_times.get(i).copied().flatten())),
                    None => read::number(v, missing, name),
                };
                match x {
                    Ok(Some(x)) => counts[reference.bin(x)] += 1,
                    Ok(None) => counts[n_bins] += 1,
                    Err(_) => unreadable += 1,
                }
            }
            n_missing = counts[n_bins];
            let shares = reference.shares(&counts[..n_bins]);
            let mut bins: Vec<(String, f64)> =
                reference.labels().into_iter().zip(shares.iter().map(|s| s * present_share)).collect();
            bins.push((MISSING_BIN.to_owned(), distribution.missing_rate));
            (bins, counts)
        }
        // A distribution that does not match its encoder (not written by this trainer): no bins.
        _ => (Vec::new(), Vec::new()),
    };
    FeatureDrift {
        feature: name.to_owned(),
        kind: feature.transform.kind().as_str().to_owned(),
        n,
        missing: Rate { training: distribution.missing_rate, live: rate(n_missing, n) },
        unseen,
        unreadable,
        psi: psi(bins, &counts, n_reference),
    }
}

fn rate(count: u64, n: u64) -> f64 {
    if n == 0 {
        0.0
    } else {
        count as f64 / n as f64
    }
}

/// Bins of a categorical feature: its encoded levels (`(missing)` and `(other)` among them when
/// training had them), missing values without a level, and unseen levels.
/// Returns (bins, counts, unseen count, missing count).
fn categorical(
    c: &CategoricalEncoder,
    shares: &[(String, f64)],
    missing: &MissingTokens,
    values: &[RawValue<'_>],
) -> (Vec<(String, f64)>, Vec<u64>, u64, u64) {
    let n_levels = c.levels.len();
    let share_of = |level: &str| shares.iter().find(|(l, _)| l == level).map_or(0.0, |(_, s)| *s);
    let mut bins: Vec<(String, f64)> = c.levels.iter().map(|l| (l.clone(), share_of(l))).collect();
    let level_total: f64 = bins.iter().map(|(_, s)| s).sum();
    bins.push((MISSING_BIN.to_owned(), (1.0 - level_total).max(0.0)));
    bins.push((UNSEEN_BIN.to_owned(), 0.0));
    let mut counts = vec![0u64; n_levels + 2];
    let (mut n_unseen, mut n_missing) = (0u64, 0u64);
    for &v in values {
        let (slot, note) = c.read(v, missing);
        if note == Some(crate::encode::NoteKind::Missing) {
            n_missing += 1;
        }
        match slot {
            Slot::Level(i) => counts[i] += 1,
            Slot::Missing => counts[n_levels] += 1,
            Slot::Unseen => {
                counts[n_levels + 1] += 1;
                n_unseen += 1;
            }
        }
    }
    (bins, counts, n_unseen, n_missing)
}

/// The live probabilities against the held-out ones: ten bins cut at the held-out deciles, whose
/// shares are exact (the operating curve counts every held-out lead at each distinct probability,
/// rounded to 6 decimals as live probabilities are here).
pub fn score_drift(curve: &OperatingCurve, probs: &[f64]) -> Psi {
    let n_ref = curve.n_pos.saturating_add(curve.n_neg);
    // Cut thresholds (descending) and held-out leads at or above each.
    let mut cuts: Vec<(f64, u64)> = Vec::new();
    for q in 1..10u64 {
        let target = n_ref * q / 10;
        if let Some(pt) = curve.points.iter().find(|pt| pt.pos_at_or_above + pt.neg_at_or_above >= target.max(1)) {
            let above = pt.pos_at_or_above + pt.neg_at_or_above;
            if above < n_ref && cuts.last().is_none_or(|c| c.0 > pt.threshold) {
                cuts.push((pt.threshold, above));
            }
        }
    }
    let mut bins = Vec::new();
    let mut prev: (Option<f64>, u64) = (None, 0);
    for &(t, above) in &cuts {
        let hi = prev.0.map_or_else(|| "1]".to_owned(), |h| format!("{})", show_p(h)));
        bins.push((format!("[{}, {hi}", show_p(t)), (above - prev.1) as f64 / n_ref.max(1) as f64));
        prev = (Some(t), above);
    }
    let hi = prev.0.map_or_else(|| "1]".to_owned(), |h| format!("{})", show_p(h)));
    bins.push((format!("[0, {hi}"), (n_ref - prev.1) as f64 / n_ref.max(1) as f64));
    let mut counts = vec![0u64; bins.len()];
    for &p in probs {
        let r = round6(p);
        let i = cuts.iter().position(|&(t, _)| r >= t).unwrap_or(cuts.len());
        counts[i] += 1;
    }
    psi(bins, &counts, n_ref)
}

fn show_p(p: f64) -> String {
    format!("{p:.4}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[track_caller]
    fn close(got: f64, want: f64, tol: f64) {
        assert!((got - want).abs() < tol, "got {got}, want {want}");
    }

    #[test]
    fn psi_by_hand() {
        // Training 50/50, live 30/70 of 100 leads:
        // (0.3 - 0.5) ln(0.3/0.5) + (0.7 - 0.5) ln(0.7/0.5) = 0.2 * 0.510826 + 0.2 * 0.336472 = 0.169460.
        let p = psi(vec![("a".into(), 0.5), ("b".into(), 0.5)], &[30, 70], 1000);
        close(p.psi.unwrap(), 0.169_459_6, 1e-6);
        // Noise bound: chi-squared(1) at 0.999 = 10.8276, times (1/100 + 1/1000) = 0.119103.
        close(p.noise_bound.unwrap(), 10.827_566 * 0.011, 1e-5);
        // min leads: 1 / (0.1 / 10.8276 - 1/1000) = 1 / 0.0082357 = 121.4 -> 122;
        // every bin expects >= 5 from 10 leads. 100 < 122: shown, not flagged.
        assert_eq!(p.min_leads, Some(122));
        assert!(!p.flagged);
        // The same shares over 1,000 leads are flagged (0.169 > 0.1, n >= 122), not major.
        let p = psi(vec![("a".into(), 0.5), ("b".into(), 0.5)], &[300, 700], 1000);
        assert!(p.flagged && !p.major);
        // An empty live bin counts half a lead: live (0.5/10, 1), training (0.5, 0.5):
        // (0.05 - 0.5) ln(0.1) + (1 - 0.5) ln 2 = 1.036163 + 0.346574.
        let p = psi(vec![("a".into(), 0.5), ("b".into(), 0.5)], &[0, 10], 1000);
        close(p.psi.unwrap(), 0.45 * 10f64.ln() + 0.5 * 2f64.ln(), 1e-9);
        assert_eq!(psi(vec![("a".into(), 1.0)], &[], 10).psi, None);
    }

    /// Draws `n` leads from `k` equal bins `rounds` times; the share of rounds flagged, and the
    /// share where the bare rule of thumb (PSI > 0.1) would fire.
    fn false_alarms(n: usize, k: usize, rounds: usize) -> (f64, f64) {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let bins: Vec<(String, f64)> = (0..k).map(|i| (i.to_string(), 1.0 / k as f64)).collect();
        let (mut flagged, mut naive) = (0, 0);
        for _ in 0..rounds {
            let mut counts = vec![0u64; k];
            for _ in 0..n {
                counts[rng.gen_range(0..k)] += 1;
            }
            let p = psi(bins.clone(), &counts, 100_000);
            flagged += usize::from(p.flagged);
            naive += usize::from(p.psi.unwrap() > PSI_SHIFT);
        }
        (flagged as f64 / rounds as f64, naive as f64 / rounds as f64)
    }

    #[test]
    fn unchanged_data_is_not_flagged_where_the_rule_of_thumb_fires() {
        // 100 leads in 10 bins: the bare 0.1 rule fires on most unchanged samples, the flag never
        // (100 is below min_leads, 280 for 10 bins).
        // (38% of these 2,000 draws; chi-squared(9) * 0.01 > 0.1 has probability 0.35.)
        let (flagged, naive) = false_alarms(100, 10, 2000);
        assert!(naive > 0.3, "the rule of thumb fired on {naive} of unchanged samples");
        assert_eq!(flagged, 0.0);
        // At 400 leads a flag is allowed; unchanged data is flagged at most at about NOISE_ALPHA.
        let (flagged, _) = false_alarms(400, 10, 2000);
        assert!(flagged <= 0.003, "{flagged}");
        let p = psi((0..10).map(|i| (i.to_string(), 0.1)).collect(), &[40; 10], 100_000);
        assert!(p.min_leads.unwrap() > 100 && p.min_leads.unwrap() <= 400, "{:?}", p.min_leads);
    }

    #[test]
    fn shifted_data_is_flagged() {
        // Half the bins empty, the other half twice their training share.
        let bins: Vec<(String, f64)> = (0..10).map(|i| (i.to_string(), 0.1)).collect();
        let p = psi(bins, &[100, 100, 100, 100, 100, 0, 0, 0, 0, 0], 100_000);
        assert!(p.flagged && p.major, "{p:?}");
    }

    #[test]
    fn continuous_deciles_are_tenths() {
        let r = numeric_reference(&(0..=10).map(|i| f64::from(i) + 0.5).collect::<Vec<_>>());
        assert_eq!(r.cuts, (1..=10).map(|i| f64::from(i) + 0.5).collect::<Vec<_>>());
        // Distinct fractional deciles: the bounds are exact, whatever the live leads do.
        let shares = r.shares(&[100, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(shares.len(), 11);
        for s in &shares[..10] {
            close(*s, 0.1, 1e-12);
        }
        close(shares[10], 0.0, 1e-12);
        assert_eq!((r.bin(-5.0), r.bin(0.5), r.bin(3.7), r.bin(10.5), r.bin(99.0)), (0, 0, 3, 10, 10));
        let labels = r.labels();
        assert_eq!(
            (labels[0].as_str(), labels[1].as_str(), labels[10].as_str()),
            ("(-inf, 1.5)", "[1.5, 2.5)", "[10.5, inf)")
        );
        // Whole-number deciles (a count) are bounded like tied ones: F(c-) in [(q-1)/10, q/10].
        let counts = numeric_reference(&(0..=10).map(f64::from).collect::<Vec<_>>());
        assert_eq!(counts.bounds[0], (0.0, 0.1));
    }

    #[test]
    fn tied_deciles_bound_the_shares_and_the_nearest_reference_is_used() {
        // email_clicks of the shipped model: 0 for deciles 0-5, 1 for 6-7, 2 for 8-9, max 26.
        // Cuts 1 (first at decile 6), 2 (decile 8), 26 (decile 10); F(1-) in [0.5, 0.6],
        // F(2-) in [0.7, 0.8], F(26-) in [0.9, 1.0].
        let r = numeric_reference(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 26.0]);
        assert_eq!(r.cuts, [1.0, 2.0, 26.0]);
        assert_eq!(r.bounds, [(0.5, 0.6), (0.7, 0.8), (0.9, 1.0)]);
        // Live leads like the training data (56.4% zeros, 23.6% ones, 10.5% twos): every live
        // CDF value is inside its bounds, so the reference equals the live shares.
        let same = r.shares(&[564, 236, 105, 95]);
        for (s, want) in same.iter().zip([0.564, 0.236, 0.105, 0.095]) {
            close(*s, want, 1e-12);
        }
        // Live leads with 90% zeros: F(1-) = 0.9 is clamped to 0.6; the shift is counted.
        let shifted = r.shares(&[900, 50, 25, 25]);
        close(shifted[0], 0.6, 1e-12);
        let p = psi(r.labels().into_iter().zip(shifted).collect(), &[900, 50, 25, 25], 16_000);
        assert!(p.flagged, "{p:?}");
    }

    #[test]
    fn score_bins_are_exact_held_out_shares() {
        // 100 held-out leads with probabilities 0.005, 0.015, ..., 0.995 (one each): the cuts fall
        // every 10 leads and each bin holds exactly 10% of them.
        let probs: Vec<f64> = (0..100).map(|i| (f64::from(i) + 0.5) / 100.0).collect();
        let labels: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let curve = OperatingCurve::from_predictions(&probs, &labels);
        let same = score_drift(&curve, &probs);
        assert_eq!(same.bins.len(), 10);
        assert!(same.bins.iter().all(|b| (b.expected - 0.1).abs() < 1e-12 && b.count == 10), "{:?}", same.bins);
        close(same.psi.unwrap(), 0.0, 1e-12);
        // Every live lead scoring high: flagged once there are enough of them.
        let high = vec![0.99; 1000];
        let p = score_drift(&curve, &high);
        assert!(p.psi.unwrap() > PSI_MAJOR);
        assert_eq!(p.bins[0].count, 1000);
    }
}
