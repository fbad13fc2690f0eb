"""Request thresholds through a segment's map, and answers back to the old model's scale.

The map is the thresholds document's own :class:`~proxy.thresholds.scoremap.ScoreMap`; the
adapters are the real ones, on bodies shaped as in their engines' references.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.adapters import adapter_for
from proxy.adapters.base import Adapter
from proxy.config.where import Where
from proxy.shadow.translate import MapInForce, old_similarity, rescale_answer, translate
from proxy.thresholds.scoremap import MapPoint, ScoreMap

# old 0.2 -> new 0.3, 0.5 -> 0.62, 0.8 -> 0.86: a new model that scores everything higher
SCORE_MAP = ScoreMap(
    preserve="recall",
    anchor=(0.5, 0.62),
    points=(
        MapPoint(0.2, 0.3, 0.28, 0.32),
        MapPoint(0.5, 0.62, 0.6, 0.64),
        MapPoint(0.8, 0.86, 0.84, 0.88),
    ),
    domain=(0.2, 0.8),
)
FOUND = MapInForce(SCORE_MAP, 7)
VECTOR = [0.1, 0.2]


@dataclass
class Route:
    """A route as adapters see it."""

    adapter: str
    options: dict[str, Any] = field(default_factory=dict)


def build(name: str, **options: Any) -> Adapter:
    """The adapter ``name`` with ``options``."""
    return adapter_for(Route(name, options), Where("test.toml"))


def test_a_similarity_threshold_goes_through_the_map():
    """Qdrant's score_threshold 0.5 on the old model becomes the map's 0.62."""
    doc = {"vector": VECTOR, "limit": 10, "score_threshold": 0.5}
    translation = translate(build("qdrant"), doc, FOUND)
    assert translation.result == "translated"
    assert doc["score_threshold"] == pytest.approx(0.62)
    (change,) = translation.changes
    assert (change.field, change.original, change.result) == ("score_threshold", 0.5, "translated")
    assert change.translated == pytest.approx(0.62)


def test_a_distance_threshold_goes_through_similarity_and_back():
    """Weaviate's distance 0.5 (cos 0.5) becomes 1 - 0.62; certainty 0.75 (cos 0.5) 0.81."""
    doc = {
        "query": "{ Get { A(nearVector: {vector: [0.1], distance: 0.5}) { _additional { id } } "
        "B(nearVector: {vector: [0.1], certainty: 0.75}) { _additional { id } } } }"
    }
    translation = translate(build("weaviate"), doc, FOUND)
    assert translation.result == "translated"
    assert [c.translated for c in translation.changes] == [
        pytest.approx(0.38),
        pytest.approx(0.81),
    ]
    assert "distance: 0.38" in doc["query"]
    assert "certainty: 0.81" in doc["query"]


def test_milvus_l2_radius_and_an_unbounded_range_filter():
    """A squared-L2 radius translates through s = 1 - d/2; range_filter at cos 1 stays."""
    doc: dict[str, Any] = {
        "data": [VECTOR],
        "searchParams": {"metricType": "L2", "params": {"radius": 1.0}},
    }
    translate(build("milvus"), doc, FOUND)
    assert doc["searchParams"]["params"]["radius"] == pytest.approx(2 - 2 * 0.62)
    cosine: dict[str, Any] = {
        "data": [VECTOR],
        "searchParams": {"params": {"radius": 0.5, "range_filter": 1.0}},
    }
    translation = translate(build("milvus"), cosine, FOUND)
    assert translation.result == "translated"
    assert cosine["searchParams"]["params"] == {"radius": pytest.approx(0.62), "range_filter": 1.0}


@pytest.mark.parametrize(
    ("doc", "found", "result"),
    [
        ({"vector": VECTOR, "score_threshold": 0.5}, None, "no_map"),
        ({"vector": VECTOR, "score_threshold": 0.95}, FOUND, "out_of_domain"),
        ({"query": {"fusion": "rrf"}, "score_threshold": 0.5}, FOUND, "unsupported"),
        ({"vector": VECTOR}, FOUND, None),
    ],
)
def test_untranslatable_thresholds_are_sent_as_written_and_say_why(doc, found, result):
    """No map, a value outside the domain or an unrelated scale: unchanged, with the reason."""
    before = json.dumps(doc)
    translation = translate(build("qdrant"), doc, found)
    assert translation.result == result
    assert json.dumps(doc) == before
    assert translation.complete == (result is None)


def test_a_batch_is_as_translated_as_its_worst_threshold():
    """One threshold outside the domain makes the request out_of_domain; the others go."""
    doc = {
        "searches": [
            {"vector": VECTOR, "score_threshold": 0.5},
            {"vector": VECTOR, "score_threshold": 0.9},
        ]
    }
    translation = translate(build("qdrant"), doc, FOUND)
    assert translation.result == "out_of_domain"
    assert doc["searches"][0]["score_threshold"] == pytest.approx(0.62)
    assert doc["searches"][1]["score_threshold"] == 0.9


@given(new=st.floats(min_value=-1.0, max_value=1.0), other=st.floats(min_value=-1.0, max_value=1.0))
def test_old_similarity_is_monotone_and_inverts_the_map(new, other):
    """Back to the old scale keeps order (slope 1 past the ends) and inverts to_new inside."""
    if new < other:
        assert old_similarity(SCORE_MAP, new) <= old_similarity(SCORE_MAP, other)
    old = SCORE_MAP.to_old(new)
    if old is not None:
        assert old_similarity(SCORE_MAP, new) == pytest.approx(old)


def test_answers_rescaled_keep_their_order_and_the_clients_cut():
    """New scores 0.86 and 0.62 read as old 0.8 and 0.5; order and ids as they came."""
    adapter = build("qdrant")
    answer = {
        "result": [
            {"id": 3, "score": 0.86, "payload": {"t": "é"}},
            {"id": 1, "score": 0.62, "payload": None},
            {"id": 2, "score": 0.2, "payload": None},
        ],
        "status": "ok",
        "time": 0.001,
    }
    body = rescale_answer(adapter, {"vector": VECTOR}, json.dumps(answer).encode(), FOUND)
    assert body is not None
    rescaled = json.loads(body)
    assert [p["id"] for p in rescaled["result"]] == [3, 1, 2]
    scores = [p["score"] for p in rescaled["result"]]
    assert scores[:2] == [pytest.approx(0.8), pytest.approx(0.5)]
    assert scores[2] == pytest.approx(0.2 - (0.3 - 0.2))  # below the image: slope 1
    assert rescaled["result"][0]["payload"] == {"t": "é"}
    assert (
        rescale_answer(adapter, {"query": {"fusion": "rrf"}}, json.dumps(answer).encode(), FOUND)
        is None
    )
    assert rescale_answer(adapter, {"vector": VECTOR}, b"not json", FOUND) is None
