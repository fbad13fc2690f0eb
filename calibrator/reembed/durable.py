"""Files that are never seen half-written: temporary file, fsync, rename, fsync the directory.

``os.replace`` is atomic on POSIX file systems: a reader (or a process restarted after a
crash) sees the old file or the new one, never a mix. The fsync of the file before the rename
makes sure the new name never points at data still in the page cache when the power goes;
the fsync of the directory after it makes the rename itself durable.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def fsync_dir(path: Path) -> None:
    """Make renames and creations inside directory ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temporary_beside(path: Path) -> Path:
    """A temporary name in the same directory (a rename across file systems is not atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary file that replaces it only once complete.

    If the block raises, the temporary file is removed and ``path`` is left as it was.
    """
    temporary = temporary_beside(path)
    try:
        with temporary.open("wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    with atomic_output(path) as handle:
        handle.write(data)


def rename_durably(source: Path, target: Path) -> None:
    """Rename ``source`` to ``target`` (replacing it) and make the rename durable."""
    source.replace(target)
    fsync_dir(target.parent)
