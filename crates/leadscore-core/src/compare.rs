//! Predicted vs rule-based scoring, side by side on the same labelled leads.
//!
//! A marketing team trusts a model once it beats the points rules they know,
//! on their own leads, in terms they use: how many MQLs, how many of them
//! close, how many of the wins they catch. This module computes every figure
//! of that comparison from parallel slices (outcome, model probability, rule
//! points) and returns one serialisable [`Comparison`], which the CLI writes
//! as JSON and HTML and the server can return as it is.
//!
//! Conventions, each stated in the result where it matters:
//! - a lead is an MQL iff its score is `>=` the scorer's threshold;
//! - rules give points, not probabilities: log loss and Brier exist for the
//!   model only, and none is invented for the rules;
//! - "equal volume" takes exactly `V` leads from the top of each ranking.
//!   Leads tied at the cut (points tie a lot) are counted pro rata: if `k` of
//!   the `g` leads tied at the cut are needed, each counts `k / g` of a lead,
//!   which is the average over every way of choosing them, so the result
//!   depends neither on file order nor on the other scorer;
//! - ranks for disagreements are "top share": the share of leads scoring
//!   higher, plus half of those tied.

use serde::{Deserialize, Serialize};

use crate::metrics::{auc, average_precision, brier, calibration, lift_at, log_loss, CalibrationBin};
use crate::rules::{RuleScore, RuleSet};
use crate::{Error, Result};

mod leads;
pub use leads::{compare_leads, CompareOptions, LeadCollector};

/// Most points drawn on a ROC or gains curve.
const MAX_CURVE_POINTS: usize = 400;
/// Most leads drawn on the scatter plot.
const MAX_SCATTER: usize = 2000;
/// About this many bins in the score histograms.
const HISTOGRAM_BINS: f64 = 20.0;

/// Scorer names used throughout the result.
pub const MODEL: &str = "model";
/// The rules' scorer name.
pub const RULES: &str = "rules";
/// The model's points version's scorer name.
pub const POINTS_VERSION: &str = "points version";

/// What is compared, for people: names and thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareLabels {
    /// The model, e.g. `leads v1`.
    pub model: String,
    /// The model threshold's suggestion name, e.g. `max_f1` (or `given`).
    pub model_threshold_name: String,
    /// The rule set, e.g. its `name` or file name.
    pub rules: String,
    /// The data the comparison ran on.
    pub data: String,
}

/// The scores to compare: parallel slices, one entry per lead.
#[derive(Clone, Copy, Debug)]
pub struct CompareInput<'a> {
    /// Outcome: `true` = won.
    pub won: &'a [bool],
    /// The model's probability.
    pub probability: &'a [f64],
    /// The rules' points.
    pub points: &'a [f64],
    /// The model's MQL threshold (probability).
    pub model_threshold: f64,
    /// The rules' MQL threshold (points).
    pub rules_threshold: f64,
    /// The model's points version (`export-points`) on the same leads, and its MQL threshold.
    pub points_version: Option<(&'a [f64], f64)>,
}

/// Ranking quality of one scorer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScorerSummary {
    /// `model`, `rules` or `points version`.
    pub scorer: String,
    /// Area under the ROC curve (ties count one half).
    pub auc: Option<f64>,
    /// Average precision.
    pub average_precision: Option<f64>,
    /// Won rate of the top 10% over the overall won rate.
    pub lift_top_decile: Option<f64>,
    /// Log loss: only for a scorer with probabilities.
    pub log_loss: Option<f64>,
    /// Brier score: only for a scorer with probabilities.
    pub brier: Option<f64>,
    /// Why a figure is absent, when one is.
    pub note: Option<String>,
}

/// A scorer at a threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Operating {
    /// Which scorer.
    pub scorer: String,
    /// MQL iff score `>=` this (probability for the model, points for rules).
    pub threshold: f64,
    /// MQLs.
    pub mql_count: u64,
    /// MQLs over all leads.
    pub mql_rate: f64,
    /// Won MQLs.
    pub won: u64,
    /// MQL -> won rate (`None` without MQLs).
    pub precision: Option<f64>,
    /// Share of all wins among the MQLs (`None` without wins).
    pub recall: Option<f64>,
    /// Precision over the overall won rate.
    pub lift: Option<f64>,
}

