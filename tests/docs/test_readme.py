"""The README stays a front door: short, and every link it gives leads somewhere.

The docs pages' own links are checked by ``mkdocs build --strict`` (scripts/check); the README
lies outside the site, so its links are checked here: each relative target exists, and an
anchor into a docs page names one of that page's headings.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.blocks import ROOT

README = ROOT / "README.md"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
MAX_LINES = 300


def _slug(heading: str) -> str:
    """The anchor MkDocs (and GitHub) give a heading: lower case, words joined by hyphens."""
    text = re.sub(r"[`*_]", "", heading).strip().lower()
    text = re.sub(r"[^\w\s-]", "", text)
    return re.sub(r"\s+", "-", text)


def _anchors(page: Path) -> set[str]:
    fence = False
    found = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            found.add(_slug(line.lstrip("#")))
    return found


def test_the_readme_is_at_most_300_lines():
    """Everything else lives in docs/: the README is what a newcomer reads first."""
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move the detail to docs/"


def test_every_readme_link_leads_somewhere():
    """Relative links name files that exist, and anchors name headings of their page."""
    links = LINK.findall(README.read_text(encoding="utf-8"))
    assert links
    for target in links:
        if re.match(r"^[a-z]+://", target):
            continue
        path, _, anchor = target.partition("#")
        page = (ROOT / path) if path else README
        assert page.exists(), f"README.md links to {target}: no such file"
        if anchor:
            assert anchor in _anchors(page), f"README.md links to {target}: no such heading"
