# Shared by scripts/schemathesis.sh and scripts/browser.sh (sourced, not run): builds the debug
# `leadscore`, copies models/ into a scratch folder and starts `leadscore serve` on a free port.
#
#   . scripts/serve_lib.sh
#   build_leadscore                      # sets BIN; WORK is a scratch folder removed on exit
#   start_server --rules data/rules.toml # serve on a copy of models/ at 127.0.0.1:0; sets ADDR, SERVER_PID
#
# The server is stopped (SIGTERM, then waited for) and WORK removed when the script exits.

TARGET_DIR=${CARGO_TARGET_DIR:-target}
WORK=$(mktemp -d)
SERVER_PID=""
serve_lib_cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap serve_lib_cleanup EXIT
cp -r models "$WORK/models"

build_leadscore() {
    echo "== building leadscore"
    cargo build --quiet --bin leadscore
    BIN="$TARGET_DIR/debug/leadscore"
}

# Port 0: the OS picks a free port and the server prints the address it got on stderr.
start_server() {
    "$BIN" serve --models "$WORK/models" --addr 127.0.0.1:0 --watch-ms 0 --store "$WORK/leadscore-log.db" "$@" \
        >"$WORK/stdout.log" 2>"$WORK/server.log" &
    SERVER_PID=$!
    ADDR=""
    for _ in $(seq 1 200); do
        ADDR=$(sed -n 's|.* on http://\([0-9.:]*\).*|\1|p' "$WORK/server.log" | head -n 1)
        [ -n "$ADDR" ] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start" >&2; exit 1; }
        sleep 0.1
    done
    cat "$WORK/server.log"
    echo "the server did not print its address" >&2
    exit 1
}
