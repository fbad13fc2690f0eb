"""Publishing thresholds documents: atomic, versioned, never half-written.

``publish(build, path)`` finds the next version number (one more than any version beside
``path`` or in it), builds the document, checks that it reads back through the proxy's own
loader, and writes it twice, each time through a temp file that is fsynced and renamed:

* ``thresholds.v<N>.json``, created exclusively (``os.link`` of the temp file fails if another
  publisher took N first; then N+1 is tried), so concurrent publishers never share a number;
* ``thresholds.json``, replaced atomically: readers see the old document or the new one.

The newest ``keep`` version files are kept; older ones are removed. Any failure before the
final rename leaves ``thresholds.json`` byte-identical.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from calibrator.errors import PublishError
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


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform can open a directory
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _temp_file(directory: Path, name: str, data: bytes) -> Path:
    fd, raw = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.fchmod(fd, 0o644)  # mkstemp's 0600 would hide the document from a proxy run as another user
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return Path(raw)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: temp file, fsync, rename, fsync of the directory."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temp_file(path.parent, path.name, data)
        try:
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(path.parent)
    except OSError as e:
        raise PublishError(f"{path}: cannot write: {e.strerror or e}") from e


def write_json_atomic(path: Path, doc: Any) -> None:
    """:func:`write_atomic` of ``doc`` as indented JSON."""
    write_atomic(path, (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode())


def _claim(path: Path, tmp: Path, version: int) -> bool:
    """Create version file ``version`` from ``tmp``; False when it already exists."""
    target = version_path(path, version)
    try:
        os.link(tmp, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links here: exclusive create instead
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(tmp.read_bytes())
            f.flush()
            os.fsync(f.fileno())
    return True


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
            tmp = _temp_file(p.parent, p.name, text.encode())
            try:
                claimed = _claim(p, tmp, version)
            finally:
                tmp.unlink(missing_ok=True)
            if claimed:
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
