//! The models being served, and how a new version replaces an old one.
//!
//! The whole set of loaded models sits behind one `ArcSwap`: a request takes
//! a snapshot (`Arc<ModelSet>`) when it starts and finishes on it, whatever
//! reloads happen meanwhile. A reload builds a complete new set off to the
//! side and swaps it in with a single pointer store, so no request ever sees a
//! half-loaded registry. A version whose file is corrupt, truncated, foreign or
//! fails the probe lead is refused and reported; it never replaces the model
//! that was serving.
//!
//! With `--rules`, the rules file is read once at start-up and compiled
//! against each version's spec as it loads (rules read a lead through the
//! spec's readers, so they belong to a spec, not to the server). Start-up
//! fails when they do not fit the default model; a later version (or another
//! model) they do not fit serves without `rule_points`, and says why on
//! `/v1/compare`. The latest comparison (from `--compare` or `POST
//! /v1/compare`) is kept for the dashboard behind its own `ArcSwapOption`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::{ArcSwap, ArcSwapOption};
use leadscore_core::compare::Comparison;
use leadscore_core::lookup::Lookup;
use leadscore_core::rules::RuleSet;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;
use leadscore_registry::{Registry, CURRENT_FILE, MODEL_FILE};

use crate::config::ServeConfig;
use crate::log::PredictionLog;
use crate::metrics::Metrics;

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
    pub fields: crate::api::Fields,
    /// The artifact's scoring tables, built once: every request's scorer borrows them.
    pub lookup: Lookup,
    /// The server's rules compiled against this version's spec: `None` without `--rules`,
    /// `Some(Err(why))` when they do not fit it.
    pub rules: Option<Result<Arc<RuleSet>, String>>,
    /// Short checksum of the file.
    pub checksum: String,
    /// Where it was read from.
    pub path: PathBuf,
    /// File identity when read: a changed file is reloaded.
    stamp: (SystemTime, u64),
}

/// All versions of one model name, and the one `CURRENT` names.
#[derive(Debug, Default)]
pub struct NamedModel {
    /// The version served by default.
    pub current: Option<String>,
    /// Every loaded version.
    pub versions: BTreeMap<String, Arc<LoadedModel>>,
}

/// A refused model file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReloadFailure {
    /// Model name.
    pub name: String,
    /// Version folder.
    pub version: String,
    /// Why it was refused.
    pub reason: String,
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
}

