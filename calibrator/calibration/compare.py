"""The new model against the old one on the same labelled queries, per scope.

Given both models' scores of the sample (the new model's :class:`Scorer`, the old model's
:class:`OldScan`), :class:`Comparer` gives, for a scope (every labelled query, or one
segment's), computed on that scope's queries only:

* **quality**: nDCG@k and recall@k of each side's ranking (its top k: how well the model
  ranks, whatever the threshold), and, when both sides have a threshold, precision and recall
  at the thresholds (every document scoring at least its side's threshold is kept), each on
  both sides with the paired bootstrap interval of new - old (:mod:`calibrator.maths.paired`:
  one resample of queries for both sides);
* **abstain flips**, when both sides have a threshold: the queries where the old model keeps
  at least one document and the new model none (``new_empty``), the reverse (``old_empty``),
  and the net share emptied with its paired interval (:func:`abstain_flips`): what the two
  models alone do to empty answers, the expectation of the gate's ``new_empty_rate``;
* **divergence**: overlap@k and RBO between the two models' top k (no threshold: what the
  proxy compares), mean and standard deviation over the queries, computed by the proxy's own
  :func:`proxy.compare.divergence.compare` so both sides measure the same thing;
* **score band**: percentiles of the new model's top-1 score;
* **map**: the old-to-new score map that keeps recall (or precision), anchored at the old
  threshold and the scope's calibrated one (:mod:`calibrator.maths.scoremap`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.calibration.evidence import relevant_pairs
from calibrator.calibration.oldside import OldScan, Ranked
from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import Settings
from calibrator.maths.agreement import overlap_and_rbo, plain_lists
from calibrator.maths.bootstrap import replicate_weights, with_point
from calibrator.maths.candidates import search
from calibrator.maths.paired import PairedDiff, paired_mean, paired_ratio
from calibrator.maths.ranking import list_top_k, mark_relevant, ndcg_at_k, recall_at_k
from calibrator.maths.scan import Grid, counts_on_grid, scan
from calibrator.maths.scoremap import Level, MapKnots, Tails, build_map, precision_curve
from calibrator.maths.sweep import Pairs
from calibrator.progress import Progress
from proxy.compare.divergence import compare

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
GRID_SIZE = 1024  # thresholds of the precision curves (precision-preserving map)
QUANTILES = (1, 5, 50, 95, 99)


@dataclass(frozen=True)
class Flips:
    """Labelled queries that one side leaves empty at its threshold while the other keeps some.

    ``net`` pairs the two shares on the same resamples: ``old`` is the share of ``old_empty``
    queries, ``new`` that of ``new_empty``, ``diff`` the net share emptied
    ``(new_empty - old_empty) / n_queries`` with its paired interval.
    """

    n_queries: int
    new_empty: int
    old_empty: int
    net: PairedDiff


def abstain_flips(old_kept: Ints, new_kept: Ints, weights: Floats, confidence: float) -> Flips:
    """Abstain flips of queries that kept ``old_kept`` and ``new_kept`` documents at thresholds.

    ``weights``: bootstrap weights with the point estimate on top, one column per query.
    """
    old_some, new_some = old_kept > 0, new_kept > 0
    new_empty = old_some & ~new_some
    old_empty = new_some & ~old_some
    return Flips(
        n_queries=len(old_kept),
        new_empty=int(new_empty.sum()),
        old_empty=int(old_empty.sum()),
        net=paired_mean(
            old_empty.astype(np.float64), new_empty.astype(np.float64), weights, confidence
        ),
    )


@dataclass(frozen=True)
class ScopeComparison:
    """One scope's comparison (see the module docstring); figures None when undefined."""

    k: int
    n_queries: int
    old_threshold: float | None
    new_threshold: float | None
    quality: dict[str, PairedDiff]
    overlap: Floats  # per query
    rbo: Floats  # per query
    n_documents: int
    top1: Floats  # per query with a result: the new model's best score
    top1_quantiles: dict[str, float] | None
    map: MapKnots | None
    abstain: Flips | None = None  # only with a threshold on both sides


