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

from calibrator.maths.ranking import merge_top_k
from calibrator.progress import Progress, no_progress

Matrix = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

_BLOCK_CELLS = 16_000_000  # queries x documents per matrix-product block
_QUERY_BLOCK = 1024  # queries per block at most: the documents are read once per such block


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
    progress(stage, 0, n)
    for a in range(0, n, per_block):
        b = min(a + per_block, n)
        rows = queries[a:b]
        step = max(1, _BLOCK_CELLS // (b - a))
        columns = np.zeros((b - a, 0), np.int64)
        scores = np.zeros((b - a, 0), np.float32)
        for c in range(0, n_docs, step):
            d = min(c + step, n_docs)
            block = rows @ docs[c:d].T
            columns, scores = merge_top_k(columns, scores, block, c, width)
            for i, floor in enumerate(floors):
                # row by row: count_nonzero along an axis sums bytes, several times slower
                above = block > floor[a:b, None]
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
