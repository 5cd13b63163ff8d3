//! The promotion gate: whether a candidate version may replace the current one, decided from the
//! two models' paired comparison on the same leads ([`crate::monitor::compare_paired`]).
//!
//! This is the one place the decision is made: `train`, `retrain`, `promote` and the server's
//! admin route all read a [`GateRecord`] this module wrote. The default [`Policy`] follows the
//! anchors of the field: Dynamics 365 publishes a retrained model only if it is nearly as good as
//! the active one, MLflow's `MetricThreshold` refuses a candidate whose metric is worse than the
//! baseline's by more than a set change. Here a candidate is refused when
//!
//! - its AUC is below the current model's *beyond the noise*: the whole paired 95% interval of
//!   `candidate − current` lies below `-auc_tolerance` (the same resamples for both models, so
//!   the interval is of the difference itself, not two overlapping intervals);
//! - its log loss is above the current model's by more than `log_loss_margin` (a share: 0.01 =
//!   1%), since a model can rank as well and still give worse probabilities, which tiers,
//!   thresholds and MQL counts are read from;
//! - the compared leads are too few to judge (`min_leads`, `min_won`): no evidence, no promotion.
//!
//! **A stale current version** (Dynamics 365 publishes a retrained model when the active one is
//! over 3 months old even if it scores a little lower): when the current version has been
//! current for more than `max_current_age_days` (default 90), the AUC and log-loss checks accept
//! a candidate within [`STALE_RATIO`] of it, Dynamics' 95%: an AUC at least 95% of the current
//! one's, a log loss at most the current one's divided by 0.95. What the current model learnt
//! from months-old leads is worth less each month, so a near miss on today's leads is a fair
//! trade for fresh data; a genuinely worse candidate is still refused, and the evidence check is
//! never relaxed (too few compared leads say nothing, however old the current version is). The
//! age is an input ([`decide`] reads no clock): the caller counts it from the history entry that
//! first made the version current; when no entry says (a registry older than its history), the
//! rule is not applied and the verdict says so.

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::encode::Transform;
use crate::monitor::figures::{Paired, PairedComparison};
use crate::{Error, Result};

/// When a candidate may replace the current version (`[promotion]` in the spec, or flags).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Refuse when the upper end of the paired interval of the AUC difference is below
    /// `-auc_tolerance`. Default 0: refuse only a candidate worse beyond the noise.
    pub auc_tolerance: f64,
    /// Refuse when the candidate's log loss exceeds the current one's by more than this share of
    /// it. Default 0.01 (1%).
    pub log_loss_margin: f64,
    /// Fewest compared leads the gate decides on. Default 200.
    pub min_leads: u64,
    /// Fewest won leads among them. Default 20.
    pub min_won: u64,
    /// A current version current for longer than this many days may be replaced by a candidate
    /// within [`STALE_RATIO`] of it on AUC and log loss. Default 90 (Dynamics 365's 3 months);
    /// 0 turns the rule off.
    pub max_current_age_days: u32,
}

/// Default of [`Policy::auc_tolerance`].
pub const DEFAULT_AUC_TOLERANCE: f64 = 0.0;
/// Default of [`Policy::log_loss_margin`].
pub const DEFAULT_LOG_LOSS_MARGIN: f64 = 0.01;
/// Default of [`Policy::min_leads`].
pub const DEFAULT_MIN_LEADS: u64 = 200;
/// Default of [`Policy::min_won`].
pub const DEFAULT_MIN_WON: u64 = 20;
/// Default of [`Policy::max_current_age_days`].
pub const DEFAULT_MAX_CURRENT_AGE_DAYS: u32 = 90;
/// How close to a stale current version a candidate must be (Dynamics 365's "at least 95% of
/// the active model's accuracy"): AUC at least this share of the current one's, log loss at
/// most the current one's divided by it.
pub const STALE_RATIO: f64 = 0.95;
/// Largest [`Policy::max_current_age_days`] accepted (ten years).
pub const MAX_CURRENT_AGE_DAYS_LIMIT: u32 = 3650;

