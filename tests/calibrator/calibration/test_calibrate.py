"""Tests of calibrator.calibration.calibrate: candidates plus refinement equal every pair.

Also its intervals, the fallback of small segments, and the errors of too few queries or a
query without a vector.
"""

from __future__ import annotations

import pytest

from calibrator.calibration.calibrate import calibrate
from calibrator.calibration.settings import Settings
from calibrator.errors import CalibrationError, InputError
from calibrator.inputs.vectors import normalised
from calibrator.maths.policy import Policy, choose
from calibrator.maths.sweep import make_pairs, pair_curve
from tests.calibrator.synthetic import doc_segments, synthetic


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
