//! The model against marketing's points rules on a labelled CSV.
//!
//! Reads the file twice: the first pass scores every lead with the model, the
//! rules and the model's points version (numbers only, so a large file costs
//! a few bytes per lead), and hands them to [`leadscore_core::compare`]; the
//! second pass fetches the id, the model's top factors and the fired rules of
//! the few leads listed as disagreements. Both scorers read every cell with
//! the core's readers, so they see exactly the same lead.
//!
//! With `holdout_only`, only the leads the model was held out on are
//! compared: the file must be the training file (its data hash is checked)
//! and the split is rebuilt exactly as training made it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use leadscore_core::compare::{compare, CompareInput, CompareLabels, Comparison, RuleHits};
use leadscore_core::points::PointsTable;
use leadscore_core::report::Holdout;
use leadscore_core::rules::RuleSet;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::csv_source::{read_table, CsvFile, Progress};
use crate::split::{newest_holdout, stratified_holdout};
use crate::{Error, Result};

/// How to compare.
#[derive(Clone, Debug)]
pub struct CompareOptions {
    /// The model's MQL threshold (probability).
    pub model_threshold: f64,
    /// What that threshold is (`max_f1`, `given`, ...).
    pub model_threshold_name: String,
    /// Disagreements listed each way.
    pub top: usize,
    /// Model factors shown per disagreement.
    pub factors: usize,
    /// Only the leads the model was held out on.
    pub holdout_only: bool,
    /// Points that double the odds in the model's points version; `None` leaves it out.
    pub points_scale: Option<f64>,
}

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
    let refuse = |reason: String| Error::Params { name: "holdout", reason };
    let table = read_table(data, &artifact.spec, progress)?;
    let t = &artifact.training;
    if table.data_hash != t.data_hash {
        return Err(refuse(format!(
            "{} is not the file the model was trained on (its data differs), so its held-out leads cannot be found",
            data.display()
        )));
    }
    let n = table.n_rows();
    let rows = match &t.holdout {
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
    };
    let mut mask = vec![false; n];
    for r in rows {
        if let Some(m) = mask.get_mut(r) {
            *m = true;
        }
    }
    Ok(mask)
}

/// Where each needed column sits in a row of cells.
struct Columns {
    positions: Vec<usize>,
    index: BTreeMap<String, usize>,
    target: usize,
    id: Option<usize>,
}

