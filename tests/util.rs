//! Helpers shared by the integration tests: run the real binary, in a scratch folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

/// The variable that turns every skip for a missing external resource into a failure
/// (`.ci/run` sets it, as rust-analyzer's `RUN_SLOW_TESTS` gates its slow tests).
pub const REQUIRE_EXTERNAL: &str = "LEADSCORE_REQUIRE_EXTERNAL";

/// Whether missing external resources fail tests instead of skipping them.
pub fn external_required() -> bool {
    std::env::var(REQUIRE_EXTERNAL).is_ok_and(|v| !v.is_empty() && v != "0")
}

/// An external resource (the shared datasets, a database, a Python with the SQL engines) that a
/// test needs is missing: `what` says which, `how` how to provide it.
///
/// With [`REQUIRE_EXTERNAL`] set the test fails here. Otherwise the test is skipped, and says so
/// on the terminal: the line is written to the stderr handle itself, which libtest does not
/// capture (it captures `eprintln!`), so a plain `cargo test` shows every skip beside its `ok`.
#[track_caller]
pub fn missing_external(what: &str, how: &str) {
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    if external_required() {
        panic!("{test}: {what} is missing and {REQUIRE_EXTERNAL} is set: {how}");
    }
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {what} is missing; to run it: {how} (set {REQUIRE_EXTERNAL}=1 to make this a failure)"
    );
}

/// The shared X Education export, when `../shared` is beside the repository.
pub fn xeducation() -> Option<PathBuf> {
    let path = root().join("../shared/datasets/xeducation_leads.csv");
    if path.is_file() {
        Some(path)
    } else {
        missing_external(
            &format!("the shared X Education export {}", path.display()),
            "check out the shared datasets folder as `../shared` beside the repository",
        );
        None
    }
}

/// Trains the X Education model (post-contact columns left out, the README's spec) as
/// `xeducation` into `models`, with any further `train` flags.
pub fn train_xeducation(data: &Path, models: &Path, flags: &[&str]) {
    let spec = "data/specs/xeducation-no-post-contact.toml";
    let mut args = vec!["train", "--data", s(data), "--spec", spec, "--name", "xeducation", "--models", s(models)];
    args.extend_from_slice(flags);
    run(&args).ok();
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

// ---- Serving: a scratch registry, the server in-process, the real `leadscore serve` ----

/// The shipped model's file and artifact.
pub fn shipped_model() -> (Vec<u8>, leadscore_core::Artifact) {
    let current = std::fs::read_to_string(root().join("models/leads/CURRENT")).unwrap();
    let bytes = std::fs::read(root().join("models/leads").join(current.trim()).join("model.bin")).unwrap();
    let artifact = leadscore_core::Artifact::from_bytes(&bytes).unwrap();
    (bytes, artifact)
}

/// A scratch registry `<tmp>/models` holding the shipped model as `leads/v1` (CURRENT = v1).
pub fn scratch_registry() -> (tempfile::TempDir, PathBuf) {
    let dir = scratch();
    let models = dir.path().join("models");
    put_version(&models, "v1", &shipped_model().0, true);
    (dir, models)
}

/// Writes `bytes` as `models/leads/<version>/model.bin` (atomically, as the trainer does) and,
/// when `current`, points `models/leads/CURRENT` at it.
pub fn put_version(models: &Path, version: &str, bytes: &[u8], current: bool) {
    let dir = models.join("leads").join(version);
    std::fs::create_dir_all(&dir).unwrap();
    leadscore_registry::write_atomic(&dir.join("model.bin"), bytes).unwrap();
    if current {
        leadscore_registry::write_atomic(&models.join("leads/CURRENT"), format!("{version}\n").as_bytes()).unwrap();
    }
}

/// A valid model that scores differently: the shipped one with its intercept shifted by `delta`.
pub fn shifted_model(delta: f64) -> (Vec<u8>, leadscore_core::Artifact) {
    let mut artifact = shipped_model().1;
    artifact.model.intercept += delta;
    (artifact.to_bytes().unwrap(), artifact)
}

/// `bytes` with one payload byte flipped (the checksum no longer matches).
pub fn flipped(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let i = out.len() / 2;
    out[i] ^= 0x5a;
    out
}

/// The first `n` rows of `data/leads.csv`: the CSV text (header + rows) and the same leads as
/// JSON objects typed as the model reads them (numbers as numbers, blanks as null, `id` = lead_id).
pub fn sample_leads(n: usize) -> (String, Vec<serde_json::Value>) {
    let text = std::fs::read_to_string(root().join("data/leads.csv")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let rows: Vec<&str> = lines.take(n).collect();
    let csv = format!("{header}\n{}\n", rows.join("\n"));
    let leads = json_leads(&csv);
    (csv, leads)
}

/// The leads of a CSV with the columns of `data/leads.csv` as JSON objects (see [`sample_leads`]).
pub fn json_leads(csv: &str) -> Vec<serde_json::Value> {
    let (_, artifact) = shipped_model();
    let kinds: std::collections::BTreeMap<String, leadscore_core::spec::Kind> =
        artifact.encoder.features.iter().map(|f| (f.name.clone(), f.transform.kind())).collect();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let names: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let mut lead = serde_json::Map::new();
            for (name, cell) in names.iter().zip(r.iter()) {
                let value = match (name.as_str(), kinds.get(name)) {
                    ("lead_id", _) => serde_json::json!(cell),
                    (_, Some(_)) if cell.is_empty() => serde_json::Value::Null,
                    (_, Some(leadscore_core::spec::Kind::Numeric)) => match cell.parse::<f64>() {
                        Ok(x) => serde_json::json!(x),
                        Err(_) => serde_json::Value::Null, // a missing token such as `NA`
                    },
                    (_, Some(_)) => serde_json::json!(cell),
                    (_, None) => continue, // outcome, created_at: not features
                };
                lead.insert(if name == "lead_id" { "id".into() } else { name.clone() }, value);
            }
            serde_json::Value::Object(lead)
        })
        .collect()
}