/// A scorer's top `volume` leads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EqualVolume {
    /// Whose MQL volume this is (`model` or `rules`: that scorer at its own threshold).
    pub volume_of: String,
    /// Which scorer's top leads.
    pub scorer: String,
    /// Leads taken: exactly the reference scorer's MQL count.
    pub volume: u64,
    /// Wins among them (fractional when leads tied at the cut count pro rata).
    pub won: f64,
    /// Won over volume.
    pub precision: Option<f64>,
    /// Share of all wins.
    pub recall: Option<f64>,
    /// Precision over the overall won rate.
    pub lift: Option<f64>,
    /// The score at the cut (of the last lead taken).
    pub cut: Option<f64>,
    /// Leads tied at the cut score.
    pub tied_at_cut: u64,
    /// How many of the tied leads the volume needs.
    pub taken_from_tie: u64,
    /// How the tie was handled, in words (empty without a partial tie).
    pub note: String,
}

/// One cell of the agreement table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Leads in the cell.
    pub leads: u64,
    /// Won leads in the cell.
    pub won: u64,
    /// Won over leads (`None` for an empty cell).
    pub won_rate: Option<f64>,
}

/// The 2x2 table at each scorer's own MQL threshold: who agrees, and who was right.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// MQL for both.
    pub both: Cell,
    /// MQL for the model only.
    pub model_only: Cell,
    /// MQL for the rules only.
    pub rules_only: Cell,
    /// MQL for neither.
    pub neither: Cell,
}

/// A threshold of one scorer chosen to match the other's MQL volume.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The scorer whose threshold this is.
    pub scorer: String,
    /// The volume aimed at (the other scorer's MQL count).
    pub target_volume: u64,
    /// The threshold whose MQL count is nearest the target (ties: the smaller count).
    pub threshold: Option<f64>,
    /// That threshold's MQL count (ties at a threshold make some volumes unreachable).
    pub volume: u64,
    /// That threshold's figures.
    pub operating: Option<Operating>,
}

/// A lead the two scorers disagree on most.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// 0-based data row.
    pub row: u64,
    /// The lead's id (or line number), filled in by the caller that read the file.
    pub id: String,
    /// Rule points.
    pub points: f64,
    /// Model probability.
    pub probability: f64,
    /// Outcome.
    pub won: bool,
    /// Share of leads the model puts above this one.
    pub model_top_share: f64,
    /// Share of leads the rules put above this one.
    pub rules_top_share: f64,
    /// The model's largest factors (`feature=value (+0.81)`), filled in by the caller.
    pub model_factors: Vec<String>,
    /// Rules that fired (`name (+15)`), filled in by the caller.
    pub rules_fired: Vec<String>,
}

/// The top disagreements both ways, at the scorers' own thresholds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Disagreements {
    /// MQL for the model only, the rules ranking them lowest first.
    pub model_only: Vec<Disagreement>,
    /// MQL for the rules only, the model ranking them lowest first.
    pub rules_only: Vec<Disagreement>,
}

/// How one rule behaves on the data: does it carry signal?
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleStat {
    /// Rule name.
    pub name: String,
    /// Its group, if any.
    pub group: Option<String>,
    /// Points as written (per unit of `per`, if any).
    pub points: f64,
    /// Leads it fired for.
    pub fired: u64,
    /// Share of leads it fired for.
    pub fired_share: f64,
    /// Average points it gave when it fired (after caps and decay).
    pub average_points: f64,
    /// Won rate of the leads it fired for.
    pub won_rate_fired: Option<f64>,
    /// Won rate of the leads it did not fire for.
    pub won_rate_not_fired: Option<f64>,
    /// Won rate fired over won rate not fired: above 1, the rule points at wins.
    pub ratio: Option<f64>,
}

/// Counts of each rule's firings, gathered lead by lead.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleHits {
    names: Vec<String>,
    groups: Vec<Option<String>>,
    points: Vec<f64>,
    fired: Vec<u64>,
    fired_won: Vec<u64>,
    points_sum: Vec<f64>,
    leads: u64,
    won: u64,
}

