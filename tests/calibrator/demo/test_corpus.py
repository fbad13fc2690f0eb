"""The demo's corpus and its two geometries: bands, spread, rank agreement, labels, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from calibrator.demo.corpus import SEGMENTS, embed, generate
from calibrator.demo.summary import precision_recall, segment_scores
from proxy.compare.divergence import overlap_at_k


@pytest.fixture(scope="module")
def embedded():
    """The default corpus (seed 7), embedded by both models."""
    return embed(generate(7))


def _unrelated(embedded, side):
    """Scores of 4,000 random document pairs from different segments."""
    rng = np.random.default_rng(0)
    segments = np.array(embedded.corpus.segments)
    a, b = rng.integers(len(segments), size=(2, 4000))
    keep = segments[a] != segments[b]
    docs = embedded.old_docs if side == "old" else embedded.new_docs
    return np.sum(docs[a[keep]] * docs[b[keep]], axis=1)


def test_the_new_model_scores_unrelated_texts_in_a_narrow_high_band(embedded):
    """Like e5: unrelated texts score around 0.7, and 98% of them within a band of 0.4."""
    scores = _unrelated(embedded, "new")
    low, median, high = np.quantile(scores, [0.01, 0.5, 0.99])
    assert 0.65 <= median <= 0.8
    assert low > 0.45
    assert high - low < 0.4


def test_the_old_model_spreads_unrelated_scores_around_zero(embedded):
    """The old model's unrelated pairs centre near 0 and spread at least twice as wide."""
    old, new = _unrelated(embedded, "old"), _unrelated(embedded, "new")
    assert abs(np.median(old)) < 0.2
    assert np.quantile(old, 0.01) < -0.2
    assert old.std() > 2 * new.std()


def test_every_vector_is_unit_length(embedded):
    """Both models' document and query vectors are L2-normalised (scores are cosines)."""
    for matrix in (embedded.old_docs, embedded.new_docs, embedded.old_queries,
                   embedded.new_queries):  # fmt: skip
        assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)


def test_labels_point_into_the_querys_own_segment(embedded):
    """Each labelled query has relevant documents, all of its own segment.

    Each segment has enough labelled queries for its own threshold (min_queries, 20).
    """
    corpus = embedded.corpus
    for query in corpus.queries:
        assert query.relevant
        assert {corpus.segments[d] for d in query.relevant} == {query.segment}
    for segment in SEGMENTS:
        assert sum(q.segment == segment for q in corpus.queries) >= 20
    assert len(corpus.texts) >= 2000


def _top10(scores):
    """Each row's ten best columns, as id strings."""
    return [[str(i) for i in np.argsort(-row, kind="stable")[:10]] for row in scores]


def test_the_two_models_diverge_like_real_ones(embedded):
    """Per segment, old and new top-10 lists share 50-65% of their ids on average.

    As two real models do (all-MiniLM-L6-v2 and all-mpnet-base-v2 share 0.52-0.59 on SciFact
    and Cranfield): the new index is not the old one again, and a floor on sameness would
    refuse it.
    """
    for segment in SEGMENTS:
        scores = segment_scores(embedded, segment)
        overlaps = [
            overlap_at_k(old, new, 10)
            for old, new in zip(_top10(scores.old), _top10(scores.new), strict=True)
        ]
        assert 0.5 <= np.mean(overlaps) <= 0.65, segment


def test_the_new_model_ranks_at_least_as_well_on_the_labels(embedded):
    """Per segment, the new model's nDCG@10 on the labelled queries beats the old model's.

    The figure scikit-learn's ndcg_score gives; the gain is at least 0.02 in every segment.
    """
    from sklearn.metrics import ndcg_score

    for segment in SEGMENTS:
        scores = segment_scores(embedded, segment)
        old = ndcg_score(scores.relevant, scores.old, k=10)
        new = ndcg_score(scores.relevant, scores.new, k=10)
        assert new >= old + 0.02, (segment, old, new)


def test_segments_want_different_thresholds(embedded):
    """The old model's score for 90% recall differs across segments by more than 0.05.

    One global threshold cannot suit them all.
    """
    needed = []
    for segment in SEGMENTS:
        scores = segment_scores(embedded, segment)
        needed.append(float(np.quantile(scores.old[scores.relevant], 0.1, method="lower")))
        assert precision_recall(scores.old, scores.relevant, needed[-1]).recall >= 0.9
    assert max(needed) - min(needed) > 0.05


def test_a_seed_decides_everything(embedded):
    """The same seed gives the same texts, labels and vectors; another seed other ones."""
    again = embed(generate(7))
    assert again.corpus.texts == embedded.corpus.texts
    assert again.corpus.queries == embedded.corpus.queries
    assert np.array_equal(again.new_docs, embedded.new_docs)
    assert np.array_equal(again.old_docs, embedded.old_docs)
    assert generate(8).texts != embedded.corpus.texts


def test_any_text_gets_a_vector(embedded):
    """Words the vocabulary lacks are embedded too, deterministically, at unit length."""
    first = embedded.new.embed(["zorblat quux", "zorblat quux", ""])
    assert np.array_equal(first[0], first[1])
    assert np.isclose(np.linalg.norm(first[0]), 1.0)
    assert not first[2].any()  # no word at all: the zero vector


def test_precision_recall_agrees_with_scikit_learn(embedded):
    """Micro precision and recall at a threshold equal scikit-learn's on the flattened pairs."""
    from sklearn.metrics import precision_score, recall_score

    scores = segment_scores(embedded, "docs")
    for threshold in (0.5, 0.8, 0.9):
        ours = precision_recall(scores.new, scores.relevant, threshold)
        predicted = (scores.new >= threshold - 1e-6).ravel()
        truth = scores.relevant.ravel()
        assert ours.recall == pytest.approx(recall_score(truth, predicted))
        assert ours.precision == pytest.approx(precision_score(truth, predicted))
