"""Paired bootstrap of a difference between two systems measured on the same queries.

Both systems (the old model at its threshold, the new model at its own) answer the same
labelled queries, so their figures are paired: one resample of queries is drawn, and *both*
sides are evaluated on it. The interval of ``new - old`` then reflects how the difference
varies with the queries, not the (much larger) spread of each side's own figure: queries
that are hard for one model are mostly hard for the other.

Weights are :func:`calibrator.maths.bootstrap.replicate_weights` rows with the point estimate
on top (:func:`~calibrator.maths.bootstrap.with_point`): row 0 is every query once.

* :func:`paired_mean` compares means of per-query figures (nDCG@k, recall@k, macro
  precision); a NaN figure (a query without relevant ids, or a side that kept nothing) is
  left out of that side's mean.
* :func:`paired_ratio` compares pooled ratios (micro precision and recall: summed numerators
  over summed denominators).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.maths.bootstrap import Interval, percentile_interval

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class PairedDiff:
    """A figure on both sides, ``new - old``, and the paired interval of the difference."""

    old: float
    new: float
    diff: float
    interval: Interval | None
    replicates: Floats  # new - old in each resample (NaN where one side was undefined)


def _means(values: Floats, weights: Floats) -> Floats:
    valid = np.isfinite(values)
    total = weights @ np.where(valid, values, 0.0)
    count = weights @ valid.astype(np.float64)
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


def _ratios(numerator: Floats, denominator: Floats, weights: Floats) -> Floats:
    top, bottom = weights @ numerator, weights @ denominator
    return np.divide(top, bottom, out=np.full(len(top), np.nan), where=bottom > 0)


def _diff(old: Floats, new: Floats, confidence: float) -> PairedDiff:
    replicates = new[1:] - old[1:]
    return PairedDiff(
        old=float(old[0]),
        new=float(new[0]),
        diff=float(new[0] - old[0]),
        interval=percentile_interval(replicates, confidence) if len(replicates) else None,
        replicates=replicates,
    )


def paired_mean(old: Floats, new: Floats, weights: Floats, confidence: float) -> PairedDiff:
    """Means of per-query figures on both sides and the paired interval of new - old.

    ``old[q]`` and ``new[q]`` belong to the same query q; ``weights`` is ``(1 + R, queries)``.
    A side with no finite figure has a NaN mean.
    """
    return _diff(_means(old, weights), _means(new, weights), confidence)


def paired_ratio(
    old: tuple[Floats, Floats], new: tuple[Floats, Floats], weights: Floats, confidence: float
) -> PairedDiff:
    """Pooled ratios (per-query numerators and denominators summed) and new - old's interval."""
    return _diff(_ratios(*old, weights), _ratios(*new, weights), confidence)
