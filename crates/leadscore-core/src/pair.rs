//! Pair terms: where two features together say more than each does alone.
//!
//! A campaign wave is a month and a day of the month; a page value means one
//! thing on a visit that bounced and another on one that did not. A pair term
//! is a grid over two features' values (level × level, bin × bin, level ×
//! bin, yes/no × anything) with one model weight per cell: the lead's cell is
//! one more one-hot group of encoded columns, placed after every feature's.
//! So the model stays one logistic regression over named columns, and scoring
//! stays a sum of exact products: the lookup scorer, the SQL export and the
//! points table read a pair the way they read a one-hot feature.
//!
//! An axis reads its feature with the feature's own readers: a categorical's
//! slots (its kept levels, `(missing)`, `(other)`; a level never seen in
//! training has no cell and the pair adds nothing, as its one-hot does), a
//! yes/no's answers, a number's bins on the raw scale. Bins are cut on the
//! raw value so that a SQL engine decides the bin on the same double the CLI
//! does. A date is not an axis: its age may be measured at each lead's own
//! time, and its month and weekday are parts of one feature, not features.

use serde::{Deserialize, Serialize};

use crate::encode::{FeatureEncoder, Slot, Transform, MISSING};
use crate::table::{read, ColumnData, MISSING_BOOL, MISSING_CODE};
use crate::value::{MissingTokens, RawValue};
use crate::{Error, Result};

/// Between the two feature names of a pair: `month × day_of_month`.
pub const TIMES: &str = " × ";

/// Most cells of one pair term: a wider grid spreads the leads too thin for
/// its weights to mean anything, and every cell is a column of the fit and a
/// rule of the points table.
pub const MAX_CELLS: usize = 256;

/// The cell index of a row without a cell (a level never seen in training).
pub const NO_CELL: u32 = u32::MAX;

/// One pair term of an encoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairTerm {
    /// `first × second`, as explanations and the card name it.
    pub name: String,
    /// The two features, as indices into [`crate::encode::Encoder::features`], first < second.
    pub features: [usize; 2],
    /// How each feature's value picks its row (first) and column (second) of the grid.
    pub axes: [Axis; 2],
    /// First encoded column; cell `(i, j)` is column `offset + i * axes[1].len() + j`.
    pub offset: usize,
}

/// How one feature's value picks a row or column of a pair's grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Axis {
    /// A categorical: one cell per slot of its encoder (`n` levels, `(missing)` and `(other)`
    /// included). A level never seen in training has no cell.
    Levels {
        /// The categorical encoder's number of levels.
        n: usize,
    },
    /// A yes/no: no, yes, then `(missing)` when it has its own cell.
    Flag {
        /// Where a missing answer goes.
        missing: MissingCell,
    },
    /// A number: bin `k` holds `cuts[k-1] <= x < cuts[k]` on the raw
    /// scale, then `(missing)` when it has its own cell.
    Bins {
        /// Ascending interior cut points.
        cuts: Vec<f64>,
        /// Where a missing value goes.
        missing: MissingCell,
    },
}

/// Where an axis puts a missing value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MissingCell {
    /// Its own cell, the axis's last: training had missing values.
    Own,
    /// The cell of this value (training had none missing: the cell of the value the encoder imputes).
    Shares(usize),
}

/// A feature's value as an axis reads it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum AxisValue {
    /// A categorical's slot; `None`: no slot (never seen, or missing without a missing level).
    Slot(Option<usize>),
    /// A yes/no.
    Flag(Option<bool>),
    /// A number, or a date's age in days.
    Number(Option<f64>),
}

impl MissingCell {
    fn cell(self, own: usize) -> usize {
        match self {
            MissingCell::Own => own,
            MissingCell::Shares(i) => i,
        }
    }
}

impl Axis {
    /// Number of cells.
    pub fn len(&self) -> usize {
        match self {
            Axis::Levels { n } => *n,
            Axis::Flag { missing } => 2 + usize::from(*missing == MissingCell::Own),
            Axis::Bins { cuts, missing } => cuts.len() + 1 + usize::from(*missing == MissingCell::Own),
        }
    }

