#!/usr/bin/env python3
"""Learn k2search's ranking weights on the five dev sets, leave-one-set-out.

  python3 eval/tune.py [--passes 2] [--write lexicon/ranking.json] [--keep DIR]
                       [--model DIR] [--only w1,w2] [--start FILE] [--max-loss 0.005]

The five development sets are three kinds of text (../shared/eval/README.md):

  liveqa   LiveQA-Med training questions over MedQuAD (silver)
  medquad  our MedQuAD questions (eval/medquad-queries.jsonl and, asking by brand
           name, eval/medquad-brands.jsonl)
  mediqa   MEDIQA 2019 dev questions over their pooled, expert-graded answers
  nfcorpus NFCorpus dev queries over PubMed abstracts (no headings)
  seed     the seed queries over the bundled corpus

The objective is the macro-average of the sets' nDCG@10 (each set counts the same,
however many queries it has). Search: coordinate ascent over a grid per weight,
`--passes` passes, from a neutral start that no set was learned on (NEUTRAL below:
no lifts, every word and field weighed alike, no fusion), so that a fold's weights
owe nothing to the set it leaves out. A change is kept only when it gains more than
`--min-gain` on the objective: a weight that moves nDCG by less is noise on sets of
16 to 324 queries. With `--max-loss L`, a change that lowers any one of the sets
learned on by more than L is refused however much the average gains: a rule that
helps one corpus and hurts another is a bug, not a trade.

Generalization is measured leave-one-set-out: for each set, the weights are learned
on the other four and the fifth is scored with them; a weight that helps only the
corpus it was learned on shows up as a gap between that score and the set's
in-sample score (weights learned on all five). The report has both per set, and
the weights of every fold. `--write` saves the weights learned on all five: the
binary bundles that file (its one source of weights, `Params::default`).

Semantic ranking: `--model DIR` builds the indexes with an embedding model (MedQuAD
takes minutes: `--keep DIR` keeps the indexes between runs) and tunes the semantic
weights too; without it they are left as they are.

Needs the release binary (cargo build --release) and the shared data
(K2SEARCH_SHARED or ../shared).
"""
import argparse, json, os, subprocess, sys, tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("K2SEARCH_SHARED") or os.path.join(ROOT, "..", "shared")
BIN = os.environ.get("K2SEARCH_BIN") or os.path.join(ROOT, "target", "release", "k2search")
SHIPPED = os.path.join(ROOT, "lexicon", "ranking.json")

# name -> (corpus, judgment files)
SETS = {
    "liveqa": (os.path.join(SHARED, "corpora", "medquad"), [os.path.join(SHARED, "eval", "liveqa-train.jsonl")]),
    "medquad": (os.path.join(SHARED, "corpora", "medquad"), [os.path.join(ROOT, "eval", "medquad-queries.jsonl"),
                                                            os.path.join(ROOT, "eval", "medquad-brands.jsonl")]),
    "mediqa": (os.path.join(SHARED, "corpora", "mediqa-dev"), [os.path.join(SHARED, "eval", "mediqa-dev.jsonl")]),
    "nfcorpus": (os.path.join(SHARED, "corpora", "nfcorpus"), [os.path.join(SHARED, "eval", "nfcorpus-dev.jsonl")]),
    "seed": (os.path.join(ROOT, "corpus"), [os.path.join(SHARED, "eval", "seed-queries.jsonl")]),
}

GRID = {
    "title": [0.5, 1.0, 1.5, 2.0],
    "headings": [0.7, 1.0, 1.3, 1.8],
    "aliases": [0.25, 0.5, 1.0],
    "synonym": [0.3, 0.6, 0.9],
    "drug": [0.6, 1.0],
    "fuzzy": [0.5, 0.8, 1.0],
    "proximity": [0.0, 0.25, 0.5, 1.0],
    "category": [0.0, 0.05, 0.1, 0.15, 0.25],
    "first_type": [0.0, 0.05, 0.1],
    "focus": [0.0, 0.1, 0.2, 0.3, 0.5],
    "focus_part": [0.0, 0.05, 0.1, 0.2],
    "focus_category": [0.0, 0.1, 0.2, 0.3],
    "focus_word": [1.0, 1.25, 1.5, 2.0],
    "story": [0.3, 0.5, 0.75, 1.0],
    "subject": [1.0, 1.5, 2.0],
    "max_words": [16, 24, 40],
}
# The start of every search: BM25 over the fields alike, with the stop words,
# synonyms, corrections and proximity of the plain ranking, and no question analysis.
# The fusion weight `plain` is set, not learned: it is what keeps the plain ranking's
# answers near the top when the analysis reads a question wrong, a guarantee for
# questions unlike the dev sets. Learned, it wanders between 0 and 1.5 from fold to
# fold for differences below 0.003 of the objective (measured 2026-12-02).
NEUTRAL = {
    "title": 1.0, "headings": 1.0, "aliases": 1.0, "synonym": 0.6, "drug": 1.0,
    "fuzzy": 0.8, "proximity": 0.5, "plain": 0.6, "category": 0.0, "first_type": 0.0,
    "focus": 0.0, "focus_part": 0.0, "focus_category": 0.0, "focus_word": 1.0,
    "story": 1.0, "subject": 1.0, "max_words": 40,
}
SEMANTIC_GRID = {
    "semantic": [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0],
    "semantic_pool": [20, 50, 100],
    "semantic_tokens": [32, 64, 128],
    "semantic_body": [0.0, 0.25, 0.5, 1.0],
    "semantic_windows": [0.0, 0.5, 1.0, 2.0],
}


