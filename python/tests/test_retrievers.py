"""The LangChain and LlamaIndex retrievers, through each framework's own interface."""

import pytest

from conftest import AUTISM_URL

CITED_KEYS = {"citation", "url", "path", "line_start", "line_end", "headings", "score"}


def assert_cited(text, metadata):
    """The top passage for "warfarin interaction", with what to cite in its metadata."""
    assert "warfarin" in text.lower()
    assert CITED_KEYS <= set(metadata)
    assert f"/{metadata['path']}:{metadata['line_start']}-{metadata['line_end']}" in metadata["citation"]


def test_langchain_retriever(seed_index, url_index):
    pytest.importorskip("langchain_core", reason="the langchain extra is not installed")
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from k2search.langchain import K2SearchRetriever

    retriever = K2SearchRetriever.from_index(str(seed_index), k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("warfarin interaction")
    assert 1 <= len(docs) <= 3 and all(isinstance(d, Document) for d in docs)
    assert_cited(docs[0].page_content, docs[0].metadata)
    dosage = K2SearchRetriever.from_index(str(seed_index), k=5, category="dosage")
    assert all(d.metadata["category"] == "dosage" for d in dosage.invoke("vitamin k2"))
    url_doc = K2SearchRetriever.from_index(str(url_index)).invoke("autism treatment")[0]
    assert url_doc.metadata["url"] == AUTISM_URL


def test_llamaindex_retriever(seed_index, url_index):
    pytest.importorskip("llama_index.core", reason="the llamaindex extra is not installed")
    from llama_index.core.retrievers import BaseRetriever
    from llama_index.core.schema import MetadataMode, NodeWithScore

    from k2search.llamaindex import K2SearchRetriever

    retriever = K2SearchRetriever.from_index(str(seed_index), k=3)
    assert isinstance(retriever, BaseRetriever)
    nodes = retriever.retrieve("warfarin interaction")
    assert 1 <= len(nodes) <= 3 and all(isinstance(n, NodeWithScore) for n in nodes)
    top = nodes[0]
    assert_cited(top.node.get_content(), top.node.metadata)
    assert top.score == top.node.metadata["score"]
    # What the LLM reads carries the citation.
    assert top.node.metadata["citation"] in top.node.get_content(MetadataMode.LLM)
    url_node = K2SearchRetriever.from_index(str(url_index)).retrieve("autism treatment")[0]
    assert url_node.node.metadata["url"] == AUTISM_URL
