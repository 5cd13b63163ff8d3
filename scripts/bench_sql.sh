#!/usr/bin/env bash
# Scoring 10M leads inside DuckDB with the exported SQL, next to `leadscore score` on the same rows as CSV.
#
#   bash scripts/bench_sql.sh [ROWS]        # default 10,000,000; results in bench-out/sql/
#   LEADSCORE_BIN=path/to/leadscore bash scripts/bench_sql.sh   # use a binary already built
#
# Both sides do the whole job: DuckDB runs the query of `leadscore export-sql --dialect duckdb`
# over a table of text columns (as a CRM export lands in a staging table) and writes every output
# column into a table; `leadscore score` reads the CSV and writes the scored CSV. The CSV load into
# DuckDB is timed separately: in a warehouse the leads are already there. DuckDB and `leadscore score`
# both use every core. Needs python3 (duckdb from PyPI goes into target/engines-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
out=bench-out/sql
mkdir -p "$out"
venv=target/engines-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import duckdb" 2>/dev/null || "$venv/bin/pip" install -q duckdb

# LEADSCORE_BIN: an already built release binary (skips the build).
bin=${LEADSCORE_BIN:-target/release/leadscore}
[ -n "${LEADSCORE_BIN:-}" ] || cargo build --release --quiet
csv=$out/leads-$rows.csv
if [ ! -f "$csv" ]; then
    echo "generating $rows synthetic leads -> $csv" >&2
    $bin synth --rows "$rows" --seed 7 --out "$csv"
fi
$bin export-sql --dialect duckdb --model leads --table leads --top-feature --out "$out/score.duckdb.sql"

echo "== DuckDB $("$venv/bin/python" -c 'import duckdb; print(duckdb.__version__)'), $(nproc) cores" >&2
printf '[{"csv": "%s", "table": "leads", "sql": "%s"}]' "$csv" "$out/score.duckdb.sql" > "$out/jobs.json"
duck=$("$venv/bin/python" scripts/sql_engines.py --engine duckdb --jobs "$out/jobs.json" | tail -1)
duck_s=$(echo "$duck" | python3 -c 'import json,sys; print(json.load(sys.stdin)["seconds"])')

echo "== leadscore score ($(nproc) threads)" >&2
start=$(date +%s.%N)
LEADSCORE_QUIET=1 $bin score --model leads --data "$csv" --out "$out/scored.csv" --explain 1
end=$(date +%s.%N)
cli_s=$(python3 -c "print($end - $start)")

python3 - "$rows" "$duck_s" "$cli_s" <<'PY'
import sys
rows, duck, cli = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
print(f"rows: {rows:,}")
print(f"DuckDB, exported SQL:   {duck:8.2f} s  {rows / duck:12,.0f} rows/s")
print(f"leadscore score (CSV):  {cli:8.2f} s  {rows / cli:12,.0f} rows/s")
PY
