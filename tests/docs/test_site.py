"""The documentation site's navigation holds every page, and the build is told to fail when not.

``mkdocs build --strict`` (scripts/check) fails on a page left out of the nav because
``validation.nav.omitted_files`` is ``warn`` and strict turns warnings into errors; these tests
say the same without building, so that ``scripts/check --fast`` catches it too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from tests.docs.blocks import ROOT

DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"


def _entries(nav: Any) -> Iterator[str]:
    """Every page path of a MkDocs nav (a list of titles to paths or to sections)."""
    if isinstance(nav, str):
        yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _entries(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _entries(value)


def _config() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    return loaded


def test_every_page_is_in_the_nav_once_and_every_entry_exists():
    """Each Markdown page under docs/ appears in the nav exactly once; no entry is dangling."""
    entries = [entry for entry in _entries(_config()["nav"]) if not entry.startswith("http")]
    pages = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    missing = sorted(set(pages) - set(entries))
    assert not missing, f"pages missing from mkdocs.yml's nav: {missing}"
    dangling = sorted(set(entries) - set(pages))
    assert not dangling, f"nav entries without a page: {dangling}"
    repeated = sorted({entry for entry in entries if entries.count(entry) > 1})
    assert not repeated, f"pages in the nav twice: {repeated}"


def test_the_strict_build_fails_on_what_these_tests_check():
    """Strict mode, and the nav and link validations as warnings (errors under strict)."""
    config = _config()
    assert config["strict"] is True
    nav = config["validation"]["nav"]
    links = config["validation"]["links"]
    assert nav["omitted_files"] == nav["not_found"] == "warn"
    assert links["not_found"] == links["anchors"] == "warn"
