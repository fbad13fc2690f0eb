"""The calibrator's sections: ``[thresholds]`` (also read by the sidecar) and ``[calibrator]``.

They live here, in :mod:`proxy`, because the sidecar validates the whole config file and never
imports :mod:`calibrator`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from proxy.config.loader import LABEL_NAME, setting
from proxy.config.where import Where


@dataclass(frozen=True)
class ThresholdsSection:
    """``[thresholds]``: the thresholds in force, old (yours) and new (calibrated)."""

    old: float | None = setting(
        "The similarity threshold your stack applies to the old model's scores today. "
        "Unset: accepted-count and abstain-flip metrics are not computed.",
        default=None,
    )
    old_segments: Mapping[str, float] = setting(
        "Per-segment old thresholds that differ from `old` (segment = threshold).",
        default_factory=lambda: MappingProxyType({}),
    )
    path: str | None = setting(
        "Thresholds document published by the calibrator; re-read when it changes.",
        default=None,
    )
    poll_interval_s: float = setting("How often the document's file is checked.", default=5.0, gt=0)


_POLICY = re.compile(
    r"^(target_recall|target_precision)=([0-9.eE+-]+|old)$|^max_f_beta=[0-9.eE+-]+$"
)


def _policy_check(value: str) -> str | None:
    if not _POLICY.match(value.replace(" ", "")):
        return (
            "must be target_recall=R, target_precision=P or max_f_beta=B (R or P may be old: "
            f"what the old model keeps at its threshold), got {value!r}"
        )
    return None


@dataclass(frozen=True)
class CalibratorSegment:
    """``[calibrator.segments.NAME]``: one segment's labelled files, vectors and held-out queries.

    The config's form of ``embedshift calibrate``'s ``SEGMENT=`` options. With ``vectors``
    here, the segment is its own collection (its own documents and id space); every segment
    table then names its folder, and the section's own ``vectors`` stays unset.
    """

    vectors: str | None = setting(
        "This segment's own new-model vectors folder (--vectors NAME=DIR): its queries are "
        "scored against its documents only, and its ids may repeat other segments'.",
        default=None,
    )
    old_vectors: str | None = setting(
        "The old model's vectors of the same sample (--old-vectors NAME=DIR); needs `vectors`.",
        default=None,
    )
    qrels: tuple[str, ...] = setting(
        "Qrels TSV files of this segment (--qrels NAME=FILE, repeatable); they add up.",
        default=(),
    )
    queries: tuple[str, ...] = setting(
        "JSONL files of {id, text} giving this segment's qrels queries their text "
        "(--queries NAME=FILE; for the embeddings API only).",
        default=(),
    )
    holdout: tuple[str, ...] = setting(
        "Qrels TSV files of held-out queries, checked on and never calibrated on "
        "(--holdout NAME=FILE).",
        default=(),
    )
    holdout_share: float | None = setting(
        "Hold out this share of the segment's labelled queries, chosen by a hash of their ids "
        "and `seed` (--holdout NAME=SHARE).",
        default=None,
        gt=0,
        lt=1,
    )


@dataclass(frozen=True)
class CalibratorSection:
    """``[calibrator]``: labelled samples in, per-segment thresholds out (``calibrate``, worker).

    Relative paths are relative to the working directory (as the sidecar's are: both read
    ``[thresholds].path``). Every option of ``embedshift calibrate`` has its key here, except
    the old threshold (``[thresholds].old`` and ``old_segments``, the ones the sidecar applies)
    and RBO's persistence (``[comparison].rbo_p``, the one the sidecar measures with).
    """

    eval: tuple[str, ...] = setting(
        "Eval sets in JSONL: {query_id, text, relevant_ids, segment} per line.", default=()
    )
    qrels: Mapping[str, str] = setting(
        "Qrels TSV imports as segment = path (query_id<TAB>doc_id<TAB>relevance lines).",
        default_factory=lambda: MappingProxyType({}),
    )
    queries: str | None = setting(
        "JSONL of {id, text} giving qrels queries their text (for the embeddings API).",
        default=None,
    )
    vectors: str | None = setting(
        "Precomputed new-model vectors (docs.npy, doc_ids.txt, queries.npy, query_ids.txt). "
        "Unset: `chunks` and the eval queries are embedded with [embedding].",
        default=None,
    )
    chunks: str | None = setting(
        "Chunk sample in JSONL ({id, text, segment}) embedded when `vectors` is unset.",
        default=None,
    )
    doc_segments: str | None = setting(
        "TSV of doc_id<TAB>segment: queries are scored against their own segment's documents. "
        "Unset: against all documents.",
        default=None,
    )
    old_vectors: str | None = setting(
        "Old-model vectors of the same sample: adds the comparison with the old model, its "
        "quantile mapping and the score map of [thresholds].old.",
        default=None,
    )
    segments: Mapping[str, CalibratorSegment] = setting(
        "Per-segment inputs (vectors folder, old vectors, qrels, queries, held-out queries); "
        "see [calibrator.segments.NAME].",
        default_factory=lambda: MappingProxyType({}),
    )
    policy: str = setting(
        "target_recall=R, target_precision=P or max_f_beta=B; R or P = old: what the old "
        "model keeps at its threshold on the same labelled queries.",
        default="target_recall=0.9",
        check=_policy_check,
    )
    segment_policies: Mapping[str, str] = setting(
        "Policies of particular segments (segment = policy).",
        default_factory=lambda: MappingProxyType({}),
    )
    average: Literal["micro", "macro"] = setting(
        "Precision and recall over all pairs (micro) or per query, averaged (macro).",
        default="micro",
    )
    min_queries: int = setting(
        "Fewest labelled queries for a segment's own threshold; fewer: the global one.",
        default=20,
        ge=1,
    )
    allow_fallback: bool = setting(
        "Publish even when a segment calibrated before now falls back for lack of labels.",
        default=False,
    )
    metric: Literal["cosine", "dot"] = setting(
        "Scores: cosine (inner product of normalised vectors) or dot (raw inner product).",
        default="cosine",
    )
    top_n: int = setting(
        "Candidates scored first per query; deeper ones only when a threshold needs them.",
        default=1000,
        ge=1,
    )
    bootstrap: int = setting("Query resamples for the intervals (0: none).", default=200, ge=0)
    confidence: float = setting("Confidence level of the intervals.", default=0.95, gt=0, lt=1)
    seed: int = setting("Seed of the resamples and of held-out shares.", default=0, ge=0)
    k: int = setting(
        "Depth of nDCG, recall, overlap and RBO in the comparison with the old model (the "
        "routes' k).",
        default=10,
        ge=1,
    )
    quality_bootstrap: int = setting(
        "Query resamples of the paired new - old quality intervals (0: no quality published).",
        default=1000,
        ge=0,
    )
    preserve: Literal["recall", "precision"] = setting(
        "What the old-to-new score map keeps: equal recall or equal precision.",
        default="recall",
    )
    check_at: tuple[float, ...] = setting(
        "Old thresholds at which the held-out check compares the old model with the new one at "
        "the mapped value. Empty: the old thresholds in force.",
        default=(),
    )
    out: str | None = setting(
        "Where the thresholds document is published. Unset: [thresholds].path.", default=None
    )
    report_dir: str | None = setting(
        "Write a report (PNG plots, HTML and JSON) here after each run.", default=None
    )
    interval_s: float = setting(
        "How often the worker checks its inputs (it recalibrates only when they changed).",
        default=3600.0,
        gt=0,
    )
    status_path: str = setting(
        "JSON status the worker writes every round.", default="var/calibrator-status.json"
    )
    worker_in_serve: bool = setting(
        "`embedshift serve` runs the worker as a child process (false: it runs elsewhere, "
        "e.g. its own container in the pod).",
        default=True,
    )
    cache_dir: str = setting(
        "Persistent cache of embedded texts (embeddings API path).",
        default="var/embedding-cache",
    )
    document_template: str = setting(
        "Template applied to chunk text before embedding, e.g. 'passage: {text}'.",
        default="{text}",
        check=lambda v: None if "{text}" in v else "must contain {text}",
    )
    document_input_type: str | None = setting(
        "Sent as `input_type` with chunk texts (e.g. passage for e5 servers).", default=None
    )

    @property
    def per_segment(self) -> bool:
        """Each segment names its own vectors folder (``[calibrator.segments.NAME].vectors``)."""
        return any(s.vectors is not None for s in self.segments.values())

    def validate(self, where: Where) -> None:
        """Labels and vectors must both have a source; policies must parse; one layout."""
        if not (self.eval or self.qrels or any(s.qrels for s in self.segments.values())):
            raise where.error(
                "eval", "or qrels (or a segment's qrels) must name at least one labelled file"
            )
        if self.vectors is None and self.chunks is None and not self.per_segment:
            raise where.error(
                "vectors",
                "or chunks (or each segment's vectors) must be set (precomputed or embedded)",
            )
        for name, policy in self.segment_policies.items():
            problem = _policy_check(policy)
            if problem:
                raise where.error(f"segment_policies.{name}", problem)
        for name, segment in self.segments.items():
            if not LABEL_NAME.match(name):
                raise where.error(
                    f"segments.{name}", "must be named with 1-64 letters, digits or _.:-"
                )
            if segment.old_vectors is not None and segment.vectors is None:
                raise (
                    where.child("segments")
                    .child(name)
                    .error("old_vectors", "needs this segment's own vectors folder (vectors)")
                )
        if self.per_segment:
            self._validate_own_folders(where)

    def _validate_own_folders(self, where: Where) -> None:
        """Folders per segment: every segment has them, and nothing names one for all."""
        own = sorted(n for n, s in self.segments.items() if s.vectors is not None)
        with_old = sorted(n for n, s in self.segments.items() if s.old_vectors is not None)
        for name, segment in self.segments.items():
            at = where.child("segments").child(name)
            if segment.vectors is None:
                raise at.error(
                    "vectors",
                    f"is required: segments {', '.join(own)} have their own vectors folders, "
                    "so every segment needs one",
                )
            if with_old and segment.old_vectors is None:
                raise at.error(
                    "old_vectors",
                    f"is required: segments {', '.join(with_old)} have the old model's "
                    "vectors, so every segment needs them",
                )
        shared = "cannot be set when segments have their own vectors folders: give each "
        for key, instead in (
            ("vectors", "segment's vectors in [calibrator.segments.NAME]"),
            ("old_vectors", "segment's old_vectors in [calibrator.segments.NAME]"),
            ("doc_segments", "segment its folder: its documents are its own"),
        ):
            if getattr(self, key) is not None:
                raise where.error(key, shared + instead)
        for name in self.qrels:
            if name not in self.segments:
                raise where.error(
                    f"qrels.{name}",
                    f"names segment {name!r}, which has no vectors folder: add "
                    f"[calibrator.segments.{name}] with its vectors",
                )
