//! Moving a model's aliases: `CURRENT` (the version that serves) and `CHALLENGER` (a version to
//! shadow beside it), each change atomic (a temporary file renamed over the alias), made under
//! the model's [`crate::ModelLock`] and recorded in its history.
//!
//! - [`Registry::promote`] makes a version current if the promotion gate passes it against the
//!   version current now (its `card.json` holds the gate's comparison, judged again at the
//!   current version's age now: see [`crate::age`]), or with `force`.
//! - [`Registry::rollback`] makes the version current before the latest change current again.
//! - [`Registry::set_challenger`], [`Registry::clear_challenger`].
//!
//! A version becomes an alias only after its `model.bin` loaded and validated, so an alias
//! always names a version that can serve.

use std::fs;

use leadscore_core::promotion::{GateRecord, Policy};

use crate::history::{append, Alias, GateEntry, HistoryEntry, HISTORY_FILE};
use crate::lock::ModelLock;
use crate::{valid_name, version_number, write_atomic, Error, Registry, Result, CARD_FILE, MODEL_FILE};

/// What a promotion or rollback did.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The entry written to the history (`None` when the version was already current).
    pub entry: Option<HistoryEntry>,
    /// The version current now.
    pub current: String,
    /// The gate's record as judged at this promotion (against the version it replaced, at its
    /// age then), when a gate compared the two.
    pub record: Option<GateRecord>,
}

