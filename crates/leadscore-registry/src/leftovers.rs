//! What a publish that did not finish leaves behind, and putting it right.
//!
//! Publishing writes a version into `.tmp-<pid>/` and renames it to `v<N>`; `CURRENT` is
//! written to `.CURRENT.tmp-<pid>` and renamed. A `kill -9` or a full disk between those steps
//! leaves the temporaries, or a whole version that `CURRENT` never named (invisible to `score`
//! and `serve`). So a version folder carries a [`PUBLISHING`] marker (the writer's pid) from
//! the moment it is written until `CURRENT` names it, and:
//! - [`sweep`] (run by every publish) removes the temporaries of processes that are gone;
//! - [`Registry::recover`] (run by every command that opens the registry) finishes the
//!   registration of a marked version whose writer is gone (drops the marker; whether it serves
//!   stays the promotion gate's call) and says what it did; one whose model does not load is
//!   reported and left.
//!
//! A writer that is still running is never touched: its pid is alive.

use std::fs;
use std::path::Path;

use crate::{version_number, Registry, MODEL_FILE};

/// The marker in a version folder written but not yet named by `CURRENT`; it holds the pid.
pub const PUBLISHING: &str = ".publishing";

/// Whether process `pid` is running. Where that cannot be known (no `/proc`), every process
/// counts as running: a temporary is then left alone rather than taken from a live writer.
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

/// The pid in a temporary's name: `.tmp-<pid>` or `.<file>.tmp-<pid>`.
fn temporary_pid(file_name: &str) -> Option<u32> {
    if !file_name.starts_with('.') {
        return None;
    }
    file_name.rsplit_once(".tmp-").and_then(|(_, pid)| pid.parse().ok())
}

/// Removes the temporaries of dead processes in a model folder; returns what it removed.
pub fn sweep(model_dir: &Path) -> Vec<String> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(model_dir) else { return removed };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = temporary_pid(&file_name) else { continue };
        if alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = if path.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        if gone.is_ok() {
            removed.push(path.display().to_string());
        }
    }
    removed
}

/// Writes the marker into a version folder being built by this process.
pub(crate) fn mark(dir: &Path) -> std::io::Result<()> {
    fs::write(dir.join(PUBLISHING), std::process::id().to_string())
}

/// Drops the marker once `CURRENT` names the version.
pub(crate) fn unmark(dir: &Path) {
    let _ = fs::remove_file(dir.join(PUBLISHING));
}

impl Registry {
    /// Finishes or reports every version a dead writer left unpublished, in every model of
    /// the registry; returns one line per version for the command to show.
    pub fn recover(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let Ok(models) = fs::read_dir(self.root()) else { return notes };
        for model in models.flatten() {
            let name = model.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !model.path().is_dir() {
                continue;
            }
            notes.extend(self.recover_model(&name));
        }
        notes
    }

