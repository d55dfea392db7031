#!/usr/bin/env python3
"""Synthetic health corpus generator for k2search scale tests.

    python3 bench/gen_corpus.py --factor 60 --out /tmp/k2-synth-60x
    python3 bench/gen_corpus.py --factor 1 --out /tmp/k2-synth-1x --jobs 2

Reads MedQuAD-style Markdown (front matter with title/source/url[/synonyms],
`# Title`, `## Question` sections) from --source and writes `--factor` rounds
of synthetic articles under --out (which must lie outside the repository):

    OUT/r000/<SOURCE>/<stem>.md, OUT/r001/<SOURCE>/<stem>.md, ...

Each round rewrites every source article once, so the output has about
factor x the source's files, sections and bytes. Per article and round:
  * the title gets a varied qualifier (round 0 keeps the original title);
  * each `## ` section is either the article's own or, with probability
    --mix, the same kind of section (same question template) taken from
    another article of the same source, with that article's name replaced;
  * words are swapped for synonyms from a small built-in table, sentence
    order is shuffled within paragraphs, and headings get varied prefixes;
  * a few articles get an intro paragraph before the first `##` and a few
    get one extra section, so passages per round are a bit above sections.
Front matter stays valid YAML (JSON-quoted strings): title, source, url and,
when the source article had them, synonyms.

Deterministic: round r uses random.Random(seed * 1000003 + r), so the
output does not depend on --jobs. Memory is bounded by the source corpus
(~25 MB of text for MedQuAD): output is streamed file by file.
Prints a JSON summary: files, sections, intros, passages, bytes, seconds.
"""
import argparse
import json
import os
import random
import re
import shutil
import sys
import time
from multiprocessing import Pool

# The team's shared data: $K2SEARCH_SHARED, else ../shared beside the repository.
DEFAULT_SOURCE = os.path.join(
    os.environ.get("K2SEARCH_SHARED")
    or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared"),
    "corpora",
    "medquad",
)
REPO_ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

# Small synonym table: each group is interchangeable in health prose.
SYNONYM_GROUPS = [
    ["doctor", "physician", "clinician"],
    ["doctors", "physicians", "clinicians"],
    ["illness", "disease", "disorder", "condition"],
    ["illnesses", "diseases", "disorders", "conditions"],
    ["symptom", "sign", "manifestation"],
    ["symptoms", "signs", "manifestations"],
    ["treatment", "therapy", "management"],
    ["treatments", "therapies"],
    ["medicine", "medication", "drug"],
    ["medicines", "medications", "drugs"],
    ["common", "frequent", "widespread"],
    ["rare", "uncommon", "infrequent"],
    ["severe", "serious", "grave"],
    ["mild", "slight", "minor"],
    ["help", "assist", "aid"],
    ["begin", "start", "commence"],
    ["begins", "starts"],
    ["often", "frequently", "commonly"],
    ["usually", "typically", "generally"],
    ["cause", "trigger", "lead to"],
    ["increase", "raise", "elevate"],
    ["decrease", "reduce", "lower"],
    ["risk", "likelihood", "chance"],
    ["children", "kids", "youngsters"],
    ["people", "individuals", "persons"],
    ["patients", "affected individuals", "people affected"],
    ["test", "exam", "assessment"],
    ["tests", "exams", "assessments"],
    ["important", "essential", "vital"],
    ["problem", "difficulty", "issue"],
    ["problems", "difficulties", "issues"],
    ["however", "nevertheless", "still"],
    ["many", "numerous", "several"],
    ["may", "might", "can"],
    ["help", "support"],
    ["body", "organism"],
    ["heart", "cardiac muscle"],
    ["blood pressure", "arterial pressure"],
    ["pregnant women", "expectant mothers", "women who are pregnant"],
    ["side effects", "adverse effects", "unwanted effects"],
    ["dose", "dosage", "amount"],
    ["take", "use"],
]
SWAP_PROB = 0.35

