"""Where a mirrored search is compared: designed answers in, known figures recorded."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from proxy.adapters.qdrant import QdrantAdapter
from proxy.compare.record import Recorder
from proxy.config.schema import ComparisonSection, Route
from proxy.errors import AdapterError
from proxy.metrics import ProxyMetrics
from proxy.thresholds.watch import ThresholdsInForce
from tests.support.compared import Search, qdrant_answer

LABELS = {"route": "search", "segment": "docs"}


@pytest.fixture
def recorded():
    """(record, value): record answers with given thresholds; read a sample back."""
    registry = CollectorRegistry()
    metrics = ProxyMetrics(registry)
    route = Route(name="search", path="/x", adapter="qdrant", k=3)
    search = Search(route, QdrantAdapter())

    def record(old: bytes, new: bytes, thresholds: ThresholdsInForce | None = None) -> None:
        in_force = thresholds or ThresholdsInForce()
        recorder = Recorder(ComparisonSection(), None, lambda: in_force)
        recorder.record(search, metrics.for_route("search", "docs"), old, new)

    def value(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, {**LABELS, **labels}) or 0.0

    return record, value


def test_each_query_is_compared_at_k_with_sides_kept_apart(recorded):
    """Overlap, top-1 agreement and both sides' scores at rank 1 and rank k, per query."""
    record, value = recorded
    old = qdrant_answer([(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)])
    new = qdrant_answer([(1, 0.5), (3, 0.4), (9, 0.3)])
    record(old, new)
    assert value("embedshift_overlap_at_k_count") == 1
    assert value("embedshift_overlap_at_k_sum") == pytest.approx(2 / 3)  # {1, 3} of 3
    assert value("embedshift_top1_agreements_total") == 1
    assert value("embedshift_score_sum", side="old", rank="top1") == pytest.approx(0.9)
    assert value("embedshift_score_sum", side="old", rank="topk") == pytest.approx(0.7)
    assert value("embedshift_score_sum", side="new", rank="top1") == pytest.approx(0.5)
    assert value("embedshift_score_sum", side="new", rank="topk") == pytest.approx(0.3)


def test_a_batch_is_compared_query_by_query(recorded):
    """A batch answer of two queries records two compared queries."""
    record, value = recorded
    lists = ([(1, 0.9), (2, 0.8), (3, 0.7)], [(4, 0.9), (5, 0.8), (6, 0.7)])
    record(qdrant_answer(*lists), qdrant_answer(*lists))
    assert value("embedshift_rbo_count") == 2
    assert value("embedshift_rbo_sum") == pytest.approx(2.0)


def test_a_side_without_threshold_is_not_counted(recorded):
    """Old keeps two at its 0.75; new has no calibrated threshold: not counted, no flip."""
    record, value = recorded
    old = qdrant_answer([(1, 0.9), (2, 0.8), (3, 0.7)])
    new = qdrant_answer([(1, 0.5), (2, 0.4), (3, 0.3)])
    record(old, new, ThresholdsInForce(old_default=0.75))
    assert value("embedshift_accepted_results_sum", side="old") == 2
    assert value("embedshift_accepted_results_count", side="new") == 0  # no new threshold
    assert value("embedshift_abstain_flips_total", empty="new") == 0  # needs both thresholds


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"not json", qdrant_answer([(1, 0.9)])),
        (qdrant_answer([(1, 0.9)]), qdrant_answer([(1, 0.9)], [(2, 0.8)])),  # one query against two
    ],
)
def test_unreadable_answers_record_nothing(recorded, old, new):
    """An answer that cannot be read, or a different number of queries: AdapterError, no figure."""
    record, value = recorded
    with pytest.raises(AdapterError):
        record(old, new)
    assert value("embedshift_rbo_count") == 0
