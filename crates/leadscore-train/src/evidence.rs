//! The evidence behind each fitted term: its training leads and the standard error of its
//! weight (see `leadscore_core::evidence` for why the lists of signals need them).
//!
//! The standard errors are `sqrt(diag((Zᵀ W Z + λ I')⁻¹))` at the fitted weights, `Z` the design
//! with the intercept column, `W = p (1 - p)`, `I'` the identity without the intercept: the
//! curvature of the exact objective linfa-logistic minimises (summed log loss plus `λ/2 |w|²`),
//! whose inverse is the covariance of the Laplace approximation. The matrix is accumulated row by
//! row over each row's non-zero entries (most columns are one-hot, so a row touches a few dozen
//! of them), on every row up to [`MAX_ROWS`] and beyond that on every k-th row scaled by k (a
//! standard error needs no more precision than that), and inverted by its Cholesky factor
//! (linfa-linalg, pure Rust). Everything runs in row order on one thread: the same fit gives the
//! same bits.

use linfa_linalg::cholesky::InverseC;
use ndarray::{Array2, ArrayView1, ArrayView2};

use leadscore_core::evidence::TermEvidence;
use leadscore_core::model::{sigmoid, LogisticModel};

use crate::newton::{Dense, SparseRows};

/// Rows accumulated exactly; larger designs use a fixed stride (see the module).
pub const MAX_ROWS: usize = 250_000;
/// Widest design whose standard errors are computed (its `(p+1)²` matrix and `p³/3` Cholesky
/// take about a second at this width); wider models record their leads only.
pub const MAX_COLUMNS: usize = 1_500;

/// Each column's evidence. `present[j]` is the number of training leads where column j's
/// feature had a value (used for columns that are not 0/1); `l2` the penalty of the fit.
pub fn term_evidence(
    x: ArrayView2<'_, f64>,
    y: ArrayView1<'_, bool>,
    model: &LogisticModel,
    l2: f64,
    present: &[u64],
) -> Vec<TermEvidence> {
    term_evidence_rows(&Dense(x), x.nrows(), y, model, l2, present)
}

/// [`term_evidence`] of the design's `n` rows held as sparse rows `z` (their cells as the dense
/// design's nonzero entries, in column order: the same figures to the bit).
pub fn term_evidence_rows<R: SparseRows>(
    z: &R,
    n: usize,
    y: ArrayView1<'_, bool>,
    model: &LogisticModel,
    l2: f64,
    present: &[u64],
) -> Vec<TermEvidence> {
    let p = z.width();
    let mut ones = vec![0u64; p];
    let mut binary = vec![true; p];
    let all: Vec<usize> = (0..n).collect();
    z.each_row(&all, |_, cells| {
        for &(c, v) in cells {
            ones[c as usize] += u64::from(v == 1.0);
            binary[c as usize] &= v == 1.0;
        }
    });
    let leads: Vec<u64> =
        (0..p).map(|j| if binary[j] { ones[j] } else { present.get(j).copied().unwrap_or(n as u64) }).collect();
    let std_errors = if p <= MAX_COLUMNS && n > 0 && model.weights.len() == p && y.len() == n {
        std_errors(z, n, model, l2)
    } else {
        None
    };
    leads
        .into_iter()
        .enumerate()
        .map(|(j, leads)| TermEvidence {
            leads,
            std_error: std_errors.as_ref().and_then(|s| s.get(j).copied()).unwrap_or(f64::NAN),
        })
        .collect()
}

