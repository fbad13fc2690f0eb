"""Finding repeated ids in a stream in bounded memory: hashes spilled to disk by bucket.

Each id's 64-bit hash goes to one of 256 buckets (by its top byte); a bucket's buffer is
appended to its own temporary file when it fills. At the end each bucket is read back and
sorted on its own, and hashes that occur twice are reported. Memory is the buffers (256 x 4 KiB)
plus one bucket at a time (1/256 of 8 bytes per id: about 30 KB for a million ids); the disk
holds 8 bytes per id until the check ends. Equal hashes are only candidates: the caller
compares the ids themselves to name the lines.
"""

from __future__ import annotations

import tempfile
from array import array
from pathlib import Path

_BUCKET_BITS = 8
_BUFFERED = 512  # hashes per bucket held in memory before they go to disk


class DuplicateHashes:
    """Collect 64-bit hashes with :meth:`add`; :meth:`repeated` gives those seen twice."""

    def __init__(self) -> None:
        """Nothing touches the disk until a bucket's buffer fills."""
        self._buffers = [array("Q") for _ in range(1 << _BUCKET_BITS)]
        self._folder: tempfile.TemporaryDirectory[str] | None = None

    def _spill(self, bucket: int) -> None:
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="embedshift-ids-")
        with (Path(self._folder.name) / f"{bucket:03d}").open("ab") as handle:
            self._buffers[bucket].tofile(handle)
        del self._buffers[bucket][:]

    def add(self, value: int) -> None:
        """Note one hash."""
        bucket = value >> (64 - _BUCKET_BITS)
        buffer = self._buffers[bucket]
        buffer.append(value)
        if len(buffer) >= _BUFFERED:
            self._spill(bucket)

    def repeated(self) -> set[int]:
        """The hashes added more than once; removes the temporary files."""
        import numpy as np

        found: set[int] = set()
        try:
            for bucket, buffer in enumerate(self._buffers):
                values = np.frombuffer(buffer.tobytes(), dtype=np.uint64)
                if self._folder is not None:
                    spilled = Path(self._folder.name) / f"{bucket:03d}"
                    if spilled.exists():
                        values = np.concatenate([np.fromfile(spilled, dtype=np.uint64), values])
                values = np.sort(values)
                found.update(values[1:][values[1:] == values[:-1]].tolist())
        finally:
            if self._folder is not None:
                self._folder.cleanup()
                self._folder = None
        return found
