"""Divergence metrics: known values, laws, and agreement with the reference rbo package."""

from __future__ import annotations

import math

import pytest
import rbo as rbo_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.compare.divergence import (
    _kendall_tied,
    _kendall_untied,
    _rbo_tied,
    _rbo_untied,
    compare,
    jaccard_at_k,
    kendall_tau,
    overlap_at_k,
    rbo_ext,
)

ids = st.lists(st.integers(0, 30).map(str), unique=True, max_size=25)
p_values = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.98])


@settings(max_examples=400, deadline=None)
@given(a=ids, b=ids, p=p_values)
def test_rbo_equals_reference_rbo_ext(a, b, p):
    """Our extrapolated RBO equals the rbo package's rbo_ext on lists of any lengths."""
    expected = rbo_reference.RankingSimilarity(a, b).rbo_ext(p=p)
    assert rbo_ext(a, b, p) == pytest.approx(expected, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(a=ids, b=ids, p=p_values)
def test_rbo_laws(a, b, p):
    """RBO is in [0, 1], symmetric, and 1 on identical lists."""
    value = rbo_ext(a, b, p)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(rbo_ext(b, a, p), abs=1e-12)
    assert rbo_ext(a, a, p) == pytest.approx(1.0)


def test_rbo_designed_values():
    """Identical: 1; disjoint: 0; both empty: 1; one empty: 0; a swap at the top costs most."""
    a = [str(i) for i in range(10)]
    assert rbo_ext(a, a, 0.9) == pytest.approx(1.0)
    assert rbo_ext(a, [str(i) for i in range(10, 20)], 0.9) == 0.0
    assert rbo_ext([], [], 0.9) == 1.0
    assert rbo_ext(a, [], 0.9) == 0.0
    top_swap = ["1", "0", *a[2:]]
    bottom_swap = [*a[:8], "9", "8"]
    assert rbo_ext(a, top_swap, 0.9) < rbo_ext(a, bottom_swap, 0.9) < 1.0
    # by hand: A_1 = 0, A_2 = 1, so RBO_ext = (1 - p) * (A_1 + p * A_2) + A_2 * p^2 = p
    assert rbo_ext(["a", "b"], ["b", "a"], 0.9) == pytest.approx(0.9)


def test_rbo_ties_count_as_one_group():
    """Items tied on score are one group: their order inside the tie does not matter."""
    a = ["a", "b", "c", "d"]
    b = ["b", "a", "c", "d"]
    tied = [0.9, 0.9, 0.5, 0.4]
    assert rbo_ext(a, b, 0.9) < 1.0
    assert rbo_ext(a, b, 0.9, tied, tied) == pytest.approx(1.0)
    # a tie on one side only: partly forgiven
    assert rbo_ext(a, b, 0.9) < rbo_ext(a, b, 0.9, tied, [0.9, 0.8, 0.5, 0.4]) < 1.0


def test_rbo_rejects_p_outside_0_1():
    """The persistence p must lie strictly between 0 and 1."""
    with pytest.raises(ValueError, match="p must be in"):
        rbo_ext(["a"], ["a"], 1.0)


def test_overlap_and_jaccard():
    """overlap@k and Jaccard@k of designed lists."""
    a = ["a", "b", "c", "d"]
    b = ["c", "d", "e", "f"]
    assert overlap_at_k(a, b, 4) == 0.5
    assert jaccard_at_k(a, b, 4) == pytest.approx(2 / 6)
    assert overlap_at_k(a, b, 2) == 0.0
    assert overlap_at_k([], [], 10) == 1.0
    assert overlap_at_k(["a", "b"], ["a"], 10) == 0.5  # short lists: depth is the longer one


def test_kendall_tau_values():
    """tau-b: 1 for the same order, -1 reversed, None with fewer than two shared ids."""
    assert kendall_tau(list("abcd"), list("abcd")) == 1.0
    assert kendall_tau(list("abcd"), list("dcba")) == -1.0
    assert kendall_tau(list("ab"), list("cd")) is None
    assert kendall_tau(list("abx"), list("bay")) == -1.0  # only a and b are shared
    # a tie on one side: tau-b's correction
    value = kendall_tau(list("abc"), list("abc"), [1, 1, 0], [3, 2, 1])
    assert value == pytest.approx(2 / math.sqrt(2 * 3))


@settings(max_examples=200, deadline=None)
@given(a=ids, b=ids)
def test_kendall_tau_is_bounded_and_symmetric(a, b):
    """tau-b lies in [-1, 1] and does not depend on which list comes first."""
    value = kendall_tau(a, b)
    if value is None:
        return
    assert -1.0 - 1e-12 <= value <= 1.0 + 1e-12
    assert value == pytest.approx(kendall_tau(b, a))


def test_compare_cuts_at_k():
    """compare() looks only at each side's top k."""
    old = [str(i) for i in range(20)]
    new = [str(i) for i in range(10)] + [str(i) for i in range(100, 110)]
    result = compare(old, new, k=10, p=0.9)
    assert result.overlap == 1.0
    assert result.rbo == pytest.approx(1.0)
    assert result.top1_agree is True
    assert result.shared == 10


@given(a=ids, b=ids, p=p_values)
def test_untied_fast_paths_equal_the_general_loops(a, b, p):
    """Lists without ties take shortcuts: the same figures as the general tie-aware loops."""
    if a and b:
        short, long_ = (a, b) if len(a) <= len(b) else (b, a)
        assert _rbo_untied(short, long_, p) == pytest.approx(
            _rbo_tied(short, long_, p, None, None), abs=1e-12
        )
    assert _kendall_untied(a, b) == pytest.approx(_kendall_tied(a, b, None, None), abs=1e-12)


@given(a=st.lists(st.integers(0, 8).map(str), max_size=12), b=ids)
def test_kendall_shortcut_counts_a_repeated_id_at_its_first_position(a, b):
    """An id repeated on one side is ranked where it first appears, on both paths."""
    assert _kendall_untied(a, b) == pytest.approx(_kendall_tied(a, b, None, None), abs=1e-12)
