//! `leadscore train`: fit, evaluate and publish a model.

use std::path::PathBuf;

use anyhow::Context;
use leadscore_core::card::card;
use leadscore_core::promotion::Policy;
use leadscore_core::report::Warning;
use leadscore_core::{Artifact, Spec};
use leadscore_html::report::report_html_with;
use leadscore_io::csv_source::{read_table_keeping, CsvFile};
use leadscore_train::card::train_summary;
use leadscore_train::gate::{columns_to_keep, compare_with_current, publish_gated, KeptCells, PromoteMode};
use leadscore_train::infer::{apply_overrides, infer_spec_from};
use leadscore_train::params::{Refit, TrainParams, ValidTrainParams};
use leadscore_train::pipeline::train;
use leadscore_train::registry::{Alias, Registry};

use super::opt;
use super::promotion::{print_record, Exit, GateArgs, EXIT_NOT_PROMOTED, EXIT_SKIPPED};
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
    /// Most pair terms (two features' combined effect, e.g. month × day) the search adds; 0
    /// turns the search off (the spec's `pairs` stay).
    #[arg(long, default_value_t = leadscore_train::pairs::DEFAULT_MAX_PAIRS)]
    pub max_pairs: u32,
    /// Seconds the pair search may take; no candidate is started past it.
    #[arg(long, default_value_t = leadscore_train::pairs::DEFAULT_BUDGET.as_secs_f64())]
    pub pair_budget: f64,
    /// No pair terms at all, not even those the spec names.
    #[arg(long)]
    pub no_pairs: bool,
    /// Seconds the shape search (the reading of each `shape = "auto"` number: linear, log1p,
    /// bins, smooth bins, integer levels) may take; numbers not reached keep their starting shape.
    #[arg(long, default_value_t = leadscore_train::shapes::DEFAULT_BUDGET.as_secs_f64())]
    pub shape_budget: f64,
    /// No shape search: `shape = "auto"` numbers keep their starting shape (log1p when skewed,
    /// bins with 20 or more distinct values).
    #[arg(long)]
    pub no_shape_search: bool,
    /// Training parts above this many leads are searched (penalty, shapes, pairs) on a stratified
    /// sample of this many, then fitted on every lead at the settings chosen; 0 searches on every lead.
    #[arg(long, default_value_t = leadscore_train::params::DEFAULT_SEARCH_ROWS)]
    pub search_rows: usize,
    /// Single-column AUC above which a column is reported as likely leakage.
    #[arg(long, default_value_t = 0.9)]
    pub leakage_auc: f64,
    /// Which leads the published model is fitted on: `all` (the default) refits the settings the
    /// training part chose (encoder, penalty) on every labelled lead; `train` publishes the fit on
    /// the training part. The held-out figures describe the fit on the training part either way.
    #[arg(long, value_enum, default_value_t = RefitArg::All)]
    pub refit: RefitArg,
    /// Bootstrap replicates for the intervals, 20 to 100,000 (default: 1000, 200 above 50,000 held-out leads).
    #[arg(long)]
    pub bootstrap: Option<u32>,
    /// Also write the effective spec here (useful after inference).
    #[arg(long)]
    pub save_spec: Option<PathBuf>,
    /// Print a JSON summary on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// `--refit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RefitArg {
    /// Every labelled lead.
    All,
    /// The training part only.
    Train,
}

impl From<RefitArg> for Refit {
    fn from(r: RefitArg) -> Refit {
        match r {
            RefitArg::All => Refit::All,
            RefitArg::Train => Refit::Train,
        }
    }
}

/// Where the training rows come from: a CSV file, or a PostgreSQL query or table.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    /// `--data`.
    pub data: &'a std::path::Path,
    /// `--query`.
    pub query: Option<&'a str>,
    /// `--table`.
    pub table: Option<&'a str>,
}

impl TrainArgs {
    fn source(&self) -> Source<'_> {
        Source { data: &self.data, query: self.query.as_deref(), table: self.table.as_deref() }
    }
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
                let (inferred, inferred_notes) = infer_spec_from(open_data(args.source())?, &infer)?;
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
            Ok(infer_spec_from(open_data(args.source())?, &options)?)
        }
    }
}

/// The training rows: the CSV file, or what the query returns when `--data` is a PostgreSQL URL
/// (streamed through the same CSV reader, so specs, errors and the data hash are the same).
pub fn open_data(source: Source<'_>) -> anyhow::Result<CsvFile> {
    let data = source.data.to_string_lossy();
    if is_database(source.data) {
        #[cfg(feature = "postgres")]
        {
            use leadscore_io::pg_source::{open, PgQuery};
            let query = match (source.query, source.table) {
                (Some(q), _) => PgQuery::Sql(q.to_owned()),
                (None, Some(t)) => PgQuery::Table(t.to_owned()),
                (None, None) => anyhow::bail!("--data {data} is a database: say what to read with --query or --table"),
            };
            return Ok(open(&data, &query)?);
        }
        #[cfg(not(feature = "postgres"))]
        anyhow::bail!("this build cannot read PostgreSQL (build with the `postgres` feature)");
    }
    if source.query.is_some() || source.table.is_some() {
        anyhow::bail!("--query and --table read from PostgreSQL: give --data postgres://USER@HOST/DB");
    }
    Ok(CsvFile::open(source.data)?)
}

