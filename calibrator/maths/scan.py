"""One exhaustive pass over a model's scores: top k, counts at thresholds, a histogram.

The old model is scored once, in blocks (a matrix product per block, bounded memory), and
each block yields at once everything the comparison with the new model needs. Blocks take
many queries and a run of documents, so that the document matrix, the largest thing held, is
read once per (large) block of queries rather than once per few queries:

* each query's top ``k`` documents (:func:`calibrator.maths.ranking.merge_top_k` carries them
  from one run of documents to the next);
* per query, how many documents score at least each of some per-query thresholds (the old
  threshold in force: precision at it, the quantile mapping);
* optionally, per query, how many score at least each threshold of an evenly spaced grid
  (the precision-preserving score map needs whole precision curves).

Scores are inner products of the rows given; comparisons are in float32, as stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.maths.ranking import merge_entries, merge_top_k
from calibrator.progress import Progress, no_progress

Matrix = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

_BLOCK_CELLS = 16_000_000  # queries x documents per matrix-product block
_QUERY_BLOCK = 1024  # queries per block at most: the documents are read once per such block
_ENTRIES_SHARE = 32  # a block's scores above the bounds are read as entries below 1/32 of it


@dataclass(frozen=True)
class Grid:
    """Evenly spaced thresholds ``low + j * step`` for j in 0..size-1."""

    low: float
    step: float
    size: int

    def values(self) -> Floats:
        """The thresholds, increasing."""
        return self.low + self.step * np.arange(self.size)


@dataclass(frozen=True)
class Scan:
    """What one pass found (see the module docstring)."""

    top_columns: Ints  # (queries, k) columns of ``docs``, best first
    top_scores: Matrix  # (queries, k)
    counts: Ints  # (len(thresholds), queries): documents scoring at least the threshold
    at_grid: Ints | None  # (queries, grid.size): documents scoring at least grid[j]


def _grid_counts(block: Matrix, grid: Grid) -> Ints:
    # the highest grid threshold each score reaches (-1: none), counted, then summed from the top
    reach = np.floor((block - np.float32(grid.low)) / np.float32(grid.step)).astype(np.int64)
    np.clip(reach, -1, grid.size - 1, out=reach)
    rows = block.shape[0]
    cells = (np.arange(rows)[:, None] * (grid.size + 1) + reach + 1).ravel()
    hist = np.bincount(cells, minlength=rows * (grid.size + 1)).reshape(rows, grid.size + 1)
    at_least: Ints = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(np.int64)
    return at_least


def _few_above(block: Matrix, scores: Matrix, floors: Sequence[Matrix], above: Bools) -> bool:
    """Mark in ``above`` the scores above each row's k-th best so far or any of its floors.

    True when they are few enough (a few per cent of the block) to be handled as entries.
    """
    low = scores[:, -1].copy()
    for floor in floors:
        np.minimum(low, floor, out=low)
    np.greater(block, low[:, None], out=above)
    return int(np.count_nonzero(above)) <= block.size // _ENTRIES_SHARE


def _entries_above(
    block: Matrix,
    offset: int,
    columns: Ints,
    scores: Matrix,
    floors: Sequence[Matrix],
    above: Bools,
) -> tuple[Ints, Matrix, Ints]:
    """The top k carried through ``block`` and the counts above each floor, from ``above``.

    A score that only ties the k-th best so far cannot enter (its column comes later), so
    the scores strictly above it are all the top k needs.
    """
    rows, width = block.shape
    flat = np.flatnonzero(above)
    at_row, at = np.divmod(flat, width)
    values = block.ravel()[flat]
    enter = values > scores[at_row, -1]
    k = scores.shape[1]
    if enter.any():
        columns, scores = merge_entries(
            columns, scores, at_row[enter], at[enter] + offset, values[enter], k
        )
    counts = np.array(
        [np.bincount(at_row[values > floor[at_row]], minlength=rows) for floor in floors],
        dtype=np.int64,
    ).reshape(len(floors), rows)
    return columns, scores, counts


def scan(
    queries: Matrix,
    docs: Matrix,
    k: int,
    thresholds: Sequence[Floats] = (),
    grid: Grid | None = None,
    progress: Progress = no_progress,
    stage: str = "scoring",
) -> Scan:
    """Score every (query, document) pair once, in blocks (see the module docstring)."""
    n = len(queries)
    width = min(k, len(docs))
    top_columns = np.zeros((n, width), np.int64)
    top_scores = np.zeros((n, width), np.float32)
    counts = np.zeros((len(thresholds), n), np.int64)
    floors = [np.nextafter(t.astype(np.float32), np.float32(-np.inf)) for t in thresholds]
    at_grid = np.zeros((n, grid.size), np.int64) if grid is not None else None
    n_docs = len(docs)
    per_block = -(-n // -(-n // _QUERY_BLOCK)) if n else 1  # blocks of even size
    step = max(1, _BLOCK_CELLS // per_block)
    # one product buffer and one mask for every block: a fresh block of this size is a fresh
    # mapping of memory, which the kernel zeroes (and compacts, for huge pages) each time
    cells = min(per_block, n) * min(step, n_docs)
    buffer = np.empty(cells, np.float32)
    mask = np.empty(cells, np.bool_)
    progress(stage, 0, n)
    for a in range(0, n, per_block):
        b = min(a + per_block, n)
        rows = queries[a:b]
        columns = np.zeros((b - a, 0), np.int64)
        scores = np.zeros((b - a, 0), np.float32)
        for c in range(0, n_docs, step):
            d = min(c + step, n_docs)
            shape = (b - a, d - c)
            block = np.matmul(rows, docs[c:d].T, out=buffer[: shape[0] * shape[1]].reshape(shape))
            above = mask[: shape[0] * shape[1]].reshape(shape)
            local = [floor[a:b] for floor in floors]
            if width and scores.shape[1] == width and _few_above(block, scores, local, above):
                # one pass: the scores above every row's lowest bound serve both
                columns, scores, found = _entries_above(block, c, columns, scores, local, above)
                counts[:, a:b] += found
            else:
                columns, scores = merge_top_k(columns, scores, block, c, width)
                for i, floor in enumerate(local):
                    np.greater(block, floor[:, None], out=above)
                    # row by row: count_nonzero along an axis sums bytes, several times slower
                    counts[i, a:b] += [np.count_nonzero(row) for row in above]
            if at_grid is not None and grid is not None:
                at_grid[a:b] += _grid_counts(block, grid)
            progress(stage, a + (b - a) * d // n_docs, n)
        if width:
            top_columns[a:b], top_scores[a:b] = columns, scores
        if n_docs == 0:
            progress(stage, b, n)
    return Scan(top_columns, top_scores, counts, at_grid)


def counts_on_grid(scores: Floats, query: Ints, n_queries: int, grid: Grid) -> Ints:
    """Per query, how many of its ``scores`` (``query[i]`` owns ``scores[i]``) reach grid[j]."""
    reach = np.floor((scores - grid.low) / grid.step).astype(np.int64)
    np.clip(reach, -1, grid.size - 1, out=reach)
    cells = query * (grid.size + 1) + reach + 1
    hist = np.bincount(cells, minlength=n_queries * (grid.size + 1))
    hist = hist.reshape(n_queries, grid.size + 1)
    at_least: Ints = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:].astype(np.int64)
    return at_least
