"""``embedshift merge``: shard outputs back into one output, in source order, checked.

Each part must be a finished re-embed output (its manifest says so) made from this very
source (same size and SHA-256), by the same split (same N), model, format and dimension,
and the parts' shard indexes must be exactly ``0..N-1``. Then the source is read once more,
in order: each chunk's shard is computed from its id, and the next record of that shard's
part must be that chunk (or the chunk must be in that part's failed-items file). At the end
every part must be used up. So every source chunk is in the merged output exactly once (or
listed as refused), nothing else is, and the order is the source's. Parts are read as
streams (``.npy`` parts memory-mapped), and the merged file is written atomically: a
failed check leaves no output behind.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from calibrator.reembed.errors import BatchToolError, MergeError
from calibrator.reembed.manifest import (
    Manifest,
    failed_file_of,
    manifest_path,
    read_manifest,
    relative_to_output,
)
from calibrator.reembed.shard import Shard, shard_of
from calibrator.reembed.sinks import ids_path, npy_header
from calibrator.reembed.source import json_lines, read_chunks, validate_source
from proxy.files import atomic_output

_ID_PREFIX = b'{"id": '
_DECODER = json.JSONDecoder()
_ID_HEAD = 4096  # ids longer than this are read the slow way


@dataclass(frozen=True, slots=True)
class MergeSummary:
    """What the merge wrote."""

    records: int
    refused: int
    parts: int
    output: Path


def _line_id(raw: bytes) -> Any:
    """The id of an output line, read from its start when it is ours (id first)."""
    if raw.startswith(_ID_PREFIX):
        head = raw[: len(_ID_PREFIX) + _ID_HEAD].decode("utf-8", "ignore")
        try:
            return _DECODER.raw_decode(head, len(_ID_PREFIX))[0]
        except ValueError:
            pass
    doc = json.loads(raw)
    return doc["id"] if isinstance(doc, dict) else None


def _jsonl_records(path: Path) -> Iterator[tuple[str, bytes]]:
    with path.open("rb", buffering=1 << 20) as handle:
        for number, raw in enumerate(handle, 1):
            try:
                chunk_id = _line_id(raw)
            except (ValueError, KeyError) as e:
                raise MergeError(f"{path}:{number}: not a re-embed output line") from e
            if chunk_id is None:
                raise MergeError(f"{path}:{number}: not a re-embed output line")
            yield str(chunk_id), raw if raw.endswith(b"\n") else raw + b"\n"


def _npy_records(path: Path) -> Iterator[tuple[str, bytes]]:
    import numpy as np

    rows = np.load(path, mmap_mode="r")
    with ids_path(path).open("rb") as ids:
        for index, line in enumerate(ids):
            if index >= len(rows):
                raise MergeError(f"{ids_path(path)} lists more ids than {path} has rows")
            yield line.rstrip(b"\n").decode(), np.asarray(rows[index], dtype="<f4").tobytes()


def _failed_ids(manifest: Manifest, part: Path) -> set[str]:
    path = failed_file_of(manifest, part)
    if path is None:
        return set()
    found = {str(doc["id"]) for _, _, doc, _ in json_lines(path) if isinstance(doc, dict)}
    if len(found) != manifest.failed:
        raise MergeError(
            f"{path} lists {len(found)} refused chunks, its manifest {manifest.failed}"
        )
    return found


def _check_parts(parts: list[Path], size: int, sha256: str) -> tuple[dict[int, Path], Manifest]:
    by_index: dict[int, Path] = {}
    first: Manifest | None = None
    for part in parts:
        manifest = read_manifest(part)
        if (manifest.source_size, manifest.source_sha256) != (size, sha256):
            raise MergeError(f"{part} was made from another source file (or an older version)")
        shard = Shard.parse(manifest.shard, f"{manifest_path(part)} shard")
        if first is not None:
            for key in ("model", "format", "dimension"):
                if getattr(manifest, key) != getattr(first, key):
                    raise MergeError(
                        f"{part} has {key} {getattr(manifest, key)!r}, "
                        f"{by_index[min(by_index)]} has {getattr(first, key)!r}"
                    )
            if Shard.parse(first.shard).count != shard.count:
                raise MergeError(
                    f"{part} is shard {shard} but other parts split in "
                    f"{Shard.parse(first.shard).count}"
                )
        if shard.index in by_index:
            raise MergeError(f"{by_index[shard.index]} and {part} are both shard {shard}")
        by_index[shard.index] = part
        first = first or manifest
    if first is None:
        raise MergeError("no parts given")
    count = Shard.parse(first.shard).count
    missing = sorted(set(range(count)) - by_index.keys())
    if missing:
        raise MergeError(
            f"shard(s) {', '.join(str(i) for i in missing)} of {count} missing: "
            "every shard's output must be given"
        )
    return by_index, first


def _write_in_source_order(
    source: Path,
    by_index: dict[int, Path],
    streams: dict[int, Iterator[tuple[str, bytes]]],
    refused: dict[int, set[str]],
    out: BinaryIO,
    ids: BinaryIO | None,
) -> tuple[int, int]:
    """Copy each source chunk's record from its shard's part; (written, refused) counts."""
    count = len(by_index)
    written = skipped = 0
    for chunk in read_chunks(source):
        index = shard_of(chunk.key, count)
        if chunk.key in refused[index]:
            skipped += 1
            continue
        record = next(streams[index], None)
        if record is None or record[0] != chunk.key:
            found = "its end" if record is None else f"id {record[0]!r}"
            raise MergeError(
                f"{by_index[index]} should hold id {chunk.key!r} (source line {chunk.line}) "
                f"next but has {found}: rerun shard {index}/{count} to completion"
            )
        out.write(record[1])
        if ids is not None:
            ids.write(chunk.key.encode() + b"\n")
        written += 1
    for index, stream in streams.items():
        extra = next(stream, None)
        if extra is not None:
            raise MergeError(f"{by_index[index]} holds id {extra[0]!r}, which the source lacks")
    return written, skipped


def _merge_failed(manifests: dict[int, Manifest], by_index: dict[int, Path], output: Path) -> Path:
    failed_file = output.with_name(output.name + ".failed.jsonl")
    with atomic_output(failed_file) as merged:
        for index, manifest in sorted(manifests.items()):
            part_failed = failed_file_of(manifest, by_index[index])
            if part_failed is not None:
                merged.write(part_failed.read_bytes())
    return failed_file


def merge_parts(source: Path, parts: list[Path], output: Path) -> MergeSummary:
    """Merge ``parts`` into ``output`` (see the module docstring)."""
    summary = validate_source(source)
    by_index, first = _check_parts(parts, summary.size, summary.sha256)
    if (first.format == "npy") != (output.suffix == ".npy"):
        raise MergeError(f"the parts are {first.format}: --output must be a .{first.format} file")
    manifests = {i: read_manifest(p) for i, p in by_index.items()}
    refused = {i: _failed_ids(m, by_index[i]) for i, m in manifests.items()}
    total = sum(m.records for m in manifests.values())
    reader = _npy_records if first.format == "npy" else _jsonl_records
    streams = {i: reader(p) for i, p in by_index.items()}
    with ExitStack() as stack:
        out = stack.enter_context(atomic_output(output))
        ids = None
        if first.format == "npy":
            ids = stack.enter_context(atomic_output(ids_path(output)))
            out.write(npy_header(total, first.dimension or 0))
        written, skipped = _write_in_source_order(source, by_index, streams, refused, out, ids)
        if written != total:
            raise MergeError(f"the parts' manifests count {total} chunks but {written} were found")
    failed_file = _merge_failed(manifests, by_index, output) if skipped else None
    Manifest(
        source_size=summary.size,
        source_sha256=summary.sha256,
        shard="0/1",
        model=first.model,
        format=first.format,
        dimension=first.dimension,
        records=written,
        failed=skipped,
        failed_file=relative_to_output(failed_file, output) if failed_file else None,
    ).write(manifest_path(output))
    return MergeSummary(written, skipped, len(by_index), output)


def merge_command(args: argparse.Namespace) -> int:
    """``embedshift merge``: check the parts cover the source once; write them in order."""
    try:
        summary = merge_parts(args.source, list(args.parts), args.output)
    except OSError as e:
        raise BatchToolError(f"{e.filename or 'a file'}: {e.strerror or e}") from e
    refused = f"; {summary.refused:,} refused chunk(s) left out" if summary.refused else ""
    print(  # noqa: T201 - the command's output
        f"merged {summary.parts} parts: {summary.records:,} chunks in source order into "
        f"{summary.output}{refused}"
    )
    return 0