def run(cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


class Runner:
    """Runs the five sets under given weights; caches per-query nDCG by weights."""

    def __init__(self, where, model=None):
        self.tmp = where
        self.cache = {}
        with_model = ["--model", model] if model else []
        self.index = {}
        for corpus in sorted({c for c, _ in SETS.values()}):
            index = os.path.join(where, os.path.basename(corpus.rstrip("/")) + "-index")
            run([BIN, "index", "--quiet", "--corpus", corpus, "--index", index] + with_model)
            self.index[corpus] = index
        self.ids, self.qrels = {}, {}
        for name, (_, files) in SETS.items():
            lines = [l.rstrip("\n") for f in files for l in open(f) if l.strip()]
            self.ids[name] = [json.loads(l)["id"] for l in lines]
            self.qrels[name] = os.path.join(where, f"{name}-judgments.jsonl")
            with open(self.qrels[name], "w") as out:
                out.write("\n".join(lines) + "\n")

    def eval_set(self, name, path):
        corpus = SETS[name][0]
        report = json.loads(run([BIN, "eval", "--json", "--params", path,
                                 "--index", self.index[corpus], self.qrels[name]]))
        return name, {q["id"]: q["ndcg"] for q in report["per_query"]}

    def ndcg(self, params):
        """Per set: per-query nDCG@10 under `params` (a dict over the shipped weights)."""
        key = json.dumps(params, sort_keys=True)
        if key not in self.cache:
            path = os.path.join(self.tmp, f"params-{len(self.cache)}.json")
            with open(path, "w") as f:
                f.write(key)
            with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
                self.cache[key] = dict(pool.map(lambda n: self.eval_set(n, path), SETS))
            os.remove(path)
        return self.cache[key]

    def scores(self, params):
        """Mean nDCG@10 of each set."""
        per = self.ndcg(params)
        return {s: sum(per[s].values()) / len(per[s]) for s in SETS}


def objective(runner, params, sets):
    scores = runner.scores(params)
    return sum(scores[s] for s in sets) / len(sets)


def tune(runner, start, sets, grid, passes, min_gain, max_loss):
    best = dict(start)
    best_score = objective(runner, best, sets)
    for _ in range(passes):
        improved = False
        for name, values in grid.items():
            for v in values:
                trial = dict(best, **{name: v})
                score = objective(runner, trial, sets)
                # A change that costs one set more than `max_loss` is a rule that helps
                # one corpus and hurts another: refused, whatever the average gains.
                before, after = runner.scores(best), runner.scores(trial)
                hurts = any(after[s] < before[s] - max_loss for s in sets)
                if score > best_score + min_gain and not hurts:
                    best, best_score, improved = trial, score, True
        if not improved:
            break
    return best, best_score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--write", help="save the weights learned on all five sets here")
    ap.add_argument("--model", help="build the indexes with this embedding model (tunes the semantic weights too)")
    ap.add_argument("--keep", help="build (or update) the indexes in this folder and keep them")
    ap.add_argument("--start", help="start from these weights (JSON over the neutral start; 'shipped' for lexicon/ranking.json)")
    ap.add_argument("--min-gain", type=float, default=0.001, help="least objective gain a change must bring")
    ap.add_argument("--only", help="tune only these weights (comma-separated)")
    ap.add_argument("--max-loss", type=float, default=0.005,
                    help="refuse a change that lowers any set's nDCG@10 by more than this "
                         "(0.005; 'inf' turns the check off)")
    args = ap.parse_args()
    grid = dict(GRID, **(SEMANTIC_GRID if args.model else {}))
    if args.only:
        grid = {k: v for k, v in grid.items() if k in args.only.split(",")}
    start = json.load(open(SHIPPED))
    if args.start == "shipped":
        pass
    else:
        start.update(NEUTRAL)
        if args.start:
            start.update(json.load(open(args.start)))
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or tmp
        os.makedirs(where, exist_ok=True)
        runner = Runner(where, args.model)
        runner.tmp = tmp
        base = runner.scores(start)
        held_out = {}
        for s in SETS:
            others = [o for o in SETS if o != s]
            params, score = tune(runner, start, others, grid, args.passes, args.min_gain, args.max_loss)
            held_out[s] = runner.scores(params)[s]
            changed = {k: v for k, v in params.items() if start.get(k) != v}
            print(f"without {s}: objective on the other four {score:.4f}, {s} held out "
                  f"{held_out[s]:.4f}, changed {json.dumps(changed, sort_keys=True)}", file=sys.stderr)
        final, final_score = tune(runner, start, list(SETS), grid, args.passes, args.min_gain, args.max_loss)
        in_sample = runner.scores(final)
        print(f"start: {json.dumps({k: start[k] for k in sorted(grid)}, sort_keys=True)}", file=sys.stderr)
        print("| set | queries | start | in-sample (learned on all five) | leave-one-set-out | gap |")
        print("|---|---|---|---|---|---|")
        for s in SETS:
            print(f"| {s} | {len(runner.ids[s])} | {base[s]:.3f} | {in_sample[s]:.3f} | "
                  f"{held_out[s]:.3f} | {in_sample[s] - held_out[s]:+.3f} |")
        macro = lambda d: sum(d.values()) / len(d)
        print(f"| macro-average | | {macro(base):.3f} | {macro(in_sample):.3f} | {macro(held_out):.3f} | "
              f"{macro(in_sample) - macro(held_out):+.3f} |")
        print(json.dumps(final, sort_keys=True))
        if args.write:
            with open(args.write, "w") as f:
                json.dump(final, f, indent=2, sort_keys=True)
                f.write("\n")


if __name__ == "__main__":
    main()
