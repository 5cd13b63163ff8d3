//! Training parameters, validated once (`TrainParams → ValidTrainParams`), so
//! nothing unchecked reaches linfa.

use crate::cv::DEFAULT_GRID;
use crate::fit::FitOptions;
use crate::leakage::DEFAULT_LEAKAGE_AUC;
use crate::{Error, Result};

/// Fewest bootstrap replicates: below this a 95% percentile interval has no tail to stand on.
pub const MIN_BOOTSTRAP: u32 = 20;
/// Most bootstrap replicates: each one reweights every held-out lead, and past this the
/// intervals no longer move (4,000,000,000 once aborted the process allocating them).
pub const MAX_BOOTSTRAP: u32 = 100_000;
/// Longest budget of the pair or shape search: a day.
pub const MAX_PAIR_BUDGET_SECONDS: u64 = 86_400;
/// Most pair terms a model may have searched for: every pair is a grid of up to 256 columns.
pub const MAX_PAIRS: u32 = 50;
/// Training parts above this many leads are searched (penalty, shapes, pairs) on a stratified
/// sample of this many, then fitted once on every lead at the settings chosen. On every row of
/// 800,000 the searches took 13x a single fit; on this sample they choose the same shapes and
/// penalty and the held-out AUC is the same to 4 decimals (README, "What the searches cost").
/// The shared exports (about 10,000 leads) are far below it.
pub const DEFAULT_SEARCH_ROWS: usize = 50_000;
/// Smallest search sample allowed: below it the folds' figures are mostly noise.
pub const MIN_SEARCH_ROWS: usize = 1_000;

/// Checked training parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ValidTrainParams {
    /// Cross-validation folds; 0 = no cross-validation (needs a fixed `l2`).
    pub cv_folds: u32,
    /// Seed of every random choice (split, folds, bootstrap).
    pub seed: u64,
    /// A fixed L2 penalty instead of the search.
    pub l2: Option<f64>,
    /// Penalties searched by cross-validation.
    pub grid: Vec<f64>,
    /// Share of leads held out.
    pub holdout_share: f64,
    /// Single-column AUC above which a leakage warning is raised.
    pub leakage_auc: f64,
    /// Bootstrap replicates (None = by data size).
    pub bootstrap: Option<u32>,
    /// Optimiser stopping rule.
    pub tolerance_per_row: f64,
    /// Optimiser iteration cap.
    pub max_iterations: u64,
    /// Most pair terms the search keeps (0: no search).
    pub max_pairs: u32,
    /// Time the pair search may take.
    pub pair_budget: std::time::Duration,
    /// Whether the model may have pair terms at all (`false`: not even the spec's).
    pub pairs: bool,
    /// Which leads the published model is fitted on.
    pub refit: Refit,
    /// Whether `shape = "auto"` numbers are searched (`false`: they keep their starting shape).
    pub shape_search: bool,
    /// Time the shape search may take.
    pub shape_budget: std::time::Duration,
    /// Training parts above this many leads are searched on a stratified sample of this many
    /// (0: always on every lead).
    pub search_rows: usize,
}

/// Which leads the published model is fitted on (see [`leadscore_core::report::FittedOn`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Refit {
    /// Every labelled lead, with the settings the training part chose (the default: issue 13's
    /// protocol measured it at or above the fit on the training part on every export).
    #[default]
    All,
    /// The training part only, as before format 6: the published model is the judged one.
    Train,
}

/// Training parameters with defaults; call [`TrainParams::check`].
#[derive(Clone, Debug)]
pub struct TrainParams(ValidTrainParams);

impl Default for TrainParams {
    fn default() -> Self {
        let fit = FitOptions::default();
        Self(ValidTrainParams {
            cv_folds: 5,
            seed: 42,
            l2: None,
            grid: DEFAULT_GRID.to_vec(),
            holdout_share: 0.2,
            leakage_auc: DEFAULT_LEAKAGE_AUC,
            bootstrap: None,
            tolerance_per_row: fit.tolerance_per_row,
            max_iterations: fit.max_iterations,
            max_pairs: crate::pairs::DEFAULT_MAX_PAIRS,
            pair_budget: crate::pairs::DEFAULT_BUDGET,
            pairs: true,
            refit: Refit::default(),
            shape_search: true,
            shape_budget: crate::shapes::DEFAULT_BUDGET,
            search_rows: DEFAULT_SEARCH_ROWS,
        })
    }
}

