#!/usr/bin/env python3
"""Whole-process measurements for BENCHMARKS.md (driven by bench/run.sh).

    python3 bench/measure.py core  CORPUS K2SEARCH LATENCY_BIN WORKDIR [RUNS]
    python3 bench/measure.py scale CORPUS K2SEARCH LATENCY_BIN WORKDIR MEMORY_MB

core: index build vs the stock pipeline (bench/stock_pipeline.py), RUNS runs each,
interleaved so both see the same machine load; incremental re-index of one changed
file (on a copy of CORPUS in WORKDIR); cold CLI query vs `rg -i -l`; in-process
latency. scale: one index build of CORPUS with a bounded writer budget, then
in-process latency. Prints Markdown tables and a JSON line of the raw numbers.
Timings: wall clock from process start to exit; peak RSS from /usr/bin/time -v.
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = [q.strip() for q in open(os.path.join(HERE, "queries.txt")) if q.strip()]


def timed(cmd, **kw):
    """(seconds, peak RSS in MB, stdout) of one process run under /usr/bin/time -v."""
    started = time.perf_counter()
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, **kw)
    seconds = time.perf_counter() - started
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1))
    return seconds, rss / 1024, p.stdout


def wall(cmd):
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def du_mb(path):
    total = 0
    for root, _, files in os.walk(path):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    return total / 1e6


def corpus_mb(path):
    return du_mb(path)


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, round((len(values) - 1) * q))]


def build_k2(k2, corpus, index, memory_mb=None):
    shutil.rmtree(index, ignore_errors=True)
    cmd = [k2, "index", "--quiet", "--corpus", corpus, "--index", index]
    if memory_mb:
        cmd += ["--memory-mb", str(memory_mb)]
    seconds, rss, out = timed(cmd)
    passages = int(re.search(r"(\d+) passages", out).group(1))
    return {"seconds": seconds, "rss_mb": rss, "passages": passages, "index_mb": du_mb(index)}


def build_stock(corpus, index):
    shutil.rmtree(index, ignore_errors=True)
    seconds, rss, out = timed([sys.executable, os.path.join(HERE, "stock_pipeline.py"), corpus, index])
    stats = json.loads(out.strip().splitlines()[-1])
    return {"seconds": seconds, "rss_mb": rss, "passages": stats["passages"], "index_mb": du_mb(index)}


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def latency(bin_, index, rounds):
    out = subprocess.run([bin_, index, os.path.join(HERE, "queries.txt"), str(rounds)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def core(corpus, k2, lat_bin, work, runs):
    mb = corpus_mb(corpus)
    k2_idx, stock_idx = os.path.join(work, "k2-index"), os.path.join(work, "stock-index")
    k2_runs, stock_runs = [], []
    for _ in range(runs):
        k2_runs.append(build_k2(k2, corpus, k2_idx))
        stock_runs.append(build_stock(corpus, stock_idx))
    rows = []
    for name, rs in (("k2search", k2_runs), ("stock (Python + tantivy-py)", stock_runs)):
        s = median_of(rs, "seconds")
        rows.append((name, s, mb / s, rs[0]["passages"] / s, median_of(rs, "rss_mb"), rs[0]["index_mb"]))
    ratio = rows[0][1] / rows[1][1]
    print(f"\n### Index build ({mb:.1f} MB, median of {runs} runs each, interleaved)\n")
    print("| pipeline | wall s | MB/s | passages/s | peak RSS MB | index MB |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]:.2f} | {r[2]:.1f} | {r[3]:.0f} | {r[4]:.0f} | {r[5]:.1f} |")
    print(f"\nk2search / stock time: **{ratio:.2f}x**; all runs k2search "
          f"{[round(r['seconds'], 2) for r in k2_runs]}, stock {[round(r['seconds'], 2) for r in stock_runs]}")

    # Incremental: one changed file after a full build, on a private copy.
    copy = os.path.join(work, "corpus-copy")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(corpus, copy)
    inc_idx = os.path.join(work, "inc-index")
    build_k2(k2, copy, inc_idx)
    victim = None
    for root, _, files in os.walk(copy):
        for f in sorted(files):
            if f.endswith(".md"):
                victim = os.path.join(root, f)
                break
        if victim:
            break
    inc = []
    for i in range(5):
        with open(victim, "a") as fh:
            fh.write(f"\n\nEdited paragraph {i} about insulin.\n")
        seconds, rss, out = timed([k2, "index", "--quiet", "--corpus", copy, "--index", inc_idx])
        assert "1 indexed" in out, out
        inc.append(seconds)
    print(f"\n### Incremental (one changed file of {mb:.0f} MB, 5 runs)\n")
    print(f"median **{statistics.median(inc):.3f} s** (runs {[round(x, 3) for x in inc]})")

    # Cold CLI query vs ripgrep, 20 queries, 5 runs each; per-query medians.
    k2_q, rg_q = [], []
    for q in QUERIES:
        k2_t = [wall([k2, "query", "--index", k2_idx, "--json", q]) for _ in range(5)]
        rg_t = [wall(["rg", "-i", "-l", q, corpus]) for _ in range(5)]
        k2_q.append(statistics.median(k2_t))
        rg_q.append(statistics.median(rg_t))
    print(f"\n### Cold CLI query ({len(QUERIES)} queries x 5 runs, process start to exit)\n")
    print("| command | median ms | p95 ms |")
    print("|---|---|---|")
    print(f"| k2search query --index --json | {statistics.median(k2_q)*1e3:.1f} | {pct(k2_q, .95)*1e3:.1f} |")
    print(f"| rg -i -l QUERY corpus | {statistics.median(rg_q)*1e3:.1f} | {pct(rg_q, .95)*1e3:.1f} |")
    q_ratio = statistics.median(k2_q) / statistics.median(rg_q)
    print(f"\nk2search / ripgrep median: **{q_ratio:.2f}x**")

    lat = latency(lat_bin, k2_idx, 50)
    print(f"\n### In-process latency ({lat['queries']} queries x {lat['rounds']} rounds)\n")
    print(f"p50 **{lat['p50_ms']:.3f} ms**, p95 {lat['p95_ms']:.3f} ms, p99 **{lat['p99_ms']:.3f} ms**, max {lat['max_ms']:.3f} ms")
    print(json.dumps({"k2": k2_runs, "stock": stock_runs, "index_ratio": ratio, "incremental": inc,
                      "k2_query": k2_q, "rg_query": rg_q, "query_ratio": q_ratio, "latency": lat}))
    shutil.rmtree(copy, ignore_errors=True)


def scale(corpus, k2, lat_bin, work, memory_mb):
    idx = os.path.join(work, "scale-index")
    r = build_k2(k2, corpus, idx, memory_mb)
    lat = latency(lat_bin, idx, 10)
    mb = corpus_mb(corpus)
    print(f"| {os.path.basename(corpus)} | {mb:.0f} | {r['passages']} | {r['seconds']:.1f} | "
          f"{mb / r['seconds']:.1f} | {r['rss_mb']:.0f} | {r['index_mb']:.0f} | "
          f"{lat['p50_ms']:.2f} | {lat['p99_ms']:.2f} |")
    print(json.dumps({"corpus": corpus, "build": r, "latency": lat, "memory_mb": memory_mb}))
    shutil.rmtree(idx, ignore_errors=True)


if __name__ == "__main__":
    mode, corpus, k2, lat_bin, work = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    if mode == "core":
        core(corpus, k2, lat_bin, work, int(sys.argv[6]) if len(sys.argv) > 6 else 3)
    else:
        scale(corpus, k2, lat_bin, work, int(sys.argv[6]))
