//! `leadscore`: the command-line entry point. Thin by design: it parses
//! arguments, calls the libraries, prints results and picks the exit code.
//! Everything that decides anything lives in `leadscore-core` and `leadscore-train`.

mod cmd;
mod progress;

use std::process::ExitCode;

/// jemalloc rather than glibc's malloc: see the workspace `Cargo.toml` for why (the server hands every
/// logged lead's row from request threads to the writer thread, and glibc serialises those frees).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::{Parser, Subcommand};

/// Predictive lead scoring: train a logistic model on your closed deals, inspect it, score new leads.
///
/// Exit codes: 0 done; 2 an error; 3 trained (or asked to promote) but not promoted, the version
/// is kept and the current one still serves; 4 `retrain` skipped, too few new closed deals.
#[derive(Parser, Debug)]
#[command(name = "leadscore", version, about, long_about)]
struct Cli {
    /// No progress bars and no informational messages on stderr.
    #[arg(long, short, global = true, env = "LEADSCORE_QUIET", action = clap::ArgAction::SetTrue, value_parser = clap::builder::BoolishValueParser::new())]
    quiet: bool,
    /// Log format on stderr: `pretty` for people, `json` for log pipelines.
    #[arg(long, global = true, env = "LEADSCORE_LOG_FORMAT", default_value = "pretty", value_parser = ["pretty", "json"])]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate realistic synthetic B2B leads from a documented ground truth.
    Synth(cmd::synth::SynthArgs),
    /// Work with feature specs.
    #[command(subcommand)]
    Spec(cmd::spec::SpecCommand),
    /// Train a model on labelled leads and publish it to the model registry (through the promotion gate when it has a current version).
    Train(Box<cmd::train::TrainArgs>),
    /// Train a registered model again on new data with its own spec and seed, gate it, promote it or not (for cron).
    Retrain(cmd::retrain::RetrainArgs),
    /// Make a version of a model current (past the gate's refusal with --force).
    Promote(cmd::promote::PromoteArgs),
    /// Make the version current before the latest change current again.
    Rollback(cmd::promote::RollbackArgs),
    /// Every change of a model's current (and challenger) version, with the gate's figures.
    History(cmd::history::HistoryArgs),
    /// Name or clear the version shadowed beside the current one.
    #[command(subcommand)]
    Challenger(cmd::challenger::ChallengerCommand),
    /// Remove old versions of a model (never the current, previous or challenger one).
    Prune(cmd::prune::PruneArgs),
    /// Metrics of a trained model on any labelled CSV.
    Evaluate(cmd::evaluate::EvaluateArgs),
    /// Score a CSV of leads: probability, 1-99 score, tier, MQL flag and top factors.
    Score(cmd::score::ScoreArgs),
    /// Show a model: metrics, coefficients and odds ratios, thresholds, tiers, spec.
    Inspect(cmd::inspect::InspectArgs),
    /// Serve the model registry over HTTP: scores, explanations, thresholds, hot reload.
    Serve(cmd::serve::ServeArgs),
    /// Print the model as one SQL query that scores leads inside PostgreSQL, Spark, DuckDB, BigQuery or Snowflake.
    ExportSql(cmd::export_sql::ExportSqlArgs),
    /// Marketing's points rules: check a rules file against the data spec.
    #[command(subcommand)]
    Rules(cmd::rules::RulesCommand),
    /// The model against points rules on labelled leads: compare.json and compare.html.
    Compare(cmd::compare::CompareArgs),
    /// The model as a points table (rules TOML or CSV), as credit scorecards do.
    ExportPoints(cmd::export_points::ExportPointsArgs),
    /// What became of logged leads: import outcomes from a CSV of closed deals.
    #[command(subcommand)]
    Outcomes(cmd::outcomes::OutcomesCommand),
    /// A model version in production from the prediction log: drift, calibration, live figures.
    Monitor(cmd::monitor::MonitorArgs),
    /// The next training set from the prediction log: inputs as logged when scored, with outcomes.
    ExportTraining(cmd::export_training::ExportTrainingArgs),
    /// Delete every row of one lead from the prediction log (an erasure request).
    Forget(cmd::forget::ForgetArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let level = if cli.quiet { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEADSCORE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    // Colours only on a terminal: a log file or a collector gets plain `key=value` text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi);
    if cli.log_format == "json" {
        fmt.json().with_current_span(true).init();
    } else {
        fmt.without_time().init();
    }
    let ui = progress::Ui { quiet: cli.quiet };
    let result = match cli.command {
        Command::Synth(args) => cmd::synth::run(args),
        Command::Spec(args) => cmd::spec::run(args),
        Command::Train(args) => cmd::train::run(*args, &ui),
        Command::Retrain(args) => cmd::retrain::run(args, &ui),
        Command::Promote(args) => cmd::promote::run_promote(args),
        Command::Rollback(args) => cmd::promote::run_rollback(args),
        Command::History(args) => cmd::history::run(args),
        Command::Challenger(args) => cmd::challenger::run(args),
        Command::Prune(args) => cmd::prune::run(args),
        Command::Evaluate(args) => cmd::evaluate::run(args, &ui),
        Command::Score(args) => cmd::score::run(args, &ui),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::ExportSql(args) => cmd::export_sql::run(args),
        Command::Rules(args) => cmd::rules::run(args),
        Command::Compare(args) => cmd::compare::run(args, &ui),
        Command::ExportPoints(args) => cmd::export_points::run(args),
        Command::Outcomes(args) => cmd::outcomes::run(args),
        Command::Monitor(args) => cmd::monitor::run(args),
        Command::ExportTraining(args) => cmd::export_training::run(args),
        Command::Forget(args) => cmd::forget::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // An outcome that is not an error (trained but not promoted, skipped): already said.
        Err(err) if err.downcast_ref::<cmd::promotion::Exit>().is_some() => {
            ExitCode::from(err.downcast_ref::<cmd::promotion::Exit>().map_or(2, |e| e.0))
        }
        Err(err) => {
            eprintln!("leadscore: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
