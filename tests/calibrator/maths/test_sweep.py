"""Tests of calibrator.maths.sweep: exact curves, micro and macro, against references."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import precision_recall_curve

from calibrator.maths.sweep import (
    curve_sums,
    make_pairs,
    pair_curve,
    pr_curve,
    recall_sums,
    relevant_grid,
)

# Scores with few decimals make ties common, which is where sweeps usually go wrong.
scores_and_labels = st.integers(1, 80).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 20).map(lambda i: i / 20), min_size=n, max_size=n),
        st.lists(st.booleans(), min_size=n, max_size=n),
    )
)


@settings(max_examples=200, deadline=None)
@given(scores_and_labels)
def test_curve_equals_sklearn_precision_recall_curve(data):
    """At every distinct score, thresholds, precision and recall equal scikit-learn's."""
    scores, labels = np.array(data[0]), np.array(data[1])
    if not labels.any():
        labels[0] = True
    thresholds, precision, recall = pr_curve(scores, labels)
    ref_p, ref_r, ref_t = precision_recall_curve(labels, scores)
    # scikit-learn runs low to high and appends the (precision 1, recall 0) end point
    assert np.array_equal(thresholds[::-1], ref_t)
    assert np.allclose(precision[::-1], ref_p[:-1])
    assert np.allclose(recall[::-1], ref_r[:-1])


def test_curve_equals_sklearn_on_float32_scores():
    """Float32 scores with near-ties give the same distinct thresholds as scikit-learn."""
    rng = np.random.default_rng(3)
    scores = rng.normal(0.3, 0.1, 5000).astype(np.float32)
    scores[::7] = scores[1::7][: len(scores[::7])]  # exact ties
    labels = rng.random(5000) < scores
    thresholds, precision, recall = pr_curve(scores, labels)
    ref_p, ref_r, ref_t = precision_recall_curve(labels, scores)
    assert np.array_equal(thresholds[::-1], ref_t.astype(np.float64))
    assert np.allclose(precision[::-1], ref_p[:-1])
    assert np.allclose(recall[::-1], ref_r[:-1])


@settings(max_examples=200, deadline=None)
@given(scores_and_labels, st.integers(0, 5))
def test_recall_never_rises_as_the_threshold_rises(data, unscored):
    """Recall is non-increasing in the threshold, with or without never-scored relevant ids."""
    scores, labels = np.array(data[0]), np.array(data[1])
    thresholds, _, recall = pr_curve(scores, labels, unscored)
    assert np.all(np.diff(thresholds) < 0)  # listed high to low
    assert np.all(np.diff(recall) >= 0)  # so recall grows as the threshold falls


def test_never_scored_relevant_ids_count_as_misses():
    """Relevant ids that were never scored keep recall below 1 at every threshold."""
    thresholds, _, recall = pr_curve([0.9, 0.5, 0.1], [True, False, True], n_unscored=2)
    assert recall[-1] == pytest.approx(2 / 4)
    assert thresholds[-1] == 0.1


def _brute_force(q, s, y, n_rel, t):
    """Micro and macro precision and recall at threshold t, by definition."""
    hit = s >= t
    micro_p = (hit & y).sum() / hit.sum() if hit.sum() else 0.0
    micro_r = (hit & y).sum() / n_rel.sum() if n_rel.sum() else 0.0
    precisions = [
        (hit & y & (q == i)).sum() / (hit & (q == i)).sum()
        for i in range(len(n_rel))
        if (hit & (q == i)).any()
    ]
    recalls = [(hit & y & (q == i)).sum() / n_rel[i] for i in range(len(n_rel)) if n_rel[i]]
    return (
        micro_p,
        micro_r,
        np.mean(precisions) if precisions else 0.0,
        np.mean(recalls) if recalls else 0.0,
    )


pairs_strategy = st.integers(1, 5).flatmap(
    lambda nq: st.tuples(
        st.just(nq),
        st.lists(
            st.tuples(st.integers(0, nq - 1), st.integers(0, 10), st.booleans()),
            min_size=1,
            max_size=40,
        ),
        st.lists(st.integers(0, 2), min_size=nq, max_size=nq),
    )
)


