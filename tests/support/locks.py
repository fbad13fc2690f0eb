"""A lock that pytest-xdist workers (separate processes) take in turn.

``scripts/check`` spreads test files over workers (``--dist loadfile``). A few resources are
shared between files: the docs' fixed loopback ports (8080, 9464, 9465, 7998, bound by the
pages' own commands) and the named collections that session fixtures load into Chroma and
Typesense. Whoever uses one takes its lock first, so that two workers never bind the same port
or reload a collection another is searching.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def worker_lock(name: str) -> Iterator[None]:
    """Hold the lock ``name`` (a file in the temporary folder) for the block's duration."""
    path = Path(tempfile.gettempdir()) / f"embedshift-tests-{name}.lock"
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