impl TrainParams {
    /// Folds of the penalty search; defaults to 5, 0 turns the search off.
    pub fn cv_folds(mut self, k: u32) -> Self {
        self.0.cv_folds = k;
        self
    }
    /// Seed; defaults to 42.
    pub fn seed(mut self, seed: u64) -> Self {
        self.0.seed = seed;
        self
    }
    /// Fixes the L2 penalty (scikit-learn's `C` is `1 / l2`).
    pub fn l2(mut self, l2: Option<f64>) -> Self {
        self.0.l2 = l2;
        self
    }
    /// Bound of the leakage guard; defaults to 0.9.
    pub fn leakage_auc(mut self, bound: f64) -> Self {
        self.0.leakage_auc = bound;
        self
    }
    /// Which leads the published model is fitted on; defaults to all of them.
    pub fn refit(mut self, refit: Refit) -> Self {
        self.0.refit = refit;
        self
    }
    /// Bootstrap replicates.
    pub fn bootstrap(mut self, replicates: Option<u32>) -> Self {
        self.0.bootstrap = replicates;
        self
    }

    /// Most pair terms the search keeps; defaults to 5, 0 turns the search off.
    pub fn max_pairs(mut self, n: u32) -> Self {
        self.0.max_pairs = n;
        self
    }
    /// Time budget of the pair search, in seconds; defaults to 120.
    pub fn pair_budget(mut self, seconds: f64) -> Self {
        // Negative, NaN or huge: past the limit, refused by `check`.
        self.0.pair_budget = std::time::Duration::try_from_secs_f64(seconds).unwrap_or(std::time::Duration::MAX);
        self
    }
    /// No pair terms at all, not even those the spec names.
    pub fn no_pairs(mut self, no: bool) -> Self {
        self.0.pairs = !no;
        self
    }
    /// No shape search: `shape = "auto"` numbers keep their starting shape.
    pub fn no_shape_search(mut self, no: bool) -> Self {
        self.0.shape_search = !no;
        self
    }
    /// Time budget of the shape search, in seconds; defaults to 60.
    pub fn shape_budget(mut self, seconds: f64) -> Self {
        self.0.shape_budget = std::time::Duration::try_from_secs_f64(seconds).unwrap_or(std::time::Duration::MAX);
        self
    }
    /// Training parts above `rows` leads are searched on a stratified sample of `rows`; 0
    /// searches on every lead. Defaults to [`DEFAULT_SEARCH_ROWS`].
    pub fn search_rows(mut self, rows: usize) -> Self {
        self.0.search_rows = rows;
        self
    }

