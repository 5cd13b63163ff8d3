#!/usr/bin/env python3
"""Model quality on real exports: leadscore against scikit-learn and LightGBM (issue 13's protocol).

One protocol for every method, on the shared exports (`../shared/datasets`, see its README):
5 stratified outer folds (`StratifiedKFold(5, shuffle=True, random_state=42)`); each method is
fitted on four folds and scores the fifth; the pooled out-of-fold predictions give the AUC and the
log loss. The methods:

- leadscore, as a new user runs it: flags only, no spec file. Each outer fold's training rows are
  written, as they are in the export (the same cells, the same header), to a CSV; `leadscore train
  --data TRAIN.csv --target ... [--exclude ...]` trains on it, and `leadscore score` scores the fifth
  fold's CSV with the model `train` published (whatever that model is fitted on: the figures judge
  what a user gets).
- scikit-learn `LogisticRegression(C=1)`: numerics median-imputed and standardised, the rest one-hot.
- scikit-learn `HistGradientBoostingClassifier()` and LightGBM `LGBMClassifier()`, defaults, with
  native categoricals.

Cells in the missing list ("", "Select", "NA", ...) are missing for every method; a column whose
present cells are all numbers is numeric, any other column categorical (text as exported).

Prints one table (and writes it as JSON to --work/result.json). A benchmark, not a test: the exit
code is 0 whether or not leadscore reaches its targets, non-zero only when something fails to run.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

# leadscore's default missing tokens (crates/leadscore-core/src/value.rs, DEFAULT_MISSING), compared
# after trimming, case-insensitively.
MISSING = {"", "na", "n/a", "nan", "null", "none", "select", "-"}

# The columns X Education's sales team fills in after contact (the datasets README).
XEDU_POST_CONTACT = [
    "Tags",
    "Lead Quality",
    "Lead Profile",
    "Last Notable Activity",
    "Asymmetrique Activity Index",
    "Asymmetrique Profile Index",
    "Asymmetrique Activity Score",
    "Asymmetrique Profile Score",
]


@dataclass
class Row:
    """One line of the table: an export, its target and what leadscore is told by flags."""

    key: str
    title: str
    file: str
    target: str
    positive: str
    ids: list = field(default_factory=list)
    exclude: list = field(default_factory=list)


ROWS = [
    Row("xedu-all", "X Education, all columns", "xeducation_leads.csv", "Converted", "1",
        ids=["Prospect ID", "Lead Number"]),
    Row("xedu-pre", "X Education, no post-contact columns", "xeducation_leads.csv", "Converted", "1",
        ids=["Prospect ID", "Lead Number"], exclude=XEDU_POST_CONTACT),
    Row("shoppers", "online shoppers", "online_shoppers.csv", "Revenue", "TRUE"),
]

METHODS = ["leadscore", "sklearn LR", "HistGB", "LightGBM"]


def log(msg):
    print(f"quality.py: {msg}", file=sys.stderr, flush=True)


def read_raw(path):
    """The export's header and records, cells exactly as written."""
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        header = next(reader)
        records = [r for r in reader if r]
    return header, records


def write_rows(path, header, records, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for i in rows:
            w.writerow(records[i])


def frame(header, records, row):
    """Features as a DataFrame (numeric columns as floats, the rest as categories) and the labels."""
    df = pd.DataFrame(records, columns=header, dtype=str)
    y = (df[row.target].str.strip().str.lower() == row.positive.lower()).to_numpy(dtype=np.int8)
    drop = set(row.ids) | set(row.exclude) | {row.target}
    features = [c for c in header if c and c not in drop]
    X = pd.DataFrame(index=df.index)
    numeric, categorical = [], []
    for c in features:
        s = df[c].str.strip()
        s = s.mask(s.str.lower().isin(MISSING))
        if s.isna().all() or s.nunique(dropna=True) < 2:
            continue  # empty or constant: nothing to learn from, for any method
        parsed = pd.to_numeric(s, errors="coerce")
        if parsed.notna().sum() == s.notna().sum():
            X[c] = parsed.astype(float)
            numeric.append(c)
        else:
            X[c] = s.astype("category")
            categorical.append(c)
    return X, y, numeric, categorical


def sklearn_lr(numeric, categorical):
    cat = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="(missing)"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    pre = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", cat, categorical),
    ])
    return make_pipeline(pre, LogisticRegression(C=1.0, max_iter=5000))


def baseline(method, numeric, categorical):
    if method == "sklearn LR":
        return sklearn_lr(numeric, categorical)
    if method == "HistGB":
        return HistGradientBoostingClassifier(categorical_features="from_dtype")
    if method == "LightGBM":
        import lightgbm

        return lightgbm.LGBMClassifier(verbose=-1)
    raise ValueError(method)


def run(cmd):
    """Runs a leadscore command; its warnings (the same on every fold) are shown only when it fails."""
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {done.returncode}:\n{done.stderr}")