impl Default for Policy {
    fn default() -> Self {
        Policy {
            auc_tolerance: DEFAULT_AUC_TOLERANCE,
            log_loss_margin: DEFAULT_LOG_LOSS_MARGIN,
            min_leads: DEFAULT_MIN_LEADS,
            min_won: DEFAULT_MIN_WON,
            max_current_age_days: DEFAULT_MAX_CURRENT_AGE_DAYS,
        }
    }
}

impl Policy {
    /// Checks every setting; errors name it and its allowed range.
    pub fn check(self) -> Result<Policy> {
        let bad = |field: &str, value: f64, range: &str| {
            Err(Error::Spec(format!("[promotion] {field} = {value} must be {range}")))
        };
        if !(self.auc_tolerance.is_finite() && (0.0..=0.5).contains(&self.auc_tolerance)) {
            return bad("auc_tolerance", self.auc_tolerance, "between 0 and 0.5");
        }
        if !(self.log_loss_margin.is_finite() && (0.0..=10.0).contains(&self.log_loss_margin)) {
            return bad("log_loss_margin", self.log_loss_margin, "a share between 0 and 10");
        }
        if self.max_current_age_days > MAX_CURRENT_AGE_DAYS_LIMIT {
            return Err(Error::Spec(format!(
                "[promotion] max_current_age_days = {} must be at most {MAX_CURRENT_AGE_DAYS_LIMIT} (0 turns the rule off)",
                self.max_current_age_days
            )));
        }
        if self.min_won > self.min_leads {
            return Err(Error::Spec(format!(
                "[promotion] min_won = {} cannot exceed min_leads = {}",
                self.min_won, self.min_leads
            )));
        }
        Ok(self)
    }

    /// The `[promotion]` table of a spec file, if it has one (checked).
    pub fn from_spec_toml(text: &str) -> Result<Option<Policy>> {
        let table: toml::Table = toml::from_str(text).map_err(|e| Error::SpecToml(e.to_string()))?;
        match table.get("promotion") {
            None => Ok(None),
            Some(value) => {
                let policy: Policy =
                    value.clone().try_into().map_err(|e| Error::SpecToml(format!("[promotion]: {e}")))?;
                policy.check().map(Some)
            }
        }
    }
}

/// Which leads the two models were compared on, said plainly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// One sentence: which leads, and how many of them the current model saw.
    pub leads: String,
    /// Leads compared.
    pub n_leads: u64,
    /// Of which the current model may have trained on (`None`: cannot be known).
    pub seen_by_current: Option<u64>,
}

/// One check of the gate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// `auc`, `log_loss` or `evidence`.
    pub name: String,
    /// Whether it passed.
    pub passed: bool,
    /// The check in words, with its figures.
    pub reason: String,
}

/// What the gate decided.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// Whether the candidate passed every check.
    pub passed: bool,
    /// Every check, in order.
    pub checks: Vec<Check>,
    /// One plain sentence with the figures.
    pub sentence: String,
    /// How many days the current version had been current (`None`: unknown, or a verdict
    /// written before the age was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_age_days: Option<f64>,
    /// Whether the stale-version rule applied (the current version older than
    /// `max_current_age_days`), relaxing the AUC and log-loss checks to [`STALE_RATIO`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
}

/// How old the current version is, against the policy's limit.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Age {
    /// The rule is off (`max_current_age_days = 0`).
    Off,
    /// No history entry says when it became current.
    Unknown,
    /// Current for this many days, within the limit.
    Fresh(f64),
    /// Current for this many days, beyond the limit: the relaxed checks apply.
    Stale(f64),
}

impl Age {
    fn of(policy: &Policy, days: Option<f64>) -> Age {
        match (policy.max_current_age_days, days.filter(|d| d.is_finite())) {
            (0, _) => Age::Off,
            (_, None) => Age::Unknown,
            (max, Some(d)) if d > f64::from(max) => Age::Stale(d),
            (_, Some(d)) => Age::Fresh(d),
        }
    }
}

/// Whole days, as a person says them ("120 days", "less than a day").
fn days_text(days: f64) -> String {
    match days.floor() {
        d if d < 1.0 => "less than a day".into(),
        d if d < 2.0 => "1 day".into(),
        d => format!("{d:.0} days"),
    }
}

