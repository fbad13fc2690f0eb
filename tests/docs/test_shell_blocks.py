"""Every shell block of README.md and docs/ runs as written, or says why it cannot.

How blocks are read, marked and run: ``tests/docs/blocks.py``. One test per page runs its
runnable blocks in order in one bash process, in a fresh folder that looks like a checkout;
the static tests below hold every page to the rules without running anything.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.docs.blocks import ROOT, Block, collect, console_steps, doc_files, missing_lines
from tests.support.components import REQUIRE_VAR
from tests.support.config import SHARED_DATA

PAGE_TIMEOUT_S = 600
MARK = "@@embedshift-docs"
# what a page's folder links in from the checkout: everything a reader's checkout holds,
# except the state a run writes (var/) and caches
NOT_LINKED = {".git", "var", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".ci-cache", "site"}


def _all_blocks() -> list[Block]:
    return [block for path in doc_files() for block in collect(path)]


def _pages_with_runnable_blocks() -> list[Path]:
    return [
        path
        for path in doc_files()
        if any(block.kind in {"run", "needs"} for block in collect(path))
    ]


def _checkout_like(tmp: Path) -> Path:
    """A folder that looks like a checkout, ``../shared/data`` beside it; returns it."""
    work = tmp / "embedshift"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (work / entry.name).symlink_to(entry)
    (tmp / "shared").mkdir()
    (tmp / "shared" / "data").symlink_to(SHARED_DATA)
    return work


def _script(blocks: list[Block]) -> str:
    """One bash script: every runnable block in order, each command announced by a mark."""
    lines = [
        "set -eo pipefail",
        "exec 2>&1",
        f"mark() {{ printf '\\n{MARK} %s@@\\n' \"$1\"; }}",
    ]
    for b, block in enumerate(blocks):
        if block.console:
            for c, (command, _) in enumerate(console_steps(block)):
                lines += [f"mark B{b}C{c}", command]
        else:
            lines += [f"mark B{b}C0", block.text]
    lines.append("mark END")
    return "\n".join(lines) + "\n"


def _outputs(printed: str) -> dict[str, str]:
    """What each command printed, by its mark (``B0C0``...)."""
    parts: dict[str, str] = {}
    current = None
    for line in printed.splitlines():
        if line.startswith(MARK) and line.endswith("@@"):
            current = line[len(MARK) + 1 : -2]
            parts[current] = ""
        elif current is not None:
            parts[current] += line + "\n"
    return parts


def _runnable(page: Path) -> list[Block]:
    """The page's blocks to run here; a missing tool skips (or fails under CI's rule)."""
    chosen = []
    for block in collect(page):
        if block.kind == "run":
            chosen.append(block)
        elif block.kind == "needs":
            tool = block.marker("needs") or ""
            if shutil.which(tool) is not None:
                chosen.append(block)
            elif os.environ.get(REQUIRE_VAR) == "1":
                pytest.fail(f"{block.where}: needs {tool}, not on PATH", pytrace=False)
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
    work = _checkout_like(tmp_path)
    venv_bin = ROOT / ".venv" / "bin"
    env = {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(ROOT / ".venv"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.pop("PYTHONPATH", None)
    proc = subprocess.Popen(
        ["bash", "-c", _script(blocks)],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the page's own process group: background jobs end with it
    )
    try:
        printed, _ = proc.communicate(timeout=PAGE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        printed, _ = proc.communicate()
        pytest.fail(f"{page.relative_to(ROOT)}: still running after {PAGE_TIMEOUT_S} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    outputs = _outputs(printed)
    if "END" not in outputs:
        last = list(outputs)[-1] if outputs else "B0C0"
        b, c = (int(x) for x in last[1:].split("C"))
        block = blocks[b]
        command = console_steps(block)[c][0] if block.console else block.text
        tail = "\n".join(outputs.get(last, printed).splitlines()[-40:])
        pytest.fail(
            f"{block.where}: exit {proc.returncode} in\n{command}\n---- it printed:\n{tail}",
            pytrace=False,
        )
    for b, block in enumerate(blocks):
        if not block.console:
            continue
        varies = block.marker("output") == "varies"
        for c, (command, quoted) in enumerate(console_steps(block)):
            got = outputs.get(f"B{b}C{c}", "")
            missing = missing_lines(quoted, got, varies)
            assert not missing, (
                f"{block.where}: `{command}` did not print, in this order:\n"
                + "\n".join(missing)
                + f"\n---- it printed:\n{got}"
            )
    print(f"{page.relative_to(ROOT)}: {len(blocks)} blocks ran as written")


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