    /// Validates every parameter; errors name it and say the allowed range.
    pub fn check(self) -> Result<ValidTrainParams> {
        let p = self.0;
        let bad = |name: &'static str, reason: String| Err(Error::Params { name, reason });
        if p.cv_folds == 1 || p.cv_folds > 20 {
            return bad("cv-folds", format!("{} folds; use 0 (no search) or 2 to 20", p.cv_folds));
        }
        if let Some(l2) = p.l2 {
            if !(l2.is_finite() && l2 > 0.0) {
                return bad("l2", format!("{l2} must be a positive finite number"));
            }
        }
        if p.grid.is_empty() || p.grid.iter().any(|g| !(g.is_finite() && *g > 0.0)) {
            return bad("grid", "penalties must be positive finite numbers".into());
        }
        if !(p.holdout_share > 0.0 && p.holdout_share <= 0.5) {
            return bad("holdout", format!("{} must be in (0, 0.5]", p.holdout_share));
        }
        if !(p.leakage_auc > 0.5 && p.leakage_auc <= 1.0) {
            return bad("leakage-auc", format!("{} must be in (0.5, 1]", p.leakage_auc));
        }
        if let Some(r) = p.bootstrap {
            if !(MIN_BOOTSTRAP..=MAX_BOOTSTRAP).contains(&r) {
                return bad(
                    "bootstrap",
                    format!("{r} replicates; use {MIN_BOOTSTRAP} to {MAX_BOOTSTRAP} (the default, 1000, gives intervals to about 0.005)"),
                );
            }
        }
        if p.pair_budget.as_secs_f64() > MAX_PAIR_BUDGET_SECONDS as f64 {
            return bad(
                "pair-budget",
                format!("the pair search's budget must be 0 to {MAX_PAIR_BUDGET_SECONDS} seconds"),
            );
        }
        if p.shape_budget.as_secs_f64() > MAX_PAIR_BUDGET_SECONDS as f64 {
            return bad(
                "shape-budget",
                format!("the shape search's budget must be 0 to {MAX_PAIR_BUDGET_SECONDS} seconds"),
            );
        }
        if p.max_pairs > MAX_PAIRS {
            return bad("max-pairs", format!("{} pairs; use 0 (no search) to {MAX_PAIRS}", p.max_pairs));
        }
        if p.search_rows != 0 && p.search_rows < MIN_SEARCH_ROWS {
            return bad(
                "search-rows",
                format!("{} leads; use 0 (search on every lead) or at least {MIN_SEARCH_ROWS}", p.search_rows),
            );
        }
        if !(p.tolerance_per_row.is_finite() && p.tolerance_per_row > 0.0) || p.max_iterations == 0 {
            return bad("tolerance", "the optimiser needs a positive tolerance and iteration cap".into());
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        let p = TrainParams::default().check().unwrap();
        assert_eq!((p.cv_folds, p.seed, p.holdout_share), (5, 42, 0.2));
    }

    #[track_caller]
    fn check_bad(params: TrainParams, needle: &str) {
        let err = params.check().unwrap_err().to_string();
        assert!(err.contains(needle), "{err}");
    }

    #[test]
    fn bad_parameters_are_named() {
        check_bad(TrainParams::default().cv_folds(1), "`cv-folds`");
        check_bad(TrainParams::default().l2(Some(-1.0)), "`l2`");
        check_bad(TrainParams::default().l2(Some(f64::NAN)), "`l2`");
        check_bad(TrainParams::default().leakage_auc(0.3), "`leakage-auc`");
        check_bad(
            TrainParams::default().bootstrap(Some(4_000_000_000)),
            "`bootstrap`: 4000000000 replicates; use 20 to 100000",
        );
        check_bad(TrainParams::default().bootstrap(Some(0)), "`bootstrap`");
        assert!(TrainParams::default().bootstrap(Some(MAX_BOOTSTRAP)).check().is_ok());
        check_bad(
            TrainParams::default().pair_budget(-1.0),
            "`pair-budget`: the pair search's budget must be 0 to 86400",
        );
        check_bad(TrainParams::default().pair_budget(f64::NAN), "`pair-budget`");
        check_bad(TrainParams::default().pair_budget(1e9), "`pair-budget`");
        check_bad(TrainParams::default().max_pairs(51), "`max-pairs`: 51 pairs; use 0 (no search) to 50");
        check_bad(
            TrainParams::default().shape_budget(-1.0),
            "`shape-budget`: the shape search's budget must be 0 to 86400",
        );
        let p = TrainParams::default().shape_budget(1.5).no_shape_search(true).check().unwrap();
        assert_eq!((p.shape_budget.as_millis(), p.shape_search), (1500, false));
        check_bad(
            TrainParams::default().search_rows(999),
            "`search-rows`: 999 leads; use 0 (search on every lead) or at least 1000",
        );
        assert_eq!(TrainParams::default().search_rows(0).check().unwrap().search_rows, 0);
        assert_eq!(TrainParams::default().check().unwrap().search_rows, DEFAULT_SEARCH_ROWS);
        let p = TrainParams::default().pair_budget(2.5).max_pairs(0).no_pairs(true).check().unwrap();
        assert_eq!((p.pair_budget.as_millis(), p.max_pairs, p.pairs), (2500, 0, false));
    }
}
