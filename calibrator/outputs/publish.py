"""Publishing thresholds documents: atomic, versioned, never half-written.

``publish(build, path)`` finds the next version number (one more than any version beside
``path`` or in it), builds the document, checks that it reads back through the proxy's own
loader, and writes it twice, each time whole (:mod:`proxy.files`: temp file, fsync, rename or
link, fsync of the directory):

* ``thresholds.v<N>.json``, created exclusively (:func:`proxy.files.create_exclusive` fails if
  another publisher took N first; then N+1 is tried), so concurrent publishers never share a
  number;
* ``thresholds.json``, replaced atomically: readers see the old document or the new one.

The newest ``keep`` version files are kept; older ones are removed. Any failure before the
final rename leaves ``thresholds.json`` byte-identical.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calibrator.errors import PublishError
from proxy import files
from proxy.errors import ThresholdsError
from proxy.thresholds.document import (
    ThresholdsDocument,
    dump_thresholds,
    load_thresholds,
    parse_thresholds,
)

_ATTEMPTS = 100


def version_path(path: Path, version: int) -> Path:
    """``thresholds.json`` -> ``thresholds.v7.json``."""
    return path.with_name(f"{path.stem}.v{version}{path.suffix}")


def versions(path: Path) -> dict[int, Path]:
    """The version files beside ``path``, by version number."""
    pattern = re.compile(rf"^{re.escape(path.stem)}\.v(\d+){re.escape(path.suffix)}$")
    found: dict[int, Path] = {}
    if path.parent.is_dir():
        for entry in path.parent.iterdir():
            match = pattern.match(entry.name)
            if match:
                found[int(match.group(1))] = entry
    return found


def current(path: Path) -> ThresholdsDocument | None:
    """The document in force at ``path``; None when there is none or it does not validate."""
    if not path.exists():
        return None
    try:
        return load_thresholds(path)
    except ThresholdsError:
        return None


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` (:func:`proxy.files.write_atomic`); PublishError if not."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        files.write_atomic(path, data)
    except OSError as e:
        raise PublishError(f"{path}: cannot write: {e.strerror or e}") from e


def write_json_atomic(path: Path, doc: Any) -> None:
    """:func:`write_atomic` of ``doc`` as indented JSON."""
    write_atomic(path, (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode())


def publish(
    build: Callable[[int], ThresholdsDocument], path: str | Path, keep: int = 20
) -> ThresholdsDocument:
    """Build version N+1 with ``build(N+1)`` and publish it at ``path`` (module docstring)."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        in_force = current(p)
        start = max([0, *versions(p), in_force.version if in_force else 0]) + 1
        for version in range(start, start + _ATTEMPTS):
            doc = build(version)
            text = dump_thresholds(doc)
            parse_thresholds(text, f"{p} (version {version}, before publishing)")
            if files.create_exclusive(version_path(p, version), text.encode()):
                write_atomic(p, text.encode())
                _prune(p, keep)
                return doc
    except OSError as e:
        raise PublishError(f"{p}: cannot publish: {e.strerror or e}") from e
    raise PublishError(f"{p}: could not claim a version number after {_ATTEMPTS} tries")


def _prune(path: Path, keep: int) -> None:
    if keep <= 0:
        return
    for _, file in sorted(versions(path).items())[:-keep]:
        file.unlink(missing_ok=True)
