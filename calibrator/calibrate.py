"""One calibration: labelled queries and vectors in, per-segment thresholds with evidence out.

:func:`calibrate` is pure apart from the numpy/faiss work: it reads nothing from disk and
writes nothing (:mod:`calibrator.run` does the I/O). For the global scope (every labelled
query) and each segment it

1. scores each query's top ``top_n`` candidates and its labelled pairs (:class:`Scorer`);
2. evaluates the curve at every relevant score for the point estimate and ``bootstrap``
   query resamples at once, and applies the policy (:mod:`calibrator.policy`);
3. when the chosen threshold (or the low end of its interval) lies at or below some query's
   candidate floor, scores those queries exhaustively down to it and goes back to 2, so the
   published figures are those of an exhaustive scan;
4. segments with fewer than ``min_queries`` labelled queries get the global threshold;
5. with old vectors, adds the label-free quantile mapping of the old threshold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from calibrator.bootstrap import percentile_interval, replicate_weights, with_point
from calibrator.errors import CalibrationError
from calibrator.eval_set import EvalSet
from calibrator.evidence import Resolved, resolve, resolve_same_sample, sample_irrelevant
from calibrator.policy import Policy, choose, why_none
from calibrator.quantile import kth_highest, tail_share
from calibrator.scorer import Scorer, prepare
from calibrator.scoring import Progress, count_at_least, pair_scores
from calibrator.sweep import Pairs, curve_sums, make_pairs, recall_sums, relevant_grid
from calibrator.vectors import Vectors
from proxy.thresholds import Intervals, Metric, QuantileMapping, SegmentThreshold

Floats = npt.NDArray[np.float64]


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Settings:
    """How to calibrate (the ``[calibrator]`` section and the command line fill it)."""

    policy: Policy = field(default_factory=lambda: Policy("target_recall", 0.9))
    segment_policies: Mapping[str, Policy] = field(default_factory=lambda: MappingProxyType({}))
    min_queries: int = 20
    top_n: int = 1000
    bootstrap: int = 200
    confidence: float = 0.95
    metric: Metric = "cosine"
    max_refinements: int = 4
    max_pairs: int = 20_000_000
    irrelevant_sample: int = 0  # irrelevant pairs scored for the report's distributions
    seed: int = 0

    def policy_for(self, segment: str | None) -> Policy:
        """The policy of ``segment`` (None: the global scope)."""
        return self.segment_policies.get(segment, self.policy) if segment else self.policy


@dataclass(frozen=True)
class OldModel:
    """The model in use today: its vectors of the same sample and its thresholds."""

    vectors: Vectors
    threshold: float
    segment_thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))

    def threshold_for(self, segment: str | None) -> float:
        """The old threshold of ``segment`` (None: the default)."""
        return self.segment_thresholds.get(segment, self.threshold) if segment else self.threshold


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


def _unit(values: Floats, j: int, confidence: float) -> tuple[float, float] | None:
    return percentile_interval(values[1:, j], confidence) if values.shape[0] > 1 else None


def _evaluate(
    scorer: Scorer, scope: npt.NDArray[np.int64], policy: Policy, s: Settings
) -> tuple[SegmentThreshold, Pairs]:
    weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed))
    for _ in range(s.max_refinements + 1):
        pairs = scorer.pairs(scope)
        grid = relevant_grid(pairs)
        if policy.kind == "target_recall":  # recall needs the relevant pairs only
            curve = recall_sums(pairs, grid, weights)
        else:
            curve = curve_sums(pairs, grid, weights, macro=policy.average == "macro")
        picks = choose(policy, curve)
        if picks[0] < 0:
            reason = why_none(policy, curve, pairs.n_unscored())
            entry = SegmentThreshold(
                None, None, None, len(scope), "no_threshold", reason,
                int(pairs.n_relevant.sum()), pairs.n_unscored(),
            )  # fmt: skip
            return entry, pairs
        boot = np.where(picks[1:] >= 0, grid[np.maximum(picks[1:], 0)], np.nan)
        t_interval = percentile_interval(boot, s.confidence)
        j = int(picks[0])
        lowest = min(grid[j], t_interval[0] if t_interval else math.inf)
        if not scorer.refine(scope, lowest):
            break
    # every replicate's precision and recall at the one threshold chosen on all queries
    at = curve_sums(pairs, grid[j : j + 1], weights, macro=policy.average == "macro")
    precision, recall = at.precision(policy.average), at.recall(policy.average)
    entry = SegmentThreshold(
        threshold=float(grid[j]),
        precision=float(precision[0, 0]),
        recall=float(recall[0, 0]),
        n_queries=len(scope),
        status="calibrated",
        n_relevant=int(pairs.n_relevant.sum()),
        n_unscored=pairs.n_unscored(),
        intervals=Intervals(
            t_interval, _unit(precision, 0, s.confidence), _unit(recall, 0, s.confidence)
        ),
        exact=not scorer.inexact(scope, grid[j]),
    )
    return entry, pairs


def _fallback(
    scorer: Scorer, scope: npt.NDArray[np.int64], global_: SegmentThreshold, s: Settings
) -> tuple[SegmentThreshold, Pairs]:
    reason = (
        f"only {len(scope)} labelled queries (min_queries is {s.min_queries}): "
        "the global threshold applies"
    )
    t = global_.threshold
    if t is None:
        return SegmentThreshold(None, None, None, len(scope), "fallback_global", reason), (
            scorer.pairs(scope)
        )
    scorer.refine(scope, t)
    pairs = scorer.pairs(scope)
    weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed))
    average = s.policy.average
    curve = curve_sums(pairs, np.array([t]), weights, macro=average == "macro")
    precision, recall = curve.precision(average), curve.recall(average)
    entry = SegmentThreshold(
        threshold=t,
        precision=float(precision[0, 0]),
        recall=float(recall[0, 0]),
        n_queries=len(scope),
        status="fallback_global",
        reason=reason,
        n_relevant=int(pairs.n_relevant.sum()),
        n_unscored=pairs.n_unscored(),
        intervals=Intervals(
            None, _unit(precision, 0, s.confidence), _unit(recall, 0, s.confidence)
        ),
        exact=not scorer.inexact(scope, t),
    )
    return entry, pairs


def _mapping(
    scorer: Scorer,
    scope: npt.NDArray[np.int64],
    old_counts: npt.NDArray[np.int64],
    old_threshold: float,
    s: Settings,
) -> QuantileMapping:
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


def _recall_floor(scorer: Scorer, eval_set: EvalSet, s: Settings) -> float | None:
    """The lowest threshold any scope can need, when every policy is ``target_recall``.

    Recall depends on the labelled pairs alone, so such policies pick their thresholds (and
    the replicates theirs) before any candidate is scored: the scan then only needs the
    documents at or above the lowest of them. None when some policy needs the negatives.
    """
    resolved = scorer.resolved
    scopes: list[tuple[str | None, npt.NDArray[np.int64]]] = [(None, resolved.scope())]
    scopes += [(n, resolved.scope(n)) for n in eval_set.segments()]
    lowest = math.inf
    for name, scope in scopes:
        if name is not None and len(scope) < s.min_queries:
            continue  # falls back to the global threshold
        policy = s.policy_for(name)
        if policy.kind != "target_recall":
            return None
        sizes = [len(scorer.positives[q]) for q in scope]
        pairs = make_pairs(
            np.repeat(np.arange(len(scope)), sizes),
            np.concatenate([scorer.positives[q] for q in scope]) if sizes else np.zeros(0),
            np.ones(sum(sizes), dtype=np.bool_),
            resolved.n_relevant[scope],
        )
        grid = relevant_grid(pairs)
        weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed))
        picks = choose(policy, recall_sums(pairs, grid, weights))
        chosen = grid[picks[picks >= 0]]
        if chosen.size:
            point = grid[picks[0]] if picks[0] >= 0 else math.inf
            interval = percentile_interval(
                np.where(picks[1:] >= 0, grid[np.maximum(picks[1:], 0)], np.nan), s.confidence
            )
            lowest = min(lowest, point, interval[0] if interval else math.inf)
    return None if math.isinf(lowest) else float(lowest)


class _OldSide:
    """The old model's view of the same sample: its scores and its threshold counts."""

    def __init__(self, old: OldModel, resolved: Resolved, new: Vectors, s: Settings) -> None:
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


def calibrate(
    eval_set: EvalSet,
    vectors: Vectors,
    settings: Settings,
    *,
    doc_segments: Mapping[str, str] | None = None,
    doc_segments_source: str = "doc segments",
    old: OldModel | None = None,
    progress: Progress = _quiet,
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
    scan = scorer.scan(s.top_n, _recall_floor(scorer, eval_set, s))
    old_side = _OldSide(old, resolved, vectors, s) if old is not None else None
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
            mapping = _mapping(scorer, scope, counts, old.threshold_for(name or None), s)
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
    g_entry, g_pairs = _evaluate(scorer, everything, s.policy, s)
    segments: dict[str, ScopeResult] = {}
    for name in eval_set.segments():
        scope = resolved.scope(name)
        policy = s.policy_for(name)
        if len(scope) < s.min_queries:
            entry, pairs = _fallback(scorer, scope, g_entry, s)
        else:
            entry, pairs = _evaluate(scorer, scope, policy, s)
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
