"""What the recorder counts for the gate.

Kendall's tau as summable counters, the new top-1 score against the band, abstain flips by
direction, and the old side's ids offered once each to the coverage lookups.
"""

from __future__ import annotations

from types import MappingProxyType

import pytest
from prometheus_client import CollectorRegistry

from proxy.adapters.qdrant import QdrantAdapter
from proxy.compare.divergence import compare
from proxy.compare.record import Recorder
from proxy.config.schema import ComparisonSection, Route
from proxy.metrics import ProxyMetrics
from proxy.thresholds.watch import ThresholdsInForce
from tests.support.compared import Search, qdrant_answer
from tests.support.gate_evidence import published_document

LABELS = {"route": "search", "segment": "docs"}


@pytest.fixture
def rig():
    """(record, value, offered): record answers; read samples; the coverage offers seen."""
    registry = CollectorRegistry()
    metrics = ProxyMetrics(registry)
    route = Route(name="search", path="/x", adapter="qdrant", k=3)
    search = Search(route, QdrantAdapter())
    offered: list[tuple[str, ...]] = []

    def record(old: bytes, new: bytes, thresholds: ThresholdsInForce | None = None) -> None:
        in_force = thresholds or ThresholdsInForce()
        recorder = Recorder(
            ComparisonSection(),
            None,
            lambda: in_force,
            coverage=lambda _search, ids, _bound: offered.append(ids),
        )
        recorder.record(search, metrics.for_route("search", "docs"), old, new)

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, {**LABELS, **labels}) or 0.0

    return record, value, offered


def test_mean_kendall_tau_is_readable_from_counters(rig):
    """Two queries with tau 1 and -1: the shifted sum 2 and count 2 give mean tau 0."""
    record, value, _ = rig
    same = [(1, 0.9), (2, 0.8), (3, 0.7)]
    reversed_ = [(3, 0.9), (2, 0.8), (1, 0.7)]
    record(qdrant_answer(same, same), qdrant_answer(same, reversed_))
    assert compare(("1", "2", "3"), ("3", "2", "1"), 3, 0.9).kendall_tau == pytest.approx(-1.0)
    count = value("embedshift_kendall_tau_count")
    assert count == 2
    assert value("embedshift_kendall_tau_shifted_total") / count - 1 == pytest.approx(0.0)
    assert value("embedshift_kendall_tau_squares_total") == pytest.approx(2.0)


def test_new_top1_scores_are_placed_against_the_published_band(rig):
    """Band [0.5, 0.95]: 0.3 below, 0.9 within, 0.97 above."""
    record, value, _ = rig
    in_force = ThresholdsInForce(document=published_document(p01=0.5, p99=0.95))
    old = qdrant_answer([(1, 0.9)], [(2, 0.9)], [(3, 0.9)])
    new = qdrant_answer([(1, 0.3)], [(2, 0.9)], [(3, 0.97)])
    record(old, new, in_force)
    for position in ("below", "within", "above"):
        assert value("embedshift_score_band_checks_total", position=position) == 1


def test_no_band_is_counted_without_a_document(rig):
    """Old thresholds only: no band, nothing counted."""
    record, value, _ = rig
    in_force = ThresholdsInForce(old_default=0.5, old_segments=MappingProxyType({}))
    record(qdrant_answer([(1, 0.9)]), qdrant_answer([(1, 0.3)]), in_force)
    assert value("embedshift_score_band_checks_total", position="below") == 0


def test_abstain_flips_are_counted_by_direction(rig):
    """Old threshold 0.5, new 0.6: new keeps nothing (new_empty), then old keeps nothing."""
    record, value, _ = rig
    document = published_document()
    entry = document.segments["docs"]
    import dataclasses

    calibrated = dataclasses.replace(entry, threshold=0.6, status="calibrated")
    document = dataclasses.replace(document, segments={"docs": calibrated})
    in_force = ThresholdsInForce(old_default=0.5, document=document)
    record(qdrant_answer([(1, 0.7)]), qdrant_answer([(1, 0.55)]), in_force)  # new keeps nothing
    record(qdrant_answer([(1, 0.4)]), qdrant_answer([(1, 0.65)]), in_force)  # old keeps nothing
    assert value("embedshift_abstain_flips_total", empty="new") == 1
    assert value("embedshift_abstain_flips_total", empty="old") == 1


def test_the_old_sides_ids_are_offered_once_each(rig):
    """A batch of two queries sharing id 2: ids 1, 2, 3, 4 offered once, at k (3) each."""
    record, _, offered = rig
    old = qdrant_answer([(1, 0.9), (2, 0.8), (3, 0.7), (9, 0.1)], [(2, 0.9), (4, 0.8)])
    record(old, qdrant_answer([(5, 0.9)], [(6, 0.9)]))
    assert offered == [("1", "2", "3", "4")]
