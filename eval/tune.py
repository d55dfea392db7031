#!/usr/bin/env python3
"""Learn k2search's ranking weights on judged questions, with cross-validation.

  python3 eval/tune.py [--folds 5] [--write eval/params.json]

Three dev sets are used together, never one alone: the LiveQA-Med training questions
and our MedQuAD questions (over ../shared/corpora/medquad) and the seed queries (over
corpus/). The objective is the mean of the three sets' nDCG@10 (each set counts the
same, however many queries it has).

Search: coordinate ascent over a grid per weight, from the built-in defaults
(`Params::default()`), two passes. Cross-validation: the queries of every set are split
into folds (by a hash of their id); for each fold the weights are tuned on the other
folds and the held-out fold is ranked with them. The report gives, per set, the
held-out nDCG (every query ranked by weights that never saw it) beside the nDCG of
the defaults and of the weights tuned on everything. `--write` saves the weights tuned
on all queries: the binary bundles them (src/search/ranking.rs, `Params::learned`).

Semantic ranking: `--model DIR` builds the indexes with an embedding model, and
`--only semantic,semantic_pool,semantic_tokens --start eval/params.json` tunes the fusion weights alone,
from the learned lexical weights, so lexical ranking stays as it is. `--keep DIR` keeps
the indexes in DIR between runs (embedding MedQuAD takes minutes).

Needs the release binary (cargo build --release) and the shared data
(K2SEARCH_SHARED or ../shared).
"""
import argparse, hashlib, json, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("K2SEARCH_SHARED") or os.path.join(ROOT, "..", "shared")
BIN = os.environ.get("K2SEARCH_BIN") or os.path.join(ROOT, "target", "release", "k2search")

GRID = {
    "title": [0.25, 0.5, 1.0, 1.5, 2.0],
    "headings": [0.5, 0.7, 1.0, 1.3, 1.8],
    "aliases": [0.25, 0.5, 1.0, 1.5],
    "synonym": [0.3, 0.6, 0.9],
    "fuzzy": [0.5, 0.8, 1.0],
    "proximity": [0.0, 0.25, 0.5, 1.0],
    "category": [0.0, 0.05, 0.1, 0.15, 0.25, 0.4],
    "first_type": [0.0, 0.05, 0.1, 0.2, 0.3],
    "focus": [0.0, 0.1, 0.2, 0.3, 0.5, 0.8],
    "focus_part": [0.0, 0.05, 0.1, 0.2, 0.4],
    "focus_category": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
    "focus_word": [1.0, 1.5, 2.0, 3.0],
    "story": [0.1, 0.2, 0.3, 0.5, 1.0],
    "subject": [1.0, 1.25, 1.5, 2.0, 3.0],
    "max_words": [12, 16, 24, 40],
    "semantic": [0.5, 1.0, 1.5, 2.0, 3.0],
    "semantic_pool": [20, 50, 100],
    "semantic_tokens": [32, 64, 128],
}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