/// Whether `--data` names a PostgreSQL database rather than a file.
fn is_database(data: &std::path::Path) -> bool {
    let data = data.to_string_lossy();
    data.starts_with("postgres://") || data.starts_with("postgresql://")
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
    let params = TrainParams::default()
        .cv_folds(args.cv_folds)
        .seed(args.seed)
        .l2(args.l2)
        .leakage_auc(args.leakage_auc)
        .bootstrap(args.bootstrap)
        .max_pairs(args.max_pairs)
        .pair_budget(args.pair_budget)
        .no_pairs(args.no_pairs)
        .shape_budget(args.shape_budget)
        .no_shape_search(args.no_shape_search)
        .search_rows(args.search_rows)
        .refit(args.refit.into())
        .check()?;
    if params.cv_folds == 0 && params.l2.is_none() {
        anyhow::bail!("--cv-folds 0 turns the penalty search off: give the penalty with --l2 (e.g. --l2 1)");
    }
    // Everything that can be wrong without the data is found before the data is read (a fit
    // on 2M rows takes minutes): the name, a registry that cannot be written, flags naming
    // columns the file lacks.
    let default = match &args.table {
        Some(table) => default_name(std::path::Path::new(table.rsplit('.').next().unwrap_or(table))),
        None => default_name(&args.data),
    };
    let name = args.name.clone().unwrap_or(default);
    if !leadscore_train::registry::valid_name(&name) {
        anyhow::bail!("--name {name:?}: a model name is 1-64 letters, digits, '-' or '_', not starting with '-'");
    }
    let registry = Registry::new(&args.models);
    registry.check_writable(&name)?;
    super::report_recovered(&registry);
    if !is_database(&args.data) {
        let file = CsvFile::open(&args.data)?;
        let mut named = leadscore_train::infer::named_columns(&args.columns.options());
        named.extend(args.columns.target.iter().map(|t| (t.clone(), "the target".to_owned())));
        file.positions(&named)?;
    }
    let spec_policy = match &args.spec {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("reading spec {}", path.display()))?;
            Policy::from_spec_toml(&text).with_context(|| format!("spec {}", path.display()))?
        }
        None => None,
    };
    let (spec, notes) = effective_spec(&args)?;
    if let Some(path) = &args.save_spec {
        super::write_output(Some(path), &spec.to_toml_string()?)?;
    }
    let explicit = spec_policy.is_some() || args.gate.any();
    let policy = args.gate.policy(spec_policy.unwrap_or_default())?;
    let job = Job {
        name,
        spec,
        notes,
        params,
        policy,
        policy_explicit: explicit,
        mode: args.gate.promote.into(),
        command: "train",
        models: &args.models,
        json: args.json,
        min_new_leads: None,
    };
    train_gated(job, args.source(), ui)
}

/// One training run through the gate, shared by `train` and `retrain`.
pub struct Job<'a> {
    /// Model name.
    pub name: String,
    /// The spec to train with.
    pub spec: Spec,
    /// Warnings from before training (spec inference).
    pub notes: Vec<Warning>,
    /// Checked training parameters.
    pub params: ValidTrainParams,
    /// The gate's policy.
    pub policy: Policy,
    /// Whether the policy was asked for (it is then written into the card even for a first version).
    pub policy_explicit: bool,
    /// `--promote`.
    pub mode: PromoteMode,
    /// The command, for the history.
    pub command: &'static str,
    /// The registry.
    pub models: &'a std::path::Path,
    /// `--json`.
    pub json: bool,
    /// `retrain --min-new-leads`.
    pub min_new_leads: Option<u64>,
}

/// Closed deals in `table` that the current model's training data did not have: those dated
/// after its last training day, or without a time column the growth of the data (none when
/// it is the same data).
fn new_leads(current: &Artifact, table: &leadscore_core::table::Table) -> (u64, String) {
    let t = &current.training;
    if let (Some(days), Some((_, last))) = (&table.time, &t.date_range) {
        if let Some(last_day) = leadscore_core::value::parse_day(last) {
            let n = days.iter().filter(|&&d| d > last_day).count() as u64;
            return (n, format!("{n} closed deals dated after {last}, the current model's last training day"));
        }
    }
    if table.data_hash == t.data_hash {
        return (0, "the data is the one the current model was trained on".into());
    }
    let n = (table.n_rows() as u64).saturating_sub(t.n_rows);
    (n, format!("{} leads against {} in the current model's training data", table.n_rows(), t.n_rows))
}

