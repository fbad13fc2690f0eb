"""Ranked lists: each query's top k in one pass over a score block, and the ranking metrics.

* :func:`block_top_k` finds every row's k best columns of a score block (one matrix-product
  block of queries x documents) without sorting or partitioning whole rows: the k-th best
  score among the first columns is a lower bound of the row's k-th best, so only the few
  columns at or above it are sorted. Ties are broken by the lower column.
* :func:`list_top_k` does the same for one query's candidate scores (held as arrays).
* :func:`ndcg_at_k` and :func:`recall_at_k`: per query, over a ranked list of at most ``k``
  documents marked relevant or not, with binary gains; ``n_relevant`` counts every relevant
  id of the query (also those never scored, which can never be found). A query without
  relevant ids has neither (NaN): averages leave it out.

Pure numpy; a list shorter than ``k`` (a threshold cut it) simply has fewer positions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Matrix = npt.NDArray[np.float32]

_SAMPLE_COLUMNS = 2048  # columns whose k-th best bounds a row's k-th best from below


def block_top_k(block: Matrix, k: int) -> tuple[Ints, Matrix]:
    """Each row's ``min(k, columns)`` best columns and their scores, best first.

    Returns ``(columns, scores)`` of shape ``(rows, min(k, columns))``; equal scores are
    ordered by column.
    """
    rows, width = block.shape
    k = min(k, width)
    if k == 0 or rows == 0:
        return np.zeros((rows, k), np.int64), np.zeros((rows, k), np.float32)
    if width <= max(_SAMPLE_COLUMNS, 4 * k):
        cut = np.partition(block, width - k, axis=1)[:, width - k]
    else:
        sample = block[:, :_SAMPLE_COLUMNS]
        cut = np.partition(sample, _SAMPLE_COLUMNS - k, axis=1)[:, _SAMPLE_COLUMNS - k]
    row, column = np.nonzero(block >= cut[:, None])
    score = block[row, column]
    order = np.lexsort((column, -score, row))  # by row, then best score, then lower column
    row, column, score = row[order], column[order], score[order]
    starts = np.searchsorted(row, np.arange(rows))
    rank = np.arange(len(row)) - starts[row]
    keep = rank < k  # every row has at least k entries at or above its cut
    columns = column[keep].reshape(rows, k).astype(np.int64)
    return columns, score[keep].reshape(rows, k).astype(np.float32)


def list_top_k(ids: Ints, scores: Matrix, k: int) -> tuple[Ints, Matrix]:
    """The ``k`` best of one query's scored ids, best first (ties by the lower id)."""
    if len(ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    order = np.lexsort((ids, -scores.astype(np.float64)))[:k]
    return ids[order].astype(np.int64), scores[order].astype(np.float32)


def discounts(k: int) -> Floats:
    """``1 / log2(rank + 1)`` for ranks 1..k."""
    return 1.0 / np.log2(np.arange(2, k + 2, dtype=np.float64))


def ndcg_at_k(relevant: Bools, n_relevant: Ints, k: int) -> Floats:
    """Per query, nDCG@k of a ranked list (binary gains; NaN without relevant ids).

    ``relevant[q, i]``: the document at rank i+1 of query q's list is relevant (False past
    the list's end). The ideal list puts ``min(k, n_relevant[q])`` relevant documents first.
    """
    found = np.asarray(relevant, dtype=np.float64)[:, :k]
    weights = discounts(k)[: found.shape[1]]
    dcg = found @ weights
    ideal_cumulative = np.concatenate([[0.0], np.cumsum(discounts(k))])
    n_rel = np.asarray(n_relevant, dtype=np.int64)
    ideal = ideal_cumulative[np.minimum(n_rel, k)]
    out = np.full(len(n_rel), np.nan)
    has = n_rel > 0
    out[has] = dcg[has] / ideal[has]
    return out


def recall_at_k(relevant: Bools, n_relevant: Ints, k: int) -> Floats:
    """Per query, the share of its relevant ids within its list's first k (NaN without any)."""
    found = np.asarray(relevant, dtype=np.float64)[:, :k].sum(axis=1)
    n_rel = np.asarray(n_relevant, dtype=np.float64)
    out = np.full(len(n_rel), np.nan)
    has = n_rel > 0
    out[has] = found[has] / n_rel[has]
    return out


def mark_relevant(lists: Ints, relevant: tuple[Ints, ...]) -> Bools:
    """``lists[q, i] in relevant[q]`` for a padded ``(queries, k)`` array (-1 pads: False)."""
    n, k = lists.shape
    if n == 0 or k == 0:
        return np.zeros((n, k), np.bool_)
    width = int(max(lists.max(initial=0), max((r.max(initial=0) for r in relevant), default=0)))
    base = np.int64(width + 2)
    keys = np.arange(n, dtype=np.int64)[:, None] * base + lists
    sizes = [len(r) for r in relevant]
    rel_keys = np.repeat(np.arange(n, dtype=np.int64) * base, sizes) + (
        np.concatenate(relevant).astype(np.int64) if sum(sizes) else np.zeros(0, np.int64)
    )
    return np.isin(keys, rel_keys) & (lists >= 0)
