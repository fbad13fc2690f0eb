"""Vectors of one model: documents and queries with their ids (precomputed or embedded).

A precomputed directory holds ``docs.npy`` and ``queries.npy`` (float rows, 2-D) beside
``doc_ids.txt`` and ``query_ids.txt`` (one id per line, row order), and optionally
``meta.json`` describing the model (as in the shared data folder). :func:`load_vectors` checks
shapes, ids and values and raises :class:`~calibrator.errors.InputError` naming the file.

Ids are strings. Collections whose ids collide are combined with :meth:`Vectors.namespaced`
and :func:`concat` (``scifact:123``, ``cranfield:123``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from calibrator.errors import InputError
from proxy.files import atomic_output

Matrix = npt.NDArray[np.float32]
FILES = ("docs.npy", "doc_ids.txt", "queries.npy", "query_ids.txt")


@dataclass(frozen=True)
class Vectors:
    """Document and query vectors of one model, rows in the order of their ids."""

    doc_ids: tuple[str, ...]
    docs: Matrix
    query_ids: tuple[str, ...]
    queries: Matrix
    source: str
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return int(self.docs.shape[1])

    def doc_rows(self) -> dict[str, int]:
        """Document id -> row."""
        return {doc_id: row for row, doc_id in enumerate(self.doc_ids)}

    def query_rows(self) -> dict[str, int]:
        """Query id -> row."""
        return {query_id: row for row, query_id in enumerate(self.query_ids)}

    def namespaced(self, prefix: str) -> Vectors:
        """The same vectors with every id written ``prefix:id``."""
        return Vectors(
            doc_ids=tuple(f"{prefix}:{i}" for i in self.doc_ids),
            docs=self.docs,
            query_ids=tuple(f"{prefix}:{i}" for i in self.query_ids),
            queries=self.queries,
            source=self.source,
            meta=self.meta,
        )


def concat(parts: Sequence[Vectors], source: str) -> Vectors:
    """One set from several of the same dimension; ids must stay unique (namespace first)."""
    if not parts:
        raise ValueError("concat needs at least one part")
    dims = {p.dim for p in parts}
    if len(dims) > 1:
        raise InputError(f"{source}: cannot combine vectors of dimensions {sorted(dims)}")
    combined = Vectors(
        doc_ids=tuple(i for p in parts for i in p.doc_ids),
        docs=np.concatenate([p.docs for p in parts]).astype(np.float32, copy=False),
        query_ids=tuple(i for p in parts for i in p.query_ids),
        queries=np.concatenate([p.queries for p in parts]).astype(np.float32, copy=False),
        source=source,
        meta=MappingProxyType({"parts": [dict(p.meta) for p in parts]}),
    )
    _unique(combined.doc_ids, source + " (documents)")
    _unique(combined.query_ids, source + " (queries)")
    return combined


def _unique(ids: Sequence[str], source: str) -> None:
    seen: dict[str, int] = {}
    for line, value in enumerate(ids, start=1):
        if value in seen:
            raise InputError(f"{source}:{line}: id {value!r} repeats line {seen[value]}")
        seen[value] = line


def _read_ids(path: Path) -> tuple[str, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise InputError(
            f"{path}: no such file (a vectors directory holds {', '.join(FILES)})"
        ) from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: cannot read: {e}") from e
    ids = text.split("\n")
    if ids and ids[-1] == "":
        ids.pop()
    for line, value in enumerate(ids, start=1):
        if not value.strip():
            raise InputError(f"{path}:{line}: empty id")
    _unique(ids, str(path))
    return tuple(ids)


def _read_matrix(path: Path, rows: int, ids_file: str) -> Matrix:
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError as e:
        raise InputError(
            f"{path}: no such file (a vectors directory holds {', '.join(FILES)})"
        ) from e
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: not a readable .npy array: {e}") from e
    if array.ndim != 2 or array.shape[1] == 0:
        raise InputError(f"{path}: must be a 2-D array of vectors, has shape {array.shape}")
    if not np.issubdtype(array.dtype, np.floating):
        raise InputError(f"{path}: must hold floats, holds {array.dtype}")
    if array.shape[0] != rows:
        raise InputError(f"{path}: has {array.shape[0]} rows but {ids_file} lists {rows} ids")
    matrix = np.ascontiguousarray(array, dtype=np.float32)
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise InputError(f"{path}: row {row} (line {row + 1} of {ids_file}) is not finite")
    return matrix


def load_vectors(directory: str | Path) -> Vectors:
    """Read and check a precomputed vectors directory (see the module docstring)."""
    d = Path(directory)
    if not d.is_dir():
        raise InputError(f"{d}: not a directory (a vectors directory holds {', '.join(FILES)})")
    doc_ids = _read_ids(d / "doc_ids.txt")
    query_ids = _read_ids(d / "query_ids.txt")
    docs = _read_matrix(d / "docs.npy", len(doc_ids), "doc_ids.txt")
    queries = _read_matrix(d / "queries.npy", len(query_ids), "query_ids.txt")
    if docs.shape[1] != queries.shape[1]:
        raise InputError(
            f"{d}: docs.npy has dimension {docs.shape[1]} but queries.npy {queries.shape[1]}"
        )
    meta: dict[str, Any] = {}
    meta_path = d / "meta.json"
    if meta_path.exists():
        try:
            loaded = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{meta_path}: not valid JSON: {e}") from e
        if not isinstance(loaded, dict):
            raise InputError(f"{meta_path}: must be a JSON object")
        meta = loaded
    return Vectors(doc_ids, docs, query_ids, queries, str(d), MappingProxyType(meta))


def save_vectors(vectors: Vectors, directory: str | Path) -> None:
    """Write ``vectors`` as a precomputed directory (each file whole: :mod:`proxy.files`)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)

    def put(name: str, write: Any) -> None:
        with atomic_output(d / name) as f:
            write(f)

    put("docs.npy", lambda f: np.save(f, vectors.docs))
    put("queries.npy", lambda f: np.save(f, vectors.queries))
    put("doc_ids.txt", lambda f: f.write("".join(i + "\n" for i in vectors.doc_ids).encode()))
    put("query_ids.txt", lambda f: f.write("".join(i + "\n" for i in vectors.query_ids).encode()))
    put("meta.json", lambda f: f.write(json.dumps(dict(vectors.meta), indent=2).encode()))


def normalised(matrix: Matrix) -> Matrix:
    """A copy with unit-length rows (all-zero rows stay zero and score 0 with everything)."""
    out = np.array(matrix, dtype=np.float32, copy=True, order="C")
    norms = np.linalg.norm(out, axis=1)
    norms[norms == 0] = 1.0
    out /= norms[:, None]
    return out