/// A registry holding a copy of the shipped `models/leads` (CURRENT = v1).
pub fn shipped_registry(dir: &Path) -> PathBuf {
    let models = dir.join("models");
    let from = root().join("models/leads");
    let to = models.join("leads");
    for entry in walk(&from) {
        let target = to.join(entry.strip_prefix(&from).unwrap());
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &target).unwrap();
    }
    models
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A sample of `data/leads.csv` written to `path`: `keep` rows of each `every`, so it spans every date.
pub fn sample_every(path: &Path, every: usize, keep: usize) {
    let text = std::fs::read_to_string(root().join("data/leads.csv")).unwrap();
    let mut lines = text.lines();
    let mut out = String::from(lines.next().unwrap());
    out.push('\n');
    for (i, line) in lines.enumerate() {
        if i % every < keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    std::fs::write(path, out).unwrap();
}

/// Server settings for tests: the scratch registry, no file watcher.
pub fn serve_config(models: &Path) -> leadscore_server::ServeConfig {
    leadscore_server::ServeConfig {
        models: models.to_owned(),
        watch_interval: std::time::Duration::ZERO,
        ..Default::default()
    }
}

/// The server running in this process on `127.0.0.1:0`.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    pub state: leadscore_server::AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestServer {
    /// Loads the registry (and `--rules`/`--compare`, as `leadscore serve` does) and serves it
    /// (with the file watcher when `config.watch_interval` is set).
    pub async fn start(config: leadscore_server::ServeConfig) -> TestServer {
        let state =
            tokio::task::spawn_blocking(move || leadscore_server::AppState::start(config)).await.unwrap().unwrap();
        if !state.config().watch_interval.is_zero() {
            tokio::spawn(leadscore_server::watch(state.clone()));
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(leadscore_server::run(listener, state.clone(), async {
            let _ = rx.await;
        }));
        TestServer { addr, state, stop: Some(tx), task }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Shuts down gracefully and waits for the server to drain.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let result = tokio::time::timeout(std::time::Duration::from_secs(10), &mut self.task).await;
        result.expect("the server drains within 10 s").unwrap().unwrap();
    }
}

/// Polls `check` every 20 ms until it returns `Some`, for at most `secs` seconds.
pub async fn poll_until<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if let Some(t) = check().await {
            return t;
        }
        assert!(std::time::Instant::now() < deadline, "timed out after {secs} s waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// `leadscore serve` running as a child process on `127.0.0.1:0`; killed on drop.
pub struct ServeProcess {
    pub child: std::process::Child,
    pub addr: std::net::SocketAddr,
    /// Everything the process wrote to stderr so far.
    pub stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl ServeProcess {
    /// Starts `leadscore serve --models <models> --addr 127.0.0.1:0 <args>` with `envs`,
    /// and waits (at most 20 s) for the address it prints.
    pub fn start(models: &Path, args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        Self::start_with(bin(), models, args, envs)
    }

    /// Like [`ServeProcess::start`], as an unprivileged user (`nobody`) when the tests run
    /// as root, so that file permissions apply to the server (root ignores them). `None`
    /// when running as root and `setpriv` is not installed.
    pub fn start_unprivileged(models: &Path, args: &[&str], envs: &[(&str, &str)]) -> Option<ServeProcess> {
        let root = Command::new("id").arg("-u").output().ok().is_some_and(|o| o.stdout.starts_with(b"0\n"));
        if !root {
            return Some(Self::start(models, args, envs));
        }
        let setpriv = Command::new("setpriv").arg("--version").output().ok().is_some_and(|o| o.status.success());
        if !setpriv {
            return None;
        }
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_leadscore")]);
        cmd.env_remove("LEADSCORE_MODELS").env_remove("LEADSCORE_LOG").env("LEADSCORE_QUIET", "1");
        Some(Self::start_with(cmd, models, args, envs))
    }

    /// Starts `cmd serve ...` (`cmd` runs the binary, possibly through a wrapper).
    fn start_with(mut cmd: Command, models: &Path, args: &[&str], envs: &[(&str, &str)]) -> ServeProcess {
        use std::io::BufRead;
        cmd.args(["serve", "--models", s(models), "--addr", "127.0.0.1:0"]).args(args);
        // The default prediction log (`leadscore-log.db` in the working directory) lands beside
        // the scratch registry, not in the repository.
        cmd.current_dir(models.parent().unwrap_or(models));
        cmd.env_remove("LEADSCORE_API_KEYS").env_remove("LEADSCORE_ADMIN_KEYS");
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(pipe).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("on http://").nth(1) {
                    let _ = tx.send(rest.trim().to_owned());
                }
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        let addr = match rx.recv_timeout(std::time::Duration::from_secs(20)) {
            Ok(a) => a.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("leadscore serve did not start:\n{}", stderr.lock().unwrap());
            }
        };
        ServeProcess { child, addr, stderr }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The process's peak resident memory so far in KiB (`VmHWM` of `/proc/<pid>/status`).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    /// Sends `signal` (`TERM`, `HUP`) with `kill`.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([&format!("-{signal}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Waits at most `secs` seconds for the process to exit; its exit code.
    pub fn wait_exit(&mut self, secs: u64) -> Option<i32> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status.code().unwrap_or(-1));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---- Raw HTTP/1.1 for uploads that stream (or stall) ----

/// Writes one HTTP/1.1 chunk.
pub async fn chunk(stream: &mut (impl tokio::io::AsyncWrite + Unpin), data: &[u8]) -> std::io::Result<()> {
    stream.write_all(format!("{:x}\r\n", data.len()).as_bytes()).await?;
    stream.write_all(data).await?;
    stream.write_all(b"\r\n").await?;
    stream.flush().await
}

/// The body of a chunked HTTP/1.1 response, or `None` when it is not complete.
pub fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = body.windows(2).position(|w| w == b"\r\n")?;
        let len = usize::from_str_radix(std::str::from_utf8(&body[..end]).ok()?.trim(), 16).ok()?;
        body = &body[end + 2..];
        if len == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..len)?);
        body = body.get(len + 2..)?;
    }
}

