//! How much the training data backs each term, and the one ranking of "strongest signals".
//!
//! Marketers read a list of the strongest signals as fact. Ranked by the size of the weight
//! alone, a level held by 14 of 20,000 leads can top it on luck (the shipped model once showed
//! `country = (other)`, 14 leads, odds x2.28, where the generator gives every country no effect).
//! So each term carries how many training leads carry it and the standard error of its weight,
//! and every list (dashboard, report, `inspect`, the card) ranks terms by the smallest effect
//! their 95% interval allows: `|w| - 1.96 SE`. A term whose interval includes no effect ranks
//! below every term whose interval excludes it, however large its weight.
//!
//! The standard error is the Laplace approximation of the penalised fit: the square root of the
//! diagonal of `(Xᵀ W X + λ I')⁻¹` at the fitted weights, with `W = p (1 - p)` and `I'` the
//! identity without the intercept (the penalty linfa-logistic applies). It is the posterior
//! spread under the Gaussian prior the L2 penalty stands for, so it accounts for the shrinkage
//! and for correlated columns (the levels of one feature against the intercept). The trainer
//! computes it (`leadscore-train::evidence`); the core only stores and ranks.

use serde::{Deserialize, Serialize};

use crate::encode::Transform;
use crate::Artifact;

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// Fewest training leads a term needs before it may be listed among the strongest signals on
/// luck alone: below this a term is listed only when its interval excludes no effect.
pub const MIN_LEADS: u64 = 30;

/// What the training data says of one encoded column.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TermEvidence {
    /// Training leads that carry the term: for a 0/1 column (a level, a bin, a yes, a missing
    /// indicator) the leads where it is 1; for a number, the leads where it was present.
    pub leads: u64,
    /// Standard error of the weight (log-odds); not finite when it could not be computed.
    pub std_error: f64,
}

/// One term of the model as the signal lists show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signal {
    /// Encoded column name, e.g. `lead_source = referral`.
    pub column: String,
    /// Source feature.
    pub feature: String,
    /// Log-odds weight.
    pub coefficient: f64,
    /// `exp(coefficient)`: the odds multiplier.
    pub odds_ratio: f64,
    /// Training leads that carry it (absent for a model trained before it was recorded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leads: Option<u64>,
    /// Standard error of the weight.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std_error: Option<f64>,
    /// The 95% interval of the odds multiplier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub odds_interval: Option<(f64, f64)>,
    /// Whether the 95% interval excludes "no effect" (odds x1); `None` without evidence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clear: Option<bool>,
    /// What one unit is.
    pub unit: &'static str,
}

impl Signal {
    /// The smallest effect (absolute log-odds) the 95% interval allows: the ranking key.
    /// Without evidence, the weight's size.
    pub fn assured(&self) -> f64 {
        match self.std_error.filter(|s| s.is_finite()) {
            Some(se) => self.coefficient.abs() - Z95 * se,
            None => self.coefficient.abs(),
        }
    }

    /// Whether a list of strongest signals may show it: backed by [`MIN_LEADS`] leads or more,
    /// or with an interval that excludes no effect. Always true without evidence.
    pub fn listable(&self) -> bool {
        self.clear.unwrap_or(true) || self.leads.is_none_or(|n| n >= MIN_LEADS)
    }
}

/// Every term of `artifact`, strongest first by the smallest effect its interval allows (ties in
/// column order). Models without recorded evidence (older formats) rank by the weight's size.
pub fn signals(artifact: &Artifact) -> Vec<Signal> {
    let mut out = Vec::with_capacity(artifact.model.weights.len());
    let features = artifact.encoder.features.iter().map(|feature| {
        let unit = match &feature.transform {
            Transform::Numeric(_) | Transform::Date(_) => "one standard deviation (first column), else present/absent",
            _ => "present vs absent",
        };
        (feature.name.as_str(), feature.offset, feature.column_names(), unit)
    });
    // A pair term's cells are terms like any other: a cell of few leads ranks as a rare level does.
    let pairs = artifact.encoder.pairs.iter().map(|pair| {
        let names = pair.column_names(&artifact.encoder.features);
        (pair.name.as_str(), pair.offset, names, "in the cell (both values) vs not")
    });
    for (feature, offset, columns, unit) in features.chain(pairs) {
        for (i, column) in columns.into_iter().enumerate() {
            let index = offset + i;
            let w = artifact.model.weights.get(index).copied().unwrap_or(0.0);
            let evidence = artifact.evidence.get(index);
            let se = evidence.map(|e| e.std_error).filter(|s| s.is_finite() && *s >= 0.0);
            let interval = se.map(|s| ((w - Z95 * s).exp(), (w + Z95 * s).exp()));
            out.push(Signal {
                column,
                feature: feature.to_owned(),
                coefficient: w,
                odds_ratio: w.exp(),
                leads: evidence.map(|e| e.leads),
                std_error: se,
                odds_interval: interval,
                clear: se.map(|s| w.abs() > Z95 * s),
                unit,
            });
        }
    }
    out.sort_by(|a, b| b.assured().total_cmp(&a.assured()));
    out
}

/// An odds multiplier with two decimals, or in exponent form when huge.
pub fn odds_text(x: f64) -> String {
    if x.is_finite() && x < 1e4 {
        format!("{x:.2}")
    } else {
        format!("{x:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signal(w: f64, se: Option<f64>, leads: Option<u64>) -> Signal {
        Signal {
            column: format!("w{w}"),
            feature: "f".into(),
            coefficient: w,
            odds_ratio: w.exp(),
            leads,
            std_error: se,
            odds_interval: se.map(|s| ((w - Z95 * s).exp(), (w + Z95 * s).exp())),
            clear: se.map(|s| w.abs() > Z95 * s),
            unit: "present vs absent",
        }
    }

    #[test]
    fn a_large_weight_on_few_leads_ranks_below_a_smaller_one_well_backed() {
        // country = (other): 14 leads, odds x2.28, SE 0.6 -> interval includes x1.
        let rare = signal(0.824, Some(0.6), Some(14));
        let common = signal(0.4, Some(0.05), Some(3_000));
        assert!(rare.assured() < 0.0 && common.assured() > 0.3);
        assert_eq!(rare.clear, Some(false));
        assert!(!rare.listable(), "14 leads and an interval across x1 must not be listed");
        assert!(common.listable());
        // A rare term whose interval excludes x1 may be listed.
        assert!(signal(3.0, Some(0.5), Some(12)).listable());
    }

    #[test]
    fn without_evidence_the_weight_decides_and_everything_is_listable() {
        let s = signal(-0.7, None, None);
        assert_eq!(s.assured(), 0.7);
        assert!(s.listable());
    }

    #[test]
    fn odds_are_two_decimals_or_an_exponent() {
        assert_eq!(odds_text(1.355_3), "1.36");
        assert_eq!(odds_text(1e9), "1.0e9");
    }
}