class Runner:
    """Runs the three sets under given weights; caches per-query nDCG by weights."""

    def __init__(self, tmp, model=None, keep=None):
        self.tmp = tmp
        self.cache = {}
        where = keep or tmp
        self.mq_index = os.path.join(where, "medquad-index")
        self.seed_index = os.path.join(where, "seed-index")
        with_model = ["--model", model] if model else []
        run([BIN, "index", "--quiet", "--corpus", os.path.join(SHARED, "corpora", "medquad"),
             "--index", self.mq_index] + with_model)
        run([BIN, "index", "--quiet", "--corpus", os.path.join(ROOT, "corpus"),
             "--index", self.seed_index] + with_model)
        self.mq_qrels = os.path.join(tmp, "medquad-sets.jsonl")
        self.sets = {}
        with open(self.mq_qrels, "w") as out:
            for name, path in [("liveqa", os.path.join(SHARED, "eval", "liveqa-train.jsonl")),
                               ("medquad", os.path.join(ROOT, "eval", "medquad-queries.jsonl"))]:
                for line in open(path):
                    if line.strip():
                        q = json.loads(line)
                        self.sets.setdefault(name, []).append(q["id"])
                        out.write(line if line.endswith("\n") else line + "\n")
        self.seed_qrels = os.path.join(SHARED, "eval", "seed-queries.jsonl")
        self.sets["seed"] = [json.loads(l)["id"] for l in open(self.seed_qrels) if l.strip()]

    def ndcg(self, params):
        key = json.dumps(params, sort_keys=True)
        if key not in self.cache:
            path = os.path.join(self.tmp, "params.json")
            with open(path, "w") as f:
                f.write(key)
            per = {}
            for index, qrels in [(self.mq_index, self.mq_qrels), (self.seed_index, self.seed_qrels)]:
                report = json.loads(run([BIN, "eval", "--json", "--params", path,
                                         "--index", index, qrels]))
                per.update({q["id"]: q["ndcg"] for q in report["per_query"]})
            self.cache[key] = per
        return self.cache[key]


def fold_of(qid, folds):
    return int(hashlib.sha1(qid.encode()).hexdigest(), 16) % folds


def objective(runner, params, ids_by_set):
    per = runner.ndcg(params)
    means = [sum(per[i] for i in ids) / len(ids) for ids in ids_by_set.values() if ids]
    return sum(means) / len(means)


def tune(runner, start, ids_by_set, passes=2, only=None):
    best = dict(start)
    best_score = objective(runner, best, ids_by_set)
    for _ in range(passes):
        improved = False
        for name, values in GRID.items():
            if only and name not in only:
                continue
            for v in values:
                trial = dict(best, **{name: v})
                score = objective(runner, trial, ids_by_set)
                if score > best_score + 1e-6:
                    best, best_score, improved = trial, score, True
        if not improved:
            break
    return best, best_score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--write", help="save the weights tuned on all queries here")
    ap.add_argument("--model", help="build the indexes with this embedding model")
    ap.add_argument("--keep", help="build (or update) the indexes in this folder and keep them")
    ap.add_argument("--start", help="start from these weights (JSON) instead of the defaults")
    ap.add_argument("--only", help="tune only these weights (comma-separated)")
    args = ap.parse_args()
    only = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory() as tmp:
        runner = Runner(tmp, args.model, args.keep)
        # Missing fields keep Params::default().
        start = json.load(open(args.start)) if args.start else {}
        base = runner.ndcg(start)
        held_out = {}
        for f in range(args.folds):
            train = {s: [i for i in ids if fold_of(i, args.folds) != f] for s, ids in runner.sets.items()}
            test = [i for ids in runner.sets.values() for i in ids if fold_of(i, args.folds) == f]
            params, score = tune(runner, start, train, args.passes, only)
            per = runner.ndcg(params)
            held_out.update({i: per[i] for i in test})
            print(f"fold {f}: train objective {score:.4f}, weights {json.dumps(params)}", file=sys.stderr)
        final, final_score = tune(runner, start, runner.sets, args.passes, only)
        per_final = runner.ndcg(final)
        rows = []
        for s, ids in runner.sets.items():
            mean = lambda per: sum(per[i] for i in ids) / len(ids)
            rows.append((s, len(ids), mean(base), mean(held_out), mean(per_final)))
        print("| set | queries | start | cross-validated (held-out folds) | tuned on all |")
        print("|---|---|---|---|---|")
        for s, n, b, h, a in rows:
            print(f"| {s} | {n} | {b:.3f} | {h:.3f} | {a:.3f} |")
        print(json.dumps(final, sort_keys=True))
        if args.write:
            with open(args.write, "w") as f:
                json.dump(final, f, indent=2, sort_keys=True)
                f.write("\n")


if __name__ == "__main__":
    main()
