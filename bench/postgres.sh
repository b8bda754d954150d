#!/usr/bin/env bash
# PostgreSQL figures for BENCHMARKS.md: the write and read mix of bench/run.sh against one and
# against two fdg nodes on one PostgreSQL database, and in the same run the ceiling the
# database itself allows: single-row INSERT transactions from 8 connections with
# synchronous_commit=on (pgbench).
#
#   bench/postgres.sh [SECONDS] [CLIENTS]
#
# FDG_BIN=PATH measures that fdg binary instead of this tree's.
# FDG_BENCH_PG names the server (default postgresql://postgres@127.0.0.1:5432/postgres); a fresh
# database is created on it and dropped afterwards. Servers take free ports; everything runs on
# this machine (loopback only).
set -euo pipefail
SECONDS_PER_RUN=${1:-10}
CLIENTS=${2:-64}
cd "$(dirname "$0")/.."
# FDG_BIN runs another fdg binary (to compare two builds in one sitting, alternating).
if [[ -z "${FDG_BIN:-}" ]]; then
    cargo build --release -p fdg -p fdg-loadgen >&2
else
    cargo build --release -p fdg-loadgen >&2
fi
FDG=${FDG_BIN:-target/release/fdg}
LOAD=target/release/fdg-loadgen
ADMIN=${FDG_BENCH_PG:-postgresql://postgres@127.0.0.1:5432/postgres}
NAME=fdg_bench_$$
URL=${ADMIN%/*}/$NAME
TMP=$(mktemp -d /tmp/fdg-bench-pg.XXXXXX)
cleanup() {
    for p in "$TMP"/*.pid; do [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
export RUST_LOG=warn
psql "$ADMIN" -qc "CREATE DATABASE $NAME"
$FDG migrate --database "$URL" 2>/dev/null
$FDG org create --database "$URL" --kind state-jobcenter --code STAT --name "Staten i jobcenteret" >/dev/null
TOKEN=$($FDG token create --database "$URL" --org STAT 2>/dev/null)

# Starts a node on a free port (its pid in $TMP/NAME.pid); prints its address.
start_node() {
    local log="$TMP/$1.log"
    $FDG serve --database "$URL" --listen 127.0.0.1:0 >/dev/null 2>"$log" &
    echo $! >"$TMP/$1.pid"
    for _ in $(seq 1 200); do
        if grep -q "serving on http://" "$log"; then
            grep -o "serving on http://[0-9.:]*" "$log" | head -1 | sed 's|serving on http://||'
            return
        fi
        sleep 0.05
    done
    echo "node $1 did not start" >&2
    exit 1
}

echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $CLIENTS clients, ${SECONDS_PER_RUN}s per run, git $(git rev-parse --short HEAD), $(psql "$ADMIN" -Atc 'SHOW server_version')"

echo "## ceiling: single-row INSERT transactions, 8 connections, synchronous_commit=on (pgbench)"
psql "$URL" -qc "CREATE TABLE bench_ceiling (id BIGSERIAL PRIMARY KEY, v TEXT NOT NULL)"
echo "INSERT INTO bench_ceiling (v) VALUES ('x');" >"$TMP/insert.sql"
PGOPTIONS='-c synchronous_commit=on' pgbench -n -c 8 -j 2 -T "$SECONDS_PER_RUN" -f "$TMP/insert.sql" "$URL" 2>/dev/null \
    | grep -E "^(tps|latency average)"

echo "## one node"
A=$(start_node a)
$LOAD writes --url "http://$A" --token "$TOKEN" --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN"
$LOAD reads --url "http://$A" --token "$TOKEN" --clients "$CLIENTS" --seconds "$SECONDS_PER_RUN"

echo "## two nodes (half the clients each, run at once)"
B=$(start_node b)
HALF=$((CLIENTS / 2))
# CPR ranges: the load generator's client c writes persons offset + c·1,000,000 + i, so the
# two write runs start 32 million apart after the one-node run's 64 million; offsets below 134
# million keep every generated birth date in the past.
$LOAD writes --url "http://$A" --token "$TOKEN" --clients "$HALF" --seconds "$SECONDS_PER_RUN" --cpr-offset 64000000 >"$TMP/wa" &
W1=$!
$LOAD writes --url "http://$B" --token "$TOKEN" --clients "$HALF" --seconds "$SECONDS_PER_RUN" --cpr-offset 96000000 >"$TMP/wb" &
W2=$!
wait $W1 $W2
echo "node a:"; cat "$TMP/wa"
echo "node b:"; cat "$TMP/wb"
$LOAD reads --url "http://$A" --token "$TOKEN" --clients "$HALF" --seconds "$SECONDS_PER_RUN" --cpr-offset 130000000 >"$TMP/ra" &
R1=$!
$LOAD reads --url "http://$B" --token "$TOKEN" --clients "$HALF" --seconds "$SECONDS_PER_RUN" --cpr-offset 131000000 >"$TMP/rb" &
R2=$!
wait $R1 $R2
echo "node a:"; cat "$TMP/ra"
echo "node b:"; cat "$TMP/rb"
echo "# database after the run: $(psql "$ADMIN" -Atc "SELECT pg_size_pretty(pg_database_size('$NAME'))")"
