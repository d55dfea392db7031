#!/usr/bin/env bash
# The PDF benchmark (issue 23): index one generated 200-page leaflet and report the
# throughput in MB of extracted text per second and the run's peak RSS.
#   pip install -r scripts/requirements-pdf.txt
#   bash bench/pdf.sh [K2SEARCH_BINARY]      # default: target/release/k2search
# Goals: >= 2 MB/s of text, peak RSS <= 200 MB. Results go in BENCHMARKS.md (PDF).
set -euo pipefail
bin=${1:-target/release/k2search}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
python3 "$(dirname "$0")/../scripts/make-pdf-fixtures.py" --bench "$work/corpus/leaflet-200.pdf"
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" index --quiet --rebuild --corpus "$work/corpus" --index "$work/index"
"$bin" passages --corpus "$work/corpus" --index "$work/index" --json > "$work/passages.jsonl"
python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
seconds, peak_kib = open(os.path.join(work, "time")).read().split()
passages = [json.loads(l) for l in open(os.path.join(work, "passages.jsonl"))]
text_bytes = sum(len(p["text"].encode()) for p in passages)
pages = max(p["page_end"] for p in passages)
pdf_bytes = os.path.getsize(os.path.join(work, "corpus", "leaflet-200.pdf"))
seconds = float(seconds)
print(f"pdf {pdf_bytes / 1e6:.2f} MB, {pages} pages, {len(passages)} passages, "
      f"text {text_bytes / 1e6:.2f} MB in {seconds:.2f} s: {text_bytes / 1e6 / seconds:.2f} MB/s of text, "
      f"peak RSS {int(peak_kib) / 1024:.0f} MB")
PY