@settings(max_examples=150, deadline=None)
@given(pairs_strategy)
def test_micro_and_macro_match_their_definitions(data):
    """Every point of the pair curve equals precision and recall computed by definition."""
    nq, rows, extra = data
    q = np.array([r[0] for r in rows])
    s = np.array([r[1] / 10 for r in rows])
    y = np.array([r[2] for r in rows])
    n_rel = np.bincount(q[y], minlength=nq) + np.array(extra)
    curve = pair_curve(make_pairs(q, s, y, n_rel))
    for j, t in enumerate(curve.thresholds):
        micro_p, micro_r, macro_p, macro_r = _brute_force(q, s, y, n_rel, t)
        assert curve.precision("micro")[0, j] == pytest.approx(micro_p)
        assert curve.recall("micro")[0, j] == pytest.approx(micro_r)
        assert curve.precision("macro")[0, j] == pytest.approx(macro_p)
        assert curve.recall("macro")[0, j] == pytest.approx(macro_r)


@settings(max_examples=100, deadline=None)
@given(pairs_strategy)
def test_grid_sums_equal_the_full_curve_at_the_same_thresholds(data):
    """curve_sums at the pair curve's thresholds gives the pair curve, row for row."""
    nq, rows, extra = data
    q = np.array([r[0] for r in rows])
    s = np.array([r[1] / 10 for r in rows])
    y = np.array([r[2] for r in rows])
    pairs = make_pairs(q, s, y, np.bincount(q[y], minlength=nq) + np.array(extra))
    full = pair_curve(pairs)
    grid = curve_sums(pairs, full.thresholds)
    for name in ("tp", "retrieved", "precision_sum", "active", "recall_sum"):
        assert np.allclose(getattr(full, name), getattr(grid, name)), name


def test_weighted_rows_equal_repeating_queries():
    """A weight of 2 on a query gives the same sums as listing that query twice."""
    q, s, y = np.array([0, 0, 1, 1]), np.array([0.9, 0.4, 0.8, 0.2]), np.array([1, 0, 0, 1], bool)
    pairs = make_pairs(q, s, y, [1, 2])
    grid = relevant_grid(pairs)
    weighted = curve_sums(pairs, grid, np.array([[1.0, 2.0]]))
    twice = make_pairs([0, 0, 1, 1, 2, 2], [*s, 0.8, 0.2], [*y, False, True], [1, 2, 2])
    repeated = curve_sums(twice, grid)
    for name in ("tp", "retrieved", "relevant", "precision_sum", "active", "recall_sum"):
        assert np.allclose(getattr(weighted, name), getattr(repeated, name)), name


def test_relevant_grid_is_the_distinct_relevant_scores_high_to_low():
    """The policy grid holds each relevant score once, descending, and nothing else."""
    pairs = make_pairs([0, 0, 1, 1], [0.5, 0.7, 0.5, 0.9], [True, False, True, True], [1, 2])
    assert relevant_grid(pairs).tolist() == [0.9, 0.5]


def test_make_pairs_rejects_inconsistent_input():
    """More relevant pairs than relevant ids, or a query index out of range, is an error."""
    with pytest.raises(ValueError, match="more relevant pairs"):
        make_pairs([0, 0], [0.1, 0.2], [True, True], [1])
    with pytest.raises(ValueError, match="query indexes"):
        make_pairs([3], [0.1], [False], [1])


@settings(max_examples=100, deadline=None)
@given(pairs_strategy, st.integers(0, 3))
def test_recall_from_relevant_pairs_alone_equals_the_full_sums(data, seed):
    """recall_sums (relevant pairs only) gives the same micro and macro recall as curve_sums."""
    nq, rows, extra = data
    q = np.array([r[0] for r in rows])
    s = np.array([r[1] / 10 for r in rows])
    y = np.array([r[2] for r in rows])
    pairs = make_pairs(q, s, y, np.bincount(q[y], minlength=nq) + np.array(extra))
    grid = relevant_grid(pairs)
    weights = np.random.default_rng(seed).integers(0, 3, size=(4, nq)).astype(float)
    full, cheap = curve_sums(pairs, grid, weights), recall_sums(pairs, grid, weights)
    for average in ("micro", "macro"):
        assert np.allclose(full.recall(average), cheap.recall(average))
    with pytest.raises(ValueError, match="relevant pairs only"):
        cheap.precision("micro")
