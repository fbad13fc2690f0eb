"""Ranked lists: each query's top k in one pass over a score block, and the ranking metrics.

* :func:`block_top_k` finds every row's k best columns of a score block (one matrix-product
  block of queries x documents) without sorting or partitioning whole rows: one pass takes
  the maximum of each run of columns; the k-th highest maximum bounds the row's k-th best
  score from below, so only the few scores reaching it are sorted. Ties are broken by the
  lower column.
* :func:`merge_top_k` carries each row's k best through a row of blocks (a score matrix
  scored block of columns by block of columns): a block's scores below the row's k-th best
  so far cannot enter, so a block usually adds a handful of entries to sort.
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

_RUN = 256  # columns per run whose maximum is taken in the first pass


def _ranked(rows: int, k: int, row: Ints, column: Ints, score: Matrix) -> tuple[Ints, Matrix]:
    """Per row, the k best (row, column, score) entries given, best first, ties by column."""
    order = np.lexsort((column, -score, row))  # by row, then best score, then lower column
    row, column, score = row[order], column[order], score[order]
    starts = np.searchsorted(row, np.arange(rows))
    keep = (np.arange(len(row)) - starts[row]) < k  # every row has at least k entries
    return column[keep].reshape(rows, k).astype(np.int64), score[keep].reshape(rows, k)


def block_top_k(block: Matrix, k: int) -> tuple[Ints, Matrix]:
    """Each row's ``min(k, columns)`` best columns and their scores, best first.

    Returns ``(columns, scores)`` of shape ``(rows, min(k, columns))``; equal scores are
    ordered by column. A row's k runs of :data:`_RUN` columns with the highest maxima hold k
    scores at least the k-th highest maximum, so every score of the row's k best reaches it:
    one pass takes each run's maximum, and only the scores reaching that bound are sorted.
    """
    rows, width = block.shape
    k = min(k, width)
    if k == 0 or rows == 0:
        return np.zeros((rows, k), np.int64), np.zeros((rows, k), np.float32)
    if width > 4 * k * _RUN:
        maxima = np.maximum.reduceat(block, np.arange(0, width, _RUN), axis=1)  # no copy
        runs = maxima.shape[1]
        bound = np.partition(maxima, runs - k, axis=1)[:, runs - k]
        found = _reaching(block, bound, k)
        if found is None:
            return _top_of_runs(block, k, maxima)
        return _ranked(rows, k, *found)
    kth = np.partition(block, width - k, axis=1)[:, width - k]
    at_row, at = np.nonzero(block >= kth[:, None])
    return _ranked(rows, k, at_row, at, block[at_row, at].astype(np.float32))


def _reaching(block: Matrix, bound: Matrix, k: int) -> tuple[Ints, Ints, Matrix] | None:
    """The entries ``(row, column, score)`` of ``block`` at least their row's ``bound``.

    None when there are more than a few times ``k`` per row (ties with the bound: a constant
    row reaches it everywhere), so that memory stays that of a few entries per row; the
    caller then takes another way.
    """
    rows, width = block.shape
    reach = block >= bound[:, None]
    if np.count_nonzero(reach) > 8 * k * rows + 4096:
        return None
    flat = np.flatnonzero(reach)
    at_row, at = np.divmod(flat, width)
    return at_row, at, block.ravel()[flat].astype(np.float32)


def _top_of_runs(block: Matrix, k: int, maxima: Matrix) -> tuple[Ints, Matrix]:
    """:func:`block_top_k` by sorting the k runs with the highest maxima (whatever the ties).

    Of runs with equal maxima the earlier ones are taken: each taken run's maximum then beats
    (by score, or by column on a tie) every score of a run left out.
    """
    rows, width = block.shape
    best = np.argsort(-maxima, axis=1, kind="stable")[:, :k]
    columns = (best[:, :, None] * _RUN + np.arange(_RUN)).reshape(rows, -1)
    past = columns >= width  # the last run may be short
    values = np.take_along_axis(block, np.minimum(columns, width - 1), axis=1)
    values[past] = -np.inf  # each chosen run has a real column: k of them at least
    per = values.shape[1]
    kth = np.partition(values, per - k, axis=1)[:, per - k]
    at_row, at = np.nonzero(values >= kth[:, None])
    chosen = columns[at_row, at]
    return _ranked(rows, k, at_row, chosen, values[at_row, at].astype(np.float32))


def merge_top_k(
    columns: Ints, scores: Matrix, block: Matrix, offset: int, k: int
) -> tuple[Ints, Matrix]:
    """Each row's ``k`` best of its best so far and of a block of further columns, best first.

    ``columns``/``scores`` (as :func:`block_top_k` gives them, possibly zero wide): each row's
    best among the columns before ``offset``, as many for every row; ``block`` holds columns
    ``offset`` onwards. Ties are ordered by column: the result equals one
    :func:`block_top_k` of the whole rows.
    """
    rows, have = columns.shape
    width = block.shape[1]
    if width == 0 or rows == 0 or k == 0:
        return columns, scores
    if have == 0:
        block_columns, block_scores = block_top_k(block, k)
        return block_columns + offset, block_scores
    # a score below the row's k-th best so far cannot enter
    found = _reaching(block, scores[:, k - 1], k) if have >= k else None
    if found is None:
        block_columns, block_scores = block_top_k(block, k)
        per = block_columns.shape[1]
        found = (np.repeat(np.arange(rows), per), block_columns.ravel(), block_scores.ravel())
    at_row, at, values = found
    return merge_entries(columns, scores, at_row, at + offset, values, min(k, have + width))


def merge_entries(
    columns: Ints, scores: Matrix, at_row: Ints, at: Ints, values: Matrix, k: int
) -> tuple[Ints, Matrix]:
    """Each row's ``k`` best of its best so far and of further entries, best first.

    ``columns``/``scores``: each row's best so far (as many for every row); the entries
    ``(at_row[i], at[i], values[i])`` are further scored columns, none already among them.
    Each row must have at least ``k`` of both together. Ties are ordered by column.
    """
    rows, have = columns.shape
    return _ranked(
        rows,
        k,
        np.concatenate([np.repeat(np.arange(rows), have), at_row]),
        np.concatenate([columns.ravel(), at]),
        np.concatenate([scores.ravel(), values]),
    )


def list_top_k(ids: Ints, scores: Matrix, k: int) -> tuple[Ints, Matrix]:
    """The ``k`` best of one query's scored ids, best first (ties by the lower id)."""
    if len(ids) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    if len(ids) > 4 * k:  # sort only what reaches the k-th best score (ties included)
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        near = np.flatnonzero(scores >= kth)
        ids, scores = ids[near], scores[near]
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
    sizes = [len(r) for r in relevant]
    flat = np.concatenate(relevant).astype(np.int64) if sum(sizes) else np.zeros(0, np.int64)
    width = int(max(lists.max(initial=0), flat.max(initial=0)))
    base = np.int64(width + 2)
    keys = np.arange(n, dtype=np.int64)[:, None] * base + lists
    rel_keys = np.repeat(np.arange(n, dtype=np.int64) * base, sizes) + flat
    return np.isin(keys, rel_keys) & (lists >= 0)
