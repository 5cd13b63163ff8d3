#!/usr/bin/env python3
"""Benchmark driver: leadscore against scikit-learn on the same leads CSV.

Each contender runs as a child process, one at a time, so each is measured in
isolation: wall seconds with time.perf_counter() around the child, peak memory
from the rusage that os.wait4() returns for it (ru_maxrss, kB on Linux).
Rounds alternate the order (leadscore first, then scikit-learn first, ...)
and the median per contender is reported.

The result is a report: the exit code is 0 whether or not a target is met,
and non-zero only when a contender is missing, crashes or prints no result.
Only the standard library is used here, so the driver itself stays small.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Targets from the issues: a fit at a fixed penalty (issue 1), and with --search the default
# `train`, every search on, against LogisticRegressionCV (issue 13).
TARGET_TIME_RATIO = 1.0   # leadscore wall <= 1.0x scikit-learn's
TARGET_MEM_RATIO = 0.5    # leadscore peak memory <= 0.5x scikit-learn's
SEARCH_TIME_RATIO = 0.7
SEARCH_MEM_RATIO = 0.6
# and leadscore's holdout AUC >= scikit-learn's


class ContenderError(Exception):
    pass


def run_child(argv, cwd=None):
    """Run argv to completion; return (exit code, wall s, peak MiB, stdout, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, cwd=cwd)
        except OSError as e:
            raise ContenderError(f"cannot start {argv[0]}: {e}") from e
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        err.seek(0)
        return (proc.returncode, wall, ru.ru_maxrss / 1024.0,
                out.read().decode("utf-8", "replace"),
                err.read().decode("utf-8", "replace"))


def parse_json_stdout(text):
    """The whole stdout as one JSON object, else its last line that is one."""
    text = text.strip()
    try:
        obj = json.loads(text)
        if isinstance(obj, dict):
            return obj
    except ValueError:
        pass
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                return obj
    return None


def tail(text, n=20):
    lines = text.rstrip().splitlines()
    return "\n".join("    " + l for l in lines[-n:]) or "    (empty)"


def first_of(d, *keys):
    for k in keys:
        if isinstance(d, dict) and d.get(k) is not None:
            return d[k]
    return None


def auto_shapes(spec_text):
    """The spec with `shape = "auto"` under every `kind = "numeric"` line (the shape search on)."""
    out = []
    for line in spec_text.splitlines():
        out.append(line)
        if line.replace(" ", "") == 'kind="numeric"':
            out.append('shape = "auto"')
    return "\n".join(out) + "\n"


class Leadscore:
    name = "leadscore"

    def __init__(self, args):
        self.binary = Path(args.leadscore)
        self.args = args

    def check(self):
        if not self.binary.is_file() or not os.access(self.binary, os.X_OK):
            raise ContenderError(
                f"leadscore binary not found or not executable: {self.binary}\n"
                "  build it first (scripts/bench.sh runs `cargo build --release`), "
                "or pass --leadscore PATH")

    def run(self):
        with tempfile.TemporaryDirectory(prefix="leadscore-bench-") as models:
            spec = self.args.spec
            if self.args.search:
                # Every search on: the same spec with each number's shape left to the data.
                spec = str(Path(models) / "spec-auto.toml")
                Path(spec).write_text(auto_shapes(Path(self.args.spec).read_text()))
            argv = [str(self.binary), "--quiet", "train",
                    "--data", self.args.csv, "--spec", spec,
                    "--models", models, "--name", "bench", "--json"]
            if not self.args.search:
                argv += ["--l2", repr(self.args.l2), "--cv-folds", "0"]
            code, wall, peak, out, err = run_child(argv)
        if code != 0:
            raise ContenderError(
                f"leadscore exited with status {code}\n  command: {' '.join(argv)}\n"
                f"  stderr (tail):\n{tail(err)}")
        obj = parse_json_stdout(out)
        holdout = obj.get("holdout") if obj else None
        auc = holdout.get("auc") if isinstance(holdout, dict) else None
        if not isinstance(auc, (int, float)):
            raise ContenderError(
                "leadscore printed no JSON with a numeric holdout.auc "
                "(expected {\"holdout\": {\"auc\": ...}} from `train --json`)\n"
                f"  command: {' '.join(argv)}\n  stdout (tail):\n{tail(out)}\n"
                f"  stderr (tail):\n{tail(err)}")
        train = obj.get("train") if isinstance(obj.get("train"), dict) else {}
        return {
            "wall_s": wall, "peak_mib": peak, "holdout_auc": float(auc),
            "n_holdout": first_of(holdout, "n", "rows", "n_rows", "count"),
            "n_train": first_of(train, "n", "rows", "n_rows", "count")
            or first_of(obj, "n_train", "train_rows"),
        }

    def version(self):
        try:
            code, _, _, out, _ = run_child([str(self.binary), "--version"])
            return out.strip() if code == 0 else None
        except ContenderError:
            return None