impl ModelSet {
    /// The model a request asked for: `name`/`version`, defaulting to the default model and its `CURRENT`.
    pub fn select(&self, name: Option<&str>, version: Option<&str>) -> Option<Arc<LoadedModel>> {
        let name = name.or(self.default.as_deref())?;
        let named = self.models.get(name)?;
        let version = version.or(named.current.as_deref())?;
        named.versions.get(version).cloned()
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
    /// The last monitor figures per served version, for `/metrics`.
    drift: crate::routes::monitor::DriftGauges,
}

/// What a reload did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ReloadReport {
    /// Versions newly loaded.
    pub loaded: Vec<String>,
    /// Versions refused.
    pub refused: Vec<ReloadFailure>,
    /// Whether anything served changed.
    pub changed: bool,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
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

/// Loads and validates one version, including a probe lead (all fields missing).
fn load_version(name: &str, version: &str, path: &Path, rules: Option<&RulesFile>) -> Result<LoadedModel, String> {
    let before = stamp(path).ok_or_else(|| "cannot read the file".to_owned())?;
    let (artifact, bytes) = Registry::load(path).map_err(|e| e.to_string())?;
    let probe = artifact.score(|_| RawValue::Missing).map_err(|e| format!("probe lead failed: {e}"))?;
    if !probe.probability.is_finite() {
        return Err("probe lead gave a non-finite probability".into());
    }
    let rules = rules.map(|file| {
        let set = file.compile(&artifact).inspect_err(|reason| {
            tracing::warn!(model = %name, %version, %reason, "the rules do not fit this version: served without rule points");
        })?;
        Ok(Arc::new(set))
    });
    let rule_fields = match &rules {
        Some(Ok(set)) => set.fields.iter().map(|f| (f.name.clone(), f.kind)).collect(),
        _ => Vec::new(),
    };
    let fields = crate::api::Fields::new(&artifact, rule_fields);
    let lookup = Lookup::new(&artifact);
    Ok(LoadedModel {
        lookup,
        name: name.to_owned(),
        version: version.to_owned(),
        checksum: Artifact::checksum(&bytes),
        fields,
        rules,
        artifact,
        path: path.to_owned(),
        stamp: before,
    })
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
        if let Some(model) = state.models().select(None, None) {
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
        let state = AppState {
            inner: Arc::new(Inner {
                rules,
                comparison: ArcSwapOption::new(comparison),
                config,
                models: ArcSwap::from_pointee(ModelSet::default()),
                metrics: Metrics::default(),
                reload_lock: Mutex::new(()),
                log,
                drift: Default::default(),
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

    /// The prediction log, when the server logs.
    pub fn log(&self) -> Option<&PredictionLog> {
        self.inner.log.as_ref()
    }

    /// The drift gauges `/metrics` exports.
    pub fn drift(&self) -> &crate::routes::monitor::DriftGauges {
        &self.inner.drift
    }

    /// The metrics registry.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// A snapshot of the served models; hold it for the whole request.
    pub fn models(&self) -> Arc<ModelSet> {
        self.inner.models.load_full()
    }

    /// Rescans the registry; loads new or changed versions, keeps serving the
    /// old ones where a new file is refused. Blocking (file reads): call it from
    /// `spawn_blocking` in async code.
    pub fn reload(&self) -> ReloadReport {
        let _guard = self.inner.reload_lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let old = self.inner.models.load_full();
        let root = &self.inner.config.models;
        let mut report = ReloadReport::default();
        let mut next = ModelSet::default();
        let names = Registry::new(root).names().unwrap_or_default();
        for name in names {
            let dir = root.join(&name);
            let mut named = NamedModel::default();
            let old_named = old.models.get(&name);
            let mut versions: Vec<String> = std::fs::read_dir(&dir)
                .map(|entries| {
                    entries
                        .filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .filter(|v| v.starts_with('v') && v[1..].parse::<u64>().is_ok())
                        .collect()
                })
                .unwrap_or_default();
            versions.sort_by_key(|v| v[1..].parse::<u64>().unwrap_or(0));
            for version in versions {
                let path = dir.join(&version).join(MODEL_FILE);
                if !path.is_file() {
                    continue;
                }
                let previous = old_named.and_then(|n| n.versions.get(&version));
                if let Some(prev) = previous {
                    if stamp(&path) == Some(prev.stamp) {
                        named.versions.insert(version, prev.clone());
                        continue;
                    }
                }
                match load_version(&name, &version, &path, self.inner.rules.as_ref()) {
                    Ok(model) => {
                        report.loaded.push(format!("{name}@{version}"));
                        named.versions.insert(version, Arc::new(model));
                    }
                    Err(reason) => {
                        tracing::warn!(model = %name, %version, %reason, "model file refused");
                        let failure = ReloadFailure { name: name.clone(), version: version.clone(), reason };
                        report.refused.push(failure.clone());
                        next.failures.push(failure);
                        // Keep serving what this version was, if it was serving.
                        if let Some(prev) = previous {
                            named.versions.insert(version, prev.clone());
                        }
                    }
                }
            }
            let wanted = Registry::new(root).current(&name).ok();
            named.current = match wanted {
                Some(v) if named.versions.contains_key(&v) => Some(v),
                _ => {
                    // CURRENT names a refused or missing version: keep the old current if still loaded.
                    let keep = old_named.and_then(|n| n.current.clone()).filter(|v| named.versions.contains_key(v));
                    keep.or_else(|| named.versions.keys().last().cloned())
                }
            };
            if !named.versions.is_empty() {
                next.models.insert(name, named);
            }
        }
        next.default = match &self.inner.config.default_model {
            Some(name) if next.models.contains_key(name) => Some(name.clone()),
            Some(_) => None,
            None if next.models.len() == 1 => next.models.keys().next().cloned(),
            None => next.models.keys().find(|n| *n == "leads").or_else(|| next.models.keys().next()).cloned(),
        };
        let served = |set: &ModelSet| -> Vec<(String, Option<String>, Vec<String>)> {
            set.models
                .iter()
                .map(|(n, m)| {
                    (
                        n.clone(),
                        m.current.clone(),
                        m.versions.values().map(|v| format!("{}:{}", v.version, v.checksum)).collect(),
                    )
                })
                .collect()
        };
        report.changed = served(&next) != served(&old) || next.default != old.default;
        let metrics = &self.inner.metrics;
        metrics.reloads(report.refused.is_empty(), report.refused.len() as u64);
        if let Some(model) = next.select(None, None) {
            metrics.set_model(&model.name, &model.version);
        }
        if report.changed {
            tracing::info!(loaded = ?report.loaded, refused = report.refused.len(), "models reloaded");
        }
        self.inner.models.store(Arc::new(next));
        report
    }

    /// Whether `path` (a registry file) changed since the set was loaded; used by the watcher.
    pub fn registry_stamp(&self) -> Vec<(PathBuf, Option<(SystemTime, u64)>)> {
        let root = &self.inner.config.models;
        let mut out = Vec::new();
        for name in Registry::new(root).names().unwrap_or_default() {
            let dir = root.join(&name);
            out.push((dir.join(CURRENT_FILE), stamp(&dir.join(CURRENT_FILE))));
            if let Ok(entries) = std::fs::read_dir(&dir) {
                let mut files: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok()).map(|e| e.path().join(MODEL_FILE)).filter(|p| p.is_file()).collect();
                files.sort();
                for f in files {
                    let s = stamp(&f);
                    out.push((f, s));
                }
            }
        }
        out
    }
}
