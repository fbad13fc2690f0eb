"""Each adapter reads its results' stored text where the engine's answer carries it.

Answers are in the shapes of each engine's API reference (see each adapter's docstring); the
texts come out one tuple per query, aligned with the adapter's rankings, None where a result
has no such field.
"""

from __future__ import annotations

import pytest

from proxy.adapters.base import field_text
from proxy.adapters.chroma import ChromaAdapter
from proxy.adapters.elasticsearch import ElasticsearchAdapter
from proxy.adapters.generic import GenericAdapter, parse_path
from proxy.adapters.milvus import MilvusAdapter
from proxy.adapters.pinecone import PineconeAdapter
from proxy.adapters.qdrant import QdrantAdapter
from proxy.adapters.typesense import TypesenseAdapter
from proxy.errors import AdapterError


def aligned(adapter, answer, field):
    """The texts, after checking they line up with the rankings."""
    texts = adapter.document_texts(answer, field)
    rankings = adapter.rankings(answer)
    assert [len(t) for t in texts] == [len(r.ids) for r in rankings]
    return texts


def test_field_text_reads_nested_keys_and_shows_other_values_as_json():
    """Dots reach into objects; lists of strings join by lines; numbers and objects are JSON."""
    doc = {"a": {"b": "text"}, "n": 3, "o": {"x": [1, 2]}, "l": ["one", "two"], "z": None}
    assert field_text(doc, "a.b") == "text"
    assert field_text(doc, "n") == "3"
    assert field_text(doc, "o") == '{"x":[1,2]}'
    assert field_text(doc, "l") == "one\ntwo"
    assert field_text(doc, "z") is None
    assert field_text(doc, "a.c") is None
    assert field_text("not an object", "a") is None


def test_chroma_documents_and_metadata():
    """``documents`` per query, or a metadata key; a query without documents gives Nones."""
    answer = {
        "ids": [["a", "b"], ["c"]],
        "distances": [[0.1, 0.2], [0.3]],
        "documents": [["alpha text", None], ["gamma text"]],
        "metadatas": [[{"title": "Alpha"}, {"title": "Beta"}], [None]],
    }
    adapter = ChromaAdapter()
    assert aligned(adapter, answer, "documents") == [("alpha text", None), ("gamma text",)]
    assert aligned(adapter, answer, "title") == [("Alpha", "Beta"), (None,)]
    no_documents = {"ids": [["a"]], "distances": [[0.1]], "documents": None}
    assert aligned(adapter, no_documents, "documents") == [(None,)]


@pytest.mark.parametrize(
    "answer",
    [
        {"result": [{"id": 1, "score": 0.9, "payload": {"text": "one"}}, {"id": 2, "score": 0.8}]},
        {
            "result": {
                "points": [
                    {"id": 1, "score": 0.9, "payload": {"text": "one"}},
                    {"id": 2, "score": 0.8, "payload": {}},
                ]
            }
        },
    ],
    ids=["search", "query"],
)
def test_qdrant_payload(answer):
    """A payload key, for points/search and points/query answers."""
    assert aligned(QdrantAdapter(), answer, "text") == [("one", None)]


def test_qdrant_batches():
    """Batch search and batch query: one tuple per search."""
    point = {"id": 1, "score": 0.5, "payload": {"doc": {"body": "nested"}}}
    batch_search = {"result": [[point], [point, point]]}
    batch_query = {"result": [{"points": [point]}, {"points": []}]}
    assert aligned(QdrantAdapter(), batch_search, "doc.body") == [
        ("nested",),
        ("nested", "nested"),
    ]
    assert aligned(QdrantAdapter(), batch_query, "doc.body") == [("nested",), ()]


def test_elasticsearch_source_fields_and_multisearch():
    """``_source`` first, else the ``fields`` the search asked for; one tuple per response."""
    hits = [
        {"_id": "a", "_score": 0.9, "_source": {"body": "from source"}},
        {"_id": "b", "_score": 0.8, "fields": {"body": ["from", "fields"]}},
        {"_id": "c", "_score": 0.7},
    ]
    answer = {"responses": [{"hits": {"hits": hits}}, {"hits": {"hits": hits[:1]}}]}
    assert aligned(ElasticsearchAdapter(), answer, "body") == [
        ("from source", "from\nfields", None),
        ("from source",),
    ]


def test_typesense_document_field():
    """A field of each hit's document, per search of a multi-search."""
    answer = {
        "results": [
            {"hits": [{"document": {"id": "a", "text": "first"}, "vector_distance": 0.1}]},
            {"hits": [{"document": {"id": "b"}, "vector_distance": 0.2}]},
        ]
    }
    assert aligned(TypesenseAdapter(), answer, "text") == [("first",), (None,)]


def test_pinecone_metadata():
    """A metadata key of each match, for single and batch answers."""
    single = {"matches": [{"id": "a", "score": 0.9, "metadata": {"text": "meta"}}]}
    assert aligned(PineconeAdapter(), single, "text") == [("meta",)]
    batch = {"results": [{"matches": [{"id": "a", "score": 0.9}]}], "matches": []}
    assert aligned(PineconeAdapter(), batch, "text") == [(None,)]


def test_generic_path_relative_to_each_query():
    """The path reads like ``ids``; a path that misses gives Nones of the right length."""
    adapter = GenericAdapter(
        parse_path("hits[*].id"),
        parse_path("hits[*].score"),
        "similarity",
        parse_path("responses[*]"),
        {"ids": "hits[*].id", "scores": "hits[*].score", "queries": "responses[*]"},
    )
    answer = {
        "responses": [
            {
                "hits": [
                    {"id": "a", "score": 1.0, "text": "A"},
                    {"id": "b", "score": 0.5, "text": 7},
                ]
            },
            {"hits": [{"id": "c", "score": 0.3}]},
        ]
    }
    assert aligned(adapter, answer, "hits[*].text") == [("A", "7"), (None,)]


def test_adapters_without_text_say_so():
    """An adapter that reads no text names nothing and refuses to read."""
    adapter = MilvusAdapter()
    assert adapter.document_text is None
    with pytest.raises(AdapterError, match="reads no documents' text"):
        adapter.document_texts({"data": []}, "text")
