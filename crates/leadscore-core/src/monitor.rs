//! Monitoring a model in production, as pure functions of slices: what was scored, what became
//! of it, and whether the leads still look like the ones the model learned from.
//!
//! - [`bootstrap`]: the seeded resamples behind every interval (one source, so that the same
//!   resamples can be handed to two models).
//! - [`figures`]: live AUC, log loss, Brier, lift, precision and recall with bootstrap intervals,
//!   and [`figures::compare_paired`], two models on the same leads with the paired interval of
//!   each difference: the promotion gate's evidence and the shadow challenger's.
//! - [`drift`]: PSI of the score and of every feature against the training distributions stored
//!   in the artifact, flagged only when the sample is large enough (see the module).
//! - [`calibration`]: realised won rate by tier and by decile against the predicted rate.
//! - [`daily`]: leads and MQL rate per day against the held-out curve's prediction.
//!
//! [`report`] puts them together for one model version over the leads a store returned; the
//! server's `/v1/monitor` and `leadscore monitor` both call it, so they cannot disagree.

pub mod bootstrap;
pub mod calibration;
pub mod daily;
pub mod drift;
pub mod figures;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::report::Interval;
use crate::value::RawValue;
use crate::{Error, Result};

pub use bootstrap::Resamples;
pub use figures::{compare_paired, PairedComparison, Scores};

/// The leads one model version scored, as parallel slices (one entry per scoring).
#[derive(Clone, Copy, Debug)]
pub struct LoggedLeads<'a> {
    /// Probability given.
    pub probs: &'a [f64],
    /// Tier given.
    pub tiers: &'a [&'a str],
    /// MQL flag given.
    pub mql: &'a [bool],
    /// Threshold the flag was decided at.
    pub thresholds: &'a [f64],
    /// Day scored (see [`daily::day_of_unix_ms`]).
    pub days: &'a [i32],
    /// The outcome, for leads that have one.
    pub outcomes: &'a [Option<bool>],
    /// For each feature of the model: its values as they arrived, one per lead (`Missing` for
    /// a lead whose log has no value for it, e.g. fields logging off).
    pub fields: &'a [(&'a str, Vec<RawValue<'a>>)],
}

/// Figures on the leads whose outcome has arrived.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcomes {
    /// Live AUC, log loss, Brier, lift, precision and recall with bootstrap intervals.
    pub figures: figures::LiveFigures,
    /// The held-out AUC of the artifact and its interval, to read the live one against.
    pub holdout_auc: Option<f64>,
    /// Its bootstrap interval.
    pub holdout_auc_interval: Option<Interval>,
    /// Realised won rate by tier (the artifact's tiers, best first).
    pub by_tier: Vec<calibration::CalibrationRow>,
    /// Realised won rate by decile of live probability, lowest first.
    pub by_decile: Vec<calibration::CalibrationRow>,
}

/// Everything the monitor says about one model version over a period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MonitorReport {
    /// Leads scored.
    pub n_scored: u64,
    /// Of which with an outcome.
    pub n_outcomes: u64,
    /// Of which won.
    pub n_won: u64,
    /// Per day, oldest first.
    pub days: Vec<daily::Day>,
    /// The live probabilities against the held-out ones.
    pub score_drift: drift::Psi,
    /// Every feature the model reads, in the encoder's order.
    pub features: Vec<drift::FeatureDrift>,
    /// The features whose PSI is flagged.
    pub drifted: Vec<String>,
    /// Figures on the leads with outcomes (`None` until both a won and a lost lead arrived).
    pub outcomes: Option<Outcomes>,
}