TITLE_QUALIFIERS = [
    "in adults", "in children", "in older adults", "in pregnancy",
    "type 1", "type 2", "type 3", "acquired", "familial", "juvenile",
    "adult-onset", "early-onset", "late-onset", "chronic", "acute",
    "mild", "severe", "recurrent", "congenital", "idiopathic",
    "secondary", "primary", "atypical", "classic", "variant",
    "autosomal dominant", "autosomal recessive", "X-linked", "progressive",
    "non-progressive", "localized", "generalized", "hereditary",
]
TITLE_FORMS = ["{t}, {q}", "{q} {t}", "{t} ({q})", "{t} - {q}"]

HEADING_PREFIXES = [
    "", "", "", "", "", "", "FAQ: ", "Q: ", "Question: ", "Overview - ",
    "Patient guide: ", "Section {i}: ", "{i}. ", "Key facts: ",
    "Health topic: ", "Ask the expert: ",
]

INTRO_PROB = 0.03    # extra intro paragraph before the first `##`
EXTRA_PROB = 0.02    # one extra borrowed section appended

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
_FM_KEY = re.compile(r"^([A-Za-z_][\w-]*):\s*(.*)$")


def _build_swapper():
    table = {}
    for group in SYNONYM_GROUPS:
        for w in group:
            table.setdefault(w, set()).update(x for x in group if x != w)
    table = {k: sorted(v) for k, v in table.items()}
    # A trie-shaped, case-sensitive regex over the lower-case and Capitalized
    # forms: Python's re tries a flat "w1|w2|..." alternation word by word, and
    # IGNORECASE doubles the cost; this shape is ~5x faster on large texts.
    forms = set(table) | {w[0].upper() + w[1:] for w in table}
    pattern = re.compile(r"\b" + _trie_regex(sorted(forms)) + r"\b")
    return table, pattern


