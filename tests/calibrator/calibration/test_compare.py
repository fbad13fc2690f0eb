"""Tests of the old-versus-new comparison of a calibration, against brute force.

Quality (nDCG@k and recall@k of each side's top k, precision and recall at the thresholds),
divergence (overlap@k and RBO as the proxy computes them), the new model's top-1 band and the
score map, each on a scope's own labelled queries; and the ``...=old`` policies.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import ndcg_score

from calibrator.calibration.calibrate import calibrate
from calibrator.calibration.compare import abstain_flips
from calibrator.calibration.settings import OldModel, Settings
from calibrator.errors import CalibrationError
from calibrator.inputs.labels import EvalSet, LabelledQuery
from calibrator.inputs.vectors import Vectors, normalised
from calibrator.maths.bootstrap import with_point
from calibrator.maths.policy import Policy
from calibrator.outputs.document import evidence_of
from proxy.compare.divergence import compare
from tests.calibrator.synthetic import Synthetic, synthetic


def _old_model(sample: Synthetic, noise: float = 0.6, seed: int = 9) -> Vectors:
    """Another model of the same sample: the vectors with noise (a worse, different ranking)."""
    rng = np.random.default_rng(seed)
    v = sample.vectors
    return replace(
        v,
        docs=(v.docs + noise * rng.standard_normal(v.docs.shape)).astype(np.float32),
        queries=(v.queries + noise * rng.standard_normal(v.queries.shape)).astype(np.float32),
        source="old",
    )


def _scores(vectors: Vectors):
    """Every (query, document) cosine of ``vectors``."""
    return normalised(vectors.queries) @ normalised(vectors.docs).T


def _brute(sample: Synthetic, old: Vectors, segment: str, t_old: float, t_new: float, k: int):
    """Every figure of one segment from the full score matrices of both models."""
    new_full, old_full = _scores(sample.vectors), _scores(old)
    rows = {d: i for i, d in enumerate(sample.vectors.doc_ids)}
    out: dict[str, list[float]] = {key: [] for key in (
        "ndcg_old", "ndcg_new", "rec_old", "rec_new", "tp_old", "tp_new", "n_old", "n_new",
        "n_rel", "overlap", "rbo", "top1")}  # fmt: skip
    for query in sample.eval_set.queries:
        if query.segment != segment:
            continue
        i = int(query.query_id[1:])
        truth = np.zeros(len(rows))
        truth[[rows[d] for d in query.relevant_ids]] = 1
        lists = {}
        for side, full, t in (("old", old_full, t_old), ("new", new_full, t_new)):
            order = np.argsort(-full[i], kind="stable")[:k]
            lists[side] = order
            out[f"ndcg_{side}"].append(ndcg_score(truth[None], full[i][None], k=k))
            out[f"rec_{side}"].append(truth[order].sum() / truth.sum())
            out[f"tp_{side}"].append(float((truth * (full[i] >= np.float32(t))).sum()))
            out[f"n_{side}"].append(float((full[i] >= np.float32(t)).sum()))
        out["n_rel"].append(truth.sum())
        found = compare(
            [str(x) for x in lists["old"]], [str(x) for x in lists["new"]], k, 0.9,
            old_full[i][lists["old"]].tolist(), new_full[i][lists["new"]].tolist(),
        )  # fmt: skip
        out["overlap"].append(found.overlap)
        out["rbo"].append(found.rbo)
        out["top1"].append(new_full[i].max())
    return {key: np.array(v) for key, v in out.items()}


@pytest.fixture(scope="module")
def sample() -> Synthetic:
    """120 queries in two segments over 600 documents."""
    return synthetic(n_queries=120, n_docs=600, seed=4)


def test_quality_divergence_and_band_equal_brute_force(sample):
    """Each segment's figures equal a computation over every pair of both models."""
    old = _old_model(sample)
    settings = Settings(min_queries=10, bootstrap=50, quality_bootstrap=200)
    cal = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 0.3, name="o"))
    for name, result in cal.segments.items():
        c = result.comparison
        assert c is not None
        t_new = result.entry.threshold
        assert t_new is not None
        b = _brute(sample, old, name, 0.3, t_new, 10)
        assert c.n_queries == len(b["top1"])
        q = c.quality
        assert q["ndcg@10"].old == pytest.approx(b["ndcg_old"].mean(), abs=1e-6)
        assert q["ndcg@10"].new == pytest.approx(b["ndcg_new"].mean(), abs=1e-6)
        assert q["recall@10"].old == pytest.approx(b["rec_old"].mean(), abs=1e-9)
        assert q["recall@10"].new == pytest.approx(b["rec_new"].mean(), abs=1e-9)
        precision = q["precision_at_threshold"]
        assert precision.old == pytest.approx(b["tp_old"].sum() / b["n_old"].sum(), abs=1e-9)
        assert precision.new == pytest.approx(b["tp_new"].sum() / b["n_new"].sum(), abs=1e-9)
        assert precision.new == pytest.approx(result.entry.precision)  # the calibrator's own
        recall = q["recall_at_threshold"]
        assert recall.old == pytest.approx(b["tp_old"].sum() / b["n_rel"].sum(), abs=1e-9)
        assert recall.new == pytest.approx(result.entry.recall)
        for d in q.values():
            assert d.diff == pytest.approx(d.new - d.old)
            assert d.interval is not None
            assert d.interval[0] <= d.interval[1]
        assert np.allclose(c.overlap, b["overlap"])
        assert np.allclose(c.rbo, b["rbo"], atol=1e-6)
        assert c.top1_quantiles is not None
        assert c.top1_quantiles["p50"] == pytest.approx(np.percentile(b["top1"], 50), abs=1e-6)
        assert c.n_documents == len(sample.vectors.doc_ids)


