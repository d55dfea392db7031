#!/usr/bin/env python3
"""Baseline "stock pipeline a user would write": Python + tantivy-py.

Indexing mode (default):
    python3 bench/stock_pipeline.py [CORPUS_DIR] [INDEX_DIR]

    Walks CORPUS_DIR (default $K2SEARCH_SHARED/corpora/medquad, else ../shared/corpora/medquad) for *.md files,
    splits each file into section passages (YAML front matter skipped, one
    passage per `#`..`######` heading section, text before the first heading
    becomes an "intro" passage), indexes them with tantivy-py into INDEX_DIR
    (default: a fresh temp dir), commits and prints
        {"files": N, "passages": N, "seconds": S, ...}

Query mode ("plain tantivy en_stem BM25, no boosts" relevance baseline):
    python3 bench/stock_pipeline.py --query "insulin side effects" [CORPUS_DIR] [INDEX_DIR]
    python3 bench/stock_pipeline.py --queries-file queries.txt --json ...

    Opens INDEX_DIR if it already holds an index, otherwise builds it first
    (from CORPUS_DIR). Runs each query through tantivy's default query parser
    over title/headings/body (BM25, no field boosts) and prints the top 10
    hits (score, path, heading path). `--query` may be repeated.

Schema: title (text, stored, en_stem), headings (text, en_stem; stored so
that query mode can print it), body (text, stored, en_stem), path (stored,
raw-tokenized).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import tantivy

# The team's shared data: $K2SEARCH_SHARED, else ../shared beside the repository.
DEFAULT_CORPUS = os.path.join(
    os.environ.get("K2SEARCH_SHARED")
    or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"),
    "corpora",
    "medquad",
)
SEARCH_FIELDS = ["title", "headings", "body"]


def build_schema():
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("headings", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("path", stored=True, tokenizer_name="raw")
    return sb.build()


def _unquote(value):
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        if value[0] == '"':
            try:
                return json.loads(value)
            except ValueError:
                pass
        return value[1:-1]
    return value


def split_markdown(text):
    """Return (title, [(heading_path_list, body_text), ...])."""
    lines = text.split("\n")
    start = 0
    title = None
    # YAML front matter: '---' on the first line up to the next '---'.
    if lines and lines[0].strip() == "---":
        for i in range(1, len(lines)):
            if lines[i].strip() in ("---", "..."):
                start = i + 1
                break
            if lines[i].startswith("title:"):
                title = _unquote(lines[i][len("title:"):])
    passages = []
    stack = []  # [(level, heading)]
    buf = []
    first_h1 = None

    def flush():
        body = "\n".join(buf).strip()
        if body:
            passages.append(([h for _, h in stack], body))
        buf.clear()

    for line in lines[start:]:
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            rest = line[level:]
            if 1 <= level <= 6 and (rest == "" or rest[0] in " \t"):
                flush()
                heading = rest.strip().rstrip("#").strip()
                while stack and stack[-1][0] >= level:
                    stack.pop()
                stack.append((level, heading))
                if level == 1 and first_h1 is None:
                    first_h1 = heading
                continue
        buf.append(line)
    flush()
    if not title:
        title = first_h1 or ""
    return title, passages


def iter_markdown_files(root):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if name.endswith(".md"):
                yield os.path.join(dirpath, name)


def build_index(corpus, index_dir):
    t0 = time.perf_counter()
    schema = build_schema()
    index = tantivy.Index(schema, path=index_dir)
    writer = index.writer()  # defaults: 128 MB heap, auto thread count
    files = passages = 0
    for full in iter_markdown_files(corpus):
        with open(full, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        title, parts = split_markdown(text)
        rel = os.path.relpath(full, corpus)
        files += 1
        for headings, body in parts:
            writer.add_document(tantivy.Document(
                title=title,
                headings=" > ".join(headings),
                body=body,
                path=rel,
            ))
            passages += 1
    writer.commit()
    writer.wait_merging_threads()
    seconds = time.perf_counter() - t0
    return index, {"files": files, "passages": passages,
                   "seconds": round(seconds, 3)}


def dir_size(path):
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for n in filenames:
            try:
                total += os.path.getsize(os.path.join(dirpath, n))
            except OSError:
                pass
    return total


def run_query(index, searcher, q, k=10):
    try:
        query = index.parse_query(q, SEARCH_FIELDS)
    except ValueError:
        # Queries with stray syntax characters: fall back to the lenient parser.
        query, _errors = index.parse_query_lenient(q, SEARCH_FIELDS)
    result = searcher.search(query, k)
    hits = []
    for score, addr in result.hits:
        doc = searcher.doc(addr)
        hits.append({
            "score": round(score, 4),
            "path": doc.get_first("path"),
            "title": doc.get_first("title"),
            "headings": doc.get_first("headings"),
        })
    return hits


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="?", default=DEFAULT_CORPUS)
    ap.add_argument("index_dir", nargs="?", default=None,
                    help="index directory (default: a new temp dir)")
    ap.add_argument("--query", action="append", default=[],
                    help="run a BM25 query (repeatable) instead of only indexing")
    ap.add_argument("--queries-file",
                    help="file with one query per line (query mode)")
    ap.add_argument("-k", type=int, default=10, help="hits per query")
    ap.add_argument("--json", action="store_true",
                    help="query mode: print one JSON object per query")
    args = ap.parse_args()

    queries = list(args.query)
    if args.queries_file:
        with open(args.queries_file, encoding="utf-8") as fh:
            queries += [l.strip() for l in fh if l.strip()]

    index_dir = args.index_dir or tempfile.mkdtemp(prefix="stock-tantivy-")
    os.makedirs(index_dir, exist_ok=True)

    if not queries:
        if os.listdir(index_dir):
            sys.exit(f"index dir {index_dir} is not empty; give an empty or new dir")
        _, stats = build_index(args.corpus, index_dir)
        stats["index_bytes"] = dir_size(index_dir)
        stats["index_dir"] = index_dir
        stats["tantivy"] = getattr(tantivy, "__version__", "?")
        print(json.dumps(stats))
        return

    if tantivy.Index.exists(index_dir):
        index = tantivy.Index.open(index_dir)
    else:
        index, stats = build_index(args.corpus, index_dir)
        print(json.dumps(stats), file=sys.stderr)
    index.reload()
    searcher = index.searcher()
    for q in queries:
        hits = run_query(index, searcher, q, args.k)
        if args.json:
            print(json.dumps({"query": q, "hits": hits}))
            continue
        print(f"## {q}")
        for rank, h in enumerate(hits, 1):
            print(f"{rank:2d}. {h['score']:8.3f}  {h['path']}  | {h['headings']}")
        print()


if __name__ == "__main__":
    main()