/// The standard error of each weight (intercept left out), or `None` when the matrix is not
/// positive definite (which a positive penalty rules out, short of rounding).
fn std_errors<R: SparseRows>(z: &R, n: usize, model: &LogisticModel, l2: f64) -> Option<Vec<f64>> {
    let p = z.width();
    let q = p + 1; // the intercept is the last column
    let stride = n.div_ceil(MAX_ROWS).max(1);
    let scale = stride as f64;
    let mut h = vec![0.0; q * q];
    let mut entries: Vec<(usize, f64)> = Vec::with_capacity(p + 1);
    let rows: Vec<usize> = (0..n).step_by(stride).collect();
    z.each_row(&rows, |_, cells| {
        entries.clear();
        let mut z = model.intercept;
        for &(j, v) in cells {
            let j = j as usize;
            entries.push((j, v));
            z += model.weights[j] * v;
        }
        entries.push((p, 1.0));
        let prob = sigmoid(z);
        let w = scale * prob * (1.0 - prob);
        for (a, &(ja, va)) in entries.iter().enumerate() {
            let wa = w * va;
            for &(jb, vb) in &entries[a..] {
                h[ja * q + jb] += wa * vb;
            }
        }
    });
    let mut m = Array2::<f64>::zeros((q, q));
    for a in 0..q {
        for b in a..q {
            m[[a, b]] = h[a * q + b];
            m[[b, a]] = h[a * q + b];
        }
        if a < p {
            m[[a, a]] += l2;
        }
    }
    let inverse = m.invc().ok()?;
    let se: Vec<f64> = (0..p).map(|j| inverse[[j, j]].max(0.0).sqrt()).collect();
    se.iter().all(|s| s.is_finite()).then_some(se)
}

#[cfg(test)]
mod tests {
    use ndarray::{Array1, ShapeBuilder};

    use super::*;

    fn design(rows: &[[f64; 2]]) -> Array2<f64> {
        let mut buf = Vec::new();
        for j in 0..2 {
            buf.extend(rows.iter().map(|r| r[j]));
        }
        Array2::from_shape_vec((rows.len(), 2).f(), buf).unwrap()
    }

    #[test]
    fn one_indicator_matches_the_hand_computed_inverse() {
        // Column 0 an indicator on 4 of 10 rows, column 1 a number; weights chosen, not fitted:
        // the formula holds at any point. Hand-computed: the 3x3 curvature and its inverse.
        let rows: Vec<[f64; 2]> = (0..10).map(|i| [f64::from(u8::from(i < 4)), f64::from(i) / 5.0 - 0.9]).collect();
        let x = design(&rows);
        let model = LogisticModel { intercept: -0.3, weights: vec![0.8, -0.5] };
        let l2 = 0.7;
        let mut h = [[0.0f64; 3]; 3];
        for r in &rows {
            let z = -0.3 + 0.8 * r[0] - 0.5 * r[1];
            let pr = 1.0 / (1.0 + (-z).exp());
            let w = pr * (1.0 - pr);
            let v = [r[0], r[1], 1.0];
            for a in 0..3 {
                for b in 0..3 {
                    h[a][b] += w * v[a] * v[b];
                }
            }
        }
        h[0][0] += l2;
        h[1][1] += l2;
        // Inverse diagonal by cofactors.
        let det = h[0][0] * (h[1][1] * h[2][2] - h[1][2] * h[2][1]) - h[0][1] * (h[1][0] * h[2][2] - h[1][2] * h[2][0])
            + h[0][2] * (h[1][0] * h[2][1] - h[1][1] * h[2][0]);
        let inv00 = (h[1][1] * h[2][2] - h[1][2] * h[2][1]) / det;
        let inv11 = (h[0][0] * h[2][2] - h[0][2] * h[2][0]) / det;
        let y = Array1::from(vec![true, false, true, false, false, true, false, false, true, false]);
        let e = term_evidence(x.view(), y.view(), &model, l2, &[10, 9]);
        assert_eq!(e[0].leads, 4, "an indicator's leads are its ones");
        assert_eq!(e[1].leads, 9, "a number's leads are the rows where it was present");
        assert!((e[0].std_error - inv00.sqrt()).abs() < 1e-12, "{} vs {}", e[0].std_error, inv00.sqrt());
        assert!((e[1].std_error - inv11.sqrt()).abs() < 1e-12, "{} vs {}", e[1].std_error, inv11.sqrt());
    }

    #[test]
    fn a_rarer_level_has_a_wider_interval() {
        // Two indicators with the same rate of won: one on 10 rows, one on 200.
        let mut rows = Vec::new();
        for i in 0..1_000 {
            rows.push([f64::from(u8::from(i < 10)), f64::from(u8::from((10..210).contains(&i)))]);
        }
        let x = design(&rows);
        let y: Array1<bool> = (0..1_000).map(|i| i % 3 == 0).collect();
        let model = LogisticModel { intercept: -0.7, weights: vec![0.0, 0.0] };
        let e = term_evidence(x.view(), y.view(), &model, 1.0, &[1_000, 1_000]);
        assert!(e[0].std_error > 3.0 * e[1].std_error, "{e:?}");
    }
}
