#!/usr/bin/env bash
# What a refactor must not change, written to one folder so two builds can be compared
# byte for byte: `passages --json` of the seeds and of MedQuAD, `eval --json` on every
# dev set, and the ranked hits (`query --json`, timings removed) of every dev-set
# question at two page sizes.
#
#   export SNAPSHOT_INDEXES=/tmp/snap-indexes        # shared by the two runs
#   bash scripts/snapshot.sh BIN_BEFORE OUT_BEFORE    # BIN: a k2search binary
#   bash scripts/snapshot.sh BIN_AFTER OUT_AFTER
#   diff -r OUT_BEFORE OUT_AFTER                      # nothing printed: nothing changed
#
# Reads ../shared (or $K2SEARCH_SHARED) in place. The lexical indexes are built by the
# first run into $SNAPSHOT_INDEXES (default OUT) and reused: two builds of one corpus
# can order passages of equal score differently (indexing threads number the
# documents), so two binaries are compared on the same indexes.
set -euo pipefail
bin=$(realpath "$1")
out=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
shared=$(realpath "${K2SEARCH_SHARED:-$root/../shared}")
mkdir -p "$out"
out=$(realpath "$out")
cd "$root"

# name corpus qrels
sets=(
  "seed corpus $shared/eval/seed-queries.jsonl"
  "medquad $shared/corpora/medquad eval/medquad-queries.jsonl"
  "brands $shared/corpora/medquad eval/medquad-brands.jsonl"
  "liveqa $shared/corpora/medquad $shared/eval/liveqa-train.jsonl"
  "mediqa $shared/corpora/mediqa-dev $shared/eval/mediqa-dev.jsonl"
  "nfcorpus $shared/corpora/nfcorpus $shared/eval/nfcorpus-dev.jsonl"
)

indexes=${SNAPSHOT_INDEXES:-$out}
mkdir -p "$indexes"
indexes=$(realpath "$indexes")
index_of() { echo "$indexes/index-$(basename "$1")"; }

for corpus in corpus "$shared/corpora/medquad" "$shared/corpora/mediqa-dev" "$shared/corpora/nfcorpus"; do
  idx=$(index_of "$corpus")
  [ -d "$idx" ] || "$bin" index --corpus "$corpus" --index "$idx" > /dev/null
done
"$bin" passages --corpus corpus --index "$(index_of corpus)" --json > "$out/passages-seed.json"
"$bin" passages --corpus "$shared/corpora/medquad" --index "$(index_of "$shared/corpora/medquad")" --json \
  > "$out/passages-medquad.json"

for set in "${sets[@]}"; do
  read -r name corpus qrels <<< "$set"
  idx=$(index_of "$corpus")
  "$bin" eval --corpus "$corpus" --index "$idx" --json "$qrels" \
    | python3 -c 'import json,sys; r=json.load(sys.stdin); r.pop("took_ms", None); print(json.dumps(r, indent=1, sort_keys=True))' \
    > "$out/eval-$name.json"
  # Every question's hits at --limit 10 and --limit 50, without timings.
  python3 - "$bin" "$corpus" "$idx" "$qrels" > "$out/hits-$name.jsonl" <<'PY'
import json, subprocess, sys
bin, corpus, idx, qrels = sys.argv[1:]
for line in open(qrels):
    q = json.loads(line)["query"]
    for limit in (10, 50):
        r = json.loads(subprocess.run(
            [bin, "query", "--corpus", corpus, "--index", idx, "--json", "--limit", str(limit), q],
            check=True, capture_output=True, text=True).stdout)
        r.pop("took_ms", None)
        print(json.dumps(r, sort_keys=True))
PY
done
echo "snapshot in $out"
