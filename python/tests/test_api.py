"""The Python API over the bundled corpus: search, citations, threads, errors."""

import json
import subprocess
import threading
from pathlib import Path

import pytest

import k2search
from conftest import AUTISM_URL, CORPUS


def cited_lines(hit):
    """The lines of the source file that the hit's citation names."""
    lines = (CORPUS / hit.path).read_text(encoding="utf-8").splitlines()
    return "\n".join(lines[hit.line_start - 1 : hit.line_end])


def words(text):
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()


def test_index_summary(seed_index):
    summary = k2search.index(CORPUS, seed_index)
    assert summary.files == 5
    assert summary.passages > 20
    assert not summary.changed, "a second run over an unchanged corpus commits nothing"
    assert "indexed 5 files (nothing changed)" in str(summary)


def test_search_hits_are_typed_and_cited(searcher):
    response = searcher.search("warfarin interaction", limit=5)
    assert response.query == "warfarin interaction"
    assert 1 <= len(response) <= 5
    top = response[0]
    assert isinstance(top, k2search.Hit) and isinstance(top, k2search.Passage)
    assert top.rank == 1 and top.score > 0
    assert top.category == "interactions"
    assert "warfarin" in top.text.lower()
    assert top.citation == (
        f"{CORPUS}/{top.path}:{top.line_start}-{top.line_end}"
        + "".join(f" › {h}" for h in top.headings)
    )
    assert top.snippet and top.title
    assert top.metadata.get("url") == top.url


def test_every_citation_points_at_the_lines_holding_the_text(searcher):
    for query in ["warfarin interaction", "dosage for adults", "side effects", "bone density"]:
        for hit in searcher.search(query, limit=10):
            source = words(cited_lines(hit))
            text = words(hit.text)
            assert text, hit.citation
            # Every word of the passage is on the cited lines (markup aside).
            missing = set(text) - set(source)
            assert not missing, f"{hit.citation}: {sorted(missing)[:5]}"


def test_hits_are_those_of_query_json(searcher, seed_index, k2search_bin):
    """A hit's text and citation are identical to `k2search query --json`'s."""
    out = subprocess.run(
        [k2search_bin, "query", "--index", str(seed_index), "--json", "-n", "5", "vitamin K2 dosage"],
        check=True, capture_output=True, text=True,
    ).stdout
    cli = json.loads(out)
    response = searcher.search("vitamin K2 dosage", limit=5)
    ours = json.loads(response.to_json())
    for key in ("took_ms",):
        cli.pop(key), ours.pop(key)
    assert ours == cli
    for hit, expected in zip(response, cli["hits"]):
        assert hit.text == expected["text"]
        assert hit.to_dict()["citation"] == hit.citation
        assert {k: v for k, v in hit.to_dict().items() if k != "citation"} == expected


def test_url_in_metadata(url_index):
    hit = k2search.Searcher(url_index).search("autism treatment")[0]
    assert hit.url == AUTISM_URL
    assert hit.metadata["url"] == hit.url and hit.metadata["source"] == "NINDS"


def test_options(searcher):
    dosage = searcher.search("vitamin k2", limit=20, category="dosage")
    assert dosage.hits and all(h.category == "dosage" for h in dosage)
    one_each = searcher.search("vitamin k2", limit=20, per_file=1)
    assert len({h.path for h in one_each}) == len(one_each)
    page2 = searcher.search("vitamin k2", limit=2, offset=2)
    assert [h.rank for h in page2] == [3, 4]
    assert searcher.search("vitamin k2", mode="lexical").mode == "lexical"
    explained = searcher.search("warfarin", explain=True)
    assert explained[0].matched and explained.analysis is not None
    assert searcher.search("").hits == []


def test_passage_and_stats(searcher):
    hit = searcher.search("warfarin")[0]
    passage = searcher.passage(hit.id)
    assert passage.citation == hit.citation and passage.text == hit.text
    assert searcher.passage("no-such-id") is None
    stats = searcher.stats()
    assert stats["files"] == 5 and stats["passages"] > 20
    assert "interactions" in stats["categories"]


def test_threads_share_one_searcher(searcher):
    expected = [h.id for h in searcher.search("bone health", limit=5)]
    results, errors = [], []

    def work():
        try:
            for _ in range(20):
                results.append([h.id for h in searcher.search("bone health", limit=5)])
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 160 and all(r == expected for r in results)


def test_missing_index_raises_the_one_line_message(tmp_path):
    with pytest.raises(k2search.NoIndexError) as e:
        k2search.Searcher(tmp_path / "nothing")
    message = str(e.value)
    assert "\n" not in message
    assert message.startswith("no k2search index in ") and "k2search index --index" in message


def test_missing_corpus_raises(tmp_path):
    with pytest.raises(k2search.K2SearchError, match="corpus folder .* pass --corpus DIR"):
        k2search.index(tmp_path / "nope", tmp_path / "index")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"limit": 0}, "limit must be between 1 and 1000, got 0"),
        ({"limit": -1}, "limit must be 0 or more, got -1"),
        ({"offset": 10**6}, "offset must be at most 100000"),
        ({"per_file": 0}, "per_file must be at least 1"),
        ({"category": "nope"}, 'unknown category "nope"; use one of'),
        ({"mode": "fast"}, 'unknown mode "fast"; use hybrid or lexical'),
    ],
)
def test_bad_arguments_raise_bad_request(searcher, kwargs, message):
    with pytest.raises(k2search.BadRequestError) as e:
        searcher.search("warfarin", **kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)
    assert isinstance(e.value, k2search.K2SearchError)


def test_wrong_types_raise_type_error(searcher):
    with pytest.raises(TypeError):
        searcher.search("warfarin", limit="ten")
    with pytest.raises(TypeError):
        searcher.search(None)


def test_docstrings_and_stubs():
    assert "health articles" in k2search.__doc__
    assert k2search.Searcher.search.__doc__
    package = Path(k2search.__file__).parent
    assert (package / "py.typed").is_file() and (package / "_native.pyi").is_file()
