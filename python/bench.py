"""Search latency from Python against the Rust library's in process (a benchmark, not a
test): the same index, the same queries, the same rounds, p50/p95/p99 of each.

    maturin develop --release          # or: pip install ./python (a release build)
    python python/bench.py [--index DIR] [--corpus DIR] [--queries FILE.jsonl] [--rounds N]
                           [--cargo-profile release|dev] [--python-only]

Defaults: MedQuAD (``$K2SEARCH_SHARED/corpora/medquad``, else ``../shared``) indexed
into a temporary folder once, and the LiveQA questions (``eval/liveqa-train.jsonl``).
The Rust side is ``examples/latency.rs`` (``cargo run --release --example latency``).
Prints a Markdown table; shared data is read in place, never copied.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Run as a script, its folder (python/: the package's sources without the built
# extension) would shadow the installed package.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import k2search  # noqa: E402

ROOT = HERE.parent


def shared() -> Path:
    for candidate in [os.environ.get("K2SEARCH_SHARED"), ROOT.parent / "shared", Path("/work/shared")]:
        if candidate and (Path(candidate) / "eval").is_dir():
            return Path(candidate)
    sys.exit("no shared data: set K2SEARCH_SHARED")


def percentile(values, q):
    values = sorted(values)
    return values[round((len(values) - 1) * q)]


def python_latency(index: Path, queries, rounds: int):
    searcher = k2search.Searcher(index)
    for q in queries:  # warm-up, as latency.rs does
        searcher.search(q)
    ms, engine = [], []
    for _ in range(rounds):
        for q in queries:
            started = time.perf_counter()
            response = searcher.search(q)
            hits = response.hits  # the typed hits, as a caller reads them
            ms.append((time.perf_counter() - started) * 1000)
            engine.append(response.took_ms)
            assert hits is not None
    # The binding's own cost: the call's wall time less the engine's time inside it.
    overhead = sorted(m - e for m, e in zip(ms, engine))
    return {"p50_ms": percentile(ms, 0.5), "p95_ms": percentile(ms, 0.95),
            "p99_ms": percentile(ms, 0.99), "max_ms": max(ms),
            "engine_p50_ms": percentile(engine, 0.5), "overhead_p50_ms": percentile(overhead, 0.5)}


def rust_latency(index: Path, queries_txt: Path, rounds: int, profile: str):
    out = subprocess.run(
        ["cargo", "run", "--quiet", "--profile", profile, "--example", "latency", "--",
         str(index), str(queries_txt), str(rounds)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="an index (default: MedQuAD, built once)")
    parser.add_argument("--corpus", type=Path, help="the corpus to index (default: MedQuAD)")
    parser.add_argument("--queries", type=Path, help="JSON Lines with a 'query' each (default: LiveQA)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--cargo-profile", default="release",
                        help="the Rust side's build, to match the extension's (dev: `maturin develop`)")
    parser.add_argument("--python-only", action="store_true",
                        help="skip the Rust side (e.g. with a dev build of the extension)")
    args = parser.parse_args()

    corpus = args.corpus or shared() / "corpora" / "medquad"
    queries_file = args.queries or shared() / "eval" / "liveqa-train.jsonl"
    queries = [json.loads(line)["query"] for line in queries_file.read_text().splitlines() if line.strip()]
    # latency.rs reads one query per line.
    queries = [" ".join(q.split()) for q in queries]
    index = args.index or Path(tempfile.gettempdir()) / "k2search-bench-medquad"
    if args.index is None:
        summary = k2search.index(corpus, index)
        print(f"# {summary}", file=sys.stderr)

    rows = []
    if not args.python_only:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
            f.write("\n".join(queries) + "\n")
        try:
            rows.append(("Rust in process (examples/latency.rs)", rust_latency(index, Path(f.name), args.rounds, args.cargo_profile)))
        finally:
            os.unlink(f.name)
    py = python_latency(index, queries, args.rounds)
    rows.append(("Python (k2search.Searcher)", py))

    print(f"{len(queries)} queries x {args.rounds} rounds over {index}\n")
    print("| | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, r in rows:
        print(f"| {name} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} |")
    print(f"\nPython: engine time p50 {py['engine_p50_ms']:.2f} ms, binding overhead p50 "
          f"{py['overhead_p50_ms']:.3f} ms (call wall time less the engine's took_ms)")
    if len(rows) == 2:
        print(f"Python p50 / Rust p50: {py['p50_ms'] / rows[0][1]['p50_ms']:.3f} (goal: at most 1.10)")


if __name__ == "__main__":
    main()
