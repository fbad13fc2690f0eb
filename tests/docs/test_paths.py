"""Every test file the documentation names exists (a moved test leaves no stale path behind)."""

from __future__ import annotations

import re

from tests.docs.blocks import ROOT

# a path starting at the repository's tests/ (not deploy/prometheus/tests/...), up to .py
TEST_PATH = re.compile(r"(?<![\w./-])tests/[\w./-]+?\.py\b")


def named_test_paths() -> dict[str, list[str]]:
    """Each ``tests/...py`` path named in README.md or docs/, with where it is named."""
    found: dict[str, list[str]] = {}
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            for path in TEST_PATH.findall(line):
                found.setdefault(path, []).append(f"{page.relative_to(ROOT)}:{number}")
    return found


def test_the_pattern_finds_test_paths_and_only_those() -> None:
    """Repository paths under tests/ are found; another directory's tests/ is not."""
    line = (
        "see `tests/proxy/flip/test_x.py` and deploy/prometheus/tests/rules_test.yml, tests/a.py."
    )
    assert TEST_PATH.findall(line) == ["tests/proxy/flip/test_x.py", "tests/a.py"]


def test_every_test_file_named_in_the_docs_exists() -> None:
    """A page naming tests/...py names a file that is there (the docs cite tests as proof)."""
    named = named_test_paths()
    assert named, "no test path found: the pattern is broken"
    missing = {path: where for path, where in named.items() if not (ROOT / path).is_file()}
    assert not missing, "\n".join(f"{path}: named in {', '.join(w)}" for path, w in missing.items())
