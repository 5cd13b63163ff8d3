//! The models being served, and how a new version replaces an old one.
//!
//! The whole set of loaded models sits behind one `ArcSwap`: a request takes
//! a snapshot (`Arc<ModelSet>`) when it starts and finishes on it, whatever
//! reloads happen meanwhile. A reload builds a complete new set off to the
//! side and swaps it in with a single pointer store, so no request ever sees a
//! half-loaded registry. What a reload keeps, loads and reports is `reload`'s
//! decision: a refused file or an unreadable registry never replaces the
//! model that was serving.
//!
//! With `--rules`, the rules file is read once at start-up and compiled
//! against each version's spec as it loads (rules read a lead through the
//! spec's readers, so they belong to a spec, not to the server). Start-up
//! fails when they do not fit the default model; a later version (or another
//! model) they do not fit serves without `rule_points`, and says why on
//! `/v1/compare`. The latest comparison (from `--compare` or `POST
//! /v1/compare`) is kept for the dashboard behind its own `ArcSwapOption`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use arc_swap::{ArcSwap, ArcSwapOption};
use leadscore_core::compare::Comparison;
use leadscore_core::lookup::Lookup;
use leadscore_core::rules::RuleSet;
use leadscore_core::Artifact;
use leadscore_registry::{Registry, CHALLENGER_FILE, CURRENT_FILE};

use crate::config::ServeConfig;
use crate::error::ApiError;
use crate::failures::FailureLog;
use crate::log::PredictionLog;
use crate::metrics::Metrics;
use crate::reload::{self, RegistryProblem, Stamp};
pub use crate::reload::{ReloadFailure, ReloadReport};
use crate::upload::{Pace, Uploads};

/// One loaded, validated model version.
#[derive(Debug)]
pub struct LoadedModel {
    /// Model name (registry folder).
    pub name: String,
    /// Version folder (`v3`).
    pub version: String,
    /// The artifact.
    pub artifact: Artifact,
    /// The fields a request may carry: the model's features and the rules' fields
    /// (computed once, read by every request).
    pub fields: crate::lead::Fields,
    /// The artifact's scoring tables, built once: every request's scorer borrows them.
    pub lookup: Lookup,
    /// The names of the fields its log rows keep, built once: every row shares them.
    pub log_names: Arc<leadscore_store::FieldNames>,
    /// What an answer says of this model (its name and version) and of its default threshold,
    /// and that threshold's cut-off: the same for every request that names no threshold.
    pub answer: Answer,
    /// The server's rules compiled against this version's spec: `None` without `--rules`,
    /// `Some(Err(why))` when they do not fit it.
    pub rules: Option<Result<Arc<RuleSet>, String>>,
    /// Short checksum of the file.
    pub checksum: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// File identity when read: a changed file is reloaded.
    pub(crate) stamp: Stamp,
}

/// The parts of a `/v1/score` answer that depend on the model only, as JSON made once at load.
#[derive(Debug)]
pub struct Answer {
    /// `{"name": ..., "version": ...}`.
    pub model: crate::api::Shared<crate::api::ModelRef>,
    /// The default threshold (`leadscore_core::threshold::default`).
    pub threshold: crate::api::Shared<crate::api::ThresholdResult>,
    /// Its cut-off: MQL when a probability is at or above it.
    pub cutoff: f64,
}

impl Answer {
    /// The parts of `artifact`'s answers, for model `name` at `version`.
    pub fn of(name: &str, version: &str, artifact: &Artifact) -> Result<Answer, serde_json::Error> {
        use crate::api::{ModelRef, Shared, ThresholdResult};
        let threshold = ThresholdResult::from(&leadscore_core::threshold::default(artifact));
        Ok(Answer {
            model: Shared::of(&ModelRef { name: name.to_owned(), version: version.to_owned() })?,
            cutoff: threshold.value,
            threshold: Shared::of(&threshold)?,
        })
    }
}

/// All versions of one model name, the one `CURRENT` names, and the one `CHALLENGER` names.
#[derive(Clone, Debug, Default)]
pub struct NamedModel {
    /// The version served by default.
    pub current: Option<String>,
    /// Every loaded version.
    pub versions: BTreeMap<String, Arc<LoadedModel>>,
    /// The challenger shadowed beside the current version, when `CHALLENGER` names a version
    /// that loads (and is not the current one).
    pub shadow: Option<Arc<crate::shadow::Shadow>>,
}

/// A consistent snapshot of everything being served.
#[derive(Debug, Default)]
pub struct ModelSet {
    /// Models by name.
    pub models: BTreeMap<String, NamedModel>,
    /// The model served when a request names none.
    pub default: Option<String>,
    /// Files refused at the last reload, still refused.
    pub failures: Vec<ReloadFailure>,
    /// What in the registry cannot be read and is worked around (see `reload`).
    pub problems: Vec<RegistryProblem>,
}

impl ModelSet {
    /// The model `name`/`version`, defaulting to the default model and its `CURRENT`.
    pub fn get(&self, name: Option<&str>, version: Option<&str>) -> Option<Arc<LoadedModel>> {
        let name = name.or(self.default.as_deref())?;
        let named = self.models.get(name)?;
        let version = version.or(named.current.as_deref())?;
        named.versions.get(version).cloned()
    }

