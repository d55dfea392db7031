"""A LangChain retriever over a k2search index (``pip install "k2search[langchain]"``).

>>> from k2search.langchain import K2SearchRetriever
>>> retriever = K2SearchRetriever.from_index("index", k=4)        # doctest: +SKIP
>>> docs = retriever.invoke("can I take vitamin K2 with warfarin")  # doctest: +SKIP
>>> docs[0].metadata["citation"], docs[0].metadata["url"]          # doctest: +SKIP

Each ``Document``'s ``page_content`` is the passage text; its ``metadata`` holds what
to cite (``citation``, ``url``), where the passage stands (``path``, ``line_start``,
``line_end``, ``headings``) and its ``score`` (see ``k2search.cited_metadata``).
"""

from typing import List, Optional

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from . import Searcher, cited_metadata

__all__ = ["K2SearchRetriever"]


class K2SearchRetriever(BaseRetriever):
    """Retrieves cited passages from a k2search index."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Searcher
    """The open index."""
    k: int = 4
    """Passages to return."""
    category: Optional[str] = None
    """Only passages of this category (``dosage``, ``interactions``, ...)."""
    per_file: Optional[int] = None
    """At most this many passages from one article."""

    @classmethod
    def from_index(cls, index: str, model: Optional[str] = None, **kwargs) -> "K2SearchRetriever":
        """A retriever over the index in the folder ``index``."""
        return cls(searcher=Searcher(index, model), **kwargs)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> List[Document]:
        response = self.searcher.search(
            query, limit=self.k, category=self.category, per_file=self.per_file
        )
        return [
            Document(page_content=hit.text, metadata=cited_metadata(hit), id=hit.id)
            for hit in response
        ]
