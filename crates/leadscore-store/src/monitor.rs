//! The monitor's report of one model version from the log: the rows a [`crate::Store::rows`]
//! query returned, turned into the slices `leadscore_core::monitor::report` reads.
//!
//! **Which outcome counts for which scoring.** A lead may be scored many times (re-scored as it
//! changes). Every scoring counts for traffic and drift; for the figures on outcomes each lead
//! counts once, with its *last scoring at or before the outcome's cutoff* (the end of its
//! `closed_at` day, or when the outcome arrived): what the model said before it knew.
//!
//! [`rules_beside`] holds the model against marketing's rules on the same judged leads, for the
//! rows that were scored with `--rules` (`/v1/monitor`, the dashboard and `leadscore monitor`).
//!
//! [`challengers`] holds the served version (the champion) against each version shadowed beside
//! it (a `CHALLENGER`) on the same live leads, from the exact pairs the log recorded (a shadow row
//! names the id of the served row it shadows): rank and MQL agreement on every paired scoring, and
//! once outcomes arrive both live AUCs, log losses, Brier scores, lifts, precisions and recalls
//! with the paired bootstrap interval of each difference (`core::monitor::compare_paired`). It is
//! the one computation behind `/v1/monitor`, `leadscore monitor` and `leadscore promote --store`.

use std::collections::BTreeMap;

use leadscore_core::monitor::figures::{agreement, Agreement};
pub use leadscore_core::monitor::ShadowReport;
use leadscore_core::monitor::{self, daily::day_of_unix_ms, LoggedLeads, MonitorReport};
use leadscore_core::monitor::{compare_paired, PairedComparison, Resamples, Scores};
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::row::{FieldValue, LoggedRow, PairFilter, PairedRow};
use crate::{Result, Store};

/// For each lead with an outcome, the index (into `rows`) of the scoring its outcome is judged on:
/// its last scoring at or before the outcome's cutoff.
pub fn judged_rows(rows: &[LoggedRow]) -> BTreeMap<&str, usize> {
    judged(rows.iter())
}

/// [`judged_rows`] over any sequence of rows (the served halves of shadow pairs).
fn judged<'a>(rows: impl Iterator<Item = &'a LoggedRow>) -> BTreeMap<&'a str, usize> {
    let mut judged: BTreeMap<&str, (usize, (i64, i64))> = BTreeMap::new();
    for (i, row) in rows.enumerate() {
        let Some(outcome) = &row.outcome else { continue };
        if row.prediction.scored_at_ms > outcome.cutoff_ms() {
            continue;
        }
        let key = (row.prediction.scored_at_ms, row.row_id);
        let entry = judged.entry(row.prediction.lead_id.as_str()).or_insert((i, key));
        if key >= entry.1 {
            *entry = (i, key);
        }
    }
    judged.into_iter().map(|(id, (i, _))| (id, i)).collect()
}

/// The challengers shadowed beside a served version, from the store: one report per
/// (champion, challenger) the log holds pairs of, champion then challenger in version order.
/// `filter.champion` is normally the monitored version; `filter.challenger` one challenger, or
/// all of them. Bootstrap intervals from `replicates` resamples seeded by `seed`. The one
/// computation behind `/v1/monitor`, `leadscore monitor` and `leadscore promote --store`. The
/// pairs are read a page at a time ([`crate::read::pairs_in_pages`]).
pub fn challengers(
    store: &mut dyn Store,
    filter: &PairFilter,
    replicates: u32,
    seed: u64,
) -> Result<Vec<ShadowReport>> {
    let pairs = crate::read::pairs_in_pages(store, filter)?;
    shadow_reports(&pairs, replicates, seed)
}

/// [`challengers`] over pairs already read.
pub fn shadow_reports(pairs: &[PairedRow], replicates: u32, seed: u64) -> Result<Vec<ShadowReport>> {
    let mut groups: BTreeMap<(&str, &str), Vec<&PairedRow>> = BTreeMap::new();
    for p in pairs {
        groups
            .entry((p.champion.prediction.version.as_str(), p.challenger.prediction.version.as_str()))
            .or_default()
            .push(p);
    }
    let mut out = Vec::with_capacity(groups.len());
    for ((champion, challenger), group) in groups {
        let a: Vec<f64> = group.iter().map(|p| p.champion.prediction.probability).collect();
        let b: Vec<f64> = group.iter().map(|p| p.challenger.prediction.probability).collect();
        // Ranks from the core; MQL agreement on the calls each model made, at its own threshold.
        let rank = agreement(Scores { probs: &a, threshold: 0.5 }, Scores { probs: &b, threshold: 0.5 })?.rank;
        let same = group.iter().filter(|p| p.champion.prediction.mql == p.challenger.prediction.mql).count();
        let n = group.len();
        let agreement = Agreement { n_leads: n as u64, mql: (n > 0).then(|| same as f64 / n as f64), rank };

        let judged = judged(group.iter().map(|p| &p.champion));
        let (mut labels, mut pa, mut pb) = (Vec::new(), Vec::new(), Vec::new());
        let (mut threshold_a, mut threshold_b) = (0.5, 0.5);
        for (_, i) in judged {
            let p = group[i];
            let Some(outcome) = &p.champion.outcome else { continue };
            labels.push(outcome.won);
            pa.push(p.champion.prediction.probability);
            pb.push(p.challenger.prediction.probability);
            threshold_a = p.champion.prediction.threshold;
            threshold_b = p.challenger.prediction.threshold;
        }
        let n_won = labels.iter().filter(|&&w| w).count();
        let outcomes = if n_won > 0 && n_won < labels.len() {
            let resamples = Resamples::drawn(labels.len(), replicates, seed);
            Some(compare_paired(
                &labels,
                Scores { probs: &pa, threshold: threshold_a },
                Scores { probs: &pb, threshold: threshold_b },
                &resamples,
            )?)
        } else {
            None
        };
        out.push(ShadowReport {
            champion: champion.to_owned(),
            challenger: challenger.to_owned(),
            n_paired: n as u64,
            agreement,
            outcomes,
        });
    }
    Ok(out)
}

