//! The design matrix handed to linfa: column-major `f64`.
//!
//! Column-major on purpose: linfa-logistic computes `X w` as a matrix product
//! (layout-agnostic) but the gradient `Xᵀ r` as ndarray's matrix-vector
//! product, whose non-BLAS path walks the rows of `Xᵀ`. In column-major order
//! those rows are contiguous; in row-major order every step of that walk
//! strides across the whole matrix, which made a 1M-row fit several times
//! slower. It is also the natural order to encode a table column by column.

use ndarray::{Array2, ShapeBuilder};

use leadscore_core::encode::Encoder;
use leadscore_core::table::Table;

use crate::{Error, Result};

/// Encodes `rows` of `table` into an `rows.len() × encoder.n_columns` column-major matrix.
pub fn design_matrix(encoder: &Encoder, table: &Table, rows: &[usize]) -> Result<Array2<f64>> {
    let n = rows.len();
    let mut buf = vec![0.0; n * encoder.n_columns];
    for feature in &encoder.features {
        let column = table
            .columns
            .iter()
            .find(|c| c.name == feature.name)
            .ok_or_else(|| leadscore_core::Error::Spec(format!("column `{}` is not in the table", feature.name)))?;
        let block = &mut buf[feature.offset * n..(feature.offset + feature.width()) * n];
        feature.encode_column(&column.data, rows, block)?;
    }
    Array2::from_shape_vec((n, encoder.n_columns).f(), buf)
        .map_err(|e| Error::Params { name: "design matrix", reason: e.to_string() })
}

/// Mean of every column: the explanation baseline.
pub fn column_means(x: &Array2<f64>) -> Vec<f64> {
    let n = x.nrows().max(1) as f64;
    x.columns().into_iter().map(|c| c.sum() / n).collect()
}
