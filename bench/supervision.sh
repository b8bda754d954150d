#!/usr/bin/env bash
# Reproduces the supervision figures in BENCHMARKS.md: how long each report page takes on a
# national population made by `fdg demo`, against /healthz measured in the same run.
#
#   fdg demo --data-dir DIR --persons 1000000 --seed 1 --years 10   # once: writes the population
#   bench/supervision.sh DIR [SECONDS]
#
# One client at a time (a supervisor reading pages), loopback only. The data directory is only
# read, apart from one token and one user created for the measurement.
set -euo pipefail
DATA=${1:?usage: bench/supervision.sh DATA_DIR [SECONDS]}
SECONDS_PER_PAGE=${2:-20}
cd "$(dirname "$0")/.."
cargo build --release -p fdg >&2
FDG=target/release/fdg
JAR=$(mktemp /tmp/fdg-bench-jar.XXXXXX)
cleanup() { [[ -n "${SERVER:-}" ]] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; rm -f "$JAR"; }
trap cleanup EXIT
export FDG_DATA_DIR=$DATA RUST_LOG=warn
TOKEN=$($FDG token create --org TILSYN --kind supervisor 2>/dev/null)
read -r USERNAME PASSWORD < <($FDG user create --org TILSYN --kind supervisor --role supervisor \
  --name "Benchmark Tilsyn $$" 2>/dev/null)
# A free port: the server binds port 0 and says which it got (opening a large database takes a while).
$FDG serve --listen 127.0.0.1:0 2>"$DATA/bench-serve.log" &
SERVER=$!
for _ in $(seq 1 600); do grep -q "serving on http://" "$DATA/bench-serve.log" && break; sleep 0.5; done
BASE="http://$(grep -o "serving on http://[0-9.:]*" "$DATA/bench-serve.log" | head -1 | sed 's|serving on http://||')"
for _ in $(seq 1 600); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.5; done
# Log in as the supervisor and choose a password, as a person would.
curl -sf -c "$JAR" -b "$JAR" -o /dev/null -d "username=$USERNAME&password=$PASSWORD" "$BASE/login"
CSRF=$(curl -sf -c "$JAR" -b "$JAR" "$BASE/password" | grep -o 'name="csrf" value="[0-9a-f]*"' | head -1 | cut -d'"' -f4)
NEW="benchmark-password-$$"
curl -sf -c "$JAR" -b "$JAR" -o /dev/null -d "csrf=$CSRF&new_password=$NEW&repeat=$NEW" "$BASE/password"
COOKIE=$(awk '$6 == "fdg_session" { print $6 "=" $7 }' "$JAR")
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, 1 client, ${SECONDS_PER_PAGE}s per page, git $(git rev-parse --short HEAD)"
python3 - "$DATA/fdg.db" <<'PY'
import sqlite3, sys
c = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
events, = c.execute("SELECT max(position) FROM events").fetchone()
persons, = c.execute("SELECT count(*) FROM persons").fetchone()
rows, = c.execute("SELECT count(*) FROM supervision_counts").fetchone()
interviews, = c.execute(
    "SELECT count(*) FROM events WHERE type = 'contact_interview_recorded'").fetchone()
print(f"# population: {persons} persons, {events} events, {interviews} contact interviews, "
      f"{rows} supervision rows")
PY
measure() { # name, path, header
  local out
  out=$(wrk -t1 -c1 -d"${SECONDS_PER_PAGE}s" --latency -H "$3" "$BASE$2")
  local mean p99 max reqs
  mean=$(awk '/^    Latency/ { print $2 }' <<<"$out")
  max=$(awk '/^    Latency/ { print $4 }' <<<"$out")
  p99=$(awk '/^     99%/ { print $2 }' <<<"$out")
  reqs=$(awk '/requests in/ { print $1 }' <<<"$out")
  printf '%-34s %10s %10s %10s %8s\n' "$1" "$mean" "$p99" "$max" "$reqs"
}
printf '%-34s %10s %10s %10s %8s\n' page mean p99 max requests
measure "/healthz (baseline)" /healthz "X-Bench: 1"
measure "/tilsyn (national page)" /tilsyn "Cookie: $COOKIE"
measure "/tilsyn/kommune/101" /tilsyn/kommune/101 "Cookie: $COOKIE"
measure "/tilsyn/kommune/825 (smallest)" /tilsyn/kommune/825 "Cookie: $COOKIE"
measure "API DK json" /api/v1/supervision/DK "Authorization: Bearer $TOKEN"
measure "API 101 json, 10 years" "/api/v1/supervision/101?from=$(date -u -d '-9 years' +%Y-%m)" "Authorization: Bearer $TOKEN"
measure "API 101 csv" "/api/v1/supervision/101?format=csv" "Authorization: Bearer $TOKEN"
measure "API 101 xlsx" "/api/v1/supervision/101?format=xlsx" "Authorization: Bearer $TOKEN"
