"""The manifest a finished re-embed run writes beside its output, for ``embedshift merge``.

``OUTPUT.manifest.json`` says which source (size, SHA-256) and shard the output covers, with
which model, format and dimension, how many chunks it holds and where refused chunks went.
It is written atomically once the output is final, so its presence means "this part is
complete".
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from calibrator.reembed.errors import MergeError
from proxy.files import write_atomic

VERSION = 1


@dataclass(frozen=True, slots=True)
class Manifest:
    """What one finished (shard) output holds."""

    source_size: int
    source_sha256: str
    shard: str
    model: str
    format: str
    dimension: int | None
    records: int
    failed: int
    failed_file: str | None  # relative to the output's folder unless absolute
    version: int = VERSION

    def write(self, path: Path) -> None:
        """Write atomically."""
        write_atomic(path, json.dumps(asdict(self), indent=1).encode() + b"\n")


def relative_to_output(path: Path, output: Path) -> str:
    """``path`` as the manifest stores it: relative to the output's folder."""
    return os.path.relpath(path.resolve(), output.resolve().parent)


def failed_file_of(manifest: Manifest, output: Path) -> Path | None:
    """The failed-items file a manifest names, found from the output's folder."""
    if manifest.failed_file is None:
        return None
    return output.parent / manifest.failed_file


def manifest_path(output: Path) -> Path:
    """``OUTPUT.manifest.json``."""
    return output.with_name(output.name + ".manifest.json")


def read_manifest(output: Path) -> Manifest:
    """The manifest of ``output``; a :class:`MergeError` when missing or unreadable."""
    path = manifest_path(output)
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError as e:
        raise MergeError(
            f"{path} is missing: {output} is not a finished re-embed output (run it to the end)"
        ) from e
    except (OSError, ValueError) as e:
        raise MergeError(f"cannot read {path}: {e}") from e
    if not isinstance(doc, dict) or doc.get("version") != VERSION:
        raise MergeError(f"{path} is not a version {VERSION} re-embed manifest")
    try:
        return Manifest(**doc)
    except TypeError as e:
        raise MergeError(f"{path} is not a re-embed manifest ({e})") from e
