"""Run a page's shell blocks as a reader would: in order, in one bash, in a checkout-like folder.

Used by ``tests/docs/test_shell_blocks.py`` (every page's unmarked blocks) and by the tests that
run a page's slow blocks themselves (``run-by`` markers naming them, such as
``tests/docs/test_walkthrough.py``). How blocks are read and what their output must hold:
``tests/docs/blocks.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.blocks import ROOT, Block, console_steps, missing_lines
from tests.support.config import SHARED_DATA
from tests.support.locks import worker_lock

PAGE_TIMEOUT_S = 600
MARK = "@@embedshift-docs"
# what a page's folder links in from the checkout: everything a reader's checkout holds,
# except the state a run writes (var/) and caches
NOT_LINKED = {".git", "var", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".ci-cache", "site"}


@dataclass(frozen=True)
class PageRun:
    """What one run of a page's blocks printed, command by command, and how long it took."""

    outputs: dict[str, str]
    seconds: float


def checkout_like(tmp: Path) -> Path:
    """A folder that looks like a checkout, ``../shared/data`` beside it; returns it."""
    work = tmp / "embedshift"
    work.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in NOT_LINKED:
            (work / entry.name).symlink_to(entry)
    (tmp / "shared").mkdir()
    (tmp / "shared" / "data").symlink_to(SHARED_DATA)
    return work


def script(blocks: list[Block]) -> str:
    """One bash script: every block in order, each command announced by a mark."""
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


def outputs_of(printed: str) -> dict[str, str]:
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


def run_blocks(
    page: Path, blocks: list[Block], tmp: Path, timeout_s: float = PAGE_TIMEOUT_S
) -> PageRun:
    """Run ``blocks`` of ``page`` in order; fail naming the block that failed or printed wrong.

    Every block must succeed, and every output line a console block quotes must appear, in
    order, in what its command printed (``output: varies``: numbers are wildcards).
    """
    work = checkout_like(tmp)
    venv_bin = ROOT / ".venv" / "bin"
    env = {
        **os.environ,
        "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(ROOT / ".venv"),
        "NO_COLOR": "1",
        "COLUMNS": "200",
    }
    env.pop("PYTHONPATH", None)
    with worker_lock("docs-ports"):  # the pages bind the docs' fixed ports
        return _run_locked(page, blocks, work, env, timeout_s)


def _run_locked(
    page: Path, blocks: list[Block], work: Path, env: dict[str, str], timeout_s: float
) -> PageRun:
    """:func:`run_blocks` once its lock is held."""
    started = time.monotonic()
    # output to a file, not a pipe: a background job the page started (a server) keeps a pipe
    # open after bash exits on a failing block, and reading it to its end would wait for that
    # job until the timeout; bash's own exit is what ends the page
    log = work.parent / f"{page.stem}.out"
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            ["bash", "-c", script(blocks)],
            cwd=work,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            start_new_session=True,  # the page's own process group: background jobs end with it
        )
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail(f"{page.relative_to(ROOT)}: still running after {timeout_s:.0f} s")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    printed = log.read_text(encoding="utf-8", errors="replace")
    seconds = time.monotonic() - started
    outputs = outputs_of(printed)
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
    return PageRun(outputs, seconds)
