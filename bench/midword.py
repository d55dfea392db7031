#!/usr/bin/env python3
"""Write search-box queries cut mid-word, and the same queries with the word whole, for
the prefix benchmarks (bench/prefix-latency.sh, bench/serve-vs-typesense.sh).

    python3 bench/midword.py CUT.txt FULL.txt [--count 1000] [--seed 22] [--medquad DIR]

The queries are MedQuAD titles and headings (bench/queries.py reads them), trailing
punctuation dropped, whose last word has at least 4 letters; the last word is cut at a
random point leaving at least 3 letters and at least one out (`What are the symptoms of
Acromeg`). Line i of FULL.txt is line i of CUT.txt with the word whole. Drawn with a
seeded random generator from the sorted, distinct candidates, so the same corpus always
gives the same files. Standard library only.
"""

import argparse
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from queries import SHARED, clean, medquad_titles_and_headings  # noqa: E402

LAST_WORD = re.compile(r"^(.*?)([A-Za-z]{4,})[^A-Za-z0-9]*$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cut", help="output: queries cut mid-word, one per line (use /tmp)")
    ap.add_argument("full", help="output: the same queries, the last word whole")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=22)
    ap.add_argument("--medquad", default=SHARED / "corpora/medquad")
    args = ap.parse_args()

    titles, headings = medquad_titles_and_headings(args.medquad)
    candidates = sorted({clean(q) for q in titles + headings})
    rng = random.Random(args.seed)
    rng.shuffle(candidates)
    cut, full, seen = [], [], set()
    for query in candidates:
        m = LAST_WORD.match(query)
        if not m:
            continue
        head, word = m.group(1), m.group(2)
        typed = head + word[: rng.randint(3, len(word) - 1)]
        if typed.casefold() in seen:
            continue
        seen.add(typed.casefold())
        cut.append(typed)
        full.append(head + word)
        if len(cut) == args.count:
            break
    Path(args.cut).write_text("".join(q + "\n" for q in cut), encoding="utf-8")
    Path(args.full).write_text("".join(q + "\n" for q in full), encoding="utf-8")
    print(f"midword.py: {len(cut)} queries to {args.cut} and {args.full}", file=sys.stderr)


if __name__ == "__main__":
    main()
