"""Tests of calibrator.maths.ranking: top k in one pass, nDCG@k and recall@k against references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import ndcg_score

from calibrator.maths.ranking import (
    block_top_k,
    list_top_k,
    mark_relevant,
    merge_top_k,
    ndcg_at_k,
    recall_at_k,
)


@pytest.mark.parametrize(
    ("rows", "width", "k"),
    [(7, 5000, 10), (3, 40, 10), (4, 6, 10), (5, 3000, 1), (3, 30000, 10), (2, 12345, 3)],
)
def test_block_top_k_equals_a_full_sort(rows, width, k):
    """The k best columns of every row, best first, equal a full sort of the row.

    Wide rows take the runs path (the k runs of columns with the highest maxima), with a
    short last run in one case.
    """
    rng = np.random.default_rng(rows * width)
    block = rng.standard_normal((rows, width)).astype(np.float32)
    columns, scores = block_top_k(block, k)
    expected = np.argsort(-block, axis=1, kind="stable")[:, : min(k, width)]
    assert np.array_equal(columns, expected)
    assert np.array_equal(scores, np.take_along_axis(block, expected, axis=1))


def test_block_top_k_with_sorted_columns_and_ties():
    """A block whose first columns are its worst still gives the best; ties go to lower columns."""
    block = np.tile(np.linspace(-1, 1, 6000, dtype=np.float32), (3, 1))
    block[1, 100:110] = 2.0  # ten tied best scores
    columns, scores = block_top_k(block, 5)
    assert columns[0].tolist() == list(range(5999, 5994, -1))
    assert columns[1].tolist() == list(range(100, 105))
    assert np.all(scores[1] == 2.0)


def test_block_top_k_of_constant_rows():
    """Rows that tie everywhere (every score reaches the bound) still give their first k columns."""
    block = np.zeros((3, 20000), np.float32)
    block[2, 15000:] = 1.0
    columns, scores = block_top_k(block, 4)
    assert columns.tolist() == [[0, 1, 2, 3], [0, 1, 2, 3], [15000, 15001, 15002, 15003]]
    assert scores.tolist() == [[0.0] * 4, [0.0] * 4, [1.0] * 4]


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 5),
    width=st.integers(1, 12000),
    k=st.integers(1, 12),
    cuts=st.lists(st.floats(0, 1), max_size=5),
    levels=st.sampled_from([0, 3, 1000]),
    seed=st.integers(0, 2**16),
)
def test_merge_top_k_through_blocks_equals_one_block(rows, width, k, cuts, levels, seed):
    """The k best carried block by block through a row equal one :func:`block_top_k` of it.

    Columns are cut into runs at random; scores are drawn from few levels (ties everywhere,
    some runs shorter than k) or continuous ones, and both equal a stable sort of the rows.
    """
    rng = np.random.default_rng(seed)
    if levels:
        block = rng.integers(0, levels, (rows, width)).astype(np.float32)
    else:
        block = rng.standard_normal((rows, width)).astype(np.float32)
    edges = sorted({0, width, *(int(c * width) for c in cuts)})
    columns = np.zeros((rows, 0), np.int64)
    scores = np.zeros((rows, 0), np.float32)
    for a, b in itertools.pairwise(edges):
        columns, scores = merge_top_k(columns, scores, block[:, a:b], a, k)
    expected = np.argsort(-block, axis=1, kind="stable")[:, : min(k, width)]
    assert np.array_equal(columns, expected)
    assert np.array_equal(scores, np.take_along_axis(block, expected, axis=1))
    whole = block_top_k(block, k)
    assert np.array_equal(whole[0], expected)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 6), min_size=0, max_size=40), st.integers(1, 12))
def test_list_top_k_is_a_stable_sort_of_ids_by_score(values, k):
    """One query's k best ids, best first, ties by the lower id."""
    rng = np.random.default_rng(len(values))
    ids = rng.permutation(len(values)).astype(np.int64)
    scores = np.array(values, dtype=np.float32)
    top, top_scores = list_top_k(ids, scores, k)
    expected = sorted(zip(-scores, ids, strict=True))[:k]
    assert top.tolist() == [int(i) for _, i in expected]
    assert top_scores.tolist() == [float(-s) for s, _ in expected]


def test_ndcg_and_recall_equal_scikit_learn_on_whole_rankings():
    """nDCG@k equals sklearn's ndcg_score per query (binary gains); recall@k counts the top k."""
    rng = np.random.default_rng(5)
    n_queries, n_docs, k = 40, 300, 10
    scores = rng.standard_normal((n_queries, n_docs))
    truth = rng.random((n_queries, n_docs)) < rng.uniform(0.002, 0.05, (n_queries, 1))
    truth[np.arange(n_queries), rng.integers(0, n_docs, n_queries)] = True
    truth[0] = False
    truth[1, :25] = True  # more relevant documents than k
    ranked = np.argsort(-scores, axis=1)[:, :k]
    relevant = np.take_along_axis(truth, ranked, axis=1)
    n_relevant = truth.sum(axis=1)
    ours = ndcg_at_k(relevant, n_relevant, k)
    recall = recall_at_k(relevant, n_relevant, k)
    assert np.isnan(ours[0])
    assert np.isnan(recall[0])
    for q in range(1, n_queries):
        reference = ndcg_score(truth[q : q + 1].astype(float), scores[q : q + 1], k=k)
        assert ours[q] == pytest.approx(reference, abs=1e-12)
        assert recall[q] == pytest.approx(relevant[q].sum() / n_relevant[q])


def test_short_lists_and_unscored_relevant_ids():
    """A list cut short has fewer positions; relevant ids never scored lower the ideal's share."""
    relevant = np.array([[True, False, False], [True, False, False]])
    n_relevant = np.array([1, 3])
    ndcg = ndcg_at_k(relevant, n_relevant, 3)
    assert ndcg[0] == pytest.approx(1.0)
    ideal = 1 + 1 / np.log2(3) + 1 / np.log2(4)
    assert ndcg[1] == pytest.approx(1 / ideal)
    assert recall_at_k(relevant, n_relevant, 3).tolist() == pytest.approx([1.0, 1 / 3])


def test_mark_relevant_ignores_padding():
    """Padded positions (-1) are never relevant; each query reads its own relevant set."""
    lists = np.array([[3, 1, -1], [1, 2, 3]])
    marked = mark_relevant(lists, (np.array([1]), np.array([3, 9])))
    assert marked.tolist() == [[False, True, False], [False, False, True]]
