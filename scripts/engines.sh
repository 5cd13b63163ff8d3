#!/usr/bin/env bash
# Installs and starts the SQL engines that tests/sql_engines.rs runs exported queries on, on a clean
# machine as on a developer's: nothing here assumes a server is already installed or running.
#
#   engines=$(bash scripts/engines.sh start) && eval "$engines"   # the exports the tests read
#   (captured first: inside `eval "$(...)"` a failed start would not stop a script)
#   bash scripts/engines.sh stop
#   bash scripts/engines.sh restart-pg       # stop and start PostgreSQL (the log's fault test)
#
# - PostgreSQL: Debian's package when `initdb` is absent; a private cluster in target/pg-data
#   (trust auth, user `leadscore`, UTF8, C.UTF-8), listening on 127.0.0.1:$LEADSCORE_PG_PORT
#   (default 55432) with its socket under target/, so it never touches a system cluster.
#   PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user.
# - DuckDB and PySpark (local mode; needs Java 17, installed from Debian when absent): PyPI, into
#   the virtualenv target/engines-venv.
#
# Exports: LEADSCORE_TEST_PG (a connection URL) and LEADSCORE_TEST_PYTHON (a python with duckdb and
# pyspark). Progress goes to stderr, so stdout is only the exports.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
port=${LEADSCORE_PG_PORT:-55432}
data=$root/target/pg-data
sock=$root/target/pg-sock
venv=$root/target/engines-venv
log() { echo "engines: $*" >&2; }

apt_install() {
    log "apt-get install $*"
    if [ -z "${apt_updated:-}" ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

# Runs a PostgreSQL program as an unprivileged user when we are root.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_pg() {
    local bin
    bin=$(pg_bin)
    if [ -z "$bin" ]; then
        apt_install postgresql
        bin=$(pg_bin)
    fi
    [ -n "$bin" ] || { log "no initdb after installing postgresql"; exit 1; }
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    fi
    mkdir -p "$data" "$sock"
    if [ "$(id -u)" = 0 ]; then
        chown postgres "$data" "$sock"
        chmod 700 "$data"
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "initdb $data"
        as_pg "$bin/initdb" -D "$data" -U leadscore --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$root/target/pg-initdb.log" 2>&1 \
            || { cat "$root/target/pg-initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "starting PostgreSQL on 127.0.0.1:$port"
        touch "$root/target/pg.log"
        [ "$(id -u)" = 0 ] && chown postgres "$root/target/pg.log"
        as_pg "$bin/pg_ctl" -D "$data" -w -t 60 -l "$root/target/pg.log" \
            -o "-p $port -k $sock -c listen_addresses=127.0.0.1" start >&2 \
            || { tail -20 "$root/target/pg.log" >&2; exit 1; }
    fi
    echo "export LEADSCORE_TEST_PG=postgres://leadscore@127.0.0.1:$port/postgres"
}

start_python() {
    if ! command -v java >/dev/null; then
        apt_install openjdk-17-jre-headless
    fi
    if [ ! -x "$venv/bin/python" ]; then
        log "python venv $venv"
        python3 -m venv "$venv" >&2 || { apt_install python3-venv && python3 -m venv "$venv" >&2; }
    fi
    if ! "$venv/bin/python" -c "import duckdb, pyspark" 2>/dev/null; then
        log "pip install duckdb pyspark (PyPI)"
        "$venv/bin/pip" install -q duckdb pyspark >&2
    fi
    echo "export LEADSCORE_TEST_PYTHON=$venv/bin/python"
}

stop_pg() {
    local bin
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        log "stopping PostgreSQL"
        # A backend busy in a long computation can ignore the fast shutdown: then stop at once.
        as_pg "$bin/pg_ctl" -D "$data" -m fast -w -t 30 stop >&2 || as_pg "$bin/pg_ctl" -D "$data" -m immediate -w stop >&2
    fi
}

case "${1:-}" in
    start)
        start_pg
        start_python
        ;;
    stop)
        stop_pg
        ;;
    restart-pg)
        # PostgreSQL going away under a running server (tests/feedback_pg.rs), then coming back.
        stop_pg
        start_pg >/dev/null
        ;;
    *)
        echo "usage: bash scripts/engines.sh start|stop|restart-pg" >&2
        exit 2
        ;;
esac
