//! The promotion gate at training time: the candidate just trained against the version current
//! now, on the same leads, then published as a candidate and made current only if the gate (the
//! one decision in `leadscore-core::promotion`) passes it or the caller insists.
//!
//! Which leads: the newest closed deals the current model never trained on. With a time column,
//! those are the candidate's held-out leads dated after the current model's last training day
//! (held out from the candidate too, so neither model saw them). When there are too few of them
//! for the gate (or no time column), the comparison falls back to all of the candidate's
//! held-out leads and says how many of them the current model may have trained on: that many
//! favour it, which a reader must know.
//!
//! The current model scores those leads from their raw cells, read through its own spec, kept
//! during the single pass that read the training data ([`KeptCells`]): a database query is not
//! run twice, and a changed spec (features added or dropped) compares fairly.

use leadscore_core::monitor::{compare_paired, PairedComparison, Resamples, Scores};
use leadscore_core::promotion::{decide, input_changes, roc_points, Evidence, GateRecord, InputChanges, Policy, Rocs};
use leadscore_core::report::Holdout;
use leadscore_core::score::Scorer;
use leadscore_core::table::Table;
use leadscore_core::value::{parse_day, RawValue};
use leadscore_core::Artifact;
use leadscore_registry::{Alias, GateEntry, Published, Registry};

use crate::compare_csv::holdout_rows;
use crate::evaluate::default_replicates;
use crate::pipeline::TrainDetails;
use crate::Result;

/// Points of each ROC curve stored for the report.
const ROC_POINTS: usize = 200;

/// What to do with a trained candidate (`--promote`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromoteMode {
    /// Promote if the gate passes it (the default).
    Auto,
    /// Promote whatever the gate says (the verdict is still recorded).
    Always,
    /// Keep it as a version, never make it current.
    Never,
}

/// The raw cells of some columns for every row of the training data, in row order: what the
/// current model reads, kept compactly (one string, one length per cell).
#[derive(Clone, Debug, Default)]
pub struct KeptCells {
    n_columns: usize,
    text: String,
    lens: Vec<u32>,
    row_starts: Vec<usize>,
}

impl KeptCells {
    /// Cells of `n_columns` columns per row.
    pub fn new(n_columns: usize) -> Self {
        KeptCells { n_columns, ..KeptCells::default() }
    }

    /// Appends one row's cells.
    pub fn push(&mut self, cells: &[&str]) {
        self.row_starts.push(self.text.len());
        for c in cells.iter().take(self.n_columns) {
            self.text.push_str(c);
            // A CSV line is far below 4 GiB (the reader's line limit).
            self.lens.push(u32::try_from(c.len()).unwrap_or(u32::MAX));
        }
    }

    /// Rows kept.
    pub fn n_rows(&self) -> usize {
        self.row_starts.len()
    }

    /// The cells of row `r`.
    pub fn row(&self, r: usize) -> Vec<&str> {
        let mut at = self.row_starts.get(r).copied().unwrap_or(self.text.len());
        let lens = self.lens.get(r * self.n_columns..(r + 1) * self.n_columns).unwrap_or(&[]);
        lens.iter()
            .map(|&len| {
                let end = (at + len as usize).min(self.text.len());
                let cell = self.text.get(at..end).unwrap_or("");
                at = end;
                cell
            })
            .collect()
    }
}

/// The current model's features, split into the ones the data has (to keep) and the ones it
/// lacks (the current model reads them as missing).
pub fn columns_to_keep(current: &Artifact, header: &[String]) -> (Vec<String>, Vec<String>) {
    current.encoder.features.iter().map(|f| f.name.clone()).partition(|name| header.contains(name))
}

/// The candidate against the current version, before the gate's verdict (which names the
/// candidate's version, known only when it is published).
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    /// The leads compared, said plainly.
    pub evidence: Evidence,
    /// A = current, B = candidate.
    pub comparison: PairedComparison,
    /// What changed in the inputs.
    pub inputs: InputChanges,
    /// Both ROC curves.
    pub roc: Rocs,
}

impl Compared {
    /// The gate's record for the candidate published as `candidate` against `against`, which
    /// has been current for `current_age_days` (`None`: unknown; the stale-version rule).
    pub fn record(&self, policy: &Policy, against: &str, candidate: &str, current_age_days: Option<f64>) -> GateRecord {
        GateRecord {
            candidate: candidate.to_owned(),
            against: against.to_owned(),
            policy: policy.clone(),
            evidence: self.evidence.clone(),
            comparison: self.comparison.clone(),
            inputs: self.inputs.clone(),
            verdict: decide(policy, &self.comparison, against, candidate, current_age_days),
            roc: self.roc.clone(),
        }
    }
}

