"""The old model's side of a calibration: its vectors of the same sample, scored once.

:class:`OldSide` finds the labelled queries and the documents in the old model's vectors
(an InputError when any is missing: the two models must have scored the same sample) and
:meth:`OldSide.scan` scores every labelled query against its documents in one blocked pass
(:func:`calibrator.maths.scan.scan`): each query's top k, how many documents reach each given
per-query threshold (the old thresholds in force), and, for a precision-preserving map, the
counts on a grid of thresholds. Documents are reported as rows of the *new* model's vectors,
so both sides' lists compare directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from calibrator.calibration.evidence import Resolved, resolve_same_sample
from calibrator.calibration.scored import prepare
from calibrator.calibration.settings import OldModel, Settings
from calibrator.inputs.vectors import Vectors
from calibrator.maths.candidates import pair_scores
from calibrator.maths.scan import Grid, scan
from calibrator.progress import Progress

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Ranked:
    """Each query's ranked documents (rows of the new model's vectors), best first.

    ``rows[q, i] == -1`` past the end of query q's list (fewer documents than k); its score
    there is -inf.
    """

    rows: Ints
    scores: npt.NDArray[np.float32]

    def lengths(self) -> Ints:
        """How many documents each list holds."""
        counts: Ints = (self.rows >= 0).sum(axis=1).astype(np.int64)
        return counts


@dataclass(frozen=True)
class OldScan:
    """What the old model's pass found, per labelled query."""

    top: Ranked
    counts: Ints  # (len(thresholds), queries): documents scoring at least the threshold
    at_grid: Ints | None  # (queries, grid.size)


class OldSide:
    """The old model's view of the same sample: its scores, its top k, its threshold counts."""

    def __init__(self, old: OldModel, resolved: Resolved, new: Vectors, s: Settings) -> None:
        """Find the sample in the old vectors (InputError if missing) and prepare them."""
        self.old = old
        self.rows = resolve_same_sample(resolved, new, old.vectors)
        self.queries = prepare(old.vectors.queries[self.rows.query_rows], s.metric)
        self.docs = prepare(old.vectors.docs, s.metric)

    def scan(
        self,
        resolved: Resolved,
        k: int,
        thresholds: Sequence[Floats],
        grid: Grid | None,
        progress: Progress,
    ) -> OldScan:
        """Score every labelled query against its documents once (see the module docstring)."""
        n = len(resolved.queries)
        rows = np.full((n, k), -1, dtype=np.int64)
        scores = np.full((n, k), -np.inf, dtype=np.float32)
        counts = np.zeros((len(thresholds), n), dtype=np.int64)
        at_grid = np.zeros((n, grid.size), dtype=np.int64) if grid is not None else None
        for group, members in resolved.in_group(resolved.scope()).items():
            doc_rows = resolved.group_docs[group]
            old_rows = self.rows.doc_map[doc_rows]
            same = len(old_rows) == len(self.docs) and bool(
                np.array_equal(old_rows, np.arange(len(self.docs)))
            )  # the same documents in the same order: no copy of the matrix
            found = scan(
                self.queries[members],
                self.docs if same else self.docs[old_rows],
                k,
                [t[members] for t in thresholds],
                grid,
                progress,
                "scoring (old model)",
            )
            width = found.top_columns.shape[1]
            rows[members, :width] = doc_rows[found.top_columns]
            scores[members, :width] = found.top_scores
            counts[:, members] = found.counts
            if at_grid is not None and found.at_grid is not None:
                at_grid[members] = found.at_grid
        return OldScan(Ranked(rows, scores), counts, at_grid)

    def scores(self, query_idx: Ints, doc_rows: Ints) -> Floats:
        """Old-model scores of (labelled query index, new document row) pairs."""
        return pair_scores(self.queries, self.docs, query_idx, self.rows.doc_map[doc_rows]).astype(
            np.float64
        )
