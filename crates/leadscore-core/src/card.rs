//! The model card: one view of an artifact for people and dashboards, written
//! as `card.json` by `train`, printed by `inspect --json` and answered by the
//! server's `GET /v1/models/{name}` (one builder, so the three cannot drift).
//!
//! Metrics with their intervals, every coefficient with its odds ratio, the
//! features a lead may carry, thresholds, tiers, warnings. It holds no
//! timestamps, so the same training gives the same card.

use serde::Serialize;

use crate::curve::Suggestion;
use crate::encode::Transform;
use crate::promotion::{GateRecord, Policy};
use crate::report::{CvSummary, Evaluation, FeatureDistribution, GridPoint, PairSearch, TrainingSummary, Warning};
use crate::tiers::Tiers;
use crate::Artifact;

/// One model column.
#[derive(Clone, Debug, Serialize)]
pub struct CardCoefficient {
    /// Encoded column name, e.g. `lead_source = referral`.
    pub column: String,
    /// Source feature.
    pub feature: String,
    /// Log-odds weight.
    pub coefficient: f64,
    /// `exp(coefficient)`: odds multiplier per unit (per standard deviation for standardised numbers).
    pub odds_ratio: f64,
    /// What one unit is.
    pub unit: &'static str,
}

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
    /// Coefficients, largest magnitude first.
    pub coefficients: Vec<CardCoefficient>,
    /// The features the model reads, in its order.
    pub features: Vec<CardFeature<'a>>,
    /// Pair terms, each as a grid of weights and training leads.
    pub pairs: Vec<CardPair<'a>>,
    /// What the pair search tried and kept (absent when it did not run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pair_search: Option<&'a PairSearch>,
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
    let mut coefficients = Vec::new();
    let mut features = Vec::new();
    for feature in &artifact.encoder.features {
        let levels: &[String] = match &feature.transform {
            Transform::Categorical(c) => &c.levels,
            _ => &[],
        };
        features.push(CardFeature { name: &feature.name, kind: feature.transform.kind().as_str(), levels });
        let unit = match &feature.transform {
            Transform::Numeric(_) | Transform::Date(_) => "one standard deviation (first column), else present/absent",
            _ => "present vs absent",
        };
        for (i, column) in feature.column_names().into_iter().enumerate() {
            let w = artifact.model.weights.get(feature.offset + i).copied().unwrap_or(0.0);
            coefficients.push(CardCoefficient {
                column,
                feature: feature.name.clone(),
                coefficient: w,
                odds_ratio: w.exp(),
                unit,
            });
        }
    }
    for pair in &artifact.encoder.pairs {
        for (i, column) in pair.column_names(&artifact.encoder.features).into_iter().enumerate() {
            let w = artifact.model.weights.get(pair.offset + i).copied().unwrap_or(0.0);
            coefficients.push(CardCoefficient {
                column,
                feature: pair.name.clone(),
                coefficient: w,
                odds_ratio: w.exp(),
                unit: "in the cell (both values) vs not",
            });
        }
    }
    coefficients.sort_by(|a, b| b.coefficient.abs().total_cmp(&a.coefficient.abs()));
    Card {
        name,
        version,
        checksum,
        target: format!("{} in {:?}", artifact.spec.target.column, artifact.spec.target.positive),
        training: &artifact.training,
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
        thresholds: &artifact.thresholds,
        tiers: &artifact.tiers,
        warnings: &artifact.warnings,
        distributions: &artifact.distributions,
        spec: artifact.spec.to_toml_string().unwrap_or_default(),
        promotion: None,
    }
}
