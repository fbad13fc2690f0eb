"""Labelled inputs: the eval set (JSONL or qrels TSV), the chunk sample, the doc segments.

Every loader reads the whole file first and returns only when each line is valid: a bad line
raises :class:`~calibrator.errors.InputError` naming the file and the line, and nothing is
half-loaded. Ids are strings (JSON integers are accepted and turned into strings); blank lines
are skipped; keys a line does not need are ignored.

* Eval JSONL: ``{"query_id", "text"?, "relevant_ids": [...], "segment"?}`` per line. A query
  with no relevant ids is allowed: whatever it retrieves is noise (it counts against precision).
  ``segment`` defaults to ``"default"``. A query id is unique within its segment; two segments
  may share one (whether they can depends on their vectors: :mod:`calibrator.inputs.layout`).
* Qrels TSV: ``query_id<TAB>doc_id<TAB>relevance`` (BEIR) or ``query_id 0 doc_id relevance``
  (TREC), an optional header line; every listed pair is relevant unless ``min_relevance`` is
  given. Texts come from an optional ``{"id", "text"}`` JSONL of queries.
* Chunk sample JSONL: ``{"id", "text", "segment"?}`` (the texts the embeddings API path embeds).
* Doc segments TSV: ``doc_id<TAB>segment``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from calibrator.errors import InputError

DEFAULT_SEGMENT = "default"
_SEGMENT = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """One labelled query: its id, segment, relevant document ids, and where it was read."""

    query_id: str
    segment: str
    relevant_ids: tuple[str, ...]
    text: str | None
    source: str
    line: int

    @property
    def where(self) -> str:
        """``file:line`` of the query, for messages."""
        return f"{self.source}:{self.line}"


@dataclass(frozen=True, slots=True)
class EvalSet:
    """The labelled queries, in file order; (segment, query id) pairs are unique."""

    queries: tuple[LabelledQuery, ...]

    def segments(self) -> tuple[str, ...]:
        """The segment names present, sorted."""
        return tuple(sorted({q.segment for q in self.queries}))


@dataclass(frozen=True, slots=True)
class Chunk:
    """One document of the chunk sample."""

    id: str
    text: str
    segment: str
    line: int


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their numbers; unreadable files and bad UTF-8 are InputErrors."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as e:
        raise InputError(f"{path}: no such file") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from e
    for number, chunk in enumerate(raw.split(b"\n"), start=1):
        try:
            line = chunk.decode("utf-8").strip()
        except UnicodeDecodeError as e:
            raise InputError(f"{path}:{number}: not valid UTF-8 ({e.reason})") from e
        if line:
            yield number, line


def _object(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except ValueError as e:
        raise InputError(f"{path}:{number}: not valid JSON ({e})") from e
    if not isinstance(value, dict):
        raise InputError(f"{path}:{number}: must be a JSON object, got {type(value).__name__}")
    return value


def _id(value: Any, path: Path, number: int, key: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise InputError(f"{path}:{number}: {key} must be a non-empty string, got {value!r}")
    return value


def valid_segment(name: str) -> bool:
    """A segment name: 1-64 letters, digits or ``_.:-``."""
    return bool(_SEGMENT.match(name))


def _segment(value: Any, path: Path, number: int) -> str:
    if value is None:
        return DEFAULT_SEGMENT
    if not isinstance(value, str) or not _SEGMENT.match(value):
        raise InputError(
            f"{path}:{number}: segment must be 1-64 letters, digits or _.:-, got {value!r}"
        )
    return value


def _optional_text(value: Any, path: Path, number: int, key: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InputError(f"{path}:{number}: {key} must be a string, got {type(value).__name__}")
    return value


def _unique_ids(values: Any, path: Path, number: int) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise InputError(f"{path}:{number}: relevant_ids must be a list of ids")
    ids = [_id(v, path, number, f"relevant_ids[{i}]") for i, v in enumerate(values)]
    return tuple(dict.fromkeys(ids))


def load_eval_jsonl(path: str | Path) -> EvalSet:
    """Read an eval set in JSONL (see the module docstring)."""
    p = Path(path)
    queries: list[LabelledQuery] = []
    seen: dict[tuple[str, str], int] = {}  # (segment, query_id): line
    for number, line in _lines(p):
        doc = _object(p, number, line)
        if "query_id" not in doc:
            raise InputError(f"{p}:{number}: query_id is missing")
        if "relevant_ids" not in doc:
            raise InputError(f"{p}:{number}: relevant_ids is missing (use [] for none)")
        query_id = _id(doc["query_id"], p, number, "query_id")
        segment = _segment(doc.get("segment"), p, number)
        first = seen.setdefault((segment, query_id), number)
        if first != number:
            raise InputError(
                f"{p}:{number}: query_id {query_id!r} repeats line {first} (segment {segment!r})"
            )
        queries.append(
            LabelledQuery(
                query_id=query_id,
                segment=segment,
                relevant_ids=_unique_ids(doc["relevant_ids"], p, number),
                text=_optional_text(doc.get("text"), p, number, "text"),
                source=str(p),
                line=number,
            )
        )
    if not queries:
        raise InputError(f"{p}: has no labelled queries")
    return EvalSet(tuple(queries))


def _qrels_fields(line: str) -> list[str]:
    fields = line.split("\t")
    return fields if len(fields) in (3, 4) else line.split()


def load_qrels(
    path: str | Path,
    segment: str = DEFAULT_SEGMENT,
    queries_path: str | Path | None = None,
    min_relevance: int | None = None,
) -> EvalSet:
    """Read a qrels TSV as an eval set whose queries all belong to ``segment``.

    Queries appear in the order of their first qrels line. With ``queries_path`` (a JSONL of
    ``{"id", "text"}``) each query gets its text; a qrels query missing there is an error.
    """
    p = Path(path)
    if not _SEGMENT.match(segment):
        raise InputError(f"{p}: segment must be 1-64 letters, digits or _.:-, got {segment!r}")
    relevant: dict[str, list[str]] = {}
    first_line: dict[str, int] = {}
    for number, line in _lines(p):
        fields = _qrels_fields(line)
        if len(fields) not in (3, 4):
            raise InputError(
                f"{p}:{number}: expected query_id, doc_id, relevance separated by tabs "
                f"(or the 4 TREC columns), got {len(fields)} fields"
            )
        query_id, doc_id, grade = fields[0], fields[-2], fields[-1]
        try:
            relevance = int(grade)
        except ValueError as e:
            if number == 1 and not relevant:
                continue  # a header line such as "query-id corpus-id score"
            raise InputError(f"{p}:{number}: relevance must be an integer, got {grade!r}") from e
        first_line.setdefault(query_id, number)
        ids = relevant.setdefault(query_id, [])
        if min_relevance is None or relevance >= min_relevance:
            ids.append(doc_id)
    if not relevant:
        raise InputError(f"{p}: has no qrels lines")
    texts = load_query_texts(Path(queries_path)) if queries_path is not None else {}
    queries = []
    for query_id, ids in relevant.items():
        if queries_path is not None and query_id not in texts:
            raise InputError(
                f"{p}:{first_line[query_id]}: query {query_id!r} is not in {queries_path}"
            )
        queries.append(
            LabelledQuery(
                query_id=query_id,
                segment=segment,
                relevant_ids=tuple(dict.fromkeys(ids)),
                text=texts.get(query_id),
                source=str(p),
                line=first_line[query_id],
            )
        )
    return EvalSet(tuple(queries))


def load_query_texts(path: Path) -> dict[str, str]:
    """Read a JSONL of ``{"id", "text"}`` (the texts of qrels queries) into a mapping."""
    texts: dict[str, str] = {}
    for number, line in _lines(path):
        doc = _object(path, number, line)
        query_id = _id(doc.get("id"), path, number, "id")
        text = _optional_text(doc.get("text"), path, number, "text")
        if text is None:
            raise InputError(f"{path}:{number}: text is missing")
        texts[query_id] = text
    return texts


def merge(*sets: EvalSet) -> EvalSet:
    """One eval set from several files; a query id present in two files is an error."""
    seen: dict[str, LabelledQuery] = {}
    for eval_set in sets:
        for query in eval_set.queries:
            if query.query_id in seen:
                raise InputError(
                    f"{query.where}: query_id {query.query_id!r} is also at "
                    f"{seen[query.query_id].where}"
                )
            seen[query.query_id] = query
    return EvalSet(tuple(seen.values()))


def load_chunks(path: str | Path) -> tuple[Chunk, ...]:
    """Read a chunk sample in JSONL: ``{"id", "text", "segment"?}`` per line, ids unique."""
    p = Path(path)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for number, line in _lines(p):
        doc = _object(p, number, line)
        chunk_id = _id(doc.get("id"), p, number, "id")
        if chunk_id in seen:
            raise InputError(f"{p}:{number}: id {chunk_id!r} repeats line {seen[chunk_id]}")
        seen[chunk_id] = number
        text = _optional_text(doc.get("text"), p, number, "text")
        if text is None:
            raise InputError(f"{p}:{number}: text is missing")
        chunks.append(Chunk(chunk_id, text, _segment(doc.get("segment"), p, number), number))
    if not chunks:
        raise InputError(f"{p}: has no chunks")
    return tuple(chunks)


def load_doc_segments(path: str | Path) -> Mapping[str, str]:
    """Read ``doc_id<TAB>segment`` lines into a mapping; a repeated id is an error."""
    p = Path(path)
    segments: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, line in _lines(p):
        fields = line.split("\t")
        if len(fields) != 2:
            raise InputError(f"{p}:{number}: expected doc_id<TAB>segment, got {len(fields)} fields")
        doc_id, segment = fields[0].strip(), fields[1].strip()
        if not doc_id:
            raise InputError(f"{p}:{number}: doc_id is empty")
        if doc_id in segments:
            raise InputError(f"{p}:{number}: doc_id {doc_id!r} repeats line {lines[doc_id]}")
        segments[doc_id] = _segment(segment, p, number)
        lines[doc_id] = number
    if not segments:
        raise InputError(f"{p}: has no doc_id<TAB>segment lines")
    return MappingProxyType(segments)
