"""The old model in a calibration: scored once, matched by policies, compared per scope.

:class:`OldView` scores the old model's vectors of the same sample once (before the new
model: a ``target_recall=old`` policy needs the old figures to pick the new thresholds), then,
once the new model is ranked (:meth:`OldView.rank`), gives each scope its comparison
(:mod:`calibrator.calibration.compare`) and, with an old threshold, its label-free quantile
mapping (:mod:`calibrator.calibration.mapping`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from calibrator.calibration.compare import Comparer, ScopeComparison, grid_of
from calibrator.calibration.evidence import Resolved, relevant_pairs
from calibrator.calibration.mapping import QuantileMapping, map_scope
from calibrator.calibration.oldside import OldSide
from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import OldModel, Settings
from calibrator.errors import CalibrationError
from calibrator.inputs.vectors import Vectors
from calibrator.maths.policy import Policy
from calibrator.progress import Progress
from proxy.thresholds.document import SegmentThreshold

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def _nan(value: float | None) -> float:
    return np.nan if value is None else value


class OldView:
    """The old model's side of one calibration (see the module docstring)."""

    def __init__(
        self, old: OldModel, resolved: Resolved, vectors: Vectors, s: Settings, progress: Progress
    ) -> None:
        """Score the old model once: top k, counts at its thresholds, labelled pairs."""
        self.old, self.resolved, self.s = old, resolved, s
        self.side = OldSide(old, resolved, vectors, s)
        q_idx, d_rows = relevant_pairs(resolved)
        self.pair_query = q_idx
        self.relevant = self.side.scores(q_idx, d_rows)
        self.grid = grid_of(self.relevant) if s.preserve == "precision" and len(q_idx) else None
        thresholds: list[Floats] = []
        self.per_segment_row = 0
        if old.threshold is not None or old.segment_thresholds:
            default = np.full(len(resolved.queries), _nan(old.threshold))
            per_segment = np.array([_nan(old.threshold_for(q.segment)) for q in resolved.queries])
            thresholds = [default]
            if not np.array_equal(default, per_segment, equal_nan=True):
                thresholds.append(per_segment)  # counted in the same pass
                self.per_segment_row = 1
        self.scanned = self.side.scan(resolved, s.k, thresholds, self.grid, progress)
        self.comparer: Comparer | None = None
        self.scorer: Scorer | None = None

    def relevant_of(self, scope: Ints) -> Floats:
        """The old model's scores of the labelled pairs of ``scope`` (increasing query indexes).

        In the order of :func:`~calibrator.calibration.evidence.relevant_pairs`, taken from
        the scores of every labelled pair computed once.
        """
        mine = np.zeros(len(self.resolved.queries), np.bool_)
        mine[scope] = True
        scores: Floats = self.relevant[mine[self.pair_query]]
        return scores

    def threshold(self, name: str) -> float | None:
        """The old threshold of a scope (``""``: the global one, the default)."""
        return self.old.threshold if name == "" else self.old.threshold_for(name)

    def counts(self, name: str) -> Ints | None:
        """Per labelled query, documents reaching the scope's old threshold (None: none)."""
        if self.threshold(name) is None or not len(self.scanned.counts):
            return None
        counts: Ints = self.scanned.counts[0 if name == "" else self.per_segment_row]
        return counts

    def matched(self, name: str, scope: Ints, policy: Policy) -> Policy:
        """``policy`` with the old model's figure at its threshold on ``scope`` as target."""
        t_old, counts = self.threshold(name), self.counts(name)
        shown = name or "the global scope"
        if t_old is None or counts is None:
            raise CalibrationError(
                f"{policy.kind}=old needs the old threshold of {shown}: give --old-threshold "
                "(or [thresholds].old)"
            )
        n_rel = self.resolved.n_relevant[scope].astype(np.float64)
        local = np.full(len(self.resolved.queries), -1, np.int64)
        local[scope] = np.arange(len(scope))
        owner = local[self.pair_query]
        hit = (owner >= 0) & (self.relevant >= np.float32(t_old))
        tp = np.bincount(owner[hit], minlength=len(scope)).astype(np.float64)
        bottom = n_rel if policy.kind == "target_recall" else counts[scope].astype(np.float64)
        if policy.average == "micro":
            value = float(tp.sum() / bottom.sum()) if bottom.sum() > 0 else 0.0
        else:
            some = bottom > 0
            value = float((tp[some] / bottom[some]).mean()) if some.any() else 0.0
        if value <= 0:
            figure = "recall" if policy.kind == "target_recall" else "precision"
            raise CalibrationError(
                f"{shown}: the old threshold {t_old:g} keeps no relevant document of its "
                f"labelled queries, so there is no old {figure} to keep; give that segment "
                "another policy (--policy SEGMENT:KIND=X)"
            )
        return policy.matched(value)

    def rank(self, scorer: Scorer, progress: Progress) -> None:
        """Take the new model's scores (after its thresholds are chosen) for the comparisons."""
        self.scorer = scorer
        self.comparer = Comparer(scorer, self.relevant, self.scanned, self.grid, self.s, progress)

    def scope(
        self, name: str, scope: Ints, entry: SegmentThreshold
    ) -> tuple[QuantileMapping | None, ScopeComparison]:
        """The quantile mapping (with an old threshold) and the comparison of one scope."""
        assert self.comparer is not None
        assert self.scorer is not None
        t_old, counts = self.threshold(name), self.counts(name)
        comparison = self.comparer.scope(
            scope, t_old, None if counts is None else counts[scope], entry.threshold
        )
        mapping = None
        if t_old is not None and counts is not None:
            mapping = map_scope(self.scorer, scope, counts, t_old, self.s)
        return mapping, comparison
