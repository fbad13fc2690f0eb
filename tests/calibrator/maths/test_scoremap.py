"""Tests of calibrator.maths.scoremap: equal-recall and equal-precision maps, anchor, knots."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.isotonic import IsotonicRegression

from calibrator.maths import scoremap as scoremap_module
from calibrator.maths.bootstrap import replicate_weights, with_point
from calibrator.maths.scoremap import (
    Level,
    Tails,
    build_map,
    isotonic_rising,
    precision_curve,
    simplify,
    tail_level,
)


def recall_levels(old, new, query, weights) -> tuple[list[Level], list[Level]]:
    """Per resample, the recall curves of both sides (micro: every relevant pair counts 1)."""
    olds: list[Level] = []
    news: list[Level] = []
    for row in weights:
        mass = row[query]
        total = mass.sum()
        olds.append(tail_level(old, mass, total))
        news.append(tail_level(new, mass, total))
    return olds, news


def sample(n_queries=200, per_query=3, seed=0):
    """Relevant pairs' old scores, and which query each belongs to."""
    rng = np.random.default_rng(seed)
    query = np.repeat(np.arange(n_queries), per_query)
    old = np.clip(rng.normal(0.55, 0.12, len(query)), -1, 1)
    return old, query


def test_a_monotone_transform_of_the_scores_is_recovered():
    """New scores = h(old scores) pair by pair: the map is h at every labelled score."""
    old, query = sample()
    h = lambda x: 0.3 + 0.5 * x**2  # noqa: E731 - increasing on the sample's range
    new = h(old)
    weights = with_point(replicate_weights(200, 100, seed=1))
    knots = build_map("recall", *recall_levels(old, new, query, weights), None, 0.95)
    assert knots is not None
    assert np.allclose(knots.new, h(knots.old), atol=1e-12)
    # the knots' polyline reproduces h at every labelled score within the tolerance
    assert np.abs(np.interp(old, knots.old, knots.new) - h(old)).max() <= 1e-3 + 1e-12
    assert knots.max_error <= 1e-3
    assert knots.domain == (old.min(), old.max())
    assert np.all(np.diff(knots.old) > 0)
    assert np.all(np.diff(knots.new) > 0)
    assert np.all((knots.low <= knots.new) & (knots.new <= knots.high))


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.05, 0.95))
def test_in_sample_recall_is_equal_at_every_labelled_score(seed, share):
    """At each old labelled score s, the new model at map(s) keeps the same relevant pairs."""
    old, query = sample(40, 2, seed)
    rng = np.random.default_rng(seed + 1)
    new = 0.8 * old + 0.15 * rng.standard_normal(len(old))  # a different, noisy model
    weights = with_point(replicate_weights(40, 0))
    knots = build_map("recall", *recall_levels(old, new, query, weights), None, 0.95, 0.0)
    assert knots is not None
    s = np.quantile(np.unique(old), share, method="nearest")
    t = np.interp(s, knots.old, knots.new)
    assert (new >= t - 1e-12).sum() == (old >= s).sum()


def test_the_anchor_is_exact_and_the_map_stays_monotone():
    """An anchor off the equal-recall map is a knot, exactly, and the map still rises."""
    old, query = sample(seed=3)
    new = old - 0.1
    weights = with_point(replicate_weights(200, 50, seed=1))
    levels = recall_levels(old, new, query, weights)
    plain = build_map("recall", *levels, None, 0.95)
    anchored = build_map("recall", *levels, (0.5, 0.3), 0.95)
    assert plain is not None
    assert anchored is not None
    assert anchored.anchor == (0.5, 0.3)
    at = np.flatnonzero(anchored.old == 0.5)
    assert anchored.new[at].tolist() == [0.3]
    assert np.interp(0.5, plain.old, plain.new) == pytest.approx(0.4, abs=0.01)
    assert np.all(np.diff(anchored.new) > 0)
    # the bend is spread over the levels: far from the anchor the map is near the plain one
    top = anchored.old[-1]
    assert np.interp(top, anchored.old, anchored.new) == pytest.approx(
        np.interp(top, plain.old, plain.new), abs=0.02
    )


def test_an_anchor_outside_the_domain_is_dropped():
    """An old threshold beyond every labelled score cannot anchor: the plain map is published."""
    old, query = sample(seed=4)
    weights = with_point(replicate_weights(200, 0))
    knots = build_map("recall", *recall_levels(old, old, query, weights), (5.0, 5.0), 0.95)
    assert knots is not None
    assert knots.anchor is None


def test_intervals_narrow_with_more_queries():
    """More labelled queries, tighter bands around the same map."""
    widths = []
    for n in (50, 800):
        old, query = sample(n, 2, seed=5)
        rng = np.random.default_rng(6)
        new = old + 0.05 * rng.standard_normal(len(old))
        weights = with_point(replicate_weights(n, 200, seed=2))
        knots = build_map("recall", *recall_levels(old, new, query, weights), None, 0.95)
        assert knots is not None
        middle = np.interp(0.55, knots.old, knots.high) - np.interp(0.55, knots.old, knots.low)
        widths.append(middle)
    assert widths[1] < widths[0] / 2


