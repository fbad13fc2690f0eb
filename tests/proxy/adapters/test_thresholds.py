"""Adapters: request thresholds (where, which way, which scale), their rewrite, answers rescored.

Bodies are shaped as in each engine's API reference (cited in the adapters' docstrings); each
adapter is checked in both directions it supports: a similarity kept above and a distance kept
below. Scales are checked against their formulas.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.adapters import adapter_for
from proxy.adapters.base import Adapter
from proxy.adapters.elasticsearch import MultiSearch
from proxy.adapters.scales import (
    COSINE_DISTANCE,
    EUCLIDEAN,
    INNER_PRODUCT_SCORE,
    INVERSE_SQUARED_EUCLIDEAN,
    NEGATIVE_SIMILARITY,
    SCALES,
    SQUARED_EUCLIDEAN,
    UNIT_SIMILARITY,
    Scale,
)
from proxy.config.where import Where
from proxy.errors import AdapterError, ConfigError

VECTOR = [0.1, 0.2, 0.3]


@dataclass
class Route:
    """A route as adapters see it (RouteSpec)."""

    adapter: str
    options: dict[str, Any] = field(default_factory=dict)


def build(name: str, **options: Any) -> Adapter:
    """The adapter ``name`` built from a route with ``options``."""
    return adapter_for(Route(name, options), Where("test.toml", table=("routes",)))


def found(adapter: Adapter, doc: Any) -> list[tuple[str, int | None, float, str, str | None]]:
    """(field, query, value, keeps, scale name) of each threshold the adapter finds."""
    return [
        (t.field, t.query, t.value, t.keeps, None if t.scale is None else t.scale.name)
        for t in adapter.thresholds(doc)
    ]


def minus_one(value: float, scale: Scale) -> float:
    """A rescale that shows which scale each score was read in: its name's length, negated."""
    return -float(len(scale.name)) + value * 0.0


# ---------------------------------------------------------------------------------------
# scales


@pytest.mark.parametrize("scale", list(SCALES.values()), ids=list(SCALES))
@given(s=st.floats(min_value=-1.0, max_value=1.0))
def test_scales_round_trip(scale, s):
    """Every scale maps the calibrator's similarity to its values and back (unit vectors)."""
    back = scale.to_similarity(scale.from_similarity(s))
    assert back is not None
    assert math.isclose(back, s, abs_tol=1e-9)


@pytest.mark.parametrize("scale", list(SCALES.values()), ids=list(SCALES))
def test_scales_point_the_way_they_say(scale):
    """A scale's values rise with the similarity when closer is 'higher', else fall."""
    low, high = scale.from_similarity(0.2), scale.from_similarity(0.6)
    assert (high > low) == (scale.closer == "higher")


def test_scale_formulas():
    """The engines' formulas at cos = 0.6 (unit vectors: |a - b|² = 2 - 2 cos)."""
    s = 0.6
    assert UNIT_SIMILARITY.from_similarity(s) == pytest.approx(0.8)  # Elasticsearch cosine _score
    assert COSINE_DISTANCE.from_similarity(s) == pytest.approx(0.4)  # Weaviate, Typesense, Chroma
    assert EUCLIDEAN.from_similarity(s) == pytest.approx(math.sqrt(0.8))  # Qdrant Euclid
    assert SQUARED_EUCLIDEAN.from_similarity(s) == pytest.approx(0.8)  # Milvus L2
    assert INVERSE_SQUARED_EUCLIDEAN.from_similarity(s) == pytest.approx(1 / 1.8)  # ES l2_norm
    assert INNER_PRODUCT_SCORE.from_similarity(s) == pytest.approx(1.6)
    assert INNER_PRODUCT_SCORE.from_similarity(-1.0) == pytest.approx(0.5)
    assert NEGATIVE_SIMILARITY.from_similarity(s) == pytest.approx(-0.6)
    assert EUCLIDEAN.to_similarity(-0.1) is None
    assert INVERSE_SQUARED_EUCLIDEAN.to_similarity(0.0) is None


# ---------------------------------------------------------------------------------------
# Qdrant


