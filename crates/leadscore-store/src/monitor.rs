//! The monitor's report of one model version from the log: the rows a [`crate::Store::rows`]
//! query returned, turned into the slices `leadscore_core::monitor::report` reads.
//!
//! **Which outcome counts for which scoring.** A lead may be scored many times (re-scored as it
//! changes). Every scoring counts for traffic and drift; for the figures on outcomes each lead
//! counts once, with its *last scoring at or before the outcome's cutoff* (the end of its
//! `closed_at` day, or when the outcome arrived): what the model said before it knew.

use std::collections::BTreeMap;

use leadscore_core::monitor::{self, daily::day_of_unix_ms, LoggedLeads, MonitorReport};
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::row::{FieldValue, LoggedRow};
use crate::Result;

/// For each lead with an outcome, the index (into `rows`) of the scoring its outcome is judged on:
/// its last scoring at or before the outcome's cutoff.
pub fn judged_rows(rows: &[LoggedRow]) -> BTreeMap<&str, usize> {
    let mut judged: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        let Some(outcome) = &row.outcome else { continue };
        if row.prediction.scored_at_ms > outcome.cutoff_ms() {
            continue;
        }
        let entry = judged.entry(row.prediction.lead_id.as_str()).or_insert(i);
        let current = &rows[*entry].prediction;
        if (row.prediction.scored_at_ms, row.row_id) >= (current.scored_at_ms, rows[*entry].row_id) {
            *entry = i;
        }
    }
    judged
}

/// The monitor's report of `artifact` over `rows` (one model version's scorings), with
/// `replicates` bootstrap resamples seeded by `seed`.
///
/// Feature drift reads the logged fields; when no row has fields (`--log-fields none`) the report
/// has none per feature, and rows without fields among rows with them read as missing.
pub fn report(artifact: &Artifact, rows: &[LoggedRow], replicates: u32, seed: u64) -> Result<MonitorReport> {
    let probs: Vec<f64> = rows.iter().map(|r| r.prediction.probability).collect();
    let tiers: Vec<&str> = rows.iter().map(|r| r.prediction.tier.as_str()).collect();
    let mql: Vec<bool> = rows.iter().map(|r| r.prediction.mql).collect();
    let thresholds: Vec<f64> = rows.iter().map(|r| r.prediction.threshold).collect();
    let days: Vec<i32> = rows.iter().map(|r| day_of_unix_ms(r.prediction.scored_at_ms)).collect();
    let mut outcomes: Vec<Option<bool>> = vec![None; rows.len()];
    for (_, i) in judged_rows(rows) {
        outcomes[i] = rows[i].outcome.as_ref().map(|o| o.won);
    }
    let any_fields = rows.iter().any(|r| r.prediction.fields.is_some());
    let missing = FieldValue::Missing;
    let fields: Vec<(&str, Vec<RawValue<'_>>)> = if any_fields {
        artifact
            .encoder
            .inputs()
            .into_iter()
            .map(|name| {
                let values = rows
                    .iter()
                    .map(|r| r.prediction.fields.as_ref().map_or(&missing, |fs| fs.get(name)).raw())
                    .collect();
                (name, values)
            })
            .collect()
    } else {
        Vec::new()
    };
    let leads = LoggedLeads {
        probs: &probs,
        tiers: &tiers,
        mql: &mql,
        thresholds: &thresholds,
        days: &days,
        outcomes: &outcomes,
        fields: &fields,
    };
    Ok(monitor::report(artifact, &leads, replicates, seed)?)
}