/// The current model's seen rows among `rows`, and how to say it.
fn exposure(current: &Artifact, candidate: &Artifact, table: &Table, rows: &[usize]) -> (Option<u64>, String) {
    let t = &current.training;
    if let (Some(days), Some((_, last))) = (&table.time, &t.date_range) {
        // Trained on leads before its own held-out ones (newest by date), else up to its last day.
        let trained_before = match &t.holdout {
            Holdout::Newest { from, .. } => parse_day(from),
            Holdout::Stratified { .. } => parse_day(last).map(|d| d + 1),
        };
        if let Some(cut) = trained_before {
            let seen = rows.iter().filter(|&&r| days[r] < cut).count() as u64;
            return (
                Some(seen),
                format!(
                    "{seen} of them are dated before {}, within the leads the current model trained on, which favours it",
                    leadscore_core::value::format_day(cut)
                ),
            );
        }
    }
    if t.data_hash == candidate.training.data_hash {
        if let Ok(held) = holdout_rows(current, table) {
            let seen = rows.iter().filter(|r| held.binary_search(r).is_err()).count() as u64;
            return (
                Some(seen),
                format!("the same data trained the current model; {seen} of them were in its training rows"),
            );
        }
    }
    (
        None,
        format!(
            "the current model was trained on other data ({} leads, data hash {}), so how many of them it saw cannot be known",
            t.n_rows,
            t.data_hash.get(..12).unwrap_or(&t.data_hash)
        ),
    )
}