def test_qdrant_search_query_and_batch_thresholds():
    """score_threshold of search, query and each batch search: a cosine kept above."""
    adapter = build("qdrant")
    search = {"vector": VECTOR, "limit": 10, "score_threshold": 0.5}
    assert found(adapter, search) == [("score_threshold", 0, 0.5, "above", "similarity")]
    query = {"query": {"nearest": VECTOR}, "using": "text", "score_threshold": 0.4}
    assert found(adapter, query) == [("score_threshold", 0, 0.4, "above", "similarity")]
    batch = {
        "searches": [
            {"vector": VECTOR, "limit": 3, "score_threshold": 0.3},
            {"vector": VECTOR, "limit": 3},
            {"query": VECTOR, "limit": 3, "score_threshold": 0.6},
        ]
    }
    assert [(t[0], t[1]) for t in found(adapter, batch)] == [
        ("searches[0].score_threshold", 0),
        ("searches[2].score_threshold", 2),
    ]
    adapter.rewrite_thresholds(batch, {1: 0.7})
    assert [s.get("score_threshold") for s in batch["searches"]] == [0.3, None, 0.7]
    assert found(adapter, {"vector": VECTOR, "score_threshold": None}) == []


def test_qdrant_euclid_is_a_distance_kept_below_and_manhattan_untranslatable():
    """An Euclid collection's threshold is a distance kept below; Manhattan has no scale."""
    euclid = build("qdrant", metric="Euclid")
    doc = {"vector": VECTOR, "score_threshold": 0.9}
    assert found(euclid, doc) == [("score_threshold", 0, 0.9, "below", "euclidean")]
    euclid.rewrite_thresholds(doc, {0: 0.8})
    assert doc["score_threshold"] == 0.8
    manhattan = build("qdrant", metric="manhattan")
    assert found(manhattan, {"vector": VECTOR, "score_threshold": 3.0})[0][4] is None
    with pytest.raises(ConfigError, match=r"options\.score"):
        build("qdrant", metric="euclid", score="similarity")


@pytest.mark.parametrize(
    "query",
    [
        {"fusion": "rrf"},
        {"recommend": {"positive": [1]}},
        {"indices": [1, 2], "values": [0.5, 0.5]},
        {"order_by": "price"},
    ],
)
def test_qdrant_queries_not_scored_by_one_vector_are_untranslatable(query):
    """Fusion, recommend, sparse and order_by scores relate to no similarity of one vector."""
    assert found(build("qdrant"), {"query": query, "score_threshold": 0.5})[0][4] is None


def test_qdrant_rescores_points_of_each_answer_shape():
    """Search, query and batch answers: every point's score goes through the rescale."""
    adapter = build("qdrant")
    search: dict[str, Any] = {
        "result": [{"id": 1, "score": 0.9}, {"id": 2, "score": 0.8}],
        "status": "ok",
    }
    adapter.rescore(search, {"vector": VECTOR}, minus_one)
    assert [p["score"] for p in search["result"]] == [-10.0, -10.0]
    query = {"result": {"points": [{"id": 1, "score": 0.9}]}}
    adapter.rescore(query, {"query": VECTOR}, minus_one)
    assert query["result"]["points"][0]["score"] == -10.0
    batch = {"result": [[{"id": 1, "score": 0.9}], [{"id": 2, "score": 0.5}]]}
    adapter.rescore(batch, {"searches": [{"vector": VECTOR}, {"vector": VECTOR}]}, minus_one)
    assert [r[0]["score"] for r in batch["result"]] == [-10.0, -10.0]
    with pytest.raises(AdapterError, match="fusion"):
        adapter.rescore(search, {"query": {"fusion": "rrf"}}, minus_one)


# ---------------------------------------------------------------------------------------
# Elasticsearch and OpenSearch


def test_elasticsearch_knn_similarity_and_min_score():
    """knn.similarity is the raw cosine (kept above); min_score the _score, (1 + cos) / 2."""
    adapter = build("elasticsearch")
    doc: dict[str, Any] = {
        "knn": {
            "field": "vec",
            "query_vector": VECTOR,
            "k": 10,
            "num_candidates": 100,
            "similarity": 0.5,
        },
        "min_score": 0.75,
    }
    assert found(adapter, doc) == [
        ("knn.similarity", 0, 0.5, "above", "similarity"),
        ("min_score", 0, 0.75, "above", "unit_similarity"),
    ]
    adapter.rewrite_thresholds(doc, {0: 0.6, 1: 0.8})
    assert (doc["knn"]["similarity"], doc["min_score"]) == (0.6, 0.8)


