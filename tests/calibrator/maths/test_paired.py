"""Tests of calibrator.maths.paired: the laws of a paired bootstrap difference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calibrator.maths.bootstrap import percentile_interval, replicate_weights, with_point
from calibrator.maths.paired import paired_mean, paired_ratio

figures = st.lists(st.floats(0, 1), min_size=2, max_size=60)


@settings(max_examples=100, deadline=None)
@given(figures)
def test_identical_sides_differ_by_nothing(values):
    """The same figures on both sides: difference 0 and interval [0, 0]."""
    v = np.array(values)
    weights = with_point(replicate_weights(len(v), 50, seed=1))
    diff = paired_mean(v, v, weights, 0.95)
    assert diff.diff == 0
    assert diff.interval == (0.0, 0.0)


@settings(max_examples=100, deadline=None)
@given(figures, st.floats(-0.5, 0.5))
def test_a_constant_shift_is_the_difference_in_every_resample(values, shift):
    """With new = old + c per query, the difference is c with a zero-width interval (pairing)."""
    v = np.array(values)
    weights = with_point(replicate_weights(len(v), 50, seed=2))
    diff = paired_mean(v, v + shift, weights, 0.95)
    assert diff.diff == pytest.approx(shift, abs=1e-12)
    assert diff.interval is not None
    assert diff.interval[0] == pytest.approx(shift, abs=1e-12)
    assert diff.interval[1] == pytest.approx(shift, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(figures, figures)
def test_swapping_the_sides_negates_the_difference(a, b):
    """With old and new swapped, the difference and its interval change sign."""
    n = min(len(a), len(b))
    old, new = np.array(a[:n]), np.array(b[:n])
    weights = with_point(replicate_weights(n, 40, seed=3))
    forward, backward = paired_mean(old, new, weights, 0.9), paired_mean(new, old, weights, 0.9)
    assert forward.diff == pytest.approx(-backward.diff)
    assert forward.interval is not None
    assert backward.interval is not None
    assert forward.interval[0] == pytest.approx(-backward.interval[1])
    assert forward.interval[1] == pytest.approx(-backward.interval[0])


def test_weights_are_resampled_queries():
    """Each resample's mean equals the mean over the queries drawn with replacement."""
    rng = np.random.default_rng(0)
    old, new = rng.random(30), rng.random(30)
    draws = np.random.default_rng(7).integers(0, 30, size=(20, 30))  # what replicate_weights draws
    weights = with_point(replicate_weights(30, 20, seed=7))
    diff = paired_mean(old, new, weights, 0.95)
    expected = new[draws].mean(axis=1) - old[draws].mean(axis=1)
    assert np.allclose(diff.replicates, expected)


def test_pairing_narrows_the_interval_of_correlated_sides():
    """Query difficulty shared by both sides cancels: narrower than independent resamples."""
    rng = np.random.default_rng(1)
    difficulty = rng.random(300)
    old = difficulty + 0.05 * rng.standard_normal(300)
    new = difficulty + 0.02 + 0.05 * rng.standard_normal(300)
    weights = with_point(replicate_weights(300, 500, seed=4))
    paired = paired_mean(old, new, weights, 0.95)
    other = with_point(replicate_weights(300, 500, seed=5))
    unpaired = (other[1:] @ new) / 300 - (weights[1:] @ old) / 300
    assert paired.interval is not None
    width = paired.interval[1] - paired.interval[0]
    found = percentile_interval(unpaired, 0.95)
    assert found is not None
    low, high = found
    assert width < (high - low) / 3
    assert paired.interval[0] < 0.02 < paired.interval[1]


def test_nan_figures_are_left_out_of_their_side():
    """A NaN figure (no relevant ids, nothing kept) is left out of its side's mean only."""
    old = np.array([1.0, np.nan, 0.0, 0.5])
    new = np.array([1.0, 1.0, np.nan, 0.5])
    weights = with_point(replicate_weights(4, 10, seed=0))
    diff = paired_mean(old, new, weights, 0.95)
    assert diff.old == pytest.approx(0.5)
    assert diff.new == pytest.approx(2.5 / 3)


def test_pooled_ratios():
    """Micro figures pool numerators and denominators over the resampled queries."""
    tp_old, n_old = np.array([1.0, 0.0, 2.0]), np.array([2.0, 4.0, 2.0])
    tp_new, n_new = np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 5.0])
    weights = with_point(replicate_weights(3, 30, seed=0))
    diff = paired_ratio((tp_old, n_old), (tp_new, n_new), weights, 0.95)
    assert diff.old == pytest.approx(3 / 8)
    assert diff.new == pytest.approx(4 / 8)
    expected = (weights[1:] @ tp_new) / (weights[1:] @ n_new) - (weights[1:] @ tp_old) / (
        weights[1:] @ n_old
    )
    assert np.allclose(diff.replicates, expected)
