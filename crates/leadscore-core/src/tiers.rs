//! stub (replaced by the metrics helper)
#![allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tier { pub name: String, pub min_probability: f64, pub share: f64 }
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tiers { pub tiers: Vec<Tier> }
impl Tiers {
    pub const DEFAULT_SHARES: [f64; 4] = [0.1, 0.2, 0.3, 0.4];
    pub fn from_predictions(_p: &[f64], _s: &[f64]) -> crate::Result<Tiers> { Ok(Tiers { tiers: vec![] }) }
    pub fn tier(&self, _p: f64) -> &str { "A" }
}
