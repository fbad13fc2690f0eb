"""The lock workers take in turn: held by one process, another cannot take it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import textwrap

from tests.support.locks import worker_lock

TRY = textwrap.dedent(
    """
    import fcntl, sys
    with open(sys.argv[1], "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.exit(3)
    """
)


def _other_process_takes(name: str) -> bool:
    path = f"{tempfile.gettempdir()}/embedshift-tests-{name}.lock"
    done = subprocess.run([sys.executable, "-c", TRY, path], check=False, timeout=30)
    return done.returncode == 0


def test_another_process_waits_while_the_lock_is_held():
    """Inside the block another process cannot take the lock; after it, it can."""
    with worker_lock("self-test"):
        assert not _other_process_takes("self-test")
    assert _other_process_takes("self-test")