    /// Whether the axis has no cell (never true of a valid axis).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The cell of a value; `None` when it has none.
    pub fn cell(&self, value: AxisValue) -> Option<usize> {
        match (self, value) {
            (Axis::Levels { n }, AxisValue::Slot(slot)) => slot.filter(|s| s < n),
            (Axis::Flag { missing }, AxisValue::Flag(flag)) => Some(flag.map_or_else(|| missing.cell(2), usize::from)),
            (Axis::Bins { cuts, missing }, AxisValue::Number(x)) => {
                Some(x.map_or_else(|| missing.cell(cuts.len() + 1), |x| cuts.partition_point(|c| *c <= x)))
            }
            _ => None,
        }
    }

    /// The label of each cell, for column names and heat maps.
    pub fn labels(&self, feature: &FeatureEncoder) -> Vec<String> {
        match (self, &feature.transform) {
            (Axis::Levels { .. }, Transform::Categorical(c)) => c.levels.clone(),
            (Axis::Flag { missing }, _) => {
                let mut out = vec!["no".to_owned(), "yes".to_owned()];
                if *missing == MissingCell::Own {
                    out.push(MISSING.to_owned());
                }
                out
            }
            (Axis::Bins { cuts, missing }, _) => {
                let show = |x: f64| format!("{}", (x * 1000.0).round() / 1000.0);
                let mut out: Vec<String> = (0..=cuts.len())
                    .map(|b| {
                        let lo = if b == 0 { "-inf".to_owned() } else { show(cuts[b - 1]) };
                        let hi = if b == cuts.len() { "inf".to_owned() } else { show(cuts[b]) };
                        format!("[{lo}, {hi})")
                    })
                    .collect();
                if *missing == MissingCell::Own {
                    out.push(MISSING.to_owned());
                }
                out
            }
            (Axis::Levels { n }, _) => (0..*n).map(|i| i.to_string()).collect(),
        }
    }

    /// Whether the axis fits the feature (kind, level count, cuts, missing cell).
    fn check(&self, feature: &FeatureEncoder) -> std::result::Result<(), String> {
        match (self, &feature.transform) {
            (Axis::Levels { n }, Transform::Categorical(c)) if *n == c.levels.len() => Ok(()),
            (Axis::Levels { n }, Transform::Categorical(c)) => {
                Err(format!("{n} levels on an axis over a feature of {}", c.levels.len()))
            }
            (Axis::Flag { missing }, Transform::Boolean(_)) => match missing {
                MissingCell::Shares(i) if *i > 1 => Err(format!("a missing answer goes to cell {i} of 2")),
                _ => Ok(()),
            },
            (Axis::Bins { cuts, missing }, Transform::Numeric(_)) => {
                if cuts.iter().any(|c| !c.is_finite()) || cuts.windows(2).any(|w| w[0] >= w[1]) {
                    return Err("bin cuts are not finite and ascending".into());
                }
                match missing {
                    MissingCell::Shares(i) if *i > cuts.len() => {
                        Err(format!("a missing value goes to bin {i} of {}", cuts.len() + 1))
                    }
                    _ => Ok(()),
                }
            }
            (_, t) => Err(format!("the axis does not read a {} feature", t.kind().as_str())),
        }
    }
}

/// A feature's value, read from a raw cell with the feature's own readers.
pub fn read_value(feature: &FeatureEncoder, raw: RawValue<'_>, missing: &MissingTokens) -> Result<AxisValue> {
    let name = feature.name.as_str();
    Ok(match &feature.transform {
        Transform::Categorical(c) => AxisValue::Slot(match c.read(raw, missing).0 {
            Slot::Level(l) => Some(l),
            Slot::Unseen | Slot::Missing => None,
        }),
        Transform::Boolean(_) => AxisValue::Flag(read::boolean(raw, missing, name)?),
        Transform::Numeric(_) => AxisValue::Number(read::number(raw, missing, name)?),
        Transform::Date(_) => {
            return Err(Error::Artifact(format!("date feature `{name}` is not an axis of a pair term")))
        }
    })
}

