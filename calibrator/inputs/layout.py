"""Where a run's labelled queries and vectors are: files per segment, joined into one sample.

Real collections arrive as several files: a qrels file per split (SciFact's train and test),
a queries file per qrels file, a vectors folder per collection, and ids that repeat across
collections (Cranfield's documents 1..1400 and queries 1..225, SciFact's own). A
:class:`Layout` names them per segment and :func:`load_labels` / :func:`load_layout_vectors`
join them:

* every labelled file is kept: several qrels files of one segment add up (a query listed in
  two of them has the union of their relevant ids); an eval JSONL carries its own segments;
  a query id that two segments share is an error while they share one vectors folder (the
  folder has one row for it), and no error when each segment has its own folder;
* ``--vectors SEGMENT=DIR`` (one folder per segment) makes each segment its own id space:
  query and document ids are read as ``segment:id`` inside the run (messages show them so),
  and each segment's queries are scored against its own folder's documents only, as separate
  collections are (no ``--doc-segments`` file needed). ``--old-vectors`` follows the same
  form. One ``--vectors DIR`` for every segment keeps ids as they are.

Texts (needed only when the eval queries are embedded through the API) come from
``--queries [SEGMENT=]FILE``: a segment's qrels queries are looked up in its own queries
files, then in those given without a segment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from calibrator.errors import InputError
from calibrator.inputs.labels import (
    EvalSet,
    LabelledQuery,
    load_doc_segments,
    load_eval_jsonl,
    load_qrels,
    load_query_texts,
)
from calibrator.inputs.vectors import Vectors, concat, load_vectors

Named = tuple[tuple[str, Path], ...]  # (segment, file), in the order given


@dataclass(frozen=True)
class Layout:
    """The labelled files and vector folders of a run (see the module docstring)."""

    eval_files: tuple[Path, ...] = ()
    qrels: Named = ()
    queries: tuple[tuple[str | None, Path], ...] = ()
    vectors: Path | None = None
    segment_vectors: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    old_vectors: Path | None = None
    old_segment_vectors: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    doc_segments: Path | None = None

    @property
    def per_segment(self) -> bool:
        """Each segment has its own vectors folder (and id space)."""
        return bool(self.segment_vectors)

    def check(self) -> None:
        """Refuse mixed forms (one folder for all and folders per segment) with a clear error."""
        if self.vectors is not None and self.segment_vectors:
            raise InputError(
                "give either one --vectors DIR for every segment or --vectors SEGMENT=DIR for "
                "each segment, not both"
            )
        if self.old_vectors is not None and self.old_segment_vectors:
            raise InputError(
                "give either one --old-vectors DIR or --old-vectors SEGMENT=DIR per segment, "
                "not both"
            )
        if self.per_segment and self.doc_segments is not None:
            raise InputError(
                "--doc-segments is for one vectors folder shared by segments; with "
                "--vectors SEGMENT=DIR each folder's documents are its segment's"
            )
        old_given = self.old_vectors is not None or bool(self.old_segment_vectors)
        if old_given and bool(self.old_segment_vectors) != self.per_segment:
            raise InputError(
                "--old-vectors must take the form of --vectors: SEGMENT=DIR for each segment, "
                "or one DIR for all"
            )
        if self.old_segment_vectors and set(self.old_segment_vectors) != set(self.segment_vectors):
            raise InputError(
                f"--old-vectors names segments {sorted(self.old_segment_vectors)} but --vectors "
                f"names {sorted(self.segment_vectors)}: give both models' folders for each"
            )


def _texts(layout: Layout, segment: str) -> list[Path]:
    own = [p for s, p in layout.queries if s == segment]
    return own + [p for s, p in layout.queries if s is None]


def _with_texts(eval_set: EvalSet, files: list[Path]) -> EvalSet:
    """The qrels queries with their texts from ``files`` (a query missing from all: error)."""
    if not files:
        return eval_set
    texts: dict[str, str] = {}
    for path in reversed(files):  # the first file given wins
        texts.update(load_query_texts(path))
    out = []
    for q in eval_set.queries:
        text = texts.get(q.query_id)
        if text is None:
            names = ", ".join(str(p) for p in files)
            raise InputError(f"{q.where}: query {q.query_id!r} is not in {names}")
        out.append(_replace_query(q, text=text))
    return EvalSet(tuple(out))


def _replace_query(
    q: LabelledQuery, *, text: str | None = None, prefix: str | None = None
) -> LabelledQuery:
    return LabelledQuery(
        query_id=q.query_id if prefix is None else f"{prefix}:{q.query_id}",
        segment=q.segment,
        relevant_ids=q.relevant_ids
        if prefix is None
        else tuple(f"{prefix}:{d}" for d in q.relevant_ids),
        text=q.text if text is None else text,
        source=q.source,
        line=q.line,
    )


def combine(sets: list[EvalSet], per_segment: bool) -> EvalSet:
    """One eval set from several files (see the module docstring for duplicates)."""
    by_key: dict[tuple[str, str], LabelledQuery] = {}
    owner: dict[str, LabelledQuery] = {}
    for eval_set in sets:
        for q in eval_set.queries:
            key = (q.segment, q.query_id)
            seen = by_key.get(key)
            if seen is not None:  # the same query in two files of its segment: both count
                ids = tuple(dict.fromkeys((*seen.relevant_ids, *q.relevant_ids)))
                by_key[key] = LabelledQuery(
                    seen.query_id, seen.segment, ids, seen.text or q.text, seen.source, seen.line
                )
                continue
            other = owner.get(q.query_id)
            if other is not None and not per_segment:
                raise InputError(
                    f"{q.where}: query_id {q.query_id!r} of segment {q.segment!r} is also at "
                    f"{other.where} (segment {other.segment!r}) and both segments share one "
                    "vectors folder; give each segment its own: --vectors SEGMENT=DIR"
                )
            owner.setdefault(q.query_id, q)
            by_key[key] = q
    return EvalSet(tuple(by_key.values()))


def _qrels_sets(layout: Layout, files: Named) -> list[EvalSet]:
    return [_with_texts(load_qrels(p, segment), _texts(layout, segment)) for segment, p in files]


def _namespaced(layout: Layout, eval_set: EvalSet) -> EvalSet:
    if not layout.per_segment:
        return eval_set
    return EvalSet(tuple(_replace_query(q, prefix=q.segment) for q in eval_set.queries))


def load_held_out(layout: Layout, files: Named) -> EvalSet:
    """Held-out qrels files (one segment each), read like the labelled ones."""
    joined = combine(_qrels_sets(layout, files), layout.per_segment)
    if layout.per_segment:
        missing = sorted({q.segment for q in joined.queries} - set(layout.segment_vectors))
        if missing:
            raise InputError(
                f"--holdout names segments {', '.join(missing)} that have no vectors folder"
            )
    return _namespaced(layout, joined)


def hold_out(eval_set: EvalSet, shares: Mapping[str, float], seed: int) -> tuple[EvalSet, EvalSet]:
    """``eval_set`` split into (kept, held out): ``shares[s]`` of segment s's queries held out.

    Which queries are held out depends on their ids and ``seed`` only (a hash), so a run
    repeated on the same labels holds out the same queries, and adding labels moves none.
    """
    held: set[tuple[str, str]] = set()
    for segment, share in shares.items():
        members = [q for q in eval_set.queries if q.segment == segment]
        if not members:
            raise InputError(f"--holdout {segment}={share:g}: segment {segment!r} has no queries")
        ranked = sorted(
            members,
            key=lambda q: hashlib.sha256(f"{seed}:{q.query_id}".encode()).hexdigest(),
        )
        held.update((q.segment, q.query_id) for q in ranked[: round(share * len(members))])
    kept = tuple(q for q in eval_set.queries if (q.segment, q.query_id) not in held)
    out = tuple(q for q in eval_set.queries if (q.segment, q.query_id) in held)
    return EvalSet(kept), EvalSet(out)


def disjoint(labelled: EvalSet, held_out: EvalSet) -> None:
    """Refuse a held-out query that is also labelled for calibration (it would check nothing)."""
    mine = {(q.segment, q.query_id): q for q in labelled.queries}
    for q in held_out.queries:
        other = mine.get((q.segment, q.query_id))
        if other is not None:
            raise InputError(
                f"{q.where}: held-out query {q.query_id!r} is also labelled for calibration at "
                f"{other.where}"
            )


def load_labels(layout: Layout) -> EvalSet:
    """Every labelled file of ``layout``, joined (ids namespaced with folders per segment)."""
    layout.check()
    sets = [load_eval_jsonl(p) for p in layout.eval_files]
    sets += _qrels_sets(layout, layout.qrels)
    if not sets:
        raise InputError("no labelled queries given (--eval or --qrels)")
    joined = combine(sets, layout.per_segment)
    if not layout.per_segment:
        return joined
    missing = sorted({q.segment for q in joined.queries} - set(layout.segment_vectors))
    if missing:
        raise InputError(
            f"segments {', '.join(missing)} have labelled queries but no vectors folder: add "
            + " ".join(f"--vectors {m}=DIR" for m in missing)
        )
    unlabelled = sorted(set(layout.segment_vectors) - {q.segment for q in joined.queries})
    if unlabelled:
        raise InputError(
            f"--vectors names segments {', '.join(unlabelled)} that have no labelled query "
            f"(labelled: {', '.join(joined.segments())})"
        )
    return _namespaced(layout, joined)


def load_folders(folders: Mapping[str, Path], source: str) -> Vectors:
    """Folders per segment as one set of vectors, every id written ``segment:id``."""
    parts = [load_vectors(folders[name]).namespaced(name) for name in sorted(folders)]
    return concat(parts, source)


def new_vectors(layout: Layout) -> tuple[Vectors, Mapping[str, str] | None]:
    """The new model's precomputed vectors and the segment of each of their documents.

    One folder, or one per segment (each document then belongs to its folder's segment);
    None for the segments: every document is a candidate for every query.
    """
    if layout.per_segment:
        parts = {
            name: load_vectors(layout.segment_vectors[name]).namespaced(name)
            for name in sorted(layout.segment_vectors)
        }
        segments = {d: name for name, part in parts.items() for d in part.doc_ids}
        return concat(list(parts.values()), "--vectors"), MappingProxyType(segments)
    if layout.vectors is None:
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")
    doc_segments = load_doc_segments(layout.doc_segments) if layout.doc_segments else None
    return load_vectors(layout.vectors), doc_segments


def old_vectors(layout: Layout) -> Vectors | None:
    """The old model's vectors in the same form as the new model's, if given."""
    if layout.old_segment_vectors:
        return load_folders(layout.old_segment_vectors, "--old-vectors")
    return load_vectors(layout.old_vectors) if layout.old_vectors is not None else None
