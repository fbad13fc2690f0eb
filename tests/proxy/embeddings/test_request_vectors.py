"""A search request's query vectors, read back through each adapter's own rewrite.

Bodies are shaped as in each engine's API reference (as the adapters' own tests shape them);
every vector query must give back its exact numbers, batches query by query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from proxy.adapters import adapter_for
from proxy.config.where import Where
from proxy.embeddings.request_vectors import query_vector_values

A = [0.1, -0.25, 3e-05, 0.5]
B = [-0.75, 0.125, 1.0, -1e-07]


@dataclass
class Route:
    """A route as adapters see it (RouteSpec)."""

    adapter: str
    options: dict[str, Any] = field(default_factory=dict)


def read(adapter: str, body: bytes | dict[str, Any], **options: Any) -> dict[int, list[float]]:
    """The vectors ``adapter`` finds in ``body``, for every query that carries one."""
    built = adapter_for(Route(adapter, options), Where("test.toml", table=("routes",)))
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    shape = built.query_vectors(built.parse_request(raw))
    return query_vector_values(built, raw, shape.with_vector)


WEAVIATE_INLINE = (
    "{ Get { Article(nearVector: {vector: [0.1, -0.25, 3e-05, 0.5], distance: 0.7}, limit: 10)"
    " { title } Book(nearVector: {vector: $v}) { title } } }"
)

CASES = {
    "chroma batch": ("chroma", {"query_embeddings": [A, B], "n_results": 10}, {}, {0: A, 1: B}),
    "typesense multi_search": (
        "typesense",
        {
            "searches": [
                {"collection": "c", "q": "*", "vector_query": f"vec:({json.dumps(A)}, k:10)"},
                {"collection": "c", "q": "*", "vector_query": "vec:([], id: 42)"},
                {"collection": "c", "q": "*", "vector_query": f"vec:({json.dumps(B)}, k:5)"},
            ]
        },
        {},
        {0: A, 2: B},
    ),
    "typesense numpy-style numbers": (
        "typesense",
        {
            "q": "*",
            "vector_query": "vec:([0.1, -0.25, 3e-05, 0.5], k: 10, distance_threshold: 0.3)",
        },
        {},
        {0: A},
    ),
    "qdrant search": ("qdrant", {"vector": A, "limit": 10}, {}, {0: A}),
    "qdrant named vector": (
        "qdrant",
        {"vector": {"name": "text", "vector": A}, "limit": 3},
        {},
        {0: A},
    ),
    "qdrant batch query": (
        "qdrant",
        {"searches": [{"query": A, "limit": 2}, {"query": {"nearest": B}, "limit": 2}]},
        {},
        {0: A, 1: B},
    ),
    "elasticsearch knn": (
        "elasticsearch",
        {"knn": {"field": "v", "query_vector": A, "k": 10, "num_candidates": 50}},
        {},
        {0: A},
    ),
    "elasticsearch msearch": (
        "elasticsearch",
        b'{"index": "docs"}\n'
        + json.dumps({"knn": {"field": "v", "query_vector": A, "k": 3}}).encode()
        + b'\n{"index": "docs"}\n'
        + json.dumps({"knn": {"field": "v", "query_vector": B, "k": 3}}).encode()
        + b"\n",
        {},
        {0: A, 1: B},
    ),
    "milvus": ("milvus", {"collectionName": "c", "data": [A, B], "limit": 3}, {}, {0: A, 1: B}),
    "pinecone": ("pinecone", {"namespace": "n", "vector": A, "topK": 3}, {}, {0: A}),
    "weaviate inline and variable": (
        "weaviate",
        {"query": WEAVIATE_INLINE, "variables": {"v": B}},
        {},
        {0: A, 1: B},
    ),
    "generic": (
        "generic",
        {"index": "old", "queries": [{"embedding": A}, {"embedding": B}]},
        {"ids": "r[*].id", "scores": "r[*].s", "vector": "queries[*].embedding"},
        {0: A, 1: B},
    ),
}


@pytest.mark.parametrize(("adapter", "body", "options", "expected"), CASES.values(), ids=CASES)
def test_vectors_are_read_through_the_adapter(adapter, body, options, expected):
    """Each vector query's numbers come back exactly; queries without a vector are absent."""
    assert read(adapter, body, **options) == expected


def test_nothing_to_read():
    """No vector query, or a body the adapter cannot parse: nothing."""
    assert read("qdrant", {"query": "43cf51e2-8777-4f52-bc74-c2cbde0c8b04"}) == {}
    built = adapter_for(Route("chroma"), Where("test.toml"))
    assert query_vector_values(built, b"not json", [0]) == {}
