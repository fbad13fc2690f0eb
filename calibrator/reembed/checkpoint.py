"""The re-embed checkpoint: how far the durable output goes, and which command made it.

A checkpoint is a small JSON document replaced atomically (:mod:`.durable`). It records

* ``fingerprint``: every option that changes what the output holds (the source's size and
  SHA-256, model, API base, batch size, template, input type, dimensions, format, shard,
  output path). Resuming with any of them different is a :class:`ResumeError` naming the
  option, because mixing two models' vectors in one file would be silent corruption;
* ``records_done``: how many of the shard's chunks (in source order) are in the output or in
  the failed-items file;
* ``lengths``: the byte length of each output file (by name) at that point. On resume each
  file is cut back to its length, which removes anything written after the checkpoint
  (including a line torn by a crash) so the run continues exactly after the last
  checkpointed chunk.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from calibrator.reembed.errors import ResumeError
from proxy.files import write_atomic

VERSION = 1
SOURCE_KEY = "source"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One durable state of a run (see the module docstring)."""

    fingerprint: dict[str, str]
    records_done: int = 0
    lengths: dict[str, int] = field(default_factory=dict)
    dimension: int | None = None
    embedded: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    complete: bool = False
    version: int = VERSION

    def to_bytes(self) -> bytes:
        """The JSON document."""
        return json.dumps(asdict(self), indent=1, sort_keys=True).encode() + b"\n"


def _checked(doc: Any, path: Path) -> Checkpoint:
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise ResumeError(f"{path} is not a version {VERSION} re-embed checkpoint")
    try:
        checkpoint = Checkpoint(**doc)
    except TypeError as e:
        raise ResumeError(f"{path} is not a re-embed checkpoint ({e})") from e
    ints = (checkpoint.records_done, checkpoint.embedded, checkpoint.failed)
    if not all(isinstance(n, int) and n >= 0 for n in (*ints, *checkpoint.lengths.values())):
        raise ResumeError(f"{path} holds negative or non-integer counts")
    return checkpoint


def load_checkpoint(path: Path) -> Checkpoint | None:
    """The checkpoint at ``path``, or None when there is none yet."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ResumeError(f"cannot read checkpoint {path}: {e.strerror}") from e
    try:
        doc = json.loads(raw)
    except ValueError as e:
        raise ResumeError(f"{path} is not valid JSON ({e}); delete it to start over") from e
    return _checked(doc, path)


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the checkpoint atomically and durably."""
    write_atomic(path, checkpoint.to_bytes())


def check_fingerprint(saved: dict[str, str], current: dict[str, str], path: Path) -> None:
    """Raise :class:`ResumeError` naming every option that differs from the saved run."""
    differences = []
    for key in sorted(saved.keys() | current.keys()):
        before, now = saved.get(key), current.get(key)
        if before == now:
            continue
        if key == SOURCE_KEY:
            differences.append(f"the source file changed ({before} then, {now} now)")
        else:
            differences.append(f"{key} was {before!r}, now {now!r}")
    if differences:
        raise ResumeError(
            f"checkpoint {path} belongs to a different command: "
            + "; ".join(differences)
            + ". Rerun with the same options to resume, or delete the checkpoint to start over."
        )