    /// [`Registry::recover`] for one model.
    pub fn recover_model(&self, name: &str) -> Vec<String> {
        let dir = self.root().join(name);
        let mut marked: Vec<(u64, String, u32)> = Vec::new();
        let Ok(entries) = fs::read_dir(&dir) else { return Vec::new() };
        for entry in entries.flatten() {
            let version = entry.file_name().to_string_lossy().into_owned();
            let Some(n) = version_number(&version) else { continue };
            let Ok(pid) = fs::read_to_string(entry.path().join(PUBLISHING)) else { continue };
            let pid: u32 = pid.trim().parse().unwrap_or(0);
            if pid != 0 && alive(pid) {
                continue; // still being published
            }
            marked.push((n, version, pid));
        }
        marked.sort();
        let mut notes = Vec::new();
        for (n, version, pid) in marked {
            let version_dir = dir.join(&version);
            let complete = Registry::load(&version_dir.join(MODEL_FILE)).is_ok();
            let current = self.current(name).ok().and_then(|c| version_number(&c));
            let newest = current.is_none_or(|c| n > c);
            let outcome = if !complete {
                format!("model `{name}` {version}: left unpublished by process {pid} and its model.bin does not load; remove {} or publish again", version_dir.display())
            } else if newest {
                // Whole, but whether it serves is the promotion gate's call: finish the
                // registration (drop the marker) and say so, without moving CURRENT.
                unmark(&version_dir);
                format!("model `{name}` {version}: finished registering it (process {pid} stopped after writing it); it is not current: `leadscore promote` makes it so")
            } else {
                unmark(&version_dir);
                format!("model `{name}` {version}: written by process {pid} but never made current; a newer version is current, so it stays a plain version")
            };
            notes.push(outcome);
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pid no process has: above the kernel's pid limit.
    const DEAD: u32 = 4_194_305;

    fn artifact_bytes() -> Vec<u8> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        fs::read(format!("{root}/models/leads/v1/model.bin")).unwrap()
    }

    #[test]
    fn publishing_removes_the_temporaries_of_dead_processes_only() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let model = dir.path().join("leads");
        fs::create_dir_all(&model).unwrap();
        // What kill -9 leaves: a half-written version folder and a CURRENT temporary.
        fs::create_dir(model.join(format!(".tmp-{DEAD}"))).unwrap();
        fs::write(model.join(format!(".tmp-{DEAD}/model.bin")), b"whole model").unwrap();
        fs::write(model.join(format!(".CURRENT.tmp-{DEAD}")), b"v9\n").unwrap();
        // A live writer's (pid 1, init, is always running).
        fs::create_dir(model.join(".tmp-1")).unwrap();
        reg.publish("leads", &artifact_bytes(), b"{}", b"").unwrap();
        let left: Vec<String> =
            fs::read_dir(&model).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert!(left.iter().all(|f| !f.contains(&DEAD.to_string())), "{left:?}");
        assert!(left.contains(&".tmp-1".to_owned()) && left.contains(&"v1".to_owned()), "{left:?}");
        assert!(!model.join("v1").join(PUBLISHING).exists(), "the marker goes once the version is registered");
    }

    #[test]
    fn a_version_left_unpublished_is_finished_or_reported() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let bytes = artifact_bytes();
        reg.publish("leads", &bytes, b"{}", b"").unwrap();
        let model = dir.path().join("leads");
        // v2 renamed into place, then the writer died before CURRENT.
        fs::create_dir(model.join("v2")).unwrap();
        fs::write(model.join("v2/model.bin"), &bytes).unwrap();
        fs::write(model.join("v2").join(PUBLISHING), DEAD.to_string()).unwrap();
        let notes = reg.recover();
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes[0].contains("v2: finished registering it"), "{notes:?}");
        assert_eq!(reg.current("leads").unwrap(), "v1", "the gate, not the sweep, moves CURRENT");
        reg.set_current("leads", "v2").unwrap();
        assert!(!model.join("v2").join(PUBLISHING).exists());
        assert!(reg.recover().is_empty(), "nothing left to do");

        // An older marked version while a newer one is current: only the marker goes.
        fs::write(model.join("v1").join(PUBLISHING), DEAD.to_string()).unwrap();
        let notes = reg.recover();
        assert!(
            notes[0].contains("v1: written by process") && notes[0].contains("a newer version is current"),
            "{notes:?}"
        );
        assert_eq!(reg.current("leads").unwrap(), "v2");

        // A marked version whose model does not load is reported and left alone.
        fs::create_dir(model.join("v3")).unwrap();
        fs::write(model.join("v3/model.bin"), b"trunc").unwrap();
        fs::write(model.join("v3").join(PUBLISHING), DEAD.to_string()).unwrap();
        let notes = reg.recover();
        assert!(notes[0].contains("v3: left unpublished") && notes[0].contains("does not load"), "{notes:?}");
        assert_eq!(reg.current("leads").unwrap(), "v2");

        // A live writer's version is never touched.
        fs::write(model.join("v3").join(PUBLISHING), "1").unwrap();
        assert!(reg.recover().is_empty());
    }
}
