//! The next training set, from the log: every lead with an outcome, its inputs as they were when
//! it was scored, joined with the outcome.
//!
//! **Point in time.** A lead's row is its last scoring at or before the outcome's cutoff (the
//! end of its `closed_at` day, or when the outcome arrived; see [`crate::monitor::judged_rows`]):
//! a value the CRM filled in after the deal closed was never logged for that scoring, so it cannot
//! leak into the export. Nothing is filled in: a value missing when scored is an empty cell.
//!
//! **Columns**: the spec's id columns (the first one holds the logged lead id), its time column
//! (the day the lead was scored, in UTC, unless the time column is itself a logged feature), every
//! feature of the spec, and the target with the spec's first positive and negative labels, so that
//! `leadscore train --data train.csv --spec <the model's spec>` reads it as it is.

use std::io::Write;
use std::path::Path;

use leadscore_core::value::format_day;
use leadscore_core::Spec;
use serde::{Deserialize, Serialize};

use crate::{Error, LoggedRow, Result};

/// What an export wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportSummary {
    /// Leads written.
    pub rows: u64,
    /// Won among them.
    pub won: u64,
    /// Leads with an outcome whose scoring logged no fields (`--log-fields none`): not written.
    pub without_fields: u64,
    /// Leads with an outcome but no scoring before it (scored only after it closed): not written.
    pub scored_after_outcome: u64,
}

/// The label written for a won or lost lead: the spec's first positive or negative label (with no
/// negative label declared, any other value is a loss; `lost` is used unless it is positive).
fn labels(spec: &Spec) -> (String, String) {
    let won = spec.target.positive.first().cloned().unwrap_or_else(|| "won".into());
    let lost = spec.target.negative.first().cloned().unwrap_or_else(|| {
        if spec.target.positive.iter().any(|p| p.eq_ignore_ascii_case("lost")) {
            "not won".into()
        } else {
            "lost".into()
        }
    });
    (won, lost)
}

/// Writes the training CSV of `rows` (one model's scorings, any versions) for `spec` to `out`.
pub fn export_training(spec: &Spec, rows: &[LoggedRow], out: impl Write) -> Result<ExportSummary> {
    let judged = crate::monitor::judged_rows(rows);
    let mut summary = ExportSummary::default();
    let with_outcome: std::collections::BTreeSet<&str> =
        rows.iter().filter(|r| r.outcome.is_some()).map(|r| r.prediction.lead_id.as_str()).collect();
    summary.scored_after_outcome = with_outcome.iter().filter(|id| !judged.contains_key(*id)).count() as u64;
    // In the order the leads were scored, so the file (and a model trained on it) is reproducible.
    let mut chosen: Vec<usize> = judged.into_values().collect();
    chosen.sort_by_key(|&i| (rows[i].prediction.scored_at_ms, rows[i].row_id));

    let (won_label, lost_label) = labels(spec);
    let time_is_feature = spec.time_column.as_ref().is_some_and(|t| spec.features.contains_key(t));
    let mut header: Vec<&str> = spec.ids.iter().map(String::as_str).collect();
    if let Some(t) = spec.time_column.as_deref().filter(|_| !time_is_feature) {
        header.push(t);
    }
    header.extend(spec.features.keys().map(String::as_str));
    header.push(&spec.target.column);
    let mut writer = csv::Writer::from_writer(out);
    let csv_err = |e: csv::Error| Error::Io { path: "export".into(), error: std::io::Error::other(e.to_string()) };
    writer.write_record(&header).map_err(csv_err)?;
    for i in chosen {
        let row = &rows[i];
        let Some(fields) = &row.prediction.fields else {
            summary.without_fields += 1;
            continue;
        };
        let scored_day = format_day(leadscore_core::monitor::daily::day_of_unix_ms(row.prediction.scored_at_ms));
        let mut record: Vec<String> = Vec::with_capacity(header.len());
        for (k, _) in spec.ids.iter().enumerate() {
            record.push(if k == 0 { row.prediction.lead_id.clone() } else { String::new() });
        }
        if spec.time_column.is_some() && !time_is_feature {
            record.push(scored_day.clone());
        }
        for name in spec.features.keys() {
            let value = fields.get(name);
            let mut cell = value.cell();
            if time_is_feature && spec.time_column.as_deref() == Some(name.as_str()) && cell.is_empty() {
                cell = scored_day.clone();
            }
            record.push(cell);
        }
        let won = row.outcome.as_ref().is_some_and(|o| o.won);
        record.push(if won { won_label.clone() } else { lost_label.clone() });
        writer.write_record(&record).map_err(csv_err)?;
        summary.rows += 1;
        summary.won += u64::from(won);
    }
    writer.flush().map_err(|error| Error::Io { path: "export".into(), error })?;
    Ok(summary)
}

/// [`export_training`] into the file at `path`, written to a temporary name and renamed, so a
/// failed export leaves no half-written file.
pub fn export_training_file(spec: &Spec, rows: &[LoggedRow], path: &Path) -> Result<ExportSummary> {
    let io = |error| Error::Io { path: path.to_owned(), error };
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map_or_else(|| "export".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let file = std::fs::File::create(&tmp).map_err(io)?;
    let result = export_training(spec, rows, std::io::BufWriter::new(file));
    match result {
        Ok(summary) => {
            std::fs::rename(&tmp, path).map_err(io)?;
            Ok(summary)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}
