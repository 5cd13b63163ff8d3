#!/usr/bin/env bash
# Performance benchmark: leadscore against scikit-learn on the same synthetic
# leads (see scripts/README.md). A report, not a test: it exits 0 whether or
# not the targets are met, non-zero only when something fails to run.
#
#   bash scripts/bench.sh                  # 1M rows, 2 rounds
#   ROWS=200000 bash scripts/bench.sh      # quick run
#   bash scripts/bench.sh --rounds 3       # extra arguments go to bench.py
#
# Environment: ROWS (default 1000000), LEADSCORE_FEATURES (cargo features for
# the release build, default none), BENCH_REGEN=1 (regenerate the data).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

ROWS="${ROWS:-1000000}"
SEED=7
LEADSCORE_FEATURES="${LEADSCORE_FEATURES:-}"
VENV=target/bench-venv
DATA_DIR=target/bench
CSV="$DATA_DIR/leads.csv"
MARKER="$CSV.rows"
BIN=target/release/leadscore

log() { printf 'bench.sh: %s\n' "$*" >&2; }

# --- Python side: a venv of its own ------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    if ! python3 -m venv "$VENV"; then
        log "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)"
        exit 1
    fi
fi
PY="$VENV/bin/python"
if ! "$PY" -c 'import numpy, pandas, sklearn' 2>/dev/null; then
    log "installing numpy pandas scikit-learn into $VENV"
    "$PY" -m pip install --quiet --disable-pip-version-check numpy pandas scikit-learn
fi

# --- leadscore: release build ----------------------------------------------------
cargo_args=(build --release --bin leadscore)
if [[ -n "$LEADSCORE_FEATURES" ]]; then
    cargo_args+=(--features "$LEADSCORE_FEATURES")
fi
log "cargo ${cargo_args[*]}"
cargo "${cargo_args[@]}"

# --- data: generated once per (rows, seed) --------------------------------------
mkdir -p "$DATA_DIR"
want="rows=$ROWS seed=$SEED"
if [[ "${BENCH_REGEN:-0}" != 1 && -f "$CSV" && -f "$MARKER" && "$(cat "$MARKER")" == "$want" ]]; then
    log "reusing $CSV ($want)"
else
    log "generating $CSV ($want)"
    rm -f "$MARKER"
    rm -f "$CSV"
    "$BIN" synth --rows "$ROWS" --seed "$SEED" --out "$CSV"
    if [[ ! -s "$CSV" ]]; then
        log "\`$BIN synth\` exited 0 but wrote no $CSV (does this build have the synth command?)"
        exit 1
    fi
    printf '%s\n' "$want" > "$MARKER"
fi

# --- run -----------------------------------------------------------------------
exec "$PY" scripts/bench.py --csv "$CSV" --leadscore "$BIN" \
    --spec scripts/bench-spec.toml --l2 1.0 "$@"
