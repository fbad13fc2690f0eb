"""A monotone map from the old model's scores to the new model's that keeps a threshold's meaning.

Both models scored the same labelled queries. A threshold ``s`` on the old model keeps some
recall (or precision) there; the map sends ``s`` to the new-model threshold that keeps the
same. For recall this is quantile matching of the relevant pairs' scores: recall at ``s`` is
the (weighted) share of relevant pairs scoring at least ``s``, and both models have the same
relevant pairs, so equal recall means equal tail mass. Precision needs every pair's score; its
curve (:func:`precision_curve`) is made monotone first (isotonic regression: a higher
threshold never loses precision), so that it can be inverted.

Each side's figure is a :class:`Level` curve: exact at every labelled score, linear in between
(so thresholds between two labelled scores map between their images, not onto a step). The
map is ``new_level^-1(warp(old_level(s)))``, where :func:`warp` is the identity unless an
*anchor* ``(t_old, t_new)`` is given: then levels are bent, piecewise linearly, so that
``t_old`` maps exactly to ``t_new`` (the calibrated pair) and the map stays monotone.

:func:`build_map` evaluates it at every distinct old labelled score, keeps the fewest knots
that reproduce it within ``tolerance`` by linear interpolation (Ramer-Douglas-Peucker on the
vertical distance), and gives each knot a bootstrap interval: the same construction on each
resample of queries (both models on the same resample), with the warp of the point estimate.
Outside the domain (the old labelled scores' range, narrowed for precision to where the new
model reaches the old one's precision) nothing is defined: values there are untranslatable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from calibrator.maths.bootstrap import Interval, percentile_interval

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Preserve = Literal["recall", "precision"]
DEFAULT_TOLERANCE = 1e-3  # new-score units: the published knots reproduce the map this closely
_LEVEL_CELLS = 2_000_000  # resamples x pairs per block of Tails.levels: bounded memory


@dataclass(frozen=True)
class Level:
    """A figure against the threshold: ``level[i]`` at score ``x[i]`` (``x`` increasing).

    ``rising``: the figure rises with the threshold (precision) instead of falling (recall).
    """

    x: Floats
    level: Floats
    rising: bool = False

    def at(self, scores: npt.ArrayLike) -> Floats:
        """The figure at ``scores``, linear between the known points (clamped at the ends)."""
        return np.interp(np.asarray(scores, dtype=np.float64), self.x, self.level)

    def inverse(self, levels: npt.ArrayLike) -> Floats:
        """The score at which the figure reaches each of ``levels`` (linear in between).

        Where a figure stays level over a range of scores, the end that keeps the most is
        taken: the highest score for a falling figure (recall: fewest results for that
        recall), the lowest for a rising one (precision: most results at that precision).
        """
        x, level = (self.x, self.level) if self.rising else (self.x[::-1], self.level[::-1])
        if np.all(level[1:] >= level[:-1]):  # sorted (as built here): np.unique's result
            first = np.flatnonzero(np.concatenate([[True], level[1:] != level[:-1]]))
            values = level[first]
        else:
            values, first = np.unique(level, return_index=True)
        return np.interp(np.asarray(levels, dtype=np.float64), values, x[first])


@dataclass(frozen=True)
class Tails:
    """Scores sorted once, so that each resample's recall curve is a cumulative sum."""

    order: Ints  # scores, best first
    last: Ints  # in that order, the end of each group of equal scores
    x: Floats  # the distinct scores, increasing

    @classmethod
    def of(cls, scores: Floats) -> Tails:
        """Sort ``scores`` (best first) and find their groups of equal values."""
        order = np.argsort(-scores, kind="stable")
        s = scores[order]
        last = np.append(np.flatnonzero(s[1:] != s[:-1]), len(s) - 1)
        return cls(order, last, s[last][::-1].copy())

    def level(self, mass: Floats, total: float) -> Level:
        """Recall against the threshold: the pairs' ``mass`` scoring at least x, over ``total``."""
        cumulative = np.cumsum(mass[self.order])
        return Level(self.x, cumulative[self.last][::-1] / total)

    def levels(self, weights: Floats, owner: Ints, share: Floats, totals: Floats) -> list[Level]:
        """:meth:`level` for each resample: pair i weighs ``weights[r, owner[i]] * share[i]``.

        ``weights`` is ``(resamples, queries)``, ``totals`` each resample's total; the same
        floats as :meth:`level` row by row, computed a block of resamples at a time.
        """
        out: list[Level] = []
        step = max(1, _LEVEL_CELLS // max(len(owner), 1))
        owner, share = owner[self.order], share[self.order]  # best first, as summed
        for a in range(0, len(weights), step):
            cumulative = np.cumsum(weights[a : a + step][:, owner] * share, axis=1)
            rows = cumulative[:, self.last][:, ::-1] / totals[a : a + step, None]
            out.extend(Level(self.x, row) for row in rows)
        return out


def tail_level(scores: Floats, mass: Floats, total: float) -> Level:
    """Recall against the threshold: the ``mass`` of pairs scoring at least x, over ``total``."""
    return Tails.of(scores).level(mass, total)


def isotonic_rising(values: Floats, weights: Floats) -> Floats:
    """The non-decreasing sequence nearest ``values`` in weighted least squares (PAVA)."""
    means: list[float] = []
    sizes: list[float] = []
    counts: list[int] = []
    for value, weight in zip(values.tolist(), weights.tolist(), strict=True):
        means.append(value)
        sizes.append(weight)
        counts.append(1)
        while len(means) > 1 and means[-2] > means[-1]:
            w = sizes[-2] + sizes[-1]
            mean = (means[-2] * sizes[-2] + means[-1] * sizes[-1]) / w if w > 0 else means[-1]
            means[-2:], sizes[-2:], counts[-2:] = [mean], [w], [counts[-2] + counts[-1]]
    return np.repeat(np.array(means), counts)


def precision_curve(grid: Floats, kept: Floats, relevant_kept: Floats) -> Level:
    """Micro precision at each threshold of ``grid`` (increasing), made non-decreasing.

    ``kept[i]`` and ``relevant_kept[i]``: pairs scoring at least ``grid[i]``, all and relevant.
    Thresholds keeping nothing are left out.
    """
    some = kept > 0
    x, n, tp = grid[some], kept[some], relevant_kept[some]
    return Level(x, isotonic_rising(tp / n, n), rising=True)


def warp(levels: Floats, anchor: tuple[float, float] | None, low: float, high: float) -> Floats:
    """Levels bent so that ``anchor[0]`` becomes ``anchor[1]`` (identity without an anchor).

    Piecewise linear through ``(low, low)``, the anchor and ``(high, high)``: increasing, so
    the map stays monotone.
    """
    if anchor is None:
        return levels
    a_old, a_new = anchor
    if not (low < a_old < high and low < a_new < high):
        return levels
    return np.interp(levels, [low, a_old, high], [low, a_new, high])


def simplify(x: Floats, y: Floats, tolerance: float, keep: Ints | None = None) -> Ints:
    """Indexes of the fewest points whose polyline is within ``tolerance`` of ``y`` everywhere.

    Ramer-Douglas-Peucker on the vertical distance; the ends and ``keep`` always stay.
    """
    if len(x) <= 2:
        return np.arange(len(x), dtype=np.int64)
    chosen = {0, len(x) - 1, *([] if keep is None else keep.tolist())}
    stack: list[tuple[int, int]] = list(itertools.pairwise(sorted(chosen)))
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        inner = slice(a + 1, b)
        line = y[a] + (y[b] - y[a]) * (x[inner] - x[a]) / (x[b] - x[a])
        gap = np.abs(y[inner] - line)
        worst = int(np.argmax(gap))
        if gap[worst] > tolerance:
            middle = a + 1 + worst
            chosen.add(middle)
            stack.extend(((a, middle), (middle, b)))
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass(frozen=True)
class MapKnots:
    """The published map: knots (old increasing, new increasing), intervals, domain, anchor."""

    preserve: Preserve
    old: Floats
    new: Floats
    low: Floats
    high: Floats
    domain: Interval
    anchor: tuple[float, float] | None
    max_error: float  # largest gap between the knots' polyline and the map at a labelled score


def _strictly_rising(old: Floats, new: Floats) -> Ints:
    keep = [0]
    for i in range(1, len(old)):
        if old[i] > old[keep[-1]] and new[i] > new[keep[-1]]:
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def build_map(
    preserve: Preserve,
    old_levels: list[Level],
    new_levels: list[Level],
    anchor: tuple[float, float] | None,
    confidence: float,
    tolerance: float = DEFAULT_TOLERANCE,
) -> MapKnots | None:
    """The map from per-resample level curves (index 0: the point estimate; see the docstring).

    None when the sample cannot define one (fewer than two distinct old scores in the domain).
    ``anchor`` that lies outside the domain, or would break monotonicity, is dropped.
    """
    old0, new0 = old_levels[0], new_levels[0]
    grid = old0.x
    if preserve == "precision":  # only where the new model reaches the old one's precision
        reach = (old0.level >= new0.level.min()) & (old0.level <= new0.level.max())
        grid = grid[reach]
    if len(grid) < 2:
        return None
    domain = (float(grid[0]), float(grid[-1]))
    low, high = _bounds(old0, new0)
    warp_at = None
    if anchor is not None and domain[0] <= anchor[0] <= domain[1]:
        warp_at = (float(old0.at(anchor[0])), float(new0.at(anchor[1])))
    else:
        anchor = None
    old, new = _with_anchor(grid, new0.inverse(warp(old0.at(grid), warp_at, low, high)), anchor)
    rising = _strictly_rising(old, new)
    old, new = old[rising], new[rising]
    if len(old) < 2:
        return None
    domain = (float(old[0]), float(old[-1]))  # a level stretch at an end is untranslatable
    if anchor is not None and not np.any(old == anchor[0]):
        anchor = None  # it broke monotonicity: the plain map is published
    keep = np.flatnonzero(old == anchor[0]) if anchor is not None else None
    kept = simplify(old, new, tolerance, keep)
    knots_old, knots_new = old[kept], new[kept]
    warped = warp(_levels_at(old_levels[1:], knots_old), warp_at, low, high)
    replicas = np.array(
        [n.inverse(row) for n, row in zip(new_levels[1:], warped, strict=True)]
    ).reshape(len(old_levels) - 1, len(knots_old))
    lows, highs = _bands(replicas, knots_new, confidence)
    error = float(np.abs(np.interp(old, knots_old, knots_new) - new).max())
    return MapKnots(preserve, knots_old, knots_new, lows, highs, domain, anchor, error)


def _levels_at(levels: list[Level], points: Floats) -> Floats:
    """``[level.at(points) for level in levels]`` as a ``(len(levels), len(points))`` array.

    Levels on one shared ``x`` (each resample's recall curve) are read at the points that are
    among ``x`` by position, which is what :func:`numpy.interp` gives there; other points,
    and levels on their own ``x``, are interpolated.
    """
    out = np.empty((len(levels), len(points)))
    if not levels:
        return out
    x = levels[0].x
    if not len(x) or any(level.x is not x for level in levels):
        for r, level in enumerate(levels):
            out[r] = level.at(points)
        return out
    at = np.minimum(np.searchsorted(x, points), len(x) - 1)
    on = x[at] == points
    if on.any():
        columns = at[on]
        out[:, on] = np.array([level.level[columns] for level in levels])
    if not on.all():
        between = points[~on]
        out[:, ~on] = np.array([level.at(between) for level in levels])
    return out


def _with_anchor(
    old: Floats, new: Floats, anchor: tuple[float, float] | None
) -> tuple[Floats, Floats]:
    """The map's points with the anchor as one of them (exact there)."""
    if anchor is None:
        return old, new
    at = int(np.searchsorted(old, anchor[0]))
    if at < len(old) and old[at] == anchor[0]:
        new = new.copy()
        new[at] = anchor[1]
        return old, new
    return np.insert(old, at, anchor[0]), np.insert(new, at, anchor[1])


def _bands(replicas: Floats, point: Floats, confidence: float) -> tuple[Floats, Floats]:
    """Percentile interval of each column of ``replicas``, widened to hold ``point``.

    A skewed resample distribution can leave the point estimate outside its percentile
    interval; the published band always contains it. No resamples: the point itself.
    """
    lows, highs = point.copy(), point.copy()
    if len(replicas) and np.isfinite(replicas).all():
        tail = (1.0 - confidence) / 2.0 * 100.0
        low, high = np.percentile(replicas, [tail, 100.0 - tail], axis=0)
        return np.minimum(low, point), np.maximum(high, point)
    for j in range(len(point)):
        found = percentile_interval(replicas[:, j], confidence) if len(replicas) else None
        if found is not None:
            lows[j], highs[j] = min(found[0], point[j]), max(found[1], point[j])
    return lows, highs


def _bounds(old: Level, new: Level) -> tuple[float, float]:
    """The range of levels both curves span (the warp's fixed ends)."""
    if not old.rising:
        return 0.0, 1.0
    return (
        float(min(old.level.min(), new.level.min())),
        float(max(old.level.max(), new.level.max())),
    )
