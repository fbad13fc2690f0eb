"""Every shell block of README.md and docs/ runs as written, or says why it cannot.

How blocks are read and marked: ``tests/docs/blocks.py``; how they run:
``tests/docs/runner.py``. One test per page runs its runnable blocks in order in one bash
process, in a fresh folder that looks like a checkout; the static tests below hold every page
to the rules without running anything.
"""

from __future__ import annotations

import os
import runpy
import shlex
import shutil
from pathlib import Path

import pytest

from tests.docs.blocks import COMPONENTS, ROOT, Block, collect, console_steps, doc_files
from tests.docs.runner import run_blocks
from tests.support.components import REQUIRE_VAR


def _all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in collect(path)]


def _pages_with_runnable_blocks() -> list[Path]:
    return [
        path
        for path in doc_files()
        if any(block.kind in {"run", "needs"} for block in collect(path))
    ]


def _available(tool: str) -> bool:
    """A server .ci/components.sh named in the environment, or a program on PATH."""
    if tool in COMPONENTS:
        return bool(os.environ.get(COMPONENTS[tool]))
    return shutil.which(tool) is not None


def _runnable(page: Path) -> list[Block]:
    """The page's blocks to run here; a missing tool skips (or fails under CI's rule)."""
    chosen = []
    for block in collect(page):
        if block.kind == "run":
            chosen.append(block)
        elif block.kind == "needs":
            tool = block.marker("needs") or ""
            if _available(tool):
                chosen.append(block)
            elif os.environ.get(REQUIRE_VAR) == "1":
                pytest.fail(f"{block.where}: needs {tool}, not available", pytrace=False)
    return chosen


@pytest.mark.slow
@pytest.mark.parametrize(
    "page", _pages_with_runnable_blocks(), ids=lambda p: str(p.relative_to(ROOT))
)
def test_a_pages_blocks_run_as_written(page, tmp_path):
    """The page's blocks run in order and succeed; every quoted output line was printed."""
    blocks = _runnable(page)
    if not blocks:
        pytest.skip(f"{page.relative_to(ROOT)}: every runnable block needs a missing tool")
    run = run_blocks(page, blocks, tmp_path)
    print(f"{page.relative_to(ROOT)}: {len(blocks)} blocks ran as written in {run.seconds:.0f} s")


def test_every_block_is_runnable_or_marked_with_a_reason():
    """Markers carry a reason or a target; run-by names a runner that exists and names the doc."""
    for block in _all_blocks():
        for key, value in block.markers:
            assert value, f"{block.where}: the {key} marker says nothing"
        runner = block.marker("run-by")
        if runner is not None:
            path = ROOT / runner
            assert path.is_file(), f"{block.where}: run-by {runner}: no such file"
            named = str(block.path.relative_to(ROOT))
            # the runner names this page, or runs the README's identical block
            same_in_readme = any(
                other.text == block.text and other.marker("run-by") == runner
                for other in collect(ROOT / "README.md")
            )
            assert named in path.read_text(encoding="utf-8") or same_in_readme, (
                f"{block.where}: {runner} does not mention {named}"
            )
        if block.console:
            assert console_steps(block), f"{block.where}: a console block without a $ command"


def test_the_readmes_two_commands_are_the_ones_fresh_clone_runs():
    """.ci/fresh-clone finds exactly the README's two commands, demo first, check second."""
    script = runpy.run_path(str(ROOT / ".ci" / "fresh-clone"), run_name="fresh_clone")
    demo, check = script["readme_commands"](ROOT / "README.md")
    assert demo == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[demo]' && .venv/bin/embedshift demo"
    )
    assert check == "scripts/check"
    assert shlex.split(demo)[0] == "python3"


def test_every_page_starts_from_the_venv_the_same_way():
    """Bare ``embedshift`` commands appear only where the page says to activate the venv."""
    for path in doc_files():
        text = path.read_text(encoding="utf-8")
        uses = any(
            line.lstrip("$ ").startswith("embedshift ")
            for block in collect(path)
            if block.kind == "run"
            for line in block.text.splitlines()
        )
        if uses:
            assert ". .venv/bin/activate" in text, (
                f"{path.relative_to(ROOT)}: runs bare `embedshift` without telling the reader "
                "to activate the venv (`. .venv/bin/activate`)"
            )
