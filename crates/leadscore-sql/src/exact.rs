//! Moving every decision of the scorer onto values the SQL computes exactly.
//!
//! An engine adds, subtracts, multiplies and divides doubles exactly as Rust
//! does (IEEE 754, round to nearest), but its `exp` and `ln` may differ from
//! the C library's in the last bit. A decision taken on such a value (is this
//! lead an MQL? which quantile bin? which tier?) could then flip for a lead
//! sitting exactly on a cut, and leads from the held-out set sit exactly on
//! the tier cuts by construction. So decisions are moved to the values the
//! SQL computes bit for bit:
//!
//! - a `log1p` feature's bin is decided on the raw number, against the
//!   smallest raw value whose transform reaches the cut ([`raw_cut`]);
//! - tiers and the MQL flag are decided on the log-odds, against the smallest
//!   log-odds whose probability reaches the cut ([`log_odds_cut`]), using the
//!   scorer's own [`sigmoid`].
//!
//! Both searches run over the doubles in order, so the cut is exact, not an
//! approximation of the inverse function.

use leadscore_core::model::sigmoid;

/// Maps a double to an integer that sorts the same way (`-0.0` and `0.0` tie).
fn key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    if bits < 0 {
        i64::MIN.wrapping_sub(bits)
    } else {
        bits
    }
}

/// The inverse of [`key`].
fn from_key(k: i64) -> f64 {
    if k < 0 {
        f64::from_bits(i64::MIN.wrapping_sub(k) as u64)
    } else {
        f64::from_bits(k as u64)
    }
}

/// The smallest double `x` with `pred(x)`, for a predicate that is false at
/// `-inf`, true at `+inf` and monotone in between; `None` if it is true
/// everywhere or nowhere.
fn smallest_true(pred: impl Fn(f64) -> bool) -> Option<f64> {
    let (mut lo, mut hi) = (key(f64::NEG_INFINITY), key(f64::INFINITY));
    if pred(f64::NEG_INFINITY) || !pred(f64::INFINITY) {
        return None;
    }
    // Invariant: pred(from_key(lo)) is false, pred(from_key(hi)) is true.
    while i128::from(hi) - i128::from(lo) > 1 {
        // The midpoint of two i64 lies between them, so it fits an i64.
        let mid = ((i128::from(lo) + i128::from(hi)) / 2) as i64;
        if pred(from_key(mid)) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(from_key(hi))
}

/// The scorer's transform of a numeric value: `sign(x) ln(1 + |x|)` when `log1p`.
pub fn transform(log1p: bool, x: f64) -> f64 {
    if log1p {
        x.signum() * x.abs().ln_1p()
    } else {
        x
    }
}

/// Where a decision on a transformed value lands on the raw scale.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cut {
    /// Every finite value passes.
    Always,
    /// No finite value passes.
    Never,
    /// Values `>=` this pass.
    AtLeast(f64),
}

/// The raw-scale cut equivalent to `transform(x) >= cut`: the bin of a
/// `log1p` feature is then decided on the number the SQL read, which it reads
/// exactly, rather than on its own `ln`, which may differ in the last bit.
pub fn raw_cut(log1p: bool, cut: f64) -> Cut {
    if !log1p {
        return Cut::AtLeast(cut);
    }
    match smallest_true(|x| transform(true, x) >= cut) {
        Some(x) if x.is_finite() => Cut::AtLeast(x),
        Some(_) => Cut::Never,
        None if transform(true, f64::NEG_INFINITY) >= cut => Cut::Always,
        None => Cut::Never,
    }
}

/// The log-odds cut equivalent to `sigmoid(z) >= p` (`sigmoid` being the
/// scorer's own). Tiers and the MQL flag compare the log-odds, which the SQL
/// computes bit for bit, so an engine whose `exp` differs from the C
/// library's in the last bit still puts every lead in the same tier.
pub fn log_odds_cut(p: f64) -> Cut {
    match smallest_true(|z| sigmoid(z) >= p) {
        Some(z) if z.is_finite() => Cut::AtLeast(z),
        Some(_) => Cut::Never,
        None if sigmoid(f64::NEG_INFINITY) >= p => Cut::Always,
        None => Cut::Never,
    }
}

