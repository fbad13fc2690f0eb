"""Apply given thresholds to labelled queries: what each segment would retrieve, exactly.

The held-out check of a calibration: each query retrieves every document scoring at least its
segment's threshold (none at all where the threshold is None, as the proxy does when no
threshold meets the policy), and the figures are pooled per segment and over all queries.
Candidates are refined down to each threshold first, so the counts are those of an
exhaustive scan.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from calibrator.calibration.evidence import resolve
from calibrator.calibration.scored import Scorer
from calibrator.calibration.settings import Settings
from calibrator.inputs.labels import EvalSet
from calibrator.inputs.vectors import Vectors
from calibrator.progress import Progress, no_progress


@dataclass(frozen=True, slots=True)
class Outcome:
    """Micro and macro figures of a set of queries under their thresholds."""

    n_queries: int
    retrieved: int
    relevant_retrieved: int
    relevant: int
    macro_precision: float
    macro_recall: float

    @property
    def precision(self) -> float:
        """Micro precision (0 when nothing is retrieved)."""
        return self.relevant_retrieved / self.retrieved if self.retrieved else 0.0

    @property
    def recall(self) -> float:
        """Micro recall (0 when there is nothing to find)."""
        return self.relevant_retrieved / self.relevant if self.relevant else 0.0

    @property
    def f1(self) -> float:
        """Micro F1."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def apply_thresholds(
    eval_set: EvalSet,
    vectors: Vectors,
    thresholds: Mapping[str, float | None],
    settings: Settings | None = None,
    doc_segments: Mapping[str, str] | None = None,
    progress: Progress = no_progress,
) -> dict[str, Outcome]:
    """Outcome per segment and, under ``""``, over every query (each at its own threshold).

    ``thresholds`` maps segment names to thresholds; a segment it lacks uses ``thresholds[""]``
    (the global threshold) when present, else retrieves nothing.
    """
    s = settings if settings is not None else Settings()
    resolved = resolve(eval_set, vectors, doc_segments)
    scorer = Scorer(resolved, vectors, s.metric, s.max_pairs, progress, "held-out")
    per_query = [thresholds.get(q.segment, thresholds.get("")) for q in resolved.queries]
    given = [t for t in per_query if t is not None]
    scorer.scan(s.top_n, min(given) if given else None)
    for t in {t for t in per_query if t is not None}:
        scorer.refine([i for i, u in enumerate(per_query) if u == t], t)
    pairs = scorer.pairs(resolved.scope())
    limit = np.array([np.inf if t is None else t for t in per_query])
    hit = pairs.score >= limit[pairs.query]
    n = np.bincount(pairs.query[hit], minlength=pairs.n_queries)
    tp = np.bincount(pairs.query[hit & pairs.relevant], minlength=pairs.n_queries)
    segments = np.array([q.segment for q in resolved.queries])
    out: dict[str, Outcome] = {}
    for name in ("", *eval_set.segments()):
        mask = np.ones(len(segments), np.bool_) if name == "" else segments == name
        n_m, tp_m, rel_m = n[mask], tp[mask], pairs.n_relevant[mask]
        active, with_rel = n_m > 0, rel_m > 0
        out[name] = Outcome(
            n_queries=int(mask.sum()),
            retrieved=int(n_m.sum()),
            relevant_retrieved=int(tp_m.sum()),
            relevant=int(rel_m.sum()),
            macro_precision=float((tp_m[active] / n_m[active]).mean()) if active.any() else 0.0,
            macro_recall=float((tp_m[with_rel] / rel_m[with_rel]).mean())
            if with_rel.any()
            else 0.0,
        )
    return out
