"""The eval set resolved against a model's vectors, and the scored pairs of a set of queries.

:func:`resolve` turns ids into rows: each labelled query's vector row, the documents it is
scored against (all documents, or with doc segments those of its own segment) and its
relevant documents among them. Relevant ids that are not among those documents can never be
retrieved: they stay in ``n_relevant`` and count as misses.

:func:`build_pairs` joins the candidates (:mod:`calibrator.maths.candidates`) and the labelled pairs
into :class:`~calibrator.maths.sweep.Pairs` for a set of queries: a candidate that is relevant is
replaced by the directly scored labelled pair, and relevant documents that are not candidates
are added, so every scoreable relevant pair is there whatever its rank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.errors import InputError
from calibrator.inputs.labels import EvalSet, LabelledQuery
from calibrator.inputs.vectors import Vectors
from calibrator.maths.sweep import Pairs, make_pairs

Ints = npt.NDArray[np.int64]
ALL_DOCS = ""  # the doc group of every query when there are no doc segments


@dataclass(frozen=True)
class Resolved:
    """Labelled queries (eval order) as rows of one model's vectors."""

    queries: tuple[LabelledQuery, ...]
    query_rows: Ints
    groups: tuple[str, ...]
    group_docs: Mapping[str, Ints]
    relevant_rows: tuple[Ints, ...]
    n_relevant: Ints

    def scope(self, segment: str | None = None) -> Ints:
        """Indexes of the queries of ``segment`` (None: all)."""
        return np.array(
            [i for i, q in enumerate(self.queries) if segment is None or q.segment == segment],
            dtype=np.int64,
        )

    def in_group(self, scope: Ints) -> dict[str, list[int]]:
        """The queries of ``scope`` by doc group."""
        out: dict[str, list[int]] = {}
        for i in scope:
            out.setdefault(self.groups[i], []).append(int(i))
        return out


def _doc_groups(
    vectors: Vectors, doc_segments: Mapping[str, str] | None, source: str
) -> dict[str, Ints]:
    if doc_segments is None:
        return {ALL_DOCS: np.arange(len(vectors.doc_ids), dtype=np.int64)}
    rows: dict[str, list[int]] = {}
    for row, doc_id in enumerate(vectors.doc_ids):
        segment = doc_segments.get(doc_id)
        if segment is None:
            raise InputError(
                f"{source}: document {doc_id!r} (line {row + 1} of {vectors.source}/doc_ids.txt) "
                "has no segment; list every document of the vectors"
            )
        rows.setdefault(segment, []).append(row)
    return {name: np.array(r, dtype=np.int64) for name, r in rows.items()}


def resolve(
    eval_set: EvalSet,
    vectors: Vectors,
    doc_segments: Mapping[str, str] | None = None,
    doc_segments_source: str = "doc segments",
) -> Resolved:
    """Rows for every labelled query; a query without a vector is an InputError at its line."""
    query_row = vectors.query_rows()
    wanted = {d for query in eval_set.queries for d in query.relevant_ids}
    doc_row = {d: row for row, d in enumerate(vectors.doc_ids) if d in wanted}  # as doc_rows()
    group_docs = _doc_groups(vectors, doc_segments, doc_segments_source)
    members = (  # without doc segments every document is in the one group
        None if doc_segments is None else {n: set(r.tolist()) for n, r in group_docs.items()}
    )
    rows, groups, relevant = [], [], []
    for query in eval_set.queries:
        row = query_row.get(query.query_id)
        if row is None:
            raise InputError(
                f"{query.where}: query {query.query_id!r} has no vector in "
                f"{vectors.source} (query_ids.txt)"
            )
        group = ALL_DOCS if doc_segments is None else query.segment
        if group not in group_docs:
            raise InputError(
                f"{query.where}: segment {query.segment!r} has no documents in "
                f"{doc_segments_source}"
            )
        found = [doc_row.get(d) for d in query.relevant_ids]
        mine = sorted(
            {r for r in found if r is not None and (members is None or r in members[group])}
        )
        rows.append(row)
        groups.append(group)
        relevant.append(np.array(mine, dtype=np.int64))
    return Resolved(
        queries=eval_set.queries,
        query_rows=np.array(rows, dtype=np.int64),
        groups=tuple(groups),
        group_docs=group_docs,
        relevant_rows=tuple(relevant),
        n_relevant=np.array([len(q.relevant_ids) for q in eval_set.queries], dtype=np.int64),
    )