/// The comparison of a candidate with the version current when it was built, stored in the
/// candidate's `card.json`; `promote` and the admin route read it back.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GateRecord {
    /// The candidate version.
    pub candidate: String,
    /// The version it was compared with (current at the time).
    pub against: String,
    /// The policy applied.
    pub policy: Policy,
    /// The leads compared.
    pub evidence: Evidence,
    /// A is the current version, B the candidate.
    pub comparison: PairedComparison,
    /// What changed in the inputs.
    pub inputs: InputChanges,
    /// The gate's decision.
    pub verdict: Verdict,
    /// ROC curve of each model on the compared leads (false positive rate, true positive rate).
    pub roc: Rocs,
}

/// Both ROC curves on the compared leads, as points `(fpr, tpr)`, at most a few hundred each.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Rocs {
    /// The current version.
    pub current: Vec<(f64, f64)>,
    /// The candidate.
    pub candidate: Vec<(f64, f64)>,
}

impl GateRecord {
    /// The same comparison judged again under `policy`, the current version having been current
    /// for `current_age_days`: what `promote` (at a later time, perhaps with another age rule)
    /// and a retrain that reproduced an existing version decide, without comparing again.
    pub fn judged_again(mut self, policy: Policy, current_age_days: Option<f64>) -> GateRecord {
        self.verdict = decide(&policy, &self.comparison, &self.against, &self.candidate, current_age_days);
        self.policy = policy;
        self
    }
}

fn fmt_interval(p: &Paired, digits: usize) -> String {
    p.interval
        .map_or_else(|| "no interval".into(), |i| format!("95% interval [{:+.digits$}, {:+.digits$}]", i.low, i.high))
}

