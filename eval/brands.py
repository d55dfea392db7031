#!/usr/bin/env python3
"""Build eval/medquad-brands.jsonl: questions that name a drug by its brand, judged
(silver) over MedQuAD by where the drug's generic name stands.

  python3 eval/brands.py [MEDQUAD_DIR] > eval/medquad-brands.jsonl

MedQuAD writes drugs by their generic names (sertraline, imatinib); people ask with
brand names (Zoloft, Gleevec). A key is each line of MedQuAD that names the generic
(grade 2): a passage that mentions the drug the person asked about. That measures
whether brand names reach the generic ones (`eval --disable drugs`), not how well
the rest of the question is answered. The brands below were picked by hand among
drugs that MedQuAD mentions; the judgments come from the corpus text alone.
"""
import json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("K2SEARCH_SHARED") or os.path.join(ROOT, "..", "shared")

QUESTIONS = [
    ("b01", "zoloft side effects", "sertraline"),
    ("b02", "advil and kidney problems", "ibuprofen"),
    ("b03", "what is gleevec used for", "imatinib"),
    ("b04", "plaquenil for lupus", "hydroxychloroquine"),
    ("b05", "is prozac used for depression in children", "fluoxetine"),
    ("b06", "aricept dementia", "donepezil"),
    ("b07", "rituxan treatment", "rituximab"),
    ("b08", "nolvadex breast cancer", "tamoxifen"),
    ("b09", "glucophage for diabetes", "metformin"),
    ("b10", "can tylenol damage the liver", "acetaminophen"),
    ("b11", "prilosec for heartburn", "omeprazole"),
    ("b12", "trexall for rheumatoid arthritis", "methotrexate"),
    ("b13", "rilutek als", "riluzole"),
    ("b14", "fosamax osteoporosis", "alendronate"),
]


def main():
    corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SHARED, "corpora", "medquad")
    files = []
    for dirpath, _, names in os.walk(corpus):
        for name in sorted(names):
            if name.endswith(".md"):
                full = os.path.join(dirpath, name)
                files.append((os.path.relpath(full, corpus), open(full, encoding="utf-8").read().split("\n")))
    files.sort()
    for qid, query, generic in QUESTIONS:
        word = re.compile(r"\b" + re.escape(generic) + r"\b", re.IGNORECASE)
        keys = []
        for rel, lines in files:
            hits = [i + 1 for i, line in enumerate(lines) if word.search(line) and not line.startswith("#")]
            # Front matter is not body text: skip lines before the closing '---'.
            body = [n for n in hits if n > front_matter_end(lines)]
            for n in body:
                keys.append({"file": os.path.basename(rel), "path": rel, "lines": [n], "grade": 2})
        print(json.dumps({"id": qid, "query": query, "type": "brand", "relevant": keys}))


def front_matter_end(lines):
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() == "---":
                return i + 1
    return 0


if __name__ == "__main__":
    main()
