#!/usr/bin/env bash
# The `fdg import` figure in BENCHMARKS.md: LINES registrations of distinct persons imported
# into a fresh embedded (SQLite) registry, and in the same run the ceiling — the same number
# of event rows INSERTed into a fresh SQLite database in batches of 1,000, durable at the end
# of each batch, without rules — so the ratio can be compared across machines and days.
#
#   bench/import.sh [LINES]
set -euo pipefail
LINES=${1:-100000}
cd "$(dirname "$0")/.."
cargo build --release -p fdg -p fdg-loadgen >&2
FDG=${FDG_BIN:-target/release/fdg}
LOAD=target/release/fdg-loadgen
WORK=$(mktemp -d /tmp/fdg-import-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, $LINES lines, git $(git rev-parse --short HEAD)"
$LOAD import-file --lines "$LINES" --out "$WORK/history.ndjson" >/dev/null
$LOAD sqlite-ceiling --rows "$LINES" --dir "$WORK/ceiling"
export FDG_DATA_DIR=$WORK/data RUST_LOG=warn
start=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$WORK/rss" $FDG import "$WORK/history.ndjson" 2>"$WORK/import.log"
end=$(date +%s.%N)
tail -1 "$WORK/import.log"
awk -v n="$LINES" -v s="$start" -v e="$end" -v rss="$(cat "$WORK/rss")" \
  'BEGIN { printf "%-28s %10.0f lines/s   %d lines in %.2f s, peak RSS %.0f MB\n", "fdg import", n/(e-s), n, e-s, rss/1024 }'
# Running it again skips every line.
start=$(date +%s.%N)
$FDG import "$WORK/history.ndjson" 2>"$WORK/again.log"
end=$(date +%s.%N)
awk -v n="$LINES" -v s="$start" -v e="$end" \
  'BEGIN { printf "%-28s %10.0f lines/s   (every line already imported)\n", "fdg import, again", n/(e-s) }'
