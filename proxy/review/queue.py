"""The queries offered for review, blind: no side is named before the vote is kept.

From the divergent-examples store (:mod:`proxy.compare.examples`, most divergent first) the
queue takes, per segment, the ``[review].queries_per_segment`` most divergent *distinct*
queries (one query asked several times is kept once: :func:`item_key`). Each is shown to a
reviewer as two lists, ``left`` and ``right``; which one is the new index's is the reviewer's
:class:`~proxy.review.store.Assignment`, drawn at random by the store.

Blindness: an item holds neither scores (the two models' scales differ and would give the
side away) nor any word naming a side, until the reviewer's vote is kept; then its ``vote``
says which side was new. Ranks, ids and texts are the same kind of thing on both sides.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from proxy.review.store import Assignment, Offered


@dataclass(frozen=True, slots=True)
class Result:
    """One result of one side: its id and, when kept, its text."""

    id: str
    text: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A divergent query that people may judge: both sides' top k."""

    item: str
    segment: str
    route: str
    rbo: float
    overlap: float
    query: str | None
    old: tuple[Result, ...]
    new: tuple[Result, ...]

    @property
    def offered(self) -> Offered:
        """What the store keeps of it with an assignment."""
        return Offered(self.item, self.segment, self.route)


def item_key(
    route: str, segment: str, request_sha256: str, query_index: int, query: str | None
) -> str:
    """The query's identity for votes: one request (by its hash), one query of it, its text.

    The text counts because a request may carry it outside its body (a header).
    """
    raw = "\0".join((route, segment, request_sha256, str(query_index), query or ""))
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def candidates(examples: Iterable[Mapping[str, Any]], per_segment: int) -> list[Candidate]:
    """At most ``per_segment`` distinct queries per segment, in the order given (most divergent)."""
    taken: dict[str, list[Candidate]] = {}
    seen: set[str] = set()
    for example in examples:
        segment = str(example["segment"])
        chosen = taken.setdefault(segment, [])
        key = item_key(
            str(example["route"]),
            segment,
            str(example["request_sha256"]),
            example["query_index"],
            example.get("query_text"),
        )
        if len(chosen) >= per_segment or key in seen:
            continue
        seen.add(key)
        chosen.append(
            Candidate(
                item=key,
                segment=segment,
                route=str(example["route"]),
                rbo=float(example["rbo"]),
                overlap=float(example["overlap_at_k"]),
                query=example.get("query_text"),
                old=_side(example["results"], "old"),
                new=_side(example["results"], "new"),
            )
        )
    return [c for segment in sorted(taken) for c in taken[segment]]


def _side(rows: Sequence[Mapping[str, Any]], side: str) -> tuple[Result, ...]:
    return tuple(
        Result(str(row[side]["id"]), row[side].get("text"))
        for row in rows
        if row.get(side) is not None
    )


def blind(candidate: Candidate, assignment: Assignment) -> dict[str, Any]:
    """The item as the page gets it (module docstring): sides named only once voted."""
    new_left = assignment.new_side == "left"
    left, right = (candidate.new, candidate.old) if new_left else (candidate.old, candidate.new)
    item: dict[str, Any] = {
        "item": candidate.item,
        "segment": candidate.segment,
        "route": candidate.route,
        "rbo": round(candidate.rbo, 3),
        "query": candidate.query,
        "left": _results(left),
        "right": _results(right),
        "vote": None,
    }
    if assignment.choice is not None:
        item["vote"] = {
            "choice": assignment.choice,
            "new_side": assignment.new_side,
            "voted_at": assignment.voted_at,
        }
    return item


def _results(results: Sequence[Result]) -> list[dict[str, Any]]:
    return [{"rank": i + 1, "id": r.id, "text": r.text} for i, r in enumerate(results)]