def new_top_k(scorer: Scorer, k: int, progress: Progress) -> Ranked:
    """Each labelled query's top k under the new model, from its candidates where they suffice.

    A query's candidates hold every document scoring above its floor, so its top k is exact
    when its k-th candidate scores above the floor (or every document was scored); the others
    are searched again for their top k.
    """
    resolved, held = scorer.resolved, scorer.candidates
    n = len(resolved.queries)
    rows = np.full((n, k), -1, dtype=np.int64)
    scores = np.full((n, k), -np.inf, dtype=np.float32)
    again: list[int] = []
    for q in range(n):
        docs, values = list_top_k(held.docs[q], held.scores[q], k)
        group_size = len(resolved.group_docs[resolved.groups[q]])
        everything = len(held.docs[q]) == group_size
        if everything or (len(docs) == min(k, group_size) and values[-1] > held.floors[q]):
            rows[q, : len(docs)], scores[q, : len(docs)] = docs, values
        else:
            again.append(q)
    for group, members in resolved.in_group(np.array(again, dtype=np.int64)).items():
        found = search(
            scorer.queries[members],
            scorer.group_docs[group],
            resolved.group_docs[group],
            k,
            progress,
            "ranking (new model)",
        )
        for local, q in enumerate(members):
            width = len(found.docs[local])
            rows[q, :width], scores[q, :width] = found.docs[local], found.scores[local]
    return Ranked(rows, scores)


