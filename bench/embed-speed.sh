#!/usr/bin/env bash
# Embedding throughput side by side, in one run: k2search's encoder (f32, and int8 as
# `index --int8` runs it where the CPU has VNNI), sentence-transformers
# on PyTorch (CPU) over the same passages with the same model, token limit (128) and
# batch size (32), and the physical limit (the FLOPs of those passages over the measured
# peak of a large f32 matrix product on this machine). Prints a Markdown table.
#
#   bash bench/embed-speed.sh [PASSAGES] [THREADS]     (defaults: 2000 passages, 2 threads)
#
# Needs the model (scripts/fetch-model.sh), MedQuAD ($MEDQUAD or $K2SEARCH_SHARED), and a
# venv with bench/requirements-embed.txt: $EMBED_VENV (default /tmp/k2search-embed-venv),
# made here when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/serve-lib.sh
find_medquad embed-speed.sh
passages="${1:-2000}"
threads="${2:-2}"
model="${K2SEARCH_MODEL:-models/all-MiniLM-L6-v2}"
work="${K2_BENCH_WORK:-/tmp/k2search-bench}/embed"
venv="${EMBED_VENV:-/tmp/k2search-embed-venv}"
mkdir -p "$work"
[ -f "$model/model.safetensors" ] || bash scripts/fetch-model.sh "$model" >&2
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements-embed.txt >&2
fi
cargo build --release --quiet --bin k2search --example embed
bin="${CARGO_TARGET_DIR:-target}/release"
"$bin/k2search" index --quiet --rebuild --corpus "$medquad" --index "$work/index" >&2
py="$venv/bin/python"

# The same texts for both: the example writes what it embeds.
ours=$(K2_EMBED_TEXTS="$work/texts.jsonl" "$bin/examples/embed" "$work/index" "$model" \
  "$passages" 32 "$threads")
ours_int8=$(K2_EMBED_INT8=1 "$bin/examples/embed" "$work/index" "$model" "$passages" 32 "$threads" \
  2>/dev/null || echo '{"passages_per_s": 0}')
theirs=$(OMP_NUM_THREADS="$threads" "$py" bench/embed_anchor.py st "$work/texts.jsonl" "$model" \
  --threads "$threads" 2>/dev/null)
peak=$("$py" bench/embed_anchor.py peak --threads "$threads")
flops=$("$py" bench/embed_anchor.py flops "$work/texts.jsonl" "$model")
echo "$ours" >"$work/ours.json"
echo "$ours_int8" >"$work/ours_int8.json"
echo "$theirs" >"$work/theirs.json"
echo "$peak" >"$work/peak.json"
echo "$flops" >"$work/flops.json"

"$py" - "$work" "$(nproc)" <<'PY'
import json, sys
work, cores = sys.argv[1], sys.argv[2]
load = lambda name: json.load(open(f"{work}/{name}.json"))
ours, ours_int8, theirs, peak, flops = (load(name) for name in ("ours", "ours_int8", "theirs", "peak", "flops"))
n = flops["passages"]
limit = peak["peak_gflops"] / (flops["gflop"] / n)
rows = [
    ("k2search (src/embed/bert.rs, gemm f32)", ours["passages_per_s"]),
    ("k2search --int8 (rten-gemm u8 x i8, VNNI; 0 = no exact int8 kernel here)", ours_int8["passages_per_s"]),
    (theirs["engine"], theirs["passages_per_s"]),
    (f"limit: {flops['gflop']} GFLOP over {n} passages at the {peak['peak_gflops']} GFLOP/s peak", limit),
]
print(f"{n} MedQuAD passages ({flops['tokens']} tokens, at most 128 each), all-MiniLM-L6-v2, "
      f"{peak['threads']} threads on {cores} cores; peak: {peak['matrix']} product "
      f"(torch {peak['gflops']['torch']}, numpy {peak['gflops']['numpy']} GFLOP/s)\n")
print("| engine | passages/s | × sentence-transformers | share of the limit |")
print("|---|---|---|---|")
for name, rate in rows:
    print(f"| {name} | {rate:.1f} | {rate / theirs['passages_per_s']:.2f} | {rate / limit:.0%} |")
PY