def test_simplify_keeps_the_ends_and_required_points():
    """A straight line needs its two ends; a required point stays; a kink stays."""
    x = np.linspace(0, 1, 101)
    assert simplify(x, 2 * x, 1e-9).tolist() == [0, 100]
    assert simplify(x, 2 * x, 1e-9, np.array([40])).tolist() == [0, 40, 100]
    assert simplify(x, np.abs(x - 0.5), 1e-9).tolist() == [0, 50, 100]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0.1, 5)), min_size=1, max_size=40))
def test_isotonic_equals_scikit_learn(data):
    """Weighted pool-adjacent-violators equals sklearn's IsotonicRegression."""
    values = np.array([v for v, _ in data])
    weights = np.array([w for _, w in data])
    ours = isotonic_rising(values, weights)
    x = np.arange(len(values), dtype=float)
    reference = IsotonicRegression().fit(x, values, sample_weight=weights).predict(x)
    assert np.allclose(ours, reference, atol=1e-9)


def test_equal_precision_recovers_a_transform_of_every_score():
    """All pairs' new scores = h(old): the precision-preserving map is h on its domain."""
    rng = np.random.default_rng(8)
    scores = rng.normal(0.2, 0.15, 20_000)
    relevant = rng.random(20_000) < 1 / (1 + np.exp(-(scores - 0.5) * 12))
    h = lambda x: 0.1 + 0.8 * x  # noqa: E731
    grid_old = np.linspace(scores.min(), scores.max(), 4001)
    grid_new = h(grid_old)

    def curve(grid, values):
        kept = np.array([(values >= g).sum() for g in grid], dtype=float)
        rel = np.array([(values[relevant] >= g).sum() for g in grid], dtype=float)
        return precision_curve(grid, kept, rel)

    old_level, new_level = curve(grid_old, scores), curve(grid_new, h(scores))
    knots = build_map("precision", [old_level], [new_level], None, 0.95)
    assert knots is not None
    assert np.all(np.diff(knots.new) > 0)
    inside = (knots.old > 0.35) & (knots.old < 0.7)  # precision rises there
    assert np.allclose(knots.new[inside], h(knots.old[inside]), atol=2e-3)


@settings(max_examples=40, deadline=None)
@given(
    n_queries=st.integers(1, 30),
    per_query=st.integers(1, 5),
    levels=st.sampled_from([0, 3]),
    resamples=st.integers(0, 40),
    seed=st.integers(0, 2**16),
)
def test_levels_of_every_resample_equal_one_at_a_time(
    n_queries, per_query, levels, resamples, seed
):
    """Tails.levels gives each resample's Level, the very floats of Tails.level row by row.

    Blocks of a few resamples (a small cell budget); tied scores with few levels; resamples
    whose total is 0 (NaN levels). Each Level's inverse equals np.unique's construction.
    """
    rng = np.random.default_rng(seed)
    query = np.repeat(np.arange(n_queries), per_query)
    scores = (
        rng.integers(0, levels, len(query)).astype(np.float64) if levels else rng.random(len(query))
    )
    weights = with_point(replicate_weights(n_queries, resamples, seed))
    share = 1.0 / rng.integers(1, 4, len(query))
    totals = weights @ rng.integers(0, 2, n_queries).astype(np.float64)
    tails = Tails.of(scores)
    with pytest.MonkeyPatch.context() as patch, np.errstate(divide="ignore", invalid="ignore"):
        patch.setattr(scoremap_module, "_LEVEL_CELLS", 7 * n_queries * per_query)
        found = tails.levels(weights, query, share, totals)
        expected = [
            tails.level(row[query] * share, t) for row, t in zip(weights, totals, strict=True)
        ]
    assert len(found) == len(expected)
    targets = np.linspace(-0.1, 1.1, 13)
    for a, b in zip(found, expected, strict=True):
        assert np.array_equal(a.x, b.x)
        assert np.array_equal(a.level, b.level, equal_nan=True)
        level = a.level[::-1]
        values, first = np.unique(level, return_index=True)
        reference = np.interp(targets, values, a.x[::-1][first])
        assert np.array_equal(a.inverse(targets), reference, equal_nan=True)


def test_levels_read_at_points_on_and_between_their_scores():
    """Levels read at many points at once equal Level.at, shared x or not.

    Levels on one shared x are read at points among x, between two, and outside; levels on
    their own x too.
    """
    rng = np.random.default_rng(3)
    x = np.sort(rng.random(50))
    shared = [Level(x, np.sort(rng.random(50))[::-1]) for _ in range(6)]
    own = [Level(np.sort(rng.random(50)), np.sort(rng.random(50))) for _ in range(4)]
    points = np.concatenate([x[[0, 3, 17, 49]], [-1.0, 2.0, (x[5] + x[6]) / 2]])
    for levels in (shared, own, shared[:1]):
        found = scoremap_module._levels_at(levels, points)
        expected = np.array([level.at(points) for level in levels])
        assert np.array_equal(found, expected)