/// Applies `policy` to the comparison of `current` (A) and `candidate` (B), the current version
/// having been current for `current_age_days` (`None`: unknown; see the module's stale rule).
pub fn decide(
    policy: &Policy,
    comparison: &PairedComparison,
    current: &str,
    candidate: &str,
    current_age_days: Option<f64>,
) -> Verdict {
    let age = Age::of(policy, current_age_days);
    let stale_days = match age {
        Age::Stale(d) => Some(d),
        _ => None,
    };
    let pct = 100.0 * STALE_RATIO;
    let max_age = policy.max_current_age_days;
    let mut checks = Vec::new();
    let enough = comparison.n_leads >= policy.min_leads && comparison.n_won >= policy.min_won;
    checks.push(Check {
        name: "evidence".into(),
        passed: enough,
        reason: format!(
            "{} leads compared ({} won); the gate needs at least {} ({} won)",
            comparison.n_leads, comparison.n_won, policy.min_leads, policy.min_won
        ),
    });
    let auc = &comparison.auc;
    let (auc_passed, auc_reason) = match (auc.a, auc.b, auc.difference, auc.interval) {
        (Some(a), Some(b), Some(d), Some(i)) => {
            let worse = i.high < -policy.auc_tolerance;
            let (passed, verdict) = match (worse, stale_days) {
                (false, _) => (true, "not worse beyond the noise".to_owned()),
                (true, None) => (false, "worse beyond the noise".to_owned()),
                (true, Some(days)) if b >= STALE_RATIO * a => (
                    true,
                    format!(
                        "worse beyond the noise, but at least {pct:.0}% of {current}'s, accepted because {current} has been current for {} (over {max_age})",
                        days_text(days)
                    ),
                ),
                (true, Some(_)) => (
                    false,
                    format!("worse beyond the noise, and below {pct:.0}% of {current}'s even for a stale version ({:.4})", STALE_RATIO * a),
                ),
            };
            (
                passed,
                format!(
                    "AUC {b:.4} for {candidate} against {a:.4} for {current}: difference {d:+.4}, {} ({verdict}{})",
                    fmt_interval(auc, 4),
                    if policy.auc_tolerance > 0.0 {
                        format!(", tolerance {}", policy.auc_tolerance)
                    } else {
                        String::new()
                    }
                ),
            )
        }
        _ => (false, "AUC cannot be computed on the compared leads (one class only)".into()),
    };
    checks.push(Check { name: "auc".into(), passed: auc_passed, reason: auc_reason });
    let ll = &comparison.log_loss;
    let (ll_passed, ll_reason) = match (ll.a, ll.b) {
        (Some(a), Some(b)) => {
            let share = if a > 0.0 { (b - a) / a } else { 0.0 };
            let within = b <= a * (1.0 + policy.log_loss_margin);
            let (passed, rule) = match (within, stale_days) {
                (true, _) | (false, None) => (within, format!("the margin is {:.1}%", 100.0 * policy.log_loss_margin)),
                (false, Some(days)) if b <= a / STALE_RATIO => (
                    true,
                    format!(
                        "beyond the {:.1}% margin, but within {current}'s divided by {STALE_RATIO}, accepted because {current} has been current for {} (over {max_age})",
                        100.0 * policy.log_loss_margin,
                        days_text(days)
                    ),
                ),
                (false, Some(_)) => (
                    false,
                    format!(
                        "beyond the {:.1}% margin, and above {current}'s divided by {STALE_RATIO} even for a stale version ({:.4})",
                        100.0 * policy.log_loss_margin,
                        a / STALE_RATIO
                    ),
                ),
            };
            (
                passed,
                format!(
                    "log loss {b:.4} for {candidate} against {a:.4} for {current} ({:+.1}%, {}; {rule})",
                    100.0 * share,
                    fmt_interval(ll, 4),
                ),
            )
        }
        _ => (false, "log loss cannot be computed on the compared leads".into()),
    };
    checks.push(Check { name: "log_loss".into(), passed: ll_passed, reason: ll_reason });
    let passed = checks.iter().all(|c| c.passed);
    let mut sentence = if passed {
        format!("{candidate} passed the gate against {current}: {}; {}.", checks[1].reason, checks[2].reason)
    } else {
        let failed: Vec<&str> = checks.iter().filter(|c| !c.passed).map(|c| c.reason.as_str()).collect();
        let passed_too: Vec<&str> = checks[1..].iter().filter(|c| c.passed).map(|c| c.reason.as_str()).collect();
        let mut s = format!("{candidate} was not promoted over {current}: {}", failed.join("; and "));
        if !passed_too.is_empty() {
            s.push_str(&format!(" (while {})", passed_too.join("; ")));
        }
        s.push('.');
        s
    };
    // How old the current version is matters when the figures refused the candidate: say whether
    // the stale rule could help, and why it did not.
    let refused_on_figures = !(auc_passed && ll_passed);
    match age {
        Age::Unknown if refused_on_figures => sentence.push_str(&format!(
            " The {max_age}-day rule (a version current for longer may be replaced by a candidate within {pct:.0}% of it) was not applied: no history entry says when {current} became current."
        )),
        Age::Fresh(d) if refused_on_figures => sentence.push_str(&format!(
            " {current} has been current for {}: the {max_age}-day rule for a stale version does not apply yet.",
            days_text(d)
        )),
        Age::Stale(d) if !enough && auc_passed && ll_passed => sentence.push_str(&format!(
            " {current} has been current for {} (over {max_age}), but a stale version is replaced only on enough evidence.",
            days_text(d)
        )),
        _ => {}
    }
    Verdict { passed, checks, sentence, current_age_days, stale: stale_days.is_some() }
}

/// A categorical feature's levels that appeared or went away.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelChanges {
    /// The feature.
    pub feature: String,
    /// Levels the candidate has and the current model did not.
    pub new: Vec<String>,
    /// Levels the current model had and the candidate does not.
    pub gone: Vec<String>,
}

/// What a client scoring leads must know when the candidate replaces the current version.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InputChanges {
    /// Features the candidate reads that the current version does not: a scoring client must
    /// now send them, or they are read as missing.
    pub added: Vec<String>,
    /// Features the current version reads that the candidate does not (no longer needed).
    pub dropped: Vec<String>,
    /// Features read as another kind (e.g. numeric before, categorical now).
    pub kind_changed: Vec<String>,
    /// Categorical levels new or gone, per feature.
    pub levels: Vec<LevelChanges>,
}

