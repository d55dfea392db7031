#!/usr/bin/env python3
"""Load `k2search export` passages into a running Typesense server (bench/typesense.sh).

    python3 bench/typesense_load.py EXPORT.ndjson --url http://127.0.0.1:PORT --api-key KEY
                                    [--collection passages] [--batch 1000]

(Re)creates the collection with the searchable fields of a k2search passage (title,
headings, text; the passage id is the document id), converts each exported passage to a
Typesense document, imports them in JSONL batches through the import endpoint (checking
every per-document result), then waits until the collection holds as many documents as
the export has passages. The other passage fields (path, kind, category, lines, aliases,
source, url) are stored unindexed, as Typesense does for fields outside the schema, so a
hit carries the same citation data as a k2search hit. Standard library only.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.request

SCHEMA_FIELDS = [
    {"name": "title", "type": "string"},
    {"name": "headings", "type": "string[]"},
    {"name": "text", "type": "string"},
]


def call(args, method, path, body=None, content_type="application/json", ok404=False):
    """One API call; returns the response body as text (None for a tolerated 404)."""
    req = urllib.request.Request(args.url.rstrip("/") + path, data=body, method=method,
                                 headers={"X-TYPESENSE-API-KEY": args.api_key,
                                          "Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:
            return resp.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        if ok404 and e.code == 404:
            return None
        sys.exit(f"typesense_load.py: {method} {path}: HTTP {e.code}: {e.read()[:500]!r}")


def document(passage):
    """A Typesense document from one `k2search export` line."""
    meta = passage.get("metadata") or {}
    return {
        "id": passage["id"],
        "title": passage.get("title") or "",
        "headings": passage.get("headings") or [],
        "text": passage.get("text") or "",
        # Stored, not indexed (outside the schema): the citation data of a hit.
        "path": passage.get("path"),
        "kind": passage.get("kind"),
        "category": passage.get("category"),
        "line_start": passage.get("line_start"),
        "line_end": passage.get("line_end"),
        "aliases": passage.get("aliases") or [],
        "source": meta.get("source"),
        "url": meta.get("url"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("export", help="NDJSON written by `k2search export`")
    ap.add_argument("--url", required=True)
    ap.add_argument("--api-key", required=True)
    ap.add_argument("--collection", default="passages")
    ap.add_argument("--batch", type=int, default=1000, help="documents per import request")
    args = ap.parse_args()

    coll = args.collection
    call(args, "DELETE", f"/collections/{coll}", ok404=True)
    call(args, "POST", "/collections",
         json.dumps({"name": coll, "fields": SCHEMA_FIELDS}).encode())

    started = time.monotonic()
    total = 0
    with open(args.export, encoding="utf-8") as f:
        batch = []

        def flush():
            body = "\n".join(json.dumps(d, ensure_ascii=False) for d in batch).encode()
            out = call(args, "POST", f"/collections/{coll}/documents/import?action=create",
                       body, content_type="text/plain")
            results = [json.loads(line) for line in out.splitlines() if line.strip()]
            bad = [r for r in results if not r.get("success")]
            if bad or len(results) != len(batch):
                sys.exit(f"typesense_load.py: {len(bad)} of {len(batch)} documents failed, e.g. {bad[:2]}")
            batch.clear()

        for line in f:
            if line.strip():
                batch.append(document(json.loads(line)))
                total += 1
                if len(batch) >= args.batch:
                    flush()
        if batch:
            flush()

    # Imports are synchronous, but check the count the way a reader sees it.
    deadline = time.monotonic() + 120
    while True:
        count = json.loads(call(args, "GET", f"/collections/{coll}"))["num_documents"]
        if count == total:
            break
        if time.monotonic() > deadline:
            sys.exit(f"typesense_load.py: {count} documents indexed, expected {total}")
        time.sleep(0.5)
    print(f"typesense_load.py: {count} passages in collection {coll} "
          f"in {time.monotonic() - started:.1f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
