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
4. with old vectors, scores the old model once (:mod:`calibrator.calibration.oldside`) and
   compares the two on each scope's own labelled queries (:mod:`calibrator.calibration.compare`:
   quality with paired intervals, divergence, score band, the old-to-new score map), and with
   an old threshold adds the label-free quantile mapping (:mod:`calibrator.calibration.mapping`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from calibrator.calibration.compare import ScopeComparison
from calibrator.calibration.evidence import resolve, sample_irrelevant
from calibrator.calibration.mapping import QuantileMapping
from calibrator.calibration.oldmodel import OldView
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
    comparison: ScopeComparison | None = None


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
    old_view = OldView(old, resolved, vectors, s, progress) if old is not None else None
    policies = {"": s.policy, **{name: s.policy_for(name) for name in eval_set.segments()}}
    if any(p.from_old for p in policies.values()):
        if old_view is None:
            raise CalibrationError(
                "a policy of the form target_recall=old needs the old model: give "
                "--old-vectors and --old-threshold"
            )
        policies = {
            name: old_view.matched(name, resolved.scope(name or None), p) if p.from_old else p
            for name, p in policies.items()
        }
    scorer = Scorer(resolved, vectors, s.metric, s.max_pairs, progress)
    floor, chosen = recall_floor(scorer, eval_set, s, policies)
    scan = scorer.scan(s.top_n, floor)
    everything = resolved.scope()
    evaluated = {"": (*evaluate(scorer, everything, policies[""], s, chosen.get("")), policies[""])}
    for name in eval_set.segments():
        scope, policy = resolved.scope(name), policies[name]
        if len(scope) < s.min_queries:
            evaluated[name] = (*fallback(scorer, scope, evaluated[""][0], s), policy)
        else:
            evaluated[name] = (*evaluate(scorer, scope, policy, s, chosen.get(name)), policy)
    if old_view is not None:
        old_view.rank(scorer, progress)

    def finish(name: str, entry: SegmentThreshold, pairs: Pairs, policy: Policy) -> ScopeResult:
        scope = resolved.scope(name or None)
        q_irr, d_irr = sample_irrelevant(resolved, scope, s.irrelevant_sample, s.seed)
        mapping = comparison = None
        if old_view is not None:
            mapping, comparison = old_view.scope(name, scope, entry)
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
            old_relevant_scores=None if old_view is None else old_view.relevant_of(scope),
            old_irrelevant_scores=None if old_view is None else old_view.side.scores(q_irr, d_irr),
            mapping=mapping,
            comparison=comparison,
        )

    segments = {name: finish(name, *evaluated[name]) for name in eval_set.segments()}
    global_ = finish("", *evaluated[""])
    return Calibration(
        global_=global_,
        segments=MappingProxyType(segments),
        settings=s,
        n_pairs=scorer.candidates.n_pairs,
        refinements=scorer.refinements,
        scan=scan,
    )
