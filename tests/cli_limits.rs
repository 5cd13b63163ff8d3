//! The CLI against a careless operator, end to end (issue 10, items 5, 6, 10, 11, 12 and 13):
//! every size a user controls is checked before it is allocated (the old exits 134 and 101),
//! no exit leaves a temporary file, endless lines and binary headers are refused without
//! echoing them, flags are checked against the header, a dead writer's leftovers are cleaned
//! or reported, a column trained on 0/1 reads a later 2, and one bad cell costs its row only.

use std::path::{Path, PathBuf};

use crate::util::{run, run_in, s, scratch, scratch_registry, shipped_model};

/// A pid no process has: above the kernel's pid limit.
const DEAD_PID: u32 = 4_194_305;

/// Every file under `dir` whose name ends with `suffix`.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found
}

/// An exit of 2 (an error the user can fix), never an abort (134) or a panic (101).
#[track_caller]
fn refused(out: crate::util::Run) -> String {
    assert_eq!(out.status, 2, "exit {}\nstdout:\n{}\nstderr:\n{}", out.status, out.stdout, out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    out.stderr
}

#[test]
fn a_design_matrix_too_large_for_memory_is_refused_with_its_size_and_min_count() {
    // 100,000 distinct values at `min_count = 1`: a 51 GB dense matrix, once exit 134.
    let dir = scratch();
    let mut csv = String::from("visitor,page_views,outcome\n");
    for i in 0..100_000 {
        csv.push_str(&format!("v{i:06},{},{}\n", i % 17, if i % 3 == 0 { "won" } else { "lost" }));
    }
    let data = dir.path().join("wide.csv");
    std::fs::write(&data, csv).unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(
        &spec,
        "[target]\ncolumn = \"outcome\"\npositive = [\"won\"]\n\n\
         [features.visitor]\nkind = \"categorical\"\nmin_count = 1\n\n\
         [features.page_views]\nkind = \"numeric\"\n",
    )
    .unwrap();
    let models = dir.path().join("models");
    let message =
        refused(run_in(dir.path(), &["train", "--data", s(&data), "--spec", s(&spec), "--models", s(&models)]));
    assert!(message.contains("the design matrix would be 80000 rows × "), "{message}");
    assert!(message.contains(" GB of memory available") || message.contains("any machine can allocate"), "{message}");
    assert!(message.contains("`visitor` (") && message.contains("levels at min_count = 1)"), "{message}");
    assert!(message.contains("raise their `min_count`"), "{message}");
    assert!(files_ending(&models, "model.bin").is_empty(), "nothing is published");
}

#[test]
fn bootstrap_and_threads_past_their_range_exit_2_and_leave_no_temporary() {
    let dir = scratch();
    let models = dir.path().join("models");
    // `--bootstrap 4000000000`: once exit 134 after the fit; now refused before the data is read.
    let message = refused(run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--spec",
        "data/spec.toml",
        "--models",
        s(&models),
        "--bootstrap",
        "4000000000",
    ]));
    assert!(message.contains("bootstrap") && message.contains("100000"), "{message}");
    assert!(files_ending(dir.path(), "").is_empty(), "nothing written: {:?}", files_ending(dir.path(), ""));

    // `score --threads 100000`: once a panic (101) leaving `*.csv.tmp` beside the output.
    let out = dir.path().join("scored.csv");
    let message = refused(run(&["score", "--data", "data/leads.csv", "--out", s(&out), "--threads", "100000"]));
    assert!(message.contains("--threads 100000 is more than 256"), "{message}");
    assert!(files_ending(dir.path(), "").is_empty(), "no output, no temporary: {:?}", files_ending(dir.path(), ""));
}

#[test]
fn a_line_without_end_and_a_binary_header_are_refused_without_echoing_them() {
    let dir = scratch();
    // 6 MiB without a line break after the header: once 12.6 GB and the whole line on stderr.
    let (csv, _) = crate::util::sample_leads(3);
    let mut text = csv.into_bytes();
    text.extend(std::iter::repeat_n(b'x', 6 << 20));
    let long = dir.path().join("long.csv");
    std::fs::write(&long, &text).unwrap();
    let message = refused(run(&["score", "--data", s(&long), "--out", s(&dir.path().join("out.csv"))]));
    assert!(message.contains("line 5: the row starting here is longer than 4 MiB"), "{message}");
    assert!(message.len() < 2_000 && !message.contains("xxxxxxxx"), "{} bytes on stderr", message.len());
    assert!(files_ending(dir.path(), ".tmp").is_empty());

    // A binary header: refused with a short escaped excerpt, no raw control bytes on the terminal.
    let binary = dir.path().join("binary.csv");
    let mut bytes = b"\x1b[31mPK\x03\x04\x00\x00\x07".to_vec();
    bytes.extend(std::iter::repeat_n(b'\x01', 500));
    bytes.extend(b",outcome\n1,won\n");
    std::fs::write(&binary, bytes).unwrap();
    let models = dir.path().join("models");
    let message = refused(run(&["train", "--data", s(&binary), "--target", "outcome", "--models", s(&models)]));
    assert!(!message.bytes().any(|b| b < 0x20 && b != b'\n'), "control bytes on stderr: {message:?}");
    assert!(message.len() < 1_000, "{message}");
}