    /// The challenger to shadow `model` with: when `model` is its name's current version (the
    /// very one loaded) and `CHALLENGER` names another version that loads.
    pub fn shadow(&self, model: &Arc<LoadedModel>) -> Option<Arc<crate::shadow::Shadow>> {
        let named = self.models.get(&model.name)?;
        let shadow = named.shadow.as_ref()?;
        Arc::ptr_eq(&shadow.champion, model).then(|| shadow.clone())
    }

    /// The model a request asked for, or why there is none: no model at all (503), or an
    /// unknown name or version (404, naming what is served instead).
    pub fn select(&self, name: Option<&str>, version: Option<&str>) -> Result<Arc<LoadedModel>, ApiError> {
        if self.models.is_empty() {
            return Err(ApiError::NoModel);
        }
        self.get(name, version).ok_or_else(|| {
            let list = |names: Vec<&str>| names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
            let served = list(self.models.keys().map(String::as_str).collect());
            let versions = |name: &str| {
                self.models
                    .get(name)
                    .map_or_else(String::new, |m| list(m.versions.keys().map(String::as_str).collect()))
            };
            ApiError::UnknownModel(match (name, version) {
                (Some(m), _) if !self.models.contains_key(m) => format!("no model `{m}`; served: {served}"),
                (Some(m), Some(v)) => format!("model `{m}` has no version `{v}`; it has {}", versions(m)),
                (None, Some(v)) => match &self.default {
                    Some(d) => format!("the default model `{d}` has no version `{v}`; it has {}", versions(d)),
                    None => format!("no default model: name one with ?model= ({served})"),
                },
                _ => format!("no default model: name one with ?model= ({served})"),
            })
        })
    }
}

/// Shared application state: cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: ServeConfig,
    /// The `--rules` file's text, read once at start-up.
    rules: Option<RulesFile>,
    /// The comparison the dashboard shows: `--compare`, then the latest `POST /v1/compare`.
    comparison: ArcSwapOption<Comparison>,
    models: ArcSwap<ModelSet>,
    metrics: Metrics,
    /// Serialises reloads (file watcher, SIGHUP and the admin route may race).
    reload_lock: Mutex<()>,
    /// The prediction log, when `config.log` is set.
    log: Option<PredictionLog>,
    /// The last all-time monitor report per served version, for `/metrics` and the dashboard.
    reports: crate::routes::monitor::LatestReports,
    /// 5xx answers, logged at a bounded rate.
    failures: Arc<FailureLog>,
    /// CSV uploads: their slots and pace.
    uploads: Uploads,
}

/// A rules file as read at start-up.
#[derive(Clone, Debug)]
pub struct RulesFile {
    /// Where it was read from (for messages).
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl RulesFile {
    /// Compiles the rules against `artifact`'s spec; the error lists every mistake as
    /// `rules check` does (`file:line: message`).
    pub fn compile(&self, artifact: &Artifact) -> Result<RuleSet, String> {
        let file = self.path.display();
        RuleSet::from_toml_str(&self.text, &artifact.spec).map_err(|_| {
            let mistakes = leadscore_core::rules::check(&self.text, Some(&artifact.spec));
            let n = mistakes.len().max(1);
            let lines: Vec<String> = mistakes.iter().map(|m| format!("{file}:{}: {}", m.line, m.message)).collect();
            format!(
                "{}{file}: {n} mistake{} against the spec of model `{}`",
                lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
                if n == 1 { "" } else { "s" },
                artifact.name
            )
        })
    }
}

impl AppState {
    /// State for `config`, with the registry loaded once, without `--rules`, `--compare` and
    /// the prediction log (which [`AppState::start`] reads and opens): this cannot fail.
    pub fn new(config: ServeConfig) -> AppState {
        Self::with(config, None, None, None)
    }

    /// State for `config`, reading `--rules` and `--compare` first. Fails, with a
    /// message naming the file, line and mistake, when a file cannot be read, the
    /// comparison is not a `compare.json`, or the rules do not fit the default model.
    pub fn start(config: ServeConfig) -> Result<AppState, String> {
        let rules = match &config.rules {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the rules file {}: {e}", path.display()))?;
                Some(RulesFile { path: path.clone(), text })
            }
        };
        let comparison = match &config.compare {
            None => None,
            Some(dir) => {
                let path = if dir.is_dir() { dir.join("compare.json") } else { dir.clone() };
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read the comparison {}: {e}", path.display()))?;
                let comparison: Comparison = serde_json::from_str(&text)
                    .map_err(|e| format!("{} is not a `leadscore compare` output: {e}", path.display()))?;
                Some(Arc::new(comparison))
            }
        };
        let log = config.log.as_ref().map(PredictionLog::start).transpose()?;
        let state = Self::with(config, rules, comparison, log);
        if let Some(model) = state.models().get(None, None) {
            if let Some(Err(reason)) = &model.rules {
                return Err(format!(
                    "the rules do not fit the served model {} {}:\n{reason}",
                    model.name, model.version
                ));
            }
        }
        Ok(state)
    }

