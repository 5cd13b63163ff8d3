//! The model registry on disk (shared by the trainer and the server; it links no linfa): `<root>/<name>/<version>/{model.bin, card.json, report.html}`
//! and `<root>/<name>/CURRENT` naming the version in use.
//!
//! Publishing never touches an existing version: files are written into a
//! hidden temporary folder, synced, and the folder is renamed to `v<N>` in one
//! step; `CURRENT` is replaced by a rename too. A crash or a failed training
//! leaves at worst a stray `.tmp-*` folder, never a half-written model, and the next publish
//! removes it; a version renamed into place but never named by `CURRENT` is finished or
//! reported by the next command that opens the registry ([`leftovers`]).
//! Publishing the same bytes twice reuses the existing version, so a repeated
//! training run is idempotent.
//!
//! Beside the versions, a model folder holds its aliases (`CURRENT`, `CHALLENGER`, see
//! [`alias`]), its append-only history ([`history`]) and its lock files ([`lock`]);
//! [`prune`] removes old versions without touching the ones an alias or a rollback needs.

pub mod age;
pub mod alias;
pub mod history;
pub mod lock;
pub mod prune;
#[cfg(test)]
mod testing;

pub use age::Clock;
pub use alias::Change;
pub use history::{Alias, GateEntry, History, HistoryEntry};
pub use lock::{ModelLock, RetrainLock};

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use leadscore_core::promotion::GateRecord;
use leadscore_core::Artifact;

pub mod leftovers;

/// Everything that can go wrong with the registry.
// Variant fields are named for what they hold.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
    /// A model file is not a valid artifact.
    #[error("{path}: {error}")]
    Artifact { path: PathBuf, error: leadscore_core::Error },
    /// The registry is not usable as asked.
    #[error("model registry {path}: {message}")]
    Registry { path: PathBuf, message: String },
    /// No such model in the registry (no folder holding a version).
    #[error("no model `{name}` in the registry {} (it has: {known})", path.display())]
    UnknownModel { path: PathBuf, name: String, known: String },
    /// The model has no such version (or its folder holds no `model.bin`).
    #[error("model registry {}: model `{name}` has no version `{version}` (it has: {known})", path.display())]
    UnknownVersion { path: PathBuf, name: String, version: String, known: String },
    /// A rollback with no earlier version recorded to go back to.
    #[error(
        "model `{name}`: no earlier version to roll back to: the history records no change to the current {current}"
    )]
    NoPrevious { name: String, current: String },
    /// The promotion gate did not pass the version against the current one. `record` is the
    /// gate's comparison against the current version when it judged it (its figures go into
    /// the admin route's 409), `None` when the gate never compared the two.
    #[error("model `{name}`: {version} not promoted: {message}")]
    Refused { name: String, version: String, message: String, record: Option<Box<GateRecord>> },
    /// Another process holds the model's lock.
    #[error("model `{name}` is locked: {message}")]
    Locked { name: String, message: String },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }
}

/// Result with the registry [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// File name of the artifact inside a version folder.
pub const MODEL_FILE: &str = "model.bin";
/// File name of the model card.
pub const CARD_FILE: &str = "card.json";
/// File name of the HTML report.
pub const REPORT_FILE: &str = "report.html";
/// File naming the version in use.
pub const CURRENT_FILE: &str = "CURRENT";
/// File naming the version shadowed beside the current one.
pub const CHALLENGER_FILE: &str = "CHALLENGER";

/// Writes `bytes` to `path` via a temporary file in the same folder and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    Ok(())
}

/// Whether `name` is usable as a model name (a folder name on every OS).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !name.starts_with('-')
}

/// What [`Registry::publish`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Published {
    /// Version folder name, e.g. `v3`.
    pub version: String,
    /// Path of the version folder.
    pub dir: PathBuf,
    /// Path of `model.bin`.
    pub model_path: PathBuf,
    /// True when an identical model was already registered and reused.
    pub reused: bool,
}

