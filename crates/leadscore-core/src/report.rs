//! What a training run measured, as stored in the artifact and the model card.
//!
//! Plain data: the trainer fills it in, `inspect`, the card and (later) the
//! server read it. Nothing here computes.

use serde::{Deserialize, Serialize};

use crate::metrics::CalibrationBin;
use crate::spec::Shape;

/// A two-sided confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
    /// Coverage, e.g. 0.95.
    pub level: f64,
}

/// Metrics of the model on a labelled set it was not fitted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Leads evaluated.
    pub n_rows: u64,
    /// Won leads among them.
    pub n_positives: u64,
    /// Area under the ROC curve (None when one class is absent).
    pub auc: Option<f64>,
    /// Bootstrap interval of the AUC.
    pub auc_ci: Option<Interval>,
    /// Mean log loss.
    pub log_loss: f64,
    /// Brier score (mean squared error of the probability).
    pub brier: f64,
    /// Average precision.
    pub average_precision: Option<f64>,
    /// Won rate of the top 10% by score over the overall won rate.
    pub lift_top_decile: Option<f64>,
    /// Bootstrap interval of that lift.
    pub lift_ci: Option<Interval>,
    /// Reliability table: predicted vs observed won rate per probability bin.
    pub calibration: Vec<CalibrationBin>,
}

/// Cross-validated figures at the chosen regularisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CvSummary {
    /// Number of folds.
    pub folds: u32,
    /// AUC of the pooled out-of-fold predictions.
    pub auc: Option<f64>,
    /// Mean log loss of the out-of-fold predictions.
    pub log_loss: f64,
    /// Brier score of the out-of-fold predictions.
    pub brier: f64,
}

/// One point of the regularisation search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridPoint {
    /// L2 penalty (linfa's `alpha`; scikit-learn's `C` is `1 / l2`).
    pub l2: f64,
    /// Out-of-fold log loss.
    pub cv_log_loss: f64,
    /// Out-of-fold AUC.
    pub cv_auc: Option<f64>,
}

/// The chosen regularisation and how it was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regularisation {
    /// The L2 penalty of the shipped model.
    pub l2: f64,
    /// The cross-validation grid (empty when the penalty was fixed by the user).
    pub grid: Vec<GridPoint>,
}

/// How the held-out set was chosen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Holdout {
    /// The newest leads by the spec's time column: how a retrained model meets the future.
    Newest {
        /// The time column.
        column: String,
        /// Held-out leads are on or after this date.
        from: String,
    },
    /// A stratified random share.
    Stratified {
        /// The seed of the split.
        seed: u64,
    },
}

/// Where the model came from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    /// Labelled leads read.
    pub n_rows: u64,
    /// Won leads among them.
    pub n_positives: u64,
    /// Leads the model was fitted on.
    pub n_train: u64,
    /// Leads held out for evaluation.
    pub n_holdout: u64,
    /// How the held-out set was chosen.
    pub holdout: Holdout,
    /// Oldest and newest date of the time column, when there is one.
    pub date_range: Option<(String, String)>,
    /// SHA-256 of the data cells used (see [`crate::table::Table::data_hash`]).
    pub data_hash: String,
    /// Seed of every random choice.
    pub seed: u64,
    /// Version of leadscore that trained the model.
    pub leadscore_version: String,
}

/// Which leads the published model was fitted on, and so which model the held-out figures
/// describe (format 5; older models are all [`FittedOn::TrainingPart`]).
///
/// Why a refit exists: the held-out part is there to judge the settings (encoder, penalty) chosen
/// on the training part, once. After that, leaving a fifth of the labelled leads out of the
/// published model costs it what they would have taught (0.0002-0.005 AUC under issue 13's
/// protocol), so by default the same settings are fitted again on every labelled lead. That
/// refit has no unseen leads left to judge it on: the figures stay those of the fit on the
/// training part, kept as `evaluated` so that every held-out comparison (`compare --holdout`,
/// the retraining gate) still scores leads the judged model never saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FittedOn {
    /// The training part only: the held-out figures describe the published model itself.
    TrainingPart,
    /// Every labelled lead ([`TrainingSummary::n_rows`]), with the encoder and penalty the
    /// training part chose. The held-out figures, curve, thresholds and tiers describe
    /// `evaluated`, the fit on the training part.
    AllRows {
        /// The fit on the training part: what the held-out figures describe.
        evaluated: crate::model::LogisticModel,
    },
}

impl FittedOn {
    /// One line for cards and reports: which model the figures describe.
    pub fn describe(&self, training: &TrainingSummary) -> String {
        match self {
            FittedOn::TrainingPart => format!(
                "fitted on the training part ({} leads); the held-out figures describe this model",
                training.n_train
            ),
            FittedOn::AllRows { .. } => format!(
                "refit on all {} labelled leads with the settings chosen on the training part; the held-out \
                 figures describe the fit on the training part ({} leads), judged on the {} leads it never saw",
                training.n_rows, training.n_train, training.n_holdout
            ),
        }
    }
}

