//! The leakage guard and the small-data warnings.
//!
//! Columns filled in after the outcome (by sales after contact, by the CRM at
//! close) make a model look brilliant in training and score new leads badly.
//! Two signatures give them away: one column alone ranks leads almost
//! perfectly, or the column is blank almost only for one outcome (sales only
//! fill it in for the leads they worked). Either gets a warning with the
//! evidence; training goes on, because only the user knows when a column is filled in.

use leadscore_core::encode::Encoder;
use leadscore_core::metrics;
use leadscore_core::report::Warning;
use leadscore_core::table::{ColumnData, Table, MISSING_BOOL, MISSING_CODE, MISSING_DAY};

/// Default bound on a single column's AUC.
pub const DEFAULT_LEAKAGE_AUC: f64 = 0.9;
/// Rows the guard looks at, at most (an every-k-th sample beyond that).
const SAMPLE_ROWS: usize = 200_000;
/// Warn about few wins below this count.
pub const FEW_WINS: u64 = 100;
/// Warn about few rows per encoded column below this ratio.
pub const FEW_ROWS_PER_COLUMN: f64 = 10.0;
/// Warn about a rare class below this share.
pub const RARE_CLASS_SHARE: f64 = 0.02;

fn sample(rows: &[usize]) -> Vec<usize> {
    let step = rows.len().div_ceil(SAMPLE_ROWS).max(1);
    rows.iter().step_by(step).copied().collect()
}

/// Per-row score of one column alone: the value itself for numbers and dates,
/// the level's won rate for labels (so the AUC is that of the best ordering of levels).
fn single_column_scores(data: &ColumnData, rows: &[usize], labels: &[bool]) -> (Vec<f64>, Vec<bool>) {
    let level_rate = |key: &dyn Fn(usize) -> usize, n_keys: usize| {
        let mut won = vec![0u64; n_keys];
        let mut all = vec![0u64; n_keys];
        for &r in rows {
            let k = key(r);
            all[k] += 1;
            won[k] += u64::from(labels[r]);
        }
        let scores: Vec<f64> = rows.iter().map(|&r| won[key(r)] as f64 / all[key(r)] as f64).collect();
        (scores, rows.iter().map(|&r| labels[r]).collect())
    };
    match data {
        ColumnData::Numeric(v) => {
            let present: Vec<usize> = rows.iter().copied().filter(|&r| !v[r].is_nan()).collect();
            (present.iter().map(|&r| v[r]).collect(), present.iter().map(|&r| labels[r]).collect())
        }
        ColumnData::Date { days: v, .. } => {
            let present: Vec<usize> = rows.iter().copied().filter(|&r| v[r] != MISSING_DAY).collect();
            (present.iter().map(|&r| f64::from(v[r])).collect(), present.iter().map(|&r| labels[r]).collect())
        }
        ColumnData::Boolean(v) => level_rate(&|r| usize::from(v[r]), 3),
        ColumnData::Categorical { codes, dictionary } => {
            let n = dictionary.len();
            level_rate(&|r| if codes[r] == MISSING_CODE { n } else { codes[r] as usize }, n + 1)
        }
    }
}

/// Leakage warnings for the encoder's features on the training rows.
pub fn leakage_warnings(table: &Table, encoder: &Encoder, rows: &[usize], bound: f64) -> Vec<Warning> {
    let rows = sample(rows);
    let labels = &table.target;
    let n_won = rows.iter().filter(|&&r| labels[r]).count() as f64;
    let n_lost = rows.len() as f64 - n_won;
    let mut out = Vec::new();
    for feature in &encoder.features {
        let Some(column) = table.columns.iter().find(|c| c.name == feature.name) else { continue };
        let name = &feature.name;
        let (scores, ys) = single_column_scores(&column.data, &rows, labels);
        if let Some(auc) = metrics::auc(&scores, &ys) {
            let auc = auc.max(1.0 - auc);
            if auc > bound {
                out.push(Warning {
                    code: "leakage".into(),
                    feature: Some(name.clone()),
                    message: format!(
                        "`{name}` alone ranks leads with an AUC of {auc:.3} (bound {bound}): columns filled in after the outcome \
                         (by sales after contact, or by the CRM at close) look like this. If `{name}` is not known when a lead \
                         arrives, retrain with --exclude \"{name}\""
                    ),
                });
                continue;
            }
        }
        let missing = |r: &usize| match &column.data {
            ColumnData::Numeric(v) => v[*r].is_nan(),
            ColumnData::Date { days, .. } => days[*r] == MISSING_DAY,
            ColumnData::Boolean(v) => v[*r] == MISSING_BOOL,
            ColumnData::Categorical { codes, .. } => codes[*r] == MISSING_CODE,
        };
        let miss_won = rows.iter().filter(|r| labels[**r] && missing(r)).count() as f64 / n_won.max(1.0);
        let miss_lost = rows.iter().filter(|r| !labels[**r] && missing(r)).count() as f64 / n_lost.max(1.0);
        let (hi, lo) = (miss_won.max(miss_lost), miss_won.min(miss_lost));
        if hi >= 0.05 && lo <= hi / 20.0 {
            let (more, less) = if miss_won > miss_lost { ("won", "lost") } else { ("lost", "won") };
            out.push(Warning {
                code: "leakage".into(),
                feature: Some(name.clone()),
                message: format!(
                    "`{name}` is blank for {:.1}% of {more} leads but only {:.1}% of {less} leads: a field filled in only \
                     for leads that reached an outcome is a typical post-contact column. If so, retrain with --exclude \"{name}\"",
                    hi * 100.0,
                    lo * 100.0
                ),
            });
        }
    }
    out
}

/// Plain warnings about small or unbalanced data.
pub fn small_data_warnings(n_train: u64, n_won: u64, n_columns: usize) -> Vec<Warning> {
    let mut out = Vec::new();
    let share = n_won as f64 / n_train.max(1) as f64;
    if n_won < FEW_WINS {
        out.push(Warning {
            code: "few_wins".into(),
            feature: None,
            message: format!(
                "only {n_won} won leads to learn from (fewer than {FEW_WINS}): coefficients and metrics are uncertain; \
                 read the AUC interval, not the point figure"
            ),
        });
    }
    let per_column = n_train as f64 / n_columns.max(1) as f64;
    if per_column < FEW_ROWS_PER_COLUMN {
        out.push(Warning {
            code: "few_rows_per_feature".into(),
            feature: None,
            message: format!(
                "{per_column:.1} training rows per model column ({n_train} rows, {n_columns} columns): the model may overfit; \
                 raise min_count, drop features or add data"
            ),
        });
    }
    let minority = share.min(1.0 - share);
    if minority < RARE_CLASS_SHARE {
        out.push(Warning {
            code: "rare_class".into(),
            feature: None,
            message: format!("the rarer outcome is {:.2}% of leads (under {}%): expect wide intervals and a low precision at any threshold", minority * 100.0, RARE_CLASS_SHARE * 100.0),
        });
    }
    out
}