#[test]
fn flags_naming_columns_the_file_lacks_are_refused_before_any_work() {
    let dir = scratch();
    let models = dir.path().join("models");
    // `--exclude` misspelt: once ignored, the column stayed in the model.
    let message = refused(run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--target",
        "outcome",
        "--exclude",
        "lead_sorce",
        "--models",
        s(&models),
    ]));
    assert!(message.contains("lead_sorce") && message.contains("did you mean `lead_source`?"), "{message}");
    let message = refused(run(&[
        "train",
        "--data",
        "data/leads.csv",
        "--target",
        "outcome",
        "--id",
        "leadid",
        "--models",
        s(&models),
    ]));
    assert!(message.contains("did you mean `lead_id`?"), "{message}");
    // An invalid `--name` is refused before the data is read (the data here does not exist).
    let message = refused(run(&[
        "train",
        "--data",
        "no-such-file.csv",
        "--target",
        "outcome",
        "--name",
        "../escape",
        "--models",
        s(&models),
    ]));
    assert!(message.contains("--name") && !message.contains("no-such-file"), "{message}");
    assert!(!models.join("leads").exists());
}

#[test]
fn a_registry_that_cannot_be_written_is_refused_before_the_data_is_read() {
    // Once found after the fit (4 min 15 s on 2M rows). Root ignores permissions: as root the
    // command runs as `nobody`, as the reload faults' server does.
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::set_permissions(&models, std::fs::Permissions::from_mode(0o555)).unwrap();
    let root = std::process::Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut cmd = if root {
        let setpriv = std::process::Command::new("setpriv").arg("--version").output().is_ok_and(|o| o.status.success());
        if !setpriv {
            crate::util::missing_external(
                "setpriv (util-linux)",
                "install util-linux: the command must run unprivileged for permissions to apply",
            );
            return;
        }
        let mut cmd = std::process::Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_leadscore")]);
        cmd
    } else {
        crate::util::bin()
    };
    // The data does not exist: the registry must be what is refused.
    let out = cmd
        .current_dir(dir.path())
        .args(["train", "--data", "no-such-data.csv", "--target", "outcome", "--models", s(&models)])
        .env("LEADSCORE_QUIET", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write in") && stderr.contains("--models"), "{stderr}");
    assert!(!stderr.contains("no-such-data"), "the data was not opened first: {stderr}");
}

#[test]
fn a_dead_writers_leftovers_are_cleaned_or_reported_by_the_next_command() {
    let (_dir, models) = scratch_registry();
    let (bytes, _) = shipped_model();
    // A complete version a killed `train` wrote but never registered, beside CURRENT = v1.
    crate::util::put_version(&models, "v2", &bytes, false);
    std::fs::write(models.join("leads/v2/.publishing"), DEAD_PID.to_string()).unwrap();
    // Temporaries of the dead process: a whole model.bin in `.tmp-<pid>/`, a CURRENT temporary.
    let stale = models.join(format!("leads/.tmp-{DEAD_PID}"));
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("model.bin"), &bytes).unwrap();
    std::fs::write(models.join(format!("leads/.CURRENT.tmp-{DEAD_PID}")), "v2\n").unwrap();

    let (csv, _) = crate::util::sample_leads(5);
    let data = models.parent().unwrap().join("five.csv");
    std::fs::write(&data, csv).unwrap();
    let out = run(&["score", "--data", s(&data), "--models", s(&models)]).ok();
    assert!(out.stderr.contains("model `leads` v2: finished registering it"), "{}", out.stderr);
    assert!(!models.join("leads/v2/.publishing").exists());
    assert_eq!(std::fs::read_to_string(models.join("leads/CURRENT")).unwrap().trim(), "v1", "CURRENT never moves");

    // The next publish sweeps the dead process's temporaries.
    let small = models.parent().unwrap().join("small.csv");
    let text = std::fs::read_to_string(crate::util::root().join("data/leads.csv")).unwrap();
    std::fs::write(&small, text.lines().take(3001).collect::<Vec<_>>().join("\n") + "\n").unwrap();
    let trained = run(&[
        "train",
        "--data",
        s(&small),
        "--spec",
        "data/spec.toml",
        "--models",
        s(&models),
        "--name",
        "leads",
        "--cv-folds",
        "0",
        "--l2",
        "1",
    ]);
    assert!(matches!(trained.status, 0 | 3), "published (promoted or not): {}", trained.stderr);
    assert!(!stale.exists() && !models.join(format!("leads/.CURRENT.tmp-{DEAD_PID}")).exists());
    assert!(models.join("leads/v3/model.bin").is_file());
}

