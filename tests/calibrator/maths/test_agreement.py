"""Tests of calibrator.maths.agreement: many pairs of lists at once, equal to the proxy's own."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrator.maths.agreement import overlap_and_rbo, plain_lists
from proxy.compare.divergence import compare


def _lists(rng: np.random.Generator, n: int, k: int, universe: int) -> npt.NDArray[np.int64]:
    """``n`` lists of ``k`` distinct ids drawn from ``universe`` (small: lists share many)."""
    return np.array([rng.choice(universe, k, replace=False) for _ in range(n)], np.int64)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 12),
    spare=st.integers(0, 30),
    p=st.sampled_from([0.5, 0.9, 0.98]),
    seed=st.integers(0, 2**16),
)
def test_overlap_and_rbo_equal_the_proxys_compare(n, k, spare, p, seed):
    """Every plain pair's overlap@k and RBO are the very floats the proxy's compare gives."""
    rng = np.random.default_rng(seed)
    a, b = _lists(rng, n, k, k + spare), _lists(rng, n, k, k + spare)
    scores = -np.sort(-rng.random((n, k)), axis=1)  # untied, best first
    assert plain_lists(a, scores, k).all()
    overlap, rbo = overlap_and_rbo(a, b, p)
    for i in range(n):
        found = compare([str(x) for x in a[i]], [str(x) for x in b[i]], k, p,
                        scores[i].tolist(), scores[i].tolist())  # fmt: skip
        assert overlap[i] == found.overlap
        assert rbo[i] == found.rbo


def test_plain_lists_reject_ties_short_lists_and_repeats():
    """Tied neighbours, padding within the first k and a repeated id are not plain."""
    rows = np.array([[1, 2, 3, 9], [1, 2, 3, -1], [1, 2, 1, 4], [4, 5, 6, 7], [5, 6, 7, -1]])
    scores = np.array([[0.9, 0.8, 0.7, 0.7], [0.9, 0.8, 0.7, -np.inf], [0.9, 0.8, 0.7, 0.6],
                       [0.9, 0.8, 0.8, 0.6], [0.9, 0.8, 0.7, -np.inf]])  # fmt: skip
    assert plain_lists(rows, scores, 3).tolist() == [True, True, False, False, True]
    assert plain_lists(rows, scores, 4).tolist() == [False, False, False, False, False]
    assert plain_lists(rows, scores, 5).tolist() == [False] * 5


def test_identical_and_disjoint_lists():
    """The same list: overlap and RBO 1; no id in common: both 0."""
    a = np.array([[1, 2, 3], [1, 2, 3]])
    b = np.array([[1, 2, 3], [4, 5, 6]])
    overlap, rbo = overlap_and_rbo(a, b, 0.9)
    assert overlap.tolist() == [1.0, 0.0]
    assert rbo[0] == 1.0
    assert rbo[1] == 0.0
