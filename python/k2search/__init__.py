"""k2search: full-text search over health articles, with citations.

The engine (Rust, on Tantivy) is in the package: ``index()`` builds or updates an
index of a folder of articles, a ``Searcher`` answers queries with ranked ``Hit``s
that cite their source (file, line range, heading path, and the article's ``url``).

>>> import k2search
>>> summary = k2search.index("corpus", "/tmp/k2-index")       # doctest: +SKIP
>>> searcher = k2search.Searcher("/tmp/k2-index")               # doctest: +SKIP
>>> hit = searcher.search("warfarin interaction", limit=1)[0]   # doctest: +SKIP
>>> hit.citation                                                # doctest: +SKIP
'corpus/002_efd43bb0ead33ead.txt:127-129 › Drug Interactions'

Retrievers for LangChain and LlamaIndex are in ``k2search.langchain`` and
``k2search.llamaindex`` (install the ``langchain`` or ``llamaindex`` extra).
"""

from typing import Any, Dict

from ._native import (
    BadRequestError,
    Hit,
    IndexSummary,
    K2SearchError,
    NoIndexError,
    Passage,
    Response,
    Searcher,
    __version__,
    index,
)

__all__ = [
    "BadRequestError",
    "Hit",
    "IndexSummary",
    "K2SearchError",
    "NoIndexError",
    "Passage",
    "Response",
    "Searcher",
    "__version__",
    "cited_metadata",
    "index",
]


def cited_metadata(hit: Hit) -> Dict[str, Any]:
    """The metadata a retriever attaches to a hit's document: what to cite and where
    the passage stands (citation, url, path, line range, heading path, score...).
    Plain values only, so any vector store or serializer accepts them."""
    return {
        "id": hit.id,
        "citation": hit.citation,
        "url": hit.url,
        "title": hit.title,
        "path": hit.path,
        "line_start": hit.line_start,
        "line_end": hit.line_end,
        "headings": list(hit.headings),
        "category": hit.category,
        "kind": hit.kind,
        "rank": hit.rank,
        "score": hit.score,
    }