impl RuleHits {
    /// Empty counts for the rules of `set`.
    pub fn new(set: &RuleSet) -> RuleHits {
        let n = set.rules.len();
        RuleHits {
            names: set.rules.iter().map(|r| r.name.clone()).collect(),
            groups: set.rules.iter().map(|r| r.group.and_then(|g| set.groups.get(g)).map(|g| g.name.clone())).collect(),
            points: set.rules.iter().map(|r| r.points).collect(),
            fired: vec![0; n],
            fired_won: vec![0; n],
            points_sum: vec![0.0; n],
            leads: 0,
            won: 0,
        }
    }

    /// Counts one scored lead.
    pub fn record(&mut self, score: &RuleScore, won: bool) {
        self.leads += 1;
        self.won += u64::from(won);
        for f in &score.fired {
            if let (Some(n), Some(w), Some(p)) =
                (self.fired.get_mut(f.rule), self.fired_won.get_mut(f.rule), self.points_sum.get_mut(f.rule))
            {
                *n += 1;
                *w += u64::from(won);
                *p += f.points;
            }
        }
    }

    /// Each rule's figures, in file order.
    pub fn stats(&self) -> Vec<RuleStat> {
        (0..self.names.len())
            .map(|i| {
                let fired = self.fired[i];
                let not_fired = self.leads - fired;
                let rate_fired = ratio(self.fired_won[i] as f64, fired);
                let rate_not = ratio((self.won - self.fired_won[i]) as f64, not_fired);
                RuleStat {
                    name: self.names[i].clone(),
                    group: self.groups[i].clone(),
                    points: self.points[i],
                    fired,
                    fired_share: ratio(fired as f64, self.leads).unwrap_or(0.0),
                    average_points: ratio(self.points_sum[i], fired).unwrap_or(0.0),
                    won_rate_fired: rate_fired,
                    won_rate_not_fired: rate_not,
                    ratio: match (rate_fired, rate_not) {
                        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
                        _ => None,
                    },
                }
            })
            .collect()
    }
}

/// `(x, y)` points of a curve for one scorer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Curve {
    /// Which scorer.
    pub scorer: String,
    /// Points in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// Won and lost leads per score bin, each as a share of its own group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreHistogram {
    /// Which scorer.
    pub scorer: String,
    /// `n + 1` ascending bin edges; the last bin is closed.
    pub edges: Vec<f64>,
    /// Share of won leads in each bin.
    pub won: Vec<f64>,
    /// Share of lost leads in each bin.
    pub lost: Vec<f64>,
}

/// One lead on the points-vs-probability scatter plot.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScatterPoint {
    /// Rule points.
    pub points: f64,
    /// Model probability.
    pub probability: f64,
    /// Outcome.
    pub won: bool,
}

/// Everything the comparison report draws.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ComparePlots {
    /// ROC curves (false positive rate, true positive rate), one per scorer.
    pub roc: Vec<Curve>,
    /// Cumulative gains (share of leads contacted, share of wins), one per scorer.
    pub gains: Vec<Curve>,
    /// The model's reliability table (10 bins).
    pub calibration: Vec<CalibrationBin>,
    /// Score distributions of won vs lost leads: the model's and the rules'.
    pub histograms: Vec<ScoreHistogram>,
    /// Up to 2,000 leads, every k-th row.
    pub scatter: Vec<ScatterPoint>,
}

/// The whole comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// What was compared.
    pub labels: CompareLabels,
    /// Leads compared.
    pub n_leads: u64,
    /// Won leads among them.
    pub n_won: u64,
    /// Overall won rate.
    pub won_rate: f64,
    /// Ranking quality: model, rules, and the points version when given.
    pub scorers: Vec<ScorerSummary>,
    /// Model AUC minus the points version's: what rounding the model to points costs.
    pub points_version_auc_cost: Option<f64>,
    /// Each scorer at its own MQL threshold.
    pub own_threshold: Vec<Operating>,
    /// Each scorer's top leads at the other's MQL volume.
    pub equal_volume: Vec<EqualVolume>,
    /// The 2x2 agreement table at the own thresholds.
    pub agreement: Agreement,
    /// The rules threshold matching the model's volume, and the model threshold matching the rules'.
    pub matching: Vec<Match>,
    /// Each rule's firing and won rates.
    pub rules: Vec<RuleStat>,
    /// The leads the scorers disagree on most.
    pub disagreements: Disagreements,
    /// Curves and distributions for the report.
    pub plots: ComparePlots,
    /// Conventions and caveats, in words.
    pub notes: Vec<String>,
}

