//! From the registry on disk to the next [`ModelSet`]: what a reload keeps,
//! loads, refuses and reports.
//!
//! The rule: **what serves keeps serving until a valid replacement is loaded.**
//! Files move under a running server (a `CURRENT` rewritten by hand, a folder
//! renamed, a permission changed, a version deleted, a symlink gone wrong);
//! none of that may turn into 503s. So a reload never drops what it cannot
//! read: a model folder that is unreadable, a symlink loop, or gone while it
//! is the default model, a `CURRENT` that is missing or names a version that
//! is missing or refused, a registry root that cannot be listed: each keeps
//! the version that was serving (its `Arc`, already in memory) and becomes a
//! [`RegistryProblem`] in the set, shown by `/v1/models` and `/metrics` and
//! logged once when it appears and once when it clears. Only a valid
//! replacement (a `CURRENT` naming a version that loads) changes what serves.
//! What does go: other versions whose files were removed (retired), and a
//! model that is not the default whose folder is gone (a request naming it
//! gets a 404 that lists what is served). A server starting with no serving
//! version falls back to the highest valid one, and says so as a problem.
//!
//! A refused file is remembered by its stamp and by a digest of its bytes: it
//! is read again only when it changes, and counted and logged again only when
//! its content differs from the refused one.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use leadscore_core::lookup::Lookup;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;
use leadscore_registry::{ModelFolder, Registry, MODEL_FILE};
use serde::Serialize;

use crate::shadow::Shadow;
use crate::state::{LoadedModel, ModelSet, NamedModel, RulesFile};

/// A file's identity when read (modification time, length): a changed file is read again.
pub type Stamp = (SystemTime, u64);

/// The stamp of `path`, `None` when it cannot be read.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// A refused model file.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ReloadFailure {
    /// Model name.
    pub name: String,
    /// Version folder.
    pub version: String,
    /// Why it was refused.
    pub reason: String,
    /// The file as refused: the same stamp is not read again.
    #[serde(skip)]
    pub(crate) stamp: Option<Stamp>,
    /// Digest of the refused bytes: the same content is not counted again.
    #[serde(skip)]
    pub(crate) digest: Option<u64>,
}

/// Something in the registry the server cannot read and works around.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct RegistryProblem {
    /// The model concerned (`None`: the registry root).
    pub model: Option<String>,
    /// What is wrong, naming the path and the reason.
    pub problem: String,
    /// The version still served despite it, if any.
    pub serving: Option<String>,
}

/// What a reload did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ReloadReport {
    /// Versions newly loaded.
    pub loaded: Vec<String>,
    /// Versions refused by this reload (a file refused before with the same content is not listed again).
    pub refused: Vec<ReloadFailure>,
    /// Whether anything served changed.
    pub changed: bool,
}

/// Builds the set that follows `old` from the registry at `root`.
pub fn next_set(
    old: &ModelSet,
    root: &Path,
    default_model: Option<&str>,
    rules: Option<&RulesFile>,
) -> (ModelSet, ReloadReport) {
    let mut report = ReloadReport::default();
    let mut next = ModelSet::default();
    let refused_before: BTreeMap<PathBuf, &ReloadFailure> =
        old.failures.iter().map(|f| (root.join(&f.name).join(&f.version).join(MODEL_FILE), f)).collect();
    match Registry::new(root).scan() {
        Err(e) => {
            // The root cannot be listed: nothing can replace anything; keep it all.
            for (name, named) in &old.models {
                next.models.insert(name.clone(), named.clone());
            }
            next.failures = old.failures.clone();
            let serving = old.get(None, None).map(|m| m.version.clone());
            next.problems.push(RegistryProblem { model: None, problem: e.to_string(), serving });
        }
        Ok(folders) => {
            let mut seen = BTreeSet::new();
            for folder in &folders {
                seen.insert(folder.name.clone());
                let old_named = old.models.get(&folder.name);
                if let Some(named) =
                    load_folder(root, folder, old_named, &refused_before, rules, &mut next, &mut report)
                {
                    next.models.insert(folder.name.clone(), named);
                }
            }
            // Served before, gone now: the default model keeps serving (a renamed folder is
            // gone too); others are retired.
            for (name, named) in &old.models {
                if seen.contains(name) || old.default.as_deref() != Some(name) {
                    continue;
                }
                next.problems.push(RegistryProblem {
                    model: Some(name.clone()),
                    problem: format!("{} is no longer in the registry (renamed or removed)", root.join(name).display()),
                    serving: named.current.clone(),
                });
                next.models.insert(name.clone(), named.clone());
            }
        }
    }
    next.default = match default_model {
        Some(name) => next.models.contains_key(name).then(|| name.to_owned()),
        None => {
            let keep = old.default.clone().filter(|d| next.models.contains_key(d));
            keep.or_else(|| match next.models.len() {
                1 => next.models.keys().next().cloned(),
                _ => next.models.keys().find(|n| *n == "leads").or_else(|| next.models.keys().next()).cloned(),
            })
        }
    };
    next.problems.sort();
    next.problems.dedup();
    report.changed = served(&next) != served(old) || next.default != old.default;
    (next, report)
}