/// One model folder as [`Registry::scan`] found it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFolder {
    /// The folder's name, the model's name.
    pub name: String,
    /// The version `CURRENT` names, or why it cannot be read.
    pub current: Result<String, String>,
    /// The version `CHALLENGER` names (`None`: no challenger), or why it cannot be read.
    pub challenger: Result<Option<String>, String>,
    /// The version folders holding a `model.bin`, oldest first, or why the folder cannot be listed.
    pub versions: Result<Vec<String>, String>,
}

impl ModelFolder {
    /// The path of `version`'s model file under `root`.
    pub fn model_path(&self, root: &Path, version: &str) -> PathBuf {
        root.join(&self.name).join(version).join(MODEL_FILE)
    }
}

/// A model registry rooted at a folder.
#[derive(Clone, Debug)]
pub struct Registry {
    root: PathBuf,
    /// How long a change waits for another change of the same model ([`lock::LOCK_WAIT`]).
    lock_wait: std::time::Duration,
    /// The time of its changes and decisions ([`age`]).
    clock: Clock,
}

pub(crate) fn version_number(name: &str) -> Option<u64> {
    name.strip_prefix('v').and_then(|n| n.parse().ok())
}

impl Registry {
    /// A registry at `root` (created on first publish).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into(), lock_wait: lock::LOCK_WAIT, clock: Clock::System }
    }

    /// The same registry reading `clock` for the time of its history entries and of the
    /// promotion gate's decisions (how long the current version has been current).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The time now, by the registry's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// The same registry, its changes waiting at most `wait` for another change of the same
    /// model before failing with [`Error::Locked`]: a command line waits the default
    /// [`lock::LOCK_WAIT`], the server's admin routes less than their request timeout, so
    /// that a held lock is answered as such and not as a timeout.
    pub fn with_lock_wait(mut self, wait: std::time::Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// The registry folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(crate) fn check_name(&self, name: &str) -> Result<()> {
        if valid_name(name) {
            Ok(())
        } else {
            Err(Error::Registry {
                path: self.root.clone(),
                message: format!("model name {name:?} must be 1-64 letters, digits, '-' or '_'"),
            })
        }
    }

    /// The versions of `name` (folders holding a `model.bin`), oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<(u64, String)>> {
        let dir = self.root.join(name);
        let mut out = Vec::new();
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(Error::io(dir, e)),
        };
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if let Some(n) = version_number(&file_name) {
                if entry.path().join(MODEL_FILE).is_file() {
                    out.push((n, file_name));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Registers a new version of `name` with its files and makes it `CURRENT`.
    pub fn publish(&self, name: &str, model: &[u8], card: &[u8], report: &[u8]) -> Result<Published> {
        self.publish_with(name, model, |_| (card.to_vec(), report.to_vec()))
    }

    /// Like [`Registry::publish`], for files that name their own version:
    /// `files(version)` returns the card and the report for the version being written.
    /// The change of `CURRENT` is recorded in the history as `publish`.
    pub fn publish_with(
        &self,
        name: &str,
        model: &[u8],
        files: impl Fn(&str) -> (Vec<u8>, Vec<u8>),
    ) -> Result<Published> {
        let published = self.publish_candidate(name, model, files)?;
        let lock = self.lock(name, "publish")?;
        if self.alias(name, Alias::Current)?.as_deref() != Some(published.version.as_str()) {
            self.move_alias(&lock, Alias::Current, Some(&published.version), "publish", None)?;
        }
        Ok(published)
    }

    /// Registers a new version of `name` without making it current (the promotion gate decides
    /// that). An identical model already registered is reused.
    pub fn publish_candidate(
        &self,
        name: &str,
        model: &[u8],
        files: impl Fn(&str) -> (Vec<u8>, Vec<u8>),
    ) -> Result<Published> {
        self.check_name(name)?;
        let name_dir = self.root.join(name);
        fs::create_dir_all(&name_dir).map_err(|e| Error::io(&name_dir, e))?;
        leftovers::sweep(&name_dir);
        let versions = self.versions(name)?;
        for (_, v) in versions.iter().rev() {
            let existing = name_dir.join(v).join(MODEL_FILE);
            if fs::read(&existing).map_err(|e| Error::io(&existing, e))? == model {
                return Ok(Published { version: v.clone(), dir: name_dir.join(v), model_path: existing, reused: true });
            }
        }
        let tmp = name_dir.join(format!(".tmp-{}", std::process::id()));
        let mut next = versions.last().map_or(1, |(n, _)| n + 1);
        loop {
            let version = format!("v{next}");
            let dir = name_dir.join(&version);
            if dir.exists() {
                next += 1;
                continue;
            }
            let (card, report) = files(&version);
            let _ = fs::remove_dir_all(&tmp);
            let written = (|| {
                fs::create_dir(&tmp)?;
                for (file, bytes) in [(MODEL_FILE, model), (CARD_FILE, &card[..]), (REPORT_FILE, &report[..])] {
                    let mut f = fs::File::create(tmp.join(file))?;
                    f.write_all(bytes)?;
                    f.sync_all()?;
                }
                // Until CURRENT names it: a crash after the rename leaves a version marked unfinished.
                leftovers::mark(&tmp)?;
                Ok::<(), std::io::Error>(())
            })();
            if let Err(e) = written {
                let _ = fs::remove_dir_all(&tmp);
                return Err(Error::io(&tmp, e));
            }
            match fs::rename(&tmp, &dir) {
                Ok(()) => {
                    // Registered whole: whether it becomes current is the caller's (the gate's) call.
                    leftovers::unmark(&dir);
                    let model_path = dir.join(MODEL_FILE);
                    return Ok(Published { version, dir, model_path, reused: false });
                }
                Err(_) if dir.exists() => next += 1, // another run took this number meanwhile
                Err(e) => {
                    let _ = fs::remove_dir_all(&tmp);
                    return Err(Error::io(dir, e));
                }
            }
        }
    }

    /// Fails, saying why, unless a version of `name` can be published here: the root and the
    /// model folder exist or can be made, and a file can be created in them. Checked before a
    /// training run reads its data, so a read-only registry is not found after the fit.
    pub fn check_writable(&self, name: &str) -> Result<()> {
        let dir = self.root.join(name);
        let existing = dir.is_dir();
        let target = if existing { dir.clone() } else { self.root.clone() };
        if !existing {
            fs::create_dir_all(&self.root).map_err(|e| Error::Registry {
                path: self.root.clone(),
                message: format!("cannot create the registry folder: {e}"),
            })?;
        }
        let probe = target.join(format!(".write-check.tmp-{}", std::process::id()));
        match fs::File::create(&probe) {
            Ok(_) => {
                let _ = fs::remove_file(&probe);
                Ok(())
            }
            Err(e) => Err(Error::Registry {
                path: self.root.clone(),
                message: format!(
                    "cannot write in {} ({e}); publish to another registry with --models or fix its permissions",
                    target.display()
                ),
            }),
        }
    }

    /// Points `CURRENT` of `name` at `version`, unrecorded and unlocked: for tests and repairs;
    /// commands move it through [`Registry::promote`], [`Registry::rollback`] or
    /// [`Registry::move_alias`].
    pub fn set_current(&self, name: &str, version: &str) -> Result<()> {
        write_atomic(&self.root.join(name).join(CURRENT_FILE), format!("{version}\n").as_bytes())
    }

    /// The version `CURRENT` names.
    pub fn current(&self, name: &str) -> Result<String> {
        let path = self.root.join(name).join(CURRENT_FILE);
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let version = text.trim().to_owned();
        if version_number(&version).is_none() {
            return Err(Error::Registry { path, message: format!("CURRENT holds {version:?}, not a version like v1") });
        }
        Ok(version)
    }

    /// Model names in the registry (folders with a `CURRENT`), sorted.
    pub fn names(&self) -> Result<Vec<String>> {
        let entries = fs::read_dir(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.path().join(CURRENT_FILE).is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    /// Every model folder with what could and could not be read of it, for a
    /// reader that must tell "gone" from "briefly unreadable" (the server keeps
    /// serving what it has while a folder is renamed, unreadable, a symlink loop,
    /// or its `CURRENT` is missing). Hidden folders (`.tmp-*`) are not models.
    /// Fails only when the root itself cannot be listed.
    pub fn scan(&self) -> Result<Vec<ModelFolder>> {
        let entries = fs::read_dir(&self.root).map_err(|e| Error::io(&self.root, e))?;
        let mut folders = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&self.root, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !valid_name(&name) {
                continue;
            }
            let dir = entry.path();
            // `metadata` follows symlinks: a loop or a dangling link is an error here, named.
            match fs::metadata(&dir) {
                Ok(meta) if !meta.is_dir() => continue, // a stray file beside the models
                Ok(_) => {}
                Err(e) => {
                    let error = Error::io(&dir, e);
                    folders.push(ModelFolder {
                        current: Err(error.to_string()),
                        challenger: Err(error.to_string()),
                        versions: Err(error.to_string()),
                        name,
                    });
                    continue;
                }
            }
            let current = self.current(&name).map_err(|e| e.to_string());
            let versions = self
                .versions(&name)
                .map(|v| v.into_iter().map(|(_, version)| version).collect())
                .map_err(|e| e.to_string());
            let challenger = self.challenger(&name).map_err(|e| e.to_string());
            folders.push(ModelFolder { name, current, challenger, versions });
        }
        folders.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(folders)
    }

    /// Finds a model file from what a user typed: a path to `model.bin`, a
    /// version folder, a model folder (its `CURRENT`), a model name in this
    /// registry, or nothing (the registry's only model).
    pub fn resolve(&self, model: Option<&str>) -> Result<PathBuf> {
        let not_found = |message: String| Error::Registry { path: self.root.clone(), message };
        let Some(model) = model else {
            let names = self.names()?;
            return match names.as_slice() {
                [only] => self.resolve(Some(only)),
                [] => Err(not_found("no models here; train one with `leadscore train`".into())),
                many => Err(not_found(format!("several models ({}); choose one with --model", many.join(", ")))),
            };
        };
        let path = Path::new(model);
        if path.is_file() {
            return Ok(path.to_owned());
        }
        if path.join(MODEL_FILE).is_file() {
            return Ok(path.join(MODEL_FILE));
        }
        if path.join(CURRENT_FILE).is_file() {
            let version = Registry::new(path.parent().unwrap_or(Path::new(".")))
                .current(&path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())?;
            return Ok(path.join(version).join(MODEL_FILE));
        }
        let (name, version) = model.split_once('@').map_or((model, None), |(n, v)| (n, Some(v.to_owned())));
        if valid_name(name) && self.root.join(name).is_dir() {
            let version = match version {
                Some(v) => v,
                None => self.current(name)?,
            };
            let file = self.root.join(name).join(&version).join(MODEL_FILE);
            if file.is_file() {
                return Ok(file);
            }
            return Err(not_found(format!("model `{name}` has no version `{version}`")));
        }
        Err(not_found(format!("no model file, model folder or registered model named {model:?}")))
    }

    /// Reads and validates an artifact file.
    pub fn load(path: &Path) -> Result<(Artifact, Vec<u8>)> {
        let bytes = Registry::read_model(path)?;
        let artifact = Registry::decode(path, &bytes)?;
        Ok((artifact, bytes))
    }

    /// The bytes of a model file, refused before reading when larger than any model this build writes.
    pub fn read_model(path: &Path) -> Result<Vec<u8>> {
        let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if meta.len() > (leadscore_core::artifact::MAX_ARTIFACT_BYTES + 64) as u64 {
            return Err(Error::Registry {
                path: path.to_owned(),
                message: format!("{} bytes is larger than any model this build writes", meta.len()),
            });
        }
        fs::read(path).map_err(|e| Error::io(path, e))
    }

    /// Decodes the bytes read from `path` (named in the error).
    pub fn decode(path: &Path, bytes: &[u8]) -> Result<Artifact> {
        Artifact::from_bytes(bytes).map_err(|e| Error::Artifact { path: path.to_owned(), error: e })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_versions_current_and_reuse() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let (model_a, model_b) = (testing::model_bytes(1), testing::model_bytes(2));
        let a = reg.publish("leads", &model_a, b"{}", b"<html>").unwrap();
        assert_eq!((a.version.as_str(), a.reused), ("v1", false));
        let b = reg.publish("leads", &model_b, b"{}", b"<html>").unwrap();
        assert_eq!(b.version, "v2");
        assert_eq!(reg.current("leads").unwrap(), "v2");
        let again = reg.publish("leads", &model_a, b"{}", b"<html>").unwrap();
        assert_eq!((again.version.as_str(), again.reused), ("v1", true));
        assert_eq!(reg.current("leads").unwrap(), "v1");
        assert_eq!(fs::read(dir.path().join("leads/v2/model.bin")).unwrap(), model_b);
        // no temporary folders left behind
        let stray: Vec<_> = fs::read_dir(dir.path().join("leads"))
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(stray.is_empty());
        assert_eq!(reg.resolve(Some("leads")).unwrap(), dir.path().join("leads/v1/model.bin"));
        assert_eq!(reg.resolve(Some("leads@v2")).unwrap(), dir.path().join("leads/v2/model.bin"));
        assert_eq!(reg.resolve(None).unwrap(), dir.path().join("leads/v1/model.bin"));
        assert!(reg.resolve(Some("leads@v9")).unwrap_err().to_string().contains("no version `v9`"));
        // Every change of CURRENT is in the history.
        let moves: Vec<_> = reg.history("leads").unwrap().entries.into_iter().map(|e| (e.from, e.to)).collect();
        let v = |s: &str| Some(s.to_owned());
        assert_eq!(moves, [(None, v("v1")), (v("v1"), v("v2")), (v("v2"), v("v1"))]);
        // A candidate is registered without becoming current.
        let c = reg.publish_candidate("leads", &testing::model_bytes(3), |_| (Vec::new(), Vec::new())).unwrap();
        assert_eq!((c.version.as_str(), reg.current("leads").unwrap().as_str()), ("v3", "v1"));
    }

    #[test]
    fn scan_names_what_cannot_be_read_instead_of_dropping_it() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        // Real models: a version becomes CURRENT only once its file loads.
        reg.publish("leads", &testing::model_bytes(1), b"{}", b"").unwrap();
        reg.publish("leads", &testing::model_bytes(2), b"{}", b"").unwrap();
        reg.publish("other", &testing::model_bytes(3), b"{}", b"").unwrap();
        fs::create_dir(dir.path().join(".tmp-1")).unwrap();
        fs::write(dir.path().join("notes.txt"), b"x").unwrap();
        let scan = reg.scan().unwrap();
        assert_eq!(scan.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["leads", "other"]);
        assert_eq!(scan[0].current, Ok("v2".to_owned()));
        assert_eq!(scan[0].versions, Ok(vec!["v1".to_owned(), "v2".to_owned()]));
        assert_eq!(scan[0].challenger, Ok(None));
        reg.set_challenger("leads", "v1", "challenger set").unwrap();
        assert_eq!(reg.scan().unwrap()[0].challenger, Ok(Some("v1".to_owned())));
        fs::write(dir.path().join("leads/CHALLENGER"), "nonsense").unwrap();
        assert!(reg.scan().unwrap()[0].challenger.as_ref().unwrap_err().contains("CHALLENGER holds"));
        fs::remove_file(dir.path().join("leads/CHALLENGER")).unwrap();

        // CURRENT missing: the folder is still there, with the reason.
        fs::remove_file(dir.path().join("other/CURRENT")).unwrap();
        let scan = reg.scan().unwrap();
        let other = scan.iter().find(|f| f.name == "other").unwrap();
        assert!(other.current.as_ref().unwrap_err().contains("CURRENT"), "{other:?}");
        assert_eq!(other.versions, Ok(vec!["v1".to_owned()]));

        // A symlink loop is a folder that cannot be read, named as such.
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("loop"), dir.path().join("loop")).unwrap();
            let scan = reg.scan().unwrap();
            let looped = scan.iter().find(|f| f.name == "loop").unwrap();
            assert!(looped.versions.is_err() && looped.current.is_err(), "{looped:?}");
        }
        assert!(Registry::new(dir.path().join("nope")).scan().is_err());
    }

    #[test]
    fn bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = Registry::new(dir.path()).publish("../evil", b"m", b"", b"").unwrap_err();
        assert!(err.to_string().contains("model name"), "{err}");
    }

    #[test]
    fn write_atomic_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.txt");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
