"""The docs' shell blocks, counted at the end of every run that collects tests/docs."""

from __future__ import annotations

from collections import Counter

from tests.docs.blocks import collect, doc_files


def pytest_terminal_summary(terminalreporter) -> None:
    """One line: blocks run here, run by other runners, marked external, needing a tool."""
    kinds = Counter(block.kind for path in doc_files() for block in collect(path))
    total = sum(kinds.values())
    terminalreporter.write_line(
        f"docs shell blocks: {total} in README.md and docs/: {kinds['run']} executed by "
        f"tests/docs/test_shell_blocks.py, {kinds['needs']} executed there when what they need "
        f"is there, {kinds['run-by']} executed by another runner (run-by), "
        f"{kinds['external']} marked external"
    )
