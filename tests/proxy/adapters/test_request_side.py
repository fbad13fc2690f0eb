"""Qdrant's and the generic adapter's request side: where vectors and collections are."""

from __future__ import annotations

import pytest

from proxy.adapters import adapter_for
from proxy.adapters.qdrant import QdrantAdapter
from proxy.config.where import Where
from proxy.errors import AdapterError
from tests.support.config import make_config


@pytest.mark.parametrize(
    ("doc", "with_vector", "after"),
    [
        ({"vector": [0.1, 0.2], "limit": 3}, (0,), {"vector": [1.0], "limit": 3}),
        (
            {"vector": {"name": "text", "vector": [0.1]}},
            (0,),
            {"vector": {"name": "text", "vector": [1.0]}},
        ),
        ({"query": [0.1, 0.2], "using": "text"}, (0,), {"query": [1.0], "using": "text"}),
        ({"query": {"nearest": [0.1]}}, (0,), {"query": {"nearest": [1.0]}}),
        ({"query": "43cf51e2-8777-4f52-bc74-c2cbde0c8b04"}, (), None),
        ({"vector": {"name": "sparse", "vector": {"indices": [1], "values": [0.5]}}}, (), None),
    ],
)
def test_qdrant_search_and_query_vectors(doc, with_vector, after):
    """Dense vectors (plain, named, nearest) are replaced; point ids and sparse vectors are not."""
    adapter = QdrantAdapter()
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (1, with_vector)
    if after is not None:
        assert adapter.rewrite(doc, {0: [1.0]}, {}) == after


def test_qdrant_batch_and_its_answers():
    """searches[i] is query i; batch query answers ({"points"} per query) are read too."""
    adapter = QdrantAdapter()
    doc = {"searches": [{"vector": [0.1], "limit": 2}, {"query": [0.2], "limit": 2}]}
    assert adapter.query_vectors(doc).with_vector == (0, 1)
    adapter.rewrite(doc, {0: [1.0], 1: [2.0]}, {})
    assert doc == {"searches": [{"vector": [1.0], "limit": 2}, {"query": [2.0], "limit": 2}]}
    lists = adapter.rankings(
        {
            "result": [{"points": [{"id": 1, "score": 0.5}]}, {"points": []}],
            "status": "ok",
            "time": 0.1,
        }
    )
    assert [r.ids for r in lists] == [("1",), ()]


def _generic(options):
    config = make_config(
        "http://127.0.0.1:1",
        "http://127.0.0.1:2",
        routes=f'[[routes]]\nname = "s"\npath = "/s"\nadapter = "generic"\noptions = {options}\n',
    )
    return adapter_for(config.routes[0], Where("t", ""))


def test_generic_vector_and_collection_paths():
    """Each value the vector path reaches is a query; the collection path is renamed."""
    adapter = _generic(
        '{ ids = "r[*].id", scores = "r[*].s", vector = "queries[*].embedding", '
        'collection = "index" }'
    )
    doc = {"index": "old", "queries": [{"embedding": [0.1]}, {"embedding": [0.2]}]}
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (2, (0, 1))
    adapter.rewrite(doc, {0: [1.0], 1: [2.0]}, {"old": "new"})
    assert doc == {"index": "new", "queries": [{"embedding": [1.0]}, {"embedding": [2.0]}]}


def test_generic_without_vector_option_sends_as_is():
    """No vector option: one query, nothing to re-embed."""
    adapter = _generic('{ ids = "r[*].id", scores = "r[*].s" }')
    assert adapter.query_vectors({"vector": [0.1]}).with_vector == ()


def test_generic_vector_path_must_reach_vectors():
    """A path that reaches something other than a vector, or nothing, is an AdapterError."""
    adapter = _generic('{ ids = "r[*].id", scores = "r[*].s", vector = "q" }')
    with pytest.raises(AdapterError, match="not a vector"):
        adapter.query_vectors({"q": "text"})
    with pytest.raises(AdapterError, match="no field 'q'"):
        adapter.query_vectors({})
