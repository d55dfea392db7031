"""A LlamaIndex retriever over a k2search index (``pip install "k2search[llamaindex]"``).

>>> from k2search.llamaindex import K2SearchRetriever
>>> retriever = K2SearchRetriever.from_index("index", k=4)            # doctest: +SKIP
>>> nodes = retriever.retrieve("can I take vitamin K2 with warfarin")   # doctest: +SKIP
>>> nodes[0].node.metadata["citation"], nodes[0].score                 # doctest: +SKIP

Each ``NodeWithScore`` holds a ``TextNode`` whose text is the passage and whose
``metadata`` holds what to cite (``citation``, ``url``), where the passage stands
(``path``, ``line_start``, ``line_end``, ``headings``) and its ``score`` (see
``k2search.cited_metadata``); the node's score is the hit's.
"""

from typing import Any, List, Optional

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from . import Searcher, cited_metadata

__all__ = ["K2SearchRetriever"]

# Metadata an LLM needs to cite, kept in the text it reads; the rest is for programs.
_CITED_KEYS = ("citation", "url", "title")


class K2SearchRetriever(BaseRetriever):
    """Retrieves cited passages from a k2search index."""

    def __init__(
        self,
        searcher: Searcher,
        k: int = 4,
        category: Optional[str] = None,
        per_file: Optional[int] = None,
        **kwargs: Any,
    ) -> None:
        self._searcher = searcher
        self._k = k
        self._category = category
        self._per_file = per_file
        super().__init__(**kwargs)

    @classmethod
    def from_index(cls, index: str, model: Optional[str] = None, **kwargs: Any) -> "K2SearchRetriever":
        """A retriever over the index in the folder ``index``."""
        return cls(Searcher(index, model), **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> List[NodeWithScore]:
        response = self._searcher.search(
            query_bundle.query_str,
            limit=self._k,
            category=self._category,
            per_file=self._per_file,
        )
        nodes = []
        for hit in response:
            metadata = cited_metadata(hit)
            node = TextNode(
                id_=hit.id,
                text=hit.text,
                metadata=metadata,
                excluded_llm_metadata_keys=[
                    k for k, v in metadata.items() if k not in _CITED_KEYS or v is None
                ],
                excluded_embed_metadata_keys=list(metadata),
            )
            nodes.append(NodeWithScore(node=node, score=hit.score))
        return nodes
