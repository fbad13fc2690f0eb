"""Scores: each query's candidate documents, exactly, in bounded memory.

Scoring every (query, document) pair and sorting 10^8 scores is what a sweep must not do. The
calibrator keeps, per query, the documents it has scored so far together with a *floor*: every
document scoring more than the floor is among them, so any threshold above the floor sees the
same documents as an exhaustive scan.

* :func:`search` starts each query with its top ``top_n`` documents: faiss's exact inner
  product search (``faiss.knn``, blocked BLAS with a heap per query) in blocks of queries, so
  memory is ``O(queries x top_n)`` plus one block; the floor is the ``top_n``-th score.
* :func:`extend` lowers the floor of chosen queries to a threshold: a blocked matrix product
  keeping the scores at or above it. The calibrator calls it only when a policy lands on a
  threshold at or below some query's floor.
* :func:`pair_scores` scores given (query, document) pairs directly (the labelled ones).

Scores are inner products of the rows given; cosine callers pass normalised rows. faiss runs
on a fixed number of threads (:func:`faiss_threads`), whatever the calling thread was left
with: its BLAS rounds the last bits of a score differently with the thread count, and a
threshold or a quantile published must not depend on which thread ran the calibration (the
command's main thread, the worker's pool thread, a process where the demo's backend set one).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import faiss
import numpy as np
import numpy.typing as npt

from calibrator.progress import Progress, no_progress

Matrix = npt.NDArray[np.float32]
Ints = npt.NDArray[np.int64]

QUERY_BLOCK = 4096  # faiss's own query block: fewer calls are much faster (one BLAS pass)
_EXTEND_CELLS = 16_000_000  # queries x documents per matrix-product block in extend()


def faiss_threads() -> int:
    """The threads faiss runs on here: ``OMP_NUM_THREADS`` when set, else this process's cores."""
    setting = os.environ.get("OMP_NUM_THREADS", "").split(",")[0].strip()
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may run on
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@contextmanager
def _pinned_threads() -> Iterator[None]:
    """Run faiss on :func:`faiss_threads` threads in this thread, then restore the setting."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(faiss_threads())
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


@dataclass(frozen=True)
class Candidates:
    """Per query: scored document rows, their scores, and the floor they are complete above."""

    docs: tuple[Ints, ...]
    scores: tuple[npt.NDArray[np.float32], ...]
    floors: npt.NDArray[np.float64]

    @property
    def n_pairs(self) -> int:
        """How many pairs are held."""
        return sum(len(s) for s in self.scores)


def search(
    queries: Matrix,
    docs: Matrix,
    doc_rows: Ints,
    top_n: int,
    progress: Progress = no_progress,
    stage: str = "scoring",
) -> Candidates:
    """Each query's top ``top_n`` documents among ``docs`` (rows ``doc_rows`` of the corpus)."""
    n_queries, n_docs = len(queries), len(docs)
    k = min(top_n, n_docs)
    found_docs: list[Ints] = []
    found_scores: list[npt.NDArray[np.float32]] = []
    floors = np.full(n_queries, -np.inf)
    progress(stage, 0, n_queries)
    for a in range(0, n_queries, QUERY_BLOCK):
        block = np.ascontiguousarray(queries[a : a + QUERY_BLOCK], dtype=np.float32)
        if k == 0:
            found_docs.extend(np.zeros(0, np.int64) for _ in block)
            found_scores.extend(np.zeros(0, np.float32) for _ in block)
            continue
        with _pinned_threads():
            scores, index = faiss.knn(block, docs, k, metric=faiss.METRIC_INNER_PRODUCT)
        for row in range(len(block)):
            found_docs.append(doc_rows[index[row]])
            found_scores.append(scores[row].copy())
        if k < n_docs:
            floors[a : a + len(block)] = scores[:, k - 1]
        progress(stage, min(a + QUERY_BLOCK, n_queries), n_queries)
    return Candidates(tuple(found_docs), tuple(found_scores), floors)


