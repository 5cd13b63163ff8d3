//! The model against marketing's points rules on a labelled CSV.
//!
//! Reads the file twice: the first pass scores every lead with the model, the
//! rules and the model's points version (numbers only, so a large file costs
//! a few bytes per lead) through the core's [`LeadCollector`], as the server
//! does for JSON leads, so both give the same comparison; the
//! second pass fetches the id, the model's top factors and the fired rules of
//! the few leads listed as disagreements. Both scorers read every cell with
//! the core's readers, so they see exactly the same lead.
//!
//! With `holdout_only`, only the leads the model was held out on are
//! compared: the file must be the training file (its data hash is checked)
//! and the split is rebuilt exactly as training made it. Those leads are scored by the model the
//! held-out figures describe ([`Artifact::evaluated`]): a model refit on every lead has seen them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use leadscore_core::compare::{CompareLabels, Comparison, LeadCollector};
use leadscore_core::report::Holdout;
use leadscore_core::rules::RuleSet;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::split::{newest_holdout, stratified_holdout};
use crate::{Error, Result};
use leadscore_io::csv_source::{read_table, CsvFile, Progress};

pub use leadscore_core::compare::CompareOptions;

/// Names for the report.
#[derive(Clone, Debug)]
pub struct CompareNames {
    /// The model, e.g. `leads v1`.
    pub model: String,
    /// The rules, e.g. their `name` or file name.
    pub rules: String,
}

/// The model's held-out rows of the training file `data`, as a mask over its data rows.
pub fn holdout_mask(artifact: &Artifact, data: &Path, progress: &dyn Progress) -> Result<Vec<bool>> {
    let table = read_table(data, &artifact.spec, progress)?;
    if table.data_hash != artifact.training.data_hash {
        return Err(Error::Params {
            name: "holdout",
            reason: format!(
                "{} is not the file the model was trained on (its data differs), so its held-out leads cannot be found",
                data.display()
            ),
        });
    }
    let mut mask = vec![false; table.n_rows()];
    for r in holdout_rows(artifact, &table)? {
        if let Some(m) = mask.get_mut(r) {
            *m = true;
        }
    }
    Ok(mask)
}

/// The model's held-out rows of `table`, rebuilt as training split it (ascending). The table
/// must be the model's training data (same data hash), read with a spec that has its time column.
pub fn holdout_rows(artifact: &Artifact, table: &leadscore_core::table::Table) -> Result<Vec<usize>> {
    let refuse = |reason: String| Error::Params { name: "holdout", reason };
    let t = &artifact.training;
    let n = table.n_rows();
    Ok(match &t.holdout {
        Holdout::Newest { column, .. } => {
            let days = table.time.as_ref().ok_or_else(|| refuse(format!("the time column `{column}` was not read")))?;
            newest_holdout(days, t.n_holdout as f64 / n.max(1) as f64).holdout
        }
        Holdout::Stratified { seed } => {
            // The share is not stored; the split's per-class counts are, and pin it down.
            let wanted = (t.n_holdout, artifact.holdout.n_positives);
            [0.2, t.n_holdout as f64 / n.max(1) as f64]
                .into_iter()
                .chain((1..20).map(|k| k as f64 * 0.05))
                .map(|share| stratified_holdout(&table.target, share, *seed).holdout)
                .find(|rows| (rows.len() as u64, rows.iter().filter(|&&r| table.target[r]).count() as u64) == wanted)
                .ok_or_else(|| refuse("the held-out split of this model cannot be rebuilt".into()))?
        }
    })
}

/// Where each needed column sits in a row of cells.
struct Columns {
    positions: Vec<usize>,
    index: BTreeMap<String, usize>,
    target: usize,
    id: Option<usize>,
}

fn columns(file: &CsvFile, artifact: &Artifact, collector: &LeadCollector<'_>, rules: &RuleSet) -> Result<Columns> {
    let mut wanted: Vec<(String, String)> = vec![(artifact.spec.target.column.clone(), "the target".into())];
    let model: BTreeSet<&str> = artifact.encoder.features.iter().map(|f| f.name.as_str()).collect();
    let own_rules: BTreeSet<&str> = rules.field_names().collect();
    for name in collector.field_names() {
        let what = if model.contains(name) || !own_rules.contains(name) {
            "a feature of the model"
        } else {
            "a field of the rules"
        };
        wanted.push((name.to_owned(), what.into()));
    }
    let mut seen = BTreeSet::new();
    wanted.retain(|(name, _)| seen.insert(name.clone()));
    let mut positions = file.positions(&wanted)?;
    let index: BTreeMap<String, usize> = wanted.iter().enumerate().map(|(i, (n, _))| (n.clone(), i)).collect();
    let id = artifact.spec.ids.iter().find_map(|id| file.header().iter().position(|h| h == id)).map(|p| {
        positions.push(p);
        positions.len() - 1
    });
    Ok(Columns { positions, index, target: 0, id })
}

