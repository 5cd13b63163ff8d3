//! Which probability makes a lead an MQL when a caller asks by name, by value
//! or not at all: one decision for `leadscore score`, `compare`,
//! `export-points`, `export-sql` and the server.
//!
//! Without a choice the model's first stored suggestion is used (max_f1, as
//! `train` stores them); a model without suggestions falls back to 0.5. An
//! explicit probability must lie in `[0, 1]` (0 makes every lead an MQL, 1
//! only certain ones: odd but meaningful). Every answer is a [`Suggestion`]
//! with its held-out figures, so callers print the same numbers.

use crate::curve::{OperatingPoint, Suggestion};
use crate::error::{Error, Result};
use crate::Artifact;

/// Strategy name of an explicit probability.
pub const FIXED: &str = "fixed";
/// Strategy name of the fallback for a model without stored suggestions.
pub const FALLBACK: &str = "default";
/// The fallback probability for a model without stored suggestions.
pub const FALLBACK_PROBABILITY: f64 = 0.5;

/// How a caller picks the MQL threshold among the model's stored ones.
#[derive(Clone, Debug, PartialEq)]
pub enum ThresholdChoice {
    /// A suggestion stored in the model, by strategy name; `None` is the default (see [`default`]).
    Strategy(Option<String>),
    /// An explicit probability in `[0, 1]`.
    Probability(f64),
}

impl ThresholdChoice {
    /// The threshold with its held-out figures.
    pub fn resolve(&self, artifact: &Artifact) -> Result<Suggestion> {
        match self {
            ThresholdChoice::Probability(p) => fixed(artifact, *p),
            ThresholdChoice::Strategy(None) => Ok(default(artifact)),
            ThresholdChoice::Strategy(Some(name)) => stored(artifact, name).cloned(),
        }
    }
}

/// The threshold used when nobody chose one: the first stored suggestion
/// (max_f1), else 0.5 with its figures on the held-out curve.
pub fn default(artifact: &Artifact) -> Suggestion {
    artifact.thresholds.first().cloned().unwrap_or_else(|| {
        from_point(FALLBACK, &artifact.curve.at(FALLBACK_PROBABILITY), "no threshold is stored with this model".into())
    })
}

/// A suggestion stored in the model, by strategy name; the error lists the stored ones.
pub fn stored<'a>(artifact: &'a Artifact, name: &str) -> Result<&'a Suggestion> {
    artifact.thresholds.iter().find(|s| s.strategy == name).ok_or_else(|| Error::UnknownThreshold {
        name: name.to_owned(),
        available: artifact.thresholds.iter().map(|s| s.strategy.as_str()).collect::<Vec<_>>().join(", "),
    })
}

/// An explicit probability, checked, with its figures on the held-out curve.
pub fn fixed(artifact: &Artifact, probability: f64) -> Result<Suggestion> {
    let p = check(probability)?;
    Ok(from_point(FIXED, &artifact.curve.at(p), String::new()))
}

/// `probability` when it is a cut-off in `[0, 1]`.
pub fn check(probability: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&probability) {
        Ok(probability)
    } else {
        Err(Error::ThresholdOutOfRange(probability))
    }
}

fn from_point(strategy: &str, p: &OperatingPoint, explanation: String) -> Suggestion {
    Suggestion {
        strategy: strategy.to_owned(),
        threshold: p.threshold,
        mql_rate: p.mql_rate,
        precision: p.precision,
        recall: p.recall,
        lift: p.lift,
        explanation,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_default_one_range_one_lookup() {
        let mut artifact = crate::testing::artifact();
        let probs: Vec<f64> = (0..100).map(|i| f64::from(i) / 100.0).collect();
        let labels: Vec<bool> = (0..100).map(|i| i % 3 == 0 || i > 70).collect();
        artifact.curve = crate::curve::OperatingCurve::from_predictions(&probs, &labels);
        artifact.thresholds = artifact.curve.default_suggestions();
        let first = artifact.thresholds.first().cloned().expect("the test artifact stores suggestions");
        assert_eq!(default(&artifact), first);
        assert_eq!(ThresholdChoice::Strategy(None).resolve(&artifact).unwrap(), first);
        for p in [0.0, 0.3, 1.0] {
            let s = ThresholdChoice::Probability(p).resolve(&artifact).unwrap();
            assert_eq!((s.strategy.as_str(), s.threshold), (FIXED, p));
            assert_eq!(s.mql_rate, artifact.curve.at(p).mql_rate);
        }
        for p in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            let err = ThresholdChoice::Probability(p).resolve(&artifact).unwrap_err().to_string();
            assert!(err.ends_with("is not a probability in [0, 1]"), "{err}");
        }
        let err = stored(&artifact, "best").unwrap_err().to_string();
        assert!(err.starts_with("the model has no `best` threshold; it has: max_f1"), "{err}");
        artifact.thresholds.clear();
        let fallback = default(&artifact);
        assert_eq!((fallback.strategy.as_str(), fallback.threshold), (FALLBACK, 0.5));
    }
}
