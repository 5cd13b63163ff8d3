//! Locks on one model's registry folder, so that two processes (two `retrain` runs from cron, a
//! `promote` from a person while the server's admin route rolls back) never interleave their
//! changes of `CURRENT`, `CHALLENGER`, the history or the version folders.
//!
//! The locks are advisory OS file locks (`flock(2)`, Unix only: elsewhere changes are not
//! locked) on files in the model folder: the
//! kernel releases them when the holder exits, so a `kill -9` never leaves a stale lock behind,
//! and the lock files themselves are never removed (removing one would let two processes lock
//! two different files of the same name).
//!
//! - [`ModelLock`] (`LOCK`): held for the few milliseconds a change takes; others wait for it.
//! - [`RetrainLock`] (`RETRAIN.LOCK`): held for a whole `retrain`; a second one fails at once
//!   with the holder's process id, instead of training twice and racing to publish.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{Error, Registry, Result};

/// The lock file guarding changes of one model's aliases, history and versions.
pub const LOCK_FILE: &str = "LOCK";
/// The lock file held by a running `retrain`.
pub const RETRAIN_LOCK_FILE: &str = "RETRAIN.LOCK";
/// How long a change waits for another change of the same model to finish.
pub const LOCK_WAIT: Duration = Duration::from_secs(30);

/// Held while one model's registry files change; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct ModelLock {
    _file: File,
    name: String,
}

impl ModelLock {
    /// The model this lock is on.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Held for a whole retraining run of one model.
#[derive(Debug)]
pub struct RetrainLock {
    _file: File,
}

/// Whether another process holds the lock.
enum Try {
    Locked,
    Busy,
}

/// One non-blocking attempt at an exclusive `flock` of `file`.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<Try> {
    use rustix::fs::{flock, FlockOperation};
    match flock(file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Try::Locked),
        Err(e) if e == rustix::io::Errno::WOULDBLOCK => Ok(Try::Busy),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<Try> {
    Ok(Try::Locked)
}

fn open_lock(path: &Path) -> Result<File> {
    OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(|e| Error::io(path, e))
}

/// Writes who holds the lock into the lock file, for the message another process prints.
fn write_holder(file: &mut File, path: &Path, what: &str) -> Result<()> {
    let text = format!("pid {} ({what})\n", std::process::id());
    (|| {
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(text.as_bytes())
    })()
    .map_err(|e| Error::io(path, e))
}

fn holder(path: &Path) -> String {
    let mut text = String::new();
    let _ = File::open(path).and_then(|mut f| f.read_to_string(&mut text));
    let text = text.trim();
    if text.is_empty() {
        "another process".into()
    } else {
        text.to_owned()
    }
}

impl Registry {
    fn model_dir_for_lock(&self, name: &str) -> Result<PathBuf> {
        self.check_name(name)?;
        let dir = self.root().join(name);
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(dir)
    }

    /// Locks `name` for a change, waiting up to [`LOCK_WAIT`] (or [`Registry::with_lock_wait`])
    /// for another change to finish.
    pub fn lock(&self, name: &str, what: &str) -> Result<ModelLock> {
        let path = self.model_dir_for_lock(name)?.join(LOCK_FILE);
        let mut file = open_lock(&path)?;
        let started = Instant::now();
        loop {
            match try_lock(&file) {
                Ok(Try::Locked) => break,
                Ok(Try::Busy) if started.elapsed() < self.lock_wait => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Ok(Try::Busy) => {
                    return Err(Error::Locked {
                        name: name.to_owned(),
                        message: format!(
                            "{} has been changing it for over {:.1} s; try again when it is done",
                            holder(&path),
                            self.lock_wait.as_secs_f64()
                        ),
                    })
                }
                Err(e) => return Err(Error::io(&path, e)),
            }
        }
        write_holder(&mut file, &path, what)?;
        Ok(ModelLock { _file: file, name: name.to_owned() })
    }

    /// Takes the retraining lock of `name`, or fails at once naming the run that holds it.
    pub fn lock_retrain(&self, name: &str) -> Result<RetrainLock> {
        let path = self.model_dir_for_lock(name)?.join(RETRAIN_LOCK_FILE);
        let mut file = open_lock(&path)?;
        match try_lock(&file) {
            Ok(Try::Locked) => {}
            Ok(Try::Busy) => {
                return Err(Error::Locked {
                    name: name.to_owned(),
                    message: format!(
                        "another retrain is running ({}); this one stops without touching the registry",
                        holder(&path)
                    ),
                })
            }
            Err(e) => return Err(Error::io(&path, e)),
        }
        write_holder(&mut file, &path, "retrain")?;
        Ok(RetrainLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_retrain_fails_at_once_and_the_lock_goes_with_its_holder() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let first = reg.lock_retrain("leads").unwrap();
        let err = reg.lock_retrain("leads").unwrap_err().to_string();
        assert!(err.contains("another retrain is running (pid"), "{err}");
        assert!(err.contains("`leads`"), "{err}");
        drop(first);
        reg.lock_retrain("leads").unwrap();
    }

    #[test]
    fn changes_wait_for_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let held = reg.lock("leads", "test").unwrap();
        let reg2 = reg.clone();
        let started = Instant::now();
        let waiter = std::thread::spawn(move || reg2.lock("leads", "test").map(|_| started.elapsed()));
        std::thread::sleep(Duration::from_millis(200));
        drop(held);
        let waited = waiter.join().unwrap().unwrap();
        assert!(waited >= Duration::from_millis(150), "{waited:?}");
    }

    #[test]
    fn a_lock_held_past_the_wait_is_an_error_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let reg = Registry::new(dir.path());
        let _held = reg.lock("leads", "a long change").unwrap();
        let started = Instant::now();
        let err = reg.clone().with_lock_wait(Duration::from_millis(100)).lock("leads", "test").unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "waited {:?}", started.elapsed());
        assert!(matches!(err, Error::Locked { .. }), "{err}");
        assert!(err.to_string().contains("(a long change) has been changing it for over 0.1 s"), "{err}");
    }
}
