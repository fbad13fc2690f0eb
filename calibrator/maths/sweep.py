"""Exact precision/recall sweeps over scored (query, document) pairs: pure numpy functions.

A query *retrieves at threshold t* every candidate document scoring ``>= t``. Over a set of
labelled queries:

* micro precision = retrieved relevant pairs / retrieved pairs; micro recall = retrieved
  relevant pairs / all relevant pairs, *including relevant ids that were never scored* (not in
  the vectors, or not among the query's candidates): those count as misses at every threshold;
* macro precision = mean over the queries that retrieve something of their own precision
  (a query that retrieves nothing has no precision and is left out); macro recall = mean over
  the queries that have relevant ids of their own recall.

:func:`pair_curve` gives the curve at every distinct score (:func:`pr_curve` is its
one-query form and equals ``sklearn.metrics.precision_recall_curve``). :func:`curve_sums` gives
it on a grid of thresholds for many query weightings at once (bootstrap replicates), in
bounded memory. Every policy's optimum lies at a relevant pair's score (between two of them,
lowering the threshold only adds irrelevant pairs: recall stays, precision cannot rise), so
the grid of distinct relevant scores, :func:`relevant_grid`, loses nothing for the policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

Average = Literal["micro", "macro"]
Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_CHUNK_CELLS = 4_000_000  # queries x thresholds per block of curve_sums: bounded memory


@dataclass(frozen=True)
class Pairs:
    """Scored pairs of ``n_queries`` queries, grouped by query (see :func:`make_pairs`).

    ``floors[q]``: query q's candidates are complete above this score (every document scoring
    more is among them); ``-inf`` when all its documents were scored.
    """

    query: Ints
    score: Floats
    relevant: Bools
    n_relevant: Ints
    floors: Floats
    offsets: Ints

    @property
    def n_queries(self) -> int:
        """How many queries (some may have no pairs)."""
        return len(self.n_relevant)

    def n_unscored(self) -> int:
        """Relevant ids that have no scored pair."""
        return int(self.n_relevant.sum() - self.relevant.sum())

    def inexact_at(self, threshold: float) -> Bools:
        """Queries whose candidates may miss documents scoring ``>= threshold``."""
        return self.floors >= threshold


def make_pairs(
    query: npt.ArrayLike,
    score: npt.ArrayLike,
    relevant: npt.ArrayLike,
    n_relevant: npt.ArrayLike,
    floors: npt.ArrayLike | None = None,
) -> Pairs:
    """Build :class:`Pairs`, grouping by query; ``n_relevant[q]`` counts unscored ids too."""
    q = np.asarray(query, dtype=np.int64)
    s = np.asarray(score, dtype=np.float64)
    y = np.asarray(relevant, dtype=np.bool_)
    n_rel = np.asarray(n_relevant, dtype=np.int64)
    if not q.shape == s.shape == y.shape or q.ndim != 1:
        raise ValueError("query, score and relevant must be 1-D arrays of one length")
    if len(q) and (q.min() < 0 or q.max() >= len(n_rel)):
        raise ValueError("query indexes must lie in 0..len(n_relevant)-1")
    if not np.isfinite(s).all():
        raise ValueError("scores must be finite")
    counts = np.bincount(q[y], minlength=len(n_rel))
    if (counts > n_rel).any():
        raise ValueError("a query has more relevant pairs than relevant ids")
    if len(q) > 1 and (q[1:] < q[:-1]).any():  # group by query unless already grouped
        order = np.argsort(q, kind="stable")
        q, s, y = q[order], s[order], y[order]
    offsets = np.zeros(len(n_rel) + 1, dtype=np.int64)
    np.cumsum(np.bincount(q, minlength=len(n_rel)), out=offsets[1:])
    f = np.full(len(n_rel), -np.inf) if floors is None else np.asarray(floors, dtype=np.float64)
    return Pairs(q, s, y, n_rel, f, offsets)


@dataclass(frozen=True)
class Curve:
    """Sums over queries at each threshold, for ``R`` weightings of the queries.

    Row r of each ``(R, m)`` array is one weighting (row 0 of a plain curve: every query
    once). ``thresholds`` run from high to low.
    """

    thresholds: Floats
    tp: Floats
    retrieved: Floats | None
    relevant: Floats
    precision_sum: Floats | None
    active: Floats | None
    recall_sum: Floats | None
    with_relevant: Floats

    def _macro(self) -> tuple[Floats, Floats, Floats]:
        if self.precision_sum is None or self.active is None or self.recall_sum is None:
            raise ValueError("this curve was computed without the macro sums")
        return self.precision_sum, self.active, self.recall_sum

    def precision(self, average: Average = "micro") -> Floats:
        """Precision at each threshold (0 where nothing is retrieved)."""
        if average == "micro":
            if self.retrieved is None:
                raise ValueError("this curve was computed from the relevant pairs only")
            num, den = self.tp, self.retrieved
        else:
            num, den, _ = self._macro()
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)

    def recall(self, average: Average = "micro") -> Floats:
        """Recall at each threshold (0 where there is nothing to recall)."""
        num = self.tp if average == "micro" else self.recall_sum
        if num is None:
            raise ValueError("this curve was computed without the macro sums")
        den = (self.relevant if average == "micro" else self.with_relevant)[:, None]
        den = np.broadcast_to(den, num.shape)
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


def pair_curve(pairs: Pairs) -> Curve:
    """The curve at every distinct score of ``pairs`` (one row), micro and macro."""
    order = np.argsort(-pairs.score, kind="stable")
    s, y, q = pairs.score[order], pairs.relevant[order], pairs.query[order]
    m = len(s)
    # per query, running counts in the global order: group positions by query, stably
    by_q = np.argsort(q, kind="stable")
    qs, ys = q[by_q], y[by_q].astype(np.float64)
    first = np.ones(m, dtype=np.bool_)
    first[1:] = qs[1:] != qs[:-1]
    start = np.maximum.accumulate(np.where(first, np.arange(m), 0))
    n_in = (np.arange(m) - start + 1).astype(np.float64)
    cum_tp = np.cumsum(ys)
    tp_in = cum_tp - (cum_tp[start] - ys[start])
    after = tp_in / n_in
    before = np.where(first, 0.0, np.roll(after, 1))
    n_rel = pairs.n_relevant[qs].astype(np.float64)
    d_prec, d_active, d_rec = np.empty(m), np.empty(m), np.empty(m)
    d_prec[by_q] = after - before
    d_active[by_q] = first
    d_rec[by_q] = np.divide(ys, n_rel, out=np.zeros(m), where=n_rel > 0)
    ends = np.append(np.flatnonzero(s[1:] != s[:-1]), m - 1) if m else np.zeros(0, np.int64)
    tp = np.cumsum(y)[ends].astype(np.float64)
    row = np.newaxis
    return Curve(
        thresholds=s[ends],
        tp=tp[row],
        retrieved=(ends + 1.0)[row],
        relevant=np.array([float(pairs.n_relevant.sum())]),
        precision_sum=np.cumsum(d_prec)[ends][row],
        active=np.cumsum(d_active)[ends][row],
        recall_sum=np.cumsum(d_rec)[ends][row],
        with_relevant=np.array([float((pairs.n_relevant > 0).sum())]),
    )


def pr_curve(
    scores: npt.ArrayLike, labels: npt.ArrayLike, n_unscored: int = 0
) -> tuple[Floats, Floats, Floats]:
    """Binary curve at every distinct score: ``(thresholds, precision, recall)``, high to low.

    ``n_unscored`` relevant items were never scored: they lower recall at every threshold.
    """
    y = np.asarray(labels, dtype=np.bool_)
    pairs = make_pairs(np.zeros(len(y)), scores, y, [int(y.sum()) + n_unscored])
    curve = pair_curve(pairs)
    return curve.thresholds, curve.precision()[0], curve.recall()[0]


def relevant_grid(pairs: Pairs) -> Floats:
    """The distinct scores of relevant pairs, high to low: where every policy's optimum lies."""
    grid: Floats = np.unique(pairs.score[pairs.relevant])[::-1].copy()
    return grid