/// A model as [`served`] sees it: name, current version, challenger, `version:checksum`s.
type Served = (String, Option<String>, Option<String>, Vec<String>);

/// What is served (and shadowed), for telling whether a reload changed it.
fn served(set: &ModelSet) -> Vec<Served> {
    set.models
        .iter()
        .map(|(n, m)| {
            (
                n.clone(),
                m.current.clone(),
                m.shadow.as_ref().map(|s| s.challenger.version.clone()),
                m.versions.values().map(|v| format!("{}:{}", v.version, v.checksum)).collect(),
            )
        })
        .collect()
}

/// One model folder: its versions loaded (or reused, or refused) and its current decided.
/// `None` when nothing of it can be served.
fn load_folder(
    root: &Path,
    folder: &ModelFolder,
    old_named: Option<&NamedModel>,
    refused_before: &BTreeMap<PathBuf, &ReloadFailure>,
    rules: Option<&RulesFile>,
    next: &mut ModelSet,
    report: &mut ReloadReport,
) -> Option<NamedModel> {
    let name = &folder.name;
    let versions = match &folder.versions {
        Ok(v) => v,
        Err(why) => {
            // Unreadable, a symlink loop: keep everything it served.
            let named = old_named.cloned();
            next.problems.push(RegistryProblem {
                model: Some(name.clone()),
                problem: why.clone(),
                serving: named.as_ref().and_then(|n| n.current.clone()),
            });
            return named;
        }
    };
    let mut named = NamedModel::default();
    for version in versions {
        let path = folder.model_path(root, version);
        let previous = old_named.and_then(|n| n.versions.get(version));
        let now = stamp(&path);
        if let Some(prev) = previous.filter(|p| now.is_some() && now == Some(p.stamp)) {
            named.versions.insert(version.clone(), prev.clone());
            continue;
        }
        let before = refused_before.get(&path).copied();
        if let Some(refusal) = before.filter(|r| r.stamp.is_some() && r.stamp == now) {
            next.failures.push(refusal.clone()); // unchanged: not read, not counted again
            if let Some(prev) = previous {
                named.versions.insert(version.clone(), prev.clone());
            }
            continue;
        }
        match load_version(name, version, &path, rules) {
            Ok(model) => {
                report.loaded.push(format!("{name}@{version}"));
                named.versions.insert(version.clone(), Arc::new(model));
            }
            Err(failure) => {
                let same = before.is_some_and(|b| b.digest.is_some() && b.digest == failure.digest);
                if !same {
                    report.refused.push(failure.clone());
                }
                next.failures.push(failure);
                // Keep serving what this version was, if it was serving.
                if let Some(prev) = previous {
                    named.versions.insert(version.clone(), prev.clone());
                }
            }
        }
    }
    let old_current = old_named.and_then(|n| n.current.as_ref().and_then(|c| Some((c, n.versions.get(c)?))));
    let problem = match &folder.current {
        Ok(v) if named.versions.contains_key(v) => {
            named.current = Some(v.clone());
            None
        }
        Ok(v) => Some(match next.failures.iter().find(|f| &f.name == name && &f.version == v) {
            Some(f) => format!("CURRENT names {v}, which is refused: {}", f.reason),
            None => format!("CURRENT names {v}, which has no {}", folder.model_path(root, v).display()),
        }),
        Err(why) => Some(why.clone()),
    };
    if let Some(problem) = problem {
        // No valid replacement: the serving version goes on, from memory if its file is gone.
        match old_current {
            Some((version, model)) => {
                named.versions.entry(version.clone()).or_insert_with(|| model.clone());
                named.current = Some(version.clone());
            }
            None => named.current = named.versions.keys().last().cloned(),
        }
        next.problems.push(RegistryProblem { model: Some(name.clone()), problem, serving: named.current.clone() });
    }
    named.shadow = shadow_of(root, folder, &named, old_named, next);
    (!named.versions.is_empty()).then_some(named)
}

