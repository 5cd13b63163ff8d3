//! The model card: one view of an artifact for people and dashboards, written
//! as `card.json` by `train`, printed by `inspect --json` and answered by the
//! server's `GET /v1/models/{name}` (one builder, so the three cannot drift).
//!
//! Metrics with their intervals, every coefficient with its odds ratio (and its training leads
//! and interval, ranked by evidence), the
//! features a lead may carry, thresholds, tiers, warnings. It holds no
//! timestamps, so the same training gives the same card.

use serde::Serialize;

use crate::curve::Suggestion;
use crate::encode::Transform;
use crate::evidence::{signals, Signal};
use crate::promotion::{GateRecord, Policy};
use crate::report::{
    CvSummary, Evaluation, FeatureDistribution, FittedOn, GridPoint, PairSearch, ShapeSearch, TrainingSummary, Warning,
};
use crate::tiers::Tiers;
use crate::Artifact;

/// A feature a lead may carry.
#[derive(Clone, Debug, Serialize)]
pub struct CardFeature<'a> {
    /// Field name.
    pub name: &'a str,
    /// `numeric`, `categorical`, `boolean` or `date`.
    pub kind: &'static str,
    /// The levels seen in training (categoricals; others read as `other`).
    pub levels: &'a [String],
}

/// A pair term as a grid: what a lead in each cell adds to the log-odds, and how many
/// training leads each cell held.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CardPair<'a> {
    /// `first × second`.
    pub name: &'a str,
    /// The two features.
    pub features: [&'a str; 2],
    /// The first feature's cells (the grid's rows).
    pub rows: Vec<String>,
    /// The second feature's cells (the grid's columns).
    pub columns: Vec<String>,
    /// `weights[i][j]`: the log-odds a lead in cell (i, j) gets from the pair.
    pub weights: Vec<Vec<f64>>,
    /// `leads[i][j]`: training leads in cell (i, j).
    pub leads: Vec<Vec<u64>>,
}

/// Every pair term of `artifact` as a grid.
pub fn pairs(artifact: &Artifact) -> Vec<CardPair<'_>> {
    let encoder = &artifact.encoder;
    let n_train = artifact.training.n_train as f64;
    encoder
        .pairs
        .iter()
        .map(|pair| {
            let [rows, columns] = pair.labels(&encoder.features);
            let at = |v: &[f64], i: usize, j: usize| v.get(pair.offset + i * columns.len() + j).copied().unwrap_or(0.0);
            let grid = |f: &dyn Fn(usize, usize) -> f64| -> Vec<Vec<f64>> {
                (0..rows.len()).map(|i| (0..columns.len()).map(|j| f(i, j)).collect()).collect()
            };
            let weights = grid(&|i, j| at(&artifact.model.weights, i, j));
            // The baseline of a cell's column is its share of the training leads.
            let leads = grid(&|i, j| (at(&encoder.baseline, i, j) * n_train).round())
                .into_iter()
                .map(|row| row.into_iter().map(|x| x.max(0.0) as u64).collect())
                .collect();
            let name_of = |k: usize| encoder.features.get(pair.features[k]).map_or("", |f| f.name.as_str());
            CardPair { name: &pair.name, features: [name_of(0), name_of(1)], rows, columns, weights, leads }
        })
        .collect()
}