def test_a_segment_is_compared_on_its_own_queries_only(sample):
    """Changing the other segment's labels changes nothing of a segment's comparison."""
    old = _old_model(sample)
    settings = Settings(min_queries=10, bootstrap=20, quality_bootstrap=100)
    first = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 0.3))
    fewer = EvalSet(tuple(
        q for i, q in enumerate(sample.eval_set.queries) if q.segment == "docs" or i % 3
    ))  # fmt: skip
    second = calibrate(fewer, sample.vectors, settings, old=OldModel(old, 0.3))
    a, b = first.segments["docs"].comparison, second.segments["docs"].comparison
    assert a is not None
    assert b is not None
    for name in a.quality:
        assert (a.quality[name].old, a.quality[name].new) == (
            b.quality[name].old,
            b.quality[name].new,
        )
        assert a.quality[name].interval == b.quality[name].interval
    assert np.array_equal(a.rbo, b.rbo)
    fewer_code, all_code = second.segments["code"].comparison, first.segments["code"].comparison
    assert fewer_code is not None
    assert all_code is not None
    assert fewer_code.n_queries < all_code.n_queries


def test_the_same_model_on_both_sides_differs_by_nothing(sample):
    """Old = new: every difference is 0 with a [0, 0] interval, lists agree, the map is identity."""
    settings = Settings(min_queries=10, bootstrap=30, quality_bootstrap=100,
                        policy=Policy.parse("target_recall=old"))  # fmt: skip
    cal = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(sample.vectors, 0.4))
    for result in (cal.global_, *cal.segments.values()):
        c = result.comparison
        assert c is not None
        assert result.entry.threshold == pytest.approx(0.4, abs=0.02)  # the same recall
        for name, d in c.quality.items():
            if name.endswith("at_threshold"):
                continue  # the new threshold is the relevant score nearest 0.4, not 0.4
            assert d.diff == 0
            assert d.interval == (0.0, 0.0)
        assert np.all(c.overlap == 1.0)
        assert np.allclose(c.rbo, 1.0)
        assert c.map is not None
        inside = (c.map.old > c.map.domain[0]) & (c.map.old < c.map.domain[1])
        assert np.allclose(c.map.new[inside], c.map.old[inside], atol=0.02)


