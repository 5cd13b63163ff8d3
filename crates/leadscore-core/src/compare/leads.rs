//! From labelled leads to a [`Comparison`], whatever the leads are read from.
//!
//! Both the CLI (a CSV, read twice so a large file costs a few bytes per
//! lead) and the server (JSON leads in memory) compare the same way: every
//! lead is scored by the model, the rules and the model's points version
//! through the same field reader, only the numbers are kept
//! ([`LeadCollector::push`]), [`LeadCollector::finish`] computes the figures,
//! and the few leads listed as disagreements are described afterwards
//! ([`LeadCollector::describe`]: id, the model's top factors, the rules that
//! fired). [`compare_leads`] does all of it for leads held in memory. Keeping
//! this here, not in a reader, is what makes `POST /v1/compare` and
//! `leadscore compare --json` give the same document for the same leads.

use crate::points::PointsTable;
use crate::rules::RuleSet;
use crate::value::RawValue;
use crate::{Artifact, Error, Result};

use super::{compare, CompareInput, CompareLabels, Comparison, Disagreement, RuleHits};

/// How to compare; the CLI's flags and the server's request map onto it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOptions {
    /// The model's MQL threshold (probability).
    pub model_threshold: f64,
    /// What that threshold is (`max_f1`, `given`, ...).
    pub model_threshold_name: String,
    /// Disagreements listed each way.
    pub top: usize,
    /// Model factors shown per disagreement.
    pub factors: usize,
    /// Only the leads the model was held out on (the caller selects them; this sets the note).
    pub holdout_only: bool,
    /// Points that double the odds in the model's points version; `None` leaves it out.
    pub points_scale: Option<f64>,
}

/// Scores labelled leads one by one, keeping only what the comparison needs.
#[derive(Debug)]
pub struct LeadCollector<'a> {
    artifact: &'a Artifact,
    rules: &'a RuleSet,
    options: CompareOptions,
    /// The model's points version, compiled as a rules file.
    points_version: Option<RuleSet>,
    won: Vec<bool>,
    probability: Vec<f64>,
    points: Vec<f64>,
    pv: Vec<f64>,
    hits: RuleHits,
}

impl<'a> LeadCollector<'a> {
    /// A collector for `artifact` against `rules`; builds the points version when `options.points_scale` asks.
    pub fn new(artifact: &'a Artifact, rules: &'a RuleSet, options: CompareOptions) -> Result<LeadCollector<'a>> {
        let points_version = match options.points_scale {
            None => None,
            Some(scale) => {
                let table =
                    PointsTable::from_model(artifact, scale, options.model_threshold, &options.model_threshold_name)?;
                Some(RuleSet::from_toml_str(&table.to_rules_toml(), &artifact.spec)?)
            }
        };
        Ok(LeadCollector {
            artifact,
            rules,
            options,
            points_version,
            won: Vec::new(),
            probability: Vec::new(),
            points: Vec::new(),
            pv: Vec::new(),
            hits: RuleHits::new(rules),
        })
    }

    /// Names of every field the model, the rules and the points version read.
    pub fn field_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.artifact.encoder.features.iter().map(|f| f.name.as_str()).collect();
        names.extend(self.rules.field_names());
        names.extend(self.points_version.iter().flat_map(RuleSet::field_names));
        let mut seen = std::collections::BTreeSet::new();
        names.retain(|n| seen.insert(*n));
        names
    }

    /// Scores one lead with outcome `won`; `field(name)` gives its value of a column.
    pub fn push<'v>(&mut self, won: bool, field: impl Fn(&str) -> RawValue<'v>) -> Result<()> {
        let p = self.artifact.score(&field)?.probability;
        let score = self.rules.score(&field)?;
        let pv = match &self.points_version {
            Some(set) => Some(set.score(&field)?.total),
            None => None,
        };
        self.hits.record(&score, won);
        self.won.push(won);
        self.probability.push(p);
        self.points.push(score.total);
        self.pv.extend(pv);
        Ok(())
    }

    /// Leads pushed so far.
    pub fn len(&self) -> usize {
        self.won.len()
    }

    /// Whether no lead was pushed.
    pub fn is_empty(&self) -> bool {
        self.won.is_empty()
    }

    /// The comparison of every lead pushed. Disagreements carry the 0-based
    /// index of the lead in push order as `row`; [`LeadCollector::describe`] fills in the rest.
    pub fn finish(&self, labels: CompareLabels) -> Result<Comparison> {
        let pv_threshold = self.points_version.as_ref().map(|s| s.mql_threshold);
        let input = CompareInput {
            won: &self.won,
            probability: &self.probability,
            points: &self.points,
            model_threshold: self.options.model_threshold,
            rules_threshold: self.rules.mql_threshold,
            points_version: pv_threshold.map(|t| (self.pv.as_slice(), t)),
        };
        let mut result = compare(labels, &input, self.hits.stats(), self.options.top)?;
        if self.options.holdout_only {
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
        if let Some(set) = &self.points_version {
            result.notes.push(format!(
                "The points version is the model rounded to whole points ({} points double the odds; MQL at {} points, \
                 the model's {} threshold): `leadscore export-points` writes it.",
                self.options.points_scale.unwrap_or_default(),
                set.mql_threshold,
                self.options.model_threshold_name
            ));
        }
        Ok(result)
    }

    /// Fills in a listed lead's id, the model's top factors and the rules that fired.
    pub fn describe<'v>(&self, d: &mut Disagreement, id: String, field: impl Fn(&str) -> RawValue<'v>) -> Result<()> {
        let scored = self.artifact.score(&field)?;
        let fired = self.rules.score(&field)?;
        d.id = id;
        d.model_factors = scored
            .contributions
            .iter()
            .take(self.options.factors)
            .map(|c| format!("{}={} ({:+.2})", c.feature, c.value, c.contribution))
            .collect();
        d.rules_fired = fired
            .fired
            .iter()
            .filter_map(|f| self.rules.rules.get(f.rule).map(|r| format!("{} ({:+})", r.name, round2(f.points))))
            .collect();
        Ok(())
    }
}

