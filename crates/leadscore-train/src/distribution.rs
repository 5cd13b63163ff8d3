//! Per-feature training distributions, stored in the artifact for drift checks.

use leadscore_core::encode::{Encoder, FeatureEncoder, Transform};
use leadscore_core::report::{DistributionSummary, FeatureDistribution};
use leadscore_core::table::{ColumnData, Table, MISSING_BOOL, MISSING_DAY};

const SAMPLE_ROWS: usize = 200_000;

fn deciles(mut values: Vec<f64>) -> DistributionSummary {
    values.sort_by(f64::total_cmp);
    let mean = if values.is_empty() { 0.0 } else { values.iter().sum::<f64>() / values.len() as f64 };
    let deciles =
        if values.is_empty() { Vec::new() } else { (0..=10).map(|q| values[((values.len() - 1) * q) / 10]).collect() };
    DistributionSummary::Numeric { deciles, mean }
}

fn one(feature: &FeatureEncoder, data: &ColumnData, time: Option<&[i32]>, rows: &[usize]) -> FeatureDistribution {
    let n = rows.len().max(1) as f64;
    let (missing, summary) = match (data, &feature.transform) {
        (ColumnData::Numeric(v), _) => {
            let present: Vec<f64> = rows.iter().map(|&r| v[r]).filter(|x| !x.is_nan()).collect();
            (rows.len() - present.len(), deciles(present))
        }
        // A date without an age (only its parts): no distribution to compare live ages with.
        (ColumnData::Date { days, .. }, Transform::Date(d)) if d.age.is_none() => {
            let missing = rows.iter().filter(|&&r| days[r] == MISSING_DAY).count();
            (missing, DistributionSummary::Levels { shares: Vec::new() })
        }
        // Ages as the encoder measures them; a date whose lead has no time counts as missing.
        (ColumnData::Date { days, .. }, Transform::Date(d)) => {
            let present: Vec<f64> = rows
                .iter()
                .filter_map(|&r| {
                    let day = (days[r] != MISSING_DAY).then_some(days[r]);
                    d.age_of(day, time.map(|t| t[r]))
                })
                .collect();
            (rows.len() - present.len(), deciles(present))
        }
        (ColumnData::Boolean(v), _) => {
            let present: Vec<u8> = rows.iter().map(|&r| v[r]).filter(|x| *x != MISSING_BOOL).collect();
            let yes = present.iter().filter(|x| **x == 1).count() as f64;
            (rows.len() - present.len(), DistributionSummary::Boolean { true_share: yes / present.len().max(1) as f64 })
        }
        (data @ ColumnData::Categorical { .. }, Transform::Categorical(c)) => {
            // Shares of the encoded levels, read through the encoder itself.
            let mut block = vec![0.0; rows.len() * c.levels.len()];
            let _ = feature.encode_column(data, time, rows, &mut block);
            let shares = c
                .levels
                .iter()
                .enumerate()
                .map(|(l, name)| (name.clone(), block[l * rows.len()..(l + 1) * rows.len()].iter().sum::<f64>() / n))
                .collect();
            let missing = rows.iter().filter(|&&r| data.is_missing(r)).count();
            (missing, DistributionSummary::Levels { shares })
        }
        _ => (0, DistributionSummary::Levels { shares: Vec::new() }),
    };
    FeatureDistribution { feature: feature.name.clone(), missing_rate: missing as f64 / n, summary }
}

/// Distributions of every encoded feature over (a sample of) the training rows.
pub fn distributions(table: &Table, encoder: &Encoder, rows: &[usize]) -> Vec<FeatureDistribution> {
    let step = rows.len().div_ceil(SAMPLE_ROWS).max(1);
    let rows: Vec<usize> = rows.iter().step_by(step).copied().collect();
    encoder
        .features
        .iter()
        .filter_map(|f| {
            table.columns.iter().find(|c| c.name == f.name).map(|c| one(f, &c.data, table.time.as_deref(), &rows))
        })
        .collect()
}