/// Trains, compares with the current version, publishes and promotes or not; prints the result
/// and returns [`Exit`] with [`EXIT_NOT_PROMOTED`] or [`EXIT_SKIPPED`] when that is the outcome.
pub fn train_gated(job: Job<'_>, source: Source<'_>, ui: &Ui) -> anyhow::Result<()> {
    let registry = Registry::new(job.models);
    let name = job.name.as_str();
    if !leadscore_train::registry::valid_name(name) {
        anyhow::bail!("model name {name:?} must be 1-64 letters, digits, '-' or '_' (give one with --name)");
    }
    let current = match registry.alias(name, Alias::Current)? {
        Some(version) => {
            let path = registry.root().join(name).join(&version).join(leadscore_train::registry::MODEL_FILE);
            let (artifact, _) = Registry::load(&path)
                .with_context(|| format!("the current version {version} of `{name}` cannot be compared with"))?;
            Some((version, artifact))
        }
        None => None,
    };
    let progress = ui.progress();
    let started = std::time::Instant::now();
    let file = open_data(source)?;
    let (keep, absent) = match &current {
        Some((_, artifact)) => columns_to_keep(artifact, file.header()),
        None => (Vec::new(), Vec::new()),
    };
    let mut kept = KeptCells::new(keep.len());
    let table = read_table_keeping(file, &job.spec, &keep, &progress, |cells| {
        if !keep.is_empty() {
            kept.push(cells)
        }
    })?;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "read");
    tracing::info!(rows = table.n_rows(), features = job.spec.features.len(), "read training data");
    if let (Some(min), Some((version, artifact))) = (job.min_new_leads, &current) {
        let (n, said) = new_leads(artifact, &table);
        if n < min {
            let mut out = String::new();
            outln!(out, "not retrained: {said}; --min-new-leads is {min}. {name} {version} stays current.");
            super::emit(&out)?;
            return Err(Exit(EXIT_SKIPPED).into());
        }
    }
    let (artifact, details) = train(&job.spec, &table, name, &job.params, job.notes, &progress)?;
    let compared = match &current {
        Some((version, current)) => Some((
            version.as_str(),
            compare_with_current(current, &artifact, &details, &table, &kept, &absent, &job.policy)?,
        )),
        None => None,
    };
    drop(table);
    drop(kept);
    let bytes = artifact.to_bytes()?;
    let policy = &job.policy;
    let with_policy = job.policy_explicit || compared.is_some();
    let outcome = publish_gated(
        &registry,
        name,
        &bytes,
        compared.as_ref().map(|(v, c)| (*v, c)),
        policy,
        job.mode,
        job.command,
        |version, record| {
            let mut card = card(&artifact, &artifact.name, version, Artifact::checksum(&bytes));
            if with_policy {
                card = card.with_promotion(policy, record);
            }
            let card_json = serde_json::to_vec_pretty(&card).unwrap_or_default();
            let report = report_html_with(&artifact, version, record).into_bytes();
            (card_json, report)
        },
    )?;
    for w in &artifact.warnings {
        eprintln!("warning: {}", w.message);
    }
    let published = &outcome.published;
    let model_path = published.model_path.display().to_string();
    let mut out = String::new();
    if job.json {
        let mut summary =
            serde_json::to_value(train_summary(&artifact, &published.version, model_path, published.reused))?;
        if let Some(map) = summary.as_object_mut() {
            let current = if outcome.promoted { Some(published.version.clone()) } else { outcome.previous.clone() };
            map.insert("current".into(), serde_json::json!(current));
            map.insert("promoted".into(), serde_json::json!(outcome.promoted));
            map.insert("gate".into(), serde_json::to_value(&outcome.record)?);
            map.insert("message".into(), serde_json::json!(outcome.sentence));
        }
        outln!(out, "{}", serde_json::to_string_pretty(&summary)?);
    } else {
        summary_lines(&mut out, &artifact, published);
        if let Some(record) = &outcome.record {
            print_record(&mut out, record);
        }
        outln!(out, "  {}", outcome.sentence);
    }
    super::emit(&out)?;
    if outcome.promoted {
        Ok(())
    } else {
        Err(Exit(EXIT_NOT_PROMOTED).into())
    }
}

fn summary_lines(out: &mut String, artifact: &Artifact, published: &leadscore_train::registry::Published) {
    let model_path = published.model_path.display().to_string();
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
    outln!(out, "  published  {}", artifact.fitted_on.describe(t));
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
    if let Some(search) = &artifact.shape_search {
        outln!(
            out,
            "  shapes     by out-of-fold log loss ({:.4} -> {:.4}): {}",
            search.base_log_loss,
            search.log_loss,
            search
                .features
                .iter()
                .map(|c| format!("{} {}", c.feature, c.chosen.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        );
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
}
