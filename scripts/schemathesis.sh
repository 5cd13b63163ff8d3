#!/usr/bin/env bash
# Fuzzes `leadscore serve` against its own OpenAPI document with Schemathesis (PyPI):
# every operation, valid and malformed data. Fails on any 5xx, any response that does
# not match the documented schema, status code or content type, and any malformed
# request that is accepted (negative data must get a 4xx).
#
#   bash scripts/schemathesis.sh            # about a minute; MAX_EXAMPLES=N for more cases per operation
#
# Requests carry an admin key (the server's only key), so the admin routes are fuzzed past authentication.
# Schemathesis is installed into target/schemathesis-venv (under $CARGO_TARGET_DIR when set) on first use. The server is
# the debug build of `leadscore serve` on the shipped model (a copy of models/, with --rules data/rules.toml so
# scores carry rule_points and /v1/compare compares), on a
# free port on 127.0.0.1, stopped at the end whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGET_DIR=${CARGO_TARGET_DIR:-target}
VENV="$TARGET_DIR/schemathesis-venv"
SCHEMATHESIS_VERSION="4.32.5"
MAX_EXAMPLES=${MAX_EXAMPLES:-200}

if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "== installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

. scripts/serve_lib.sh
build_leadscore
# An admin key, sent with every request: the admin routes (promote, rollback on the copy of the
# registry) are exercised past authentication, and every route accepts an admin key.
ADMIN_KEY="schemathesis-admin-key"
LEADSCORE_ADMIN_KEYS="$ADMIN_KEY" start_server --max-leads 100 --max-body-bytes 262144 --rules data/rules.toml
echo "== schemathesis against http://$ADDR/openapi.json ($MAX_EXAMPLES examples per operation)"

"$VENV/bin/schemathesis" --no-color run "http://$ADDR/openapi.json" \
    --header "Authorization: Bearer $ADMIN_KEY" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance,negative_data_rejection \
    --mode all \
    --phases examples,coverage,fuzzing \
    --max-examples "$MAX_EXAMPLES" \
    --seed 1 \
    --workers 1 \
    --request-timeout 10 \
    --wait-for-schema 10 \
    --suppress-health-check all