def above(
    queries: Matrix,
    docs: Matrix,
    doc_rows: Ints,
    floor: float,
    progress: Progress = no_progress,
    stage: str = "scoring",
) -> Candidates:
    """Every document scoring at least ``floor`` for each query (faiss range search, exact).

    The candidates are complete down to ``floor`` for every query. Use it when the lowest
    threshold that matters is known before scanning (:func:`estimate_above` says how many
    pairs that holds); it is cheaper than a top-n heap.
    """
    radius = float(np.nextafter(np.float32(floor), np.float32(-np.inf)))
    n_queries, dim = queries.shape
    found_docs: list[Ints] = []
    found_scores: list[npt.NDArray[np.float32]] = []
    progress(stage, 0, n_queries)
    for a in range(0, n_queries, QUERY_BLOCK):
        block = np.ascontiguousarray(queries[a : a + QUERY_BLOCK], dtype=np.float32)
        result = faiss.RangeSearchResult(len(block))
        with _pinned_threads():
            faiss.range_search_inner_product(
                faiss.swig_ptr(block),
                faiss.swig_ptr(docs),
                dim,
                len(block),
                len(docs),
                radius,
                result,
            )
        limits = faiss.rev_swig_ptr(result.lims, len(block) + 1).astype(np.int64)
        total = int(limits[-1])
        scores = faiss.rev_swig_ptr(result.distances, total).copy() if total else np.zeros(0)
        labels = faiss.rev_swig_ptr(result.labels, total).copy() if total else np.zeros(0)
        for row in range(len(block)):
            lo, hi = limits[row], limits[row + 1]
            found_docs.append(doc_rows[labels[lo:hi].astype(np.int64)])
            found_scores.append(scores[lo:hi].astype(np.float32))
        progress(stage, min(a + QUERY_BLOCK, n_queries), n_queries)
    return Candidates(tuple(found_docs), tuple(found_scores), np.full(n_queries, radius))


def estimate_above(queries: Matrix, docs: Matrix, floor: float, seed: int = 0) -> float:
    """About how many (query, document) pairs score at least ``floor``, from a sample."""
    if len(queries) == 0 or len(docs) == 0:
        return 0.0
    rng = np.random.default_rng(seed)
    q = queries[rng.choice(len(queries), min(len(queries), 64), replace=False)]
    d = docs[rng.choice(len(docs), min(len(docs), 4096), replace=False)]
    share = float(((q @ d.T) >= np.float32(floor)).mean())
    return share * len(queries) * len(docs)


def extend(
    candidates: Candidates,
    which: Sequence[int],
    down_to: float,
    queries: Matrix,
    docs: Matrix,
    doc_rows: Ints,
) -> Candidates:
    """Candidates where each query in ``which`` is complete down to ``down_to`` (inclusive).

    ``queries`` holds the rows of *all* the candidates' queries; ``docs``/``doc_rows`` the
    documents those in ``which`` are scored against. Scores compare in float32, as stored.
    """
    chosen = [q for q in which if candidates.floors[q] >= down_to]
    if not chosen:
        return candidates
    floor = float(np.nextafter(np.float32(down_to), np.float32(-np.inf)))
    new_docs, new_scores = list(candidates.docs), list(candidates.scores)
    floors = candidates.floors.copy()
    step = max(1, _EXTEND_CELLS // max(len(docs), 1))
    doc_t = docs.T
    for a in range(0, len(chosen), step):
        rows = chosen[a : a + step]
        block = queries[rows] @ doc_t
        for i, q in enumerate(rows):
            keep = np.flatnonzero(block[i] > floor)
            new_docs[q] = doc_rows[keep]
            new_scores[q] = block[i, keep].astype(np.float32)
            floors[q] = floor
    return Candidates(tuple(new_docs), tuple(new_scores), floors)


def pair_scores(queries: Matrix, docs: Matrix, query_rows: Ints, doc_rows: Ints) -> Matrix:
    """Score of each (``queries[query_rows[i]]``, ``docs[doc_rows[i]]``) pair, in float32."""
    out = np.empty(len(query_rows), dtype=np.float32)
    step = 65536
    for a in range(0, len(query_rows), step):
        q = queries[query_rows[a : a + step]]
        d = docs[doc_rows[a : a + step]]
        out[a : a + step] = np.einsum("ij,ij->i", q, d)  # float32 in, float32 out
    return out


def count_at_least(
    queries: Matrix,
    docs: Matrix,
    thresholds: npt.NDArray[np.float64],
    progress: Progress = no_progress,
    stage: str = "counting",
) -> Ints:
    """Per query i, how many of ``docs`` score at least ``thresholds[i]`` (blocked, exact)."""
    counts = np.zeros(len(queries), dtype=np.int64)
    floors = np.nextafter(thresholds.astype(np.float32), np.float32(-np.inf))
    step = max(1, _EXTEND_CELLS // max(len(docs), 1))
    doc_t = docs.T
    progress(stage, 0, len(queries))
    for a in range(0, len(queries), step):
        block = queries[a : a + step] @ doc_t
        counts[a : a + step] = (block > floors[a : a + step, None]).sum(axis=1)
        progress(stage, min(a + step, len(queries)), len(queries))
    return counts
