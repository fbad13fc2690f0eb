"""The quantile mapping of a calibration: the old model's side and each scope's proposal.

The maths is in :mod:`calibrator.maths.quantile`; here the old model's vectors of the same sample
are scored (per query, how many pairs reach the old threshold) and the new model's candidates
are refined until the proposed threshold lies where they are complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.calibration.evidence import Resolved, resolve_same_sample
from calibrator.calibration.scored import Scorer, prepare
from calibrator.calibration.settings import OldModel, Settings
from calibrator.inputs.vectors import Vectors
from calibrator.maths.bootstrap import percentile_interval, replicate_weights, with_point
from calibrator.maths.candidates import count_at_least, pair_scores
from calibrator.maths.quantile import kth_highest, tail_share
from calibrator.progress import Progress

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


class OldSide:
    """The old model's view of the same sample: its scores and its threshold counts."""

    def __init__(self, old: OldModel, resolved: Resolved, new: Vectors, s: Settings) -> None:
        """Find the sample in the old vectors (InputError if missing) and prepare them."""
        self.old = old
        self.rows = resolve_same_sample(resolved, new, old.vectors)
        self.queries = prepare(old.vectors.queries[self.rows.query_rows], s.metric)
        self.docs = prepare(old.vectors.docs, s.metric)

    def counts(
        self, resolved: Resolved, per_query: Floats, progress: Progress
    ) -> npt.NDArray[np.int64]:
        """Per labelled query, how many old pairs score at least its entry of ``per_query``."""
        out = np.zeros(len(resolved.queries), dtype=np.int64)
        for group, members in resolved.in_group(resolved.scope()).items():
            old_docs = self.docs[self.rows.doc_map[resolved.group_docs[group]]]
            out[members] = count_at_least(
                self.queries[members], old_docs, per_query[members], progress, "scoring (old model)"
            )
        return out

    def scores(self, query_idx: npt.NDArray[np.int64], doc_rows: npt.NDArray[np.int64]) -> Floats:
        """Old-model scores of (labelled query index, new document row) pairs."""
        return pair_scores(self.queries, self.docs, query_idx, self.rows.doc_map[doc_rows]).astype(
            np.float64
        )