/// Every row's value of a training column, as [`read_value`] reads a cell of it.
pub fn column_values(feature: &FeatureEncoder, data: &ColumnData, rows: &[usize]) -> Result<Vec<AxisValue>> {
    Ok(match (&feature.transform, data) {
        (Transform::Categorical(c), ColumnData::Categorical { codes, dictionary }) => {
            // Each dictionary entry resolved once through the scorer's own `slot`.
            let slot = |s: Slot| match s {
                Slot::Level(l) => Some(l),
                Slot::Unseen | Slot::Missing => None,
            };
            let slots: Vec<Option<usize>> = dictionary.iter().map(|level| slot(c.slot(Some(level)))).collect();
            let missing = slot(c.slot(None));
            rows.iter()
                .map(|&r| {
                    let code = codes[r];
                    AxisValue::Slot(if code == MISSING_CODE {
                        missing
                    } else {
                        slots.get(code as usize).copied().flatten()
                    })
                })
                .collect()
        }
        (Transform::Boolean(_), ColumnData::Boolean(values)) => {
            rows.iter().map(|&r| AxisValue::Flag((values[r] != MISSING_BOOL).then_some(values[r] == 1))).collect()
        }
        (Transform::Numeric(_), ColumnData::Numeric(values)) => {
            rows.iter().map(|&r| AxisValue::Number(Some(values[r]).filter(|v| !v.is_nan()))).collect()
        }
        (t, _) => {
            return Err(Error::Spec(format!("column `{}` does not hold {} data", feature.name, t.kind().as_str())))
        }
    })
}

impl PairTerm {
    /// The pair of `features[first]` and `features[second]` read through `axes`, its columns
    /// starting at `offset`; refused when an axis does not fit its feature or the grid is wider
    /// than [`MAX_CELLS`].
    pub fn new(features: &[FeatureEncoder], pair: [usize; 2], axes: [Axis; 2], offset: usize) -> Result<PairTerm> {
        let name = match (features.get(pair[0]), features.get(pair[1])) {
            (Some(a), Some(b)) => format!("{}{TIMES}{}", a.name, b.name),
            _ => {
                return Err(Error::Artifact(format!(
                    "pair term over features {} and {} of {}",
                    pair[0],
                    pair[1],
                    features.len()
                )))
            }
        };
        let term = PairTerm { name, features: pair, axes, offset };
        term.validate(features)?;
        Ok(term)
    }

    /// Encoded width: one column per cell.
    pub fn width(&self) -> usize {
        self.axes[0].len() * self.axes[1].len()
    }

    /// The cell of two values (`None`: no cell, all columns zero).
    pub fn cell(&self, values: [AxisValue; 2]) -> Option<usize> {
        let i = self.axes[0].cell(values[0])?;
        let j = self.axes[1].cell(values[1])?;
        Some(i * self.axes[1].len() + j)
    }

    /// Writes the one-hot block of a cell through `set(column, value)`.
    pub(crate) fn write(&self, cell: Option<usize>, mut set: impl FnMut(usize, f64)) {
        for c in 0..self.width() {
            set(c, if Some(c) == cell { 1.0 } else { 0.0 });
        }
    }