class Comparer:
    """Both models' view of every labelled query, and each scope's comparison from it."""

    def __init__(
        self,
        scorer: Scorer,
        old_relevant: Floats,
        old_scan: OldScan,
        old_grid: Grid | None,
        s: Settings,
        progress: Progress,
    ) -> None:
        """Rank every query under the new model (and score every pair for precision maps).

        ``old_relevant``: the old model's scores of the labelled pairs, in the order of
        :func:`~calibrator.calibration.evidence.relevant_pairs`; ``old_scan`` the old model's
        pass, on ``old_grid`` when the map keeps precision.
        """
        self.scorer = scorer
        self.old_scan = old_scan
        self.old_grid = old_grid
        self.s = s
        resolved = scorer.resolved
        self.new_top = new_top_k(scorer, s.k, progress)
        q_idx, _ = relevant_pairs(resolved)
        self.pair_query = q_idx
        self.new_relevant = (
            np.concatenate(scorer.positives).astype(np.float64) if len(q_idx) else np.zeros(0)
        )
        self.old_relevant = old_relevant
        self._lists: tuple[Floats, Floats] | None = None
        self.new_grid: Grid | None = None
        self.new_at_grid: Ints | None = None
        if s.preserve == "precision" and len(q_idx):
            self.new_grid = grid_of(self.new_relevant)
            self.new_at_grid = np.zeros((len(resolved.queries), GRID_SIZE), np.int64)
            for group, members in resolved.in_group(resolved.scope()).items():
                found = scan(
                    scorer.queries[members],
                    scorer.group_docs[group],
                    0,
                    (),
                    self.new_grid,
                    progress,
                    "scoring (new model, every pair)",
                )
                assert found.at_grid is not None
                self.new_at_grid[members] = found.at_grid

    def scope(
        self,
        scope: Ints,
        old_threshold: float | None,
        old_counts: Ints | None,
        new_threshold: float | None,
    ) -> ScopeComparison:
        """The comparison on the queries of ``scope`` (indexes of labelled queries)."""
        s = self.s
        resolved = self.scorer.resolved
        n_rel = resolved.n_relevant[scope]
        relevant = tuple(resolved.relevant_rows[q] for q in scope)
        old_top = Ranked(self.old_scan.top.rows[scope], self.old_scan.top.scores[scope])
        new_top = Ranked(self.new_top.rows[scope], self.new_top.scores[scope])
        weights = with_point(replicate_weights(len(scope), s.quality_bootstrap, s.seed + 2))
        quality: dict[str, PairedDiff] = {}
        marks = {
            side: mark_relevant(r.rows, relevant)
            for side, r in (("old", old_top), ("new", new_top))
        }
        quality[f"ndcg@{s.k}"] = paired_mean(
            ndcg_at_k(marks["old"], n_rel, s.k), ndcg_at_k(marks["new"], n_rel, s.k), weights,
            s.confidence,
        )  # fmt: skip
        quality[f"recall@{s.k}"] = paired_mean(
            recall_at_k(marks["old"], n_rel, s.k), recall_at_k(marks["new"], n_rel, s.k),
            weights, s.confidence,
        )  # fmt: skip
        abstain = None
        if old_threshold is not None and new_threshold is not None and old_counts is not None:
            pairs = self.scorer.pairs(scope)
            new_counts = kept_at(pairs, new_threshold)
            quality.update(
                self._at_thresholds(scope, old_threshold, old_counts, pairs, new_threshold, weights)
            )
            abstain = abstain_flips(old_counts, new_counts, weights, s.confidence)
        overlap, rbo = self._divergence()
        overlap, rbo = overlap[scope], rbo[scope]
        top1 = new_top.scores[:, 0].astype(np.float64) if s.k else np.zeros(0)
        top1 = top1[np.isfinite(top1)]
        quantiles = (
            {
                f"p{q:02d}": float(v)
                for q, v in zip(QUANTILES, np.percentile(top1, QUANTILES), strict=True)
            }
            if len(top1)
            else None
        )
        groups = {resolved.groups[q] for q in scope}
        return ScopeComparison(
            k=s.k,
            n_queries=len(scope),
            old_threshold=old_threshold,
            new_threshold=new_threshold,
            quality=quality,
            overlap=overlap,
            rbo=rbo,
            n_documents=sum(len(resolved.group_docs[g]) for g in groups),
            top1=top1,
            top1_quantiles=quantiles,
            map=self._map(scope, old_threshold, new_threshold),
            abstain=abstain,
        )

    def _at_thresholds(
        self,
        scope: Ints,
        t_old: float,
        old_counts: Ints,
        pairs: Pairs,
        t_new: float,
        weights: Floats,
    ) -> dict[str, PairedDiff]:
        """Precision and recall of everything scoring at least each side's threshold.

        ``old_counts``: per query, the documents the old side keeps; ``pairs``: the new
        model's pairs of ``scope``.
        """
        s = self.s
        n_rel = self.scorer.resolved.n_relevant[scope].astype(np.float64)
        in_scope = np.zeros(len(self.scorer.resolved.queries), np.int64) - 1
        in_scope[scope] = np.arange(len(scope))
        owner = in_scope[self.pair_query]
        mine = owner >= 0
        old_tp = np.bincount(
            owner[mine & (self.old_relevant >= np.float32(t_old))], minlength=len(scope)
        ).astype(np.float64)
        old_kept = old_counts.astype(np.float64)
        new_kept = kept_at(pairs, t_new).astype(np.float64)
        new_tp = np.bincount(
            pairs.query[(pairs.score >= t_new) & pairs.relevant], minlength=len(scope)
        ).astype(np.float64)
        if s.policy.average == "micro":
            return {
                "precision_at_threshold": paired_ratio(
                    (old_tp, old_kept), (new_tp, new_kept), weights, s.confidence
                ),
                "recall_at_threshold": paired_ratio(
                    (old_tp, n_rel), (new_tp, n_rel), weights, s.confidence
                ),
            }

        def share(top: Floats, bottom: Floats) -> Floats:
            return np.divide(top, bottom, out=np.full(len(top), np.nan), where=bottom > 0)

        return {
            "precision_at_threshold": paired_mean(
                share(old_tp, old_kept), share(new_tp, new_kept), weights, s.confidence
            ),
            "recall_at_threshold": paired_mean(
                share(old_tp, n_rel), share(new_tp, n_rel), weights, s.confidence
            ),
        }

    def _divergence(self) -> tuple[Floats, Floats]:
        """Per labelled query, overlap@k and RBO of the two models' top k (computed once).

        Plain pairs of lists (k distinct documents each, no tied scores: nearly all) at once
        (:mod:`calibrator.maths.agreement`, the proxy's arithmetic), the others one by one
        with the proxy's :func:`~proxy.compare.divergence.compare`.
        """
        if self._lists is None:
            old, new, k = self.old_scan.top, self.new_top, self.s.k
            overlap = np.zeros(len(old.rows))
            rbo = np.zeros(len(old.rows))
            plain = plain_lists(old.rows, old.scores, k) & plain_lists(new.rows, new.scores, k)
            if plain.any():
                overlap[plain], rbo[plain] = overlap_and_rbo(
                    old.rows[plain, :k], new.rows[plain, :k], self.s.rbo_p
                )
            for i in np.flatnonzero(~plain):
                a, b = old.rows[i][old.rows[i] >= 0], new.rows[i][new.rows[i] >= 0]
                found = compare(
                    [str(x) for x in a],
                    [str(x) for x in b],
                    k,
                    self.s.rbo_p,
                    old.scores[i][: len(a)].tolist(),
                    new.scores[i][: len(b)].tolist(),
                )
                overlap[i], rbo[i] = found.overlap, found.rbo
            self._lists = (overlap, rbo)
        return self._lists

    def _map(
        self, scope: Ints, old_threshold: float | None, new_threshold: float | None
    ) -> MapKnots | None:
        s = self.s
        resolved = self.scorer.resolved
        in_scope = np.zeros(len(resolved.queries), np.int64) - 1
        in_scope[scope] = np.arange(len(scope))
        owner = in_scope[self.pair_query]
        mine = owner >= 0
        if mine.sum() < 2:
            return None
        old_scores, new_scores, query = (
            self.old_relevant[mine],
            self.new_relevant[mine],
            owner[mine],
        )
        weights = with_point(replicate_weights(len(scope), s.bootstrap, s.seed + 3))
        n_rel = resolved.n_relevant[scope].astype(np.float64)
        old_levels: list[Level] = []
        new_levels: list[Level] = []
        if s.preserve == "recall":
            macro = s.policy.average == "macro"
            share = 1.0 / n_rel[query] if macro else np.ones(len(query))
            denominators = weights @ ((n_rel > 0).astype(np.float64) if macro else n_rel)
            old_levels = Tails.of(old_scores).levels(weights, query, share, denominators)
            new_levels = Tails.of(new_scores).levels(weights, query, share, denominators)
        else:
            old_grid, new_grid = self.old_grid, self.new_grid
            if old_grid is None or new_grid is None or self.old_scan.at_grid is None:
                return None
            assert self.new_at_grid is not None
            old_kept = weights @ self.old_scan.at_grid[scope].astype(np.float64)
            new_kept = weights @ self.new_at_grid[scope].astype(np.float64)
            old_rel = weights @ counts_on_grid(old_scores, query, len(scope), old_grid).astype(
                np.float64
            )
            new_rel = weights @ counts_on_grid(new_scores, query, len(scope), new_grid).astype(
                np.float64
            )
            for r in range(len(weights)):
                old_levels.append(precision_curve(old_grid.values(), old_kept[r], old_rel[r]))
                new_levels.append(precision_curve(new_grid.values(), new_kept[r], new_rel[r]))
        anchor = (
            (old_threshold, new_threshold)
            if old_threshold is not None and new_threshold is not None
            else None
        )
        return build_map(s.preserve, old_levels, new_levels, anchor, s.confidence, s.map_tolerance)


def kept_at(pairs: Pairs, t_new: float) -> Ints:
    """Per query of ``pairs``, the documents the new model scores at least ``t_new``.

    The scorer's pairs hold every document down to the calibrated threshold
    (:func:`~calibrator.calibration.scopes.evaluate` refines until they do): these are the
    counts behind the published precision and recall.
    """
    counts = np.bincount(pairs.query[pairs.score >= t_new], minlength=pairs.n_queries)
    return counts.astype(np.int64)


def grid_of(scores: Floats) -> Grid:
    """An even grid of :data:`GRID_SIZE` thresholds spanning ``scores``."""
    low, high = float(scores.min()), float(scores.max())
    return Grid(low, max(high - low, 1e-6) / (GRID_SIZE - 1), GRID_SIZE)
