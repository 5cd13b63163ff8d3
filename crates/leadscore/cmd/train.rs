//! `leadscore train`: fit, evaluate and publish a model.

use std::path::PathBuf;

use anyhow::Context;
use leadscore_core::card::card;
use leadscore_core::report::Warning;
use leadscore_core::Spec;
use leadscore_html::report::report_html;
use leadscore_io::csv_source::{read_table_from, CsvFile};
use leadscore_train::card::train_summary;
use leadscore_train::infer::{apply_overrides, infer_spec_from};
use leadscore_train::params::TrainParams;
use leadscore_train::pipeline::train;
use leadscore_train::registry::Registry;

use super::opt;
use super::spec::ColumnArgs;
use crate::progress::Ui;

/// Arguments of `leadscore train`.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Labelled CSV of past leads with their outcome, or a PostgreSQL database
    /// (`postgres://USER@HOST/DB`) with --query or --table.
    #[arg(long)]
    pub data: PathBuf,
    /// With a postgres:// --data: the query returning the training rows.
    #[arg(long, conflicts_with = "table")]
    pub query: Option<String>,
    /// With a postgres:// --data: the table holding the training rows (`schema.table` allowed).
    #[arg(long)]
    pub table: Option<String>,
    /// A spec file (TOML). Without one, the spec is inferred from the data and the flags below.
    #[arg(long)]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub columns: ColumnArgs,
    /// Model name in the registry (default: the data file's name).
    #[arg(long)]
    pub name: Option<String>,
    /// The model registry.
    #[arg(long, env = "LEADSCORE_MODELS", default_value = "models")]
    pub models: PathBuf,
    /// Folds of the cross-validated penalty search; 0 fits once at --l2.
    #[arg(long, default_value_t = 5)]
    pub cv_folds: u32,
    /// Seed of the split, the folds and the bootstrap.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// A fixed L2 penalty instead of the search (scikit-learn's C = 1 / l2).
    #[arg(long)]
    pub l2: Option<f64>,
    /// Single-column AUC above which a column is reported as likely leakage.
    #[arg(long, default_value_t = 0.9)]
    pub leakage_auc: f64,
    /// Bootstrap replicates for the intervals (default: 1000, 200 above 50,000 held-out leads).
    #[arg(long)]
    pub bootstrap: Option<u32>,
    /// Also write the effective spec here (useful after inference).
    #[arg(long)]
    pub save_spec: Option<PathBuf>,
    /// Print a JSON summary on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
}

fn effective_spec(args: &TrainArgs) -> anyhow::Result<(Spec, Vec<Warning>)> {
    let options = args.columns.options();
    match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading spec {}", path.display()))?;
            let mut spec = Spec::from_toml_str(&text).with_context(|| format!("spec {}", path.display()))?;
            apply_overrides(&mut spec, &options);
            let mut notes = Vec::new();
            if spec.features.is_empty() {
                // A spec that only names the target and exclusions: infer the features, keep its choices.
                let mut infer = options.clone();
                infer.target = spec.target.column.clone();
                infer.positive = spec.target.positive.clone();
                infer.negative = spec.target.negative.clone();
                infer.ids = spec.ids.clone();
                infer.exclude = spec.exclude.keys().cloned().collect();
                infer.time_column = spec.time_column.clone();
                let (inferred, inferred_notes) = infer_spec_from(open_data(args)?, &infer)?;
                notes = inferred_notes;
                let reasons = spec.exclude.clone();
                let defaults = spec.defaults.clone();
                let missing = spec.missing.clone();
                spec = inferred;
                spec.exclude.extend(reasons);
                spec.defaults = defaults;
                spec.missing = missing;
            }
            spec.validate().with_context(|| format!("spec {}", path.display()))?;
            Ok((spec, notes))
        }
        None => {
            if args.columns.target.is_none() {
                anyhow::bail!("say what to predict: --spec FILE, or --target COLUMN (with --positive VALUE unless it is 1/yes/true/won)");
            }
            Ok(infer_spec_from(open_data(args)?, &options)?)
        }
    }
}

/// The training rows: the CSV file, or what the query returns when `--data` is a PostgreSQL URL
/// (streamed through the same CSV reader, so specs, errors and the data hash are the same).
fn open_data(args: &TrainArgs) -> anyhow::Result<CsvFile> {
    let data = args.data.to_string_lossy();
    if data.starts_with("postgres://") || data.starts_with("postgresql://") {
        #[cfg(feature = "postgres")]
        {
            use leadscore_io::pg_source::{open, PgQuery};
            let query = match (&args.query, &args.table) {
                (Some(q), _) => PgQuery::Sql(q.clone()),
                (None, Some(t)) => PgQuery::Table(t.clone()),
                (None, None) => anyhow::bail!("--data {data} is a database: say what to read with --query or --table"),
            };
            return Ok(open(&data, &query)?);
        }
        #[cfg(not(feature = "postgres"))]
        anyhow::bail!("this build cannot read PostgreSQL (build with the `postgres` feature)");
    }
    if args.query.is_some() || args.table.is_some() {
        anyhow::bail!("--query and --table read from PostgreSQL: give --data postgres://USER@HOST/DB");
    }
    Ok(CsvFile::open(&args.data)?)
}