fn ratio(num: f64, den: u64) -> Option<f64> {
    (den > 0).then(|| num / den as f64)
}

/// Row indices sorted by score, best first; ties in row order.
fn ranked(scores: &[f64]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    order
}

/// Leads sharing a score, best first: (score, leads, won).
fn groups(scores: &[f64], won: &[bool], order: &[usize]) -> Vec<(f64, u64, u64)> {
    let mut out: Vec<(f64, u64, u64)> = Vec::new();
    for &i in order {
        match out.last_mut() {
            Some(last) if last.0 == scores[i] => {
                last.1 += 1;
                last.2 += u64::from(won[i]);
            }
            _ => out.push((scores[i], 1, u64::from(won[i]))),
        }
    }
    out
}

fn operating(scorer: &str, threshold: f64, scores: &[f64], won: &[bool], n_won: u64) -> Operating {
    let n = scores.len() as u64;
    let (mut mql, mut hit) = (0u64, 0u64);
    for (s, w) in scores.iter().zip(won) {
        if *s >= threshold {
            mql += 1;
            hit += u64::from(*w);
        }
    }
    let base = ratio(n_won as f64, n);
    let precision = ratio(hit as f64, mql);
    Operating {
        scorer: scorer.to_owned(),
        threshold,
        mql_count: mql,
        mql_rate: ratio(mql as f64, n).unwrap_or(0.0),
        won: hit,
        precision,
        recall: ratio(hit as f64, n_won),
        lift: match (precision, base) {
            (Some(p), Some(b)) if b > 0.0 => Some(p / b),
            _ => None,
        },
    }
}

/// The top `volume` leads of a ranking, ties at the cut pro rata.
fn top_volume(
    volume_of: &str,
    scorer: &str,
    groups: &[(f64, u64, u64)],
    volume: u64,
    n: u64,
    n_won: u64,
    unit: &str,
) -> EqualVolume {
    let (mut taken, mut won) = (0u64, 0.0);
    let (mut cut, mut tied, mut from_tie) = (None, 0, 0);
    for &(score, leads, wins) in groups {
        if taken >= volume {
            break;
        }
        let need = volume - taken;
        cut = Some(score);
        if leads <= need {
            taken += leads;
            won += wins as f64;
            (tied, from_tie) = (leads, leads);
        } else {
            taken += need;
            won += wins as f64 * need as f64 / leads as f64;
            (tied, from_tie) = (leads, need);
        }
    }
    let note = if from_tie < tied {
        format!(
            "{from_tie} of the {tied} leads tied at {} {unit} are needed; each tied lead counts {from_tie}/{tied} \
             (the average over every choice of them)",
            cut.map_or_else(String::new, |c| format!("{c}"))
        )
    } else {
        String::new()
    };
    let precision = ratio(won, taken);
    let base = ratio(n_won as f64, n);
    EqualVolume {
        volume_of: volume_of.to_owned(),
        scorer: scorer.to_owned(),
        volume: taken,
        won,
        precision,
        recall: ratio(won, n_won),
        lift: match (precision, base) {
            (Some(p), Some(b)) if b > 0.0 => Some(p / b),
            _ => None,
        },
        cut,
        tied_at_cut: tied,
        taken_from_tie: from_tie,
        note,
    }
}

/// The threshold (a distinct score) whose MQL count is nearest `target`; on a
/// tie in distance, the smaller count (no more MQLs than asked).
fn matching(scorer: &str, groups: &[(f64, u64, u64)], target: u64, scores: &[f64], won: &[bool], n_won: u64) -> Match {
    let mut best: Option<(u64, f64, u64)> = None; // (distance, threshold, count)
    let mut count = 0u64;
    for &(score, leads, _) in groups {
        count += leads;
        let distance = count.abs_diff(target);
        if best.is_none_or(|(d, _, _)| distance < d) {
            best = Some((distance, score, count));
        }
    }
    match best {
        Some((_, threshold, volume)) => Match {
            scorer: scorer.to_owned(),
            target_volume: target,
            threshold: Some(threshold),
            volume,
            operating: Some(operating(scorer, threshold, scores, won, n_won)),
        },
        None => Match { scorer: scorer.to_owned(), target_volume: target, threshold: None, volume: 0, operating: None },
    }
}