def _weighted_columns(
    values: npt.NDArray[np.floating[Any]], column: Ints, width: int, cells: Ints | None = None
) -> Floats:
    """``out[r, c]`` = sum of ``values[r, i]`` over the items i with ``column[i] == c``.

    ``cells``: :func:`_cells` of ``column``, when several calls share it.
    """
    rows = values.shape[0]
    if cells is None:
        cells = _cells(rows, column, width)
    flat = np.bincount(cells, weights=values.ravel(), minlength=rows * width)
    return flat.reshape(rows, width).astype(np.float64)  # bincount of nothing gives integers


def _cells(rows: int, column: Ints, width: int) -> Ints:
    """Flat indexes of ``(r, column[i])`` in a ``(rows, width)`` table, row by row."""
    cells: Ints = (np.arange(rows)[:, None] * width + column[None, :]).ravel()
    return cells


def recall_sums(pairs: Pairs, thresholds: Floats, weights: Floats | None = None) -> Curve:
    """Recall only (micro and macro) at ``thresholds`` under each row of ``weights``.

    Recall depends on the relevant pairs alone, so this reads a few thousand pairs instead of
    every candidate: what a ``target_recall`` policy needs to choose its threshold.
    """
    w = np.ones((1, pairs.n_queries)) if weights is None else np.asarray(weights, np.float64)
    t_desc = np.asarray(thresholds, dtype=np.float64)
    m = len(t_desc)
    owner = pairs.query[pairs.relevant]
    column = np.searchsorted(-t_desc, -pairs.score[pairs.relevant], side="left")
    n_rel = pairs.n_relevant.astype(np.float64)
    share = np.divide(1.0, n_rel, out=np.zeros_like(n_rel), where=n_rel > 0)[owner]
    mine = w[:, owner]
    cells = _cells(len(w), column, m + 1)
    tp = _weighted_columns(mine, column, m + 1, cells)
    rec = _weighted_columns(mine * share, column, m + 1, cells)
    return Curve(
        thresholds=t_desc,
        tp=np.cumsum(tp, axis=1)[:, :m],
        retrieved=None,
        relevant=w @ n_rel,
        precision_sum=None,
        active=None,
        recall_sum=np.cumsum(rec, axis=1)[:, :m],
        with_relevant=w @ (pairs.n_relevant > 0).astype(np.float64),
    )