def test_elasticsearch_l2_norm_similarity_is_a_distance():
    """For l2_norm fields knn.similarity is the L2 distance, kept below; _score 1/(1 + d²)."""
    adapter = build("elasticsearch", similarity="l2_norm")
    doc: dict[str, Any] = {
        "query": {"knn": {"field": "vec", "query_vector": VECTOR, "similarity": 0.9}}
    }
    doc["min_score"] = 0.5
    assert found(adapter, doc) == [
        ("query.knn.similarity", 0, 0.9, "below", "euclidean"),
        ("min_score", 0, 0.5, "above", "inverse_squared_euclidean"),
    ]


def test_elasticsearch_min_score_of_a_combined_score_is_untranslatable():
    """A query beside the kNN clause, two clauses or a boost make _score no one similarity."""
    adapter = build("elasticsearch")
    knn = {"field": "vec", "query_vector": VECTOR, "k": 5, "num_candidates": 50}
    hybrid = {"knn": knn, "query": {"match": {"text": "x"}}, "min_score": 0.5}
    two = {"knn": [knn, dict(knn)], "min_score": 0.5}
    boosted = {"knn": {**knn, "boost": 2.0}, "min_score": 0.5}
    for doc in (hybrid, two, boosted):
        assert found(adapter, doc)[-1][4] is None
    retriever = {"retriever": {"knn": {**knn, "similarity": 0.4}}}
    assert found(adapter, retriever) == [
        ("retriever.knn.similarity", 0, 0.4, "above", "similarity")
    ]


def test_opensearch_radial_search_max_distance_and_min_score():
    """OpenSearch's max_distance is the space's distance (kept below), min_score its score."""
    cosine = build("elasticsearch", similarity="cosinesimil")
    doc = {"query": {"knn": {"vec": {"vector": VECTOR, "max_distance": 0.4}}}}
    assert found(cosine, doc) == [
        ("query.knn.vec.max_distance", 0, 0.4, "below", "cosine_distance")
    ]
    l2 = build("elasticsearch", similarity="l2")
    doc = {"query": {"knn": {"vec": {"vector": VECTOR, "min_score": 0.6}}}}
    assert found(l2, doc) == [
        ("query.knn.vec.min_score", 0, 0.6, "above", "inverse_squared_euclidean")
    ]
    l2.rewrite_thresholds(doc, {0: 0.55})
    assert doc["query"]["knn"]["vec"]["min_score"] == 0.55


def test_elasticsearch_multi_search_thresholds_per_body():
    """_msearch: each body is one query; its thresholds carry that query's index."""
    adapter = build("elasticsearch")
    knn = {"field": "vec", "query_vector": VECTOR, "k": 3, "num_candidates": 9}
    raw = b"".join(
        json.dumps(line).encode() + b"\n"
        for line in (
            {"index": "docs"},
            {"knn": knn},
            {"index": "docs"},
            {"knn": {**knn, "similarity": 0.45}},
        )
    )
    doc = adapter.parse_request(raw)
    assert isinstance(doc, MultiSearch)
    assert found(adapter, doc) == [("knn.similarity", 1, 0.45, "above", "similarity")]
    adapter.rewrite_thresholds(doc, {0: 0.5})
    assert b'"similarity":0.5' in adapter.dump_request(doc)


def test_elasticsearch_rescores_score_and_max_score():
    """Each hit's _score and the max_score of a one-clause kNN search are rescaled."""
    adapter = build("elasticsearch")
    answer: dict[str, Any] = {"hits": {"max_score": 0.9, "hits": [{"_id": "a", "_score": 0.9}]}}
    request = {"knn": {"field": "vec", "query_vector": VECTOR, "k": 1, "num_candidates": 5}}
    adapter.rescore(answer, request, minus_one)
    assert answer["hits"]["max_score"] == answer["hits"]["hits"][0]["_score"] == -15.0
    with pytest.raises(AdapterError, match="query beside"):
        adapter.rescore(answer, {**request, "query": {"match_all": {}}}, minus_one)


# ---------------------------------------------------------------------------------------
# Milvus