/// Points as shown: at most two decimals (decay makes fractions).
fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0 + 0.0
}

/// Compares `artifact` with `rules` on leads held in memory: lead `i` has
/// outcome `won[i]`, id `ids[i]` and the value `field(i, name)` of a column.
/// Errors name the lead (`lead 3: column ...`).
pub fn compare_leads<'v>(
    artifact: &Artifact,
    rules: &RuleSet,
    options: CompareOptions,
    labels: CompareLabels,
    won: &[bool],
    ids: &[String],
    field: impl Fn(usize, &str) -> RawValue<'v>,
) -> Result<Comparison> {
    if ids.len() != won.len() {
        return Err(Error::Compare("outcomes and ids must have one entry per lead".into()));
    }
    let at = |i: usize| move |e: Error| Error::Compare(format!("lead {i}: {e}"));
    let mut collector = LeadCollector::new(artifact, rules, options)?;
    for (i, w) in won.iter().enumerate() {
        collector.push(*w, |name| field(i, name)).map_err(at(i))?;
    }
    let mut result = collector.finish(labels)?;
    for d in result.disagreements.model_only.iter_mut().chain(result.disagreements.rules_only.iter_mut()) {
        let i = d.row as usize;
        let id = ids.get(i).cloned().unwrap_or_default();
        collector.describe(d, id, |name| field(i, name)).map_err(at(i))?;
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::CompareInput;
    use crate::testing;

    const RULES: &str =
        "mql_threshold = 10\n\n[[rules]]\nname = \"Demo\"\nwhen = { field = \"demo\", equals = true }\npoints = 10\n\n\
                         [[rules]]\nname = \"Visits\"\nper = \"visits\"\npoints = 2\nmax = 8\n";

    fn labels() -> CompareLabels {
        CompareLabels { model: "m".into(), model_threshold_name: "given".into(), rules: "r".into(), data: "d".into() }
    }

    /// (outcome, demo, source, visits) for six leads.
    const LEADS: [(bool, &str, &str, &str); 6] = [
        (true, "yes", "Google", "5"),
        (false, "no", "google", "1"),
        (true, "no", "Referral", "4"),
        (false, "yes", "Fair", ""),
        (false, "no", "Referral", "0"),
        (true, "yes", "referral", "2"),
    ];

    fn field(i: usize, name: &str) -> RawValue<'static> {
        let (_, demo, source, visits) = LEADS[i];
        match name {
            "demo" => RawValue::Text(demo),
            "source" => RawValue::Text(source),
            "visits" => RawValue::Text(visits),
            _ => RawValue::Missing,
        }
    }

    #[test]
    fn leads_in_memory_compare_as_the_core_does_on_their_scores() {
        let artifact = testing::artifact();
        let rules = RuleSet::from_toml_str(RULES, &artifact.spec).unwrap();
        let won: Vec<bool> = LEADS.iter().map(|l| l.0).collect();
        let ids: Vec<String> = (0..LEADS.len()).map(|i| format!("L{i}")).collect();
        let result = compare_leads(&artifact, &rules, options(), labels(), &won, &ids, field).unwrap();

        // The same figures as `compare` on the scores computed lead by lead; points by hand:
        // demo 10 + min(2 x visits, 8).
        let points = [18.0, 2.0, 8.0, 10.0, 0.0, 14.0];
        let probability: Vec<f64> =
            (0..LEADS.len()).map(|i| artifact.score(|n| field(i, n)).unwrap().probability).collect();
        let input = CompareInput {
            won: &won,
            probability: &probability,
            points: &points,
            model_threshold: 0.5,
            rules_threshold: 10.0,
            points_version: None,
        };
        let mut hits = RuleHits::new(&rules);
        for (i, w) in won.iter().enumerate() {
            hits.record(&rules.score(|n| field(i, n)).unwrap(), *w);
        }
        let direct = compare(labels(), &input, hits.stats(), 2).unwrap();
        assert_eq!(result.own_threshold, direct.own_threshold);
        assert_eq!(result.agreement, direct.agreement);
        assert_eq!(result.rules, direct.rules);
        assert_eq!(result.notes.len(), direct.notes.len() + 1, "plus the note on training data");
        // Listed leads are described: id, the model's top factor, the rules that fired.
        for d in result.disagreements.model_only.iter().chain(&result.disagreements.rules_only) {
            assert_eq!(d.id, format!("L{}", d.row));
            assert_eq!(d.model_factors.len(), 1);
            let fired = rules.score(|n| field(d.row as usize, n)).unwrap().fired.len();
            assert_eq!(d.rules_fired.len(), fired);
        }
        // Mismatched ids are refused rather than misattributed.
        let err = compare_leads(&artifact, &rules, options(), labels(), &won, &ids[..2], field).unwrap_err();
        assert!(err.to_string().contains("one entry per lead"), "{err}");
    }

    fn options() -> CompareOptions {
        CompareOptions {
            model_threshold: 0.5,
            model_threshold_name: "given".into(),
            top: 2,
            factors: 1,
            holdout_only: false,
            points_scale: None,
        }
    }
}