def test_policies_taken_from_the_old_model(sample):
    """target_recall=old gives each scope the recall the old model has at its threshold."""
    old = _old_model(sample)
    settings = Settings(min_queries=10, bootstrap=0, quality_bootstrap=50,
                        policy=Policy.parse("target_recall=old"))  # fmt: skip
    cal = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 0.3))
    for result in (cal.global_, *cal.segments.values()):
        c = result.comparison
        assert c is not None
        old_recall = c.quality["recall_at_threshold"].old
        assert result.policy.from_old
        assert result.policy.value == pytest.approx(old_recall)
        assert result.entry.recall is not None
        assert result.entry.recall >= old_recall - 1e-12
        assert str(result.policy).startswith("target_recall=old (")
        # the map is anchored where it would be anyway: old threshold -> calibrated one
        assert c.map is not None
        assert c.map.anchor == (0.3, result.entry.threshold)
    precision = replace(settings, policy=Policy.parse("target_precision=old"))
    cal = calibrate(sample.eval_set, sample.vectors, precision, old=OldModel(old, 0.3))
    for result in cal.segments.values():
        assert result.comparison is not None
        old_precision = result.comparison.quality["precision_at_threshold"].old
        assert result.policy.value == pytest.approx(old_precision)
    with pytest.raises(CalibrationError, match="needs the old model"):
        calibrate(sample.eval_set, sample.vectors, settings)
    with pytest.raises(CalibrationError, match="needs the old threshold"):
        calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, None))
    with pytest.raises(CalibrationError, match="keeps no relevant document"):
        calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 1.5))


def test_old_vectors_in_another_order_compare_the_same(sample):
    """Old vectors in another row order (and one document more) compare as in the same order.

    The comparison and the mapping equal those of the same vectors in the new model's order.
    """
    old = _old_model(sample)
    rng = np.random.default_rng(2)
    docs, queries = rng.permutation(len(old.doc_ids)), rng.permutation(len(old.query_ids))
    shuffled = replace(
        old,
        doc_ids=(*(old.doc_ids[i] for i in docs), "extra"),
        docs=np.vstack([old.docs[docs], np.ones((1, old.docs.shape[1]), np.float32)]),
        query_ids=tuple(old.query_ids[i] for i in queries),
        queries=old.queries[queries],
    )
    settings = Settings(min_queries=10, bootstrap=20, quality_bootstrap=50)
    same = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 0.3))
    other = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(shuffled, 0.3))
    for a, b in ((same.global_, other.global_), *zip(
        same.segments.values(), other.segments.values(), strict=True)):  # fmt: skip
        assert a.comparison is not None
        assert b.comparison is not None
        for name, d in a.comparison.quality.items():
            assert b.comparison.quality[name].old == pytest.approx(d.old, abs=1e-9)
        assert np.allclose(a.comparison.overlap, b.comparison.overlap)
        assert np.allclose(a.comparison.rbo, b.comparison.rbo)
        assert a.mapping is not None
        assert b.mapping is not None
        assert b.mapping.threshold == pytest.approx(a.mapping.threshold, abs=1e-6)
        assert a.old_relevant_scores is not None
        assert b.old_relevant_scores is not None
        assert np.allclose(a.old_relevant_scores, b.old_relevant_scores, atol=1e-6)


def test_without_an_old_threshold_the_old_side_is_its_top_k(sample):
    """No old threshold: ranking figures only, no quantile mapping, an unanchored map."""
    old = _old_model(sample)
    settings = Settings(min_queries=10, bootstrap=20, quality_bootstrap=50)
    cal = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, None))
    c = cal.segments["docs"].comparison
    assert c is not None
    assert set(c.quality) == {"ndcg@10", "recall@10"}
    assert cal.segments["docs"].mapping is None
    assert c.map is not None
    assert c.map.anchor is None


def test_precision_preserving_map(sample):
    """--preserve precision: a monotone map whose knots keep the old precision in sample."""
    old = _old_model(sample)
    settings = Settings(min_queries=10, bootstrap=20, quality_bootstrap=20, preserve="precision")
    cal = calibrate(sample.eval_set, sample.vectors, settings, old=OldModel(old, 0.3))
    assert cal.global_.comparison is not None
    m = cal.global_.comparison.map
    assert m is not None
    assert m.preserve == "precision"
    assert np.all(np.diff(m.old) > 0)
    assert np.all(np.diff(m.new) > 0)
    assert m.domain == (m.old[0], m.old[-1])


# --- abstain flips -----------------------------------------------------------------------

# per query: the score of its one relevant document (its only document scoring above 0) under
# each model; the old threshold is 0.5, the new one (target_recall=0.55 over ten queries) the
# sixth highest new score, 0.70
OLD_SCORES = (0.90, 0.80, 0.70, 0.60, 0.58, 0.56, 0.52, 0.30, 0.20, 0.10)
NEW_SCORES = (0.95, 0.90, 0.85, 0.80, 0.40, 0.30, 0.20, 0.10, 0.75, 0.70)


