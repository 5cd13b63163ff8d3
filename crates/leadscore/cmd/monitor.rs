//! `leadscore monitor`: a model version in production, from the prediction log.

use std::path::PathBuf;

use leadscore_core::monitor::bootstrap::DEFAULT_REPLICATES;
use leadscore_core::monitor::{MonitorReport, PairedComparison};
use leadscore_store::monitor::ShadowReport;
use leadscore_store::{Filter, PairFilter};
use serde::Serialize;

use super::store::{PeriodArgs, StoreArgs};
use super::{opt, version_of, ModelArgs};

/// Arguments of `leadscore monitor`.
#[derive(clap::Args, Debug)]
pub struct MonitorArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// The model version to monitor (`leads` = its current version, `leads@v2` another).
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub period: PeriodArgs,
    /// Bootstrap replicates of the intervals.
    #[arg(long, default_value_t = DEFAULT_REPLICATES)]
    pub replicates: u32,
    /// Print JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as an HTML page with charts.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

#[derive(Serialize)]
struct Output<'a> {
    model: &'a str,
    version: &'a str,
    store: &'a str,
    period: String,
    #[serde(flatten)]
    report: &'a MonitorReport,
    /// The model and the rules on the same leads, when the leads were scored with `--rules`.
    #[serde(skip_serializing_if = "Option::is_none")]
    rules: Option<&'a PairedComparison>,
    /// The versions shadowed beside this one (as `/v1/monitor`).
    challengers: &'a [ShadowReport],
}

/// Runs `leadscore monitor`.
pub fn run(args: MonitorArgs) -> anyhow::Result<()> {
    let (artifact, path, _) = args.model.load()?;
    let version = version_of(&path);
    let (since_ms, until_ms) = args.period.bounds()?;
    let filter = Filter::served(&artifact.name, Some(&version), since_ms, until_ms);
    let mut store = args.store.open()?;
    let rows = leadscore_store::read::rows_in_pages(store.as_mut(), &filter, None)?.rows;
    let report = leadscore_store::monitor::report(&artifact, &rows, args.replicates, artifact.training.seed)?;
    let rules = leadscore_store::monitor::rules_beside(&rows, args.replicates, artifact.training.seed)?;
    let pairs = PairFilter {
        model: artifact.name.clone(),
        champion: Some(version.clone()),
        challenger: None,
        since_ms,
        until_ms,
        ..PairFilter::default()
    };
    let challengers =
        leadscore_store::monitor::challengers(store.as_mut(), &pairs, args.replicates, artifact.training.seed)?;
    let period = args.period.describe();
    if let Some(html) = &args.html {
        let live = leadscore_html::monitor::Live {
            report: &report,
            rules: rules.as_ref(),
            rules_name: None,
            challengers: &challengers,
        };
        let page = leadscore_html::monitor::monitor_html(&artifact.name, &version, &period, &live);
        super::write_output(Some(html), &page)?;
    }
    let mut out = String::new();
    if args.json {
        let doc = Output {
            model: &artifact.name,
            version: &version,
            store: store.location(),
            period,
            report: &report,
            rules: rules.as_ref(),
            challengers: &challengers,
        };
        outln!(out, "{}", serde_json::to_string_pretty(&doc)?);
        return super::emit(&out);
    }
    outln!(
        out,
        "{} {} in {} ({period}): {} leads scored, {} with an outcome ({} won)",
        artifact.name,
        version,
        store.location(),
        report.n_scored,
        report.n_outcomes,
        report.n_won
    );
    if let Some(o) = &report.outcomes {
        let f = &o.figures;
        let ci = |e: &leadscore_core::monitor::figures::Estimate, d: usize| {
            format!("{}{}", opt(e.value, d), super::interval(e.interval))
        };
        outln!(
            out,
            "  live AUC {} (held out {}{})  log loss {}  Brier {}  lift@10% {}",
            ci(&f.auc, 4),
            opt(o.holdout_auc, 4),
            super::interval(o.holdout_auc_interval),
            ci(&f.log_loss, 4),
            ci(&f.brier, 4),
            ci(&f.lift_top_decile, 2)
        );
        outln!(out, "  won rate by tier (predicted -> realised):");
        for r in &o.by_tier {
            outln!(
                out,
                "    {:<3} n {:>6}  {:>5.1}% -> {:>5.1}%{}",
                r.group,
                r.n,
                100.0 * r.mean_predicted,
                100.0 * r.observed_rate,
                r.interval.map_or_else(String::new, |i| format!(" [{:.1}%, {:.1}%]", 100.0 * i.low, 100.0 * i.high))
            );
        }
    }
    if let Some(c) = &rules {
        let paired = |p: &leadscore_core::monitor::figures::Paired, d: usize| {
            format!(
                "model {} rules {} (rules - model {}{})",
                opt(p.a, d),
                opt(p.b, d),
                p.difference.map_or_else(|| "n/a".to_owned(), |x| format!("{x:+.d$}")),
                super::interval(p.interval)
            )
        };
        outln!(out, "  the rules on the same {} leads with an outcome:", c.n_leads);
        outln!(out, "    AUC       {}", paired(&c.auc, 4));
        outln!(out, "    lift@10%  {}", paired(&c.lift_top_decile, 2));
    }
    for challenger in &challengers {
        super::promotion::print_shadow(&mut out, challenger);
    }
    let s = &report.score_drift;
    outln!(out, "  score PSI {} ({})", opt(s.psi, 3), if s.flagged { "flagged" } else { "not flagged" });
    outln!(out, "  feature drift (PSI against training; flagged above 0.1 once there are enough leads):");
    for f in &report.features {
        let status = if f.psi.flagged {
            "FLAGGED".to_owned()
        } else if f.psi.min_leads.is_some_and(|m| f.psi.n < m) {
            format!("too few leads ({} of {})", f.psi.n, f.psi.min_leads.unwrap_or(0))
        } else {
            "stable".to_owned()
        };
        let unseen = f.unseen.map_or_else(String::new, |u| format!("  unseen {:.1}%", 100.0 * u.live));
        outln!(
            out,
            "    {:<26} PSI {:>7}  {status}  missing {:.1}% (training {:.1}%){unseen}",
            f.feature,
            opt(f.psi.psi, 3),
            100.0 * f.missing.live,
            100.0 * f.missing.training
        );
    }
    let flagged_days = report.days.iter().filter(|d| d.flagged).count();
    outln!(
        out,
        "  {} days, {} with an MQL rate off the held-out prediction (|z| > 3)",
        report.days.len(),
        flagged_days
    );
    super::emit(&out)
}
