"""The console blocks of a documentation page, run as written (docs/calibrate.md's runner).

A ``console`` block holds commands (lines starting with ``$ ``, a trailing backslash carrying
one on to the next line, a here-document (``<<'EOF'``) carrying it on to its end marker) and,
after each, the lines it printed. :func:`commands` finds them;
:func:`workspace` makes a folder where they run verbatim (``../shared/data`` beside it, the
project's ``.venv/bin`` first on PATH); :func:`run` runs one with bash there;
:func:`missing_lines` says which quoted lines the output lacks (each must appear, in order;
a ``...`` line skips; a run's duration, ``(6.7 s)``, is the one figure that may differ).
Used by tests/calibrator/test_calibrate_doc.py and scripts/readme_figures.py.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.config import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```(\w*)\s*$")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")
_DURATION = re.compile(r"\d+(?:\.\d+)? s\)")
FIGURE = re.compile(r"(?<![\w.])[+-]?\d+\.\d{4}(?![\d])")  # how the command prints figures


@dataclass(frozen=True)
class Command:
    """One command of a console block and the lines quoted as its output."""

    line: int  # of the ``$`` line in the page, 1-based
    text: str
    expected: tuple[str, ...]


def commands(page: Path) -> list[Command]:
    """Every command of the page's ``console`` blocks, in order."""
    found: list[Command] = []
    inside = False
    text: list[str] = []
    expected: list[str] = []
    start = 0
    continued = False
    until: str | None = None  # a here-document's end marker

    def close() -> None:
        if text:
            found.append(Command(start, "\n".join(text), tuple(expected)))

    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        fence = _FENCE.match(line)
        if fence and not inside:
            inside = fence.group(1) == "console"
            text, expected, continued = [], [], False
            continue
        if fence and inside:
            close()
            inside, text = False, []
            continue
        if not inside:
            continue
        if until is not None:
            text.append(line)
            until = None if line == until else until
            continue
        if continued:
            text.append(line)
        elif line.startswith("$ "):
            close()
            text, expected, start = [line[2:]], [], number
        else:
            expected.append(line)
        continued = bool(text) and line.endswith("\\") and not expected
        heredoc = _HEREDOC.search(line) if text and not expected else None
        until = heredoc.group(2) if heredoc else None
    return found


def prose(page: Path) -> str:
    """The page without its fenced blocks (what a reader reads as text)."""
    out, inside = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if _FENCE.match(line):
            inside = not inside
            continue
        if not inside:
            out.append(line)
    return "\n".join(out)


def workspace(root: Path) -> Path:
    """A working folder under ``root`` with ``../shared/data`` beside it, as in a checkout."""
    work = root / "checkout"
    work.mkdir(parents=True, exist_ok=True)
    shared = root / "shared"
    if not shared.exists():
        shared.symlink_to(SHARED_DATA.parent, target_is_directory=True)
    return work


def run(command: Command, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``command`` with bash in ``cwd``, the interpreter's bin folder first on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        ["bash", "-c", command.text],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def missing_lines(expected: tuple[str, ...], printed: str) -> list[str]:
    """The quoted lines not found in ``printed`` in order (durations aside); [] when all are."""
    lines = [_DURATION.sub("N s)", line.rstrip()) for line in printed.splitlines()]
    at = 0
    missing = []
    for quoted in expected:
        want = _DURATION.sub("N s)", quoted.rstrip())
        if want.strip() == "...":
            continue
        try:
            at = lines.index(want, at) + 1
        except ValueError:
            missing.append(quoted)
    return missing
