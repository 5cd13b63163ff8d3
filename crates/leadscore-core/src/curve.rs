//! stub (replaced by the metrics helper)
#![allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CurvePoint { pub threshold: f64, pub pos_at_or_above: u64, pub neg_at_or_above: u64 }
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OperatingCurve { pub n_pos: u64, pub n_neg: u64, pub points: Vec<CurvePoint> }
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Suggestion { pub strategy: String, pub threshold: f64, pub mql_rate: f64, pub precision: f64, pub recall: f64, pub lift: f64, pub explanation: String }
impl OperatingCurve {
    pub fn from_predictions(_p: &[f64], _y: &[bool]) -> Self { Self { n_pos: 0, n_neg: 0, points: vec![] } }
    pub fn default_suggestions(&self) -> Vec<Suggestion> { vec![] }
}