/// Reads a chunked response (its head already partly in `seen`) until its last chunk, at most
/// 15 s: the client may still be sending, so the end is the body's, not the connection's.
pub async fn read_chunked(stream: &mut (impl tokio::io::AsyncRead + Unpin), mut seen: Vec<u8>) -> Vec<u8> {
    let mut buf = [0u8; 8192];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if let Some(split) = seen.windows(4).position(|w| w == b"\r\n\r\n") {
            if dechunk(&seen[split + 4..]).is_some() {
                return seen;
            }
        }
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let n = tokio::time::timeout(left, stream.read(&mut buf)).await.expect("the answer ends within 15 s").unwrap();
        assert!(n > 0, "the connection closed before the answer's last chunk:\n{}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
}

/// Opens a CSV upload with chunked transfer encoding, sends the header and first rows, and
/// waits for the response head (so the request is in flight on the server).
pub async fn open_upload(addr: std::net::SocketAddr, first: &str) -> (tokio::net::TcpStream, Vec<u8>) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = "POST /v1/score HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n\
                Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    chunk(&mut stream, first.as_bytes()).await.unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf)).await.unwrap().unwrap();
        assert!(n > 0, "the server closed the upload before answering");
        seen.extend_from_slice(&buf[..n]);
    }
    assert!(seen.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen));
    (stream, seen)
}

