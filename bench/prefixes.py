#!/usr/bin/env python3
"""Prefix search (issue 22): 30 words cut mid-word, each with the MedQuAD article it
should find; counts those whose article is in the top 3. A benchmark, not a test.

    k2search index --corpus ../shared/corpora/medquad --index /tmp/k2-medquad
    python3 bench/prefixes.py target/release/k2search /tmp/k2-medquad

The prefixes and their articles (title words, lower case) were written before measuring;
five drug names (metformin, ibuprofen, atorvastatin, lisinopril, amoxicillin) were then
replaced by condition names, as this MedQuAD has no drug articles (no MPlusDrugs).
"""
import json, subprocess, sys

PREFIXES = [
    ("warf", "warfarin"), ("endometri", "endometriosis"), ("osteopor", "osteoporosis"),
    ("shing", "shingles"), ("glauc", "glaucoma"), ("asth", "asthma"),
    ("diabe", "diabetes"), ("alzhei", "alzheimer"), ("parkin", "parkinson"),
    ("migra", "migraine"), ("psoria", "psoriasis"), ("anemi", "anemia"),
    ("hepatit", "hepatitis"), ("leukem", "leukemia"), ("lupu", "lupus"),
    ("gout", "gout"), ("epilep", "epilepsy"), ("insomn", "insomnia"),
    ("tinnit", "tinnitus"), ("scabi", "scabies"), ("cataract", "cataract"),
    ("fibromy", "fibromyalgia"), ("schizo", "schizophrenia"), ("tubercul", "tuberculosis"),
    ("pneumon", "pneumonia"), ("arthri", "arthritis"), ("melano", "melanoma"),
    ("dement", "dementia"), ("cirrho", "cirrhosis"), ("heartbu", "heartburn"),
]


def main(k2search, index):
    found = 0
    for prefix, article in PREFIXES:
        out = subprocess.run([k2search, "query", "--index", index, "--json", "--limit", "3", prefix],
                             capture_output=True, text=True).stdout
        titles = [h.get("title", "") for h in json.loads(out).get("hits", [])]
        ok = any(article in t.lower() for t in titles)
        found += ok
        print(("ok " if ok else "-- ") + f"{prefix!r} -> {article}: {titles}")
    print(f"{found} of {len(PREFIXES)} prefixes put their article in the top 3")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