#[test]
fn a_column_trained_on_0_and_1_reads_a_later_2() {
    // Inference once made a count seen only as 0 and 1 a yes/no flag; a later 2 stopped
    // `leadscore score` for the whole file ("cannot read \"2\" as yes/no").
    let dir = scratch();
    let mut csv = String::from("lead_id,trials,page_views,outcome\n");
    for i in 0..600u32 {
        let trials = u32::from(i % 5 == 0);
        let won = (i % 7 < 2) ^ (trials == 1 && i % 3 == 0);
        csv.push_str(&format!("L{i},{trials},{},{}\n", i % 23, if won { "won" } else { "lost" }));
    }
    let data = dir.path().join("train.csv");
    std::fs::write(&data, csv).unwrap();
    let spec = dir.path().join("spec.toml");
    run_in(dir.path(), &["spec", "infer", "--data", s(&data), "--target", "outcome", "--out", s(&spec)]).ok();
    let parsed = leadscore_core::Spec::from_toml_str(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    assert_eq!(parsed.features["trials"].kind, leadscore_core::spec::Kind::Numeric);

    let models = dir.path().join("models");
    run_in(dir.path(), &["train", "--data", s(&data), "--spec", s(&spec), "--models", s(&models), "--name", "t"]).ok();
    let new = dir.path().join("new.csv");
    std::fs::write(&new, "lead_id,trials,page_views\nN1,2,5\nN2,0,5\nN3,1,5\n").unwrap();
    let out = run_in(dir.path(), &["score", "--data", s(&new), "--models", s(&models), "--explain", "0"]).ok();
    let mut reader = csv::Reader::from_reader(out.stdout.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r[1].parse::<f64>().is_ok() && r[r.len() - 1].is_empty()), "{}", out.stdout);
    let p: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert!(p[0] != p[1] && p[0] != p[2], "a 2 is read as a number, beyond 0 and 1: {p:?}");
}

#[test]
fn one_unreadable_cell_costs_its_row_and_strict_stops_at_it() {
    let dir = scratch();
    let (csv, _) = crate::util::sample_leads(4);
    let mut lines: Vec<String> = csv.lines().map(str::to_owned).collect();
    // page_views (column 10) of the third lead: not a number.
    let mut cells: Vec<String> = lines[3].split(',').map(str::to_owned).collect();
    cells[9] = "lots".into();
    lines[3] = cells.join(",");
    let data = dir.path().join("leads.csv");
    std::fs::write(&data, lines.join("\n") + "\n").unwrap();
    let out = run(&["score", "--data", s(&data)]).ok();
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(out.stdout.as_bytes()).records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4, "every lead has its row");
    let error = rows[0].len() - 1;
    assert!(rows[2][error].contains("line 4") && rows[2][error].contains("page_views"), "{:?}", rows[2]);
    assert!([0, 1, 3].iter().all(|&i| rows[i][error].is_empty()));
    assert!(out.stderr.contains("1 of 4 rows could not be scored"), "{}", out.stderr);

    let target = dir.path().join("out.csv");
    let message = refused(run(&["score", "--data", s(&data), "--out", s(&target), "--strict"]));
    assert!(message.contains("line 4") && message.contains("page_views"), "{message}");
    assert!(files_ending(dir.path(), ".tmp").is_empty() && !target.exists());
}

#[test]
fn serve_names_the_models_there_are_when_asked_for_one_that_is_not() {
    let (_dir, models) = scratch_registry();
    let message = refused(run(&["serve", "--models", s(&models), "--addr", "127.0.0.1:0", "--model", "nosuch"]));
    assert!(message.contains("no model `nosuch`") && message.contains("it has `leads`"), "{message}");
    assert!(!message.contains("refused"), "{message}");
}