/// A challenger beside the version it shadowed, on the same live leads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShadowReport {
    /// The served version (the champion, `a` in `outcomes`).
    pub champion: String,
    /// The shadowed version (the challenger, `b` in `outcomes`).
    pub challenger: String,
    /// Served scorings with the challenger's scoring of the same lead at the same moment.
    pub n_paired: u64,
    /// On every paired scoring, outcome or not: Spearman's rank correlation of the two
    /// probabilities, and the share of scorings both called MQL or both did not (each at the
    /// threshold it applied).
    pub agreement: figures::Agreement,
    /// On the leads with an outcome (each judged once, on its last paired scoring before the
    /// outcome): both models' AUC, log loss, Brier, lift in the top 10%, precision and recall,
    /// each difference `challenger - champion` with its paired bootstrap interval (the same
    /// resamples for both). `None` until both a won and a lost lead arrived.
    pub outcomes: Option<PairedComparison>,
}

/// The monitor's report of `artifact` on `leads`; bootstrap intervals from `replicates`
/// resamples seeded by `seed`.
pub fn report(artifact: &Artifact, leads: &LoggedLeads<'_>, replicates: u32, seed: u64) -> Result<MonitorReport> {
    let n = leads.probs.len();
    let lens = [leads.tiers.len(), leads.mql.len(), leads.thresholds.len(), leads.days.len(), leads.outcomes.len()];
    if lens.iter().any(|&l| l != n) || leads.fields.iter().any(|(_, v)| v.len() != n) {
        return Err(Error::Compare(format!("logged leads do not line up: {n} probabilities, other columns {lens:?}")));
    }
    let days = daily::per_day(&artifact.curve, leads.days, leads.mql, leads.thresholds);
    let score_drift = drift::score_drift(&artifact.curve, leads.probs);
    let missing = &artifact.encoder.missing;
    // The leads' own dates, when a date feature's age is measured from them (an unreadable or
    // unlogged one is missing: that lead's age counts as missing).
    let lead_times: Vec<Option<i32>> = match &artifact.encoder.time {
        Some(time) => leads
            .fields
            .iter()
            .find(|(name, _)| *name == time.column)
            .map(|(_, values)| values.iter().map(|v| artifact.encoder.read_time(*v).ok().flatten()).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let features: Vec<drift::FeatureDrift> = artifact
        .encoder
        .features
        .iter()
        .filter_map(|f| {
            let distribution = artifact.distributions.iter().find(|d| d.feature == f.name)?;
            let values = leads.fields.iter().find(|(name, _)| *name == f.name).map(|(_, v)| v.as_slice());
            // A feature the log does not hold (fields logging off): no values, no flag.
            let values = values.unwrap_or(&[]);
            Some(drift::feature_drift(f, distribution, missing, values, &lead_times, artifact.training.n_train))
        })
        .collect();
    let drifted = features.iter().filter(|f| f.psi.flagged).map(|f| f.feature.clone()).collect();

    let labelled: Vec<usize> = (0..n).filter(|&i| leads.outcomes[i].is_some()).collect();
    let labels: Vec<bool> = labelled.iter().map(|&i| leads.outcomes[i] == Some(true)).collect();
    let n_won = labels.iter().filter(|&&y| y).count() as u64;
    let outcomes = if n_won > 0 && (n_won as usize) < labels.len() {
        let probs: Vec<f64> = labelled.iter().map(|&i| leads.probs[i]).collect();
        let tiers: Vec<&str> = labelled.iter().map(|&i| leads.tiers[i]).collect();
        let threshold = artifact.thresholds.first().map_or(0.5, |s| s.threshold);
        let resamples = Resamples::drawn(labels.len(), replicates, seed);
        let figures = figures::live_figures(&labels, Scores { probs: &probs, threshold }, &resamples)?;
        let tier_names: Vec<&str> = artifact.tiers.tiers.iter().map(|t| t.name.as_str()).collect();
        Some(Outcomes {
            figures,
            holdout_auc: artifact.holdout.auc,
            holdout_auc_interval: artifact.holdout.auc_ci,
            by_tier: calibration::by_tier(&tier_names, &tiers, &probs, &labels),
            by_decile: calibration::by_decile(&probs, &labels),
        })
    } else {
        None
    };
    Ok(MonitorReport {
        n_scored: n as u64,
        n_outcomes: labelled.len() as u64,
        n_won,
        days,
        score_drift,
        features,
        drifted,
        outcomes,
    })
}
