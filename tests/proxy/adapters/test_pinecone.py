"""Pinecone query: matches, the deprecated batch form, vector and namespace rewriting."""

from __future__ import annotations

import pytest

from proxy.adapters.pinecone import PineconeAdapter
from proxy.errors import UnparseableResponseError
from tests.support.config import make_config

# As the 2026-07 data-plane reference answers POST /query.
ANSWER = {
    "results": [],
    "matches": [
        {
            "id": "example-vector-1",
            "score": 0.08,
            "values": [],
            "metadata": {"genre": "documentary"},
        },
        {"id": "example-vector-2", "score": 0.07, "values": []},
    ],
    "namespace": "example-namespace",
    "usage": {"readUnits": 5},
}


def test_matches_are_one_list_of_similarities():
    """Scores of a cosine index are similarities."""
    (ranked,) = PineconeAdapter().rankings(ANSWER)
    assert ranked.ids == ("example-vector-1", "example-vector-2")
    assert ranked.scores == pytest.approx((0.08, 0.07))


def test_euclidean_scores_are_distances():
    """With score = "distance" (euclidean index), lower scores are closer: 1 - d."""
    config = make_config(
        "http://127.0.0.1:1",
        "http://127.0.0.1:2",
        routes='[[routes]]\nname = "q"\npath = "/query"\nadapter = "pinecone"\n'
        'options = { score = "distance" }\n',
    )
    from proxy.adapters import adapter_for
    from proxy.config.where import Where

    adapter = adapter_for(config.routes[0], Where("t", ""))
    (ranked,) = adapter.rankings(ANSWER)
    assert ranked.scores == pytest.approx((0.92, 0.93))


def test_deprecated_batch_answer_gives_one_list_per_query():
    """{"results": [{"matches": ...}, ...]} with empty top-level matches is a batch."""
    lists = PineconeAdapter().rankings(
        {
            "results": [
                {"matches": [{"id": "a", "score": 0.9}], "namespace": ""},
                {"matches": [], "namespace": ""},
            ],
            "matches": [],
            "namespace": "",
        }
    )
    assert [r.ids for r in lists] == [("a",), ()]


def test_empty_and_error_answers():
    """No match is an empty list; an error body is unparseable."""
    assert (
        PineconeAdapter()
        .rankings({"matches": [], "namespace": "", "usage": {"readUnits": 1}})[0]
        .ids
        == ()
    )
    with pytest.raises(UnparseableResponseError, match="no 'matches'"):
        PineconeAdapter().rankings(
            {
                "code": 3,
                "message": "Vector dimension 3 does not match the dimension of the index 8",
                "details": [],
            }
        )


def test_vector_and_namespace_are_rewritten_id_queries_are_not():
    """A vector query gets the new vector and namespace; a query by id carries no vector."""
    adapter = PineconeAdapter()
    doc = {"namespace": "old", "vector": [0.3, 0.3], "topK": 3, "includeValues": False}
    assert adapter.query_vectors(doc).with_vector == (0,)
    assert adapter.rewrite(doc, {0: [1.0, 0.0, 0.0]}, {"old": "new"}) == {
        "namespace": "new",
        "vector": [1.0, 0.0, 0.0],
        "topK": 3,
        "includeValues": False,
    }
    assert adapter.query_vectors({"namespace": "old", "id": "rec-1", "topK": 3}).with_vector == ()


def test_deprecated_batch_request_vectors():
    """queries[i].values is query i's vector."""
    adapter = PineconeAdapter()
    doc = {"queries": [{"values": [0.1, 0.2]}, {"values": [0.3, 0.4]}], "topK": 2}
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (2, (0, 1))
    adapter.rewrite(doc, {0: [1.0], 1: [2.0]}, {})
    assert doc["queries"] == [{"values": [1.0]}, {"values": [2.0]}]