def _axes(scores: tuple[float, ...], dim: int) -> Vectors:
    """Query i is axis i; its document scores ``scores[i]`` with it and 0 with every other."""
    n = len(scores)
    queries = np.eye(n, dim, dtype=np.float32)
    docs = np.zeros((n + 1, dim), dtype=np.float32)
    for i, c in enumerate(scores):
        docs[i, i], docs[i, dim - 1] = c, np.sqrt(1 - c * c)
    docs[n, dim - 2] = 1.0  # a document no query is near
    return Vectors(
        doc_ids=(*(f"d{i}" for i in range(n)), "far"),
        docs=docs,
        query_ids=tuple(f"q{i}" for i in range(n)),
        queries=queries,
        source="axes",
    )


def test_abstain_flips_count_exactly_on_a_hand_built_sample():
    """Old keeps q0-q6 at 0.5, new keeps q0-q3, q8, q9 at its 0.70: 3 emptied, 2 filled.

    new_empty = {q4, q5, q6} (old kept one document, new none), old_empty = {q8, q9}; q7 is
    empty on both sides and counts as neither. Net (3 - 2) / 10 = 0.1; the same in the
    document the command publishes.
    """
    n, dim = len(OLD_SCORES), len(OLD_SCORES) + 2
    labelled = tuple(LabelledQuery(f"q{i}", "s", (f"d{i}",), None, "hand", i + 1) for i in range(n))
    settings = Settings(policy=Policy.parse("target_recall=0.55"), min_queries=5, bootstrap=20,
                        quality_bootstrap=200)  # fmt: skip
    old = OldModel(_axes(OLD_SCORES, dim), 0.5, name="old")
    cal = calibrate(EvalSet(labelled), _axes(NEW_SCORES, dim), settings, old=old)
    result = cal.segments["s"]
    assert result.entry.threshold == pytest.approx(0.70, abs=1e-6)
    c = result.comparison
    assert c is not None
    assert c.abstain is not None
    assert (c.abstain.n_queries, c.abstain.new_empty, c.abstain.old_empty) == (10, 3, 2)
    assert c.abstain.net.new == pytest.approx(0.3)
    assert c.abstain.net.old == pytest.approx(0.2)
    assert c.abstain.net.diff == pytest.approx(0.1)
    assert c.abstain.net.interval is not None
    low, high = c.abstain.net.interval
    assert -1 <= low < 0.1 < high <= 1  # ten queries, each -1, 0 or +1: a wide interval
    published = evidence_of(result, cal, "old", "new").quality
    assert published is not None
    assert published.abstain is not None
    assert (published.abstain.new_empty, published.abstain.old_empty) == (3, 2)
    assert published.abstain.net == pytest.approx(0.1)
    assert published.abstain.interval == c.abstain.net.interval
    # without an old threshold nothing is kept by threshold on the old side: no flips
    topk = calibrate(EvalSet(labelled), _axes(NEW_SCORES, dim), settings,
                     old=OldModel(_axes(OLD_SCORES, dim), None))  # fmt: skip
    comparison = topk.segments["s"].comparison
    assert comparison is not None
    assert comparison.abstain is None
    quality = evidence_of(topk.segments["s"], topk, "old", "new").quality
    assert quality is not None
    assert quality.abstain is None


def test_abstain_flips_pair_both_directions_on_each_resample():
    """The net share's interval comes from resampling queries, both directions together."""
    old_kept = np.array([1, 2, 0, 0, 3, 0])
    new_kept = np.array([0, 0, 1, 0, 3, 0])
    weights = with_point(np.array([[2.0, 0, 0, 0, 4, 0], [0, 0, 3, 3, 0, 0], [1, 1, 1, 1, 1, 1]]))
    flips = abstain_flips(old_kept, new_kept, weights, 0.95)
    assert (flips.n_queries, flips.new_empty, flips.old_empty) == (6, 2, 1)
    assert flips.net.diff == pytest.approx(1 / 6)
    # resamples: q0 twice and q4 four times (net 2/6); q2 and q3 thrice (-3/6); all once (1/6)
    assert np.allclose(flips.net.replicates, [2 / 6, -3 / 6, 1 / 6])
    assert flips.net.interval is not None
    assert flips.net.interval[0] == pytest.approx(np.percentile([2 / 6, -3 / 6, 1 / 6], 2.5))
