//! Helpers shared by the integration tests: run the real binary, in a scratch folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `leadscore` binary under test.
pub fn bin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadscore"));
    cmd.env_remove("LEADSCORE_MODELS").env_remove("LEADSCORE_LOG").env("LEADSCORE_QUIET", "1");
    cmd
}

/// The repository root (where `data/` and `models/` live).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shared X Education export, when `../shared` is beside the repository.
pub fn xeducation() -> Option<PathBuf> {
    let path = root().join("../shared/datasets/xeducation_leads.csv");
    if path.is_file() {
        Some(path)
    } else {
        eprintln!("skipping: {} is not present (../shared is not beside the repository)", path.display());
        None
    }
}

/// The finished output of a command.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn ok(self) -> Run {
        assert_eq!(self.status, 0, "command failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    #[track_caller]
    pub fn fails(self) -> Run {
        assert_ne!(self.status, 0, "command should have failed\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// Parses stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs the binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    let out: Output = bin().current_dir(dir).args(args).output().expect("the test binary runs");
    Run {
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary with `args` in the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args)
}

/// A scratch folder removed at the end of the test.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

/// Path as &str for argument lists.
pub fn s(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}
