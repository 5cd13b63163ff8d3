//! What `train`, `retrain` and `promote` share about the promotion gate: its flags, the exit
//! codes a scheduler reads, and the comparison as the terminal shows it.

use leadscore_core::monitor::figures::Paired;
use leadscore_core::monitor::PairedComparison;
use leadscore_core::promotion::{GateRecord, Policy};
use leadscore_store::monitor::ShadowReport;
use leadscore_train::gate::PromoteMode;

/// Exit code: the candidate was trained and kept as a version but is not current (the gate
/// refused it, `--promote never`, or the current version changed while it trained).
pub const EXIT_NOT_PROMOTED: u8 = 3;
/// Exit code: `retrain` did not train, too few new closed deals (`--min-new-leads`).
pub const EXIT_SKIPPED: u8 = 4;

/// A command's outcome that is not an error but must reach the exit code (the message was
/// printed already).
#[derive(Debug)]
pub struct Exit(pub u8);

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit code {}", self.0)
    }
}

impl std::error::Error for Exit {}

/// `--promote`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromoteArg {
    /// Promote if the gate passes the candidate against the current version.
    Auto,
    /// Promote whatever the gate says (its verdict is still recorded).
    Always,
    /// Keep the candidate as a version; never make it current.
    Never,
}

impl From<PromoteArg> for PromoteMode {
    fn from(p: PromoteArg) -> Self {
        match p {
            PromoteArg::Auto => PromoteMode::Auto,
            PromoteArg::Always => PromoteMode::Always,
            PromoteArg::Never => PromoteMode::Never,
        }
    }
}

/// The promotion gate's flags (each overrides the spec's `[promotion]` table, or for `retrain`
/// the policy the current version was trained with).
#[derive(clap::Args, Debug, Clone)]
pub struct GateArgs {
    /// When a model already has a current version: promote the new one if the gate passes it
    /// (`auto`), whatever it says (`always`), or never (`never`). Not promoted: exit code 3.
    #[arg(long, value_enum, default_value_t = PromoteArg::Auto)]
    pub promote: PromoteArg,
    /// Gate: refuse a candidate whose AUC is below the current one's beyond the noise, i.e. the
    /// whole paired 95% interval of the difference below minus this (default 0).
    #[arg(long)]
    pub auc_tolerance: Option<f64>,
    /// Gate: refuse a candidate whose log loss exceeds the current one's by more than this share
    /// (default 0.01, i.e. 1%).
    #[arg(long)]
    pub log_loss_margin: Option<f64>,
    /// Gate: fewest compared leads it decides on (default 200); fewer, and it refuses.
    #[arg(long)]
    pub gate_min_leads: Option<u64>,
    /// Gate: fewest won leads among them (default 20).
    #[arg(long)]
    pub gate_min_won: Option<u64>,
    #[command(flatten)]
    pub age: AgeArg,
}

/// The stale-version rule's flag, shared by `train`, `retrain` and `promote`.
#[derive(clap::Args, Debug, Clone)]
pub struct AgeArg {
    /// Gate: when the current version has been current for more than this many days (counted
    /// from the first history entry that made it current), accept a candidate within 95% of it:
    /// AUC at least 95% of its AUC, log loss at most its log loss / 0.95. Default: the policy's
    /// (the spec's `[promotion]`, the current version's for `retrain`, the card's for `promote`),
    /// else 90, Dynamics 365's 3 months; 0 turns the rule off.
    #[arg(long, value_name = "DAYS")]
    pub max_current_age_days: Option<u32>,
}

impl AgeArg {
    /// The flag, checked as the spec's `[promotion] max_current_age_days` is.
    pub fn checked(&self) -> anyhow::Result<Option<u32>> {
        match self.max_current_age_days {
            None => Ok(None),
            Some(days) => {
                Ok(Some(Policy { max_current_age_days: days, ..Policy::default() }.check()?.max_current_age_days))
            }
        }
    }
}

