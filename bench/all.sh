#!/usr/bin/env bash
# Every measurement of BENCHMARKS.md in one run, in the order of its sections. Each step
# writes its output to $K2_BENCH_WORK/results/ (default /tmp/k2search-bench/results);
# BENCHMARKS.md is written from those files. About 35 minutes on 2 cores, bounded:
# every load test is on loopback, 10 s a run.
#
#   bash bench/all.sh [MODEL_INDEX]
#
# MODEL_INDEX: a MedQuAD index built with a model, for the hybrid rows (building one
# takes 10 to 18 minutes, so it is not built here:
#   k2search index --corpus ../shared/corpora/medquad --index DIR --model MODEL_DIR).
# Without it the hybrid rows are skipped. Needs what the steps need: tantivy-py and
# bm25s (pip install -r bench/requirements.txt), ripgrep, wrk, /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${K2SEARCH_SHARED:-../shared}"
medquad="$shared/corpora/medquad"
work="${K2_BENCH_WORK:-/tmp/k2search-bench}"
out="$work/results"
mkdir -p "$out"
export K2_BENCH_WORK="$work"
cargo build --release --quiet --bin k2search --example latency --example vectors
bin="${CARGO_TARGET_DIR:-target}/release"
k2="$bin/k2search"
step() { echo "$(date +%T) $1 (load: $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/steps.txt"; }
: >"$out/steps.txt"

step "index build, incremental, cold CLI, 20-query latency (bench/run.sh core)"
bash bench/run.sh core "$medquad" 5 >"$out/core.md"

step "indexing floor: raw tantivy on k2search's passages, 5 runs"
"$k2" index --quiet --rebuild --corpus "$medquad" --index "$work/index"
"$k2" export --corpus "$medquad" --index "$work/index" >"$work/export.ndjson"
for _ in 1 2 3 4 5; do python3 bench/raw_tantivy.py "$work/export.ndjson"; done >"$out/raw-tantivy.jsonl"

step "in-process latency: 1,000 short and the long questions, 3 interleaved runs"
python3 bench/queries.py "$work/distinct.txt" --medquad "$medquad" \
  --liveqa "$shared/eval/liveqa-train.jsonl" >/dev/null
awk 'length($0) < 40' "$work/distinct.txt" | head -1000 >"$work/short.txt"
awk 'length($0) >= 100' "$work/distinct.txt" >"$work/long.txt"
for _ in 1 2 3; do
  echo "short $("$bin/examples/latency" "$work/index" "$work/short.txt" 3)"
  echo "long $("$bin/examples/latency" "$work/index" "$work/long.txt" 5)"
done >"$out/latency.txt"

step "HTTP load against Typesense: 2,000 distinct queries"
QUERIES="$work/distinct.txt" K2SEARCH_BIN="$k2" MEDQUAD="$medquad" EXPORT="$work/export.ndjson" \
  bash bench/serve-vs-typesense.sh 10 >"$out/serve-mixed.md" 2>"$out/serve-mixed.err"
step "HTTP load against Typesense: the 1,000 short ones"
QUERIES="$work/short.txt" K2SEARCH_BIN="$k2" MEDQUAD="$medquad" EXPORT="$work/export.ndjson" \
  bash bench/serve-vs-typesense.sh 10 >"$out/serve-short.md" 2>"$out/serve-short.err"

step "relevance: k2search and the baselines on every judged set"
"$k2" index --quiet --rebuild --corpus corpus --index "$work/seed-index"
"$k2" index --quiet --rebuild --corpus "$shared/corpora/mediqa-dev" --index "$work/mediqa-index"
"$k2" index --quiet --rebuild --corpus "$shared/corpora/nfcorpus" --index "$work/nfcorpus-index"
# name:corpus:index:judgments
for set in "liveqa:$medquad:$work/index:$shared/eval/liveqa-train.jsonl" \
  "medquad:$medquad:$work/index:eval/medquad-queries.jsonl" \
  "brands:$medquad:$work/index:eval/medquad-brands.jsonl" \
  "mediqa:$shared/corpora/mediqa-dev:$work/mediqa-index:$shared/eval/mediqa-dev.jsonl" \
  "nfcorpus:$shared/corpora/nfcorpus:$work/nfcorpus-index:$shared/eval/nfcorpus-dev.jsonl" \
  "seed:corpus:$work/seed-index:$shared/eval/seed-queries.jsonl"; do
  IFS=: read -r name corpus index qrels <<<"$set"
  "$k2" eval --condensed --index "$index" --json "$qrels" >"$out/eval-k2search-$name.json"
  for engine in tantivy-strong tantivy bm25s; do
    python3 "$shared/eval/baselines.py" "$engine" "$corpus" "$qrels" --condensed \
      >"$out/eval-$engine-$name.json" 2>/dev/null
  done
done

if [ -n "${1:-}" ]; then
  step "hybrid: relevance, latency and HTTP load on the model index $1"
  for set in "liveqa:$shared/eval/liveqa-train.jsonl" "medquad:eval/medquad-queries.jsonl" \
    "brands:eval/medquad-brands.jsonl"; do
    "$k2" eval --index "$1" --json "${set#*:}" >"$out/eval-hybrid-${set%%:*}.json"
  done
  python3 -c 'import json,sys; [print(json.loads(l)["query"]) for l in open(sys.argv[1])]' \
    "$shared/eval/liveqa-train.jsonl" >"$work/liveqa.txt"
  for _ in 1 2 3; do
    echo "hybrid $("$bin/examples/latency" "$1" "$work/liveqa.txt" 1)"
    echo "lexical $(K2SEARCH_LATENCY_MODE=lexical "$bin/examples/latency" "$1" "$work/liveqa.txt" 1)"
  done >"$out/latency-hybrid.txt"
  INDEX="$1" MODE=hybrid K2SEARCH_BIN="$k2" bash bench/load.sh 5 >"$out/load-hybrid.md" 2>/dev/null
  INDEX="$1" MODE=lexical K2SEARCH_BIN="$k2" bash bench/load.sh 5 >"$out/load-lexical.md" 2>/dev/null
fi

step "brute-force vector search"
"$bin/examples/vectors" 16369,100000,1000000 20 >"$out/vectors.txt"

step "splitter and analyzer throughput (criterion)"
cargo bench --quiet --bench pipeline -- --warm-up-time 1 --measurement-time 3 \
  >"$out/pipeline.txt" 2>&1

step "growth: synthetic 10x and 64x MedQuAD, writer budget 256 MB"
if [ ! -d "$work/synth-64x" ]; then
  python3 bench/gen_corpus.py --source "$medquad" --factor 64 --out "$work/synth-64x" --jobs 2 >/dev/null
fi
if [ ! -d "$work/synth-10x" ]; then
  mkdir "$work/synth-10x" && cp -al "$work"/synth-64x/r00[0-9] "$work/synth-10x/"
fi
for corpus in "$medquad" "$work/synth-10x" "$work/synth-64x"; do
  bash bench/run.sh scale "$corpus" 256
done >"$out/growth.md"
step "done"
