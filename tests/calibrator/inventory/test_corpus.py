"""On real code nobody here wrote: precision and recall against a hand-reviewed list.

Also what the article's grep pipeline finds on the same code.
"""

from __future__ import annotations

import subprocess

import pytest

from calibrator.inventory.findings import MEDIUM, dedupe
from calibrator.inventory.walk import collect, scan_sources

pytestmark = pytest.mark.slow  # scans pinned real packages: 20 s and more
Key = tuple[str, str, int, float]
ARTICLE_GREP = (
    'grep -rn "similarity\\|\\.score\\|threshold\\|cutoff" . --include="*.py"'
    ' | grep -E "[0-9]\\.[0-9]{2}" | grep -v "test_"'
)
"""The article's pipeline as printed there (``.`` for its ``src/``)."""


def expected_keys(expected_corpus) -> set[Key]:
    """(package, path, line, value) of every hand-reviewed threshold."""
    thresholds = expected_corpus["threshold"]
    assert isinstance(thresholds, list)
    return {(t["package"], t["path"], t["line"], t["value"]) for t in thresholds}


def inventory_keys(corpus) -> set[Key]:
    """What the inventory reports at its default confidence, over every package."""
    found: set[Key] = set()
    for package, root in corpus.items():
        result = scan_sources(collect([root]), jobs=2)
        for f in dedupe([f for f in result.findings if f.confidence >= MEDIUM]):
            assert f.line is not None
            found.add((package, f.path, f.line, f.value))
    return found


def grep_lines(corpus) -> set[tuple[str, str, int]]:
    """(package, path, line) of every line the article's grep pipeline prints."""
    lines: set[tuple[str, str, int]] = set()
    for package, root in corpus.items():
        out = subprocess.run(
            ["bash", "-c", ARTICLE_GREP],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        ).stdout
        for row in out.splitlines():
            path, line, _ = row.split(":", 2)
            lines.add((package, path.removeprefix("./"), int(line)))
    return lines


def test_precision_and_recall_on_real_libraries(corpus, expected_corpus):
    """Precision and recall are both at least 0.9 against the hand-reviewed thresholds."""
    expected = expected_keys(expected_corpus)
    reported = inventory_keys(corpus)
    hits = reported & expected
    precision = len(hits) / len(reported)
    recall = len(hits) / len(expected)
    detail = f"false positives {sorted(reported - expected)}, missed {sorted(expected - reported)}"
    assert precision >= 0.9, detail
    assert recall >= 0.9, detail


def test_the_articles_grep_finds_less(corpus, expected_corpus):
    """On the same code the grep pipeline recovers fewer true thresholds, among more noise."""
    expected = expected_keys(expected_corpus)
    printed = grep_lines(corpus)
    grep_hits = {e for e in expected if e[:3] in printed}
    inventory_hits = inventory_keys(corpus) & expected
    assert len(grep_hits) < len(inventory_hits)
    assert len(printed) > len(grep_hits)  # grep prints lines that are not thresholds
