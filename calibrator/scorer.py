"""The scored state of one calibration: matrices, candidates, labelled pair scores, refinement.

A :class:`Scorer` owns one model's (normalised) query and document matrices for the labelled
queries, each query's candidates (:mod:`calibrator.scoring`) and the direct scores of the
labelled pairs. :meth:`Scorer.refine` makes a set of queries exact down to a threshold, within
a budget of held pairs: past it a refinement is skipped and the figures at that threshold are
marked inexact (``exact: false`` in the document) instead of memory growing without bound.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from calibrator.evidence import Resolved, build_pairs, relevant_pairs
from calibrator.scoring import Candidates, Matrix, Progress, extend, pair_scores, search
from calibrator.sweep import Pairs
from calibrator.vectors import Vectors, normalised
from proxy.logs import get_logger
from proxy.thresholds import Metric

log = get_logger("calibrator")
Ints = npt.NDArray[np.int64]


def prepare(matrix: Matrix, metric: Metric) -> Matrix:
    """Rows as the metric scores them: unit length for cosine, as given for dot."""
    if metric == "cosine":
        return normalised(matrix)
    return np.ascontiguousarray(matrix, dtype=np.float32)


class Scorer:
    """One model's scores for the labelled queries (see the module docstring)."""

    def __init__(
        self,
        resolved: Resolved,
        vectors: Vectors,
        metric: Metric,
        top_n: int,
        max_pairs: int,
        progress: Progress,
        label: str = "new",
    ) -> None:
        """Score every labelled query's top ``top_n`` candidates and its labelled pairs."""
        self.resolved = resolved
        self.max_pairs = max_pairs
        self.queries = prepare(vectors.queries[resolved.query_rows], metric)
        self.docs = prepare(vectors.docs, metric)
        self.group_docs: dict[str, Matrix] = {
            group: self.docs if len(rows) == len(self.docs) else self.docs[rows]
            for group, rows in resolved.group_docs.items()
        }
        self.refinements = 0
        docs: list[Ints] = [np.zeros(0, np.int64)] * len(resolved.queries)
        scores: list[npt.NDArray[np.float32]] = [np.zeros(0, np.float32)] * len(docs)
        floors = np.full(len(docs), -np.inf)
        for group, members in resolved.in_group(resolved.scope()).items():
            found = search(
                self.queries[members],
                self.group_docs[group],
                resolved.group_docs[group],
                top_n,
                progress,
                f"scoring ({label} model)",
            )
            for local, q in enumerate(members):
                docs[q], scores[q] = found.docs[local], found.scores[local]
                floors[q] = found.floors[local]
        self.candidates = Candidates(tuple(docs), tuple(scores), floors)
        q_idx, d_rows = relevant_pairs(resolved)
        flat = pair_scores(self.queries, self.docs, q_idx, d_rows)
        bounds = np.cumsum([0] + [len(r) for r in resolved.relevant_rows])
        self.positives = tuple(flat[bounds[i] : bounds[i + 1]] for i in range(len(docs)))

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
        self.refinements += 1
        log.info("refined", queries=len(todo), down_to=round(down_to, 6))
        return True

    def pairs(self, scope: Ints) -> Pairs:
        """The scored pairs of ``scope`` (see :func:`calibrator.evidence.build_pairs`)."""
        return build_pairs(self.resolved, self.candidates, self.positives, scope)

    def candidate_scores(self, scope: Ints) -> tuple[npt.NDArray[np.float32], Ints]:
        """All candidate scores of ``scope`` (labels ignored) with their local query index."""
        parts = [self.candidates.scores[q] for q in scope]
        local = np.repeat(np.arange(len(scope)), [len(p) for p in parts]).astype(np.int64)
        flat = np.concatenate(parts) if parts else np.zeros(0, np.float32)
        return flat, local

    def total_pairs(self, scope: Ints) -> int:
        """How many (query, document) pairs ``scope`` has in all, scored or not."""
        return sum(len(self.resolved.group_docs[self.resolved.groups[q]]) for q in scope)