fn default_name(data: &std::path::Path) -> String {
    let stem = data.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
        .take(64)
        .collect();
    if name.is_empty() || name.starts_with('-') {
        "leads".into()
    } else {
        name
    }
}

/// Runs `leadscore train`.
pub fn run(args: TrainArgs, ui: &Ui) -> anyhow::Result<()> {
    let mut out = String::new();
    let params = TrainParams::default()
        .cv_folds(args.cv_folds)
        .seed(args.seed)
        .l2(args.l2)
        .leakage_auc(args.leakage_auc)
        .bootstrap(args.bootstrap)
        .check()?;
    if params.cv_folds == 0 && params.l2.is_none() {
        anyhow::bail!("--cv-folds 0 turns the penalty search off: give the penalty with --l2 (e.g. --l2 1)");
    }
    let (spec, notes) = effective_spec(&args)?;
    if let Some(path) = &args.save_spec {
        super::write_output(Some(path), &spec.to_toml_string()?)?;
    }
    let default = match &args.table {
        Some(table) => default_name(std::path::Path::new(table.rsplit('.').next().unwrap_or(table))),
        None => default_name(&args.data),
    };
    let name = args.name.clone().unwrap_or(default);
    let progress = ui.progress();
    let started = std::time::Instant::now();
    let table = read_table_from(open_data(&args)?, &spec, &progress)?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "read");
    tracing::info!(rows = table.n_rows(), features = spec.features.len(), "read training data");
    let (artifact, _) = train(&spec, &table, &name, &params, notes, &progress)?;
    drop(table);
    let bytes = artifact.to_bytes()?;
    let registry = Registry::new(&args.models);
    let next = artifact.name.clone();
    // The card and report name the version, which the registry assigns: build them for the
    // version the registry will pick, i.e. publish with a closure-free two-step.
    let published = registry.publish_with(&next, &bytes, |version| {
        let card_json = serde_json::to_vec_pretty(&card(
            &artifact,
            &artifact.name,
            version,
            leadscore_core::Artifact::checksum(&bytes),
        ))
        .unwrap_or_default();
        let report = report_html(&artifact, version).into_bytes();
        (card_json, report)
    })?;
    for w in &artifact.warnings {
        eprintln!("warning: {}", w.message);
    }
    let model_path = published.model_path.display().to_string();
    if args.json {
        let summary = train_summary(&artifact, &published.version, model_path, published.reused);
        outln!(out, "{}", serde_json::to_string_pretty(&summary)?);
        return super::emit(&out);
    }
    let t = &artifact.training;
    let h = &artifact.holdout;
    outln!(
        out,
        "trained {} {}{} -> {}",
        artifact.name,
        published.version,
        if published.reused { " (identical to an existing version)" } else { "" },
        model_path
    );
    outln!(
        out,
        "  leads      {} ({} won, {:.1}%); fitted on {}, held out {} ({})",
        t.n_rows,
        t.n_positives,
        100.0 * t.n_positives as f64 / t.n_rows.max(1) as f64,
        t.n_train,
        t.n_holdout,
        match &t.holdout {
            leadscore_core::report::Holdout::Newest { column, from } => format!("newest by `{column}`, from {from}"),
            leadscore_core::report::Holdout::Stratified { seed } => format!("stratified random, seed {seed}"),
        }
    );
    outln!(
        out,
        "  features   {} columns from {} features",
        artifact.encoder.n_columns,
        artifact.encoder.features.len()
    );
    match &artifact.cv {
        Some(cv) => outln!(
            out,
            "  penalty    l2 = {:.4} (scikit-learn C = {:.4}), by {}-fold CV log loss; CV AUC {} log loss {:.4} Brier {:.4}",
            artifact.regularisation.l2,
            1.0 / artifact.regularisation.l2,
            cv.folds,
            opt(cv.auc, 4),
            cv.log_loss,
            cv.brier
        ),
        None => outln!(out, "  penalty    l2 = {} (fixed)", artifact.regularisation.l2),
    }
    outln!(
        out,
        "  held out   AUC {}{}  log loss {:.4}  Brier {:.4}  lift@10% {}{}",
        opt(h.auc, 4),
        super::interval(h.auc_ci),
        h.log_loss,
        h.brier,
        opt(h.lift_top_decile, 2),
        super::interval(h.lift_ci)
    );
    outln!(out, "  thresholds (MQL if probability >= threshold; figures on held-out leads)");
    for s in &artifact.thresholds {
        outln!(
            out,
            "    {}",
            super::threshold_row(&s.strategy, s.threshold, s.mql_rate, s.precision, s.recall, s.lift)
        );
    }
    outln!(out, "  card       {}", published.dir.join("card.json").display());
    outln!(out, "  report     {}", published.dir.join("report.html").display());
    super::emit(&out)
}
