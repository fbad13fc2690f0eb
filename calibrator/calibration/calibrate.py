"""One calibration: labelled queries and vectors in, per-segment thresholds with evidence out.

:func:`calibrate` is pure apart from the numpy/faiss work: it reads nothing from disk and
writes nothing (:mod:`calibrator.run.execute` does the I/O). It

1. scores the labelled pairs, then each query's candidates
(:class:`~calibrator.calibration.scored.Scorer`):
   every document down to the lowest threshold the policies can pick when that is known from
   the labels alone (``target_recall``), else each query's top ``top_n``;
2. for the global scope (every labelled query) and each segment, evaluates the curve for the
   point estimate and the bootstrap replicates, applies the policy, and refines candidates
   until the figures are those of an exhaustive scan (:mod:`calibrator.calibration.scopes`);
3. gives segments with fewer than ``min_queries`` labelled queries the global threshold;
4. with old vectors, adds the label-free quantile mapping (:mod:`calibrator.calibration.mapping`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from calibrator.calibration.evidence import resolve, sample_irrelevant
from calibrator.calibration.mapping import OldSide, QuantileMapping, map_scope
from calibrator.calibration.scopes import evaluate, fallback, recall_floor
from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import OldModel, Settings
from calibrator.errors import CalibrationError
from calibrator.inputs.labels import EvalSet
from calibrator.inputs.vectors import Vectors
from calibrator.maths.candidates import pair_scores
from calibrator.maths.policy import Policy
from calibrator.maths.sweep import Pairs
from calibrator.progress import Progress, no_progress
from proxy.thresholds.document import SegmentThreshold

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ScopeResult:
    """One scope's (the global one's or a segment's) outcome and the evidence behind it."""

    name: str
    policy: Policy
    entry: SegmentThreshold
    pairs: Pairs
    exact_above: float
    relevant_scores: Floats
    irrelevant_scores: Floats
    old_relevant_scores: Floats | None = None
    old_irrelevant_scores: Floats | None = None
    mapping: QuantileMapping | None = None


@dataclass(frozen=True)
class Calibration:
    """Everything one run found: the global scope, each segment, and run statistics."""

    global_: ScopeResult
    segments: Mapping[str, ScopeResult]
    settings: Settings
    n_pairs: int
    refinements: int
    scan: str = "top_n"  # "above": one range search down to a floor known from the labels


def calibrate(
    eval_set: EvalSet,
    vectors: Vectors,
    settings: Settings,
    *,
    doc_segments: Mapping[str, str] | None = None,
    doc_segments_source: str = "doc segments",
    old: OldModel | None = None,
    progress: Progress = no_progress,
) -> Calibration:
    """Calibrate every segment of ``eval_set`` on ``vectors`` (see the module docstring)."""
    s = settings
    resolved = resolve(eval_set, vectors, doc_segments, doc_segments_source)
    if len(resolved.queries) < s.min_queries:
        raise CalibrationError(
            f"only {len(resolved.queries)} labelled queries in all; at least min_queries = "
            f"{s.min_queries} are needed (label more, or lower --min-queries)"
        )
    scorer = Scorer(resolved, vectors, s.metric, s.max_pairs, progress)
    scan = scorer.scan(s.top_n, recall_floor(scorer, eval_set, s))
    old_side = OldSide(old, resolved, vectors, s) if old is not None else None
    default_counts = segment_counts = None
    if old_side is not None and old is not None:
        default = np.full(len(resolved.queries), old.threshold)
        per_segment = np.array([old.threshold_for(q.segment) for q in resolved.queries])
        default_counts = old_side.counts(resolved, default, progress)
        segment_counts = (
            default_counts
            if np.array_equal(default, per_segment)
            else old_side.counts(resolved, per_segment, progress)
        )

    def finish(name: str, scope: npt.NDArray[np.int64], entry: SegmentThreshold, pairs: Pairs,
               policy: Policy) -> ScopeResult:  # fmt: skip
        q_irr, d_irr = sample_irrelevant(resolved, scope, s.irrelevant_sample, s.seed)
        local_rel = np.repeat(scope, [len(resolved.relevant_rows[q]) for q in scope])
        d_rel = (
            np.concatenate([resolved.relevant_rows[q] for q in scope])
            if len(scope)
            else np.zeros(0, np.int64)
        )
        mapping = None
        if old_side is not None and old is not None:
            counts = default_counts if name == "" else segment_counts
            assert counts is not None
            mapping = map_scope(scorer, scope, counts, old.threshold_for(name or None), s)
        return ScopeResult(
            name=name,
            policy=policy,
            entry=entry,
            pairs=pairs,
            exact_above=float(scorer.candidates.floors[scope].max(initial=-np.inf)),
            relevant_scores=pairs.score[pairs.relevant],
            irrelevant_scores=pair_scores(scorer.queries, scorer.docs, q_irr, d_irr).astype(
                np.float64
            ),
            old_relevant_scores=None if old_side is None else old_side.scores(local_rel, d_rel),
            old_irrelevant_scores=None if old_side is None else old_side.scores(q_irr, d_irr),
            mapping=mapping,
        )

    everything = resolved.scope()
    g_entry, g_pairs = evaluate(scorer, everything, s.policy, s)
    segments: dict[str, ScopeResult] = {}
    for name in eval_set.segments():
        scope = resolved.scope(name)
        policy = s.policy_for(name)
        if len(scope) < s.min_queries:
            entry, pairs = fallback(scorer, scope, g_entry, s)
        else:
            entry, pairs = evaluate(scorer, scope, policy, s)
        segments[name] = finish(name, scope, entry, pairs, policy)
    global_ = finish("", everything, g_entry, g_pairs, s.policy)
    return Calibration(
        global_=global_,
        segments=MappingProxyType(segments),
        settings=s,
        n_pairs=scorer.candidates.n_pairs,
        refinements=scorer.refinements,
        scan=scan,
    )
