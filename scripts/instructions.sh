#!/usr/bin/env bash
# Instructions per single-lead request, counted by callgrind: the ceiling (benches/ceiling.rs), the
# server with --no-log, and the server logging into SQLite (its writer thread included). A count
# that does not move with the machine's load, unlike bench_server.sh's throughputs: what a change
# to the request path saves shows here even when the machine is busy.
#
# Each server runs under `valgrind --tool=callgrind` (installed from Debian if missing), takes 3 s
# of requests to warm up, has its counters zeroed, then takes DURATION (10) seconds of `wrk -t1 -c4` with
# the bench's single lead; the whole process's user-space instructions over that window, divided
# by the requests wrk saw answered. Per-function figures: `callgrind_annotate --inclusive=yes
# target/instructions/NAME.out.*.1`.
# A benchmark, not a test: it exits 0 whatever the figures.
#
#   bash scripts/instructions.sh        # ~2 minutes after the release build
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
TARGET_DIR=${CARGO_TARGET_DIR:-target}
OUT="$TARGET_DIR/instructions"
rm -rf "$OUT"
mkdir -p "$OUT"

for tool in valgrind wrk; do
    if ! command -v "$tool" >/dev/null; then
        echo "== installing $tool (Debian)"
        apt-get install -y "$tool" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$tool" >/dev/null; }
    fi
done

echo "== cargo build --release (leadscore, example ceiling)"
cargo build --release --quiet --bin leadscore --example ceiling
BIN="$TARGET_DIR/release/leadscore"
CEILING="$TARGET_DIR/release/examples/ceiling"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# The bench's single lead and wrk's script (scripts/bench_bodies.py, as bench_server.sh).
python3 scripts/bench_bodies.py "$WORK"
cp -r models "$WORK/models"
RESPONSE_BYTES=""

# measure NAME COMMAND...: prints NAME, requests and instructions per request.
measure() {
    local name=$1; shift
    valgrind --tool=callgrind --callgrind-out-file="$OUT/$name.out.%p" "$@" >/dev/null 2>"$WORK/$name.err" &
    local pid=$!
    PIDS+=("$pid")
    local addr=""
    for _ in $(seq 1 600); do
        addr=$(sed -n 's|.* on http://\([0-9.:]*\).*|\1|p' "$WORK/$name.err" | head -n 1)
        [ -n "$addr" ] && break
        sleep 0.1
    done
    [ -n "$addr" ] || { cat "$WORK/$name.err" >&2; echo "$name did not start" >&2; exit 1; }
    BODY_FILE="$WORK/one.json" wrk -t1 -c4 -d3s -s "$WORK/post.lua" "http://$addr/v1/score" >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    BODY_FILE="$WORK/one.json" wrk -t1 -c4 -d"${DURATION}s" -s "$WORK/post.lua" "http://$addr/v1/score" >"$WORK/$name.wrk"
    callgrind_control -d "$pid" >/dev/null 2>&1
    if [ "$name" != ceiling ]; then
        RESPONSE_BYTES=$(curl -s -H 'content-type: application/json' --data-binary @"$WORK/one.json" "http://$addr/v1/score" | wc -c)
    fi
    kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
    local requests ir
    requests=$(awk '/requests in/ {print $1}' "$WORK/$name.wrk")
    ir=$(grep -h '^summary:' "$OUT/$name.out".*.1 | awk '{s += $2} END {print s}')
    printf '| %s | %s | %s |\n' "$name" "$requests" "$((ir / requests))"
}

echo "| server | requests answered under callgrind | instructions per request |"
echo "| --- | --- | --- |"
measure no-log "$BIN" serve --models "$WORK/models" --addr 127.0.0.1:0 --watch-ms 0 --no-log
measure log-on "$BIN" serve --models "$WORK/models" --addr 127.0.0.1:0 --watch-ms 0 --store "$WORK/log.db"
measure ceiling "$CEILING" --response-bytes "$RESPONSE_BYTES"
