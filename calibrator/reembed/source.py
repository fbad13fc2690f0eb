"""The source JSONL: one ``{"id": ..., "text": ..., ...}`` chunk per line, read as a stream.

:func:`validate_source` reads the whole file once before anything is paid for and reports
every problem it finds (bad JSON, no id, missing or empty text, duplicate ids), each as
``file:line: what``, up to a limit and then "and N more". It also fingerprints the file
(size and SHA-256) so a resumed run can tell that the source has not changed.

Duplicate ids are found without holding the ids: each id's 64-bit BLAKE2b hash goes to
:class:`~calibrator.reembed.duplicates.DuplicateHashes`, which spills them to disk by bucket,
so memory stays flat however long the file; only hashes seen twice send the reader back to
the file to name the lines. Ids are compared
as strings (``1`` and ``"1"`` are the same id) because that is how vector stores and the
``--format npy`` id file see them.

:func:`read_chunks` is the second, embedding pass: it yields :class:`Chunk` objects one at
a time, so memory does not grow with the file.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrator.reembed.duplicates import DuplicateHashes
from calibrator.reembed.errors import SourceError

MAX_PROBLEMS = 20
# Not carried into the output: the text (not wanted there) and an old "embedding" field,
# which would clash with the new one.
_NOT_CARRIED = frozenset({"id", "text", "embedding"})
_READ_BUFFER = 1 << 20


@dataclass(frozen=True, slots=True)
class Chunk:
    """One source line: its number, id, text, and the other fields (carried to the output).

    An ``embedding`` field in the source (the old vector, say) is not carried: the output's
    ``embedding`` is the new one.
    """

    line: int
    id: str | int
    text: str
    fields: dict[str, Any]

    @property
    def key(self) -> str:
        """The id as a string: what uniqueness, sharding and id files use."""
        return str(self.id)


@dataclass(frozen=True, slots=True)
class SourceSummary:
    """What the validation pass learnt: size, SHA-256, chunks and characters (all, selected)."""

    path: Path
    size: int
    sha256: str
    records: int
    chars: int
    selected: int
    selected_chars: int


def id_hash(key: str) -> int:
    """A stable 64-bit hash of an id (the same in every process and on every machine)."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "little")


class Problems:
    """Problems found in a file, kept up to a limit, counted beyond it."""

    def __init__(self, path: Path, limit: int = MAX_PROBLEMS) -> None:
        """Collect problems found in ``path``."""
        self.path = path
        self.limit = limit
        self.found: list[tuple[int, str]] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        """Note a problem on ``line``."""
        self.count += 1
        if len(self.found) < self.limit:
            self.found.append((line, message))

    def raise_if_any(self, what: str) -> None:
        """Raise :class:`SourceError` listing the problems, if there are any."""
        if not self.count:
            return
        lines = [f"  {self.path}:{line}: {message}" for line, message in sorted(self.found)]
        if self.count > len(self.found):
            lines.append(f"  and {self.count - len(self.found)} more")
        plural = "s" if self.count > 1 else ""
        raise SourceError(
            f"{self.path} has {self.count} problem{plural} ({what}):\n" + "\n".join(lines)
        )


def json_lines(path: Path) -> Iterator[tuple[int, bytes, Any, str | None]]:
    """``(line number, raw bytes, parsed value, problem)`` for each non-blank line."""
    try:
        handle = path.open("rb", buffering=_READ_BUFFER)
    except OSError as e:
        raise SourceError(f"cannot read {path}: {e.strerror}") from e
    with handle:
        for number, raw in enumerate(handle, 1):
            if not raw.strip():
                yield number, raw, None, None
                continue
            try:
                yield number, raw, json.loads(raw), None
            except ValueError as e:
                yield number, raw, None, f"not valid JSON ({e})"


def _id_problem(chunk_id: Any) -> str | None:
    if chunk_id is None:
        return "no 'id'"
    if isinstance(chunk_id, bool) or not isinstance(chunk_id, str | int):
        return f"'id' must be a string or an integer, got {type(chunk_id).__name__}"
    if isinstance(chunk_id, str) and (not chunk_id or "\n" in chunk_id):
        return "'id' must be a non-empty string without line breaks"
    return None


def chunk_problem(doc: Any) -> str | None:
    """Why a parsed line is not a valid chunk, or None."""
    if not isinstance(doc, dict):
        return "not a JSON object"
    id_problem = _id_problem(doc.get("id"))
    if id_problem is not None:
        return id_problem
    text = doc.get("text")
    if not isinstance(text, str):
        return "no 'text' string" if text is None else "'text' must be a string"
    if not text.strip():
        return "'text' is empty"
    return None


def _duplicate_lines(path: Path, twice: set[int], problems: Problems) -> None:
    if not twice:
        return
    first_line: dict[str, int] = {}
    for number, _raw, doc, problem in json_lines(path):
        if problem is not None or doc is None or chunk_problem(doc) is not None:
            continue
        key = str(doc["id"])
        if id_hash(key) not in twice:
            continue
        if key in first_line:
            problems.add(number, f"id {key!r} already used on line {first_line[key]}")
        else:
            first_line[key] = number


def validate_source(
    path: Path, select: Callable[[str], bool] | None = None, limit: int = MAX_PROBLEMS
) -> SourceSummary:
    """Check every line of ``path``; raise :class:`SourceError` listing what is wrong.

    ``select(id)`` picks the chunks counted in ``selected`` (a shard's, say).
    """
    problems = Problems(path, limit)
    digest = hashlib.sha256()
    hashes = DuplicateHashes()
    size = records = chars = selected = selected_chars = 0
    for number, raw, doc, bad_json in json_lines(path):
        digest.update(raw)
        size += len(raw)
        if bad_json is None and doc is None:
            continue  # a blank line
        problem = bad_json or chunk_problem(doc)
        if problem is not None:
            problems.add(number, problem)
            continue
        key = str(doc["id"])
        records += 1
        chars += len(doc["text"])
        hashes.add(id_hash(key))
        if select is None or select(key):
            selected += 1
            selected_chars += len(doc["text"])
    _duplicate_lines(path, hashes.repeated(), problems)
    problems.raise_if_any("nothing was sent to the embeddings API")
    return SourceSummary(path, size, digest.hexdigest(), records, chars, selected, selected_chars)


def read_chunks(path: Path) -> Iterator[Chunk]:
    """The chunks of a validated source, one at a time, in file order."""
    for number, _raw, doc, bad_json in json_lines(path):
        if bad_json is None and doc is None:
            continue
        problem = bad_json or chunk_problem(doc)
        if problem is not None:
            raise SourceError(f"{path}:{number}: {problem} (the file changed during the run)")
        fields = {k: v for k, v in doc.items() if k not in _NOT_CARRIED}
        yield Chunk(number, doc["id"], doc["text"], fields)
