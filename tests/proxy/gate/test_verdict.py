"""The gate's rules on figures given directly (proxy/gate/verdict.py is pure)."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.config import parse_config
from proxy.gate.verdict import Latency, SegmentFigures, evaluate, histogram_quantile, mean_bounds

SETTINGS = parse_config(
    '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
    "[gate]\nmin_compared = 100\nmin_rbo = 0.8\nmin_overlap = 0.8\n"
).gate
FAST = Latency(old_p99_s=0.010, new_p99_s=0.012)


def figures(values_rbo, values_overlap=None, **extra) -> SegmentFigures:
    """Window figures of per-query values, as the counters would hold them."""
    overlap = values_rbo if values_overlap is None else values_overlap
    base = {
        "queries": len(values_rbo),
        "rbo_sum": sum(values_rbo),
        "rbo_squares": sum(v * v for v in values_rbo),
        "overlap_sum": sum(overlap),
        "overlap_squares": sum(v * v for v in overlap),
        "sent": len(values_rbo),
    }
    return SegmentFigures(**{**base, **extra})


def test_identical_lists_pass() -> None:
    """Every query agreeing fully, enough of them, no errors, similar latency: pass."""
    verdict = evaluate("docs", figures([1.0] * 150), FAST, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "pass", verdict.reasons
    assert verdict.reasons == ()
    statuses = {c.name: c.status for c in verdict.criteria}
    assert statuses["abstain_flip_rate"] == "skipped"
    assert statuses["rbo_lower_bound"] == "pass"


def test_no_data_is_inconclusive_never_pass() -> None:
    """No compared query at all: inconclusive, with the count and the minimum in the reason."""
    verdict = evaluate("docs", SegmentFigures(), Latency(), SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "inconclusive"
    assert "0 compared queries" in verdict.reasons[0]
    assert "min_compared = 100" in verdict.reasons[0]


def test_too_few_queries_are_inconclusive_even_when_bad() -> None:
    """50 disjoint answers are too few to judge: inconclusive, not fail."""
    verdict = evaluate("docs", figures([0.0] * 50), FAST, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "inconclusive"
    assert "50 compared queries" in verdict.reasons[0]


def test_dropped_third_fails_on_overlap() -> None:
    """Overlap 0.7 on every query is below the 0.8 floor with certainty: fail naming overlap."""
    verdict = evaluate(
        "docs", figures([0.9] * 200, [0.7] * 200), FAST, SETTINGS, thresholds_configured=False
    )
    assert verdict.verdict == "fail"
    assert len(verdict.reasons) == 1
    assert verdict.reasons[0].startswith("overlap_lower_bound: mean overlap@k 0.700")
    assert "below the floor 0.8" in verdict.reasons[0]


def test_interval_straddling_the_floor_is_inconclusive() -> None:
    """Mean near the floor with wide spread: neither pass nor fail until more data comes."""
    rng = random.Random(7)
    values = [min(1.0, max(0.0, rng.gauss(0.8, 0.2))) for _ in range(120)]
    verdict = evaluate(
        "docs", figures(values, [1.0] * 120), FAST, SETTINGS, thresholds_configured=False
    )
    rbo = next(c for c in verdict.criteria if c.name == "rbo_lower_bound")
    assert rbo.status == "uncertain", rbo.reason
    assert verdict.verdict == "inconclusive"
    assert "more compared queries needed" in verdict.reasons[0]


@pytest.mark.parametrize(
    ("extra", "criterion"),
    [
        ({"errors": 5.0}, "shadow_error_rate"),
        ({"timeouts": 5.0}, "shadow_timeout_rate"),
    ],
)
def test_rates_above_caps_fail(extra, criterion) -> None:
    """5 errors (or timeouts) in 200 sent is 2.5%, above the 1% cap: fail naming the rate."""
    verdict = evaluate(
        "docs", figures([1.0] * 200, **extra), FAST, SETTINGS, thresholds_configured=False
    )
    assert verdict.verdict == "fail"
    assert verdict.reasons[0].startswith(f"{criterion}: 0.0250 of 200")


def test_slow_new_index_fails_on_latency() -> None:
    """New p99 three times the old one's, above the 1.5 cap: fail."""
    slow = Latency(old_p99_s=0.010, new_p99_s=0.030)
    verdict = evaluate("docs", figures([1.0] * 200), slow, SETTINGS, thresholds_configured=False)
    assert verdict.verdict == "fail"
    assert verdict.reasons[0].startswith("latency_p99_ratio: new p99 30.0 ms / old p99 10.0 ms")


def test_abstain_flips_unavailable_when_thresholds_configured_but_not_counted() -> None:
    """Thresholds configured, no query with both thresholds: not available, so inconclusive."""
    verdict = evaluate("docs", figures([1.0] * 200), FAST, SETTINGS, thresholds_configured=True)
    assert verdict.verdict == "inconclusive"
    assert verdict.reasons[0].startswith("abstain_flip_rate: not available")


def test_abstain_flips_counted_against_their_cap() -> None:
    """20 flips in 200 queries with both thresholds: 10%, above the 5% cap."""
    data = figures([1.0] * 200, abstain_flips=20.0, threshold_queries=200.0)
    verdict = evaluate("docs", data, FAST, SETTINGS, thresholds_configured=True)
    assert verdict.verdict == "fail"
    assert verdict.reasons[0].startswith("abstain_flip_rate: 0.1000 of 200")
    ok = figures([1.0] * 200, abstain_flips=2.0, threshold_queries=200.0)
    assert evaluate("docs", ok, FAST, SETTINGS, thresholds_configured=True).verdict == "pass"


def test_mean_bounds_match_the_textbook_interval() -> None:
    """Mean and bounds from sums equal mean -/+ z * stdev / sqrt(n) computed from the values."""
    values = [0.2, 0.5, 0.9, 1.0, 0.7, 0.6]
    bounds = mean_bounds(sum(values), sum(v * v for v in values), len(values), 0.95)
    assert bounds is not None
    mean, lower, upper = bounds
    half = 1.6448536269514722 * statistics.stdev(values) / math.sqrt(len(values))
    assert mean == pytest.approx(statistics.fmean(values))
    assert lower == pytest.approx(mean - half)
    assert upper == pytest.approx(mean + half)
    assert mean_bounds(1.0, 1.0, 1, 0.95) is None


@given(st.lists(st.floats(0.0, 1.0), min_size=2, max_size=50))
def test_lower_bound_never_above_mean(values) -> None:
    """The lower bound is at most the mean and the upper at least (any sample)."""
    bounds = mean_bounds(sum(values), sum(v * v for v in values), len(values), 0.9)
    assert bounds is not None
    mean, lower, upper = bounds
    assert lower <= mean + 1e-9
    assert upper >= mean - 1e-9


def test_histogram_quantile_interpolates_like_prometheus() -> None:
    """Values worked by hand from Prometheus' documented rule (linear within the bucket)."""
    buckets = [(0.1, 10.0), (0.2, 60.0), (0.5, 100.0), (math.inf, 100.0)]
    # rank 50 lies in (0.1, 0.2]: 0.1 + 0.1 * (50 - 10) / 50
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.18)
    # rank 99 in (0.2, 0.5]: 0.2 + 0.3 * (99 - 60) / 40
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.4925)
    # beyond the last finite bucket: its bound
    assert histogram_quantile(0.99, [(0.1, 1.0), (math.inf, 100.0)]) == pytest.approx(0.1)
    assert histogram_quantile(0.99, [(0.1, 0.0), (math.inf, 0.0)]) is None
