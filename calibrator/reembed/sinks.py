"""Where vectors go: append-only part files that a checkpoint can cut back, then finalised.

``--format jsonl`` appends ``{"id", "embedding", ...other source fields}`` lines to
``OUTPUT.part``; finalising renames it to ``OUTPUT``. ``--format npy`` appends raw
little-endian float32 rows to ``OUTPUT.f32.part`` and ids (one per line) to
``IDS.part``, where ``IDS`` is ``OUTPUT`` with ``.npy`` replaced by ``.ids.txt``;
finalising writes the ``.npy`` (header, then the rows copied in blocks: never the whole
array in memory) through a temporary file and renames the ids file.

Every part file is an :class:`AppendFile`: opened at the length the checkpoint recorded
(anything beyond, such as a line torn by a crash, is cut off), written through a buffer,
and fsynced by :meth:`AppendFile.sync`, which returns the durable length for the next
checkpoint. Finalising is idempotent, so a crash half-way through it is finished by a rerun.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO, Protocol

from calibrator.reembed.errors import ResumeError
from calibrator.reembed.source import Chunk
from proxy.files import atomic_output, rename_durably, write_atomic

_COPY_BLOCK = 8 << 20
_NPY_MAGIC = b"\x93NUMPY\x01\x00"


class AppendFile:
    """An append-only file whose durable length is tracked (see the module docstring)."""

    def __init__(self, path: Path) -> None:
        """Nothing is opened until :meth:`open` or the first write."""
        self.path = path
        self._handle: BinaryIO | None = None

    def open(self, length: int) -> None:
        """Open for appending at ``length`` bytes, cutting off anything beyond."""
        size = self.path.stat().st_size if self.path.exists() else 0
        if size < length:
            raise ResumeError(
                f"{self.path} holds {size} bytes but the checkpoint recorded {length}: it was "
                "changed or lost since; delete the checkpoint to start over"
            )
        if length == 0 and not self.path.exists():
            return  # created on first write
        handle = self.path.open("r+b")
        handle.truncate(length)
        handle.seek(length)
        self._handle = handle

    def write(self, data: bytes) -> None:
        """Append ``data`` (buffered: durable only after :meth:`sync`)."""
        if self._handle is None:
            self._handle = self.path.open("wb")
        self._handle.write(data)

    def sync(self) -> int:
        """Flush and fsync; the durable length in bytes."""
        if self._handle is None:
            return self.path.stat().st_size if self.path.exists() else 0
        self._handle.flush()
        os.fsync(self._handle.fileno())
        return self._handle.tell()

    def close(self) -> None:
        """Close the file (without syncing)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


class Sink(Protocol):
    """An output format."""

    parts: tuple[AppendFile, ...]
    finals: tuple[Path, ...]

    def append(self, chunks: Sequence[Chunk], vectors: Sequence[list[float]]) -> None:
        """Append one vector per chunk, in order."""

    def finalize(self, records: int, dimension: int | None) -> None:
        """Turn the complete part files into the final outputs (idempotent)."""


class JsonlSink:
    """``--format jsonl``: one ``{"id", "embedding", ...fields}`` line per chunk."""

    def __init__(self, output: Path) -> None:
        """Part file ``OUTPUT.part``, final ``OUTPUT``."""
        self.output = output
        self.part = AppendFile(output.with_name(output.name + ".part"))
        self.parts = (self.part,)
        self.finals = (output,)

    def append(self, chunks: Sequence[Chunk], vectors: Sequence[list[float]]) -> None:
        """Append a line per chunk."""
        lines = [
            json.dumps({"id": c.id, "embedding": v, **c.fields}, ensure_ascii=False)
            for c, v in zip(chunks, vectors, strict=True)
        ]
        if lines:
            self.part.write(("\n".join(lines) + "\n").encode())

    def finalize(self, records: int, dimension: int | None) -> None:  # noqa: ARG002
        """Rename the part file to the output."""
        self.part.close()
        if self.part.path.exists():
            rename_durably(self.part.path, self.output)
        elif records == 0:
            write_atomic(self.output, b"")
        elif not self.output.exists():
            raise ResumeError(f"neither {self.part.path} nor {self.output} exists")


def npy_header(rows: int, dimension: int) -> bytes:
    """A version 1.0 ``.npy`` header for a C-order little-endian float32 ``[rows, dimension]``.

    Magic, version, header length, then the header dict padded with spaces to a multiple of
    64 bytes and ended by a newline (the NumPy format specification, ``numpy.lib.format``).
    """
    text = f"{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {dimension}), }}"
    unpadded = len(_NPY_MAGIC) + 2 + len(text) + 1
    text += " " * (-unpadded % 64) + "\n"
    return _NPY_MAGIC + struct.pack("<H", len(text)) + text.encode("latin-1")


def ids_path(output: Path) -> Path:
    """The id file beside an ``.npy`` output: ``emb.npy`` -> ``emb.ids.txt``."""
    return output.with_name(output.name.removesuffix(".npy") + ".ids.txt")


class NpySink:
    """``--format npy``: a float32 ``[n, dim]`` array plus an id file, one id per line."""

    def __init__(self, output: Path) -> None:
        """Part files ``OUTPUT.f32.part`` and ``IDS.part``."""
        self.output = output
        self.ids = ids_path(output)
        self.raw = AppendFile(output.with_name(output.name + ".f32.part"))
        self.id_part = AppendFile(self.ids.with_name(self.ids.name + ".part"))
        self.parts = (self.raw, self.id_part)
        self.finals = (output, self.ids)

    def append(self, chunks: Sequence[Chunk], vectors: Sequence[list[float]]) -> None:
        """Append the rows and the ids."""
        rows = array("f")
        for vector in vectors:
            rows.extend(vector)
        if sys.byteorder != "little":
            rows.byteswap()
        self.raw.write(rows.tobytes())
        if chunks:
            self.id_part.write(("\n".join(c.key for c in chunks) + "\n").encode())

    def finalize(self, records: int, dimension: int | None) -> None:
        """Assemble the ``.npy`` from the raw rows, then rename the id file."""
        self.raw.close()
        self.id_part.close()
        dim = dimension or 0
        if self.raw.path.exists() or records == 0:
            size = self.raw.path.stat().st_size if self.raw.path.exists() else 0
            if size != records * dim * 4:
                raise ResumeError(f"{self.raw.path} holds {size} bytes, not {records}x{dim} rows")
            with atomic_output(self.output) as out:
                out.write(npy_header(records, dim))
                if size:
                    with self.raw.path.open("rb") as rows:
                        while block := rows.read(_COPY_BLOCK):
                            out.write(block)
            self.raw.path.unlink(missing_ok=True)
        elif not self.output.exists():
            raise ResumeError(f"neither {self.raw.path} nor {self.output} exists")
        if self.id_part.path.exists():
            rename_durably(self.id_part.path, self.ids)
        elif records == 0:
            write_atomic(self.ids, b"")
        elif not self.ids.exists():
            raise ResumeError(f"neither {self.id_part.path} nor {self.ids} exists")


def make_sink(fmt: str, output: Path) -> JsonlSink | NpySink:
    """The sink for ``--format``."""
    return NpySink(output) if fmt == "npy" else JsonlSink(output)
