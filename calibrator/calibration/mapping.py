"""The quantile mapping of a calibration: each scope's label-free proposal.

The maths is in :mod:`calibrator.maths.quantile`; the old model's counts (per query, how many
pairs reach the old threshold) come from its scan (:mod:`calibrator.calibration.oldside`), and
the new model's candidates are refined until the proposed threshold lies where they are
complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import Settings
from calibrator.maths.bootstrap import percentile_interval, replicate_weights, with_point
from calibrator.maths.quantile import kth_highest, tail_share

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class QuantileMapping:
    """A label-free proposal: the new threshold at the old threshold's share of pairs."""

    old_threshold: float
    threshold: float | None
    interval: tuple[float, float] | None
    tail_share: float
    n_queries: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as written in the thresholds document."""
        interval = None if self.interval is None else list(self.interval)
        return {
            "old_threshold": self.old_threshold,
            "threshold": self.threshold,
            "interval": interval,
            "tail_share": self.tail_share,
            "n_queries": self.n_queries,
        }


def map_scope(
    scorer: Scorer,
    scope: npt.NDArray[np.int64],
    old_counts: npt.NDArray[np.int64],
    old_threshold: float,
    s: Settings,
) -> QuantileMapping:
    """``t_old``'s share of old pairs, mapped onto the new model's scores of ``scope``."""
    weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed + 1))
    accepted = weights @ old_counts[scope].astype(np.float64)
    for _ in range(s.max_refinements + 1):
        scores, local = scorer.candidate_scores(scope)
        values = kth_highest(scores, local, weights, accepted)
        if not np.isfinite(values[0]) or not scorer.refine(scope, float(values[0])):
            break
    point = float(values[0]) if np.isfinite(values[0]) else None
    return QuantileMapping(
        old_threshold=old_threshold,
        threshold=point,
        interval=percentile_interval(values[1:], s.confidence) if point is not None else None,
        tail_share=tail_share(float(accepted[0]), float(scorer.total_pairs(scope))),
        n_queries=len(scope),
    )