def relevant_pairs(resolved: Resolved) -> tuple[Ints, Ints]:
    """Every scoreable labelled pair as (query index, document row)."""
    queries = np.repeat(
        np.arange(len(resolved.queries)), [len(r) for r in resolved.relevant_rows]
    ).astype(np.int64)
    docs = (
        np.concatenate(resolved.relevant_rows).astype(np.int64)
        if resolved.relevant_rows
        else np.zeros(0, np.int64)
    )
    return queries, docs


def query_pairs(
    docs: Ints,
    scores: npt.NDArray[np.float32],
    relevant: Ints,
    relevant_scores: npt.NDArray[np.float32],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """One query's scored pairs: its candidates, with the relevant ones scored directly.

    A candidate that is relevant is replaced by its labelled pair (scored directly, whatever
    its rank); relevant documents that are not candidates are added the same way.
    """
    kept = scores[~(docs[:, None] == relevant[None, :]).any(axis=1)]
    values = np.concatenate([kept.astype(np.float64), relevant_scores.astype(np.float64)])
    labels = np.zeros(len(values), dtype=np.bool_)
    labels[len(kept) :] = True
    return values, labels


def build_pairs(
    resolved: Resolved,
    parts: Mapping[int, tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]],
    floors: npt.NDArray[np.float64],
    scope: Ints,
) -> Pairs:
    """The scored pairs of the queries in ``scope``, from each one's :func:`query_pairs`."""
    sizes = [len(parts[int(q)][0]) for q in scope]
    local = np.repeat(np.arange(len(scope), dtype=np.int64), sizes)
    if not sizes or sum(sizes) == 0:
        empty = np.zeros(0)
        return make_pairs(
            local, empty, empty.astype(np.bool_), resolved.n_relevant[scope], floors[scope]
        )
    return make_pairs(
        local,
        np.concatenate([parts[int(q)][0] for q in scope]),
        np.concatenate([parts[int(q)][1] for q in scope]),
        resolved.n_relevant[scope],
        floors[scope],
    )


def sample_irrelevant(
    resolved: Resolved, scope: Ints, size: int, seed: int = 0
) -> tuple[Ints, Ints]:
    """About ``size`` uniformly drawn (query index, document row) pairs that are not relevant."""
    if len(scope) == 0 or size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rng = np.random.default_rng(seed)
    queries = scope[rng.integers(0, len(scope), size)]
    docs = np.empty(size, dtype=np.int64)
    for group in {resolved.groups[q] for q in scope}:
        mask = np.array([resolved.groups[q] == group for q in queries])
        pool = resolved.group_docs[group]
        docs[mask] = pool[rng.integers(0, len(pool), int(mask.sum()))]
    relevant = {(int(q), int(d)) for q in scope for d in resolved.relevant_rows[q]}
    keep = np.array([(int(q), int(d)) not in relevant for q, d in zip(queries, docs, strict=True)])
    return queries[keep], docs[keep]


@dataclass(frozen=True)
class SameSample:
    """Where the labelled queries and the documents sit in a second model's vectors."""

    query_rows: Ints
    doc_map: Ints  # row in the first model's documents -> row in the second's


def resolve_same_sample(resolved: Resolved, first: Vectors, second: Vectors) -> SameSample:
    """Rows of the same sample in ``second``; anything missing there is an InputError."""
    query_row = second.query_rows()
    rows = []
    for query in resolved.queries:
        row = query_row.get(query.query_id)
        if row is None:
            raise InputError(
                f"{query.where}: query {query.query_id!r} has no vector in {second.source} "
                "(the old vectors must cover the same sample)"
            )
        rows.append(row)
    if second.doc_ids == first.doc_ids:  # the same documents in the same order (the usual)
        return SameSample(np.array(rows, dtype=np.int64), np.arange(len(first.doc_ids)))
    doc_row = second.doc_rows()
    doc_map = np.empty(len(first.doc_ids), dtype=np.int64)
    for i, doc_id in enumerate(first.doc_ids):
        row = doc_row.get(doc_id)
        if row is None:
            raise InputError(
                f"{second.source}: has no vector for document {doc_id!r} of {first.source} "
                "(the old vectors must cover the same sample)"
            )
        doc_map[i] = row
    return SameSample(np.array(rows, dtype=np.int64), doc_map)