def test_milvus_cosine_range_search():
    """COSINE: radius is a lower bound (kept above), range_filter an upper one."""
    adapter = build("milvus")
    doc: dict[str, Any] = {
        "collectionName": "docs",
        "data": [VECTOR],
        "annsField": "vector",
        "limit": 10,
        "searchParams": {"metricType": "COSINE", "params": {"radius": 0.4, "range_filter": 1.0}},
    }
    assert found(adapter, doc) == [
        ("searchParams.params.radius", None, 0.4, "above", "similarity"),
        ("searchParams.params.range_filter", None, 1.0, "below", "similarity"),
    ]
    adapter.rewrite_thresholds(doc, {0: 0.5})
    assert doc["searchParams"]["params"] == {"radius": 0.5, "range_filter": 1.0}


def test_milvus_l2_range_search_is_a_squared_distance():
    """L2 (the request's metricType wins over the route's): radius kept below, squared L2."""
    adapter = build("milvus", metric="COSINE")
    doc: dict[str, Any] = {
        "data": [VECTOR],
        "searchParams": {"metricType": "L2", "params": {"radius": 1.2}},
    }
    assert found(adapter, doc) == [
        ("searchParams.params.radius", None, 1.2, "below", "squared_euclidean")
    ]
    answer: dict[str, Any] = {"code": 0, "data": [{"id": 1, "distance": 0.3}], "topks": [1]}
    build("milvus", metric="L2").rescore(answer, {"data": [VECTOR]}, minus_one)
    assert answer["data"][0]["distance"] == -17.0


# ---------------------------------------------------------------------------------------
# Weaviate


def test_weaviate_certainty_and_distance_literals_rewritten_in_place():
    """Certainty is (1 + cos) / 2 kept above, distance 1 - cos kept below; text kept as is."""
    adapter = build("weaviate")
    query = (
        "{ Get { Article(nearVector: {vector: [0.1, 0.2], certainty: 0.7}, limit: 5) "
        "{ title _additional { id certainty } } "
        'Doc: Paper(nearText: {concepts: ["x"], distance: 0.35}) { _additional { id } } } }'
    )
    doc = {"query": query}
    assert found(adapter, doc) == [
        ("nearVector.certainty", 0, 0.7, "above", "unit_similarity"),
        ("nearText.distance", 1, 0.35, "below", "cosine_distance"),
    ]
    adapter.rewrite_thresholds(doc, {0: 0.75, 1: 0.3})
    assert doc["query"] == query.replace("certainty: 0.7", "certainty: 0.75").replace(
        "distance: 0.35", "distance: 0.3"
    )


def test_weaviate_variables_and_hybrid_max_vector_distance():
    """A $variable threshold is set in variables; hybrid's maxVectorDistance is a distance."""
    adapter = build("weaviate", metric="l2-squared")
    doc: dict[str, Any] = {
        "query": "query($v: [Float], $d: Float) { Get { A(nearVector: {vector: $v, distance: $d}) "
        '{ _additional { id distance } } B(hybrid: {query: "x", maxVectorDistance: 0.8}) '
        "{ _additional { id } } } }",
        "variables": {"v": VECTOR, "d": 0.5},
    }
    assert found(adapter, doc) == [
        ("nearVector.distance", 0, 0.5, "below", "squared_euclidean"),
        ("hybrid.maxVectorDistance", 1, 0.8, "below", "squared_euclidean"),
    ]
    adapter.rewrite_thresholds(doc, {0: 0.4, 1: 0.7})
    assert doc["variables"]["d"] == 0.4
    assert "maxVectorDistance: 0.7" in doc["query"]
    dot = build("weaviate", metric="dot")
    certainty = {"query": "{ Get { A(nearVector: {vector: [1], certainty: 0.8}) { x } } }"}
    assert found(dot, certainty)[0][4] is None


def test_weaviate_rescores_additional_distance_and_certainty():
    """_additional.distance and .certainty are rescaled, each in its own scale."""
    answer = {
        "data": {
            "Get": {
                "A": [{"_additional": {"id": "1", "distance": 0.2}}],
                "B": [{"_additional": {"id": "2", "certainty": 0.9}}],
            }
        }
    }
    build("weaviate").rescore(answer, {}, minus_one)
    assert answer["data"]["Get"]["A"][0]["_additional"]["distance"] == -15.0
    assert answer["data"]["Get"]["B"][0]["_additional"]["certainty"] == -15.0


# ---------------------------------------------------------------------------------------
# Typesense