impl Columns {
    fn field<'a>(&self, cells: &[&'a str], name: &str) -> RawValue<'a> {
        self.index.get(name).and_then(|&i| cells.get(i)).map_or(RawValue::Missing, |c| RawValue::Text(c))
    }
}

/// Compares `artifact` with `rules` on the labelled CSV `data`.
pub fn compare_csv(
    artifact: &Artifact,
    rules: &RuleSet,
    names: &CompareNames,
    data: &Path,
    options: &CompareOptions,
    progress: &dyn Progress,
) -> Result<Comparison> {
    if data.as_os_str() == "-" {
        return Err(Error::Params {
            name: "data",
            reason: "compare reads the file twice, so it needs a file, not standard input".into(),
        });
    }
    let mask = if options.holdout_only { Some(holdout_mask(artifact, data, progress)?) } else { None };
    let refit = matches!(artifact.fitted_on, leadscore_core::report::FittedOn::AllRows { .. });
    let evaluated = artifact.evaluated();
    let artifact: &Artifact = if options.holdout_only { &evaluated } else { artifact };
    let mut collector = LeadCollector::new(artifact, rules, options.clone())?;
    let path = data.to_owned();
    let data_error = |line: u64| {
        let path = path.clone();
        move |e: leadscore_core::Error| leadscore_io::Error::Data { path: path.clone(), error: e.at_line(line) }
    };

    // Pass 1: numbers only.
    let mut file = CsvFile::open(data)?;
    let cols = columns(&file, artifact, &collector, rules)?;
    let mut kept_rows: Vec<usize> = Vec::new();
    let mut row = 0usize;
    file.for_each_row(&cols.positions, progress, |line, cells| {
        let this = row;
        row += 1;
        if mask.as_ref().is_some_and(|m| !m.get(this).copied().unwrap_or(false)) {
            return Ok(());
        }
        let label = artifact.spec.target.label(cells[cols.target]).map_err(data_error(line))?;
        collector.push(label, |name| cols.field(cells, name)).map_err(data_error(line))?;
        kept_rows.push(this);
        Ok(())
    })?;
    if collector.is_empty() {
        return Err(leadscore_io::Error::NoRows { path: data.to_owned() }.into());
    }
    let data_label = if options.holdout_only {
        let scored_by = if refit {
            "; scored by the fit on the training part, which the published model refits on every lead"
        } else {
            ""
        };
        format!("{} (the {} leads the model was held out on{scored_by})", data.display(), collector.len())
    } else {
        data.display().to_string()
    };
    let labels = CompareLabels {
        model: names.model.clone(),
        model_threshold_name: options.model_threshold_name.clone(),
        rules: names.rules.clone(),
        data: data_label,
    };
    let mut result = collector.finish(labels)?;

    // Pass 2: the details of the listed leads.
    let wanted: BTreeMap<usize, usize> = result
        .disagreements
        .model_only
        .iter()
        .chain(&result.disagreements.rules_only)
        .filter_map(|d| kept_rows.get(d.row as usize).map(|&file_row| (file_row, d.row as usize)))
        .collect();
    if !wanted.is_empty() {
        let lists = &mut result.disagreements;
        let mut file = CsvFile::open(data)?;
        let mut row = 0usize;
        file.for_each_row(&cols.positions, progress, |line, cells| {
            let this = row;
            row += 1;
            let Some(&lead) = wanted.get(&this) else { return Ok(()) };
            let id = cols.id.and_then(|i| cells.get(i)).map_or_else(|| format!("line {line}"), |c| c.trim().to_owned());
            for d in lists.model_only.iter_mut().chain(lists.rules_only.iter_mut()).filter(|d| d.row as usize == lead) {
                collector.describe(d, id.clone(), |name| cols.field(cells, name)).map_err(data_error(line))?;
            }
            Ok(())
        })?;
    }
    // Rows in the file, not in the compared subset.
    for d in result.disagreements.model_only.iter_mut().chain(result.disagreements.rules_only.iter_mut()) {
        let lead = d.row as usize;
        d.row = kept_rows.get(lead).copied().unwrap_or(lead) as u64;
    }
    Ok(result)
}
