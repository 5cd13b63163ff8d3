//! The models being served, and how a new version replaces an old one.
//!
//! The whole set of loaded models sits behind one `ArcSwap`: a request takes
//! a snapshot (`Arc<ModelSet>`) when it starts and finishes on it, whatever
//! reloads happen meanwhile. A reload builds a complete new set off to the
//! side and swaps it in with a single pointer store, so no request ever sees a
//! half-loaded registry. A version whose file is corrupt, truncated, foreign or
//! fails the probe lead is refused and reported; it never replaces the model
//! that was serving.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;
use leadscore_registry::{Registry, CURRENT_FILE, MODEL_FILE};

use crate::config::ServeConfig;
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
    /// The kind of each feature it reads, by name (computed once, read by every request).
    pub kinds: BTreeMap<String, leadscore_core::spec::Kind>,
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
    models: ArcSwap<ModelSet>,
    metrics: Metrics,
    /// Serialises reloads (file watcher, SIGHUP and the admin route may race).
    reload_lock: Mutex<()>,
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

/// Loads and validates one version, including a probe lead (all fields missing).
fn load_version(name: &str, version: &str, path: &Path) -> Result<LoadedModel, String> {
    let before = stamp(path).ok_or_else(|| "cannot read the file".to_owned())?;
    let (artifact, bytes) = Registry::load(path).map_err(|e| e.to_string())?;
    let probe = artifact.score(|_| RawValue::Missing).map_err(|e| format!("probe lead failed: {e}"))?;
    if !probe.probability.is_finite() {
        return Err("probe lead gave a non-finite probability".into());
    }
    Ok(LoadedModel {
        name: name.to_owned(),
        version: version.to_owned(),
        checksum: Artifact::checksum(&bytes),
        kinds: crate::api::feature_kinds(&artifact),
        artifact,
        path: path.to_owned(),
        stamp: before,
    })
}

impl AppState {
    /// State for `config`, with the registry loaded once.
    pub fn new(config: ServeConfig) -> AppState {
        let state = AppState {
            inner: Arc::new(Inner {
                config,
                models: ArcSwap::from_pointee(ModelSet::default()),
                metrics: Metrics::default(),
                reload_lock: Mutex::new(()),
            }),
        };
        state.reload();
        state
    }

    /// The configuration.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.config
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
                match load_version(&name, &version, &path) {
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