impl GateArgs {
    /// Whether any policy flag was given.
    pub fn any(&self) -> bool {
        self.auc_tolerance.is_some()
            || self.log_loss_margin.is_some()
            || self.gate_min_leads.is_some()
            || self.gate_min_won.is_some()
            || self.age.max_current_age_days.is_some()
    }

    /// `base` with the flags applied, checked.
    pub fn policy(&self, base: Policy) -> anyhow::Result<Policy> {
        let policy = Policy {
            auc_tolerance: self.auc_tolerance.unwrap_or(base.auc_tolerance),
            log_loss_margin: self.log_loss_margin.unwrap_or(base.log_loss_margin),
            min_leads: self.gate_min_leads.unwrap_or(base.min_leads),
            min_won: self.gate_min_won.unwrap_or(base.min_won),
            max_current_age_days: self.age.max_current_age_days.unwrap_or(base.max_current_age_days),
        };
        Ok(policy.check()?)
    }
}

fn cell(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "n/a".into(), |v| format!("{v:.digits$}"))
}

fn row(out: &mut String, name: &str, p: &Paired, digits: usize) {
    let interval = p.interval.map_or_else(|| "n/a".into(), |i| format!("[{:+.digits$}, {:+.digits$}]", i.low, i.high));
    outln!(
        out,
        "    {name:<16} {:>10} {:>10} {:>10}  {interval}",
        cell(p.a, digits),
        cell(p.b, digits),
        p.difference.map_or_else(|| "n/a".into(), |d| format!("{d:+.digits$}"))
    );
}

/// The gate's comparison, as `train`, `retrain` and `promote` print it.
pub fn print_record(out: &mut String, record: &GateRecord) {
    let c = &record.comparison;
    outln!(
        out,
        "  compared   {} with {} on {} leads ({} won): {}",
        record.candidate,
        record.against,
        c.n_leads,
        c.n_won,
        record.evidence.leads
    );
    print_paired(out, &record.against, &record.candidate, c);
    let inputs = record.inputs.lines();
    if inputs.is_empty() {
        outln!(out, "  inputs     unchanged (same features and levels)");
    }
    for line in inputs {
        outln!(out, "  inputs     {line}");
    }
}

/// Two models' figures on the same leads with the paired interval of each difference (`a` the
/// current version or champion, `b` the candidate or challenger).
fn print_paired(out: &mut String, a: &str, b: &str, c: &PairedComparison) {
    outln!(
        out,
        "    {:<16} {:>10} {:>10} {:>10}  95% paired interval ({} resamples)",
        "figure",
        a,
        b,
        "difference",
        c.replicates
    );
    row(out, "AUC", &c.auc, 4);
    row(out, "log loss", &c.log_loss, 4);
    row(out, "Brier", &c.brier, 4);
    row(out, "lift@10%", &c.lift_top_decile, 2);
    row(out, "precision", &c.precision, 3);
    row(out, "recall", &c.recall, 3);
    outln!(
        out,
        "    (precision and recall at each one's default threshold: {:.4} and {:.4})",
        c.threshold_a,
        c.threshold_b
    );
}

/// A challenger's live evidence beside the version it shadowed, as `monitor` and `promote --store`
/// print it.
pub fn print_shadow(out: &mut String, s: &ShadowReport) {
    let g = &s.agreement;
    outln!(
        out,
        "  challenger {} shadowed {} on {} live leads: rank agreement (Spearman) {}, same MQL call {}",
        s.challenger,
        s.champion,
        s.n_paired,
        cell(g.rank, 3),
        g.mql.map_or_else(|| "n/a".into(), |m| format!("{:.1}%", 100.0 * m))
    );
    match &s.outcomes {
        Some(c) => {
            outln!(out, "  on the {} of them with an outcome ({} won):", c.n_leads, c.n_won);
            print_paired(out, &s.champion, &s.challenger, c);
        }
        None => outln!(out, "  no live figures yet: they need a won and a lost lead among the shadowed ones"),
    }
}
