"""Fingerprints: which model the thresholds belong to, and what they were calibrated on.

* A model's fingerprint hashes what decides its scores: for precomputed vectors the
  directory's ``meta.json`` and the dimension; for an embeddings API the base URL, model,
  dimension, input types and text templates. Thresholds are only valid for the fingerprint
  they carry.
* The inputs' fingerprint hashes the model's fingerprint, every input file's bytes and the
  settings: the worker recalibrates only when it changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from calibrator.errors import InputError
from calibrator.inputs.vectors import FILES, Vectors
from proxy.thresholds.document import ModelInfo

_READ = 1 << 20


def digest(doc: Any) -> str:
    """``sha256:<hex>`` of ``doc`` as canonical JSON."""
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def file_digest(path: str | Path) -> str:
    """``sha256:<hex>`` of a file's bytes."""
    h = hashlib.sha256()
    try:
        with Path(path).open("rb") as f:
            while block := f.read(_READ):
                h.update(block)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from e
    return "sha256:" + h.hexdigest()


def precomputed_model(vectors: Vectors) -> ModelInfo:
    """The model of precomputed vectors: named by ``meta.json``'s ``model`` if present."""
    return _precomputed(dict(vectors.meta), vectors.dim, vectors.source)


def precomputed_model_of(directory: str | Path) -> ModelInfo:
    """:func:`precomputed_model` read from a directory without loading its arrays."""
    d = Path(directory)
    try:
        dim = int(np.load(d / "docs.npy", mmap_mode="r", allow_pickle=False).shape[1])
        meta_path = d / "meta.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
    except (OSError, ValueError, IndexError) as e:
        raise InputError(f"{d}: cannot read the vectors directory: {e}") from e
    return _precomputed(meta if isinstance(meta, dict) else {}, dim, str(d))


def _precomputed(meta: dict[str, Any], dim: int, source: str) -> ModelInfo:
    name = str(meta.get("model") or Path(source).name)
    details = {"source": "precomputed", "vectors": source, "dim": dim}
    return ModelInfo(name, digest({"meta": meta, "dim": dim}), details)


def api_model(settings: Mapping[str, Any]) -> ModelInfo:
    """The model behind an embeddings API; ``settings`` holds what decides its vectors.

    Expected keys: ``base_url``, ``model``, ``dimension``, ``query_template``,
    ``document_template``, ``query_input_type``, ``document_input_type`` (no secrets).
    """
    details = {"source": "api", **dict(settings)}
    return ModelInfo(str(settings["model"]), digest(dict(settings)), details)


def vectors_files(directory: str | Path) -> list[Path]:
    """The files of a precomputed directory that hold data (and meta.json when present)."""
    d = Path(directory)
    files = [d / name for name in FILES]
    if (d / "meta.json").exists():
        files.append(d / "meta.json")
    return files


def inputs_fingerprint(files: Iterable[str | Path], extra: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs' record for the document: each file's digest and one overall fingerprint."""
    digests = {str(f): file_digest(f) for f in files}
    return {"files": digests, "fingerprint": digest({"files": digests, **dict(extra)})}