/// Mid-rank "top share": leads scoring higher plus half the ties, over all leads.
fn top_shares(groups: &[(f64, u64, u64)], scores: &[f64]) -> Vec<f64> {
    let n = scores.len().max(1) as f64;
    let mut above = 0u64;
    let mut share_of: Vec<(f64, f64)> = Vec::with_capacity(groups.len());
    for &(score, leads, _) in groups {
        share_of.push((score, (above as f64 + (leads as f64 - 1.0) / 2.0) / n));
        above += leads;
    }
    // groups are best first: descending scores.
    scores
        .iter()
        .map(|s| {
            let k = share_of.partition_point(|(g, _)| g > s);
            share_of.get(k).map_or(1.0, |(_, share)| *share)
        })
        .collect()
}

fn roc_and_gains(scorer: &str, groups: &[(f64, u64, u64)], n_won: u64, n: u64) -> (Curve, Curve) {
    let n_lost = n - n_won;
    let (mut tp, mut fp) = (0u64, 0u64);
    let mut roc = vec![(0.0, 0.0)];
    let mut gains = vec![(0.0, 0.0)];
    for &(_, leads, wins) in groups {
        tp += wins;
        fp += leads - wins;
        let tpr = ratio(tp as f64, n_won).unwrap_or(0.0);
        roc.push((ratio(fp as f64, n_lost).unwrap_or(0.0), tpr));
        gains.push((ratio((tp + fp) as f64, n).unwrap_or(0.0), tpr));
    }
    (Curve { scorer: scorer.to_owned(), points: thin(roc) }, Curve { scorer: scorer.to_owned(), points: thin(gains) })
}

/// Keeps a curve's first and last points and those at least 1/400 away from
/// the previous kept one: a 20,000-point staircase drawn with a few hundred.
fn thin(points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if points.len() <= MAX_CURVE_POINTS {
        return points;
    }
    let step = 1.0 / MAX_CURVE_POINTS as f64;
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(MAX_CURVE_POINTS * 2);
    let last = points.len() - 1;
    for (i, p) in points.iter().enumerate() {
        let keep = match out.last() {
            None => true,
            Some(q) => i == last || (p.0 - q.0).abs() >= step || (p.1 - q.1).abs() >= step,
        };
        if keep {
            out.push(*p);
        }
    }
    out
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|s| *s >= raw * (1.0 - 1e-12)).unwrap_or(10.0 * power)
}

fn histogram(scorer: &str, scores: &[f64], won: &[bool], integer: bool) -> ScoreHistogram {
    let finite = || scores.iter().copied().filter(|s| s.is_finite());
    let (lo, hi) = (finite().fold(f64::INFINITY, f64::min), finite().fold(f64::NEG_INFINITY, f64::max));
    if !(lo.is_finite() && hi.is_finite()) {
        return ScoreHistogram { scorer: scorer.to_owned(), edges: vec![], won: vec![], lost: vec![] };
    }
    let mut width = nice_step((hi - lo) / HISTOGRAM_BINS);
    if integer {
        width = width.max(1.0).round();
    }
    let start = (lo / width).floor() * width;
    let n_bins = (((hi - start) / width).floor() as usize + 1).max(1);
    let edges: Vec<f64> = (0..=n_bins).map(|k| start + width * k as f64).collect();
    let (mut w, mut l) = (vec![0u64; n_bins], vec![0u64; n_bins]);
    for (s, y) in scores.iter().zip(won) {
        if !s.is_finite() {
            continue;
        }
        let bin = (((s - start) / width).floor() as usize).min(n_bins - 1);
        if *y {
            w[bin] += 1;
        } else {
            l[bin] += 1;
        }
    }
    let (n_won, n_lost) = (w.iter().sum::<u64>(), l.iter().sum::<u64>());
    ScoreHistogram {
        scorer: scorer.to_owned(),
        edges,
        won: w.iter().map(|c| ratio(*c as f64, n_won).unwrap_or(0.0)).collect(),
        lost: l.iter().map(|c| ratio(*c as f64, n_lost).unwrap_or(0.0)).collect(),
    }
}

