"""Identifiers split into the words the vocabulary judges."""

from __future__ import annotations

import pytest

from calibrator.inventory.facts import FileScan
from calibrator.inventory.names import (
    _INTERESTING,
    _NAMING_TEXTS,
    has_fraction,
    interesting,
    interesting_lines,
    is_score_like,
    may_name_a_threshold,
    speaks_of_scores,
    threshold_name,
    words,
)
from calibrator.inventory.python_scan import scan_python
from calibrator.inventory.vocabulary import KNOWN_KEYWORDS, SCORE_WORDS, THRESHOLD_WORDS


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


@pytest.mark.parametrize(
    ("identifier", "strength"),
    [
        ("min_coherence_score", 0.0),
        ("toxicity_threshold", 0.0),
        ("MIN_FAITHFULNESS_SCORE", 0.0),
        ("min_relevance_score", 1.0),
        ("min_similarity_score", 0.8),
    ],
)
def test_a_name_for_a_graded_quality_bounds_no_similarity(identifier, strength):
    """``min_coherence_score``: an LLM judge's or a guardrail's grade, not a similarity.

    A score's bound that says what is graded (coherence, toxicity, faithfulness) is ruled out
    by its name; a relevance or similarity score's bound stays.
    """
    assert threshold_name(identifier).strength == strength


@pytest.mark.parametrize(
    ("identifier", "strength"),
    [
        ("match_threshold", 1.0),
        ("entity_match_threshold", 1.0),
        ("_DEFAULT_ROUGE_CHUNK_MATCH_THRESHOLD", 0.0),
        ("verified_token_match_threshold", 0.0),
        ("recall_relevance_threshold", 1.0),
    ],
)
def test_a_known_keyword_at_the_end_of_a_name_for_another_score_is_none(identifier, strength):
    """A name ending like a library's threshold keyword, with a word for another score, is not.

    ``ROUGE_..._MATCH_THRESHOLD`` bounds a ROUGE overlap; a name that also says which
    similarity it bounds (``recall_relevance_threshold``: recalled memories' relevance) stays.
    """
    assert threshold_name(identifier).strength == strength


@pytest.mark.parametrize(
    ("identifier", "strength"),
    [
        ("SIMILARITY_FLOOR", 0.45),
        ("CLOSET_DISTANCE_CAP", 0.45),
        ("score_ceiling", 0.45),
        ("capacity", 0.0),
        ("recap", 0.0),
    ],
)
def test_a_floor_cap_or_ceiling_of_a_score_is_a_limit_a_comparison_decides(identifier, strength):
    """A score's floor, cap or ceiling is low by its name alone.

    Compared with the score it is a threshold; given to ``max()`` it is a clamp. Words that
    merely contain those letters (``capacity``) are nothing.
    """
    assert threshold_name(identifier).strength == strength
    assert not is_score_like(identifier)


@pytest.mark.parametrize(
    ("identifier", "score_like"),
    [
        ("min_cosine", False),
        ("_chunk_fallback_min_cosine", False),
        ("get_default_max_distance", False),
        ("batch_similarities", True),
        ("row_best_similarity", True),
        ("min_max_normalized", False),
    ],
)
def test_a_bound_word_before_a_score_word_names_a_bound_wherever_it_stands(identifier, score_like):
    """``fallback_min_cosine()`` bounds the cosine it names, as ``min_cosine`` does."""
    assert is_score_like(identifier) is score_like


def _plain_marks(text: str) -> set[int]:
    """The lines holding a word of the vocabulary, found one word at a time (no grouping)."""
    lower = text.lower().splitlines()
    return {n for n, line in enumerate(lower, start=1) if any(w in line for w in _INTERESTING)}


@pytest.mark.parametrize(
    "text",
    [
        "x = 1\n",
        "d = maxdist(a)\n",
        "dist = 3\nd = q.distances\n",  # `dist` alone is no word of the vocabulary
        "from os import path\ncost = 2\nc = cos_sim(a, b)\n",
        "c = cosine(a, b)\nt = THRESHOLD\n",
        "cost = 1\nd = distribute(x)\n",  # both anchors, no word of either group
        "r = a @ b\n",
    ],
)
def test_the_grouped_vocabulary_search_marks_what_a_word_by_word_search_marks(text):
    """Words sharing ``dist`` or ``cos`` are searched only where that text is: same result."""
    counts = interesting_lines(text)
    marked = {n for n in range(1, len(counts) - 1) if counts[n] > counts[n - 1]}
    assert marked == _plain_marks(text)
    assert speaks_of_scores(text) == bool(_plain_marks(text))


@pytest.mark.parametrize(
    "identifier",
    ["similarity_threshold", "MIN_SCORE", "maxDist", "cutoff", "cut_off", "thr", "relevancy_floor",
     "certainty", "min_sim", "CosineCap", "match_threshold"],
)  # fmt: skip
def test_the_quick_no_keeps_every_name_with_strength(identifier):
    """Names :func:`threshold_name` gives a strength pass :func:`may_name_a_threshold`."""
    assert threshold_name(identifier).strength > 0
    assert may_name_a_threshold(identifier)


@pytest.mark.parametrize("identifier", ["\u0120the", "learning_rate", "ef_search", "vocab_size"])
def test_the_quick_no_says_no_to_names_without_strength(identifier):
    """A tokenizer's token or an unrelated setting is dropped before it is judged."""
    assert threshold_name(identifier).strength == 0
    assert not may_name_a_threshold(identifier)


def test_every_threshold_score_and_keyword_word_holds_a_naming_text():
    """The quick no's texts cover the vocabulary: a word added to it without one would be lost."""
    for word in (*THRESHOLD_WORDS, *SCORE_WORDS, *KNOWN_KEYWORDS):
        assert any(text in word for text in _NAMING_TEXTS), word


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = 0.8\n", True),
        ("cut = .8\n", True),
        ("items[0.5:]\n", True),
        ('__version__ = "0.5.1"\n', False),  # a version is no number below one
        ("# needs requests>=2.0.31 and numpy 0.9.4\n", False),
        ("rate = 10.5\nname = v1.8\n", False),
        ('V = "0.5.1"\np = 0.25\n', True),
    ],
)
def test_a_fraction_is_a_number_below_one_and_no_version(text, expected):
    """Files with neither a vocabulary word nor a fraction are not parsed: a version is neither."""
    assert has_fraction(text) is expected
    assert interesting(text) is expected


def test_a_file_whose_only_point_numbers_are_versions_is_not_scanned():
    """A pinned requirement's version gives nothing; a fraction beside it is read."""
    source = 'REQUIRES = ["numpy>=0.5.1"]\nlimit = 0\n'
    assert scan_python(source, "pkg/meta.py") == FileScan()
    source = 'REQUIRES = ["numpy>=0.5.1"]\nlimit = 0.5\n'
    assert scan_python(source, "pkg/meta.py").facts.values