/// The model (`a`) against the rules (`b`) on the rows with an outcome and rule points, each lead
/// judged on its last scoring before its outcome (as the report's figures): AUC, lift in the top
/// 10%, precision and recall at each one's MQL threshold, each difference `b - a` with its paired
/// bootstrap interval. `None` when no such lead. Points are not probabilities, so the rules'
/// log loss and Brier are `None`.
pub fn rules_beside(rows: &[LoggedRow], replicates: u32, seed: u64) -> Result<Option<PairedComparison>> {
    let mut labels = Vec::new();
    let (mut model, mut points, mut mql) = (Vec::new(), Vec::new(), Vec::new());
    let mut threshold_a = 0.5;
    for (_, i) in judged_rows(rows) {
        let row = &rows[i];
        let (Some(outcome), Some(p), Some(m)) = (&row.outcome, row.prediction.rule_points, row.prediction.rule_mql)
        else {
            continue;
        };
        labels.push(outcome.won);
        threshold_a = row.prediction.threshold;
        model.push(row.prediction.probability);
        points.push(p);
        mql.push(m);
    }
    if labels.is_empty() {
        return Ok(None);
    }
    // Points onto (0, 1) by an increasing map (ranks, hence AUC and lift, unchanged), and the
    // rules' threshold as the lowest mapped MQL: the MQL flags are the rules' own.
    let scale = points.iter().fold(1.0_f64, |m, p| m.max(p.abs()));
    let mapped: Vec<f64> = points.iter().map(|p| 1.0 / (1.0 + (-p / scale).exp())).collect();
    let threshold_b = mapped.iter().zip(&mql).filter(|(_, m)| **m).map(|(p, _)| *p).fold(1.0_f64, f64::min);
    let resamples = Resamples::drawn(labels.len(), replicates, seed);
    let mut paired = compare_paired(
        &labels,
        Scores { probs: &model, threshold: threshold_a },
        Scores { probs: &mapped, threshold: threshold_b },
        &resamples,
    )?;
    for figure in [&mut paired.log_loss, &mut paired.brier] {
        figure.b = None;
        figure.difference = None;
        figure.interval = None;
    }
    Ok(Some(paired))
}

/// The monitor's report of `artifact` over `rows` (one model version's scorings), with
/// `replicates` bootstrap resamples seeded by `seed`.
///
/// Feature drift reads the logged fields; when no row has fields (`--log-fields none`) the report
/// has none per feature, and rows without fields among rows with them read as missing.
pub fn report(artifact: &Artifact, rows: &[LoggedRow], replicates: u32, seed: u64) -> Result<MonitorReport> {
    // The bootstrap resamples leads by position, so the positions must not depend on the order
    // the store hands rows back in: several replicas writing one log interleave their rows
    // differently on every run, and the same leads must give the same intervals. Lead id, then
    // scoring time, then row id is an order of the leads themselves.
    let mut order: Vec<&LoggedRow> = rows.iter().collect();
    order.sort_by(|a, b| {
        (a.prediction.lead_id.as_str(), a.prediction.scored_at_ms, a.row_id).cmp(&(
            b.prediction.lead_id.as_str(),
            b.prediction.scored_at_ms,
            b.row_id,
        ))
    });
    let rows = order;
    let probs: Vec<f64> = rows.iter().map(|r| r.prediction.probability).collect();
    let tiers: Vec<&str> = rows.iter().map(|r| r.prediction.tier.as_str()).collect();
    let mql: Vec<bool> = rows.iter().map(|r| r.prediction.mql).collect();
    let thresholds: Vec<f64> = rows.iter().map(|r| r.prediction.threshold).collect();
    let days: Vec<i32> = rows.iter().map(|r| day_of_unix_ms(r.prediction.scored_at_ms)).collect();
    let mut outcomes: Vec<Option<bool>> = vec![None; rows.len()];
    for (_, i) in judged(rows.iter().copied()) {
        outcomes[i] = rows[i].outcome.as_ref().map(|o| o.won);
    }
    let any_fields = rows.iter().any(|r| r.prediction.fields.is_some());
    let missing = FieldValue::Missing;
    let fields: Vec<(&str, Vec<RawValue<'_>>)> = if any_fields {
        artifact
            .encoder
            .inputs()
            .into_iter()
            .map(|name| {
                let values = rows
                    .iter()
                    .map(|r| r.prediction.fields.as_ref().map_or(&missing, |fs| fs.get(name)).raw())
                    .collect();
                (name, values)
            })
            .collect()
    } else {
        Vec::new()
    };
    let leads = LoggedLeads {
        probs: &probs,
        tiers: &tiers,
        mql: &mql,
        thresholds: &thresholds,
        days: &days,
        outcomes: &outcomes,
        fields: &fields,
    };
    Ok(monitor::report(artifact, &leads, replicates, seed)?)
}
