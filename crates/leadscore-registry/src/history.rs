//! The history of a model's aliases: an append-only file (`HISTORY.jsonl`, one JSON object per
//! line) in the model folder, recording every change of `CURRENT` and `CHALLENGER`: when, from
//! which version to which, by which command, and the gate's figures and verdict when a gate ran.
//!
//! Appending is one `write` of a whole line followed by a sync. A process killed in the middle
//! can leave at worst a torn last line: reading skips it (and says so), and the next append
//! starts on a fresh line. `CURRENT` is changed before its line is written; a change whose line
//! is missing (the process died in between) is recorded by the next change under the lock, so
//! the history always ends at the version `CURRENT` names.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use leadscore_core::monitor::PairedComparison;

use crate::{Error, Registry, Result};

/// The history file in a model folder.
pub const HISTORY_FILE: &str = "HISTORY.jsonl";

/// Which alias a history entry moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Alias {
    /// The version that serves (`CURRENT`).
    #[serde(rename = "CURRENT")]
    Current,
    /// The version shadowed beside it (`CHALLENGER`).
    #[serde(rename = "CHALLENGER")]
    Challenger,
}

impl Alias {
    /// The alias's file name in the model folder.
    pub fn file(self) -> &'static str {
        match self {
            Alias::Current => crate::CURRENT_FILE,
            Alias::Challenger => crate::CHALLENGER_FILE,
        }
    }
}

/// The gate's part of a change: its figures and what it said.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateEntry {
    /// The version the candidate was compared with.
    pub against: String,
    /// Whether the gate passed it.
    pub passed: bool,
    /// Whether it was promoted past a refusal (`--force`, `--promote always`).
    pub forced: bool,
    /// The gate's sentence, with the figures.
    pub sentence: String,
    /// The paired figures (A = `against`, B = the candidate).
    pub comparison: PairedComparison,
    /// Whether `against` had been current for longer than the policy's
    /// `max_current_age_days`, so the gate accepted a candidate within 95% of it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

impl GateEntry {
    /// The history's part of the gate's `record`, promoted past a refusal when `forced`.
    pub fn of(record: &leadscore_core::promotion::GateRecord, forced: bool) -> Self {
        GateEntry {
            against: record.against.clone(),
            passed: record.verdict.passed,
            forced,
            sentence: record.verdict.sentence.clone(),
            comparison: record.comparison.clone(),
            stale: record.verdict.stale,
        }
    }
}

/// One change of an alias.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When, in UTC (RFC 3339).
    pub at: String,
    /// Which alias moved.
    pub alias: Alias,
    /// The version it named before (`None`: it did not exist).
    pub from: Option<String>,
    /// The version it names now (`None`: cleared).
    pub to: Option<String>,
    /// What made the change, e.g. `train`, `retrain`, `promote --force`, `rollback`, `admin promote`.
    pub command: String,
    /// The gate's figures and verdict, when a gate judged the new version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<GateEntry>,
    /// Whether the gate refused the version and it was kept without becoming current (the alias
    /// did not move: `from` and `to` are the same).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub refused: bool,
    /// The candidate a refused entry is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub candidate: Option<String>,
}

impl HistoryEntry {
    /// A change of `alias` made now by the system clock.
    pub fn now(alias: Alias, from: Option<String>, to: Option<String>, command: &str) -> Self {
        Self::at(chrono::Utc::now(), alias, from, to, command)
    }

    /// A change of `alias` made at `at`.
    pub fn at(
        at: chrono::DateTime<chrono::Utc>,
        alias: Alias,
        from: Option<String>,
        to: Option<String>,
        command: &str,
    ) -> Self {
        HistoryEntry {
            at: at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            alias,
            from,
            to,
            command: command.to_owned(),
            gate: None,
            refused: false,
            candidate: None,
        }
    }
}

/// A model's history as read back.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Every readable entry, oldest first.
    pub entries: Vec<HistoryEntry>,
    /// Lines that could not be read (a torn last line after a crash), with their line numbers.
    pub skipped: Vec<(u64, String)>,
}

impl History {
    /// The latest entry that moved `CURRENT` (refusals left out).
    pub fn last_current_change(&self) -> Option<&HistoryEntry> {
        self.entries.iter().rev().find(|e| e.alias == Alias::Current && !e.refused)
    }
}

/// Reads a history file; a missing file is an empty history.
pub fn read_history(path: &Path) -> Result<History> {
    let text = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(History::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut history = History::default();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<HistoryEntry>(line) {
            Ok(entry) => history.entries.push(entry),
            Err(e) => history.skipped.push((i as u64 + 1, e.to_string())),
        }
    }
    Ok(history)
}

/// Appends one entry as one line, starting a fresh line after a torn one.
pub(crate) fn append(path: &Path, entry: &HistoryEntry) -> Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(|e| Error::Registry {
        path: path.to_owned(),
        message: format!("cannot write a history entry: {e}"),
    })?;
    line.push(b'\n');
    (|| {
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let len = file.metadata()?.len();
        if len > 0 {
            let mut last = [0u8; 1];
            file.seek(SeekFrom::Start(len - 1))?;
            file.read_exact(&mut last)?;
            if last[0] != b'\n' {
                line.insert(0, b'\n');
            }
        }
        file.write_all(&line)?;
        file.sync_data()
    })()
    .map_err(|e| Error::io(path, e))
}

impl Registry {
    /// The history of `name`.
    pub fn history(&self, name: &str) -> Result<History> {
        self.check_name(name)?;
        read_history(&self.root().join(name).join(HISTORY_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_skipped_and_the_next_append_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(HISTORY_FILE);
        let entry = HistoryEntry::now(Alias::Current, None, Some("v1".into()), "train");
        append(&path, &entry).unwrap();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"at":"2026-01-01T00:00:00.000Z","alias":"CUR"#).unwrap();
        drop(f);
        let torn = read_history(&path).unwrap();
        assert_eq!(torn.entries, std::slice::from_ref(&entry));
        assert_eq!(torn.skipped.len(), 1);
        assert_eq!(torn.skipped[0].0, 2);
        let next = HistoryEntry::now(Alias::Current, Some("v1".into()), Some("v2".into()), "promote");
        append(&path, &next).unwrap();
        let h = read_history(&path).unwrap();
        assert_eq!(h.entries, [entry, next]);
        assert_eq!(h.skipped.len(), 1);
        assert_eq!(read_history(&dir.path().join("none")).unwrap(), History::default());
    }
}