impl InputChanges {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.dropped.is_empty() && self.kind_changed.is_empty() && self.levels.is_empty()
    }

    /// The changes in a few lines, for terminals.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.added.is_empty() {
            out.push(format!("features added (a scoring client must now send them): {}", self.added.join(", ")));
        }
        if !self.dropped.is_empty() {
            out.push(format!("features dropped: {}", self.dropped.join(", ")));
        }
        if !self.kind_changed.is_empty() {
            out.push(format!("features read as another kind: {}", self.kind_changed.join(", ")));
        }
        for l in &self.levels {
            let mut parts = Vec::new();
            if !l.new.is_empty() {
                parts.push(format!("new {}", l.new.join(", ")));
            }
            if !l.gone.is_empty() {
                parts.push(format!("gone {}", l.gone.join(", ")));
            }
            out.push(format!("`{}` levels: {}", l.feature, parts.join("; ")));
        }
        out
    }
}

fn kind(t: &Transform) -> &'static str {
    match t {
        Transform::Numeric(_) => "numeric",
        Transform::Categorical(_) => "categorical",
        Transform::Boolean(_) => "boolean",
        Transform::Date(_) => "date",
    }
}

/// The input changes from `current` to `candidate` (by their fitted encoders).
pub fn input_changes(current: &Artifact, candidate: &Artifact) -> InputChanges {
    let old = &current.encoder.features;
    let new = &candidate.encoder.features;
    let find = |list: &'_ [crate::encode::FeatureEncoder], name: &str| list.iter().position(|f| f.name == name);
    let mut changes = InputChanges::default();
    for f in new {
        match find(old, &f.name) {
            None => changes.added.push(f.name.clone()),
            Some(i) => {
                let before = &old[i].transform;
                if kind(before) != kind(&f.transform) {
                    changes.kind_changed.push(format!("{} ({} -> {})", f.name, kind(before), kind(&f.transform)));
                } else if let (Transform::Categorical(a), Transform::Categorical(b)) = (before, &f.transform) {
                    let new_levels: Vec<String> = b.levels.iter().filter(|l| !a.levels.contains(l)).cloned().collect();
                    let gone: Vec<String> = a.levels.iter().filter(|l| !b.levels.contains(l)).cloned().collect();
                    if !new_levels.is_empty() || !gone.is_empty() {
                        changes.levels.push(LevelChanges { feature: f.name.clone(), new: new_levels, gone });
                    }
                }
            }
        }
    }
    changes.dropped = old.iter().filter(|f| find(new, &f.name).is_none()).map(|f| f.name.clone()).collect();
    changes.added.sort();
    changes.dropped.sort();
    changes
}

