#!/usr/bin/env bash
# Reproduces the tables of BENCHMARKS.md. Bounded: about 3 minutes for `core`
# on MedQuAD on a 2-core machine; `scale` depends on the corpus size.
#
#   bench/run.sh core  [CORPUS] [RUNS]     # default CORPUS: ../shared/corpora/medquad
#   bench/run.sh scale CORPUS [MEMORY_MB]  # e.g. a bench/gen_corpus.py output in /tmp
#
# Needs: python3 with tantivy-py (pip install -r bench/requirements.txt), ripgrep,
# /usr/bin/time. Indexes go to $K2_BENCH_WORK (default /tmp/k2search-bench), never
# into the repository; the corpus is read in place.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-core}
work=${K2_BENCH_WORK:-/tmp/k2search-bench}
cargo build --release --quiet --bin k2search --example latency
k2=${CARGO_TARGET_DIR:-target}/release/k2search
lat=${CARGO_TARGET_DIR:-target}/release/examples/latency
case "$mode" in
  core)
    corpus=${2:-../shared/corpora/medquad}
    timeout 900 python3 bench/measure.py core "$corpus" "$k2" "$lat" "$work" "${3:-3}"
    ;;
  scale)
    corpus=${2:?usage: bench/run.sh scale CORPUS [MEMORY_MB]}
    timeout 1800 python3 bench/measure.py scale "$corpus" "$k2" "$lat" "$work" "${3:-256}"
    ;;
  *) echo "usage: bench/run.sh core|scale ..." >&2; exit 2 ;;
esac