impl Registry {
    /// The version an alias names, if the alias exists.
    pub fn alias(&self, name: &str, alias: Alias) -> Result<Option<String>> {
        self.check_name(name)?;
        let path = self.root().join(name).join(alias.file());
        match fs::read_to_string(&path) {
            Ok(text) => {
                let version = text.trim().to_owned();
                if version_number(&version).is_none() {
                    return Err(Error::Registry {
                        path,
                        message: format!("{} holds {version:?}, not a version like v1", alias.file()),
                    });
                }
                Ok(Some(version))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// The version `CHALLENGER` names, if any.
    pub fn challenger(&self, name: &str) -> Result<Option<String>> {
        self.alias(name, Alias::Challenger)
    }

    /// Checks that `name` is a model of this registry: a folder holding at least one version.
    /// Commands that change an existing model check this first, so that a mistyped name is
    /// an error and never a new empty folder (taking the model's lock creates its folder).
    pub fn check_model(&self, name: &str) -> Result<()> {
        let known = valid_name(name) && !self.versions(name)?.is_empty();
        if known {
            return Ok(());
        }
        let names = self.names().unwrap_or_default();
        Err(Error::UnknownModel {
            path: self.root().to_owned(),
            name: name.to_owned(),
            known: if names.is_empty() { "none".to_owned() } else { names.join(", ") },
        })
    }

    /// Checks that `version` of `name` exists and its model loads.
    pub fn check_version(&self, name: &str, version: &str) -> Result<()> {
        let path = self.root().join(name).join(version).join(MODEL_FILE);
        if version_number(version).is_none() || !path.is_file() {
            let known: Vec<String> = self.versions(name)?.into_iter().map(|(_, v)| v).collect();
            return Err(Error::UnknownVersion {
                path: self.root().join(name),
                name: name.to_owned(),
                version: version.to_owned(),
                known: if known.is_empty() { "none".to_owned() } else { known.join(", ") },
            });
        }
        Registry::load(&path).map(|_| ())
    }

    /// The `promotion.<field>` of the card of `version`, if there.
    fn card_promotion<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        version: &str,
        field: &str,
    ) -> Result<Option<T>> {
        let path = self.root().join(name).join(version).join(CARD_FILE);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path, e)),
        };
        let card: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Registry { path: path.clone(), message: format!("not a model card: {e}") })?;
        match card.get("promotion").and_then(|p| p.get(field)) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(value) => serde_json::from_value(value.clone()).map(Some).map_err(|e| Error::Registry {
                path,
                message: format!("the card's promotion.{field} cannot be read: {e}"),
            }),
        }
    }

    /// The gate's record stored in the card of `version`, if the version was judged by the gate.
    pub fn gate_record(&self, name: &str, version: &str) -> Result<Option<GateRecord>> {
        self.card_promotion(name, version, "gate")
    }

    /// The promotion policy `version` was trained with, if its card names one.
    pub fn stored_policy(&self, name: &str, version: &str) -> Result<Option<Policy>> {
        self.card_promotion(name, version, "policy")
    }

    /// The history entry a change that is not in the history yet must be preceded by: when
    /// `CURRENT` moved but its line was never written (the process died in between).
    fn reconcile(&self, lock: &ModelLock) -> Result<Option<String>> {
        let name = lock.name();
        let current = self.alias(name, Alias::Current)?;
        let history = self.history(name)?;
        let recorded = history.last_current_change().and_then(|e| e.to.clone());
        if current.is_some() && recorded.is_some() && current != recorded {
            let entry = HistoryEntry::at(
                self.now(),
                Alias::Current,
                recorded,
                current.clone(),
                "unknown (a change whose command did not finish recording it)",
            );
            append(&self.root().join(name).join(HISTORY_FILE), &entry)?;
        }
        Ok(current)
    }

    /// Points `alias` of the locked model at `to` (or removes it), recording the change.
    pub fn move_alias(
        &self,
        lock: &ModelLock,
        alias: Alias,
        to: Option<&str>,
        command: &str,
        gate: Option<GateEntry>,
    ) -> Result<HistoryEntry> {
        let name = lock.name();
        let current = self.reconcile(lock)?;
        let from = match alias {
            Alias::Current => current,
            Alias::Challenger => self.challenger(name)?,
        };
        let path = self.root().join(name).join(alias.file());
        match to {
            Some(version) => {
                self.check_version(name, version)?;
                write_atomic(&path, format!("{version}\n").as_bytes())?;
            }
            None => match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(path, e)),
            },
        }
        let mut entry = HistoryEntry::at(self.now(), alias, from, to.map(str::to_owned), command);
        entry.gate = gate;
        append(&self.root().join(name).join(HISTORY_FILE), &entry)?;
        Ok(entry)
    }

    /// Records that the gate refused `candidate` (kept as a version, `CURRENT` unchanged).
    pub fn record_refusal(&self, lock: &ModelLock, candidate: &str, command: &str, gate: GateEntry) -> Result<()> {
        let current = self.reconcile(lock)?;
        let mut entry = HistoryEntry::at(self.now(), Alias::Current, current.clone(), current, command);
        entry.gate = Some(gate);
        entry.refused = true;
        entry.candidate = Some(candidate.to_owned());
        append(&self.root().join(lock.name()).join(HISTORY_FILE), &entry)
    }

    /// Makes `version` of `name` current if the gate passed it against the version current now;
    /// with `force`, whatever the gate said (or when it never judged it against this one).
    pub fn promote(&self, name: &str, version: &str, force: bool, command: &str) -> Result<Change> {
        self.promote_with(name, version, force, None, command)
    }

    /// Like [`Registry::promote`], with the stale-version rule's limit replaced by
    /// `max_current_age_days` when given (`promote --max-current-age-days`).
    ///
    /// The gate's comparison stored in the candidate's card is judged again, by the policy
    /// stored with it, at the current version's age now: a candidate refused when the current
    /// version was two months old passes a month later if it is within the stale rule's 95%
    /// (the comparison is not redone, so the figures are the card's). The history records this
    /// judgement; the card keeps the one made at training.
    pub fn promote_with(
        &self,
        name: &str,
        version: &str,
        force: bool,
        max_current_age_days: Option<u32>,
        command: &str,
    ) -> Result<Change> {
        self.check_model(name)?;
        self.check_version(name, version)?;
        let lock = self.lock(name, command)?;
        let current = self.reconcile(&lock)?;
        if current.as_deref() == Some(version) {
            return Ok(Change { entry: None, current: version.to_owned(), record: None });
        }
        let record = self.gate_record(name, version)?;
        let judged = match record.as_ref().filter(|r| Some(&r.against) == current.as_ref()) {
            Some(r) => {
                let mut policy = r.policy.clone();
                if let Some(days) = max_current_age_days {
                    policy.max_current_age_days = days;
                }
                let age = self.current_age_days(name, &r.against)?;
                Some(r.clone().judged_again(policy, age))
            }
            None => None,
        };
        let judged = judged.as_ref();
        let gate = judged.map(|r| GateEntry::of(r, force && !r.verdict.passed));
        let passed = judged.is_some_and(|r| r.verdict.passed);
        if !passed && !force {
            let current = current.as_deref().unwrap_or("none");
            let message = match (judged, &record) {
                (Some(r), _) => format!("{} --force promotes it anyway", r.verdict.sentence),
                (None, Some(r)) => format!(
                    "{version} was compared with {}, not with the current {current}, so the gate has not judged it against the version it would replace; --force promotes it anyway",
                    r.against
                ),
                (None, None) => format!(
                    "{version} was never compared with the current {current} by the gate; --force promotes it anyway"
                ),
            };
            return Err(Error::Refused {
                name: name.to_owned(),
                version: version.to_owned(),
                message,
                record: judged.cloned().map(Box::new),
            });
        }
        let command = if force && !passed { format!("{command} --force") } else { command.to_owned() };
        let entry = self.move_alias(&lock, Alias::Current, Some(version), &command, gate)?;
        Ok(Change { entry: Some(entry), current: version.to_owned(), record: judged.cloned() })
    }

    /// Makes the version current before the latest change of `CURRENT` current again.
    pub fn rollback(&self, name: &str, command: &str) -> Result<Change> {
        self.check_model(name)?;
        let lock = self.lock(name, command)?;
        let current = self.reconcile(&lock)?;
        let history = self.history(name)?;
        let last = history.last_current_change().filter(|e| e.to == current);
        let Some(previous) = last.and_then(|e| e.from.clone()) else {
            return Err(Error::NoPrevious {
                name: name.to_owned(),
                current: current.unwrap_or_else(|| "version".to_owned()),
            });
        };
        let entry = self.move_alias(&lock, Alias::Current, Some(&previous), command, None)?;
        Ok(Change { entry: Some(entry), current: previous, record: None })
    }

    /// The version `rollback` would go back to (kept by `prune`).
    pub fn previous(&self, name: &str) -> Result<Option<String>> {
        let current = self.alias(name, Alias::Current)?;
        let history = self.history(name)?;
        Ok(history.last_current_change().filter(|e| e.to == current).and_then(|e| e.from.clone()))
    }

    /// Names `version` as the challenger of `name`.
    pub fn set_challenger(&self, name: &str, version: &str, command: &str) -> Result<HistoryEntry> {
        self.check_model(name)?;
        let lock = self.lock(name, command)?;
        self.move_alias(&lock, Alias::Challenger, Some(version), command, None)
    }

    /// Removes the challenger of `name` (nothing to do when there is none).
    pub fn clear_challenger(&self, name: &str, command: &str) -> Result<Option<HistoryEntry>> {
        self.check_model(name)?;
        let lock = self.lock(name, command)?;
        if self.challenger(name)?.is_none() {
            return Ok(None);
        }
        self.move_alias(&lock, Alias::Challenger, None, command, None).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{model_bytes, registry_with};

    #[test]
    fn promote_rollback_and_history() {
        let (_dir, reg) = registry_with(3);
        assert_eq!(reg.current("leads").unwrap(), "v1");
        // v2 was never judged against v1: refused without --force.
        let err = reg.promote("leads", "v2", false, "promote").unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        assert!(err.to_string().contains("never compared with the current v1"), "{err}");
        let change = reg.promote("leads", "v2", true, "promote").unwrap();
        assert_eq!(change.current, "v2");
        assert_eq!(reg.current("leads").unwrap(), "v2");
        reg.promote("leads", "v3", true, "admin promote").unwrap();
        assert_eq!(reg.rollback("leads", "rollback").unwrap().current, "v2");
        assert_eq!(reg.current("leads").unwrap(), "v2");
        let h = reg.history("leads").unwrap();
        let moves: Vec<(Option<&str>, Option<&str>, &str)> =
            h.entries.iter().map(|e| (e.from.as_deref(), e.to.as_deref(), e.command.as_str())).collect();
        assert_eq!(
            moves,
            [
                (None, Some("v1"), "publish"),
                (Some("v1"), Some("v2"), "promote --force"),
                (Some("v2"), Some("v3"), "admin promote --force"),
                (Some("v3"), Some("v2"), "rollback"),
            ]
        );
        // Promoting the current version again changes nothing.
        assert_eq!(reg.promote("leads", "v2", false, "promote").unwrap().entry, None);
        assert!(reg.promote("leads", "v9", true, "promote").unwrap_err().to_string().contains("no version `v9`"));
    }

    /// A card holding the gate's record of `v2` against `v1`: AUC 0.78 against 0.80 (worse
    /// beyond the noise, 97.5% of it), log loss 0.46 against 0.45 (beyond the 1% margin, within
    /// 0.45 / 0.95), judged when v1 had been current for 10 days: refused.
    fn near_miss_card() -> Vec<u8> {
        use leadscore_core::monitor::figures::{Paired, PairedComparison};
        use leadscore_core::promotion::{decide, Evidence, InputChanges, Rocs};
        use leadscore_core::report::Interval;
        let paired = |a: f64, b: f64, low: f64, high: f64| Paired {
            a: Some(a),
            b: Some(b),
            difference: Some(b - a),
            interval: Some(Interval { low, high, level: 0.95 }),
        };
        let none = Paired { a: None, b: None, difference: None, interval: None };
        let comparison = PairedComparison {
            n_leads: 600,
            n_won: 90,
            replicates: 1000,
            threshold_a: 0.5,
            threshold_b: 0.5,
            auc: paired(0.80, 0.78, -0.031, -0.009),
            log_loss: paired(0.45, 0.46, 0.004, 0.016),
            brier: none,
            lift_top_decile: none,
            precision: none,
            recall: none,
        };
        let record = GateRecord {
            candidate: "v2".into(),
            against: "v1".into(),
            policy: Policy::default(),
            evidence: Evidence { leads: "the candidate's held-out leads".into(), n_leads: 600, seen_by_current: None },
            verdict: decide(&Policy::default(), &comparison, "v1", "v2", Some(10.0)),
            comparison,
            inputs: InputChanges::default(),
            roc: Rocs::default(),
        };
        assert!(!record.verdict.passed);
        serde_json::to_vec(&serde_json::json!({"promotion": {"policy": Policy::default(), "gate": record}})).unwrap()
    }

    #[test]
    fn promote_judges_the_stored_comparison_again_at_the_current_versions_age() {
        use crate::age::Clock;
        use chrono::{DateTime, TimeDelta, Utc};
        let t0 = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let at = |days: i64| Clock::Fixed(t0 + TimeDelta::days(days));
        let (dir, reg) = registry_with(2);
        std::fs::write(dir.path().join("leads/v2/card.json"), near_miss_card()).unwrap();
        // v1 became current at t0.
        std::fs::remove_file(dir.path().join("leads/HISTORY.jsonl")).unwrap();
        let reg = reg.with_clock(at(0));
        let lock = reg.lock("leads", "test").unwrap();
        reg.move_alias(&lock, Alias::Current, Some("v1"), "train", None).unwrap();
        drop(lock);

        // 30 days on: refused, and the refusal says why the rule does not help yet.
        let err = reg.clone().with_clock(at(30)).promote("leads", "v2", false, "promote").unwrap_err();
        let Error::Refused { message, record: Some(record), .. } = &err else { panic!("{err}") };
        assert!(message.contains("v1 has been current for 30 days: the 90-day rule"), "{message}");
        assert_eq!(record.verdict.current_age_days, Some(30.0));
        // A shorter limit given to promote applies: 30 days is over 20. Back to v1 after.
        let change = reg.clone().with_clock(at(30)).promote_with("leads", "v2", false, Some(20), "promote").unwrap();
        assert!(change.record.unwrap().verdict.sentence.contains("current for 30 days (over 20)"));
        reg.clone().with_clock(at(30)).rollback("leads", "rollback").unwrap();
        // 120 days on, the rule turned off for this promotion: still refused.
        let err = reg.clone().with_clock(at(120)).promote_with("leads", "v2", false, Some(0), "promote").unwrap_err();
        assert!(matches!(err, Error::Refused { .. }), "{err}");
        // 120 days on, by the stored policy: v1 (current since t0, rolled back to) is stale and
        // v2 within 95% of it.
        let reg = reg.with_clock(at(120));
        let change = reg.promote("leads", "v2", false, "promote").unwrap();
        assert_eq!(reg.current("leads").unwrap(), "v2");
        let record = change.record.unwrap();
        assert!(record.verdict.passed && record.verdict.stale, "{}", record.verdict.sentence);
        let entry = change.entry.unwrap();
        assert_eq!((entry.command.as_str(), entry.at.as_str()), ("promote", "2026-06-29T12:00:00.000Z"));
        let gate = entry.gate.unwrap();
        assert!(gate.passed && !gate.forced && gate.stale);
        assert!(
            gate.sentence.contains("accepted because v1 has been current for 120 days (over 90)"),
            "{}",
            gate.sentence
        );
        // The card keeps the judgement made at training.
        assert_eq!(reg.gate_record("leads", "v2").unwrap().unwrap().verdict.current_age_days, Some(10.0));
    }

    #[test]
    fn a_change_whose_line_was_lost_is_recorded_by_the_next_one() {
        let (dir, reg) = registry_with(3);
        reg.promote("leads", "v2", true, "promote").unwrap();
        // A process died after renaming CURRENT, before writing its line.
        std::fs::write(dir.path().join("leads/CURRENT"), "v3\n").unwrap();
        reg.rollback("leads", "rollback").unwrap();
        let h = reg.history("leads").unwrap();
        let moves: Vec<(Option<&str>, Option<&str>)> =
            h.entries.iter().map(|e| (e.from.as_deref(), e.to.as_deref())).collect();
        assert_eq!(
            moves,
            [(None, Some("v1")), (Some("v1"), Some("v2")), (Some("v2"), Some("v3")), (Some("v3"), Some("v2"))]
        );
        assert!(h.entries[2].command.starts_with("unknown"));
    }

    #[test]
    fn rollback_without_history_says_why() {
        let (_dir, reg) = registry_with(2);
        let err = reg.rollback("leads", "rollback").unwrap_err();
        assert!(matches!(err, Error::NoPrevious { .. }), "{err}");
        assert!(err.to_string().contains("no earlier version to roll back to"), "{err}");
    }

    #[test]
    fn a_mistyped_model_is_an_error_and_never_a_new_folder() {
        let (dir, reg) = registry_with(2);
        for err in [
            reg.promote("lead", "v2", true, "promote").unwrap_err(),
            reg.rollback("lead", "rollback").unwrap_err(),
            reg.set_challenger("lead", "v2", "challenger set").unwrap_err(),
            reg.clear_challenger("lead", "challenger clear").unwrap_err(),
        ] {
            assert!(matches!(err, Error::UnknownModel { .. }), "{err}");
            assert!(
                err.to_string().contains("no model `lead`") && err.to_string().contains("(it has: leads)"),
                "{err}"
            );
        }
        assert!(!dir.path().join("lead").exists());
        let err = reg.promote("leads", "v9", true, "promote").unwrap_err();
        assert!(matches!(err, Error::UnknownVersion { .. }), "{err}");
        assert!(err.to_string().contains("(it has: v1, v2)"), "{err}");
    }

    #[test]
    fn challenger_set_and_clear() {
        let (_dir, reg) = registry_with(2);
        assert_eq!(reg.challenger("leads").unwrap(), None);
        reg.set_challenger("leads", "v2", "challenger set").unwrap();
        assert_eq!(reg.challenger("leads").unwrap().as_deref(), Some("v2"));
        assert!(reg.set_challenger("leads", "v7", "challenger set").is_err());
        assert!(reg.clear_challenger("leads", "challenger clear").unwrap().is_some());
        assert_eq!(reg.challenger("leads").unwrap(), None);
        assert!(reg.clear_challenger("leads", "challenger clear").unwrap().is_none());
        let h = reg.history("leads").unwrap();
        assert_eq!(h.entries.iter().filter(|e| e.alias == Alias::Challenger).count(), 2);
        // A corrupt model never becomes an alias.
        std::fs::write(reg.root().join("leads/v2/model.bin"), &model_bytes(0)[..40]).unwrap();
        assert!(reg.set_challenger("leads", "v2", "challenger set").is_err());
    }
}
