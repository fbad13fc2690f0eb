"""On real code nobody here wrote: precision and recall against a hand-reviewed list.

Per package and overall, for the packages the rules were developed on and for those held
out; near misses (detector and classifier cutoffs, fuzzy ratios, range checks, clamps, BM25
parameters) are never reported; the article's grep is measured beside.
"""

from __future__ import annotations

import pytest

from tests.calibrator.inventory.benchmark import Score, total

pytestmark = pytest.mark.slow  # scans pinned real packages: 20 s and more (fast lane: out)


def _detail(s: Score) -> str:
    return (
        f"{s.package}: false positives {sorted(s.reported - s.expected)}, "
        f"missed {sorted(s.expected - s.reported)}"
    )


def test_every_package_has_precision_and_recall_of_at_least_0_9(corpus_scores):
    """Each package separately: P >= 0.9 where anything is reported, R >= 0.9 where any exist."""
    for s in corpus_scores:
        assert s.precision is None or s.precision >= 0.9, _detail(s)
        assert s.recall is None or s.recall >= 0.9, _detail(s)


@pytest.mark.parametrize("role", [None, "development", "held-out", "held-out-2"])
def test_overall_precision_and_recall(corpus_scores, role):
    """All packages together, and each role alone, reach 0.9 on both."""
    merged = total(corpus_scores, role)
    assert merged.precision is not None
    assert merged.recall is not None
    assert merged.precision >= 0.9, _detail(merged)
    assert merged.recall >= 0.9, _detail(merged)


def test_near_misses_are_not_reported(corpus_scores):
    """None of the reviewed look-alikes is reported at the default confidence."""
    assert total(corpus_scores).near_misses_reported == set()


def test_the_articles_grep_finds_less(corpus_scores):
    """On the same code the grep pipeline recovers fewer true thresholds, among more noise."""
    merged = total(corpus_scores)
    assert len(merged.grep_hits) < len(merged.hits)
    assert merged.grep_precision is not None
    assert merged.precision is not None
    assert merged.grep_precision < merged.precision
