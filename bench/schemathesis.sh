#!/usr/bin/env bash
# The outside-client campaign (docs/reliability.md): schemathesis against a fresh embedded
# registry's /api/v1/openapi.json with a valid token, every check but one, seeded; the
# examples, coverage, fuzzing and stateful phases. Generated long polls are kept from waiting
# by bench/schemathesis_hooks.py (`wait` = 0) in the phases that use hooks; the coverage phase
# still sends the documented extremes, so most of its two minutes is long polls waiting as
# asked.
#
#   bench/schemathesis.sh [extra schemathesis options]
#
# Excluded, and why: the positive_data_acceptance check (a schema-valid request may still
# break a rule of the order, which a JSON schema cannot express: the document's description
# lists these refusals). Responses may take 35 s: a long poll holds its request up to `wait`
# seconds, as documented. The server takes a free port; everything runs on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p fdg
FDG=${CARGO_TARGET_DIR:-target}/debug/fdg
DIR=$(mktemp -d /tmp/fdg-schemathesis.XXXXXX)
cleanup() {
    [[ -f "$DIR/pid" ]] && kill "$(cat "$DIR/pid")" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$DIR"
}
trap cleanup EXIT
export RUST_LOG=warn
$FDG migrate --data-dir "$DIR/data" >/dev/null
$FDG org create --data-dir "$DIR/data" --kind municipal-jobcenter --code 101 --name "København" >/dev/null
TOKEN=$($FDG token create --data-dir "$DIR/data" --org 101)
$FDG serve --data-dir "$DIR/data" --listen 127.0.0.1:0 >/dev/null 2>"$DIR/serve.log" &
echo $! >"$DIR/pid"
for _ in $(seq 1 200); do
    grep -q "serving on http://" "$DIR/serve.log" && break
    sleep 0.05
done
ADDR=$(grep -o "serving on http://[0-9.:]*" "$DIR/serve.log" | head -1 | sed 's|serving on ||')
export PYTHONPATH="$PWD/bench${PYTHONPATH:+:$PYTHONPATH}" SCHEMATHESIS_HOOKS=schemathesis_hooks
schemathesis run "$ADDR/api/v1/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks all --exclude-checks positive_data_acceptance --max-response-time 35 \
    --phases examples,coverage,fuzzing,stateful --max-examples 20 --seed 1 --request-timeout 35 \
    --no-color "$@"