fn cell(rows: &[usize], won: &[bool]) -> Cell {
    let leads = rows.len() as u64;
    let wins = rows.iter().filter(|&&i| won[i]).count() as u64;
    Cell { leads, won: wins, won_rate: ratio(wins as f64, leads) }
}

fn disagreement(row: usize, input: &CompareInput<'_>, model_share: &[f64], rules_share: &[f64]) -> Disagreement {
    Disagreement {
        row: row as u64,
        id: String::new(),
        points: input.points[row],
        probability: input.probability[row],
        won: input.won[row],
        model_top_share: model_share[row],
        rules_top_share: rules_share[row],
        model_factors: Vec::new(),
        rules_fired: Vec::new(),
    }
}

/// Compares the model with the rules on the same leads. `rules` are the
/// per-rule figures from [`RuleHits::stats`]; `top` is how many
/// disagreements to list each way. The disagreements' `id`, `model_factors`
/// and `rules_fired` are left empty for the caller (which has the raw rows)
/// to fill in by `row`.
pub fn compare(
    labels: CompareLabels,
    input: &CompareInput<'_>,
    rules: Vec<RuleStat>,
    top: usize,
) -> Result<Comparison> {
    let n = input.won.len();
    if input.probability.len() != n
        || input.points.len() != n
        || input.points_version.is_some_and(|(p, _)| p.len() != n)
    {
        return Err(Error::Compare("outcomes, probabilities and points must have one entry per lead".into()));
    }
    if n == 0 {
        return Err(Error::Compare("there are no leads to compare".into()));
    }
    for (what, t) in [("model", input.model_threshold), ("rules", input.rules_threshold)] {
        if !t.is_finite() {
            return Err(Error::Compare(format!("the {what} threshold {t} is not a finite number")));
        }
    }
    let won = input.won;
    let n_won = won.iter().filter(|w| **w).count() as u64;
    let n_u = n as u64;
    let mut notes = vec![
        "Rules give points, not probabilities: log loss and Brier score are the model's only; none is invented for the rules."
            .to_owned(),
        "A lead is an MQL when its score is at or above the threshold.".to_owned(),
        "At equal volume each scorer takes exactly the same number of leads from the top of its ranking; leads tied at the \
         cut count pro rata (the average over every choice of them), never by file order."
            .to_owned(),
    ];
    if n_won == 0 || n_won == n_u {
        notes.push("The leads have only one outcome: AUC and average precision are undefined.".into());
    }

    let summary = |scorer: &str, scores: &[f64], probabilistic: bool| ScorerSummary {
        scorer: scorer.to_owned(),
        auc: auc(scores, won),
        average_precision: average_precision(scores, won),
        lift_top_decile: lift_at(scores, won, 0.1),
        log_loss: probabilistic.then(|| log_loss(scores, won)),
        brier: probabilistic.then(|| brier(scores, won)),
        note: (!probabilistic).then(|| "points, not probabilities: no log loss or Brier score".to_owned()),
    };
    let mut scorers = vec![summary(MODEL, input.probability, true), summary(RULES, input.points, false)];
    if let Some((pv, _)) = input.points_version {
        scorers.push(summary(POINTS_VERSION, pv, false));
    }
    let points_version_auc_cost = match (scorers.first().and_then(|s| s.auc), scorers.get(2).and_then(|s| s.auc)) {
        (Some(m), Some(p)) => Some(m - p),
        _ => None,
    };

    let model_order = ranked(input.probability);
    let rules_order = ranked(input.points);
    let model_groups = groups(input.probability, won, &model_order);
    let rules_groups = groups(input.points, won, &rules_order);

    let model_own = operating(MODEL, input.model_threshold, input.probability, won, n_won);
    let rules_own = operating(RULES, input.rules_threshold, input.points, won, n_won);
    let mut own_threshold = vec![model_own.clone(), rules_own.clone()];
    let mut pv_groups = None;
    if let Some((pv, t)) = input.points_version {
        own_threshold.push(operating(POINTS_VERSION, t, pv, won, n_won));
        pv_groups = Some(groups(pv, won, &ranked(pv)));
    }

    let (v_model, v_rules) = (model_own.mql_count, rules_own.mql_count);
    let mut equal_volume = vec![
        top_volume(MODEL, MODEL, &model_groups, v_model, n_u, n_won, "probability"),
        top_volume(MODEL, RULES, &rules_groups, v_model, n_u, n_won, "points"),
    ];
    if let Some(g) = &pv_groups {
        equal_volume.push(top_volume(MODEL, POINTS_VERSION, g, v_model, n_u, n_won, "points"));
    }
    equal_volume.push(top_volume(RULES, RULES, &rules_groups, v_rules, n_u, n_won, "points"));
    equal_volume.push(top_volume(RULES, MODEL, &model_groups, v_rules, n_u, n_won, "probability"));

    let (mut both, mut model_only, mut rules_only, mut neither) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        match (input.probability[i] >= input.model_threshold, input.points[i] >= input.rules_threshold) {
            (true, true) => both.push(i),
            (true, false) => model_only.push(i),
            (false, true) => rules_only.push(i),
            (false, false) => neither.push(i),
        }
    }
    let agreement = Agreement {
        both: cell(&both, won),
        model_only: cell(&model_only, won),
        rules_only: cell(&rules_only, won),
        neither: cell(&neither, won),
    };

    let model_share = top_shares(&model_groups, input.probability);
    let rules_share = top_shares(&rules_groups, input.points);
    // Most disagreement first: how much lower the other scorer ranks the lead.
    model_only.sort_by(|&a, &b| {
        let (da, db) = (rules_share[a] - model_share[a], rules_share[b] - model_share[b]);
        db.total_cmp(&da).then(a.cmp(&b))
    });
    rules_only.sort_by(|&a, &b| {
        let (da, db) = (model_share[a] - rules_share[a], model_share[b] - rules_share[b]);
        db.total_cmp(&da).then(a.cmp(&b))
    });
    let disagreements = Disagreements {
        model_only: model_only.iter().take(top).map(|&i| disagreement(i, input, &model_share, &rules_share)).collect(),
        rules_only: rules_only.iter().take(top).map(|&i| disagreement(i, input, &model_share, &rules_share)).collect(),
    };

    let matching = vec![
        matching(RULES, &rules_groups, v_model, input.points, won, n_won),
        matching(MODEL, &model_groups, v_rules, input.probability, won, n_won),
    ];

    let (model_roc, model_gains) = roc_and_gains(MODEL, &model_groups, n_won, n_u);
    let (rules_roc, rules_gains) = roc_and_gains(RULES, &rules_groups, n_won, n_u);
    let mut roc = vec![model_roc, rules_roc];
    let mut gains = vec![model_gains, rules_gains];
    if let Some(g) = &pv_groups {
        let (r, c) = roc_and_gains(POINTS_VERSION, g, n_won, n_u);
        roc.push(r);
        gains.push(c);
    }
    let stride = n.div_ceil(MAX_SCATTER).max(1);
    let scatter = (0..n)
        .step_by(stride)
        .map(|i| ScatterPoint { points: input.points[i], probability: input.probability[i], won: won[i] })
        .collect();
    let integer_points = input.points.iter().all(|p| p.fract() == 0.0);
    let plots = ComparePlots {
        roc,
        gains,
        calibration: calibration(input.probability, won, 10),
        histograms: vec![
            histogram(MODEL, input.probability, won, false),
            histogram(RULES, input.points, won, integer_points),
        ],
        scatter,
    };

    Ok(Comparison {
        labels,
        n_leads: n_u,
        n_won,
        won_rate: ratio(n_won as f64, n_u).unwrap_or(0.0),
        scorers,
        points_version_auc_cost,
        own_threshold,
        equal_volume,
        agreement,
        matching,
        rules,
        disagreements,
        plots,
        notes,
    })
}

#[cfg(test)]
mod tests;