    /// The two features' values of a lead, read from its raw cells.
    pub fn read(
        &self,
        features: &[FeatureEncoder],
        raw: [RawValue<'_>; 2],
        missing: &MissingTokens,
    ) -> Result<[AxisValue; 2]> {
        let feature = |k: usize| {
            features
                .get(self.features[k])
                .ok_or_else(|| Error::Artifact(format!("pair `{}` has no feature", self.name)))
        };
        Ok([read_value(feature(0)?, raw[0], missing)?, read_value(feature(1)?, raw[1], missing)?])
    }

    /// Encodes a lead's two raw cells into `out` (this pair's `width()` columns).
    pub fn encode_value(
        &self,
        features: &[FeatureEncoder],
        raw: [RawValue<'_>; 2],
        missing: &MissingTokens,
        out: &mut [f64],
    ) -> Result<()> {
        let cell = self.cell(self.read(features, raw, missing)?);
        self.write(cell, |c, v| {
            if let Some(x) = out.get_mut(c) {
                *x = v;
            }
        });
        Ok(())
    }

    /// The cell of every row of two training columns ([`NO_CELL`] for none), read as
    /// [`PairTerm::encode_value`] reads one lead.
    pub fn column_cells(
        &self,
        features: &[FeatureEncoder],
        data: [&ColumnData; 2],
        rows: &[usize],
    ) -> Result<Vec<u32>> {
        let values = |k: usize| -> Result<Vec<AxisValue>> {
            let feature = features
                .get(self.features[k])
                .ok_or_else(|| Error::Artifact(format!("pair `{}` has no feature", self.name)))?;
            column_values(feature, data[k], rows)
        };
        let (a, b) = (values(0)?, values(1)?);
        Ok(a.into_iter().zip(b).map(|(a, b)| self.cell([a, b]).map_or(NO_CELL, |c| c as u32)).collect())
    }

    /// Encodes `rows` of two training columns into a column-major block: cell `c` goes to
    /// `out[c * rows.len()..(c + 1) * rows.len()]`.
    pub fn encode_column(
        &self,
        features: &[FeatureEncoder],
        data: [&ColumnData; 2],
        rows: &[usize],
        out: &mut [f64],
    ) -> Result<()> {
        let n = rows.len();
        for (i, cell) in self.column_cells(features, data, rows)?.into_iter().enumerate() {
            let cell = (cell != NO_CELL).then_some(cell as usize);
            self.write(cell, |c, x| {
                if let Some(slot) = out.get_mut(c * n + i) {
                    *slot = x;
                }
            });
        }
        Ok(())
    }

    /// The labels of each axis's cells.
    pub fn labels(&self, features: &[FeatureEncoder]) -> [Vec<String>; 2] {
        let labels = |k: usize| features.get(self.features[k]).map_or_else(Vec::new, |f| self.axes[k].labels(f));
        [labels(0), labels(1)]
    }

    /// Names of this pair's columns: `month × day = may, [10, 20)`.
    pub fn column_names(&self, features: &[FeatureEncoder]) -> Vec<String> {
        let [rows, cols] = self.labels(features);
        rows.iter().flat_map(|r| cols.iter().map(move |c| format!("{} = {r}, {c}", self.name))).collect()
    }

    /// Checks the pair against the encoder's features: indices in order, axes fitting their
    /// features, a grid within [`MAX_CELLS`], the name its features give.
    pub fn validate(&self, features: &[FeatureEncoder]) -> Result<()> {
        let bad = |why: String| Err(Error::Artifact(format!("pair term `{}`: {why}", self.name)));
        let [a, b] = self.features;
        if a >= b || b >= features.len() {
            return bad(format!("features {a} and {b} of {} (the first must come first)", features.len()));
        }
        for k in 0..2 {
            if let Err(why) = self.axes[k].check(&features[self.features[k]]) {
                return bad(format!("`{}`: {why}", features[self.features[k]].name));
            }
        }
        if self.axes.iter().any(|a| a.len() < 2) || self.width() > MAX_CELLS {
            return bad(format!("a grid of {} × {} cells", self.axes[0].len(), self.axes[1].len()));
        }
        let name = format!("{}{TIMES}{}", features[a].name, features[b].name);
        if self.name != name {
            return bad(format!("named for `{name}`"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{artifact_with_pairs, spec, table};

    fn lead<'a>(demo: &'a str, source: &'a str, visits: &'a str) -> impl FnMut(&str) -> RawValue<'a> {
        move |name| {
            RawValue::Text(match name {
                "demo" => demo,
                "source" => source,
                "visits" => visits,
                _ => "",
            })
        }
    }

    /// The pair columns of a lead, as `(pair, cell)` of the one column set.
    #[track_caller]
    fn check(demo: &str, source: &str, visits: &str, expected: [Option<usize>; 2]) {
        let a = artifact_with_pairs();
        let (row, _) = a.encoder.encode(lead(demo, source, visits)).unwrap();
        for (pair, cell) in a.encoder.pairs.iter().zip(expected) {
            let block = &row[pair.offset..pair.offset + pair.width()];
            let set: Vec<usize> = (0..block.len()).filter(|&c| block[c] == 1.0).collect();
            assert!(block.iter().all(|x| *x == 0.0 || *x == 1.0), "{block:?}");
            assert_eq!(set, cell.into_iter().collect::<Vec<_>>(), "{}", pair.name);
        }
    }

    #[test]
    fn cells_are_worked_out_by_hand() {
        // demo × source: row (no 0, yes 1, missing 2) × 3 + column (google 0, referral 1, other 2);
        // source × visits: row × 4 + bin (< 2: 0, [2, 4): 1, >= 4: 2, missing: 3).
        check("yes", " Referral", "4", [Some(4), Some(6)]);
        check("no", "google", "3.99", [Some(0), Some(1)]);
        check("", "fair", "1", [Some(8), Some(8)]);
        check("n", "fair", "", [Some(2), Some(11)]);
        // A level never seen in training has no cell in either pair; a cut value goes above it.
        check("yes", "TikTok", "2", [None, None]);
    }

    #[test]
    fn names_say_both_features_and_each_cell() {
        let a = artifact_with_pairs();
        let names = a.encoder.column_names();
        assert_eq!(names.len(), 28);
        assert_eq!(a.encoder.pairs[0].name, "demo × source");
        assert_eq!(names[7], "demo × source = no, google");
        assert_eq!(names[15], "demo × source = (missing), (other)");
        assert_eq!(names[16], "source × visits = google, [-inf, 2)");
        assert_eq!(names[18], "source × visits = google, [4, inf)");
        assert_eq!(names[27], "source × visits = (other), (missing)");
    }

    #[test]
    fn column_and_single_paths_agree() {
        let spec = spec();
        let table = table(&spec);
        let a = artifact_with_pairs();
        let rows = [4usize, 0, 2, 3, 1];
        let n = rows.len();
        let mut block = vec![f64::NAN; a.encoder.n_columns * n];
        for (f, col) in a.encoder.features.iter().zip(&table.columns) {
            f.encode_column(&col.data, None, &rows, &mut block[f.offset * n..(f.offset + f.width()) * n]).unwrap();
        }
        for pair in &a.encoder.pairs {
            let data = [&table.columns[pair.features[0]].data, &table.columns[pair.features[1]].data];
            let out = &mut block[pair.offset * n..(pair.offset + pair.width()) * n];
            pair.encode_column(&a.encoder.features, data, &rows, out).unwrap();
        }
        let cells = [
            ["yes", "Google", "1"],
            ["no", "google", "3"],
            ["no", "Referral", ""],
            ["yes", "referral", "5"],
            ["", "Fair", "3"],
        ];
        for (i, &r) in rows.iter().enumerate() {
            let [demo, source, visits] = cells[r];
            let (single, _) = a.encoder.encode(lead(demo, source, visits)).unwrap();
            let from_block: Vec<f64> = (0..a.encoder.n_columns).map(|c| block[c * n + i]).collect();
            assert_eq!(single, from_block, "row {r}");
        }
    }

    #[track_caller]
    fn refused(pair: [usize; 2], axes: [Axis; 2], needle: &str) {
        let a = crate::testing::artifact();
        let err = PairTerm::new(&a.encoder.features, pair, axes, 7).unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }

    #[test]
    fn pairs_that_do_not_fit_their_features_are_refused() {
        let flag = || Axis::Flag { missing: MissingCell::Own };
        let bins = |cuts: Vec<f64>| Axis::Bins { cuts, missing: MissingCell::Own };
        refused([1, 0], [Axis::Levels { n: 3 }, flag()], "the first must come first");
        refused([0, 3], [flag(), flag()], "features 0 and 3 of 3");
        refused([0, 1], [flag(), Axis::Levels { n: 4 }], "`source`: 4 levels on an axis over a feature of 3");
        refused([0, 2], [Axis::Levels { n: 3 }, bins(vec![1.0])], "`demo`: the axis does not read a boolean feature");
        refused([1, 2], [Axis::Levels { n: 3 }, bins(vec![2.0, 2.0])], "not finite and ascending");
        refused([1, 2], [Axis::Levels { n: 3 }, bins(vec![f64::NAN])], "not finite and ascending");
        let many: Vec<f64> = (0..100).map(f64::from).collect();
        refused([1, 2], [Axis::Levels { n: 3 }, bins(many)], "a grid of 3 × 102 cells");
        refused(
            [1, 2],
            [Axis::Levels { n: 3 }, Axis::Bins { cuts: vec![1.0], missing: MissingCell::Shares(2) }],
            "a missing value goes to bin 2 of 2",
        );
        let mut a = artifact_with_pairs();
        a.encoder.pairs[1].name = "visits × source".into();
        assert!(a.validate().unwrap_err().to_string().contains("named for `source × visits`"));
        let mut a = artifact_with_pairs();
        a.encoder.pairs[1].offset += 1;
        assert!(a.validate().unwrap_err().to_string().contains("starts at column 17 instead of 16"));
    }
}