/// The challenger to shadow the current version with, from `CHALLENGER`: a version that loads and
/// is not the current one. One that cannot be read or loaded is a [`RegistryProblem`] (logged once,
/// on `/v1/models` and `/metrics`) and shadows nothing; serving is never affected. The shadow of
/// the previous set is kept while both versions are the same loaded ones.
fn shadow_of(
    root: &Path,
    folder: &ModelFolder,
    named: &NamedModel,
    old_named: Option<&NamedModel>,
    next: &mut ModelSet,
) -> Option<Arc<Shadow>> {
    let champion = named.versions.get(named.current.as_ref()?)?;
    let name = &folder.name;
    let version = match &folder.challenger {
        Ok(None) => return None,
        Ok(Some(v)) if named.current.as_ref() == Some(v) => return None, // promoted: nothing to shadow
        Ok(Some(v)) => v,
        Err(why) => {
            next.problems.push(RegistryProblem {
                model: Some(name.clone()),
                problem: format!("{why}; no challenger is shadowed"),
                serving: named.current.clone(),
            });
            return None;
        }
    };
    let Some(challenger) = named.versions.get(version) else {
        let why = match next.failures.iter().find(|f| &f.name == name && &f.version == version) {
            Some(f) => format!("CHALLENGER names {version}, which is refused: {}", f.reason),
            None => format!("CHALLENGER names {version}, which has no {}", folder.model_path(root, version).display()),
        };
        next.problems.push(RegistryProblem {
            model: Some(name.clone()),
            problem: format!("{why}; no challenger is shadowed"),
            serving: named.current.clone(),
        });
        return None;
    };
    let kept = old_named
        .and_then(|o| o.shadow.as_ref())
        .filter(|s| Arc::ptr_eq(&s.champion, champion) && Arc::ptr_eq(&s.challenger, challenger));
    if let Some(kept) = kept {
        return Some(kept.clone());
    }
    let rule_fields = match &champion.rules {
        Some(Ok(set)) => set.fields.iter().map(|f| (f.name.clone(), f.kind)).collect(),
        _ => Vec::new(),
    };
    tracing::info!(model = %name, current = %champion.version, challenger = %challenger.version, "shadow scoring the challenger");
    Some(Arc::new(Shadow::new(champion.clone(), challenger.clone(), rule_fields)))
}

/// Loads and validates one version, including a probe lead (all fields missing).
fn load_version(
    name: &str,
    version: &str,
    path: &Path,
    rules: Option<&RulesFile>,
) -> Result<LoadedModel, ReloadFailure> {
    let before = stamp(path);
    let fail = |reason: String, digest: Option<u64>| ReloadFailure {
        name: name.to_owned(),
        version: version.to_owned(),
        reason,
        stamp: before,
        digest,
    };
    let bytes = Registry::read_model(path).map_err(|e| fail(e.to_string(), None))?;
    let digest = {
        let mut h = DefaultHasher::new();
        bytes.hash(&mut h);
        h.finish()
    };
    let artifact = Registry::decode(path, &bytes).map_err(|e| fail(e.to_string(), Some(digest)))?;
    let probe =
        artifact.score(|_| RawValue::Missing).map_err(|e| fail(format!("probe lead failed: {e}"), Some(digest)))?;
    if !probe.probability.is_finite() {
        return Err(fail("probe lead gave a non-finite probability".into(), Some(digest)));
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
    let fields = crate::lead::Fields::new(&artifact, rule_fields);
    let lookup = Lookup::new(&artifact);
    let answer = crate::state::Answer::of(name, version, &artifact)
        .map_err(|e| fail(format!("the default threshold could not be written as JSON: {e}"), Some(digest)))?;
    Ok(LoadedModel {
        lookup,
        answer,
        log_names: leadscore_store::FieldNames::of(&artifact),
        name: name.to_owned(),
        version: version.to_owned(),
        checksum: Artifact::checksum(&bytes),
        fields,
        rules,
        artifact,
        path: path.to_owned(),
        stamp: before.unwrap_or((SystemTime::UNIX_EPOCH, 0)),
    })
}
