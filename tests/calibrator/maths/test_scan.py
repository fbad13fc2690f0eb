"""Tests of calibrator.maths.scan: one blocked pass equals brute force."""

from __future__ import annotations

import numpy as np
import pytest

from calibrator.maths import scan as scan_module
from calibrator.maths.scan import Grid, counts_on_grid, scan


def test_one_pass_equals_brute_force(monkeypatch):
    """Top k, counts at per-query thresholds and grid counts equal a full product's."""
    monkeypatch.setattr(scan_module, "_BLOCK_CELLS", 3000)  # several blocks
    rng = np.random.default_rng(0)
    queries = rng.standard_normal((37, 8)).astype(np.float32)
    docs = rng.standard_normal((500, 8)).astype(np.float32)
    thresholds = [rng.uniform(-1, 1, 37), np.full(37, 0.5)]
    grid = Grid(-2.0, 0.25, 17)
    stages = []
    found = scan(queries, docs, 7, thresholds, grid, lambda *a: stages.append(a), "old")
    full = queries @ docs.T
    order = np.argsort(-full, axis=1, kind="stable")[:, :7]
    assert np.array_equal(found.top_columns, order)
    assert np.allclose(found.top_scores, np.take_along_axis(full, order, axis=1), rtol=1e-6)
    for i, t in enumerate(thresholds):
        assert found.counts[i].tolist() == (full >= t[:, None].astype(np.float32)).sum(1).tolist()
    assert found.at_grid is not None
    for j, g in enumerate(grid.values()):
        assert found.at_grid[:, j].tolist() == (full >= g).sum(axis=1).tolist()
    assert stages[0] == ("old", 0, 37)
    assert stages[-1] == ("old", 37, 37)


def test_blocks_of_queries_and_documents_with_ties(monkeypatch):
    """Several blocks of queries, each over several runs of documents, with tied scores.

    The top k (ties to the lower column), the counts and the grid counts equal a full
    product's; progress only rises, from 0 to every query.
    """
    monkeypatch.setattr(scan_module, "_BLOCK_CELLS", 700)
    monkeypatch.setattr(scan_module, "_QUERY_BLOCK", 8)
    rng = np.random.default_rng(3)
    queries = rng.integers(-2, 3, (29, 4)).astype(np.float32)
    docs = rng.integers(-2, 3, (900, 4)).astype(np.float32)
    thresholds = [np.full(29, 1.0)]
    grid = Grid(-4.0, 1.0, 9)
    stages = []
    found = scan(queries, docs, 12, thresholds, grid, lambda *a: stages.append(a[1]))
    full = queries @ docs.T
    order = np.argsort(-full, axis=1, kind="stable")[:, :12]
    assert np.array_equal(found.top_columns, order)
    assert np.array_equal(found.top_scores, np.take_along_axis(full, order, axis=1))
    assert found.counts[0].tolist() == (full >= 1.0).sum(axis=1).tolist()
    assert found.at_grid is not None
    for j, g in enumerate(grid.values()):
        assert found.at_grid[:, j].tolist() == (full >= g).sum(axis=1).tolist()
    assert stages[0] == 0
    assert stages[-1] == 29
    assert stages == sorted(stages)


@pytest.mark.parametrize("share", [1, 10**9])
def test_one_pass_over_the_scores_above_the_bounds_or_two(monkeypatch, share):
    """One pass over the scores above the bounds, or two over the block: brute force's figures.

    Share 1 reads a block's scores above the bounds as entries whenever the top k is full,
    a huge share never does. Thresholds below and above each query's k-th best score,
    several runs of documents.
    """
    monkeypatch.setattr(scan_module, "_BLOCK_CELLS", 2000)
    monkeypatch.setattr(scan_module, "_ENTRIES_SHARE", share)
    rng = np.random.default_rng(5)
    queries = rng.standard_normal((23, 6)).astype(np.float32)
    docs = rng.standard_normal((700, 6)).astype(np.float32)
    thresholds = [rng.uniform(0, 4, 23), np.full(23, 2.5)]
    found = scan(queries, docs, 9, thresholds)
    full = queries @ docs.T
    order = np.argsort(-full, axis=1, kind="stable")[:, :9]
    assert np.array_equal(found.top_columns, order)
    assert np.array_equal(found.top_scores, np.take_along_axis(full, order, axis=1))
    for i, t in enumerate(thresholds):
        assert found.counts[i].tolist() == (full >= t[:, None].astype(np.float32)).sum(1).tolist()


def test_without_k_or_grid():
    """Without k or a grid, only the counts."""
    rng = np.random.default_rng(1)
    queries = rng.standard_normal((5, 4)).astype(np.float32)
    docs = rng.standard_normal((20, 4)).astype(np.float32)
    found = scan(queries, docs, 0, [np.zeros(5)])
    assert found.top_columns.shape == (5, 0)
    assert found.at_grid is None
    assert found.counts[0].tolist() == ((queries @ docs.T) >= 0).sum(axis=1).tolist()


def test_counts_on_grid_of_scattered_pairs():
    """Pairs of several queries counted at each grid threshold, per query."""
    scores = np.array([0.1, 0.5, 0.9, 0.3, -3.0, 7.0])
    query = np.array([0, 0, 0, 2, 2, 2])
    grid = Grid(0.0, 0.25, 4)  # 0, 0.25, 0.5, 0.75
    counts = counts_on_grid(scores, query, 3, grid)
    assert counts.tolist() == [[3, 2, 2, 1], [0, 0, 0, 0], [2, 2, 1, 1]]