def run_leadscore(args, row, header, records, folds, work):
    """Trains leadscore on each outer fold's training rows and scores the fifth; returns the pooled predictions."""
    oof = np.full(len(records), np.nan)
    models = os.path.join(work, "models")
    seconds = []
    for k, (train_idx, test_idx) in enumerate(folds):
        train_csv = os.path.join(work, f"{row.key}-fold{k}-train.csv")
        test_csv = os.path.join(work, f"{row.key}-fold{k}-test.csv")
        scored_csv = os.path.join(work, f"{row.key}-fold{k}-scored.csv")
        # Rows in the export's order, so the file reads as a user's export would.
        write_rows(train_csv, header, records, sorted(train_idx))
        write_rows(test_csv, header, records, test_idx)
        name = f"{row.key}-fold{k}"
        cmd = [args.leadscore, "--quiet", "train", "--data", train_csv, "--target", row.target,
               "--models", models, "--name", name, "--json"]
        for c in row.exclude:
            cmd += ["--exclude", c]
        cmd += args.leadscore_arg
        started = time.perf_counter()
        run(cmd)
        seconds.append(time.perf_counter() - started)
        run([args.leadscore, "--quiet", "score", "--models", models, "--model", name,
             "--data", test_csv, "--out", scored_csv, "--explain", "0", "--strict"])
        scored = pd.read_csv(scored_csv, dtype={"error": str}, keep_default_na=False)
        if len(scored) != len(test_idx):
            raise SystemExit(f"{scored_csv}: {len(scored)} rows for {len(test_idx)} leads")
        oof[test_idx] = scored["probability"].astype(float).to_numpy()
    if np.isnan(oof).any():
        raise SystemExit(f"{row.title}: leadscore left {int(np.isnan(oof).sum())} leads unscored")
    return oof, seconds


def figures(y, p):
    eps = 1e-15
    return {"auc": float(roc_auc_score(y, p)), "log_loss": float(log_loss(y, np.clip(p, eps, 1 - eps)))}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leadscore", required=True, help="the leadscore binary")
    ap.add_argument("--datasets", required=True, help="folder of the shared exports")
    ap.add_argument("--work", required=True, help="folder for fold files, models and result.json")
    ap.add_argument("--rows", default=",".join(r.key for r in ROWS),
                    help="comma-separated rows to run: " + ", ".join(r.key for r in ROWS))
    ap.add_argument("--methods", default=",".join(METHODS), help="comma-separated: " + ", ".join(METHODS))
    ap.add_argument("--leadscore-arg", action="append", default=[],
                    help="an extra argument for `leadscore train` (repeat for several)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    wanted = {k.strip() for k in args.rows.split(",")}
    results = []
    for row in ROWS:
        if row.key not in wanted:
            continue
        path = os.path.join(args.datasets, row.file)
        header, records = read_raw(path)
        X, y, numeric, categorical = frame(header, records, row)
        # The folds depend on the labels and the row count only, so every method sees the same ones.
        folds = list(StratifiedKFold(5, shuffle=True, random_state=42).split(np.zeros(len(y)), y))
        entry = {"row": row.title, "rows": len(y), "won": int(y.sum()), "methods": {}}
        log(f"{row.title}: {len(y)} rows, {int(y.sum())} won, {len(numeric)} numeric and "
            f"{len(categorical)} categorical columns for the baselines")
        for method in methods:
            started = time.perf_counter()
            if method == "leadscore":
                p, fold_seconds = run_leadscore(args, row, header, records, folds, args.work)
                extra = {"train_seconds": [round(s, 2) for s in fold_seconds]}
            else:
                p = np.zeros(len(y))
                for train_idx, test_idx in folds:
                    model = baseline(method, numeric, categorical)
                    model.fit(X.iloc[train_idx], y[train_idx])
                    p[test_idx] = model.predict_proba(X.iloc[test_idx])[:, 1]
                extra = {}
            entry["methods"][method] = {**figures(y, p), "seconds": round(time.perf_counter() - started, 2), **extra}
            m = entry["methods"][method]
            log(f"  {method}: AUC {m['auc']:.4f}, log loss {m['log_loss']:.4f} ({m['seconds']} s)")
        results.append(entry)
    print_table(results, methods)
    with open(os.path.join(args.work, "result.json"), "w") as f:
        json.dump({"results": results, "versions": versions()}, f, indent=2)
    return 0


def versions():
    import sklearn

    out = {"python": sys.version.split()[0], "numpy": np.__version__, "pandas": pd.__version__,
           "scikit-learn": sklearn.__version__}
    try:
        import lightgbm

        out["lightgbm"] = lightgbm.__version__
    except ImportError:
        pass
    return out


def print_table(results, methods):
    print("| export (rows, won) | " + " | ".join(methods) + " | target |")
    print("|---" * (len(methods) + 2) + "|")
    for entry in results:
        cells = []
        for m in methods:
            f = entry["methods"].get(m)
            cells.append(f"{f['auc']:.4f} / {f['log_loss']:.4f}" if f else "")
        share = entry["won"] / entry["rows"]
        print(f"| {entry['row']} ({entry['rows']:,}, {share:.1%}) | " + " | ".join(cells) + f" | {target(entry)} |")
    print()
    print("AUC / log loss of the pooled out-of-fold predictions (5 stratified outer folds, seed 42).")
    print("Targets (issue 13): leadscore's AUC at or above LightGBM's on every row; its log loss at or")
    print("below LightGBM's on online shoppers.")


def target(entry):
    ours, theirs = entry["methods"].get("leadscore"), entry["methods"].get("LightGBM")
    if not ours or not theirs:
        return ""
    verdicts = [f"AUC {ours['auc'] - theirs['auc']:+.4f}: {'PASS' if ours['auc'] >= theirs['auc'] else 'FAIL'}"]
    if entry["row"] == "online shoppers":
        ok = ours["log_loss"] <= theirs["log_loss"]
        verdicts.append(f"log loss {ours['log_loss'] - theirs['log_loss']:+.4f}: {'PASS' if ok else 'FAIL'}")
    return ", ".join(verdicts)


if __name__ == "__main__":
    sys.exit(main())