/// The model card.
#[derive(Clone, Debug, Serialize)]
pub struct Card<'a> {
    /// Model name.
    pub name: &'a str,
    /// Registry version.
    pub version: &'a str,
    /// Short checksum of the artifact payload.
    pub checksum: String,
    /// What is predicted.
    pub target: String,
    /// Training data and provenance.
    pub training: &'a TrainingSummary,
    /// Which leads the published model was fitted on, and which model the figures describe.
    pub fitted_on: CardFit,
    /// Cross-validated figures.
    pub cv: Option<&'a CvSummary>,
    /// Held-out figures with intervals and calibration.
    pub holdout: &'a Evaluation,
    /// Chosen L2 penalty and equivalent scikit-learn C.
    pub l2: f64,
    /// scikit-learn's `C` for the same model.
    pub sklearn_c: f64,
    /// The penalty search.
    pub grid: &'a [GridPoint],
    /// Intercept.
    pub intercept: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Every term with its odds multiplier and, for models since format 3, its training leads
    /// and 95% interval; strongest first by the smallest effect the interval allows
    /// ([`crate::evidence::signals`]).
    pub coefficients: Vec<Signal>,
    /// The features the model reads, in its order.
    pub features: Vec<CardFeature<'a>>,
    /// Pair terms, each as a grid of weights and training leads.
    pub pairs: Vec<CardPair<'a>>,
    /// What the pair search tried and kept (absent when it did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_search: Option<&'a PairSearch>,
    /// What the shape search tried and chose for each `shape = "auto"` number (absent when it
    /// did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shape_search: Option<&'a ShapeSearch>,
    /// Suggested MQL thresholds.
    pub thresholds: &'a [Suggestion],
    /// Tier cut points.
    pub tiers: &'a Tiers,
    /// Warnings from training.
    pub warnings: &'a [Warning],
    /// Training distributions.
    pub distributions: &'a [FeatureDistribution],
    /// The spec, as TOML.
    pub spec: String,
    /// In the registry's `card.json`: the promotion policy this version was trained with and,
    /// when there was a current version, the gate's comparison with it (absent for a first
    /// version trained without a policy, and in the server's card).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<CardPromotion<'a>>,
}

/// Which leads the published model was fitted on ([`FittedOn`]).
#[derive(Clone, Debug, Serialize)]
pub struct CardFit {
    /// `all` (refit on every labelled lead with the settings the training part chose) or
    /// `training` (the training part only).
    pub part: &'static str,
    /// Leads the published model was fitted on.
    pub leads: u64,
    /// Which model the held-out figures describe, in a sentence.
    pub figures: String,
}

impl CardFit {
    /// The card's view of `artifact`'s fit.
    pub fn of(artifact: &Artifact) -> CardFit {
        let t = &artifact.training;
        let (part, leads) = match artifact.fitted_on {
            FittedOn::TrainingPart => ("training", t.n_train),
            FittedOn::AllRows { .. } => ("all", t.n_rows),
        };
        CardFit { part, leads, figures: artifact.fitted_on.describe(t) }
    }
}

/// The promotion part of a card: `retrain` reads the policy back, `promote` the gate's record.
#[derive(Clone, Debug, Serialize)]
pub struct CardPromotion<'a> {
    /// The policy (what `retrain` applies next time, unless flags say otherwise).
    pub policy: &'a Policy,
    /// The gate's record against the version current when this one was trained.
    pub gate: Option<&'a GateRecord>,
}

impl<'a> Card<'a> {
    /// The card with its promotion policy and the gate's record.
    pub fn with_promotion(mut self, policy: &'a Policy, gate: Option<&'a GateRecord>) -> Self {
        self.promotion = Some(CardPromotion { policy, gate });
        self
    }
}

/// The card of `artifact` served as `name` (its registry folder) `version`,
/// whose file has `checksum` ([`Artifact::checksum`]).
pub fn card<'a>(artifact: &'a Artifact, name: &'a str, version: &'a str, checksum: String) -> Card<'a> {
    let coefficients = signals(artifact);
    let mut features = Vec::new();
    for feature in &artifact.encoder.features {
        let levels: &[String] = match &feature.transform {
            Transform::Categorical(c) => &c.levels,
            _ => &[],
        };
        features.push(CardFeature { name: &feature.name, kind: feature.transform.kind().as_str(), levels });
    }
    Card {
        name,
        version,
        checksum,
        target: format!("{} in {:?}", artifact.spec.target.column, artifact.spec.target.positive),
        training: &artifact.training,
        fitted_on: CardFit::of(artifact),
        cv: artifact.cv.as_ref(),
        holdout: &artifact.holdout,
        l2: artifact.regularisation.l2,
        sklearn_c: 1.0 / artifact.regularisation.l2,
        grid: &artifact.regularisation.grid,
        intercept: artifact.model.intercept,
        baseline_log_odds: artifact.baseline_log_odds(),
        coefficients,
        features,
        pairs: pairs(artifact),
        pair_search: artifact.pair_search.as_ref(),
        shape_search: artifact.shape_search.as_ref(),
        thresholds: &artifact.thresholds,
        tiers: &artifact.tiers,
        warnings: &artifact.warnings,
        distributions: &artifact.distributions,
        spec: artifact.spec.to_toml_string().unwrap_or_default(),
        promotion: None,
    }
}
