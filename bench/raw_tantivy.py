#!/usr/bin/env python3
"""The indexing floor: raw tantivy (tantivy-py) on passages already split.

    python3 bench/raw_tantivy.py PASSAGES.ndjson [INDEX_DIR]

Reads the passages that `k2search export --format ndjson` wrote (so the splitting is
k2search's own and costs nothing here), then times only the indexing: the same schema
as bench/stock_pipeline.py (title, headings, body with `en_stem`, path raw; all
stored), the default writer (128 MB heap, automatic threads), one commit. Prints
    {"passages": N, "seconds": S}
The JSON is parsed before the clock starts. INDEX_DIR defaults to a fresh temp dir.
"""
import json
import sys
import tempfile
import time

import tantivy

from stock_pipeline import build_schema  # the same schema as the stock pipeline


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8") as f:
        passages = [json.loads(line) for line in f if line.strip()]
    index_dir = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="raw-tantivy-")
    schema = build_schema()
    started = time.perf_counter()
    index = tantivy.Index(schema, path=index_dir)
    writer = index.writer()
    for p in passages:
        writer.add_document(
            tantivy.Document(
                title=p["title"],
                headings=" / ".join(p["headings"]),
                body=p["text"],
                path=p["path"],
            )
        )
    writer.commit()
    writer.wait_merging_threads()
    print(json.dumps({"passages": len(passages), "seconds": round(time.perf_counter() - started, 3)}))


if __name__ == "__main__":
    main()
