//! Scoring one lead: probability, 1-99 score, tier and an exact explanation.
//!
//! The explanation is additive on the log-odds scale against the training
//! baseline `b + w · m` (m = mean encoded training lead):
//! `log_odds = baseline + Σ_feature Σ_column w_j (x_j - m_j)`, so the
//! contributions of a lead sum exactly to how far it sits from the average
//! lead. "Why is this lead 87?" has an exact answer, not an approximation.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::encode::Note;
use crate::model::{score_1_99, sigmoid};
use crate::value::RawValue;
use crate::Result;

/// One feature's share of a lead's log-odds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Source column.
    pub feature: String,
    /// The lead's value as read (`(missing)` when absent).
    pub value: String,
    /// Additive log-odds contribution against the baseline.
    pub contribution: f64,
}

/// A scored lead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoredLead {
    /// Probability of being won.
    pub probability: f64,
    /// `round(100 p)` clamped to 1-99.
    pub score: u8,
    /// Log-odds of being won.
    pub log_odds: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Tier name (A best).
    pub tier: String,
    /// Every feature's contribution, largest magnitude first.
    pub contributions: Vec<Contribution>,
    /// Missing and unseen fields.
    pub notes: Vec<Note>,
}

fn display(raw: RawValue<'_>) -> String {
    match raw {
        RawValue::Missing => crate::encode::MISSING.to_owned(),
        RawValue::Text(t) => t.trim().to_owned(),
        RawValue::Number(v) => v.to_string(),
        RawValue::Bool(b) => b.to_string(),
    }
}

impl Artifact {
    /// Log-odds of the average training lead: where every explanation starts.
    pub fn baseline_log_odds(&self) -> f64 {
        self.model.log_odds(&self.encoder.baseline)
    }

    /// Scores one lead; `field(name)` gives the lead's value of a source column.
    pub fn score<'a>(&self, mut field: impl FnMut(&str) -> RawValue<'a>) -> Result<ScoredLead> {
        let encoder = &self.encoder;
        let mut row = vec![0.0; encoder.n_columns];
        let mut notes = Vec::new();
        let mut contributions = Vec::with_capacity(encoder.features.len());
        for feature in &encoder.features {
            let range = feature.offset..feature.offset + feature.width();
            let raw = field(&feature.name);
            let out = row
                .get_mut(range.clone())
                .ok_or(crate::Error::ShapeMismatch { weights: range.end, columns: encoder.n_columns })?;
            if let Some(kind) = feature.encode_value(raw, &encoder.missing, out)? {
                notes.push(Note { feature: feature.name.clone(), kind });
            }
            let contribution = range.map(|j| self.model.weights[j] * (row[j] - encoder.baseline[j])).sum::<f64>();
            contributions.push(Contribution { feature: feature.name.clone(), value: display(raw), contribution });
        }
        contributions.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
        let log_odds = self.model.log_odds(&row);
        let probability = sigmoid(log_odds);
        Ok(ScoredLead {
            probability,
            score: score_1_99(probability),
            log_odds,
            baseline_log_odds: self.baseline_log_odds(),
            tier: self.tiers.tier(probability).to_owned(),
            contributions,
            notes,
        })
    }
}
