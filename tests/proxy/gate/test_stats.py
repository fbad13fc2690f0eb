"""The gate's statistics (proxy/gate/stats.py): means, shares, Wilson, the sign test, histograms."""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from proxy.gate.stats import (
    count_above,
    histogram_quantile,
    mean_bounds,
    share_bounds,
    sign_test_p,
    total_of,
    two_sided_z,
    wilson_interval,
)


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
def test_mean_bounds_hold_the_mean(values) -> None:
    """The lower bound is at most the mean and the upper at least (any sample)."""
    bounds = mean_bounds(sum(values), sum(v * v for v in values), len(values), 0.9)
    assert bounds is not None
    mean, lower, upper = bounds
    assert lower <= mean + 1e-9
    assert upper >= mean - 1e-9


@given(st.integers(0, 500), st.integers(1, 500), st.floats(0.6, 0.999))
def test_share_bounds_equal_scipys_wilson_interval(x, n, confidence) -> None:
    """One-sided bounds at c are the two-sided Wilson interval at 2c - 1 (scipy's binomtest)."""
    x = min(x, n)
    bounds = share_bounds(x, n, confidence)
    assert bounds is not None
    share, low, high = bounds
    reference = binomtest(x, n).proportion_ci(confidence_level=2 * confidence - 1, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
    assert low <= share <= high


def test_share_bounds_at_the_edges() -> None:
    """0 of 300: upper bound about z^2 / n; 300 of 300: lower bound about 1 - z^2 / n."""
    bounds = share_bounds(0, 300, 0.95)
    assert bounds is not None
    assert bounds[:2] == (0.0, 0.0)
    assert bounds[2] == pytest.approx(0.0089, abs=1e-4)
    full = share_bounds(300, 300, 0.95)
    assert full is not None
    assert full[1] == pytest.approx(0.9911, abs=1e-4)
    assert share_bounds(0, 0, 0.95) is None


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (0, 10), (3, 10), (8, 10), (10, 10),
                                      (17, 40), (250, 1000)])  # fmt: skip
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_matches_scipy(k, n, confidence):
    """The interval is scipy's Wilson interval (binomtest's proportion_ci, method='wilson')."""
    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, two_sided_z(confidence))
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


@given(st.integers(0, 500), st.integers(1, 500), st.floats(0.5, 3.5))
def test_wilson_holds_the_proportion(k, n, z):
    """The interval lies in [0, 1] and holds the observed proportion."""
    k = min(k, n)
    low, high = wilson_interval(k, n, z)
    assert 0.0 <= low <= k / n + 1e-12
    assert k / n - 1e-12 <= high <= 1.0


def test_wilson_without_trials_says_nothing():
    """No trial: the interval is all of [0, 1]."""
    assert wilson_interval(0, 0, 1.96) == (0.0, 1.0)


SIGN_CASES = [(0, 1), (1, 1), (5, 5), (6, 8), (7, 8), (9, 11), (22, 33), (60, 100), (500, 1000)]


@pytest.mark.parametrize(("losses", "decisive"), SIGN_CASES)
def test_sign_test_matches_scipy(losses, decisive):
    """The p-value is scipy's exact one-sided binomial test against a fair coin."""
    expected = binomtest(losses, decisive, 0.5, alternative="greater").pvalue
    assert sign_test_p(losses, decisive) == pytest.approx(expected, rel=1e-12)


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


def test_count_above_reads_buckets_linearly() -> None:
    """Observations above a value, interpolated in its bucket; the +Inf bucket counts above."""
    buckets = [(0.1, 10.0), (0.2, 60.0), (0.5, 100.0), (math.inf, 104.0)]
    assert total_of(buckets) == 104.0
    assert count_above(0.15, buckets) == pytest.approx(104 - 35)
    assert count_above(0.5, buckets) == pytest.approx(4.0)
    assert count_above(100.0, buckets) == pytest.approx(4.0)
    assert count_above(0.0, buckets) == pytest.approx(104.0)
    assert count_above(1.0, []) == 0.0


@given(st.floats(0.01, 0.99))
def test_count_above_inverts_histogram_quantile(q) -> None:
    """Above the q quantile lie (1 - q) of the observations (inside the finite buckets)."""
    buckets = [(0.1, 10.0), (0.2, 60.0), (0.5, 100.0), (math.inf, 100.0)]
    value = histogram_quantile(q, buckets)
    assert value is not None
    assert count_above(value, buckets) == pytest.approx((1 - q) * 100, abs=1e-6)
