#!/usr/bin/env bash
# HTTP load benchmark of `k2search serve` on MedQuAD (loopback only, bounded in time).
#
#   bash bench/load.sh [SECONDS_PER_RUN]        (default 10)
#
# Builds the release binary, indexes MedQuAD (read in place from the shared corpora)
# into /tmp/k2search-bench/index (incremental: a second run re-indexes nothing), starts
# the server on a free loopback port and drives it with wrk at 1, 8 and 64 connections,
# cycling through 20 short health queries (bench/load.lua, limit=10). Prints a Markdown
# table: requests/s, p50, p99, max latency, failed requests. Needs `wrk`
# (apt-get install -y wrk). Environment: MEDQUAD (corpus folder), K2SEARCH_BIN (skip
# the build and use this binary), WRK_THREADS (default 2), INDEX (serve this index,
# e.g. one built with --model, instead of indexing), MODE (hybrid or lexical: sent
# with every request).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
threads="${WRK_THREADS:-2}"
. bench/serve-lib.sh
command -v wrk >/dev/null || { echo "load.sh: wrk is missing (apt-get install -y wrk)" >&2; exit 2; }
k2search_bin
work="${K2_BENCH_WORK:-/tmp/k2search-bench}"
mkdir -p "$work"
index="${INDEX:-$work/index}"
if [ -z "${INDEX:-}" ]; then
  find_medquad load.sh
  "$K2SEARCH_BIN" index --quiet --rebuild --corpus "$medquad" --index "$index" >&2
fi

start_k2search "$K2SEARCH_BIN" "$index" "$work" load.sh
passages="$(curl -s "$url/health" | sed 's/.*"passages":\([0-9]*\).*/\1/')"
echo "server $url: $passages passages, $(nproc) cores, wrk -t$threads, ${seconds}s per run" >&2

# Warm up the page cache and the reader.
timeout 60 wrk -t1 -c4 -d2s -s bench/load.lua "$url" >/dev/null

echo "| connections | requests | requests/s | p50 ms | p99 ms | max ms | failed |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for c in 1 8 64; do
  t=$(( c < threads ? c : threads ))
  line="$(timeout $((seconds + 30)) wrk -t"$t" -c"$c" -d"${seconds}s" --timeout 5s \
    -s bench/load.lua "$url" | grep '^RESULT')"
  read -r _ requests rps p50 p99 max failed <<<"$line"
  echo "| $c | $requests | $rps | $p50 | $p99 | $max | $failed |"
done
