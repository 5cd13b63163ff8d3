//! stub (replaced by the metrics helper)
#![allow(missing_docs)]
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CalibrationBin { pub lower: f64, pub upper: f64, pub n: u64, pub mean_predicted: f64, pub observed_rate: f64 }
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let (mut num, mut np, mut nn) = (0.0, 0.0, 0.0);
    for (i, &si) in scores.iter().enumerate() { if !labels[i] { continue; } np += 1.0;
        for (j, &sj) in scores.iter().enumerate() { if labels[j] { continue; } if si > sj { num += 1.0 } else if si == sj { num += 0.5 } } }
    for l in labels { if !l { nn += 1.0 } }
    if np == 0.0 || nn == 0.0 { None } else { Some(num / (np * nn)) }
}
pub fn log_loss(p: &[f64], y: &[bool]) -> f64 { p.iter().zip(y).map(|(p, y)| { let p = p.clamp(1e-15, 1.0 - 1e-15); if *y { -p.ln() } else { -(1.0 - p).ln() } }).sum::<f64>() / p.len() as f64 }
pub fn brier(p: &[f64], y: &[bool]) -> f64 { p.iter().zip(y).map(|(p, y)| (p - f64::from(u8::from(*y))).powi(2)).sum::<f64>() / p.len() as f64 }
pub fn average_precision(_s: &[f64], _y: &[bool]) -> Option<f64> { None }
pub fn calibration(_p: &[f64], _y: &[bool], _n: usize) -> Vec<CalibrationBin> { vec![] }
pub fn lift_at(_s: &[f64], _y: &[bool], _f: f64) -> Option<f64> { None }
pub struct RankedScores;
impl RankedScores { pub fn new(_s: &[f64]) -> Self { Self } pub fn weighted_auc(&self, _y: &[bool], _w: &[u32]) -> Option<f64> { None } }
