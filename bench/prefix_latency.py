#!/usr/bin/env python3
"""In-process latency of search-box queries (issue 22): queries cut mid-word with prefix
search on and off, the same queries with the word whole, and the cost of facet counts,
in one run over one lexical MedQuAD index.

    cargo build --release --example latency
    target/release/k2search index --corpus ../shared/corpora/medquad --index /tmp/box-mq
    python3 bench/midword.py /tmp/cut.txt /tmp/full.txt
    python3 bench/prefix_latency.py target/release/examples/latency /tmp/box-mq \\
        /tmp/cut.txt /tmp/full.txt [--reps 3] [--rounds 3]

Each configuration is a run of examples/latency.rs (one warm-up round, then --rounds
rounds of every query); the configurations run in turn, --reps times over (A B C D E,
A B C D E, ...), so the machine's load falls on all alike. Prints one Markdown table:
the median over the repetitions of each run's p50, p95, p99 and max, and the load
average before and after. Standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess

CONFIGS = [
    # (name, query file key, prefix, facets)
    ("cut mid-word, prefix on", "cut", True, ""),
    ("cut mid-word, prefix off", "cut", False, ""),
    ("whole words, prefix on", "full", True, ""),
    ("whole words, prefix on, facets category,source", "full", True, "category,source"),
    ("cut mid-word, prefix on, facets category,source", "cut", True, "category,source"),
]


def load():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("latency", help="the release build of examples/latency.rs")
    ap.add_argument("index")
    ap.add_argument("cut")
    ap.add_argument("full")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    files = {"cut": args.cut, "full": args.full}
    before = load()
    runs = {name: [] for name, *_ in CONFIGS}
    for _ in range(args.reps):
        for name, key, prefix, facets in CONFIGS:
            env = dict(os.environ, K2SEARCH_LATENCY_MODE="lexical",
                       K2SEARCH_LATENCY_PREFIX="on" if prefix else "off",
                       K2SEARCH_LATENCY_FACETS=facets)
            out = subprocess.run([args.latency, args.index, files[key], str(args.rounds)],
                                 env=env, capture_output=True, text=True, check=True).stdout
            runs[name].append(json.loads(out))
    print("| queries | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|---:|")
    for name, *_ in CONFIGS:
        med = {k: statistics.median(r[k] for r in runs[name])
               for k in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}
        print(f"| {name} | {med['p50_ms']:.3f} | {med['p95_ms']:.3f} | {med['p99_ms']:.3f} "
              f"| {med['max_ms']:.3f} |")
    n = runs[CONFIGS[0][0]][0]["queries"]
    print(f"\n{n} queries, {args.rounds} rounds a run, median of {args.reps} runs a "
          f"configuration (in turn); load average {before} before, {load()} after; "
          f"{os.cpu_count()} cores")


if __name__ == "__main__":
    main()
