#!/usr/bin/env python3
"""scikit-learn side of the leadscore benchmark (see scripts/README.md).

Does the same work as `leadscore train --cv-folds 0` on the benchmark spec
(scripts/bench-spec.toml): read the CSV, normalise and encode the features,
fit one L2 logistic regression at a fixed C (no cross-validation) and score a
stratified 20% holdout. With `--cv`, the work of a default `leadscore train`
(the penalty chosen by cross-validation): `LogisticRegressionCV(Cs=np.logspace(-3,
2, 11), cv=StratifiedKFold(5, shuffle=True, random_state=42),
scoring="neg_log_loss")` on the same pipeline, then the refit at the best C. It is plain, idiomatic pandas + scikit-learn, not
hand-tuned. It prints one JSON object on stdout:

    {"holdout_auc": ..., "n_train": ..., "n_holdout": ..., ...}

Wall time and peak memory are measured from outside by scripts/bench.py.
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

TARGET = "outcome"
POSITIVE = "won"
NEGATIVE = "lost"
DROP = ["lead_id", "created_at"]
CATEGORICALS = [
    "lead_source",
    "country",
    "industry",
    "job_level",
    "department",
    "company_size",
]
BOOLEANS = ["webinar_attended", "demo_requested"]
NUMERICS = [
    "annual_revenue",
    "page_views",
    "pricing_page_visits",
    "email_opens",
    "email_clicks",
    "content_downloads",
    "days_since_last_activity",
]
# The spec's `missing` list (scripts/bench-spec.toml), compared after trimming
# and lowercasing.
MISSING_TOKENS = ["", "na", "n/a", "select"]
MISSING_LEVEL = "(missing)"
# leadscore's parse_bool spellings (crates/leadscore-core/src/value.rs).
BOOL_MAP = {
    "yes": 1.0, "y": 1.0, "true": 1.0, "t": 1.0, "1": 1.0,
    "no": 0.0, "n": 0.0, "false": 0.0, "f": 0.0, "0": 0.0,
}


def normalise_text(s: pd.Series) -> pd.Series:
    """Trim and lowercase; the spec's missing tokens become NaN."""
    s = s.str.strip().str.lower()
    return s.mask(s.isin(MISSING_TOKENS))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", required=True, help="leads CSV")
    ap.add_argument("--C", type=float, default=1.0, dest="C",
                    help="inverse L2 strength (1 / leadscore's --l2)")
    ap.add_argument("--max-iter", type=int, default=1000)
    ap.add_argument("--missing-indicators", action="store_true",
                    help="add a missing-indicator column per numeric/boolean with gaps "
                         "(SimpleImputer(add_indicator=True)), as leadscore's encoder does")
    ap.add_argument("--cv", action="store_true",
                    help="choose C by LogisticRegressionCV over np.logspace(-3, 2, 11), 5 stratified "
                         "folds (seed 42), log loss, as a default `leadscore train` chooses its penalty")
    args = ap.parse_args()

    phases = {}
    t0 = time.perf_counter()

    # --- read -------------------------------------------------------------
    text_cols = CATEGORICALS + BOOLEANS + [TARGET]
    numeric_na = ["", "NA", "N/A", "Select", "na", "n/a", "select"]
    df = pd.read_csv(
        args.csv,
        usecols=lambda c: c not in DROP,
        dtype={c: str for c in text_cols},
        keep_default_na=False,
        na_values={c: numeric_na for c in NUMERICS},
    )
    t1 = time.perf_counter()
    phases["read_s"] = t1 - t0

    # --- normalise (stateless, so done before the split) -----------------
    outcome = normalise_text(df[TARGET])
    keep = outcome.isin([POSITIVE, NEGATIVE])
    if not keep.all():
        df = df.loc[keep]
        outcome = outcome.loc[keep]
    y = (outcome == POSITIVE).to_numpy(dtype=np.int8)
    X = pd.DataFrame(index=df.index)
    for c in CATEGORICALS:
        X[c] = normalise_text(df[c]).fillna(MISSING_LEVEL)
    for c in BOOLEANS:
        X[c] = normalise_text(df[c]).map(BOOL_MAP).astype(float)
    for c in NUMERICS:
        X[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    del df
    t2 = time.perf_counter()
    phases["normalise_s"] = t2 - t1

    # The same held-out rows as leadscore: `leadscore synth` writes leads in
    # date order and the spec's time_column holds out the newest 20%, i.e. the
    # last 20% of the file. Comparing AUCs on different random rows would
    # compare noise (the AUC's standard error on 200k rows is about 0.0015).
    X_train, X_hold, y_train, y_hold = train_test_split(X, y, test_size=0.2, shuffle=False)
    del X

    # --- encode + fit -------------------------------------------------------
    pre = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICALS),
            (
                "num",
                make_pipeline(
                    SimpleImputer(strategy="median", add_indicator=args.missing_indicators),
                    StandardScaler(),
                ),
                BOOLEANS + NUMERICS,
            ),
        ]
    )
    model = Pipeline(
        [
            ("pre", pre),
            ("lr", LogisticRegressionCV(
                Cs=np.logspace(-3, 2, 11),
                cv=StratifiedKFold(5, shuffle=True, random_state=42),
                scoring="neg_log_loss",
                max_iter=args.max_iter,
            ) if args.cv else LogisticRegression(C=args.C, solver="lbfgs", max_iter=args.max_iter)),
        ]
    )
    model.fit(X_train, y_train)
    t3 = time.perf_counter()
    phases["encode_fit_s"] = t3 - t2

    # --- score the holdout --------------------------------------------------
    p = model.predict_proba(X_hold)[:, 1]
    auc = float(roc_auc_score(y_hold, p))
    t4 = time.perf_counter()
    phases["score_s"] = t4 - t3

    lr = model.named_steps["lr"]
    print(json.dumps({
        "holdout_auc": auc,
        "n_train": int(len(y_train)),
        "n_holdout": int(len(y_hold)),
        "n_features": int(lr.coef_.shape[1]),
        "n_iter": int(np.max(lr.n_iter_)),
        "C": float(lr.C_[0]) if args.cv else args.C,
        "cv": args.cv,
        "missing_indicators": args.missing_indicators,
        "phases": {k: round(v, 3) for k, v in phases.items()},
        "versions": {"scikit-learn": sklearn.__version__, "pandas": pd.__version__,
                     "numpy": np.__version__},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
