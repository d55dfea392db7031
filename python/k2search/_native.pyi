"""Types of the k2search engine (the Rust extension ``k2search._native``)."""

from os import PathLike
from pathlib import Path
from typing import Any, Dict, Iterator, List, Literal, Optional, Tuple, Union

_Path = Union[str, PathLike[str]]

__version__: str

class K2SearchError(Exception):
    """A k2search failure; the message is the engine's one line: what, where, what to do."""

class BadRequestError(K2SearchError):
    """A search argument out of range or unknown (limit, offset, category, mode, query)."""

class NoIndexError(K2SearchError):
    """There is no k2search index in the folder given."""

class Passage:
    """One passage of an article, with everything needed to cite it."""

    @property
    def id(self) -> str:
        """Stable passage id (for ``Searcher.passage``)."""
    @property
    def citation(self) -> str:
        """``corpus/file.md:12-30 › Heading › Sub``: what to cite."""
    @property
    def path(self) -> str:
        """The source file, relative to the corpus folder."""
    @property
    def line_start(self) -> int:
        """First line of the passage in the source file (1-based)."""
    @property
    def line_end(self) -> int:
        """Last line (inclusive)."""
    @property
    def headings(self) -> List[str]:
        """The heading path, outermost first (for a FAQ, the question is last)."""
    @property
    def title(self) -> str:
        """The document title."""
    @property
    def category(self) -> str:
        """The clinical category (``dosage``, ``interactions``, ..., ``overview``)."""
    @property
    def kind(self) -> Literal["section", "faq", "intro"]:
        """What kind of passage this is."""
    @property
    def text(self) -> str:
        """The passage as plain text: what to quote."""
    @property
    def metadata(self) -> Dict[str, str]:
        """The document's front-matter fields other than the title (``url``, ...)."""
    @property
    def url(self) -> Optional[str]:
        """The source page (front matter ``url``), or None."""
    @property
    def aliases(self) -> List[str]:
        """The document's alternate names."""
    @property
    def byte_range(self) -> Tuple[int, int]:
        """Byte range of the passage in the source file."""
    def to_dict(self) -> Dict[str, Any]:
        """The passage's JSON object (``k2search passages --json``) with its ``citation``."""

class Hit(Passage):
    """A ranked passage: every ``Passage`` attribute, with rank, score and snippet."""

    @property
    def rank(self) -> int:
        """1-based rank, counting from the request's offset."""
    @property
    def score(self) -> float:
        """Relevance score (comparable within one response only)."""
    @property
    def snippet(self) -> str:
        """A window of the passage around the matched words, plain text."""
    @property
    def snippet_html(self) -> str:
        """The snippet HTML-escaped, matched words in ``<mark>``."""
    @property
    def highlights(self) -> List[Tuple[int, int]]:
        """Byte ranges of the matched words within ``snippet``."""
    @property
    def matched(self) -> List[Dict[str, Any]]:
        """With ``explain=True``: the query words this passage matched, how and where."""
    @property
    def lifted(self) -> List[str]:
        """With ``explain=True``: why the passage was lifted above its text score."""
    @property
    def semantic(self) -> Optional[float]:
        """With ``explain=True`` in hybrid ranking: the share of the score from vectors."""
    def to_dict(self) -> Dict[str, Any]:
        """The hit's JSON object, as in ``k2search query --json``, with its ``citation``."""

class Response:
    """The answer to a search: its hits, best first, and how the query was read."""

    @property
    def hits(self) -> List[Hit]: ...
    @property
    def query(self) -> str: ...
    @property
    def total_hits(self) -> int:
        """Passages matching (before duplicates are dropped and limits applied)."""
    @property
    def took_ms(self) -> float: ...
    @property
    def offset(self) -> int: ...
    @property
    def limit(self) -> int: ...
    @property
    def mode(self) -> Literal["hybrid", "lexical"]: ...
    @property
    def corrected(self) -> Optional[str]:
        """When words were corrected: the query that was searched."""
    @property
    def analysis(self) -> Optional[Dict[str, Any]]:
        """How the query was analysed: foci, question types, words and weights."""
    def to_json(self) -> str:
        """The response as ``k2search query --json`` prints it (one line)."""
    def __len__(self) -> int: ...
    def __iter__(self) -> Iterator[Hit]: ...
    def __getitem__(self, index: int) -> Hit: ...

class Searcher:
    """An open index to search; one Searcher serves many threads at once."""

    def __init__(self, index: _Path, model: Optional[_Path] = None) -> None:
        """Opens the index in the folder ``index`` (``NoIndexError`` if there is none);
        ``model`` is the embedding model folder for hybrid ranking."""
    def search(
        self,
        q: str,
        limit: int = 10,
        offset: int = 0,
        category: Optional[str] = None,
        per_file: Optional[int] = None,
        mode: Optional[Literal["hybrid", "lexical"]] = None,
        explain: bool = False,
    ) -> Response:
        """The best ``limit`` passages for ``q`` after ``offset`` (``BadRequestError``
        for a bad argument)."""
    def passage(self, id: str) -> Optional[Passage]:
        """The passage with this id (a hit's ``id``), or None."""
    def stats(self) -> Dict[str, Any]:
        """files, passages, index_bytes, built_at, version, corpus, categories,
        category_labels, model (as ``GET /stats``)."""
    @property
    def index(self) -> Path:
        """The index folder."""

class IndexSummary:
    """What an index run did."""

    files: int
    files_indexed: int
    files_unchanged: int
    files_removed: int
    files_skipped: int
    passages: int
    passages_added: int
    passages_embedded: int
    model: Optional[str]
    seconds: float
    changed: bool
    warnings: List[str]
    summary: str

def index(
    corpus: _Path, index: _Path, model: Optional[_Path] = None, rebuild: bool = False
) -> IndexSummary:
    """Builds or updates the index of the articles in ``corpus`` in the folder ``index``."""
