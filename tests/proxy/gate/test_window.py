"""The gate's window over this process's counters: snapshots of the real metrics, differenced."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from proxy.gate.window import (
    CounterWindow,
    figures_between,
    latency_between,
    segments_seen,
    take_snapshot,
)
from proxy.metrics import ProxyMetrics


def _compare(metrics: ProxyMetrics, segment: str, rbo: float, overlap: float, route="search"):
    """Record one compared query as the recorder does."""
    bound = metrics.for_route(route, segment)
    bound.rbo.observe(rbo)
    bound.rbo_squares.inc(rbo * rbo)
    bound.overlap.observe(overlap)
    bound.overlap_squares.inc(overlap * overlap)
    bound.outcomes["compared"].inc()


@pytest.fixture
def metrics() -> ProxyMetrics:
    """The proxy's own metric families on a fresh registry."""
    return ProxyMetrics(CollectorRegistry())


def test_figures_are_the_difference_between_two_snapshots(metrics):
    """What happened before the older snapshot is not in the window; routes are summed."""
    _compare(metrics, "docs", 0.2, 0.1)
    before = take_snapshot(metrics.gate_counters(), at=10.0)
    _compare(metrics, "docs", 0.9, 0.8)
    _compare(metrics, "docs", 0.7, 0.6, route="other_route")
    metrics.for_route("search", "docs").outcomes["shadow_error"].inc()
    metrics.for_route("search", "docs").outcomes["shadow_timeout"].inc()
    metrics.for_route("search", "docs").outcomes["sampled_out"].inc()
    after = take_snapshot(metrics.gate_counters(), at=20.0)
    figures = figures_between(before, after, "docs")
    assert figures.queries == 2
    assert figures.rbo_sum == pytest.approx(1.6)
    assert figures.rbo_squares == pytest.approx(0.81 + 0.49)
    assert figures.overlap_sum == pytest.approx(1.4)
    assert figures.sent == 4  # compared twice, an error, a timeout; sampled_out was not sent
    assert figures.errors == 1
    assert figures.timeouts == 1
    assert figures_between(before, after, "code").queries == 0


def test_segments_seen_are_those_with_requests_in_the_window(metrics):
    """A segment counts as seen only when a search of it was counted between the snapshots."""
    _compare(metrics, "docs", 1.0, 1.0)
    before = take_snapshot(metrics.gate_counters(), at=0.0)
    metrics.for_route("search", "code").outcomes["sampled_out"].inc()
    after = take_snapshot(metrics.gate_counters(), at=1.0)
    assert segments_seen(before, after) == {"code"}


def test_latency_quantile_of_each_upstream_in_the_window(metrics):
    """The p99 of each upstream's search latency, passthrough left out."""
    for _ in range(100):
        metrics.upstream_duration_for("old", "search").observe(0.004)
        metrics.upstream_duration_for("new", "search").observe(0.04)
        metrics.upstream_duration_for("old", "passthrough").observe(20.0)
    empty = take_snapshot(metrics.gate_counters(), at=0.0)
    before = take_snapshot([], at=0.0)
    latency = latency_between(before, take_snapshot(metrics.gate_counters(), at=1.0))
    assert latency.old_p99_s is not None
    assert latency.new_p99_s is not None
    assert 0.0025 <= latency.old_p99_s <= 0.005
    assert 0.03 <= latency.new_p99_s <= 0.05
    assert latency_between(empty, empty).old_p99_s is None


def test_the_window_keeps_just_what_spans_it():
    """Snapshots older than the window are dropped, but one before its start is kept."""
    window = CounterWindow(window_s=10.0, started_at=0.0)
    for at in (5.0, 10.0, 15.0, 20.0, 25.0):
        window.push(take_snapshot([], at=at))
    oldest, newest = window.span()
    assert newest.at == 25.0
    assert oldest.at == 15.0  # the last one at or before 25 - 10
    assert len(window) == 3
