"""Files that are never seen half-written: embedshift's one way to write a file whole.

Every writer of both sides goes through here: the thresholds document and its versions, the
calibrator's status file and report, re-embedding's checkpoints, manifests and outputs, saved
vectors, the inventory's report. Each write is

1. a temporary file in the target's own directory (a rename across file systems is not
   atomic), named ``.<name>.<random>.tmp``;
2. written, flushed and fsynced, then given its mode (``0o600``, readable by its owner only,
   unless the caller asks for another: the sidecar and the calibrator run as one user in the
   shipped images and manifests; a deployment that splits them passes ``mode``);
3. renamed over the target with :func:`os.replace`, atomic on POSIX: a reader, or a process
   restarted after a crash, sees the old file or the new one, never a mix;
4. followed by an fsync of the directory, so that the rename itself survives a power cut.

When anything fails before the rename, the temporary file is removed and the target is left
as it was. :func:`create_exclusive` is the same write for a name that must not exist yet (a
published version number): it links instead of renaming, and says False when the name is
taken. :func:`create_private` creates a file that others write in place (SQLite's) with the
same private mode, before they open it. A target that is no regular file (``/dev/null``, a
pipe; :func:`is_special`) is written in place: renamed over, it would stop being a device.

May import: nothing of proxy (stdlib only).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

DEFAULT_MODE = 0o600


def fsync_dir(directory: str | Path) -> None:
    """Make renames, links and creations inside ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _temporary(path: Path, mode: int) -> Iterator[tuple[BinaryIO, Path]]:
    """A temporary file beside ``path``, fsynced and given ``mode`` when the block ends."""
    fd, raw = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(raw)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle, temporary
            handle.flush()
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def atomic_output(path: str | Path, *, mode: int = DEFAULT_MODE) -> Iterator[BinaryIO]:
    """Write ``path`` through a temporary file that replaces it only once complete.

    If the block raises, the temporary file is removed and ``path`` is left as it was. A
    ``path`` that is no regular file (``/dev/null``, ``/dev/stdout``, a named pipe) is written
    in place: replacing it would put a regular file where a device or a pipe was.
    """
    target = Path(path)
    if is_special(target):
        with target.open("wb") as direct:
            yield direct
        return
    with _temporary(target, mode) as (handle, temporary):
        yield handle
    try:
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)


def is_special(path: Path) -> bool:
    """Whether ``path`` exists as something other than a regular file or a folder."""
    try:
        kind = path.stat().st_mode  # through symlinks: /dev/stdout is one
    except OSError:
        return False
    return not stat.S_ISREG(kind) and not stat.S_ISDIR(kind)


def write_atomic(path: str | Path, data: bytes, *, mode: int = DEFAULT_MODE) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)


def create_exclusive(path: str | Path, data: bytes, *, mode: int = DEFAULT_MODE) -> bool:
    """Create ``path`` holding ``data``, whole, only if it does not exist; False if it does.

    The complete temporary file is hard-linked to ``path`` (which fails when the name is
    taken, so two writers never both get it); where hard links are not available, ``path``
    is created with ``O_EXCL`` and written in place.
    """
    target = Path(path)
    with _temporary(target, mode) as (handle, temporary):
        handle.write(data)
    try:
        os.link(temporary, target)
    except FileExistsError:
        return False
    except OSError:  # no hard links on this file system: exclusive create instead
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(target.parent)
    return True


def rename_durably(source: str | Path, target: str | Path) -> None:
    """Rename ``source`` to ``target`` (replacing it) and make the rename durable."""
    Path(source).replace(target)
    fsync_dir(Path(target).parent)


def create_private(path: str | Path, mode: int = DEFAULT_MODE) -> bool:
    """Create ``path`` empty with ``mode`` (and its folder) unless it exists; True if created.

    SQLite creates its files 0o644 (less the umask) and gives its journal the database's own
    mode: creating the database first keeps both private. An existing file keeps its mode (an
    operator's ``chmod`` is a choice).
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    os.close(fd)
    fsync_dir(target.parent)
    return True


def private_key(path: str | Path, size: int = 32) -> bytes:
    """The secret in ``path``, created (``size`` random bytes, mode 0o600) the first time."""
    target = Path(path)
    data = os.urandom(size)
    if create_exclusive(target, data, mode=0o600):
        return data
    secret = target.read_bytes()
    if len(secret) < 16:  # 128 bits at least
        msg = f"{target}: the secret is too short ({len(secret)} bytes): remove it to renew it"
        raise OSError(msg)
    return secret
