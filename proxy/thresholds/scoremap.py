"""The old-to-new score map of a segment (``map`` in the thresholds document; stdlib only).

Shape (an optional key of a segment entry)::

    "map": null | {
        "preserve": "recall" | "precision",      # what the map keeps when a score crosses
        "anchor": [old_threshold, new_threshold] | null,
        "points": [[old, new, new_lo, new_hi], ...],   # strictly increasing in old and new
        "domain": [old_min, old_max]             # outside it: untranslatable
    }

Scores are in the document's similarity scale (``metric``). The map is piecewise linear
between its knots (the points and the anchor), hence monotone and exact at the anchor.
Every problem raises :class:`~proxy.errors.ThresholdsError` naming the key.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any, Literal

from proxy.config.where import Where
from proxy.thresholds.fields import Interval, get, interval, interval_out, real, table

Preserve = Literal["recall", "precision"]
PRESERVES: tuple[Preserve, ...] = ("recall", "precision")
_SAME = 1e-9  # two knots this close are one (an anchor that repeats a point)


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One knot of a score map: an old score, the new score, the new score's interval."""

    old: float
    new: float
    new_lo: float
    new_hi: float


@dataclass(frozen=True, slots=True)
class ScoreMap:
    """A monotone map from old scores to new scores, piecewise linear between its knots.

    The knots are the points and the anchor (when set), so the map is exact at the anchor.
    The domain lies within the points' span; outside it nothing is translated.
    """

    preserve: Preserve
    anchor: tuple[float, float] | None
    points: tuple[MapPoint, ...]
    domain: Interval

    def _knots(self) -> tuple[list[float], list[float]]:
        olds = [p.old for p in self.points]
        news = [p.new for p in self.points]
        if self.anchor is not None:
            at = bisect.bisect_left(olds, self.anchor[0])
            if at == len(olds) or abs(olds[at] - self.anchor[0]) > _SAME:
                olds.insert(at, self.anchor[0])
                news.insert(at, self.anchor[1])
        return olds, news

    def to_new(self, old_score: float) -> float | None:
        """The new score matching ``old_score``; None outside the domain."""
        if not self.domain[0] <= old_score <= self.domain[1]:
            return None
        olds, news = self._knots()
        return _interpolate(olds, news, old_score)

    def to_old(self, new_score: float) -> float | None:
        """The old score matching ``new_score`` (the inverse); None outside the domain's image."""
        olds, news = self._knots()
        low = _interpolate(olds, news, self.domain[0])
        high = _interpolate(olds, news, self.domain[1])
        if not low <= new_score <= high:
            return None
        return _interpolate(news, olds, new_score)

    def band_at(self, old_score: float) -> Interval | None:
        """The new score's interval at ``old_score`` (interpolated); None outside the domain."""
        if not self.domain[0] <= old_score <= self.domain[1]:
            return None
        olds = [p.old for p in self.points]
        low = _interpolate(olds, [p.new_lo for p in self.points], old_score)
        high = _interpolate(olds, [p.new_hi for p in self.points], old_score)
        return (low, high)


def _interpolate(xs: list[float], ys: list[float], x: float) -> float:
    """Linear interpolation over increasing ``xs`` (``x`` within their span)."""
    at = bisect.bisect_left(xs, x)
    if at < len(xs) and xs[at] == x:
        return ys[at]
    at = min(max(at, 1), len(xs) - 1)
    x0, x1, y0, y1 = xs[at - 1], xs[at], ys[at - 1], ys[at]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


# ---------------------------------------------------------------------------------------
# reading


def map_from(value: Any, at: Where) -> ScoreMap | None:
    """A segment's ``map`` (None for null or absent); checks monotonicity and the domain."""
    if value is None:
        return None
    values = table(value, at)
    preserve = get(values, "preserve", at)
    if preserve not in PRESERVES:
        raise at.error("preserve", f"must be one of {', '.join(PRESERVES)}, got {preserve!r}")
    points = _points(get(values, "points", at), at.child("points"))
    domain = interval(get(values, "domain", at), at.child("domain"))
    if domain is None:
        raise at.error("domain", "must be [old_min, old_max], got null")
    if domain[0] < points[0].old or domain[1] > points[-1].old:
        raise at.error(
            "domain",
            f"must lie within the points' span [{points[0].old}, {points[-1].old}], "
            f"got [{domain[0]}, {domain[1]}]",
        )
    anchor = _anchor(get(values, "anchor", at, required=False), at.child("anchor"), points)
    if anchor is not None and not domain[0] <= anchor[0] <= domain[1]:
        raise at.error("anchor", f"must lie within the domain, got old score {anchor[0]}")
    return ScoreMap(preserve=preserve, anchor=anchor, points=points, domain=domain)


def _points(value: Any, at: Where) -> tuple[MapPoint, ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise at.error(None, "must be a list of at least two [old, new, new_lo, new_hi] points")
    points: list[MapPoint] = []
    for i, raw in enumerate(value):
        here = at.child(str(i))
        if not isinstance(raw, list) or len(raw) != 4:
            raise here.error(None, "must be [old, new, new_lo, new_hi]")
        old, new, lo, hi = (real(x, here.child(str(j))) for j, x in enumerate(raw))
        if not lo <= new <= hi:
            raise here.error(None, f"must have new_lo <= new <= new_hi, got [{lo}, {new}, {hi}]")
        if points and (old <= points[-1].old or new <= points[-1].new):
            raise here.error(None, "must be above the point before it in old and new (monotone)")
        points.append(MapPoint(old, new, lo, hi))
    return tuple(points)


def _anchor(value: Any, at: Where, points: tuple[MapPoint, ...]) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise at.error(None, "must be [old_threshold, new_threshold] or null")
    old = real(value[0], at.child("0"))
    new = real(value[1], at.child("1"))
    olds = [p.old for p in points]
    where = bisect.bisect_left(olds, old)
    if where < len(points) and abs(points[where].old - old) <= _SAME:
        if abs(points[where].new - new) > _SAME:
            raise at.error(None, f"disagrees with the point at old score {old}")
        return (old, new)
    below = points[where - 1] if where > 0 else None
    above = points[where] if where < len(points) else None
    if (below is not None and new <= below.new) or (above is not None and new >= above.new):
        raise at.error(None, "must keep the map monotone between its neighbouring points")
    return (old, new)


# ---------------------------------------------------------------------------------------
# writing


def map_to_dict(score_map: ScoreMap) -> dict[str, Any]:
    """``score_map`` as JSON-ready data."""
    return {
        "preserve": score_map.preserve,
        "anchor": None if score_map.anchor is None else list(score_map.anchor),
        "points": [[p.old, p.new, p.new_lo, p.new_hi] for p in score_map.points],
        "domain": interval_out(score_map.domain),
    }
