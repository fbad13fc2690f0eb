"""Tests of calibrator.maths.candidates: exactly what scoring every pair gives."""

from __future__ import annotations

import numpy as np
import pytest

from calibrator.calibration.calibrate import calibrate
from calibrator.calibration.settings import Settings
from calibrator.errors import CalibrationError, InputError
from calibrator.inputs.vectors import normalised
from calibrator.maths.candidates import count_at_least, extend, pair_scores, search
from calibrator.maths.policy import Policy, choose
from calibrator.maths.sweep import make_pairs, pair_curve
from tests.calibrator.synthetic import doc_segments, synthetic


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


def _exhaustive(sample, policy, segments=None, scope=None):
    """The policy's threshold and figures from every (query, document) pair, by brute force."""
    q = normalised(sample.vectors.queries)
    d = normalised(sample.vectors.docs)
    full = q @ d.T
    rows = {doc: i for i, doc in enumerate(sample.vectors.doc_ids)}
    qs, ss, ys, n_rel = [], [], [], []
    chosen = [x for x in sample.eval_set.queries if scope is None or x.segment == scope]
    for local, query in enumerate(chosen):
        i = int(query.query_id[1:])
        allowed = [
            j
            for j, doc in enumerate(sample.vectors.doc_ids)
            if segments is None or segments[doc] == query.segment
        ]
        relevant = {rows[x] for x in query.relevant_ids}
        qs += [local] * len(allowed)
        ss += [full[i, j] for j in allowed]
        ys += [j in relevant for j in allowed]
        n_rel.append(len(query.relevant_ids))
    curve = pair_curve(make_pairs(qs, ss, ys, n_rel))
    j = choose(policy, curve)[0]
    return (
        curve.thresholds[j],
        curve.precision(policy.average)[0, j],
        curve.recall(policy.average)[0, j],
    )


@pytest.mark.parametrize(
    "policy",
    [
        Policy("target_recall", 0.9),
        Policy("target_recall", 0.7, "macro"),
        Policy("target_precision", 0.4),
        Policy("max_f_beta", 1.0),
        Policy("max_f_beta", 2.0, "macro"),
    ],
)
@pytest.mark.parametrize("with_segments", [False, True])
def test_few_candidates_plus_refinement_equal_scoring_every_pair(policy, with_segments):
    """The published figures equal an exhaustive scan's, whichever way candidates were found.

    Target recall scans down to a floor known from the labels alone; the other policies start
    from 5 candidates per query, which cannot answer them without refinement.
    """
    sample = synthetic(seed=4)
    segments = doc_segments(sample) if with_segments else None
    settings = Settings(policy=policy, top_n=5, bootstrap=50, min_queries=5)
    cal = calibrate(sample.eval_set, sample.vectors, settings, doc_segments=segments)
    if policy.kind == "target_recall":
        assert cal.scan == "above"
    else:
        assert (cal.scan, cal.refinements > 0) == ("top_n", True)
    for scope, result in [(None, cal.global_), *cal.segments.items()]:
        entry = result.entry
        threshold, precision, recall = _exhaustive(sample, policy, segments, scope)
        assert entry.exact
        assert entry.threshold == pytest.approx(threshold, abs=1e-6)
        assert entry.precision == pytest.approx(precision)
        assert entry.recall == pytest.approx(recall)


def test_intervals_bracket_the_point_estimates():
    """Bootstrap intervals are ordered and contain the point estimate."""
    sample = synthetic(seed=5, n_queries=80)
    cal = calibrate(sample.eval_set, sample.vectors, Settings(min_queries=5, bootstrap=100))
    for result in (cal.global_, *cal.segments.values()):
        e = result.entry
        for interval, value in (
            (e.intervals.threshold, e.threshold),
            (e.intervals.precision, e.precision),
            (e.intervals.recall, e.recall),
        ):
            assert interval is not None
            assert value is not None
            assert interval[0] <= value <= interval[1]


def test_small_segments_fall_back_to_the_global_threshold():
    """A segment below min_queries carries the global threshold and says why."""
    sample = synthetic(seed=6, n_queries=50, segments=("docs", "docs", "docs", "docs", "code"))
    cal = calibrate(sample.eval_set, sample.vectors, Settings(min_queries=15))
    code, docs = cal.segments["code"].entry, cal.segments["docs"].entry
    assert (code.status, code.n_queries) == ("fallback_global", 10)
    assert code.threshold == cal.global_.entry.threshold
    assert "only 10 labelled queries (min_queries is 15)" in (code.reason or "")
    assert docs.status == "calibrated"


def test_too_few_queries_overall_is_an_error():
    """Fewer labelled queries in all than min_queries fails with a clear message."""
    sample = synthetic(n_queries=8)
    with pytest.raises(CalibrationError, match="only 8 labelled queries in all"):
        calibrate(sample.eval_set, sample.vectors, Settings(min_queries=20))


def test_a_query_without_a_vector_names_its_line():
    """An eval query absent from query_ids.txt is reported at its eval line."""
    sample = synthetic(n_queries=10)
    vectors = sample.vectors
    missing = type(vectors)(
        vectors.doc_ids, vectors.docs, vectors.query_ids[:-1], vectors.queries[:-1], "vec"
    )
    with pytest.raises(InputError, match=r"synthetic:10: query 'q9' has no vector in vec"):
        calibrate(sample.eval_set, missing, Settings(min_queries=1))
