//! `leadscore inspect`: a model as a readable table (or its card as JSON).

use leadscore_core::card::card;

use super::{opt, version_of, ModelArgs};

/// Arguments of `leadscore inspect`.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Print the model card as JSON.
    #[arg(long)]
    pub json: bool,
    /// Coefficients to show (largest magnitude first).
    #[arg(long, default_value_t = 25)]
    pub top: usize,
}

/// Runs `leadscore inspect`.
pub fn run(args: InspectArgs) -> anyhow::Result<()> {
    let mut out = String::new();
    let (artifact, path, bytes) = args.model.load()?;
    let version = version_of(&path);
    let card = card(&artifact, &artifact.name, &version, leadscore_core::Artifact::checksum(&bytes));
    if args.json {
        outln!(out, "{}", serde_json::to_string_pretty(&card)?);
        return super::emit(&out);
    }
    let t = &artifact.training;
    outln!(out, "model     {} {} ({}), checksum {}", artifact.name, version, path.display(), card.checksum);
    outln!(out, "target    {}", card.target);
    outln!(
        out,
        "trained   {} leads ({} won), fitted on {}, held out {}, leadscore {}",
        t.n_rows,
        t.n_positives,
        t.n_train,
        t.n_holdout,
        t.leadscore_version
    );
    outln!(out, "fitted    {}", artifact.fitted_on.describe(t));
    if let Some((from, to)) = &t.date_range {
        outln!(out, "dates     {from} .. {to}");
    }
    outln!(out, "data      sha256 {}", t.data_hash);
    if let Some(cv) = &artifact.cv {
        outln!(
            out,
            "cv        {} folds: AUC {} log loss {:.4} Brier {:.4}",
            cv.folds,
            opt(cv.auc, 4),
            cv.log_loss,
            cv.brier
        );
    }
    let h = &artifact.holdout;
    let ci = super::interval(h.auc_ci);
    outln!(
        out,
        "held out  AUC {}{} log loss {:.4} Brier {:.4} lift@10% {}",
        opt(h.auc, 4),
        ci,
        h.log_loss,
        h.brier,
        opt(h.lift_top_decile, 2)
    );
    outln!(out, "penalty   l2 {} (scikit-learn C {:.4})", artifact.regularisation.l2, 1.0 / artifact.regularisation.l2);
    outln!(
        out,
        "baseline  log-odds {:.4} (probability {:.4}); intercept {:.4}",
        card.baseline_log_odds,
        leadscore_core::model::sigmoid(card.baseline_log_odds),
        card.intercept
    );
    outln!(
        out,
        "\ncoefficients (strongest first by the smallest effect the 95% interval allows; numbers per standard deviation)"
    );
    outln!(out, "  {:<48} {:>10} {:>10} {:>19} {:>9}", "column", "coef", "odds x", "95% interval", "leads");
    for c in card.coefficients.iter().take(args.top) {
        let interval = c.odds_interval.map_or_else(
            || "-".to_owned(),
            |(low, high)| {
                format!("{}-{}", leadscore_core::evidence::odds_text(low), leadscore_core::evidence::odds_text(high))
            },
        );
        let leads = c.leads.map_or_else(|| "-".to_owned(), |n| n.to_string());
        outln!(out, "  {:<48} {:>10.4} {:>10.3} {:>19} {:>9}", c.column, c.coefficient, c.odds_ratio, interval, leads);
    }
    if card.coefficients.len() > args.top {
        outln!(out, "  ... {} more (--top N, or --json)", card.coefficients.len() - args.top);
    }
    if !card.pairs.is_empty() || card.pair_search.is_some() {
        outln!(out, "\npairs (one weight per combination of two features' values)");
        for pair in &card.pairs {
            let cells = pair.rows.len() * pair.columns.len();
            let flat = || pair.weights.iter().flatten().copied();
            let (lo, hi) = (flat().fold(f64::INFINITY, f64::min), flat().fold(f64::NEG_INFINITY, f64::max));
            outln!(
                out,
                "  {:<48} {} × {} = {cells} cells, weights {lo:+.3} .. {hi:+.3}",
                pair.name,
                pair.rows.len(),
                pair.columns.len()
            );
        }
        if let Some(search) = card.pair_search {
            outln!(
                out,
                "  search: {} pairs ranked by FAST on {} leads; cv log loss {:.4} -> {:.4}; {}",
                search.n_ranked,
                search.n_rank_rows,
                search.base_log_loss,
                search.log_loss,
                search.stopped
            );
            for c in &search.candidates {
                outln!(
                    out,
                    "    {} {:<44} FAST {:>10.1}  cv gain {:+.5} (se {:.5}){}",
                    if c.kept { "kept" } else { "    " },
                    format!("{} × {}", c.features[0], c.features[1]),
                    c.fast_gain,
                    c.cv_gain,
                    c.cv_gain_se,
                    setting(c.l2, c.pull)
                );
            }
        }
    }
    if let Some(search) = card.shape_search {
        outln!(
            out,
            "\nshapes (each `shape = \"auto\"` number's reading, chosen by out-of-fold log loss; {:.4} -> {:.4}; {})",
            search.base_log_loss,
            search.log_loss,
            search.stopped
        );
        for choice in &search.features {
            outln!(out, "  {:<32} {}", choice.feature, choice.describe());
        }
    }
    outln!(out, "\nthresholds");
    for s in &artifact.thresholds {
        outln!(out, "  {}", super::threshold_row(&s.strategy, s.threshold, s.mql_rate, s.precision, s.recall, s.lift));
    }
    outln!(out, "\ntiers");
    for tier in &artifact.tiers.tiers {
        outln!(
            out,
            "  {}  p >= {:.4}  ({:.0}% of held-out leads)",
            tier.name,
            tier.min_probability,
            100.0 * tier.share
        );
    }
    if !artifact.warnings.is_empty() {
        outln!(out, "\nwarnings");
        for w in &artifact.warnings {
            outln!(out, "  ! {}", w.message);
        }
    }
    outln!(out, "\nspec\n{}", card.spec);
    super::emit(&out)
}

/// A judged pair candidate's penalty and pull between neighbouring cells, as `inspect` lists
/// them (nothing for one not judged; no pull for a model that did not record it).
fn setting(l2: f64, pull: f64) -> String {
    match (l2.is_finite(), pull.is_finite()) {
        (false, _) => String::new(),
        (true, false) => format!("  penalty {l2:.3}"),
        (true, true) if pull == 0.0 => format!("  penalty {l2:.3}, no pull"),
        (true, true) => format!("  penalty {l2:.3}, pull {pull:.3}"),
    }
}
