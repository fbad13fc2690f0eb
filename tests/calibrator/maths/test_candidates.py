"""Tests of calibrator.maths.candidates: exactly what scoring every pair gives."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from calibrator.inputs.vectors import normalised
from calibrator.maths.candidates import above, count_at_least, extend, pair_scores, search


def _matrices(seed=1, n_queries=30, n_docs=300, dim=12):
    rng = np.random.default_rng(seed)
    q = normalised(rng.normal(size=(n_queries, dim)).astype(np.float32))
    d = normalised(rng.normal(size=(n_docs, dim)).astype(np.float32))
    return q, d, q @ d.T


def test_search_finds_each_querys_top_n_and_its_floor():
    """The candidates are the top n by inner product; the floor is the n-th score."""
    q, d, full = _matrices()
    found = search(q, d, np.arange(len(d)), 7)
    for i in range(len(q)):
        expected = np.argsort(-full[i], kind="stable")[:7]
        assert set(found.docs[i].tolist()) == set(expected.tolist())
        assert found.floors[i] == pytest.approx(np.sort(full[i])[-7], abs=1e-6)


def test_search_of_every_document_has_no_floor():
    """Asking for more candidates than documents scores them all: floor -inf."""
    q, d, _ = _matrices(n_docs=20)
    found = search(q, d, np.arange(len(d)), 50)
    assert all(len(x) == 20 for x in found.docs)
    assert np.all(np.isneginf(found.floors))


def test_extend_completes_queries_down_to_a_threshold():
    """After extend, a query holds exactly the documents scoring at least the threshold."""
    q, d, full = _matrices()
    found = search(q, d, np.arange(len(d)), 3)
    t = float(np.float32(0.2))
    grown = extend(found, [0, 5], t, q, d, np.arange(len(d)))
    for i in (0, 5):
        assert set(grown.docs[i].tolist()) == set(np.flatnonzero(full[i] >= t).tolist())
        assert grown.floors[i] < t
    assert grown.docs[1] is found.docs[1]  # untouched


def test_counts_and_pair_scores_match_the_full_matrix():
    """count_at_least and pair_scores agree with the full score matrix."""
    q, d, full = _matrices()
    limits = np.linspace(-0.2, 0.6, len(q))
    counts = count_at_least(q, d, limits)
    assert counts.tolist() == [(full[i] >= np.float32(limits[i])).sum() for i in range(len(q))]
    rows, cols = np.array([0, 3, 7]), np.array([10, 0, 299])
    assert np.allclose(pair_scores(q, d, rows, cols), full[rows, cols], atol=1e-6)


def test_the_scores_kept_do_not_depend_on_faiss_threads():
    """The same candidates and scores whatever faiss thread count the caller was left with.

    faiss's BLAS rounds the last bits differently on one thread and on four (hundreds of 10,000
    scores differ at these shapes): search and above run it on a fixed count, so the same
    calibration in the command's main thread and in the worker's pool thread publishes the
    same numbers (it once did not, in CI, after the demo's backend had set one thread).
    """
    q, d, _ = _matrices(seed=3, n_queries=200, n_docs=5000, dim=768)
    rows = np.arange(len(d))
    before = faiss.omp_get_max_threads()
    found = {}
    try:
        for threads in (1, 4):
            faiss.omp_set_num_threads(threads)
            found[threads] = (search(q, d, rows, 50), above(q, d, rows, 0.08))
    finally:
        faiss.omp_set_num_threads(before)
    for one, four in zip(found[1], found[4], strict=True):
        assert np.array_equal(one.floors, four.floors)
        for i in range(len(q)):
            assert np.array_equal(one.docs[i], four.docs[i])
            assert np.array_equal(one.scores[i], four.scores[i])
    assert faiss.omp_get_max_threads() == before  # the caller's setting is left as it was
    assert sum(len(s) for s in found[1][1].scores) > 0
