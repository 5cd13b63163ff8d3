//! Bootstrap resamples: the one source of every interval the monitor and the promotion gate print.
//!
//! A resample is a multiplicity per lead (how many times the lead is drawn), so one sorted order
//! of the scores serves every replicate. The same [`Resamples`] handed to two models gives the
//! *paired* bootstrap: each replicate draws the same leads for both, so the interval is of the
//! difference on those leads, not two overlapping intervals.
//!
//! Replicate `r` draws from its own ChaCha8 stream (`seed ^ 0xb007_57a9`, stream `r`), the scheme
//! of the trainer's held-out intervals, so the result does not depend on how replicates are
//! spread over threads. Tests pass hand-made multiplicities through [`Resamples::given`].

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::report::Interval;
use crate::{Error, Result};

/// Replicates a monitor or a gate draws unless told otherwise (1,000: the 2.5% and 97.5%
/// percentiles then each rest on 25 replicates).
pub const DEFAULT_REPLICATES: u32 = 1000;

/// The coverage of every bootstrap interval printed.
pub const LEVEL: f64 = 0.95;

/// The resamples of `n` leads: drawn from a seed, or given by hand.
#[derive(Clone, Debug, PartialEq)]
pub struct Resamples {
    n: usize,
    source: Source,
}

#[derive(Clone, Debug, PartialEq)]
enum Source {
    Drawn { replicates: u32, seed: u64 },
    Given(Vec<Vec<u32>>),
}

impl Resamples {
    /// `replicates` resamples of `n` leads with replacement, seeded.
    pub fn drawn(n: usize, replicates: u32, seed: u64) -> Self {
        Resamples { n, source: Source::Drawn { replicates, seed } }
    }

    /// Resamples given as multiplicities, one vector of `n` per replicate (tests, or a caller
    /// replaying another tool's draws). Every vector must have one entry per lead.
    pub fn given(n: usize, weights: Vec<Vec<u32>>) -> Result<Self> {
        if let Some((r, w)) = weights.iter().enumerate().find(|(_, w)| w.len() != n) {
            return Err(Error::Compare(format!("resample {r} has {} multiplicities for {n} leads", w.len())));
        }
        Ok(Resamples { n, source: Source::Given(weights) })
    }

    /// Leads per resample.
    pub fn n_leads(&self) -> usize {
        self.n
    }

    /// Number of replicates.
    pub fn replicates(&self) -> usize {
        match &self.source {
            Source::Drawn { replicates, .. } => *replicates as usize,
            Source::Given(w) => w.len(),
        }
    }

    /// Calls `f` with the multiplicities of each replicate in turn (one buffer reused).
    pub fn for_each(&self, mut f: impl FnMut(&[u32])) {
        match &self.source {
            Source::Given(weights) => weights.iter().for_each(|w| f(w)),
            Source::Drawn { replicates, seed } => {
                if self.n == 0 {
                    return;
                }
                let mut weights = vec![0u32; self.n];
                for r in 0..*replicates {
                    draw(*seed, r, &mut weights);
                    f(&weights);
                }
            }
        }
    }
}

/// Replicate `r` of the resamples seeded by `seed`: `weights.len()` draws with replacement, as
/// multiplicities (the trainer's held-out intervals draw theirs with this too, on several threads).
pub fn draw(seed: u64, r: u32, weights: &mut [u32]) {
    let n = weights.len();
    weights.fill(0);
    if n == 0 {
        return;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xb007_57a9);
    rng.set_stream(u64::from(r));
    for _ in 0..n {
        weights[rng.gen_range(0..n)] += 1;
    }
}

/// The percentile interval of replicate values at [`LEVEL`]: the values at ranks
/// `round((r - 1) q)` for `q = 0.025` and `0.975` of the `r` sorted values. `None` with no value.
pub fn percentile_interval(mut values: Vec<f64>) -> Option<Interval> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let tail = (1.0 - LEVEL) / 2.0;
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    Some(Interval { low: at(tail), high: at(1.0 - tail), level: LEVEL })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawn_resamples_are_seeded_and_sum_to_n() {
        let collect = |seed| {
            let mut all = Vec::new();
            Resamples::drawn(7, 5, seed).for_each(|w| all.push(w.to_vec()));
            all
        };
        let a = collect(3);
        assert_eq!(a.len(), 5);
        assert!(a.iter().all(|w| w.iter().sum::<u32>() == 7));
        assert_eq!(a, collect(3));
        assert_ne!(a, collect(4));
        // Replicates differ from one another (their own streams).
        assert_ne!(a[0], a[1]);
    }

    #[test]
    fn given_resamples_are_checked() {
        assert!(Resamples::given(2, vec![vec![1, 1], vec![2]]).is_err());
        let r = Resamples::given(2, vec![vec![2, 0], vec![0, 2]]).unwrap();
        assert_eq!((r.n_leads(), r.replicates()), (2, 2));
    }

    #[test]
    fn percentile_interval_ranks() {
        // 5 values: ranks round(4 * 0.025) = 0 and round(4 * 0.975) = 4: min and max.
        let i = percentile_interval(vec![0.3, -0.1, 0.2, 0.0, 0.1]).unwrap();
        assert_eq!((i.low, i.high, i.level), (-0.1, 0.3, 0.95));
        // 101 values 0..=100: ranks round(2.5) = 3 (half away from zero) and round(97.5) = 98.
        let i = percentile_interval((0..=100).map(f64::from).collect()).unwrap();
        assert_eq!((i.low, i.high), (3.0, 98.0));
        assert_eq!(percentile_interval(vec![f64::NAN]), None);
    }
}
