"""proxy.files: a file is written whole or not at all, with the mode asked for."""

from __future__ import annotations

import os
import stat
import threading

import pytest

from proxy.files import atomic_output, create_exclusive, rename_durably, write_atomic


def _mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_write_atomic_replaces_the_file_and_leaves_no_temporary(tmp_path):
    """The target holds the new bytes, mode 0644 by default, and nothing else is left."""
    target = tmp_path / "doc.json"
    target.write_bytes(b"old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o600  # readable by its owner only (issue 17)
    assert list(tmp_path.iterdir()) == [target]


def test_the_mode_is_the_one_asked_for(tmp_path):
    """``mode`` is applied whatever the umask (a private file stays private)."""
    target = tmp_path / "secret"
    write_atomic(target, b"x", mode=0o600)
    assert _mode(target) == 0o600


def test_a_failed_write_keeps_the_old_file(tmp_path):
    """An exception inside the block leaves the previous file intact and no temporary file."""
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def write_then_fail():
        with atomic_output(target) as handle:
            handle.write(b"half")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]


def test_create_exclusive_never_overwrites(tmp_path):
    """The first writer of a name gets it whole; a second one is told False and changes nothing."""
    target = tmp_path / "thresholds.v1.json"
    assert create_exclusive(target, b"first") is True
    assert create_exclusive(target, b"second") is False
    assert target.read_bytes() == b"first"
    assert _mode(target) == 0o600  # readable by its owner only (issue 17)
    assert list(tmp_path.iterdir()) == [target]


def test_rename_durably_replaces_the_target(tmp_path):
    """A finished part file takes the output's name, replacing what was there."""
    part, output = tmp_path / "out.part", tmp_path / "out"
    part.write_bytes(b"done")
    output.write_bytes(b"stale")
    rename_durably(part, output)
    assert output.read_bytes() == b"done"
    assert not part.exists()


def test_a_named_pipe_is_written_in_place_not_replaced(tmp_path):
    """``-o /dev/stdout`` or a pipe stays what it is: written through, never renamed over.

    (A report written with ``-o /dev/null`` once replaced the machine's ``/dev/null`` with a
    regular file.)
    """
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()))
    reader.start()
    write_atomic(pipe, b"report")
    reader.join(timeout=10)
    assert got == [b"report"]
    assert stat.S_ISFIFO(pipe.stat().st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary left beside it
