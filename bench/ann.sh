#!/usr/bin/env bash
# Approximate (HNSW graph, src/embed/ann.rs) against brute-force nearest-50 search, at
# several sizes, on real MedQuAD vectors with perturbed copies and on random vectors.
# Prints one JSON line per source, size and format (examples/ann.rs says the fields).
#
#   bash bench/ann.sh [SIZES] [PASSAGES]   (defaults: 16384,100000,1000000 and 3200)
#
# The real vectors: the first PASSAGES passages of MedQuAD in index order, embedded with
# all-MiniLM-L6-v2 by examples/embed.rs (kept in $K2_BENCH_WORK/ann between runs); the
# last 200 are the queries, the others the bases that examples/ann.rs copies with noise
# (norm 0.78, renormalized: a copy is as close to its base as a real passage is to its
# nearest neighbour) up to each size. Needs the model (scripts/fetch-model.sh) and
# MedQuAD ($MEDQUAD or $K2SEARCH_SHARED). Set SOURCES=random or SOURCES=medquad for
# one of the two.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/serve-lib.sh
find_medquad ann.sh
sizes="${1:-16384,100000,1000000}"
passages="${2:-3200}"
sources="${SOURCES:-medquad random}"
model="${K2SEARCH_MODEL:-models/all-MiniLM-L6-v2}"
work="${K2_BENCH_WORK:-/tmp/k2search-bench}/ann"
mkdir -p "$work"
[ -f "$model/model.safetensors" ] || bash scripts/fetch-model.sh "$model" >&2
cargo build --release --quiet --bin k2search --example embed --example ann
bin="${CARGO_TARGET_DIR:-target}/release"
vectors="$work/medquad-$passages.jsonl"
if [[ " $sources " == *" medquad "* && ! -s "$vectors" ]]; then
  "$bin/k2search" index --quiet --rebuild --corpus "$medquad" --index "$work/index" >&2
  K2_EMBED_VECTORS="$vectors.tmp" "$bin/examples/embed" "$work/index" "$model" "$passages" 32 2 >&2
  mv "$vectors.tmp" "$vectors"
fi
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
for source in $sources; do
  input=random
  [ "$source" = medquad ] && input="$vectors"
  "$bin/examples/ann" "$input" "$sizes" 200
done
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
