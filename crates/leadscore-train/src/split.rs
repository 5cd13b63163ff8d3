//! Seeded splits: the held-out set and cross-validation folds.
//!
//! Every split is a pure function of the labels (or dates) and the seed, and
//! returns sorted row indices, so the same data and seed always give the same
//! model regardless of the order the shuffle produced.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Training and held-out row indices, each sorted.
#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    /// Rows the model is fitted on.
    pub train: Vec<usize>,
    /// Rows it is judged on.
    pub holdout: Vec<usize>,
}

fn shuffled(mut rows: Vec<usize>, rng: &mut ChaCha8Rng) -> Vec<usize> {
    rows.shuffle(rng);
    rows
}

fn by_class(labels: &[bool], rows: impl Iterator<Item = usize> + Clone) -> (Vec<usize>, Vec<usize>) {
    (rows.clone().filter(|&r| labels[r]).collect(), rows.filter(|&r| !labels[r]).collect())
}

/// A stratified random hold-out: `share` of the won and of the lost leads.
pub fn stratified_holdout(labels: &[bool], share: f64, seed: u64) -> Split {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (pos, neg) = by_class(labels, 0..labels.len());
    let mut train = Vec::new();
    let mut holdout = Vec::new();
    for class in [pos, neg] {
        let n_hold = (class.len() as f64 * share).round() as usize;
        let class = shuffled(class, &mut rng);
        holdout.extend_from_slice(&class[..n_hold.min(class.len())]);
        train.extend_from_slice(&class[n_hold.min(class.len())..]);
    }
    train.sort_unstable();
    holdout.sort_unstable();
    Split { train, holdout }
}

/// The newest `share` of leads by date are held out; leads on the same day keep file order.
pub fn newest_holdout(days: &[i32], share: f64) -> Split {
    let mut order: Vec<usize> = (0..days.len()).collect();
    order.sort_by_key(|&r| (days[r], r));
    let n_hold = (days.len() as f64 * share).round() as usize;
    let cut = days.len() - n_hold.min(days.len());
    let mut train = order[..cut].to_vec();
    let mut holdout = order[cut..].to_vec();
    train.sort_unstable();
    holdout.sort_unstable();
    Split { train, holdout }
}

/// Stratified k-fold assignment of `rows` (positions into `rows`, not row ids):
/// `fold[i]` is the fold of `rows[i]`.
pub fn stratified_folds(labels: &[bool], rows: &[usize], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_f01d);
    let positions = 0..rows.len();
    let (pos, neg) = (
        positions.clone().filter(|&i| labels[rows[i]]).collect::<Vec<_>>(),
        positions.filter(|&i| !labels[rows[i]]).collect::<Vec<_>>(),
    );
    let mut fold = vec![0; rows.len()];
    let mut next = 0;
    for class in [pos, neg] {
        for i in shuffled(class, &mut rng) {
            fold[i] = next % k.max(1);
            next += 1;
        }
    }
    fold
}

/// A stratified random sample of about `n` of `rows` (row ids): the same share of the won and of
/// the lost leads, sorted. The searches of a large training part are judged on it (see
/// `pipeline`); `rows` itself when it holds `n` or fewer.
pub fn stratified_sample(labels: &[bool], rows: &[usize], n: usize, seed: u64) -> Vec<usize> {
    if rows.len() <= n {
        return rows.to_vec();
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5a3b_1e5e);
    let (pos, neg) = by_class(labels, rows.iter().copied());
    let share = n as f64 / rows.len() as f64;
    let mut sample = Vec::with_capacity(n + 1);
    for class in [pos, neg] {
        let take = ((class.len() as f64 * share).round() as usize).min(class.len());
        sample.extend_from_slice(&shuffled(class, &mut rng)[..take]);
    }
    sample.sort_unstable();
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize, every: usize) -> Vec<bool> {
        (0..n).map(|i| i % every == 0).collect()
    }

    #[test]
    fn stratified_holdout_keeps_class_shares() {
        let y = labels(1000, 10); // 100 won, 900 lost
        let s = stratified_holdout(&y, 0.2, 42);
        assert_eq!(s.holdout.len(), 200);
        assert_eq!(s.holdout.iter().filter(|&&r| y[r]).count(), 20);
        assert_eq!(s.train.len() + s.holdout.len(), 1000);
        assert!(s.train.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(s, stratified_holdout(&y, 0.2, 42));
        assert_ne!(s, stratified_holdout(&y, 0.2, 43));
    }

    #[test]
    fn newest_holdout_takes_the_latest_dates() {
        let days = [5, 1, 9, 3, 9, 7, 2, 8, 4, 6];
        let s = newest_holdout(&days, 0.2);
        // the two newest: both day-9 rows (indices 2 and 4)
        assert_eq!(s.holdout, [2, 4]);
        assert_eq!(s.train.len(), 8);
    }

    #[test]
    fn stratified_sample_keeps_class_shares_and_is_seeded() {
        let y = labels(10_000, 8); // 1,250 won
        let rows: Vec<usize> = (0..10_000).filter(|r| r % 5 != 0).collect(); // 8,000 rows, 1,000 won
        let s = stratified_sample(&y, &rows, 2_000, 42);
        assert_eq!(s.len(), 2_000);
        assert_eq!(s.iter().filter(|&&r| y[r]).count(), 250);
        assert!(s.windows(2).all(|w| w[0] < w[1]));
        assert!(s.iter().all(|r| r % 5 != 0), "only rows of `rows`");
        assert_eq!(s, stratified_sample(&y, &rows, 2_000, 42));
        assert_ne!(s, stratified_sample(&y, &rows, 2_000, 43));
        // No more rows than asked for: every row, as given.
        assert_eq!(stratified_sample(&y, &rows, 8_000, 42), rows);
        assert_eq!(stratified_sample(&y, &rows, 9_000, 42), rows);
    }

    #[test]
    fn folds_are_balanced_and_stratified() {
        let y = labels(100, 5); // 20 won
        let rows: Vec<usize> = (0..100).collect();
        let f = stratified_folds(&y, &rows, 5, 42);
        for k in 0..5 {
            assert_eq!(f.iter().filter(|&&x| x == k).count(), 20);
            assert_eq!((0..100).filter(|&i| f[i] == k && y[i]).count(), 4);
        }
    }
}
