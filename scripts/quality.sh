#!/usr/bin/env bash
# Model quality on the shared real exports: leadscore (flags only) against scikit-learn's
# LogisticRegression, HistGradientBoosting and LightGBM, one protocol for all (issue 13; see
# scripts/README.md and quality.py). A benchmark, not a test: it prints the table and exits 0
# whether or not the targets are met, non-zero only when something fails to run.
#
#   bash scripts/quality.sh                                 # all three rows, all methods (~5 min)
#   bash scripts/quality.sh --rows shoppers                 # one row
#   bash scripts/quality.sh --methods leadscore,LightGBM    # fewer methods
#   bash scripts/quality.sh --leadscore-arg=--cv-folds --leadscore-arg=3   # extra `train` flags
#
# Environment: DATASETS (default ../shared/datasets), CARGO_TARGET_DIR (default target).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
DATASETS="${DATASETS:-../shared/datasets}"
VENV="$TARGET_DIR/quality-venv"
WORK="$TARGET_DIR/quality"
BIN="$TARGET_DIR/release/leadscore"
# Pinned so that the baselines' figures reproduce (scikit-learn 1.9.1 and LightGBM 4.7.0 gave the
# README's figures; numpy, pandas and scipy as pip resolved them for Python 3.11).
PINS=(scikit-learn==1.9.1 lightgbm==4.7.0 numpy==2.4.6 pandas==3.1.1 scipy==1.17.1)

log() { printf 'quality.sh: %s\n' "$*" >&2; }

for f in xeducation_leads.csv online_shoppers.csv; do
    if [[ ! -f "$DATASETS/$f" ]]; then
        log "$DATASETS/$f is missing (set DATASETS to the folder of the shared exports)"
        exit 1
    fi
done

# --- Python side: a venv of its own, pinned ------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    if ! python3 -m venv "$VENV"; then
        log "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
        exit 1
    fi
fi
PY="$VENV/bin/python"
have="$("$PY" -m pip freeze --disable-pip-version-check 2>/dev/null || true)"
missing=()
for pin in "${PINS[@]}"; do
    grep -qix "$pin" <<<"$have" || missing+=("$pin")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]} into $VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check "${PINS[@]}"
fi

# --- leadscore: release build ----------------------------------------------------
log "cargo build --release --bin leadscore"
cargo build --release --bin leadscore

# --- run: a fresh work folder (fold files, their models, result.json) -----------
rm -rf "$WORK"
mkdir -p "$WORK"
"$PY" scripts/quality.py --leadscore "$BIN" --datasets "$DATASETS" --work "$WORK" "$@"
