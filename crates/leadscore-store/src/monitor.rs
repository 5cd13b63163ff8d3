//! The monitor's report of one model version from the log: the rows a [`crate::Store::rows`]
//! query returned, turned into the slices `leadscore_core::monitor::report` reads.
//!
//! **Which outcome counts for which scoring.** A lead may be scored many times (re-scored as it
//! changes). Every scoring counts for traffic and drift; for the figures on outcomes each lead
//! counts once, with its *last scoring at or before the outcome's cutoff* (the end of its
//! `closed_at` day, or when the outcome arrived): what the model said before it knew.
//!
//! [`rules_beside`] holds the model against marketing's rules on the same judged leads, for the
//! rows that were scored with `--rules` (`/v1/monitor`, the dashboard and `leadscore monitor`).

use std::collections::BTreeMap;

use leadscore_core::monitor::{self, daily::day_of_unix_ms, LoggedLeads, MonitorReport};
use leadscore_core::monitor::{compare_paired, PairedComparison, Resamples, Scores};
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

/// The model (`a`) against the rules (`b`) on the rows with an outcome and rule points, each lead
/// judged on its last scoring before its outcome (as the report's figures): AUC, lift in the top
/// 10%, precision and recall at each one's MQL threshold, each difference `b - a` with its paired
/// bootstrap interval. `None` when no such lead. Points are not probabilities, so the rules'
/// log loss and Brier are `None`.
pub fn rules_beside(rows: &[LoggedRow], replicates: u32, seed: u64) -> Result<Option<PairedComparison>> {
    let mut labels = Vec::new();
    let (mut model, mut points, mut mql) = (Vec::new(), Vec::new(), Vec::new());
    let mut threshold_a = 0.5;
    for (_, i) in judged_rows(rows) {
        let row = &rows[i];
        let (Some(outcome), Some(p), Some(m)) = (&row.outcome, row.prediction.rule_points, row.prediction.rule_mql)
        else {
            continue;
        };
        labels.push(outcome.won);
        threshold_a = row.prediction.threshold;
        model.push(row.prediction.probability);
        points.push(p);
        mql.push(m);
    }
    if labels.is_empty() {
        return Ok(None);
    }
    // Points onto (0, 1) by an increasing map (ranks, hence AUC and lift, unchanged), and the
    // rules' threshold as the lowest mapped MQL: the MQL flags are the rules' own.
    let scale = points.iter().fold(1.0_f64, |m, p| m.max(p.abs()));
    let mapped: Vec<f64> = points.iter().map(|p| 1.0 / (1.0 + (-p / scale).exp())).collect();
    let threshold_b = mapped.iter().zip(&mql).filter(|(_, m)| **m).map(|(p, _)| *p).fold(1.0_f64, f64::min);
    let resamples = Resamples::drawn(labels.len(), replicates, seed);
    let mut paired = compare_paired(
        &labels,
        Scores { probs: &model, threshold: threshold_a },
        Scores { probs: &mapped, threshold: threshold_b },
        &resamples,
    )?;
    for figure in [&mut paired.log_loss, &mut paired.brier] {
        figure.b = None;
        figure.difference = None;
        figure.interval = None;
    }
    Ok(Some(paired))
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
            .features
            .iter()
            .map(|f| {
                let values = rows
                    .iter()
                    .map(|r| r.prediction.fields.as_ref().map_or(&missing, |fs| fs.get(&f.name)).raw())
                    .collect();
                (f.name.as_str(), values)
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
