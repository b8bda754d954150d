#!/usr/bin/env bash
# Reproduces the figures in BENCHMARKS.md: durable writes and person reads over HTTP against
# `fdg serve` on embedded SQLite, and a trivial axum endpoint measured in the same run so the
# ratios can be compared across machines and days.
#
#   bench/run.sh [SECONDS] [CLIENTS]
#
# Everything runs on this machine (loopback only), load generator included.
set -euo pipefail
SECONDS_PER_RUN=${1:-20}
CLIENTS=${2:-64}
cd "$(dirname "$0")/.."
cargo build --release -p fdg -p fdg-loadgen >&2
FDG=target/release/fdg
LOAD=target/release/fdg-loadgen
DATA=$(mktemp -d /tmp/fdg-bench.XXXXXX)
cleanup() { [[ -n "${SERVER:-}" ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -rf "$DATA"; }
trap cleanup EXIT
export FDG_DATA_DIR=$DATA RUST_LOG=warn
$FDG org create --kind state-jobcenter --code STAT --name "Staten i jobcenteret" >/dev/null
TOKEN=$($FDG token create --org STAT 2>/dev/null)
# A free port: the server binds port 0 and says which it got.
$FDG serve --listen 127.0.0.1:0 2>"$DATA/serve.log" &
SERVER=$!
for _ in $(seq 1 200); do grep -q "serving on http://" "$DATA/serve.log" && break; sleep 0.05; done
PORT=$(grep -o "serving on http://[0-9.:]*" "$DATA/serve.log" | head -1 | sed 's|.*:||')
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $CLIENTS clients, ${SECONDS_PER_RUN}s per run, git $(git rev-parse --short HEAD)"
$LOAD baseline --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN"
$LOAD writes --url "http://127.0.0.1:$PORT" --token "$TOKEN" --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN"
$LOAD reads --url "http://127.0.0.1:$PORT" --token "$TOKEN" --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN"
echo "# database after the run: $(du -sh "$DATA" | cut -f1)"
