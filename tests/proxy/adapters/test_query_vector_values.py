"""Every adapter reads a request's query vectors where its rewrite writes them.

``query_vector_values`` gives one list per query of ``query_vectors``: the query's dense
vector, ``[]`` for a query without one (by id, by text, sparse). Bodies are shaped as in each
engine's API reference (as the adapters' own tests shape them). The round trip: after
``rewrite(doc, {i: v})`` the adapter reads ``v`` back for query ``i``, from the document and
from the bytes the new index receives, and the other queries' vectors are unchanged.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.adapters import adapter_for, known_adapters
from proxy.adapters.base import Adapter
from proxy.config.where import Where
from proxy.errors import AdapterError

A = [0.1, -0.25, 3e-05, 0.5]
B = [-0.75, 0.125, 1.0, -1e-07]
GENERIC = {"ids": "r[*].id", "scores": "r[*].s"}


@dataclass
class Route:
    """A route as adapters see it (RouteSpec)."""

    adapter: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """A request of one shape and the vectors it carries, one list per query."""

    adapter: str
    body: bytes | dict[str, Any]
    expected: list[list[float]]
    options: dict[str, Any] = field(default_factory=dict)

    def build(self) -> Adapter:
        """The adapter, built from a route as the config builds it."""
        return adapter_for(Route(self.adapter, self.options), Where("test.toml", table=("routes",)))

    def raw(self) -> bytes:
        """The request body's bytes."""
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()


def ndjson(*lines: dict[str, Any]) -> bytes:
    """An ``_msearch`` body: one JSON document a line."""
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def vector_query(vector: list[float], rest: str = "k:10") -> str:
    """A Typesense ``vector_query`` string."""
    return f"vec:({json.dumps(vector)}, {rest})"


WEAVIATE_INLINE = (
    "{ Get { Article(nearVector: {vector: [0.1, -0.25, 3e-05, 0.5], distance: 0.7}, limit: 10)"
    " { title } Book(nearVector: {vector: $v}) { title } } }"
)
WEAVIATE_HYBRID = (
    '{ Get { Article(hybrid: {query: "fish", vector: [-0.75 0.125 1.0 -1e-07], alpha: 0.5}) '
    '{ title } Paper(bm25: {query: "x"}) { title } '
    'Book(nearObject: {id: "43cf51e2-8777-4f52-bc74-c2cbde0c8b04"}) { title } } }'
)
ES_KNN = {"field": "v", "query_vector": A, "k": 10, "num_candidates": 50}

CASES = {
    "chroma batch": Case("chroma", {"query_embeddings": [A, B], "n_results": 10}, [A, B]),
    "chroma one, integers": Case("chroma", {"query_embeddings": [[1, 2]]}, [[1.0, 2.0]]),
    "elasticsearch top-level knn": Case("elasticsearch", {"knn": ES_KNN}, [A]),
    "elasticsearch knn list (rewrite sets every clause)": Case(
        "elasticsearch", {"knn": [ES_KNN, {**ES_KNN, "query_vector": B}]}, [A]
    ),
    "elasticsearch knn query": Case(
        "elasticsearch", {"query": {"bool": {"should": [{"knn": ES_KNN}]}}}, [A]
    ),
    "elasticsearch retriever": Case(
        "elasticsearch", {"retriever": {"rrf": {"retrievers": [{"knn": ES_KNN}]}}}, [A]
    ),
    "opensearch knn query": Case(
        "elasticsearch", {"query": {"knn": {"v": {"vector": B, "k": 10}}}, "size": 10}, [B]
    ),
    "elasticsearch msearch with a text search": Case(
        "elasticsearch",
        ndjson(
            {"index": "docs"},
            {"knn": ES_KNN},
            {"index": "docs"},
            {"query": {"match": {"title": "fish"}}},
            {},
            {"knn": {"field": "v", "query_vector_builder": {"text_embedding": {}}, "k": 3}},
            {"index": "docs"},
            {"query": {"knn": {"v": {"vector": B, "k": 3}}}},
        ),
        [A, [], [], B],
    ),
    "milvus with a text query": Case(
        "milvus", {"collectionName": "c", "data": [A, "fish", B], "limit": 3}, [A, [], B]
    ),
    "pinecone vector": Case("pinecone", {"namespace": "n", "vector": A, "topK": 3}, [A]),
    "pinecone by id": Case("pinecone", {"id": "doc-1", "topK": 3}, [[]]),
    "pinecone deprecated queries": Case(
        "pinecone",
        {"queries": [{"values": A}, {"id": "doc-1"}, {"values": B}], "topK": 3},
        [A, [], B],
    ),
    "qdrant search": Case("qdrant", {"vector": A, "limit": 10}, [A]),
    "qdrant named vector": Case("qdrant", {"vector": {"name": "text", "vector": B}}, [B]),
    "qdrant query": Case("qdrant", {"query": A, "using": "text"}, [A]),
    "qdrant nearest": Case("qdrant", {"query": {"nearest": B}}, [B]),
    "qdrant query by id": Case("qdrant", {"query": "43cf51e2-8777-4f52-bc74-c2cbde0c8b04"}, [[]]),
    "qdrant sparse": Case(
        "qdrant", {"vector": {"name": "sparse", "vector": {"indices": [1], "values": [0.5]}}}, [[]]
    ),
    "qdrant batch": Case(
        "qdrant",
        {
            "searches": [
                {"vector": A},
                {"query": 42},
                {"query": {"recommend": {"positive": [1]}}},
                {"query": {"nearest": B}},
            ]
        },
        [A, [], [], B],
    ),
    "typesense search": Case(
        "typesense",
        {
            "q": "*",
            "vector_query": "vec:([0.1, -0.25, 3e-05, 0.5], k: 10, distance_threshold: 0.3)",
        },
        [A],
    ),
    "typesense multi_search with a search by id and a text search": Case(
        "typesense",
        {
            "searches": [
                {"collection": "c", "q": "*", "vector_query": vector_query(A)},
                {"collection": "c", "q": "*", "vector_query": "vec:([], id: 42)"},
                {"collection": "c", "q": "fish", "query_by": "title"},
                {"collection": "c", "q": "*", "vector_query": vector_query(B, "k:5")},
            ]
        },
        [A, [], [], B],
    ),
    "weaviate inline and variable": Case(
        "weaviate", {"query": WEAVIATE_INLINE, "variables": {"v": B}}, [A, B]
    ),
    "weaviate hybrid (no commas), bm25 and nearObject": Case(
        "weaviate", {"query": WEAVIATE_HYBRID}, [B, [], []]
    ),
    "generic batch": Case(
        "generic",
        {"index": "old", "queries": [{"embedding": A}, {"embedding": B}]},
        [A, B],
        {**GENERIC, "vector": "queries[*].embedding"},
    ),
    "generic one": Case(
        "generic", {"query": {"embedding": B}}, [B], {**GENERIC, "vector": "query.embedding"}
    ),
    "generic without a vector option": Case("generic", {"q": "fish"}, [[]], GENERIC),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES)