fn columns(file: &CsvFile, artifact: &Artifact, sets: &[&RuleSet]) -> Result<Columns> {
    let mut wanted: Vec<(String, String)> = vec![(artifact.spec.target.column.clone(), "the target".into())];
    for f in &artifact.encoder.features {
        wanted.push((f.name.clone(), "a feature of the model".into()));
    }
    for set in sets {
        for name in set.field_names() {
            wanted.push((name.to_owned(), "a field of the rules".into()));
        }
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
    let points = match options.points_scale {
        None => None,
        Some(scale) => {
            let table =
                PointsTable::from_model(artifact, scale, options.model_threshold, &options.model_threshold_name)?;
            let set = RuleSet::from_toml_str(&table.to_rules_toml(), &artifact.spec)?;
            Some(set)
        }
    };
    let mut sets = vec![rules];
    sets.extend(points.as_ref());
    let path = data.to_owned();
    let data_error = |line: u64| {
        let path = path.clone();
        move |e: leadscore_core::Error| Error::Data { path: path.clone(), error: e.at_line(line) }
    };

    // Pass 1: numbers only.
    let mut file = CsvFile::open(data)?;
    let cols = columns(&file, artifact, &sets)?;
    let (mut won, mut probability, mut points_total, mut pv) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut kept_rows: Vec<usize> = Vec::new();
    let mut hits = RuleHits::new(rules);
    let mut row = 0usize;
    file.for_each_row(&cols.positions, progress, |line, cells| {
        let this = row;
        row += 1;
        if mask.as_ref().is_some_and(|m| !m.get(this).copied().unwrap_or(false)) {
            return Ok(());
        }
        let label = artifact.spec.target.label(cells[cols.target]).map_err(data_error(line))?;
        let field = |name: &str| cols.field(cells, name);
        let p = artifact.score(field).map_err(data_error(line))?.probability;
        let score = rules.score(field).map_err(data_error(line))?;
        if let Some(set) = &points {
            pv.push(set.score(field).map_err(data_error(line))?.total);
        }
        hits.record(&score, label);
        won.push(label);
        probability.push(p);
        points_total.push(score.total);
        kept_rows.push(this);
        Ok(())
    })?;
    if won.is_empty() {
        return Err(Error::NoRows { path: data.to_owned() });
    }
    let pv_threshold = points.as_ref().map(|s| s.mql_threshold);
    let input = CompareInput {
        won: &won,
        probability: &probability,
        points: &points_total,
        model_threshold: options.model_threshold,
        rules_threshold: rules.mql_threshold,
        points_version: pv_threshold.map(|t| (pv.as_slice(), t)),
    };
    let data_label = if options.holdout_only {
        format!("{} (the {} leads the model was held out on)", data.display(), won.len())
    } else {
        data.display().to_string()
    };
    let labels = CompareLabels {
        model: names.model.clone(),
        model_threshold_name: options.model_threshold_name.clone(),
        rules: names.rules.clone(),
        data: data_label,
    };
    let mut result = compare(labels, &input, hits.stats(), options.top)?;
    if options.holdout_only {
        result.notes.push(
            "Only the leads the model was held out on are compared: the model never saw them in training.".into(),
        );
    } else {
        result.notes.push(
            "If these leads include the model's training data, the model's figures are flattered; \
             `--holdout` compares on its held-out leads only."
                .into(),
        );
    }
    if let Some(set) = &points {
        result.notes.push(format!(
            "The points version is the model rounded to whole points ({} points double the odds; MQL at {} points, \
             the model's {} threshold): `leadscore export-points` writes it.",
            options.points_scale.unwrap_or_default(),
            set.mql_threshold,
            options.model_threshold_name
        ));
    }

    // Pass 2: the details of the listed leads.
    let wanted: BTreeMap<usize, usize> = result
        .disagreements
        .model_only
        .iter()
        .chain(&result.disagreements.rules_only)
        .filter_map(|d| kept_rows.get(d.row as usize).map(|&file_row| (file_row, d.row as usize)))
        .collect();
    let mut details: BTreeMap<usize, (String, Vec<String>, Vec<String>)> = BTreeMap::new();
    if !wanted.is_empty() {
        let mut file = CsvFile::open(data)?;
        let mut row = 0usize;
        file.for_each_row(&cols.positions, progress, |line, cells| {
            let this = row;
            row += 1;
            let Some(&lead) = wanted.get(&this) else { return Ok(()) };
            let field = |name: &str| cols.field(cells, name);
            let scored = artifact.score(field).map_err(data_error(line))?;
            let fired = rules.score(field).map_err(data_error(line))?;
            let id = cols.id.and_then(|i| cells.get(i)).map_or_else(|| format!("line {line}"), |c| c.trim().to_owned());
            let factors = scored
                .contributions
                .iter()
                .take(options.factors)
                .map(|c| format!("{}={} ({:+.2})", c.feature, c.value, c.contribution))
                .collect();
            let rules_fired = fired
                .fired
                .iter()
                .filter_map(|f| rules.rules.get(f.rule).map(|r| format!("{} ({:+})", r.name, round2(f.points))))
                .collect();
            details.insert(lead, (id, factors, rules_fired));
            Ok(())
        })?;
    }
    for d in result.disagreements.model_only.iter_mut().chain(result.disagreements.rules_only.iter_mut()) {
        let lead = d.row as usize;
        if let Some((id, factors, fired)) = details.remove(&lead) {
            d.id = id;
            d.model_factors = factors;
            d.rules_fired = fired;
        }
        d.row = kept_rows.get(lead).copied().unwrap_or(lead) as u64;
    }
    Ok(result)
}

/// Points as shown: at most two decimals (decay makes fractions).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}
