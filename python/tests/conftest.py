"""Shared fixtures: the bundled corpus indexed once, and a small corpus whose articles
carry a source ``url`` (as MedQuAD's do)."""

import os
import shutil
from pathlib import Path

import pytest

import k2search

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"

AUTISM_URL = "https://www.ninds.nih.gov/disorders/autism"

URL_ARTICLE = f"""---
title: Autism
source: NINDS
url: {AUTISM_URL}
---

# Autism

## What are the treatments for Autism ?

There is no cure for autism. Therapies and behavioral interventions are designed
to remedy specific symptoms and can bring about substantial improvement.
"""


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory):
    """The index of the bundled corpus (five vitamin K2 articles)."""
    index = tmp_path_factory.mktemp("seed") / "index"
    k2search.index(CORPUS, index)
    return index


@pytest.fixture(scope="session")
def searcher(seed_index):
    return k2search.Searcher(seed_index)


@pytest.fixture(scope="session")
def url_index(tmp_path_factory):
    """An index of one article whose front matter gives its source url."""
    root = tmp_path_factory.mktemp("urls")
    (root / "corpus").mkdir()
    (root / "corpus" / "autism.md").write_text(URL_ARTICLE, encoding="utf-8")
    k2search.index(root / "corpus", root / "index")
    return root / "index"


@pytest.fixture(scope="session")
def k2search_bin():
    """The built `k2search` binary ($K2SEARCH_BIN, else the cargo target folder's)."""
    given = os.environ.get("K2SEARCH_BIN")
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for candidate in [given, target / "debug" / "k2search", target / "release" / "k2search"]:
        if candidate and Path(candidate).is_file():
            return str(candidate)
    found = shutil.which("k2search")
    if found:
        return found
    pytest.fail("no k2search binary: run `cargo build` or set K2SEARCH_BIN")
