//! The fitted logistic model: an intercept and one weight per encoded column.
//!
//! Scoring is a dot product and a numerically stable logistic, so anything that
//! can read the artifact (the server, a SQL export) scores without linfa.

use serde::{Deserialize, Serialize};

/// `P(won) = sigmoid(intercept + weights · x)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogisticModel {
    /// Log-odds of a lead whose encoded vector is all zeros.
    pub intercept: f64,
    /// One weight per encoded column (orientation: positive = more likely to be won).
    pub weights: Vec<f64>,
}

impl LogisticModel {
    /// Log-odds of won for an encoded lead.
    pub fn log_odds(&self, x: &[f64]) -> f64 {
        self.intercept + self.weights.iter().zip(x).map(|(w, v)| w * v).sum::<f64>()
    }

    /// Probability of won for an encoded lead.
    pub fn probability(&self, x: &[f64]) -> f64 {
        sigmoid(self.log_odds(x))
    }
}

/// The logistic function without overflow: `exp` only ever sees a non-positive
/// argument, so `sigmoid(±1e300)` is exactly 1 or 0 rather than NaN.
pub fn sigmoid(z: f64) -> f64 {
    if z.is_nan() {
        return f64::NAN;
    }
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// A probability as the 1-99 score marketers see: `round(100 p)` clamped, so no
/// lead is ever "certain" either way.
pub fn score_1_99(probability: f64) -> u8 {
    let s = (probability * 100.0).round();
    if s.is_nan() {
        1
    } else {
        s.clamp(1.0, 99.0) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_is_stable_and_symmetric() {
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(1e300), 1.0);
        assert_eq!(sigmoid(-1e300), 0.0);
        assert_eq!(sigmoid(f64::INFINITY), 1.0);
        for z in [-30.0, -2.5, -0.1, 0.7, 4.0] {
            assert!((sigmoid(z) + sigmoid(-z) - 1.0).abs() < 1e-15);
        }
        // sigmoid(ln 3) = 3 / (1 + 3) = 0.75
        assert!((sigmoid(3f64.ln()) - 0.75).abs() < 1e-15);
    }

    #[test]
    fn log_odds_is_a_dot_product() {
        let m = LogisticModel { intercept: -1.0, weights: vec![0.5, -2.0] };
        // -1 + 0.5*2 - 2*0.25 = -0.5
        assert_eq!(m.log_odds(&[2.0, 0.25]), -0.5);
    }

    #[test]
    fn scores_are_1_to_99() {
        assert_eq!(score_1_99(0.0), 1);
        assert_eq!(score_1_99(0.004), 1);
        assert_eq!(score_1_99(0.874), 87);
        assert_eq!(score_1_99(0.875), 88);
        assert_eq!(score_1_99(1.0), 99);
        assert_eq!(score_1_99(f64::NAN), 1);
    }
}