    fn with(
        config: ServeConfig,
        rules: Option<RulesFile>,
        comparison: Option<Arc<Comparison>>,
        log: Option<PredictionLog>,
    ) -> AppState {
        let failures = Arc::new(FailureLog::new(config.failure_log_interval));
        let pace = Pace { window: config.upload_timeout, min_rate: config.upload_min_rate };
        let uploads = Uploads::new(config.csv_uploads, pace);
        let state = AppState {
            inner: Arc::new(Inner {
                rules,
                comparison: ArcSwapOption::new(comparison),
                config,
                models: ArcSwap::from_pointee(ModelSet::default()),
                metrics: Metrics::default(),
                reload_lock: Mutex::new(()),
                log,
                reports: Default::default(),
                failures,
                uploads,
            }),
        };
        state.reload();
        state
    }

    /// The configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
    }

    /// Whether the server was started with `--rules`.
    pub fn has_rules(&self) -> bool {
        self.inner.rules.is_some()
    }

    /// The comparison the dashboard shows, if any.
    pub fn comparison(&self) -> Option<Arc<Comparison>> {
        self.inner.comparison.load_full()
    }

    /// Keeps `comparison` for the dashboard (the latest posted one wins).
    pub fn set_comparison(&self, comparison: Arc<Comparison>) {
        self.inner.comparison.store(Some(comparison));
    }

    /// Where 5xx answers are counted and logged at a bounded rate.
    pub fn failures(&self) -> &Arc<FailureLog> {
        &self.inner.failures
    }

    /// The slots and pace of CSV uploads.
    pub fn uploads(&self) -> &Uploads {
        &self.inner.uploads
    }

    /// The prediction log, when the server logs.
    pub fn log(&self) -> Option<&PredictionLog> {
        self.inner.log.as_ref()
    }

    /// The last all-time monitor report of each version (`/metrics`, the dashboard).
    pub fn reports(&self) -> &crate::routes::monitor::LatestReports {
        &self.inner.reports
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The model a request asked for, from a fresh snapshot (see [`ModelSet::select`]).
    pub fn select(&self, name: Option<&str>, version: Option<&str>) -> Result<Arc<LoadedModel>, ApiError> {
        self.models().select(name, version)
    }

    /// A snapshot of the served models; hold it for the whole request.
    pub fn models(&self) -> Arc<ModelSet> {
        self.inner.models.load_full()
    }

    /// Rescans the registry; loads new or changed versions, keeps serving what
    /// serves until a valid replacement loads (see `reload`). Blocking (file
    /// reads): call it from `spawn_blocking` in async code.
    pub fn reload(&self) -> ReloadReport {
        let _guard = self.inner.reload_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = self.inner.models.load_full();
        let config = &self.inner.config;
        let (next, report) =
            reload::next_set(&old, &config.models, config.default_model.as_deref(), self.inner.rules.as_ref());
        // One log line per change of state: a refusal of new content, a problem appearing or clearing.
        for f in &report.refused {
            tracing::warn!(model = %f.name, version = %f.version, reason = %f.reason, "model file refused");
        }
        for p in next.problems.iter().filter(|p| !old.problems.contains(p)) {
            let serving = p.serving.as_deref().unwrap_or("nothing");
            tracing::warn!(model = p.model.as_deref().unwrap_or("(registry)"), problem = %p.problem, %serving, "registry problem: still serving what was loaded");
        }
        for p in old.problems.iter().filter(|p| !next.problems.contains(p)) {
            tracing::info!(model = p.model.as_deref().unwrap_or("(registry)"), problem = %p.problem, "registry problem cleared");
        }
        if report.changed {
            tracing::info!(loaded = ?report.loaded, refused = next.failures.len(), "models reloaded");
        }
        self.inner.metrics.reloaded(&next, report.refused.len() as u64);
        self.inner.models.store(Arc::new(next));
        report
    }

    /// The identity of every registry file a reload reads (`CURRENT`, `CHALLENGER`, each
    /// `model.bin`, and every folder it cannot read): when it changes, the watcher reloads.
    pub fn registry_stamp(&self) -> Vec<(PathBuf, Option<Stamp>)> {
        let root = &self.inner.config.models;
        let Ok(folders) = Registry::new(root).scan() else { return vec![(root.clone(), None)] };
        let mut out = Vec::new();
        for folder in folders {
            let dir = root.join(&folder.name);
            out.push((dir.join(CURRENT_FILE), reload::stamp(&dir.join(CURRENT_FILE))));
            // A change of challenger is picked up as a change of current is.
            out.push((dir.join(CHALLENGER_FILE), reload::stamp(&dir.join(CHALLENGER_FILE))));
            match &folder.versions {
                Ok(versions) => {
                    for v in versions {
                        let f = folder.model_path(root, v);
                        let s = reload::stamp(&f);
                        out.push((f, s));
                    }
                }
                Err(_) => out.push((dir, None)),
            }
        }
        out
    }
}
