//! How long a version has been current, for the promotion gate's stale-version rule
//! (`leadscore_core::promotion`: a version current for over `max_current_age_days` gives way to
//! a candidate within 95% of it).
//!
//! The age is counted from the first history entry that made the version current (a rollback
//! to an old version does not make it young again: what it learnt is as old as it was) to the
//! registry's [`Clock`]: the system's, or a fixed instant a test sets. The core reads no clock;
//! this is where the time of a decision comes from, for `train`, `retrain`, `promote` and the
//! admin route alike. A version no entry made current (a registry older than its history, a
//! shipped model) has no known age, and the gate says so.

use chrono::{DateTime, Utc};

use crate::history::{Alias, History};
use crate::{Registry, Result};

/// The time a registry's changes are recorded at and its decisions are made at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock.
    #[default]
    System,
    /// Always this instant (tests: a version made current months ago, without waiting).
    Fixed(DateTime<Utc>),
}

impl Clock {
    /// The time now, by this clock.
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(at) => at,
        }
    }
}

impl History {
    /// When `version` first became current: the first entry that moved `CURRENT` to it (a
    /// refusal moves nothing), if its time can be read.
    pub fn became_current(&self, version: &str) -> Option<DateTime<Utc>> {
        self.entries
            .iter()
            .find(|e| e.alias == Alias::Current && !e.refused && e.to.as_deref() == Some(version))
            .and_then(|e| DateTime::parse_from_rfc3339(&e.at).ok())
            .map(|at| at.with_timezone(&Utc))
    }
}

/// Days from `since` to `now`, never negative (an entry stamped ahead of this clock is new).
pub fn days_between(since: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    ((now - since).num_milliseconds() as f64 / 86_400_000.0).max(0.0)
}

impl Registry {
    /// How many days `version` of `name` has been current by the registry's clock (`None`: no
    /// history entry says when it became current).
    pub fn current_age_days(&self, name: &str, version: &str) -> Result<Option<f64>> {
        let since = self.history(name)?.became_current(version);
        Ok(since.map(|since| days_between(since, self.now())))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::testing::registry_with;

    #[test]
    fn the_age_counts_from_the_first_entry_that_made_the_version_current() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-10T08:00:00Z").unwrap().with_timezone(&Utc);
        let at = |days: i64| Clock::Fixed(t0 + TimeDelta::days(days));
        let (dir, reg) = registry_with(3);
        // registry_with published v1 by the system clock; start again at t0.
        std::fs::remove_file(dir.path().join("leads/HISTORY.jsonl")).unwrap();
        assert_eq!(reg.current_age_days("leads", "v1").unwrap(), None, "no entry: unknown");
        let reg = reg.with_clock(at(0));
        let lock = reg.lock("leads", "test").unwrap();
        let entry = reg.move_alias(&lock, Alias::Current, Some("v1"), "train", None).unwrap();
        assert_eq!(entry.at, "2026-01-10T08:00:00.000Z", "entries are stamped by the registry's clock");
        drop(lock);
        let reg = reg.with_clock(at(30));
        reg.promote("leads", "v2", true, "promote").unwrap();
        let reg = reg.with_clock(at(100));
        assert_eq!(reg.current_age_days("leads", "v2").unwrap(), Some(70.0));
        // Rolled back to v1: v1 is as old as its first day as current.
        reg.rollback("leads", "rollback").unwrap();
        let reg = reg.with_clock(at(101));
        assert_eq!(reg.current_age_days("leads", "v1").unwrap(), Some(101.0));
        // A refusal moves nothing; a version never current has no age.
        assert_eq!(reg.current_age_days("leads", "v3").unwrap(), None);
        // An entry stamped in the future counts as new, an unreadable time as unknown.
        let reg = reg.with_clock(at(-5));
        assert_eq!(reg.current_age_days("leads", "v1").unwrap(), Some(0.0));
        let history =
            History { entries: vec![crate::HistoryEntry { at: "last week".into(), ..entry }], skipped: Vec::new() };
        assert_eq!(history.became_current("v1"), None);
    }
}
