#!/usr/bin/env python3
"""Write a list of distinct search queries, one per line, for the HTTP load benchmarks.

    python3 bench/queries.py OUT [--count 2000] [--seed 42]
                                 [--medquad DIR] [--liveqa FILE] [--eval FILE]

The queries are a deterministic mix of four sources, read in place (nothing is copied
into the repository; write OUT under /tmp):

  questions  consumer health questions of LiveQA (shared eval/liveqa-train.jsonl, field
             "query"): long, chatty, often several sentences; all of them are taken
  eval       the judged MedQuAD queries of this repository (eval/medquad-queries.jsonl,
             field "query"): short; all of them are taken
  titles     MedQuAD article titles (the front-matter `title:`, else the `# ` line)
  headings   MedQuAD section headings (the `#`/`##` lines: "What are the symptoms of
             Acromegaly ?", ...)

Titles and headings fill the rest of --count, half each, drawn with a seeded random
generator from the sorted, distinct candidates. Queries are whitespace-normalised to
one line and deduplicated case-insensitively (the first source in the order above
wins), then shuffled with the same seed, so the same inputs always give the same file.
The count by source goes to stderr. Standard library only.
"""

import argparse
import json
import os
import random
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The shared folder sits beside the repository (../shared), unless K2SEARCH_SHARED says
# otherwise.
SHARED = Path(os.environ.get("K2SEARCH_SHARED", REPO.parent / "shared"))

TITLE_LINE = re.compile(r'^title:\s*"?(.*?)"?\s*$')
HEADING_LINE = re.compile(r"^(#{1,2})\s+(.*\S)\s*$")


def clean(text):
    """One line of plain text: control characters and whitespace runs become one space."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def jsonl_queries(path):
    """The "query" field of every line of a JSONL file, in file order."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["query"] for line in f if line.strip()]


def medquad_titles_and_headings(root):
    """(titles, headings) of every Markdown article under root, in sorted path order."""
    titles, headings = [], []
    for path in sorted(Path(root).rglob("*.md")):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        title = None
        body = 0
        # YAML front matter between the first two `---` lines: take its title.
        if lines and lines[0].strip() == "---":
            for i in range(1, len(lines)):
                if lines[i].strip() == "---":
                    body = i + 1
                    break
                m = TITLE_LINE.match(lines[i])
                if m and title is None:
                    title = m.group(1)
        for line in lines[body:]:
            m = HEADING_LINE.match(line)
            if not m:
                continue
            if m.group(1) == "#" and title is None:
                title = m.group(2)
            headings.append(m.group(2))
        if title:
            titles.append(title)
    return titles, headings


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output file (one query per line); use /tmp")
    ap.add_argument("--count", type=int, default=2000, help="queries to write (default 2000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--medquad", default=os.environ.get("MEDQUAD") or SHARED / "corpora/medquad")
    ap.add_argument("--liveqa", default=SHARED / "eval/liveqa-train.jsonl")
    ap.add_argument("--eval", default=REPO / "eval/medquad-queries.jsonl")
    args = ap.parse_args()

    titles, headings = medquad_titles_and_headings(args.medquad)
    if not titles:
        sys.exit(f"queries.py: no Markdown articles under {args.medquad} (set --medquad or MEDQUAD)")
    sources = {
        "questions": jsonl_queries(args.liveqa),
        "eval": jsonl_queries(args.eval) if Path(args.eval).exists() else [],
        "titles": titles,
        "headings": headings,
    }

    rng = random.Random(args.seed)
    seen = set()
    picked = {name: [] for name in sources}

    def take(name, candidates, limit):
        """Add up to `limit` new distinct queries from candidates (in the given order)."""
        for query in candidates:
            if len(picked[name]) >= limit:
                break
            query = clean(query)
            key = query.casefold()
            if len(query) < 2 or key in seen:
                continue
            seen.add(key)
            picked[name].append(query)

    # All questions and eval queries; then titles and headings fill the rest, half each.
    # Candidates are deduplicated and sorted before the seeded shuffle, so the draw does
    # not depend on file-system order; headings take up whatever titles leave unfilled.
    take("questions", sources["questions"], args.count)
    take("eval", sources["eval"], args.count)
    rest = max(0, args.count - len(seen))
    for name, limit in (("titles", rest // 2), ("headings", args.count)):
        candidates = sorted(set(map(clean, sources[name])))
        rng.shuffle(candidates)
        take(name, candidates, min(limit, args.count - len(seen)))

    queries = [q for name in picked for q in picked[name]]
    rng.shuffle(queries)
    Path(args.out).write_text("".join(q + "\n" for q in queries), encoding="utf-8")

    counts = ", ".join(f"{name} {len(qs)}" for name, qs in picked.items())
    print(f"queries.py: {len(queries)} distinct queries to {args.out} ({counts})", file=sys.stderr)
    if len(queries) < args.count:
        print(f"queries.py: warning: asked for {args.count}, only {len(queries)} distinct", file=sys.stderr)


if __name__ == "__main__":
    main()
