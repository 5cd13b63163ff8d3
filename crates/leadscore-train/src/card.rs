//! The human-readable model card (`card.json`) and the JSON summary `train --json` prints.
//!
//! The card is a view of the artifact for people and dashboards: metrics with
//! their intervals, every coefficient with its odds ratio, thresholds, tiers,
//! warnings. It holds no timestamps, so the same training gives the same card.

use serde::Serialize;

use leadscore_core::curve::Suggestion;
use leadscore_core::encode::Transform;
use leadscore_core::promotion::{GateRecord, Policy};
use leadscore_core::report::{CvSummary, Evaluation, FeatureDistribution, GridPoint, TrainingSummary, Warning};
use leadscore_core::tiers::Tiers;
use leadscore_core::Artifact;

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
    /// The promotion policy this version was trained with and, when there was a current version,
    /// the gate's comparison with it (absent for a first version trained without a policy).
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

/// Builds the card of an artifact published as `version`.
pub fn card<'a>(artifact: &'a Artifact, version: &'a str, model_bytes: &[u8]) -> Card<'a> {
    let mut coefficients = Vec::new();
    for feature in &artifact.encoder.features {
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
    coefficients.sort_by(|a, b| b.coefficient.abs().total_cmp(&a.coefficient.abs()));
    Card {
        name: &artifact.name,
        version,
        checksum: Artifact::checksum(model_bytes),
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
        thresholds: &artifact.thresholds,
        tiers: &artifact.tiers,
        warnings: &artifact.warnings,
        distributions: &artifact.distributions,
        spec: artifact.spec.to_toml_string().unwrap_or_default(),
        promotion: None,
    }
}

/// The machine-readable summary of a training run (`leadscore train --json`).
#[derive(Clone, Debug, Serialize)]
pub struct TrainSummary<'a> {
    /// Path of the written `model.bin`.
    pub model_path: String,
    /// Model name.
    pub name: &'a str,
    /// Registry version.
    pub version: &'a str,
    /// True when an identical model was already registered.
    pub reused: bool,
    /// Chosen L2 penalty.
    pub l2: f64,
    /// Cross-validated figures at the chosen penalty.
    pub cv: Option<&'a CvSummary>,
    /// Held-out figures.
    pub holdout: &'a Evaluation,
    /// Suggested thresholds.
    pub thresholds: Vec<ThresholdRow<'a>>,
    /// Training rows, held-out rows, wins.
    pub training: &'a TrainingSummary,
    /// Warnings.
    pub warnings: &'a [Warning],
}

/// One threshold as `train --json` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct ThresholdRow<'a> {
    /// Strategy name.
    pub strategy: &'a str,
    /// Probability cut-off.
    pub threshold: f64,
    /// Share of leads that become MQLs.
    pub mql_rate: f64,
    /// Won rate among MQLs.
    pub precision: f64,
    /// Share of all wins among MQLs.
    pub recall: f64,
    /// Precision over the base rate.
    pub lift: f64,
}

/// Builds the `train --json` summary.
pub fn train_summary<'a>(
    artifact: &'a Artifact,
    version: &'a str,
    model_path: String,
    reused: bool,
) -> TrainSummary<'a> {
    TrainSummary {
        model_path,
        name: &artifact.name,
        version,
        reused,
        l2: artifact.regularisation.l2,
        cv: artifact.cv.as_ref(),
        holdout: &artifact.holdout,
        thresholds: artifact
            .thresholds
            .iter()
            .map(|s| ThresholdRow {
                strategy: &s.strategy,
                threshold: s.threshold,
                mql_rate: s.mql_rate,
                precision: s.precision,
                recall: s.recall,
                lift: s.lift,
            })
            .collect(),
        training: &artifact.training,
        warnings: &artifact.warnings,
    }
}