/// A feature's training distribution, kept for drift checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeatureDistribution {
    /// Source column.
    pub feature: String,
    /// Share of training rows where it was missing.
    pub missing_rate: f64,
    /// Shape of the present values.
    pub summary: DistributionSummary,
}

/// Shape of a feature's present values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DistributionSummary {
    /// Deciles (0%, 10%, ..., 100%) and mean of the raw values (dates: ages in days).
    Numeric {
        /// 11 quantiles.
        deciles: Vec<f64>,
        /// Mean.
        mean: f64,
    },
    /// Share of each encoded level.
    Levels {
        /// (level, share) in encoder order.
        shares: Vec<(String, f64)>,
    },
    /// Share of `true` among present values.
    Boolean {
        /// Share of yes.
        true_share: f64,
    },
}

/// Something the user should know about the data or the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// Stable code: `leakage`, `few_wins`, `rare_class`, `few_rows_per_feature`, `dropped_feature`.
    pub code: String,
    /// The column concerned, if any.
    pub feature: Option<String>,
    /// Plain-English explanation with the evidence.
    pub message: String,
}

/// What the pair search tried and kept (see `leadscore-train`'s `pairs`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairSearch {
    /// Pairs of features FAST ranked (those whose grid fits [`crate::pair::MAX_CELLS`]).
    pub n_ranked: u64,
    /// Training rows FAST ranked them on (a fixed subsample of large data).
    pub n_rank_rows: u64,
    /// Pooled out-of-fold log loss of the model before the search's pairs.
    pub base_log_loss: f64,
    /// Pooled out-of-fold log loss with the pairs kept.
    pub log_loss: f64,
    /// The smallest improvement a pair had to bring (nats per lead).
    pub min_gain: f64,
    /// Candidates tried, in FAST order.
    pub candidates: Vec<PairCandidate>,
    /// Why the search stopped, in words.
    pub stopped: String,
    /// Whether the time budget stopped it (then the pairs depend on the machine's speed).
    pub out_of_time: bool,
}

/// What the shape search tried and chose for each `shape = "auto"` number (see
/// `leadscore-train`'s `shapes`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeSearch {
    /// Pooled out-of-fold log loss of the model with every searched number at its starting
    /// shape (the draft's rule: `log1p` when skewed, bins with 20 or more distinct values).
    pub base_log_loss: f64,
    /// Pooled out-of-fold log loss with the shapes chosen, each fitted on the others' folds.
    pub log_loss: f64,
    /// The improvement per added column a richer shape had to bring (nats per lead).
    pub min_gain: f64,
    /// Each searched number, in the model's order.
    pub features: Vec<ShapeChoice>,
    /// Why the search stopped, in words.
    pub stopped: String,
    /// Whether the time budget stopped it (the rest kept their starting shape).
    pub out_of_time: bool,
}

/// One number's shapes as the search judged them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeChoice {
    /// The feature.
    pub feature: String,
    /// Its shape before the search.
    pub start: Shape,
    /// The shape the model has.
    pub chosen: Shape,
    /// Every shape tried, simplest first.
    pub candidates: Vec<ShapeCandidate>,
    /// Why it won, in words.
    pub why: String,
}

impl ShapeChoice {
    /// The choice in one line: `log1p (from log1p_bins; linear 0.28530, log1p 0.28525, ...): why`.
    pub fn describe(&self) -> String {
        let tried: Vec<String> =
            self.candidates.iter().map(|c| format!("{} {:.5}", c.shape.as_str(), c.log_loss)).collect();
        format!(
            "{} (from {}; out-of-fold log loss {}): {}",
            self.chosen.as_str(),
            self.start.as_str(),
            tried.join(", "),
            self.why
        )
    }
}

/// One shape of one number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeCandidate {
    /// The shape.
    pub shape: Shape,
    /// Its encoded columns.
    pub columns: u32,
    /// Pooled out-of-fold log loss of the model with the number in this shape (nats per lead).
    pub log_loss: f64,
}

/// One pair the search tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PairCandidate {
    /// The two features, in the model's order.
    pub features: [String; 2],
    /// FAST's score: the log loss a pair term on the additive model's residuals would remove
    /// beyond what the two features' own terms could, less what noise would show, in nats
    /// summed over the ranked rows.
    pub fast_gain: f64,
    /// In how many cross-validation folds the ranking on the other folds picked it (in the
    /// others it adds nothing to the out-of-fold figures).
    pub folds: u32,
    /// How much the pair lowered the pooled out-of-fold log loss (nats per lead), on top of
    /// the pairs kept before it was last tried.
    pub cv_gain: f64,
    /// Standard error of that improvement, counting each fold's cell as one draw.
    pub cv_gain_se: f64,
    /// The penalty its cells got (the out-of-fold best of a few multiples of the model's).
    pub l2: f64,
    /// The pull between its neighbouring cells along a number's bins chosen with that penalty
    /// (the weight of `(w_a - w_b)² / 2` for two cells next to each other; 0: none). Not a
    /// number when the candidate was not judged, or in a model of format 7 or older, which did
    /// not record it.
    pub pull: f64,
    /// Whether the pair is in the model.
    pub kept: bool,
}
