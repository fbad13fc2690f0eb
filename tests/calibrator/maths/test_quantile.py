"""Tests of calibrator.maths.quantile: the k-th highest weighted score against a full sort."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrator.maths import quantile as quantile_module
from calibrator.maths.bootstrap import replicate_weights, with_point
from calibrator.maths.quantile import kth_highest, tail_share


def _by_full_sort(scores, query, weights, k):
    """The definition, one replicate at a time over every pair sorted (stable, best first)."""
    order = np.argsort(-scores, kind="stable")
    out = np.full(weights.shape[0], np.nan)
    for r in range(weights.shape[0]):
        if k[r] <= 0:
            continue
        reached = np.cumsum(weights[r, query[order]])
        at = int(np.searchsorted(reached, k[r] - 1e-9, side="left"))
        if at < len(order):
            out[r] = scores[order][at]
    return out


@settings(max_examples=80, deadline=None)
@given(
    n_pairs=st.integers(0, 3000),
    n_queries=st.integers(1, 30),
    levels=st.sampled_from([0, 2, 50]),
    share=st.floats(0, 1.2),
    seed=st.integers(0, 2**16),
)
def test_kth_highest_equals_a_full_sort(n_pairs, n_queries, levels, share, seed):
    """Sorting only a prefix (and everything when it falls short) equals sorting every pair.

    Tied scores (few levels), k past every pair (NaN), k of 0 and more than the prefix holds;
    the resamples' running counts in blocks of a few.
    """
    rng = np.random.default_rng(seed)
    scores = (
        rng.integers(0, levels, n_pairs).astype(np.float64)
        if levels
        else rng.standard_normal(n_pairs)
    )
    query = rng.integers(0, n_queries, n_pairs)
    weights = with_point(replicate_weights(n_queries, 20, seed))
    k = np.round(share * n_pairs * rng.uniform(0.5, 1.5, len(weights)))
    k[1] = 0
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(quantile_module, "_CELLS", 3 * n_pairs)  # blocks of a few resamples
        found = kth_highest(scores, query, weights, k)
    assert np.array_equal(found, _by_full_sort(scores, query, weights, k), equal_nan=True)


def test_kth_highest_past_the_prefix():
    """A k beyond the prefix's reach (no weight on the best pairs' query) reads every pair."""
    scores = np.linspace(1, 0, 20000)
    query = np.repeat([0, 1], [15000, 5000])
    weights = np.array([[1.0, 1.0], [0.0, 1.0]])
    k = np.array([100.0, 100.0])  # a prefix of 4 * 100 + 1024 pairs
    found = kth_highest(scores, query, weights, k)
    assert found.tolist() == [scores[99], scores[15099]]


def test_tail_share():
    """The share of pairs accepted, capped at 1, and 0 without pairs."""
    assert tail_share(5, 20) == 0.25
    assert tail_share(30, 20) == 1.0
    assert tail_share(3, 0) == 0.0
