#!/usr/bin/env bash
# The dashboard (`GET /`) in a real headless browser: Debian's Chromium driven by Playwright's
# `playwright-core` (npm; it downloads no browser of its own). Checks that the page loads with
# no console error and no request leaving the server, that every chart renders, that moving the
# threshold slider shows the figures `GET /v1/thresholds?strategy=fixed&value=T` gives for the
# threshold it lands on, that the rules' figures are those of the comparison it was given, and
# that "In production" shows what GET /v1/monitor reports once leads and outcomes are logged (the
# block of the challenger v2, shadow-scored beside v1, included), and that a model with pair terms
# (`?model=pairs`) draws each as a heat map.
# Writes a full-page screenshot to target/dashboard.png for a person to look at.
#
#   bash scripts/browser.sh            # run by .ci/run; installs chromium (apt) and playwright-core (npm) if missing
#
# The server is the debug build of `leadscore serve` on a copy of models/ (with a CHALLENGER v2
# trained here) with --rules data/rules.toml and --compare on a fresh `leadscore compare --holdout`
# output, on a free port on 127.0.0.1, stopped at the end whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR=${CARGO_TARGET_DIR:-target}
NODE_DIR="$TARGET_DIR/browser"
PLAYWRIGHT_VERSION="1.65.1"

apt_install() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "scripts/browser.sh: $* is missing and installing it needs root (apt-get install $*)" >&2
        exit 1
    fi
    echo "== apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm
CHROMIUM=$(command -v chromium)

if [ "$(node -p "try { require('./$NODE_DIR/node_modules/playwright-core/package.json').version } catch (e) { '' }")" != "$PLAYWRIGHT_VERSION" ]; then
    echo "== installing playwright-core $PLAYWRIGHT_VERSION into $NODE_DIR"
    mkdir -p "$NODE_DIR"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" \
        "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

. scripts/serve_lib.sh
build_leadscore
echo "== leadscore compare (the shipped model against data/rules.toml on its held-out leads)"
LEADSCORE_QUIET=1 "$BIN" compare --models "$WORK/models" --rules data/rules.toml --data data/leads.csv --holdout \
    --out "$WORK/compare" >/dev/null
# A challenger beside v1, so that "In production" shows its block from real shadow rows: v2 reads
# one feature fewer (no `page_views`), trained on 3,000 synthetic leads and kept beside v1
# (`--promote never` exits 3), then named by `challenger set`.
echo "== a challenger v2 (the shipped spec without page_views) for the shadow scoring"
"$BIN" --quiet synth --rows 3000 --seed 5 --out "$WORK/challenger.csv"
python3 - "$WORK/challenger.toml" <<'PY'
import sys
spec = open("data/spec.toml").read()
start = spec.index("[features.page_views]")
end = start + spec[start:].index("\n\n") + 2
open(sys.argv[1], "w").write(spec[:start] + spec[end:])
PY
status=0
"$BIN" --quiet train --data "$WORK/challenger.csv" --spec "$WORK/challenger.toml" --name leads \
    --models "$WORK/models" --promote never >/dev/null || status=$?
[ "$status" -eq 3 ] || { echo "training the challenger exited $status (expected 3: not promoted)" >&2; exit 1; }
"$BIN" --quiet challenger set --model leads --version v2 --models "$WORK/models" >/dev/null
echo "== a model with two pair terms beside it (spec pairs, fixed penalty), for the heat maps"
{ echo 'pairs = [["demo_requested", "job_level"], ["industry", "pricing_page_visits"]]'; cat data/spec.toml; } >"$WORK/pairs-spec.toml"
LEADSCORE_QUIET=1 "$BIN" train --data data/leads.csv --spec "$WORK/pairs-spec.toml" --models "$WORK/models" --name pairs \
    --cv-folds 0 --l2 1 >/dev/null
start_server --model leads --rules data/rules.toml --compare "$WORK/compare"

echo "== the dashboard at http://$ADDR/ in $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
NODE_PATH="$NODE_DIR/node_modules" CHROMIUM="$CHROMIUM" node scripts/browser.cjs \
    "http://$ADDR" "$WORK/compare/compare.json" "$TARGET_DIR/dashboard.png" data/leads.csv
