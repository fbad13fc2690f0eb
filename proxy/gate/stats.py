"""The gate's statistics (pure): bounds on means and shares, and histograms read as Prometheus does.

Every criterion of the gate decides on a bound, never on a point estimate: a figure passes when
its bound on the right side clears the limit, fails when the bound on the other side does not,
and is uncertain in between (more traffic, or more labelled queries, will tell). All bounds are
one-sided at the gate's ``confidence``.

- :func:`mean_bounds`: the mean of a per-query figure from its count, sum and sum of squares
  (a normal interval: the counters hold exactly these, summable over replicas).
- :func:`share_bounds`: a share of ``x`` out of ``n`` (Wilson's score interval: it stays in
  [0, 1] and behaves at 0 of n and n of n, where the normal one says nothing).
- :func:`wilson_interval` (any ``z``: the review page's two-sided intervals, with
  :func:`two_sided_z`) and :func:`sign_test_p` (the exact one-sided sign test of
  ``reviewed_preference``).
- :func:`histogram_quantile` and :func:`count_above`: a Prometheus histogram's quantile, and how
  many of its observations lie above a value (linear inside a bucket, as ``histogram_quantile``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

Buckets = Sequence[tuple[float, float]]
"""Cumulative (upper bound, count) pairs of one histogram, ``+Inf`` included."""


def z_of(confidence: float) -> float:
    """The normal quantile of a one-sided bound at ``confidence`` (1.645 at 0.95)."""
    return NormalDist().inv_cdf(confidence)


def two_sided_z(confidence: float) -> float:
    """The normal quantile of a two-sided interval at ``confidence`` (1.96 at 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def mean_bounds(
    total: float, squares: float, n: float, confidence: float
) -> tuple[float, float, float] | None:
    """(mean, lower, upper): a one-sided normal bound each way; None below two samples."""
    if n < 2:
        return None
    mean = total / n
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    half = z_of(confidence) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def share_bounds(x: float, n: float, confidence: float) -> tuple[float, float, float] | None:
    """(share, lower, upper) of ``x`` out of ``n``: Wilson's one-sided bounds; None when n is 0."""
    if n <= 0:
        return None
    share = min(1.0, max(0.0, x / n))
    low, high = _wilson(share, n, z_of(confidence))
    # the share lies inside its bounds (rounding may put 1 a hair above 1 - 1e-16)
    return share, min(share, low), max(share, high)


def wilson_interval(successes: float, n: float, z: float) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` of ``successes`` out of ``n`` trials.

    ``z`` is the normal quantile: 1.96 for a two-sided 95 % interval (:func:`two_sided_z`),
    :func:`z_of` for one-sided bounds. ``(0, 1)`` when ``n`` is 0.
    """
    if n <= 0:
        return 0.0, 1.0
    return _wilson(successes / n, n, z)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson's interval around the observed share ``p`` of ``n`` trials, clipped to [0, 1]."""
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def sign_test_p(losses: int, decisive: int) -> float:
    """P(at least ``losses`` of ``decisive`` fair coin flips): the one-sided sign test."""
    if decisive <= 0:
        return 1.0
    tail = sum(math.comb(decisive, k) for k in range(max(0, losses), decisive + 1))
    return tail / (1 << decisive)  # exact integers; one rounding at the end


def histogram_quantile(q: float, buckets: Buckets) -> float | None:
    """Prometheus' ``histogram_quantile`` over cumulative (upper bound, count) pairs.

    Linear interpolation inside the bucket holding the rank; the ``+Inf`` bucket answers the
    highest finite bound. None when the histogram is empty.
    """
    ordered = sorted(buckets)
    if not ordered or ordered[-1][1] <= 0:
        return None
    total = ordered[-1][1]
    rank = q * total
    lower, below = 0.0, 0.0
    for index, (upper, count) in enumerate(ordered):
        if count >= rank:
            if math.isinf(upper):
                return ordered[index - 1][0] if index > 0 else None
            if index == 0 and upper <= 0:
                return upper
            inside = count - below
            return upper if inside <= 0 else lower + (upper - lower) * (rank - below) / inside
        lower, below = upper, count
    return ordered[-1][0]


def total_of(buckets: Buckets) -> float:
    """How many observations a histogram holds (its ``+Inf`` bucket)."""
    return max((count for _, count in buckets), default=0.0)


def count_above(value: float, buckets: Buckets) -> float:
    """How many observations exceed ``value`` (linear inside its bucket; 0 for an empty one).

    Beyond the highest finite bound the ``+Inf`` bucket's observations all count as above.
    """
    ordered = sorted(buckets)
    if not ordered:
        return 0.0
    total = ordered[-1][1]
    lower, below = 0.0, 0.0
    for upper, count in ordered:
        if math.isinf(upper):
            return total - below
        if value < upper:
            inside = count - below
            at_or_below = below + inside * max(0.0, value - lower) / (upper - lower)
            return total - at_or_below
        lower, below = upper, count
    return total - below