/// PostgreSQL from `scripts/engines.sh` is shared by every test of this binary, and one test
/// restarts it (`feedback_pg::postgres_restarted_under_load`): the tests that use it hold this
/// shared, the restart holds it alone.
static PG: std::sync::RwLock<()> = std::sync::RwLock::new(());

/// Held by a test using PostgreSQL while it runs.
pub fn pg_shared() -> std::sync::RwLockReadGuard<'static, ()> {
    PG.read().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Held by the test that restarts PostgreSQL.
pub fn pg_exclusive() -> std::sync::RwLockWriteGuard<'static, ()> {
    PG.write().unwrap_or_else(std::sync::PoisonError::into_inner)
}

// ---- Load: clients scoring one lead in a loop while something changes under the server ----

/// The lead the load clients send (a VP referral who asked for a demo).
pub fn vp_lead() -> serde_json::Value {
    serde_json::json!({"id": "L1", "job_level": "VP", "lead_source": "Referral", "pricing_page_visits": 4, "demo_requested": true})
}

/// The probability `artifact` gives [`vp_lead`], as the library computes it.
pub fn vp_probability(artifact: &leadscore_core::Artifact) -> f64 {
    use leadscore_core::value::RawValue;
    let lead: std::collections::BTreeMap<&str, RawValue> = std::collections::BTreeMap::from([
        ("job_level", RawValue::Text("VP")),
        ("lead_source", RawValue::Text("Referral")),
        ("pricing_page_visits", RawValue::Number(4.0)),
        ("demo_requested", RawValue::Bool(true)),
    ]);
    artifact.score(|name| lead.get(name).copied().unwrap_or(RawValue::Missing)).unwrap().probability
}

/// One answered request of a [`Load`].
#[derive(Clone, Debug)]
pub struct Answer {
    pub sent: std::time::Instant,
    pub received: std::time::Instant,
    /// The version the answer says scored the lead.
    pub version: String,
    pub probability: f64,
}

/// `clients` tasks posting `{"leads": [vp_lead()]}` to `url` back to back until stopped (with
/// `Authorization: Bearer <key>` when given): every 200 kept as an [`Answer`], everything else
/// (a status, a connection error, a body that does not parse) as a failure.
pub struct Load {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    clients: Vec<tokio::task::JoinHandle<(Vec<Answer>, Vec<String>)>>,
}

impl Load {
    /// Starts the clients.
    pub fn start(url: String, clients: usize, key: Option<&str>) -> Load {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let body = serde_json::json!({"leads": [vp_lead()]});
        let key = key.map(|k| format!("Bearer {k}"));
        let clients = (0..clients)
            .map(|_| {
                let (url, body, stop, key) = (url.clone(), body.clone(), stop.clone(), key.clone());
                tokio::spawn(async move {
                    let client = reqwest::Client::new();
                    let (mut answers, mut failures) = (Vec::new(), Vec::new());
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let sent = std::time::Instant::now();
                        let mut request = client.post(&url).json(&body);
                        if let Some(key) = &key {
                            request = request.header(reqwest::header::AUTHORIZATION, key);
                        }
                        let result = match request.send().await {
                            Ok(r) if r.status() == 200 => {
                                r.json::<serde_json::Value>().await.map_err(|e| e.to_string())
                            }
                            Ok(r) => Err(format!("status {}: {}", r.status(), r.text().await.unwrap_or_default())),
                            Err(e) => Err(e.to_string()),
                        };
                        match result {
                            Ok(v) => answers.push(Answer {
                                sent,
                                received: std::time::Instant::now(),
                                version: v["model"]["version"].as_str().unwrap_or("").to_owned(),
                                probability: v["scores"][0]["probability"].as_f64().unwrap_or(f64::NAN),
                            }),
                            Err(e) => failures.push(e),
                        }
                    }
                    (answers, failures)
                })
            })
            .collect();
        Load { stop, clients }
    }

    /// Stops the clients; every answer and every failure.
    pub async fn stop(self) -> (Vec<Answer>, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let (mut answers, mut failures) = (Vec::new(), Vec::new());
        for c in self.clients {
            let (a, f) = c.await.unwrap();
            answers.extend(a);
            failures.extend(f);
        }
        (answers, failures)
    }
}
