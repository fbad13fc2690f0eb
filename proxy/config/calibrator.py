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

from proxy.config.loader import setting
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
class CalibratorSection:
    """``[calibrator]``: labelled samples in, per-segment thresholds out (``calibrate``, worker).

    Relative paths are relative to the working directory.
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
        "Old-model vectors of the same sample: adds the quantile mapping of [thresholds].old.",
        default=None,
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

    def validate(self, where: Where) -> None:
        """Labels and vectors must both have a source; policies must parse."""
        if not self.eval and not self.qrels:
            raise where.error("eval", "or qrels must name at least one labelled file")
        if self.vectors is None and self.chunks is None:
            raise where.error("vectors", "or chunks must be set (precomputed or embedded)")
        for segment, policy in self.segment_policies.items():
            problem = _policy_check(policy)
            if problem:
                raise where.error(f"segment_policies.{segment}", problem)
