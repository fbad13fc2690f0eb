"""One scope (all labelled queries, or one segment): its threshold, figures and intervals.

:func:`evaluate` evaluates the curve at every relevant score for the point estimate and the
bootstrap replicates at once, applies the policy, and when the chosen threshold (or the low
end of its interval) lies at or below some query's candidate floor, has the scorer score those
queries down to it and starts again: the published figures are those of an exhaustive scan.
:func:`fallback` gives a segment with too few labelled queries the global threshold, with its
own figures at it. :func:`recall_floor` finds, before any candidate is scored, the lowest
threshold ``target_recall`` policies can pick (recall needs the labelled pairs alone).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import Settings
from calibrator.inputs.labels import EvalSet
from calibrator.maths.bootstrap import percentile_interval, replicate_weights, with_point
from calibrator.maths.policy import Policy, choose, why_none
from calibrator.maths.sweep import (
    Curve,
    Pairs,
    curve_sums,
    make_pairs,
    recall_sums,
    relevant_grid,
)
from proxy.thresholds.document import Intervals, SegmentThreshold

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


def _unit(values: Floats, j: int, confidence: float) -> tuple[float, float] | None:
    return percentile_interval(values[1:, j], confidence) if values.shape[0] > 1 else None


@dataclass(frozen=True)
class RecallChoice:
    """A ``target_recall`` scope's pick on its labelled pairs alone (see :func:`recall_choice`).

    ``picks[0]`` indexes ``grid`` for the point estimate, ``picks[1:]`` for each resample
    (-1: none); ``curve`` is the recall curve they were read from, ``weights`` the resamples.
    """

    grid: Floats
    picks: Ints
    curve: Curve
    weights: Floats


def recall_choice(scorer: Scorer, scope: Ints, policy: Policy, s: Settings) -> RecallChoice:
    """Where a ``target_recall`` policy lands on ``scope``, from the labelled pairs only.

    Recall reads the relevant pairs alone, and those are scored directly whatever the
    candidates (:func:`~calibrator.calibration.evidence.query_pairs`): the pick is the same
    before any candidate is scored and after every refinement.
    """
    sizes = [len(scorer.positives[q]) for q in scope]
    pairs = make_pairs(
        np.repeat(np.arange(len(scope)), sizes),
        np.concatenate([scorer.positives[q] for q in scope]) if sizes else np.zeros(0),
        np.ones(sum(sizes), dtype=np.bool_),
        scorer.resolved.n_relevant[scope],
    )
    grid = relevant_grid(pairs)
    weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed))
    curve = recall_sums(pairs, grid, weights)
    return RecallChoice(grid, choose(policy, curve), curve, weights)


def evaluate(
    scorer: Scorer,
    scope: Ints,
    policy: Policy,
    s: Settings,
    chosen: RecallChoice | None = None,
) -> tuple[SegmentThreshold, Pairs]:
    """The scope's entry under ``policy`` and the pairs it was computed from.

    A ``target_recall`` policy's pick does not move with the candidates: ``chosen`` (its
    :func:`recall_choice`, if already made) or one made here serves every refinement.
    """
    if policy.kind != "target_recall":
        chosen = None
    elif chosen is None:
        chosen = recall_choice(scorer, scope, policy, s)
    weights = (
        chosen.weights
        if chosen is not None
        else with_point(replicate_weights(len(scope), s.bootstrap, s.seed))
    )
    for _ in range(s.max_refinements + 1):
        pairs = scorer.pairs(scope)
        if chosen is not None:
            grid, curve, picks = chosen.grid, chosen.curve, chosen.picks
        else:
            grid = relevant_grid(pairs)
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


def fallback(
    scorer: Scorer, scope: Ints, global_: SegmentThreshold, s: Settings
) -> tuple[SegmentThreshold, Pairs]:
    """A small segment's entry: the global threshold, with this segment's figures at it."""
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


def recall_floor(
    scorer: Scorer, eval_set: EvalSet, s: Settings, policies: Mapping[str, Policy] | None = None
) -> tuple[float | None, dict[str, RecallChoice]]:
    """The lowest threshold any scope can need, when every policy is ``target_recall``.

    Recall depends on the labelled pairs alone, so such policies pick their thresholds (and
    the replicates theirs) before any candidate is scored: the scan then only needs the
    documents at or above the lowest of them. None when some policy needs the negatives.
    ``policies`` (``""``: the global scope) replaces the settings' (matched ``...=old`` ones).
    Also gives each scope's :class:`RecallChoice` (by name, ``""`` the global scope), which
    :func:`evaluate` takes instead of choosing again.
    """
    resolved = scorer.resolved
    scopes: list[tuple[str | None, npt.NDArray[np.int64]]] = [(None, resolved.scope())]
    scopes += [(n, resolved.scope(n)) for n in eval_set.segments()]
    lowest = math.inf
    choices: dict[str, RecallChoice] = {}
    for name, scope in scopes:
        if name is not None and len(scope) < s.min_queries:
            continue  # falls back to the global threshold
        policy = s.policy_for(name)
        if policies is not None:
            policy = policies[name or ""]
        if policy.kind != "target_recall":
            return None, {}
        choice = recall_choice(scorer, scope, policy, s)
        choices[name or ""] = choice
        grid, picks = choice.grid, choice.picks
        chosen = grid[picks[picks >= 0]]
        if chosen.size:
            point = grid[picks[0]] if picks[0] >= 0 else math.inf
            interval = percentile_interval(
                np.where(picks[1:] >= 0, grid[np.maximum(picks[1:], 0)], np.nan), s.confidence
            )
            lowest = min(lowest, point, interval[0] if interval else math.inf)
    return (None if math.isinf(lowest) else float(lowest)), choices