/// The raw-value bounds outside which the scorer's standardised value is
/// clamped: `(t - mean) / std` is `>= Z_LIMIT` from `hi` up and `<= -Z_LIMIT`
/// from `lo` down. Clamping `t` into `[lo, hi]` first gives the same result
/// and keeps the engine's arithmetic finite (DuckDB raises on an infinite
/// double where Rust carries it to the clamp). `None` where no finite value
/// reaches the clamp on that side.
pub fn clamp_bounds(mean: f64, std: f64, limit: f64) -> (Option<f64>, Option<f64>) {
    let z = |t: f64| (t - mean) / std;
    let hi = smallest_true(|t| z(t) >= limit).filter(|t| t.is_finite());
    let lo = smallest_true(|t| z(t) > -limit).map(|t| from_key(key(t) - 1)).filter(|t| t.is_finite());
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next_down(x: f64) -> f64 {
        from_key(key(x) - 1)
    }

    #[test]
    fn keys_sort_like_doubles() {
        let xs = [f64::NEG_INFINITY, -1e300, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e300, f64::INFINITY];
        for pair in xs.windows(2) {
            assert!(key(pair[0]) < key(pair[1]), "{pair:?}");
        }
        for x in xs {
            assert_eq!(from_key(key(x)).to_bits(), x.to_bits());
        }
        assert_eq!(key(-0.0), key(0.0));
    }

    #[test]
    fn raw_cuts_are_the_first_raw_value_reaching_the_cut() {
        // ln(1 + 3) = ln 4: the cut at transform(3) is reached first by 3 itself.
        let cut = transform(true, 3.0);
        let Cut::AtLeast(x) = raw_cut(true, cut) else { panic!("finite cut") };
        assert!(transform(true, x) >= cut && transform(true, next_down(x)) < cut);
        assert!(x <= 3.0 && x > 2.999_999_999);
        // Negative values: -ln(1 + 2) is reached from -2 upwards.
        let cut = transform(true, -2.0);
        let Cut::AtLeast(x) = raw_cut(true, cut) else { panic!("finite cut") };
        assert!(transform(true, x) >= cut && transform(true, next_down(x)) < cut);
        // Without log1p the cut is the cut.
        assert_eq!(raw_cut(false, 7.5), Cut::AtLeast(7.5));
        // ln(1 + MAX) is about 709.78: a cut above it is never reached.
        assert_eq!(raw_cut(true, 800.0), Cut::Never);
        assert_eq!(raw_cut(true, f64::NEG_INFINITY), Cut::Always);
    }

    #[test]
    fn clamp_bounds_are_the_first_clamped_values() {
        // mean 10, std 2, limit 1e6: z = 1e6 at t = 2000010, z = -1e6 at t = -1999990.
        assert_eq!(clamp_bounds(10.0, 2.0, 1e6), (Some(-1_999_990.0), Some(2_000_010.0)));
        // A huge mean next to a tiny std still gets exact bounds (no 2e6 * std margin that rounds away).
        let (lo, hi) = clamp_bounds(1e30, 1.0, 1e6);
        let (lo, hi) = (lo.unwrap(), hi.unwrap());
        assert!((hi - 1e30) / 1.0 >= 1e6 && (next_down(hi) - 1e30) / 1.0 < 1e6);
        assert!((lo - 1e30) / 1.0 <= -1e6);
        // With a std so large that even MAX stays below the limit, nothing is clamped.
        assert_eq!(clamp_bounds(0.0, 1e303, 1e6), (None, None));
    }

    #[test]
    fn log_odds_cuts_reproduce_the_probability_decision() {
        for p in [0.5, 0.1, 0.9, 0.123456, 0.999999, 1e-300, 0.30000000000000004] {
            let Cut::AtLeast(z) = log_odds_cut(p) else { panic!("finite cut for {p}") };
            assert!(sigmoid(z) >= p, "{p}");
            assert!(sigmoid(next_down(z)) < p, "{p}");
        }
        // sigmoid(0) = 0.5, but so does sigmoid(-5.55e-17): exp rounds to 1 - 2^-54 and the
        // division rounds back to 0.5. The cut is where the scorer's arithmetic turns, not where
        // the real function does.
        assert_eq!(log_odds_cut(0.5), Cut::AtLeast(-5.551115123125783e-17));
        assert_eq!(log_odds_cut(0.0), Cut::Always);
        // sigmoid reaches 1.0 at about 36.7: p = 1 is a finite cut; above 1 nothing passes.
        assert!(matches!(log_odds_cut(1.0), Cut::AtLeast(z) if z > 36.0 && z < 38.0));
        assert_eq!(log_odds_cut(1.5), Cut::Never);
        assert_eq!(log_odds_cut(f64::NAN), Cut::Never);
    }
}
