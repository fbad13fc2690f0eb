"""Milvus REST v2 entities/search: flat hits cut by topks, errors with HTTP 200, rewriting."""

from __future__ import annotations

import pytest

from proxy.adapters.milvus import MilvusAdapter
from proxy.errors import UnparseableResponseError


def test_single_query_answer_as_in_the_reference():
    """The reference's example answer: one query, distance is a (cosine) similarity."""
    body = {
        "code": 0,
        "data": [
            {"color": "pink_8682", "distance": 1, "id": 0},
            {"color": "red_7025", "distance": 0.6290165, "id": 1},
            {"color": "red_4794", "distance": 0.5975797, "id": 4},
        ],
    }
    (ranked,) = MilvusAdapter().rankings(body)
    assert ranked.ids == ("0", "1", "4")
    assert ranked.scores == pytest.approx((1.0, 0.6290165, 0.5975797))


def test_batch_answer_is_cut_by_topks():
    """Two query vectors: the flat list is split by topks (one query may find fewer)."""
    body = {
        "code": 0,
        "cost": 0,
        "data": [
            {"id": 1, "distance": 0.9},
            {"id": 2, "distance": 0.8},
            {"id": 7, "distance": 0.5},
        ],
        "topks": [2, 1],
    }
    lists = MilvusAdapter().rankings(body)
    assert [r.ids for r in lists] == [("1", "2"), ("7",)]


def test_l2_and_custom_primary_key():
    """With score = distance, 1 - d; 1 - d; id_field names the primary key."""
    (ranked,) = MilvusAdapter("distance", "pk").rankings(
        {"code": 0, "data": [{"pk": "x", "distance": 0.25}], "topks": [1]}
    )
    assert ranked.ids == ("x",)
    assert ranked.scores == pytest.approx((0.75,))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"code": 1100, "message": "collection not found[collection=docs]"}, "Milvus error 1100"),
        ({"code": 0, "data": [{"id": 1, "distance": 0.1}], "topks": [2]}, "do not add up"),
        ({"code": 0, "data": [{"id": 1}]}, "finite number"),
    ],
)
def test_errors_are_unparseable(body, message):
    """Milvus reports errors with HTTP 200 and a non-zero code."""
    with pytest.raises(UnparseableResponseError, match=message):
        MilvusAdapter().rankings(body)


def test_empty_answer():
    """No hit: one empty list."""
    assert MilvusAdapter().rankings({"code": 0, "data": [], "topks": [0]})[0].ids == ()


def test_request_rewrite():
    """data[i] replaced, collectionName renamed; texts (BM25 search) carry no vector."""
    adapter = MilvusAdapter()
    doc = {
        "collectionName": "old",
        "data": [[0.1, 0.2], [0.3, 0.4]],
        "annsField": "vector",
        "limit": 3,
    }
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (2, (0, 1))
    adapter.rewrite(doc, {0: [1.0], 1: [2.0]}, {"old": "new"})
    assert doc == {
        "collectionName": "new",
        "data": [[1.0], [2.0]],
        "annsField": "vector",
        "limit": 3,
    }
    assert adapter.query_vectors({"collectionName": "c", "data": ["some text"]}).with_vector == ()
