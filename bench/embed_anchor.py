"""The anchors of the embedding benchmark (bench/embed-speed.sh), as JSON lines.

  python bench/embed_anchor.py st TEXTS.jsonl MODEL_DIR [--threads 2] [--tokens 128]
      sentence-transformers on PyTorch (CPU) embedding the same texts, with the same
      model, token limit and batch size as `k2search index --model`
  python bench/embed_anchor.py peak [--threads 2]
      the measured peak of a large f32 matrix product (PyTorch's, and numpy's BLAS)
  python bench/embed_anchor.py flops TEXTS.jsonl MODEL_DIR [--tokens 128]
      FLOPs of one BERT forward pass over each text (its real token count)

TEXTS.jsonl holds one JSON string per line (the example `embed` writes it). Needs the
packages of bench/requirements-embed.txt, in a venv of its own.
"""
import argparse
import json
import os
import sys
import time


def texts_of(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def sentence_transformers(args):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(args.threads)
    texts = texts_of(args.texts)
    model = SentenceTransformer(args.model, device="cpu")
    model.max_seq_length = args.tokens
    model.encode(texts[:64], batch_size=32)  # warm-up
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "engine": "sentence-transformers " + __import__("sentence_transformers").__version__
        + " on torch " + torch.__version__,
        "threads": args.threads,
        "passages": len(vectors),
        "seconds": round(seconds, 2),
        "passages_per_s": round(len(vectors) / seconds, 1),
    }))


def peak(args):
    import numpy as np
    import torch

    torch.set_num_threads(args.threads)
    n = 2048
    flops = 2 * n ** 3
    best = {}
    a, b = torch.randn(n, n), torch.randn(n, n)
    for name, run in [("torch", lambda: a @ b),
                      ("numpy", lambda: an @ bn)]:
        if name == "numpy":
            an, bn = a.numpy(), b.numpy()
        run()
        times = []
        for _ in range(5):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
        best[name] = flops / min(times) / 1e9
    print(json.dumps({"matrix": f"{n}x{n}x{n} f32", "threads": args.threads,
                      "gflops": {k: round(v, 1) for k, v in best.items()},
                      "peak_gflops": round(max(best.values()), 1)}))


def flops(args):
    from tokenizers import Tokenizer

    config = json.load(open(os.path.join(args.model, "config.json")))
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    tok = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tok.enable_truncation(args.tokens)
    tok.no_padding()
    total = 0
    tokens = 0
    for enc in tok.encode_batch(texts_of(args.texts)):
        n = len(enc.ids)
        tokens += n
        # Per layer: Q, K, V and output projections, the two feed-forward products,
        # and attention's two n x n x h products; a multiply-add is 2 FLOPs.
        total += layers * 2 * (n * (4 * h * h + 2 * h * i) + 2 * n * n * h)
    print(json.dumps({"passages": len(texts_of(args.texts)), "tokens": tokens,
                      "gflop": round(total / 1e9, 1)}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("what", choices=["st", "peak", "flops"])
    p.add_argument("texts", nargs="?")
    p.add_argument("model", nargs="?")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tokens", type=int, default=128)
    args = p.parse_args()
    {"st": sentence_transformers, "peak": peak, "flops": flops}[args.what](args)


if __name__ == "__main__":
    sys.exit(main())