/// Compares `candidate` (trained on `table`, `details` from its run) with `current` on the same
/// leads; `kept` holds the columns `columns_to_keep(current, ..).0` for every row of `table`,
/// `absent` the current model's features the data lacks.
pub fn compare_with_current(
    current: &Artifact,
    candidate: &Artifact,
    details: &TrainDetails,
    table: &Table,
    kept: &KeptCells,
    absent: &[String],
    policy: &Policy,
) -> Result<Compared> {
    let holdout = &details.holdout_rows;
    let present: Vec<&str> =
        current.encoder.features.iter().map(|f| f.name.as_str()).filter(|n| !absent.iter().any(|a| a == n)).collect();
    // Positions of the held-out rows dated after the current model's last training day.
    let after: Option<(Vec<usize>, String)> = match (&table.time, &current.training.date_range) {
        (Some(days), Some((_, last))) => parse_day(last).map(|last_day| {
            let positions: Vec<usize> = (0..holdout.len()).filter(|&i| days[holdout[i]] > last_day).collect();
            (positions, last.clone())
        }),
        _ => None,
    };
    let enough = |positions: &[usize]| {
        let won = positions.iter().filter(|&&i| details.holdout_labels[i]).count() as u64;
        positions.len() as u64 >= policy.min_leads && won >= policy.min_won && won < positions.len() as u64
    };
    let (positions, evidence_text, seen) = match after {
        Some((positions, last)) if enough(&positions) => {
            let n = positions.len();
            let text = format!(
                "the {n} newest closed deals, dated after {last} (the current model's last training day) and held out from the candidate's training"
            );
            (positions, text, Some(0))
        }
        other => {
            let all: Vec<usize> = (0..holdout.len()).collect();
            let rows: Vec<usize> = holdout.clone();
            let (seen, said) = exposure(current, candidate, table, &rows);
            let why = match other {
                Some((p, last)) => match p.len() {
                    0 => format!(" (none is dated after {last}, the current model's last training day)"),
                    n => format!(" (only {n} are dated after {last}, the current model's last training day, too few to judge on)"),
                },
                None => String::new(),
            };
            let text = format!("the candidate's {} held-out leads{why}; {said}", rows.len());
            (all, text, seen)
        }
    };
    let mut evidence_text = evidence_text;
    if !absent.is_empty() {
        evidence_text.push_str(&format!(
            "; the data has no column {} that the current model reads, so it scored them as missing",
            absent.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    let labels: Vec<bool> = positions.iter().map(|&i| details.holdout_labels[i]).collect();
    let candidate_probs: Vec<f64> = positions.iter().map(|&i| details.holdout_probs[i]).collect();
    let mut scorer = Scorer::new(current);
    let features = &current.encoder.features;
    let index: Vec<Option<usize>> = features.iter().map(|f| present.iter().position(|p| *p == f.name)).collect();
    let mut current_probs = Vec::with_capacity(positions.len());
    for &i in &positions {
        let row = holdout[i];
        let cells = kept.row(row);
        let scored = scorer
            .score_indexed(|f| index[f].and_then(|k| cells.get(k)).map_or(RawValue::Missing, |c| RawValue::Text(c)), 0)
            .map_err(|e| crate::Error::Params {
                name: "data",
                reason: format!("data row {}: the current model cannot read it: {e}", row + 1),
            })?;
        current_probs.push(scored.probability);
    }
    let threshold = |a: &Artifact| leadscore_core::threshold::default(a).threshold;
    let replicates = default_replicates(labels.len());
    let resamples = Resamples::drawn(labels.len(), replicates, candidate.training.seed);
    let comparison = compare_paired(
        &labels,
        Scores { probs: &current_probs, threshold: threshold(current) },
        Scores { probs: &candidate_probs, threshold: threshold(candidate) },
        &resamples,
    )?;
    Ok(Compared {
        evidence: Evidence { leads: evidence_text, n_leads: labels.len() as u64, seen_by_current: seen },
        comparison,
        inputs: input_changes(current, candidate),
        roc: Rocs {
            current: roc_points(&current_probs, &labels, ROC_POINTS),
            candidate: roc_points(&candidate_probs, &labels, ROC_POINTS),
        },
    })
}

/// What [`publish_gated`] did.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The version written (or reused).
    pub published: Published,
    /// The version current before.
    pub previous: Option<String>,
    /// The gate's record, when there was a current version to compare with.
    pub record: Option<GateRecord>,
    /// Whether the candidate is current now.
    pub promoted: bool,
    /// One sentence on what happened.
    pub sentence: String,
}

/// Publishes `model` as a version of `name`, then moves `CURRENT` to it as `mode` and the gate
/// say: the first version of a model becomes current; a later one only if the gate passed it
/// against the version it was compared with (`compared`, against `against`), which must still
/// be current (a promotion meanwhile leaves the candidate unjudged against the new current).
/// `files(version, record)` builds the card and the report. Every change is recorded in the
/// history under the model's lock.
///
/// The gate judges at the registry's clock: `against`'s age, for the stale-version rule, is
/// counted from the history entry that first made it current ([`Registry::current_age_days`]).
/// A version identical to one already registered keeps its stored comparison, judged again
/// under `policy` at that age.
#[allow(clippy::too_many_arguments)]
pub fn publish_gated(
    registry: &Registry,
    name: &str,
    model: &[u8],
    compared: Option<(&str, &Compared)>,
    policy: &Policy,
    mode: PromoteMode,
    command: &str,
    files: impl Fn(&str, Option<&GateRecord>) -> (Vec<u8>, Vec<u8>),
) -> Result<Outcome> {
    let age = match compared {
        Some((against, _)) => registry.current_age_days(name, against)?,
        None => None,
    };
    let record_for = |version: &str| compared.map(|(against, c)| c.record(policy, against, version, age));
    let published = registry.publish_candidate(name, model, |version| files(version, record_for(version).as_ref()))?;
    let version = published.version.clone();
    let stored = if published.reused { registry.gate_record(name, &version)? } else { None };
    let record = match stored {
        Some(stored) => {
            let age = registry.current_age_days(name, &stored.against)?;
            Some(stored.judged_again(policy.clone(), age))
        }
        _ => record_for(&version),
    };
    let lock = registry.lock(name, command)?;
    let current = registry.alias(name, Alias::Current)?;
    let done = |promoted: bool, sentence: String, record: Option<GateRecord>| Outcome {
        published: published.clone(),
        previous: current.clone(),
        record,
        promoted,
        sentence,
    };
    let Some(current_version) = current.clone() else {
        registry.move_alias(&lock, Alias::Current, Some(&version), command, None)?;
        return Ok(done(true, format!("{version} is the first version of `{name}` and now serves."), None));
    };
    if current_version == version {
        return Ok(done(true, format!("{version} is identical to the current version; nothing changed."), record));
    }
    let Some(record) = record.filter(|r| r.against == current_version) else {
        let sentence = format!(
            "{version} was kept but not promoted: the current version changed to {current_version} while it trained, so the gate did not judge it against the version it would replace; `leadscore promote --model {name} --version {version}` decides."
        );
        return Ok(done(false, sentence, None));
    };
    let entry = |forced: bool| GateEntry::of(&record, forced);
    match mode {
        PromoteMode::Never => {
            registry.record_refusal(&lock, &version, &format!("{command} --promote never"), entry(false))?;
            let sentence =
                format!("{version} was kept but not promoted (--promote never). {}", record.verdict.sentence);
            Ok(done(false, sentence, Some(record)))
        }
        PromoteMode::Always | PromoteMode::Auto if record.verdict.passed => {
            registry.move_alias(&lock, Alias::Current, Some(&version), command, Some(entry(false)))?;
            let sentence = format!("{} {version} now serves.", record.verdict.sentence);
            Ok(done(true, sentence, Some(record)))
        }
        PromoteMode::Always => {
            let command = format!("{command} --promote always");
            registry.move_alias(&lock, Alias::Current, Some(&version), &command, Some(entry(true)))?;
            let sentence =
                format!("{} It was promoted anyway (--promote always): {version} now serves.", record.verdict.sentence);
            Ok(done(true, sentence, Some(record)))
        }
        PromoteMode::Auto => {
            registry.record_refusal(&lock, &version, command, entry(false))?;
            let sentence = format!(
                "{} It is kept as {version}; `leadscore promote --model {name} --version {version} --force` promotes it anyway.",
                record.verdict.sentence
            );
            Ok(done(false, sentence, Some(record)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_cells_round_trip() {
        let mut k = KeptCells::new(2);
        k.push(&["a", ""]);
        k.push(&["é,x", "42"]);
        assert_eq!((k.n_rows(), k.row(0), k.row(1)), (2, vec!["a", ""], vec!["é,x", "42"]));
        assert!(k.row(5).is_empty());
    }
}
