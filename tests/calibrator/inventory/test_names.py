"""Identifiers split into the words the vocabulary judges."""

from __future__ import annotations

import pytest

from calibrator.inventory.names import words


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("minRelevanceScore", ("min", "relevance", "score")),
        ("MIN_RELEVANCE_SCORE", ("min", "relevance", "score")),
        ("simthreshold", ("sim", "threshold")),
        ("gpt4", ("gpt", "4")),
        ("MAX_L2_DIST", ("max", "l", "2", "dist")),
        ("top1Score", ("top", "1", "score")),
    ],
)
def test_identifiers_split_into_words_and_digits(identifier, expected):
    """snake, camel and fused vocabulary words split; digits are a word of their own."""
    assert words(identifier) == expected


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("f1_score", ("f1", "score")),
        ("SemanticF1", ("semantic", "f1")),
        ("bm25_threshold", ("bm25", "threshold")),
        ("r2_score", ("r2", "score")),
    ],
)
def test_vocabulary_words_with_digits_stay_whole(identifier, expected):
    """``f1``, ``bm25`` and ``r2`` are words of the vocabulary, so they are not split."""
    assert words(identifier) == expected