class Sklearn:
    name = "scikit-learn"

    def __init__(self, args):
        self.args = args
        self.script = Path(args.sklearn_script)
        self.versions = None

    def check(self):
        if not self.script.is_file():
            raise ContenderError(f"scikit-learn side not found: {self.script}")
        code, _, _, out, err = run_child(
            [self.args.python, "-c",
             "import json, numpy, pandas, sklearn; print(json.dumps("
             "{'scikit-learn': sklearn.__version__, 'pandas': pandas.__version__,"
             " 'numpy': numpy.__version__}))"])
        if code != 0:
            raise ContenderError(
                f"{self.args.python} cannot import numpy, pandas and scikit-learn "
                f"(scripts/bench.sh installs them in target/bench-venv)\n{tail(err)}")
        self.versions = parse_json_stdout(out)

    def run(self):
        argv = [self.args.python, str(self.script), "--csv", self.args.csv,
                "--C", repr(1.0 / self.args.l2)]
        if self.args.sklearn_missing_indicators:
            argv.append("--missing-indicators")
        if self.args.search:
            argv.append("--cv")
        code, wall, peak, out, err = run_child(argv)
        if code != 0:
            raise ContenderError(
                f"scikit-learn side exited with status {code}\n  command: {' '.join(argv)}\n"
                f"  stderr (tail):\n{tail(err)}")
        obj = parse_json_stdout(out)
        if not obj or not isinstance(obj.get("holdout_auc"), (int, float)):
            raise ContenderError(
                f"scikit-learn side printed no holdout_auc\n  stdout (tail):\n{tail(out)}")
        return {
            "wall_s": wall, "peak_mib": peak, "holdout_auc": float(obj["holdout_auc"]),
            "n_train": obj.get("n_train"), "n_holdout": obj.get("n_holdout"),
            "phases": obj.get("phases"),
        }


def fmt(x, spec):
    return "-" if x is None else format(x, spec)