def test_typesense_distance_threshold_inside_vector_query():
    """distance_threshold in vector_query: a cosine distance, only its number rewritten."""
    adapter = build("typesense")
    doc = {
        "searches": [
            {"collection": "docs", "q": "*", "vector_query": "vec:([0.1, 0.2], k: 10)"},
            {
                "collection": "docs",
                "q": "*",
                "vector_query": "vec:([0.1, 0.2], k: 10, distance_threshold: 0.30)",
            },
            {
                "collection": "docs",
                "q": "*",
                "vector_query": "vec:([], id: 42, distance_threshold:.5)",
            },
        ]
    }
    assert found(adapter, doc) == [
        ("vector_query.distance_threshold", 1, 0.3, "below", "cosine_distance"),
        ("vector_query.distance_threshold", 2, 0.5, "below", "cosine_distance"),
    ]
    adapter.rewrite_thresholds(doc, {0: 0.25, 1: 0.4})
    assert doc["searches"][1]["vector_query"] == "vec:([0.1, 0.2], k: 10, distance_threshold: 0.25)"
    assert doc["searches"][2]["vector_query"] == "vec:([], id: 42, distance_threshold:0.4)"
    answer = {"results": [{"hits": [{"document": {"id": "a"}, "vector_distance": 0.1}]}]}
    adapter.rescore(answer, doc, minus_one)
    assert answer["results"][0]["hits"][0]["vector_distance"] == -15.0


# ---------------------------------------------------------------------------------------
# Chroma and Pinecone: no threshold in the query API


def test_chroma_and_pinecone_carry_no_threshold_but_rescore():
    """Their query APIs take no threshold; their answers' scores can still be rescaled."""
    chroma = build("chroma", space="cosine")
    assert chroma.thresholds({"query_embeddings": [VECTOR], "n_results": 3}) == []
    answer = {"ids": [["a", "b"]], "distances": [[0.1, 0.2]]}
    chroma.rescore(answer, {}, minus_one)
    assert answer["distances"] == [[-15.0, -15.0]]
    assert build("chroma")  # the default space: l2 (Chroma's default)
    with pytest.raises(ConfigError, match=r"options\.space"):
        build("chroma", space="manhattan")
    pinecone = build("pinecone", metric="euclidean")
    assert pinecone.thresholds({"vector": VECTOR, "topK": 3}) == []
    matches: dict[str, Any] = {"matches": [{"id": "a", "score": 0.4}], "namespace": "docs"}
    pinecone.rescore(matches, {}, minus_one)
    assert matches["matches"][0]["score"] == -17.0


# ---------------------------------------------------------------------------------------
# generic


def test_generic_threshold_pointer_both_directions():
    """A JSON pointer with * reaches one threshold per query, in the configured scale."""
    similarity = build(
        "generic", ids="hits[*].id", scores="hits[*].score", threshold="/queries/*/min_similarity"
    )
    doc = {"queries": [{"min_similarity": 0.5}, {"min_similarity": 0.6}]}
    assert found(similarity, doc) == [
        ("/queries/*/min_similarity", 0, 0.5, "above", "similarity"),
        ("/queries/*/min_similarity", 1, 0.6, "above", "similarity"),
    ]
    similarity.rewrite_thresholds(doc, {1: 0.65})
    assert doc["queries"][1]["min_similarity"] == 0.65
    distance = build(
        "generic",
        ids="hits[*].id",
        scores="hits[*].d",
        score="distance",
        threshold="/max_distance",
        threshold_scale="squared_euclidean",
    )
    assert found(distance, {"max_distance": 0.8}) == [
        ("/max_distance", None, 0.8, "below", "squared_euclidean")
    ]
    answer = {"hits": [{"id": "a", "d": 0.1}]}
    distance.rescore(answer, {}, minus_one)
    assert answer["hits"][0]["d"] == -15.0  # score_scale defaults to cosine_distance


def test_generic_threshold_options_are_checked():
    """A bad pointer, scale or direction names the option."""
    base = {"ids": "hits[*].id", "scores": "hits[*].s"}
    with pytest.raises(ConfigError, match=r"options\.threshold\b"):
        build("generic", **base, threshold="min_score")
    with pytest.raises(ConfigError, match=r"options\.threshold_scale"):
        build("generic", **base, threshold="/m", threshold_scale="angular")
    with pytest.raises(ConfigError, match=r"options\.threshold_keeps"):
        build("generic", **base, threshold="/m", threshold_keeps="up")
