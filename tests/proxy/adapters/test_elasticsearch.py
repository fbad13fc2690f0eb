"""Elasticsearch and OpenSearch kNN: hits, msearch batches, vectors found where kNN puts them."""

from __future__ import annotations

import json

import pytest

from proxy.adapters.elasticsearch import ElasticsearchAdapter, MultiSearch
from proxy.errors import UnparseableResponseError


def answer(*pairs):
    """A search answer as the reference shows it: hits.hits[]._id and _score."""
    return {
        "took": 3,
        "timed_out": False,
        "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
        "hits": {
            "total": {"value": len(pairs), "relation": "eq"},
            "max_score": pairs[0][1] if pairs else None,
            "hits": [{"_index": "docs", "_id": i, "_score": s, "_source": {}} for i, s in pairs],
        },
    }


def test_search_answer_is_one_list_of_similarities():
    """_score is already a similarity."""
    (ranked,) = ElasticsearchAdapter().rankings(answer(("a", 0.98), ("b", 0.9)))
    assert ranked.ids == ("a", "b")
    assert ranked.scores == pytest.approx((0.98, 0.9))


def test_msearch_answer_is_one_list_per_response():
    """_msearch answers are compared response by response; empty hits are an empty list."""
    lists = ElasticsearchAdapter().rankings(
        {"took": 5, "responses": [answer(("a", 0.9)), answer()]}
    )
    assert [r.ids for r in lists] == [("a",), ()]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {
                "responses": [
                    {
                        "error": {
                            "type": "index_not_found_exception",
                            "reason": "no such index [x]",
                        },
                        "status": 404,
                    }
                ]
            },
            "no such index",
        ),
        (
            {
                "error": {
                    "root_cause": [],
                    "type": "search_phase_execution_exception",
                    "reason": "all shards failed",
                },
                "status": 400,
            },
            "all shards failed",
        ),
        ({"hits": {"hits": [{"_id": "a", "_score": None}]}}, "finite number"),
    ],
)
def test_errors_are_unparseable(body, message):
    """Error bodies and hits without scores (a sorted search) are not compared."""
    with pytest.raises(UnparseableResponseError, match=message):
        ElasticsearchAdapter().rankings(body)


def test_every_knn_vector_of_a_search_is_replaced():
    """Top-level knn (a list), a knn query inside bool: all get the query's new vector."""
    adapter = ElasticsearchAdapter()
    doc = adapter.parse_request(
        json.dumps(
            {
                "knn": [
                    {
                        "field": "title_vec",
                        "query_vector": [0.1, 0.2],
                        "k": 10,
                        "num_candidates": 100,
                    },
                    {
                        "field": "body_vec",
                        "query_vector_builder": {
                            "text_embedding": {"model_id": "m", "model_text": "x"}
                        },
                        "k": 10,
                    },
                ],
                "query": {
                    "bool": {
                        "should": [
                            {
                                "knn": {
                                    "field": "v",
                                    "query_vector": [0.3, 0.4],
                                    "num_candidates": 50,
                                }
                            }
                        ]
                    }
                },
                "_source": ["title"],
            }
        ).encode()
    )
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (1, (0,))
    out = json.loads(adapter.dump_request(adapter.rewrite(doc, {0: [1.0, 2.0, 3.0]}, {})))
    assert out["knn"][0]["query_vector"] == [1.0, 2.0, 3.0]
    assert "query_vector" not in out["knn"][1]
    assert out["query"]["bool"]["should"][0]["knn"]["query_vector"] == [1.0, 2.0, 3.0]


def test_opensearch_knn_query_vector_is_replaced():
    """OpenSearch's query.knn.<field>.vector is found and replaced."""
    adapter = ElasticsearchAdapter()
    doc = {"size": 10, "query": {"knn": {"my_vector": {"vector": [2.0, 3.0], "k": 10}}}}
    assert adapter.query_vectors(doc).with_vector == (0,)
    out = adapter.rewrite(doc, {0: [9.0, 8.0, 7.0]}, {})
    assert out["query"]["knn"]["my_vector"] == {"vector": [9.0, 8.0, 7.0], "k": 10}


def test_a_text_search_has_no_vector():
    """A match query carries nothing to re-embed."""
    assert (
        ElasticsearchAdapter().query_vectors({"query": {"match": {"title": "x"}}}).with_vector == ()
    )


def test_msearch_ndjson_round_trip():
    """NDJSON pairs: each body is a query, each header's index renamed, newline-terminated."""
    adapter = ElasticsearchAdapter()
    body = (
        b'{"index": "old"}\n'
        b'{"knn": {"field": "v", "query_vector": [0.1], "k": 5, "num_candidates": 10}}\n'
        b'{"index": "keep"}\n{"query": {"match_all": {}}}\n'
    )
    doc = adapter.parse_request(body)
    assert isinstance(doc, MultiSearch)
    shape = adapter.query_vectors(doc)
    assert (shape.queries, shape.with_vector) == (2, (0,))
    out = adapter.dump_request(adapter.rewrite(doc, {0: [0.5, 0.5]}, {"old": "new"}))
    lines = out.decode().split("\n")
    assert lines[-1] == ""
    assert json.loads(lines[0]) == {"index": "new"}
    assert json.loads(lines[1])["knn"]["query_vector"] == [0.5, 0.5]
    assert json.loads(lines[2]) == {"index": "keep"}
