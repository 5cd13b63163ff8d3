//! Outcomes from a CRM export: `leadscore outcomes import --data closed.csv --id lead_id
//! --target outcome`, read by the training reader (`leadscore-io::csv_source`), so a file refused
//! here is refused with the same line and column as by `train`, and the outcome is read with the
//! model's own target labels.

use std::path::Path;

use leadscore_core::spec::TargetSpec;
use leadscore_io::csv_source::{CsvFile, NoProgress};

use crate::row::Outcome;
use crate::{Error, Result};

/// The columns to read.
#[derive(Clone, Debug)]
pub struct OutcomeColumns {
    /// The lead id column.
    pub id: String,
    /// The outcome column, read with `target`'s labels (`target.column` is ignored).
    pub target: TargetSpec,
    /// The closing date column, when the file has one.
    pub closed_at: Option<String>,
}

/// Every outcome of the file, in file order; the first bad row stops the read with its line.
pub fn read_outcomes(path: &Path, columns: &OutcomeColumns) -> Result<Vec<Outcome>> {
    let mut file = CsvFile::open(path)?;
    let mut roles =
        vec![(columns.id.clone(), "the lead id".to_owned()), (columns.target.column.clone(), "the outcome".to_owned())];
    if let Some(c) = &columns.closed_at {
        roles.push((c.clone(), "the closing date".to_owned()));
    }
    let positions = file.positions(&roles)?;
    let mut out = Vec::new();
    let at = |line: u64, field: &str, reason: String| Error::Invalid {
        field: format!("{}: line {line}: column `{field}`", path.display()),
        reason,
    };
    file.for_each_row(&positions, &NoProgress, |line, cells| {
        let won = columns
            .target
            .label(cells[1])
            .map_err(|e| leadscore_io::Error::Data { path: path.to_owned(), error: e.at_line(line) })?;
        out.push((line, cells[0].to_owned(), won, cells.get(2).map(|c| (*c).to_owned())));
        Ok(())
    })?;
    if out.is_empty() {
        return Err(leadscore_io::Error::NoRows { path: path.to_owned() }.into());
    }
    out.into_iter()
        .map(|(line, id, won, closed)| {
            Outcome::new(id.trim(), won, closed.as_deref()).map_err(|e| match e {
                Error::Invalid { field, reason } => {
                    let column =
                        if field == "id" { columns.id.as_str() } else { columns.closed_at.as_deref().unwrap_or("") };
                    at(line, column, reason)
                }
                other => other,
            })
        })
        .collect()
}