def curve_sums(
    pairs: Pairs,
    thresholds: Floats,
    weights: Floats | None = None,
    macro: bool = True,
) -> Curve:
    """The curve at ``thresholds`` (high to low) under each row of ``weights`` (R, n_queries).

    ``weights=None`` means one row of ones (every query once); ``macro=False`` skips the macro
    sums (a micro policy does not need them). Works through the queries in blocks, so memory
    stays within a few million cells whatever the number of queries. The products run in
    float32: counts and weights are small integers, exact in float32 up to 2^24.
    """
    w = np.ones((1, pairs.n_queries)) if weights is None else np.asarray(weights, np.float64)
    w32 = w.astype(np.float32)
    t_desc = np.asarray(thresholds, dtype=np.float64)
    m, r = len(t_desc), w.shape[0]
    # the first threshold (high to low) each pair reaches; it counts there and below
    first = np.searchsorted(-t_desc, -pairs.score, side="left")
    names = ("tp", "n", "prec", "act", "rec") if macro else ("tp", "n")
    sums = {name: np.zeros((r, m + 1 if name in ("tp", "n") else m)) for name in names}
    step = max(1, _CHUNK_CELLS // max(m + 1, 1))
    for a in range(0, pairs.n_queries, step):
        b = min(a + step, pairs.n_queries)
        lo, hi = pairs.offsets[a], pairs.offsets[b]
        cells = (pairs.query[lo:hi] - a) * (m + 1) + first[lo:hi]
        size = (b - a) * (m + 1)
        hist_n = np.bincount(cells, minlength=size).reshape(b - a, m + 1).astype(np.float32)
        wb = w32[:, a:b]
        # sums of cumulative counts are cumulative sums of summed counts: cumsum after the product
        sums["n"] += wb @ hist_n
        relevant = pairs.relevant[lo:hi]
        owner, column = pairs.query[lo:hi][relevant] - a, first[lo:hi][relevant]
        sums["tp"] += _weighted_columns(wb[:, owner], column, m + 1)  # few: no dense table
        if macro:
            hist_tp = np.bincount(cells[relevant], minlength=size)
            hist_tp = hist_tp.reshape(b - a, m + 1).astype(np.float32)
            n = np.cumsum(hist_n, axis=1)[:, :m]
            tp = np.cumsum(hist_tp, axis=1)[:, :m]
            n_rel = pairs.n_relevant[a:b, None].astype(np.float32)
            sums["prec"] += wb @ np.divide(tp, n, out=np.zeros_like(tp), where=n > 0)
            sums["act"] += wb @ (n > 0).astype(np.float32)
            sums["rec"] += wb @ np.divide(
                tp, np.broadcast_to(n_rel, tp.shape), out=np.zeros_like(tp), where=n_rel > 0
            )
    sums["tp"] = np.cumsum(sums["tp"], axis=1)[:, :m]
    sums["n"] = np.cumsum(sums["n"], axis=1)[:, :m]
    return Curve(
        thresholds=t_desc,
        tp=sums["tp"],
        retrieved=sums["n"],
        relevant=w @ pairs.n_relevant.astype(np.float64),
        precision_sum=sums.get("prec"),
        active=sums.get("act"),
        recall_sum=sums.get("rec"),
        with_relevant=w @ (pairs.n_relevant > 0).astype(np.float64),
    )