def main():
    ap = argparse.ArgumentParser(description="leadscore vs scikit-learn benchmark")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--leadscore", default=str(REPO / "target/release/leadscore"))
    ap.add_argument("--spec", default=str(REPO / "scripts/bench-spec.toml"))
    ap.add_argument("--l2", type=float, default=1.0,
                    help="leadscore's L2 strength; scikit-learn gets C = 1/l2")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter for the scikit-learn side")
    ap.add_argument("--sklearn-script", default=str(REPO / "scripts/bench_sklearn.py"))
    ap.add_argument("--sklearn-missing-indicators", action="store_true",
                    help="give scikit-learn's imputer add_indicator=True, like leadscore's "
                         "missing-indicator columns (off by default: the issue's setup)")
    ap.add_argument("--search", action="store_true",
                    help="the default `leadscore train` (penalty chosen by cross-validation, every "
                         "search on) against scikit-learn's LogisticRegressionCV on the same pipeline")
    ap.add_argument("--out", default=str(REPO / "target/bench/result.json"))
    args = ap.parse_args()
    global TARGET_TIME_RATIO, TARGET_MEM_RATIO
    if args.search:
        TARGET_TIME_RATIO, TARGET_MEM_RATIO = SEARCH_TIME_RATIO, SEARCH_MEM_RATIO
    if args.l2 <= 0:
        ap.error("--l2 must be > 0 (scikit-learn's C is 1/l2)")
    if args.rounds < 1:
        ap.error("--rounds must be >= 1")
    if not Path(args.csv).is_file():
        print(f"bench: CSV not found: {args.csv}", file=sys.stderr)
        return 2

    contenders = [Leadscore(args), Sklearn(args)]
    failed = {}
    for c in contenders:
        try:
            c.check()
        except ContenderError as e:
            failed[c.name] = str(e)
            print(f"bench: {c.name} cannot run: {e}", file=sys.stderr)

    # What starting a child costs in ru_maxrss (the driver's own pages are
    # counted until exec): a floor under both peaks, reported, not subtracted.
    _, _, baseline_mib, _, _ = run_child(["/bin/true"])

    runs = {c.name: [] for c in contenders}
    for r in range(args.rounds):
        order = contenders if r % 2 == 0 else list(reversed(contenders))
        for c in order:
            if c.name in failed:
                continue
            try:
                res = c.run()
            except ContenderError as e:
                failed[c.name] = str(e)
                print(f"bench: round {r + 1}: {c.name} FAILED: {e}", file=sys.stderr)
                continue
            runs[c.name].append(res)
            print(f"round {r + 1}/{args.rounds}  {c.name:<13} {res['wall_s']:8.2f} s "
                  f"{res['peak_mib']:9.1f} MiB   auc {res['holdout_auc']:.4f}", flush=True)

    summary = {}
    for c in contenders:
        rs = runs[c.name]
        if c.name in failed or not rs:
            summary[c.name] = None
            continue
        summary[c.name] = {
            "wall_s": statistics.median(x["wall_s"] for x in rs),
            "peak_mib": statistics.median(x["peak_mib"] for x in rs),
            "holdout_auc": statistics.median(x["holdout_auc"] for x in rs),
            "n_train": rs[-1].get("n_train"),
            "n_holdout": rs[-1].get("n_holdout"),
            "runs": rs,
        }

    ls, sk = summary["leadscore"], summary["scikit-learn"]
    ratios = targets = None
    if ls and sk:
        ratios = {
            "wall": ls["wall_s"] / sk["wall_s"],
            "peak_mem": ls["peak_mib"] / sk["peak_mib"],
            "auc_diff": ls["holdout_auc"] - sk["holdout_auc"],
        }
        targets = {
            "time": ratios["wall"] <= TARGET_TIME_RATIO,
            "memory": ratios["peak_mem"] <= TARGET_MEM_RATIO,
            "auc": ratios["auc_diff"] >= 0.0,
        }

    print()
    print(f"{'contender':<15}{'wall_s':>8}{'peak_MiB':>11}{'holdout_auc':>14}")
    for name, s in summary.items():
        if s is None:
            print(f"{name:<15}{'FAILED':>8}")
        else:
            print(f"{name:<15}{s['wall_s']:>8.2f}{s['peak_mib']:>11.1f}{s['holdout_auc']:>14.4f}")
    if ratios:
        print(f"{'ratio (ls/sk)':<15}{ratios['wall']:>8.2f}{ratios['peak_mem']:>11.2f}"
              f"{ratios['auc_diff']:>+14.4f} (auc difference)")
        pf = {k: "PASS" if v else "FAIL" for k, v in targets.items()}
        print(f"targets: time <= {TARGET_TIME_RATIO:.2f}x: {pf['time']}, "
              f"memory <= {TARGET_MEM_RATIO:.2f}x: {pf['memory']}, "
              f"auc >= scikit-learn: {pf['auc']}")
    else:
        print("ratio (ls/sk)  -- (a contender failed; see the messages above)")
    rows = None
    for s in (sk, ls):
        if s and s.get("n_train") is not None and s.get("n_holdout") is not None:
            rows = s["n_train"] + s["n_holdout"]
            break
    setting = ("default train, numbers' shapes searched, against LogisticRegressionCV (11 Cs, 5 folds)"
               if args.search
               else f"l2 = {args.l2:g}, C = {1.0 / args.l2:g}")
    print(f"({args.rounds} round(s), median; {rows if rows is not None else '?'} labelled rows; "
          f"{setting}; child start-up floor "
          f"{baseline_mib:.1f} MiB)")

    result = {
        "csv": args.csv,
        "rows": rows,
        "l2": args.l2,
        "C": 1.0 / args.l2,
        "rounds": args.rounds,
        "sklearn_missing_indicators": args.sklearn_missing_indicators,
        "search": args.search,
        "contenders": summary,
        "ratios": ratios,
        "targets": {
            "time_ratio_max": TARGET_TIME_RATIO,
            "memory_ratio_max": TARGET_MEM_RATIO,
            "auc_diff_min": 0.0,
            "pass": targets,
        },
        "failures": failed,
        "spawn_baseline_mib": baseline_mib,
        "environment": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "sklearn_side": contenders[1].versions,
            "leadscore_version": None if "leadscore" in failed else contenders[0].version(),
        },
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