/// The ROC curve of `probs` against `labels`, thinned to at most `max_points` points (both ends
/// kept), for plots.
pub fn roc_points(probs: &[f64], labels: &[bool], max_points: usize) -> Vec<(f64, f64)> {
    let n_pos = labels.iter().filter(|&&y| y).count();
    let n_neg = labels.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Vec::new();
    }
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0usize, 0usize);
    let mut k = 0;
    while k < order.len() {
        // Leads tied on probability enter together: one point per distinct probability.
        let p = probs[order[k]];
        while k < order.len() && probs[order[k]].total_cmp(&p).is_eq() {
            if labels[order[k]] {
                tp += 1;
            } else {
                fp += 1;
            }
            k += 1;
        }
        points.push((fp as f64 / n_neg as f64, tp as f64 / n_pos as f64));
    }
    let max_points = max_points.max(2);
    if points.len() <= max_points {
        return points;
    }
    let last = points.len() - 1;
    (0..max_points).map(|i| points[i * last / (max_points - 1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Interval;

    fn paired(a: f64, b: f64, low: f64, high: f64) -> Paired {
        Paired { a: Some(a), b: Some(b), difference: Some(b - a), interval: Some(Interval { low, high, level: 0.95 }) }
    }

    fn comparison(auc: Paired, log_loss: Paired, n_leads: u64, n_won: u64) -> PairedComparison {
        let none = Paired { a: None, b: None, difference: None, interval: None };
        PairedComparison {
            n_leads,
            n_won,
            replicates: 1000,
            threshold_a: 0.5,
            threshold_b: 0.5,
            auc,
            log_loss,
            brier: none,
            lift_top_decile: none,
            precision: none,
            recall: none,
        }
    }

    #[track_caller]
    fn check(auc: Paired, log_loss: Paired, n: (u64, u64), passed: [bool; 3]) -> Verdict {
        check_aged(&Policy::default(), None, auc, log_loss, n, passed)
    }

    /// Like [`check`], the current version having been current for `age` days under `policy`.
    #[track_caller]
    fn check_aged(
        policy: &Policy,
        age: Option<f64>,
        auc: Paired,
        log_loss: Paired,
        n: (u64, u64),
        passed: [bool; 3],
    ) -> Verdict {
        let v = decide(policy, &comparison(auc, log_loss, n.0, n.1), "v1", "v2", age);
        let got: Vec<bool> = v.checks.iter().map(|c| c.passed).collect();
        assert_eq!(got, passed, "{}", v.sentence);
        assert_eq!(v.passed, passed.iter().all(|p| *p));
        assert_eq!(v.current_age_days, age);
        v
    }

    #[test]
    fn a_candidate_worse_beyond_the_noise_is_refused_with_both_aucs_and_the_interval() {
        let v =
            check(paired(0.80, 0.78, -0.031, -0.009), paired(0.45, 0.452, 0.0, 0.01), (600, 90), [true, false, true]);
        assert!(v.sentence.contains("v2 was not promoted over v1"), "{}", v.sentence);
        assert!(v.sentence.contains("AUC 0.7800 for v2 against 0.8000 for v1"), "{}", v.sentence);
        assert!(v.sentence.contains("[-0.0310, -0.0090]"), "{}", v.sentence);
    }

    #[test]
    fn an_interval_reaching_zero_is_noise_and_passes() {
        let v = check(paired(0.80, 0.79, -0.025, 0.004), paired(0.45, 0.452, -0.01, 0.01), (600, 90), [true; 3]);
        assert!(v.sentence.starts_with("v2 passed the gate against v1"), "{}", v.sentence);
    }

    #[test]
    fn log_loss_beyond_the_margin_is_refused() {
        // 0.46 is 2.2% above 0.45; the default margin is 1%.
        check(paired(0.80, 0.81, 0.001, 0.02), paired(0.45, 0.46, 0.002, 0.02), (600, 90), [true, true, false]);
        // 0.454 is 0.9% above: within the margin.
        check(paired(0.80, 0.81, 0.001, 0.02), paired(0.45, 0.454, 0.0, 0.01), (600, 90), [true; 3]);
    }

    #[test]
    fn too_few_leads_is_no_evidence() {
        check(paired(0.80, 0.85, 0.01, 0.09), paired(0.45, 0.40, -0.1, -0.01), (150, 40), [false, true, true]);
        check(paired(0.80, 0.85, 0.01, 0.09), paired(0.45, 0.40, -0.1, -0.01), (600, 19), [false, true, true]);
    }

    // The stale rule (Dynamics 365: a retrained model is published when the active one is over
    // 3 months old and the new one reaches 95% of its accuracy). The current AUC is 0.80, so 95%
    // of it is 0.76; its log loss 0.45, so the stale bound is 0.45 / 0.95 = 0.4737.

    /// AUC 0.78: worse beyond the noise, but 97.5% of 0.80. Log loss 0.46: 2.2% above 0.45,
    /// beyond the 1% margin, but under 0.4737.
    fn near_miss() -> (Paired, Paired) {
        (paired(0.80, 0.78, -0.031, -0.009), paired(0.45, 0.46, 0.004, 0.016))
    }

    #[test]
    fn a_stale_current_version_gives_way_to_a_candidate_within_95_percent() {
        let (auc, ll) = near_miss();
        let v = check_aged(&Policy::default(), Some(120.4), auc, ll, (600, 90), [true; 3]);
        assert!(v.stale);
        assert!(v.sentence.starts_with("v2 passed the gate against v1"), "{}", v.sentence);
        assert!(
            v.sentence.contains(
                "worse beyond the noise, but at least 95% of v1's, accepted because v1 has been current for 120 days (over 90)"
            ),
            "{}",
            v.sentence
        );
        assert!(v.sentence.contains("beyond the 1.0% margin, but within v1's divided by 0.95"), "{}", v.sentence);
        // The figures are still the figures: both AUCs and the interval of their difference.
        assert!(v.sentence.contains("AUC 0.7800 for v2 against 0.8000 for v1"), "{}", v.sentence);
        assert!(v.sentence.contains("[-0.0310, -0.0090]"), "{}", v.sentence);
        // Just past the limit counts; exactly at it does not ("over 3 months").
        check_aged(&Policy::default(), Some(90.01), auc, ll, (600, 90), [true; 3]);
        check_aged(&Policy::default(), Some(90.0), auc, ll, (600, 90), [true, false, false]);
    }

    #[test]
    fn a_stale_current_version_still_refuses_a_much_worse_candidate() {
        // AUC 0.75 is 93.75% of 0.80.
        let v = check_aged(
            &Policy::default(),
            Some(400.0),
            paired(0.80, 0.75, -0.07, -0.03),
            paired(0.45, 0.46, 0.004, 0.016),
            (600, 90),
            [true, false, true],
        );
        assert!(v.stale);
        assert!(
            v.sentence.contains("worse beyond the noise, and below 95% of v1's even for a stale version (0.7600)"),
            "{}",
            v.sentence
        );
        // Log loss 0.48 is above 0.45 / 0.95 = 0.4737, however close the AUC.
        let v = check_aged(
            &Policy::default(),
            Some(400.0),
            paired(0.80, 0.79, -0.02, 0.001),
            paired(0.45, 0.48, 0.02, 0.04),
            (600, 90),
            [true, true, false],
        );
        assert!(v.sentence.contains("above v1's divided by 0.95 even for a stale version (0.4737)"), "{}", v.sentence);
    }

    #[test]
    fn a_stale_current_version_never_relaxes_the_evidence() {
        let (auc, ll) = near_miss();
        check_aged(&Policy::default(), Some(200.0), auc, ll, (150, 40), [false, true, true]);
        // Even a clearly better candidate needs enough leads.
        let v = check_aged(
            &Policy::default(),
            Some(200.0),
            paired(0.80, 0.85, 0.01, 0.09),
            paired(0.45, 0.40, -0.1, -0.01),
            (600, 19),
            [false, true, true],
        );
        assert!(
            v.sentence.contains(
                "v1 has been current for 200 days (over 90), but a stale version is replaced only on enough evidence"
            ),
            "{}",
            v.sentence
        );
    }

    #[test]
    fn a_fresh_current_version_refuses_the_near_miss_as_before() {
        let (auc, ll) = near_miss();
        let v = check_aged(&Policy::default(), Some(45.7), auc, ll, (600, 90), [true, false, false]);
        assert!(!v.stale);
        assert!(v.sentence.contains("v2 was not promoted over v1: AUC 0.7800"), "{}", v.sentence);
        assert!(
            v.sentence
                .ends_with("v1 has been current for 45 days: the 90-day rule for a stale version does not apply yet."),
            "{}",
            v.sentence
        );
        assert!(check_aged(&Policy::default(), Some(0.2), auc, ll, (600, 90), [true, false, false])
            .sentence
            .contains("current for less than a day"));
    }

    #[test]
    fn an_unknown_age_does_not_apply_the_rule_and_says_so() {
        let (auc, ll) = near_miss();
        let v = check_aged(&Policy::default(), None, auc, ll, (600, 90), [true, false, false]);
        assert!(!v.stale);
        assert!(
            v.sentence.ends_with(
                "The 90-day rule (a version current for longer may be replaced by a candidate within 95% of it) was not applied: no history entry says when v1 became current."
            ),
            "{}",
            v.sentence
        );
        // A candidate that passes on its figures needs no word on the age.
        let v = check_aged(
            &Policy::default(),
            None,
            paired(0.80, 0.81, 0.001, 0.02),
            paired(0.45, 0.44, -0.02, 0.0),
            (600, 90),
            [true; 3],
        );
        assert!(!v.sentence.contains("rule"), "{}", v.sentence);
    }

    #[test]
    fn zero_days_turns_the_rule_off() {
        let (auc, ll) = near_miss();
        let off = Policy { max_current_age_days: 0, ..Policy::default() };
        let v = check_aged(&off, Some(1000.0), auc, ll, (600, 90), [true, false, false]);
        assert!(!v.stale);
        assert!(!v.sentence.contains("rule") && !v.sentence.contains("current for"), "{}", v.sentence);
        // Another limit is read as given.
        let short = Policy { max_current_age_days: 30, ..Policy::default() };
        assert!(check_aged(&short, Some(31.0), auc, ll, (600, 90), [true; 3]).sentence.contains("(over 30)"));
    }

    #[test]
    fn a_record_judged_again_at_another_age_and_policy() {
        let (auc, ll) = near_miss();
        let comparison = comparison(auc, ll, 600, 90);
        let record = GateRecord {
            candidate: "v2".into(),
            against: "v1".into(),
            policy: Policy::default(),
            evidence: Evidence { leads: "held-out leads".into(), n_leads: 600, seen_by_current: Some(0) },
            verdict: decide(&Policy::default(), &comparison, "v1", "v2", Some(10.0)),
            comparison,
            inputs: InputChanges::default(),
            roc: Rocs::default(),
        };
        assert!(!record.verdict.passed);
        let later = record.clone().judged_again(Policy::default(), Some(100.0));
        assert!(later.verdict.passed && later.verdict.stale, "{}", later.verdict.sentence);
        let off = Policy { max_current_age_days: 0, ..Policy::default() };
        let never = record.judged_again(off.clone(), Some(100.0));
        assert!(!never.verdict.passed);
        assert_eq!(never.policy, off);
    }

    #[test]
    fn a_record_written_before_the_age_rule_still_loads() {
        // The policy and verdict of a card written before `max_current_age_days`, `stale` and
        // `current_age_days` existed: the policy gets the default rule, the verdict no age.
        let policy: Policy =
            serde_json::from_str(r#"{"auc_tolerance":0.0,"log_loss_margin":0.01,"min_leads":200,"min_won":20}"#)
                .unwrap();
        assert_eq!(policy, Policy::default());
        let verdict: Verdict =
            serde_json::from_str(r#"{"passed":false,"checks":[],"sentence":"v2 was not promoted over v1."}"#).unwrap();
        assert_eq!((verdict.current_age_days, verdict.stale), (None, false));
        // And a verdict without an age writes no age.
        let text = serde_json::to_string(&verdict).unwrap();
        assert!(!text.contains("stale") && !text.contains("current_age_days"), "{text}");
    }

    #[test]
    fn policy_from_the_spec_and_its_checks() {
        let text = "[target]\ncolumn = \"y\"\npositive = [\"1\"]\n\n[promotion]\nlog_loss_margin = 0.02\n";
        let p = Policy::from_spec_toml(text).unwrap().unwrap();
        assert_eq!(p, Policy { log_loss_margin: 0.02, ..Policy::default() });
        assert_eq!(Policy::from_spec_toml("[target]\ncolumn = \"y\"\npositive = [\"1\"]\n").unwrap(), None);
        let err = Policy::from_spec_toml("[promotion]\nauc_margin = 0.1\n").unwrap_err().to_string();
        assert!(err.contains("auc_margin"), "{err}");
        let err = Policy::from_spec_toml("[promotion]\nlog_loss_margin = -1\n").unwrap_err().to_string();
        assert!(err.contains("log_loss_margin = -1"), "{err}");
        let p = Policy::from_spec_toml("[promotion]\nmax_current_age_days = 0\n").unwrap().unwrap();
        assert_eq!(p.max_current_age_days, 0);
        let err = Policy::from_spec_toml("[promotion]\nmax_current_age_days = 4000\n").unwrap_err().to_string();
        assert!(err.contains("max_current_age_days = 4000 must be at most 3650"), "{err}");
        let err = Policy::from_spec_toml("[promotion]\nmax_current_age_days = -3\n").unwrap_err().to_string();
        assert!(err.contains("max_current_age_days"), "{err}");
    }

    #[test]
    fn roc_points_by_hand() {
        // labels T F T F, probabilities 0.8 0.6 0.4 0.2: (0,0) (0,.5) (.5,.5) (.5,1) (1,1).
        let pts = roc_points(&[0.8, 0.6, 0.4, 0.2], &[true, false, true, false], 100);
        assert_eq!(pts, [(0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        let thin = roc_points(&[0.8, 0.6, 0.4, 0.2], &[true, false, true, false], 3);
        assert_eq!(thin, [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0)]);
        // ties enter together
        assert_eq!(roc_points(&[0.5, 0.5], &[true, false], 10), [(0.0, 0.0), (1.0, 1.0)]);
    }
}