def test_each_query_vector_is_read(case):
    """One list per query, in order: its exact numbers, or [] for a query without a vector."""
    adapter = case.build()
    doc = adapter.parse_request(case.raw())
    shape = adapter.query_vectors(doc)
    values = adapter.query_vector_values(doc)
    assert values == case.expected
    assert len(values) == shape.queries
    assert tuple(i for i, v in enumerate(values) if v) == shape.with_vector


def test_every_adapter_has_a_case():
    """A new adapter cannot rely on the RequestSide default (no vectors) unnoticed."""
    assert {case.adapter for case in CASES.values()} == set(known_adapters())


vectors = st.lists(
    st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=8
)
VECTOR_CASES = {name: case for name, case in CASES.items() if any(case.expected)}


@pytest.mark.parametrize("case", VECTOR_CASES.values(), ids=VECTOR_CASES)
@settings(max_examples=50, deadline=None)  # no timing assertion in tests
@given(vector=vectors, pick=st.integers(min_value=0))
def test_rewrite_then_read_gives_the_new_vector(case, vector, pick):
    """After rewrite(doc, {i: v}) query i reads v (in the document and in the bytes sent).

    The other queries keep their vectors.
    """
    adapter = case.build()
    doc = adapter.parse_request(case.raw())
    with_vector = adapter.query_vectors(doc).with_vector
    index = with_vector[pick % len(with_vector)]
    adapter.rewrite(doc, {index: vector}, {})
    expected = copy.deepcopy(case.expected)
    expected[index] = vector
    assert adapter.query_vector_values(doc) == expected
    sent = adapter.parse_request(adapter.dump_request(doc))
    assert adapter.query_vector_values(sent) == expected


def test_weaviate_variable_missing_reads_nothing():
    """A $variable absent from ``variables`` carries no readable vector: []."""
    case = Case("weaviate", {"query": WEAVIATE_INLINE}, [A, []])
    adapter = case.build()
    assert adapter.query_vector_values(adapter.parse_request(case.raw())) == [A, []]


@pytest.mark.parametrize(
    ("adapter", "body", "options"),
    [
        ("typesense", {"q": "*", "vector_query": "vec:([0.1, x], k: 10)"}, {}),
        ("typesense", {"searches": "not a list"}, {}),
        ("weaviate", {"query": "{ Things { title } }"}, {}),
        ("chroma", {"query_embeddings": [["fish"]]}, {}),
        ("generic", {"q": "fish"}, {**GENERIC, "vector": "q"}),
        ("generic", {}, {**GENERIC, "vector": "q"}),
    ],
)
def test_unreadable_request_is_an_adapter_error(adapter, body, options):
    """Where query_vectors refuses a request, query_vector_values refuses it too."""
    case = Case(adapter, body, [], options)
    built = case.build()
    doc = built.parse_request(case.raw())
    with pytest.raises(AdapterError):
        built.query_vectors(doc)
    with pytest.raises(AdapterError):
        built.query_vector_values(doc)
