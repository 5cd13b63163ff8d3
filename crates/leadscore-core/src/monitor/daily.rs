//! Leads scored and the MQL rate per day, against what the held-out curve predicts.
//!
//! The held-out operating curve says which share of leads should pass a threshold; a day whose
//! MQL rate sits far outside the binomial noise of its lead count (|z| > 3) is flagged: sales
//! will see more (or fewer) MQLs than planned, usually because the lead mix moved.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::curve::OperatingCurve;
use crate::value::format_day;

/// |z| above which a day's MQL rate is flagged.
pub const Z_FLAG: f64 = 3.0;

/// Day number (as `value::parse_day`) of a Unix time in milliseconds, in UTC.
pub fn day_of_unix_ms(ms: i64) -> i32 {
    /// Days from 0001-01-01 (day 1 in chrono's count from the common era) to 1970-01-01.
    const UNIX_EPOCH_DAY: i64 = 719_163;
    let day = ms.div_euclid(86_400_000) + UNIX_EPOCH_DAY;
    i32::try_from(day).unwrap_or(if day < 0 { i32::MIN } else { i32::MAX })
}

/// One day of scoring.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    /// Leads scored.
    pub leads: u64,
    /// Of which MQLs.
    pub mql: u64,
    /// `mql / leads`.
    pub mql_rate: f64,
    /// The MQL rate the held-out curve gives at each lead's threshold, averaged over the day.
    pub expected_mql_rate: f64,
    /// `(mql_rate - expected) / sqrt(expected (1 - expected) / leads)` (`None` when expected is 0 or 1).
    pub z: Option<f64>,
    /// `|z| > 3`.
    pub flagged: bool,
}

/// Per day, oldest first: `days[i]`, `mql[i]` and `thresholds[i]` are lead i's day, MQL flag and
/// the threshold it was scored at (slices of unequal length are cut to the shortest).
pub fn per_day(curve: &OperatingCurve, days: &[i32], mql: &[bool], thresholds: &[f64]) -> Vec<Day> {
    // (leads, mql, sum of expected rates)
    let mut by_day: BTreeMap<i32, (u64, u64, f64)> = BTreeMap::new();
    let mut expected_at: BTreeMap<u64, f64> = BTreeMap::new();
    for ((&day, &is_mql), &t) in days.iter().zip(mql).zip(thresholds) {
        let expected = *expected_at.entry(t.to_bits()).or_insert_with(|| curve.at(t).mql_rate);
        let entry = by_day.entry(day).or_insert((0, 0, 0.0));
        entry.0 += 1;
        entry.1 += u64::from(is_mql);
        entry.2 += expected;
    }
    by_day
        .into_iter()
        .map(|(day, (leads, mql, sum))| {
            let rate = mql as f64 / leads as f64;
            let expected = sum / leads as f64;
            let var = expected * (1.0 - expected) / leads as f64;
            let z = (var > 0.0).then(|| (rate - expected) / var.sqrt());
            Day {
                day: format_day(day),
                leads,
                mql,
                mql_rate: rate,
                expected_mql_rate: expected,
                z,
                flagged: z.is_some_and(|z| z.abs() > Z_FLAG),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::parse_day;

    #[test]
    fn unix_days() {
        assert_eq!(day_of_unix_ms(0), parse_day("1970-01-01").unwrap());
        assert_eq!(day_of_unix_ms(86_400_000 - 1), parse_day("1970-01-01").unwrap());
        assert_eq!(day_of_unix_ms(-1), parse_day("1969-12-31").unwrap());
        // 2026-11-30T12:00:00Z = 1796040000 s.
        assert_eq!(day_of_unix_ms(1_796_040_000_000), parse_day("2026-11-30").unwrap());
    }

    #[test]
    fn days_by_hand() {
        // Held-out: 10 leads at 0.05, 0.15, ..., 0.95: threshold 0.5 passes 5 of 10 -> 0.5.
        let probs: Vec<f64> = (0..10).map(|i| (f64::from(i) + 0.5) / 10.0).collect();
        let curve = OperatingCurve::from_predictions(&probs, &[true; 10].map(|_| false));
        let d1 = parse_day("2026-01-01").unwrap();
        // Day 1: 4 leads, 2 MQLs: rate 0.5 = expected, z 0.
        // Day 2: 100 leads, 90 MQLs: z = 0.4 / sqrt(0.25 / 100) = 8, flagged.
        let mut days = vec![d1; 4];
        days.extend(vec![d1 + 1; 100]);
        let mut mql = vec![true, true, false, false];
        mql.extend((0..100).map(|i| i < 90));
        let out = per_day(&curve, &days, &mql, &vec![0.5; 104]);
        assert_eq!(out.len(), 2);
        assert_eq!((out[0].day.as_str(), out[0].leads, out[0].mql), ("2026-01-01", 4, 2));
        assert_eq!(out[0].z, Some(0.0));
        assert!((out[1].z.unwrap() - 8.0).abs() < 1e-9 && out[1].flagged);
    }
}
