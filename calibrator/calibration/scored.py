"""The scored state of one calibration: matrices, candidates, labelled pair scores, refinement.

A :class:`Scorer` owns one model's (normalised) query and document matrices for the labelled
queries, each query's candidates (:mod:`calibrator.maths.candidates`) and the direct scores of the
labelled pairs. :meth:`Scorer.refine` makes a set of queries exact down to a threshold, within
a budget of held pairs: past it a refinement is skipped and the figures at that threshold are
marked inexact (``exact: false`` in the document) instead of memory growing without bound.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt
import structlog

from calibrator.calibration.evidence import Resolved, build_pairs, query_pairs, relevant_pairs
from calibrator.inputs.vectors import Vectors, normalised
from calibrator.maths.candidates import (
    Candidates,
    Matrix,
    above,
    estimate_above,
    extend,
    pair_scores,
    search,
)
from calibrator.maths.sweep import Pairs
from calibrator.progress import Progress
from proxy.thresholds.document import Metric

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator")
Ints = npt.NDArray[np.int64]


def prepare(matrix: Matrix, metric: Metric) -> Matrix:
    """Rows as the metric scores them: unit length for cosine, as given for dot.

    Rows that are unit length already (as most embedding APIs return them) are used as they
    are, without a copy: the document matrix is the largest thing a run holds.
    """
    rows = np.ascontiguousarray(matrix, dtype=np.float32)
    if metric == "cosine":
        norms = np.einsum("ij,ij->i", rows, rows)
        if len(norms) == 0 or np.abs(norms - 1.0).max() > 1e-5:
            return normalised(rows)
    return rows


class Scorer:
    """One model's scores for the labelled queries (see the module docstring)."""

    def __init__(
        self,
        resolved: Resolved,
        vectors: Vectors,
        metric: Metric,
        max_pairs: int,
        progress: Progress,
        label: str = "new",
    ) -> None:
        """Prepare the matrices and score the labelled pairs; :meth:`scan` finds candidates."""
        self.resolved = resolved
        self.max_pairs = max_pairs
        self.progress = progress
        self.label = label
        self.queries = prepare(vectors.queries[resolved.query_rows], metric)
        self.docs = prepare(vectors.docs, metric)
        self.group_docs: dict[str, Matrix] = {
            group: self.docs if len(rows) == len(self.docs) else self.docs[rows]
            for group, rows in resolved.group_docs.items()
        }
        self.refinements = 0
        n = len(resolved.queries)
        self.candidates = Candidates(
            tuple(np.zeros(0, np.int64) for _ in range(n)),
            tuple(np.zeros(0, np.float32) for _ in range(n)),
            np.full(n, np.inf),  # nothing scanned yet: exact nowhere
        )
        q_idx, d_rows = relevant_pairs(resolved)
        flat = pair_scores(self.queries, self.docs, q_idx, d_rows)
        bounds = np.cumsum([0] + [len(r) for r in resolved.relevant_rows])
        self.positives = tuple(flat[bounds[i] : bounds[i + 1]] for i in range(n))
        self._pairs: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]] | None] = [None] * n
        self._scopes: dict[bytes, Pairs] = {}  # pairs(scope) until the candidates change

    def scan(self, top_n: int, floor: float | None = None) -> str:
        """Find every query's candidates; returns how (``"above"`` or ``"top_n"``).

        With ``floor`` (the lowest threshold that will matter, when known beforehand) and an
        estimated pair count within ``max_pairs``, every document scoring at least ``floor``
        is taken (one range search); otherwise each query's top ``top_n``.
        """
        docs: list[Ints] = list(self.candidates.docs)
        scores: list[npt.NDArray[np.float32]] = list(self.candidates.scores)
        floors = self.candidates.floors.copy()
        groups = self.resolved.in_group(self.resolved.scope())
        how = "top_n"
        if floor is not None:
            expected = sum(
                estimate_above(self.queries[m], self.group_docs[g], floor)
                for g, m in groups.items()
            )
            how = "above" if expected <= self.max_pairs / 2 else "top_n"
        stage = f"scoring ({self.label} model)"
        for group, members in groups.items():
            if how == "above" and floor is not None:
                found = above(
                    self.queries[members],
                    self.group_docs[group],
                    self.resolved.group_docs[group],
                    floor,
                    self.progress,
                    stage,
                )
            else:
                found = search(
                    self.queries[members],
                    self.group_docs[group],
                    self.resolved.group_docs[group],
                    top_n,
                    self.progress,
                    stage,
                )
            for local, q in enumerate(members):
                docs[q], scores[q] = found.docs[local], found.scores[local]
                floors[q] = found.floors[local]
                self._pairs[q] = None
        self.candidates = Candidates(tuple(docs), tuple(scores), floors)
        self._scopes.clear()
        return how

    def inexact(self, scope: Iterable[int], threshold: float) -> list[int]:
        """Queries of ``scope`` whose candidates may miss documents scoring ``>= threshold``."""
        return [int(q) for q in scope if self.candidates.floors[q] >= threshold]

    def refine(self, scope: Iterable[int], down_to: float) -> bool:
        """Make ``scope`` exact down to ``down_to``; False when nothing was (or could be) done."""
        todo = self.inexact(scope, down_to)
        if not todo:
            return False
        held = self.candidates.n_pairs
        if held > self.max_pairs:
            log.warning("refinement_skipped", held_pairs=held, max_pairs=self.max_pairs)
            return False
        by_group: dict[str, list[int]] = {}
        for q in todo:
            by_group.setdefault(self.resolved.groups[q], []).append(q)
        for group, members in by_group.items():
            self.candidates = extend(
                self.candidates,
                members,
                down_to,
                self.queries,
                self.group_docs[group],
                self.resolved.group_docs[group],
            )
        for q in todo:
            self._pairs[q] = None
        self._scopes.clear()
        self.refinements += 1
        log.info("refined", queries=len(todo), down_to=round(down_to, 6))
        return True

    def _query_pairs(self, q: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        cached = self._pairs[q]
        if cached is None:
            cached = query_pairs(
                self.candidates.docs[q],
                self.candidates.scores[q],
                self.resolved.relevant_rows[q],
                self.positives[q],
            )
            self._pairs[q] = cached
        return cached

    def pairs(self, scope: Ints) -> Pairs:
        """The scored pairs of ``scope`` (:func:`~calibrator.calibration.evidence.query_pairs`).

        Kept until the candidates change: a scope's threshold and its comparison with the old
        model read the same pairs.
        """
        key = np.asarray(scope, dtype=np.int64).tobytes()
        found = self._scopes.get(key)
        if found is None:
            parts = {int(q): self._query_pairs(int(q)) for q in scope}
            found = build_pairs(self.resolved, parts, self.candidates.floors, scope)
            self._scopes[key] = found
        return found

    def candidate_scores(self, scope: Ints) -> tuple[npt.NDArray[np.float32], Ints]:
        """All candidate scores of ``scope`` (labels ignored) with their local query index."""
        parts = [self.candidates.scores[q] for q in scope]
        local = np.repeat(np.arange(len(scope)), [len(p) for p in parts]).astype(np.int64)
        flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return flat, local

    def total_pairs(self, scope: Ints) -> int:
        """How many (query, document) pairs ``scope`` has in all, scored or not."""
        return sum(len(self.resolved.group_docs[self.resolved.groups[q]]) for q in scope)