def _trie_regex(words):
    trie = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def walk(node):
        alts = [re.escape(ch) + walk(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        if "" in node:
            return "(?:" + body + ")?"
        return body

    return "(?:" + walk(trie) + ")"


SYN_TABLE, SYN_RE = _build_swapper()


def _unquote(v):
    v = v.strip()
    if v.startswith('"'):
        try:
            return json.loads(v)
        except ValueError:
            return v.strip('"')
    if v.startswith("'") and v.endswith("'") and len(v) >= 2:
        return v[1:-1].replace("''", "'")
    return v


def parse_article(text):
    """Return dict(meta, synonyms, h1, intro, sections=[(heading, body)])."""
    lines = text.split("\n")
    meta, synonyms = {}, []
    i = 0
    if lines and lines[0].strip() == "---":
        in_list = None
        for j in range(1, len(lines)):
            line = lines[j]
            if line.strip() in ("---", "..."):
                i = j + 1
                break
            m = _FM_KEY.match(line)
            if m:
                key, val = m.group(1), m.group(2)
                if val == "":
                    in_list = key
                else:
                    in_list = None
                    meta[key] = _unquote(val)
            elif in_list and line.strip().startswith("- "):
                if in_list == "synonyms":
                    synonyms.append(_unquote(line.strip()[2:]))
    h1, intro, sections = None, [], []
    cur_head, cur_body = None, []
    for line in lines[i:]:
        if line.startswith("## "):
            if cur_head is not None:
                sections.append((cur_head, "\n".join(cur_body).strip()))
            cur_head, cur_body = line[3:].strip(), []
        elif line.startswith("# ") and h1 is None and cur_head is None:
            h1 = line[2:].strip()
        elif cur_head is None:
            intro.append(line)
        else:
            cur_body.append(line)
    if cur_head is not None:
        sections.append((cur_head, "\n".join(cur_body).strip()))
    title = meta.get("title") or h1 or ""
    return {"meta": meta, "synonyms": synonyms, "title": title,
            "h1": h1 or title, "intro": "\n".join(intro).strip(),
            "sections": sections}


def template_of(heading, title):
    return heading.replace(title, "{X}") if title and title in heading else heading


def load_source(root):
    """Group articles by source folder; index sections by question template."""
    groups = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            if not name.endswith(".md"):
                continue
            full = os.path.join(dirpath, name)
            with open(full, encoding="utf-8", errors="replace") as fh:
                art = parse_article(fh.read())
            rel = os.path.relpath(full, root)
            art["rel"] = rel
            src = art["meta"].get("source") or (rel.split(os.sep)[0] if os.sep in rel else "misc")
            art["src"] = src
            groups.setdefault(src, []).append(art)
    pools = {}
    for src, arts in groups.items():
        pool = {}
        for ai, art in enumerate(arts):
            for si, (h, _) in enumerate(art["sections"]):
                pool.setdefault(template_of(h, art["title"]), []).append((ai, si))
        pools[src] = pool
    return groups, pools


def vary_words(text, rng):
    def sub(m):
        w = m.group(0)
        if rng.random() >= SWAP_PROB:
            return w
        alt = rng.choice(SYN_TABLE[w.lower()])
        if w[0].isupper():
            alt = alt[0].upper() + alt[1:]
        return alt
    return SYN_RE.sub(sub, text)


def shuffle_sentences(body, rng):
    paras = body.split("\n\n")
    out = []
    for p in paras:
        sents = _SENT_SPLIT.split(p)
        if len(sents) > 2 and rng.random() < 0.6:
            head, rest = sents[0], sents[1:]
            rng.shuffle(rest)          # keep the topic sentence first
            p = " ".join([head] + rest)
        out.append(p)
    if len(out) > 2 and rng.random() < 0.3:
        first, rest = out[0], out[1:]
        rng.shuffle(rest)
        out = [first] + rest
    return "\n\n".join(out)


def synth_title(title, rnd, rng):
    if rnd == 0:
        return title
    q = rng.choice(TITLE_QUALIFIERS)
    form = rng.choice(TITLE_FORMS)
    t = form.format(t=title, q=q)
    return t[0].upper() + t[1:] if form.startswith("{q}") else t


# Stands for the article's name in section text while words are varied, so
# the synonym swapper never rewrites the name itself.
PH = "\ue000"


_NAME_RE = {}


def rename(text, old, new=PH):
    """Replace the article name `old` by `new` as a whole word."""
    if not old or old not in text:
        return text
    pat = _NAME_RE.get(old)
    if pat is None:
        pat = _NAME_RE[old] = re.compile(r"(?<!\w)" + re.escape(old) + r"(?!\w)")
    return pat.sub(lambda _m: new, text)


def render_article(art, arts, pool, rnd, rng, mix):
    old = art["title"]
    new = synth_title(old, rnd, rng)
    sections = []  # (heading, body with PH for the article name)
    for h, body in art["sections"]:
        tpl = template_of(h, old)
        donor_title, donor_body = old, body
        cands = pool.get(tpl)
        if cands and len(cands) > 1 and rng.random() < mix:
            ai, dsi = cands[rng.randrange(len(cands))]
            donor = arts[ai]
            donor_title, donor_body = donor["title"], donor["sections"][dsi][1]
        heading = tpl.replace("{X}", new) if "{X}" in tpl else h
        sections.append((heading, rename(donor_body, donor_title)))
    if sections and rng.random() < EXTRA_PROB:
        donor = arts[rng.randrange(len(arts))]
        if donor["sections"]:
            h, b = donor["sections"][rng.randrange(len(donor["sections"]))]
            tpl = template_of(h, donor["title"])
            sections.append((tpl.replace("{X}", new) if "{X}" in tpl else h,
                             rename(b, donor["title"])))
    intro = rename(art["intro"], old)
    if not intro and sections and rng.random() < INTRO_PROB:
        first = _SENT_SPLIT.split(sections[0][1].split("\n\n")[0])
        intro = " ".join(first[:2])

    def finish(text, shuffle):
        if rnd:
            if shuffle:
                text = shuffle_sentences(text, rng)
            text = vary_words(text, rng)
        return text.replace(PH, new)

    out = ["---", "title: " + json.dumps(new, ensure_ascii=False)]
    out.append("source: " + art["src"])
    url = art["meta"].get("url", "")
    if url:
        out.append("url: " + (url if rnd == 0 else f"{url}#synth-r{rnd:03d}"))
    syns = art["synonyms"]
    if syns:
        out.append("synonyms:")
        for s in syns:
            out.append("  - " + json.dumps(finish(s, False), ensure_ascii=False))
    out += ["---", "", f"# {new}", ""]
    n_intro = 0
    if intro:
        out += [finish(intro, False), ""]
        n_intro = 1
    for i, (h, body) in enumerate(sections, 1):
        prefix = rng.choice(HEADING_PREFIXES).format(i=i) if rnd else ""
        out += [f"## {prefix}{h}", ""]
        if body:
            out += [finish(body, True), ""]
    return "\n".join(out), len(sections), n_intro


def run_round(args):
    rnd, out, seed, mix = args
    groups, pools = _STATE
    rng = random.Random(seed * 1_000_003 + rnd)
    files = secs = intros = nbytes = 0
    base = os.path.join(out, f"r{rnd:03d}")
    for src in sorted(groups):
        arts = groups[src]
        made = set()
        for art in arts:
            text, ns, ni = render_article(art, arts, pools[src], rnd, rng, mix)
            rel = art["rel"]
            dest = os.path.join(base, rel if os.sep in rel else os.path.join(src, rel))
            d = os.path.dirname(dest)
            if d not in made:
                os.makedirs(d, exist_ok=True)
                made.add(d)
            data = text.encode("utf-8")
            with open(dest, "wb") as fh:
                fh.write(data)
            files += 1
            secs += ns
            intros += ni
            nbytes += len(data)
    return files, secs, intros, nbytes


_STATE = None


def _init(state):
    global _STATE
    _STATE = state


def main():
    ap = argparse.ArgumentParser(description="Synthetic MedQuAD-like corpus generator")
    ap.add_argument("--source", default=DEFAULT_SOURCE)
    ap.add_argument("--out", default="/tmp/k2-synth-60x")
    ap.add_argument("--factor", type=int, default=60)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--mix", type=float, default=0.5,
                    help="probability a section is borrowed from another article")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                    help="worker processes (default: CPU count); rounds are "
                         "independent, so the output is identical for any value")
    ap.add_argument("--overwrite", action="store_true",
                    help="delete --out first if it exists and is not empty")
    args = ap.parse_args()

    out = os.path.realpath(args.out)
    if out == REPO_ROOT or out.startswith(REPO_ROOT + os.sep):
        sys.exit(f"--out {out} is inside the repository {REPO_ROOT}; write it elsewhere (e.g. /tmp)")
    if os.path.isdir(out) and os.listdir(out):
        if not args.overwrite:
            sys.exit(f"--out {out} exists and is not empty (use --overwrite)")
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)

    t0 = time.perf_counter()
    state = load_source(args.source)
    if not state[0]:
        sys.exit(f"no .md files under {args.source}")
    load_s = time.perf_counter() - t0
    tasks = [(r, out, args.seed, args.mix) for r in range(args.factor)]
    if args.jobs > 1 and args.factor > 1:
        with Pool(args.jobs, initializer=_init, initargs=(state,)) as pool:
            results = pool.map(run_round, tasks, chunksize=1)
    else:
        _init(state)
        results = [run_round(t) for t in tasks]
    files = sum(r[0] for r in results)
    sections = sum(r[1] for r in results)
    intros = sum(r[2] for r in results)
    nbytes = sum(r[3] for r in results)
    secs = time.perf_counter() - t0
    print(json.dumps({
        "out": out, "factor": args.factor, "seed": args.seed,
        "files": files, "sections": sections, "intros": intros,
        "passages": sections + intros, "bytes": nbytes,
        "seconds": round(secs, 2), "load_seconds": round(load_s, 2),
        "mb_per_s": round(nbytes / 1e6 / secs, 1) if secs else None,
    }))


if __name__ == "__main__":
    main()
