//! Batch scoring: CSV in, CSV out, one row at a time.
//!
//! Streaming, so a file larger than memory scores in constant memory. Each
//! output row carries the lead's id columns, probability, 1-99 score, tier,
//! MQL flag at the chosen threshold, the top contributing factors and notes.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;

use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::csv_source::{CsvFile, Progress};
use crate::{Error, Result};

/// How to score.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// MQL if probability >= this.
    pub threshold: f64,
    /// Number of factor columns.
    pub explain: usize,
}

/// Totals of a scoring run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreSummary {
    /// Leads scored.
    pub n_rows: u64,
    /// Leads at or above the threshold.
    pub n_mql: u64,
}

/// Scores every row of `input` and writes CSV to `out`.
pub fn score_csv(
    artifact: &Artifact,
    input: &Path,
    out: impl Write,
    options: &ScoreOptions,
    progress: &dyn Progress,
) -> Result<ScoreSummary> {
    let mut file = CsvFile::open(input)?;
    let header = file.header().to_vec();
    let features: Vec<(String, String)> =
        artifact.encoder.features.iter().map(|f| (f.name.clone(), "a feature of the model".into())).collect();
    let feature_pos = file.positions(&features)?;
    let ids: Vec<usize> = artifact.spec.ids.iter().filter_map(|id| header.iter().position(|h| h == id)).collect();
    let mut positions = ids.clone();
    positions.extend(&feature_pos);
    let index: HashMap<&str, usize> =
        features.iter().enumerate().map(|(i, (name, _))| (name.as_str(), ids.len() + i)).collect();

    let mut writer = csv::Writer::from_writer(out);
    let mut head: Vec<String> =
        if ids.is_empty() { vec!["line".into()] } else { ids.iter().map(|&i| header[i].clone()).collect() };
    head.extend(["probability", "score", "tier", "mql"].map(String::from));
    head.extend((1..=options.explain).map(|k| format!("factor_{k}")));
    head.push("notes".into());
    let path = input.to_owned();
    let write_err =
        |e: csv::Error| Error::Csv { path: Path::new("<output>").to_owned(), line: 0, message: e.to_string() };
    writer.write_record(&head).map_err(write_err)?;
    let mut summary = ScoreSummary { n_rows: 0, n_mql: 0 };
    let mut record: Vec<String> = Vec::with_capacity(head.len());
    file.for_each_row(&positions, progress, |line, cells| {
        let scored = artifact
            .score(|name| index.get(name).map_or(RawValue::Missing, |&i| RawValue::Text(cells[i])))
            .map_err(|e| Error::Data { path: path.clone(), error: e.at_line(line) })?;
        record.clear();
        if ids.is_empty() {
            record.push(line.to_string());
        } else {
            record.extend(cells[..ids.len()].iter().map(|c| (*c).to_owned()));
        }
        let mql = scored.probability >= options.threshold;
        // Shortest text that reads back as the same f64: exact parity with other scorers.
        record.push(format!("{}", scored.probability));
        record.push(scored.score.to_string());
        record.push(scored.tier.clone());
        record.push(mql.to_string());
        for k in 0..options.explain {
            record.push(
                scored
                    .contributions
                    .get(k)
                    .map_or_else(String::new, |c| format!("{}={} ({:+.3})", c.feature, c.value, c.contribution)),
            );
        }
        record.push(scored.notes.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("; "));
        writer.write_record(&record).map_err(write_err)?;
        summary.n_rows += 1;
        summary.n_mql += u64::from(mql);
        Ok(())
    })?;
    writer.flush().map_err(|e| Error::io("<output>", e))?;
    Ok(summary)
}
