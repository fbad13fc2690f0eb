"""The gate's ``labelled_quality`` criterion (pure): is the new side at least as good on labels?

The calibrator compares, per segment and on the same labelled queries, the old model at the
old threshold with the new model at its calibrated threshold, and publishes for each metric the
difference new - old with a paired bootstrap interval (``quality`` in the thresholds document,
:mod:`proxy.thresholds.evidence`). With ``L = [gate].max_quality_loss`` and the metric
``[gate].quality_metric`` (nDCG@10 by default):

- ``pass`` when the interval's lower end is at least ``-L``: the new side is not worse by more
  than ``L`` (non-inferiority shown);
- ``fail`` when its upper end is below ``-L``: the new side is worse by more than ``L``;
- ``uncertain`` in between: the labelled sample cannot tell. The reason says about how many
  more labelled queries would decide, at the spread seen (an interval's half-width shrinks
  like one over the square root of the number of queries);
- ``unavailable`` (hence inconclusive) while nothing is published for the segment: a segment
  without labelled queries of its own never borrows another's, and is never a pass.
"""

from __future__ import annotations

import math

from proxy.gate.criterion import Criterion
from proxy.thresholds.evidence import MetricDiff, Quality

NAME = "labelled_quality"


def labelled_quality(
    quality: Quality | None, metric: str, max_loss: float, *, document: bool
) -> Criterion:
    """The criterion for one segment (module docstring); ``document``: one is in force."""
    floor = -max_loss
    if quality is None or quality.n_queries == 0:
        where = (
            "no labelled quality is published for this segment"
            if document
            else "no thresholds document is in force"
        )
        reason = (
            f"not available: {where} (embedshift calibrate with --old-vectors and labelled "
            "queries of this segment publishes it)"
        )
        return Criterion(NAME, "unavailable", None, floor, reason)
    figures = quality.metric(metric)
    if figures is None:
        known = ", ".join(sorted(quality.metrics)) or "none"
        reason = f"not available: the calibrator published no {metric} (it has: {known})"
        return Criterion(NAME, "unavailable", None, floor, reason)
    low, high = figures.interval
    text = (
        f"{metric} new {figures.new:.3f} vs old {figures.old:.3f}: new - old {figures.diff:+.3f}, "
        f"{quality.confidence:.0%} interval [{low:+.3f}, {high:+.3f}] on {quality.n_queries} "
        "labelled queries"
    )
    if low >= floor:
        return Criterion(NAME, "pass", low, floor, f"{text}: no worse than {floor:+.3f}")
    if high < floor:
        reason = f"{text}: the new side is worse by more than max_quality_loss {max_loss}"
        return Criterion(NAME, "fail", low, floor, reason)
    reason = f"{text} straddles {floor:+.3f}: the labelled sample cannot tell; " + _more(
        figures, quality.n_queries, floor
    )
    return Criterion(NAME, "uncertain", low, floor, reason)


def more_queries(figures: MetricDiff, n: int, floor: float) -> int | None:
    """About how many more labelled queries would put the interval on one side of ``floor``.

    None when the difference sits on the floor itself (no sample size decides).
    """
    low, high = figures.interval
    if figures.diff > floor:
        half, room = figures.diff - low, figures.diff - floor
    elif figures.diff < floor:
        half, room = high - figures.diff, floor - figures.diff
    else:
        return None
    needed = math.ceil(n * (half / room) ** 2)
    return max(1, needed - n)


def _more(figures: MetricDiff, n: int, floor: float) -> str:
    more = more_queries(figures, n, floor)
    if more is None:
        return "the difference sits on the limit: no number of labelled queries will decide"
    return f"about {more} more labelled queries would decide (at the spread seen)"
