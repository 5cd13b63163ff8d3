//! The design matrix handed to linfa: column-major `f64`.
//!
//! Column-major on purpose: linfa-logistic computes `X w` as a matrix product
//! (layout-agnostic) but the gradient `Xᵀ r` as ndarray's matrix-vector
//! product, whose non-BLAS path walks the rows of `Xᵀ`. In column-major order
//! those rows are contiguous; in row-major order every step of that walk
//! strides across the whole matrix, which made a 1M-row fit several times
//! slower. It is also the natural order to encode a table column by column.

use ndarray::{Array2, ShapeBuilder};

use leadscore_core::encode::{Encoder, Transform};
use leadscore_core::table::Table;
use leadscore_core::Spec;

use crate::{Error, Result};

/// Memory the fit needs, checked before the design matrix is allocated: the matrix itself
/// (`rows × columns × 8` bytes) times `copies` (the matrix and each parallel cross-validation
/// fold's copy), against the memory `available` (`None`: not known, not checked). Too large
/// is an error that says the size, the memory and what to change: a categorical column with
/// 100,000 levels at `min_count = 1` once asked for a 51 GB matrix and aborted the process.
pub fn check_size(encoder: &Encoder, spec: &Spec, rows: usize, copies: u64, available: Option<u64>) -> Result<()> {
    let bytes = (rows as u128) * (encoder.n_columns as u128) * 8;
    let needed = bytes.saturating_mul(u128::from(copies.max(1)));
    // Beyond isize::MAX no allocation can succeed, whatever the machine.
    let limit = available.map_or(isize::MAX as u128, |a| u128::from(a).min(isize::MAX as u128));
    if needed <= limit {
        return Ok(());
    }
    let mut widest: Vec<(usize, String)> = encoder
        .features
        .iter()
        .filter(|f| f.width() > 100)
        .map(|f| {
            let what = match (&f.transform, spec.features.get(&f.name)) {
                (Transform::Categorical(_), Some(feature)) => {
                    format!("`{}` ({} levels at min_count = {})", f.name, f.width(), spec.min_count(feature))
                }
                _ => format!("`{}` ({} columns)", f.name, f.width()),
            };
            (f.width(), what)
        })
        .collect();
    widest.sort_by_key(|w| std::cmp::Reverse(w.0));
    let advice = if widest.is_empty() {
        "train on fewer rows".to_owned()
    } else {
        format!(
            "the widest features are {}: raise their `min_count` in the spec (rarer levels fold into `(other)`) or exclude them",
            widest.iter().take(5).map(|w| w.1.as_str()).collect::<Vec<_>>().join(", ")
        )
    };
    Err(Error::Params {
        name: "features",
        reason: format!(
            "the design matrix would be {rows} rows × {} columns = {}, {} with the cross-validation copies, more than {}; {advice}",
            encoder.n_columns,
            gigabytes(bytes),
            gigabytes(needed),
            match available {
                Some(a) => format!("the {} of memory available", gigabytes(u128::from(a))),
                None => "any machine can allocate".to_owned(),
            }
        ),
    })
}

/// `12.3 GB`.
fn gigabytes(bytes: u128) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

/// Memory the system can give without swapping (`MemAvailable` of `/proc/meminfo`); `None`
/// where that is not known.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

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
        feature.encode_column(&column.data, table.time.as_deref(), rows, block)?;
    }
    for pair in &encoder.pairs {
        let data = |k: usize| {
            let name = encoder.features.get(pair.features[k]).map_or("", |f| f.name.as_str());
            table
                .columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| &c.data)
                .ok_or_else(|| leadscore_core::Error::Spec(format!("column `{name}` is not in the table")))
        };
        let block = &mut buf[pair.offset * n..(pair.offset + pair.width()) * n];
        pair.encode_column(&encoder.features, [data(0)?, data(1)?], rows, block)?;
    }
    Array2::from_shape_vec((n, encoder.n_columns).f(), buf)
        .map_err(|e| Error::Params { name: "design matrix", reason: e.to_string() })
}

/// Mean of every column: the explanation baseline.
pub fn column_means(x: &Array2<f64>) -> Vec<f64> {
    let n = x.nrows().max(1) as f64;
    x.columns().into_iter().map(|c| c.sum() / n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use leadscore_core::spec::{FeatureSpec, Kind, TargetSpec};
    use leadscore_core::table::TableBuilder;

    /// A table with one categorical column of `levels` distinct values (one lead each).
    fn wide(levels: usize) -> (Spec, Table) {
        let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
        let mut feature = FeatureSpec::new(Kind::Categorical);
        feature.min_count = Some(1);
        spec.features.insert("company".into(), feature);
        let mut builder = TableBuilder::new(&spec);
        for i in 0..levels {
            let name = format!("c{i}");
            builder.push(&[if i % 2 == 0 { "1" } else { "0" }, &name]).unwrap();
        }
        (spec, builder.finish())
    }

    #[test]
    fn a_matrix_larger_than_memory_is_refused_with_its_size_and_the_column_to_change() {
        let (spec, table) = wide(2_000);
        let rows: Vec<usize> = (0..2_000).collect();
        let (encoder, _) = Encoder::fit(&spec, &table, &rows).unwrap();
        // 2,000 rows × ~2,000 columns × 8 bytes = 32 MB; three copies 96 MB.
        check_size(&encoder, &spec, 2_000, 3, Some(1_000_000_000)).unwrap();
        let err = check_size(&encoder, &spec, 2_000, 3, Some(50_000_000)).unwrap_err().to_string();
        assert!(err.contains("the design matrix would be 2000 rows × "), "{err}");
        assert!(err.contains("more than the 0.1 GB of memory available"), "{err}");
        assert!(err.contains("`company` (") && err.contains("levels at min_count = 1"), "{err}");
        assert!(err.contains("raise their `min_count`"), "{err}");
        // Past what any allocation can hold, whatever the machine says.
        let err = check_size(&encoder, &spec, usize::MAX / 4, 1, None).unwrap_err().to_string();
        assert!(err.contains("more than any machine can allocate"), "{err}");
    }
}
