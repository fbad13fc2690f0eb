"""One calibration run with its I/O: load the inputs, calibrate, guard, publish, report.

Shared by ``embedshift calibrate`` and the worker. A :class:`Job` says what to read and where
to publish (built from the command line, the config's ``[calibrator]`` section, or both);
:func:`run_job` does it. Every input is loaded and checked before any computation, and
nothing is written unless the whole calibration succeeded: the document in force stays
byte-identical after any failure.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import structlog

from calibrator.calibration.calibrate import Calibration, OldModel, Settings, calibrate
from calibrator.errors import InputError, PublishError
from calibrator.inputs.fingerprint import (
    api_model,
    inputs_fingerprint,
    precomputed_model_of,
    vectors_files,
)
from calibrator.inputs.labels import EvalSet, load_doc_segments, load_eval_jsonl, load_qrels, merge
from calibrator.inputs.vectors import Vectors, load_vectors
from calibrator.maths.candidates import Progress
from calibrator.outputs.document import build_document, check_label_loss
from calibrator.outputs.publish import current, publish
from proxy.config.schema import EmbeddingSection
from proxy.embeddings import RetryPolicy
from proxy.thresholds.document import ModelInfo, ThresholdsDocument

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator")
REPORT_SAMPLE = 20_000  # irrelevant pairs scored for the report's score distributions


def _quiet(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass(frozen=True)
class Embedding:
    """The embeddings API path: the endpoint and how chunk texts are sent."""

    section: EmbeddingSection
    cache_dir: Path
    document_template: str = "{text}"
    document_input_type: str | None = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def model_settings(self) -> dict[str, Any]:
        """What decides the vectors (hashed into the model's fingerprint; no secrets)."""
        s = self.section
        return {
            "base_url": s.base_url,
            "model": s.model,
            "dimension": s.dimension,
            "query_template": s.query_template,
            "query_input_type": s.input_type,
            "document_template": self.document_template,
            "document_input_type": self.document_input_type,
        }


@dataclass(frozen=True)
class Job:
    """What one run reads and where it publishes."""

    out: Path
    settings: Settings
    eval_files: tuple[Path, ...] = ()
    qrels: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    queries: Path | None = None
    vectors: Path | None = None
    chunks: Path | None = None
    embedding: Embedding | None = None
    doc_segments: Path | None = None
    old_vectors: Path | None = None
    old_threshold: float | None = None
    old_segment_thresholds: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    report_dir: Path | None = None
    allow_fallback: bool = False
    keep_versions: int = 20

    def input_files(self) -> list[Path]:
        """Every file whose bytes the thresholds depend on."""
        files = [*self.eval_files, *self.qrels.values()]
        files.extend(p for p in (self.queries, self.chunks, self.doc_segments) if p is not None)
        for directory in (self.vectors, self.old_vectors):
            if directory is not None:
                files.extend(vectors_files(directory))
        return files

    def model(self) -> ModelInfo:
        """The new model's name and fingerprint (read without loading any vectors)."""
        if self.vectors is not None:
            return precomputed_model_of(self.vectors)
        if self.embedding is not None:
            return api_model(self.embedding.model_settings())
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")

    def fingerprint(self, model: ModelInfo) -> dict[str, Any]:
        """The inputs record: file digests and one fingerprint over them, model and settings."""
        extra = {
            "model": model.fingerprint,
            "settings": repr(self.settings),
            "old_threshold": self.old_threshold,
            "old_segment_thresholds": dict(self.old_segment_thresholds),
        }
        return inputs_fingerprint(self.input_files(), extra)


@dataclass(frozen=True)
class RunResult:
    """A finished run: the published document, the calibration, and how long it took."""

    document: ThresholdsDocument
    calibration: Calibration
    duration_s: float
    report: Path | None = None


def load_eval(job: Job) -> EvalSet:
    """Every labelled file of ``job``, merged (query ids unique across files)."""
    sets = [load_eval_jsonl(p) for p in job.eval_files]
    sets += [load_qrels(p, segment, job.queries) for segment, p in job.qrels.items()]
    if not sets:
        raise InputError("no labelled queries given (--eval or --qrels)")
    return merge(*sets)


def load_new_vectors(job: Job, eval_set: EvalSet, progress: Progress) -> Vectors:
    """The new model's vectors: precomputed, or embedded through the API (cached)."""
    if job.vectors is not None:
        return load_vectors(job.vectors)
    if job.embedding is None or job.chunks is None:
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")
    from calibrator.inputs.embed import embed_sample

    return embed_sample(job.embedding, job.chunks, eval_set, progress)


def run_job(job: Job, progress: Progress = _quiet) -> RunResult:
    """Load, calibrate, check for label loss, publish; raise before writing on any failure."""
    started = time.monotonic()
    eval_set = load_eval(job)
    doc_segments = load_doc_segments(job.doc_segments) if job.doc_segments else None
    old = None
    if job.old_vectors is not None:
        if job.old_threshold is None:
            raise InputError("--old-vectors needs --old-threshold (or [thresholds].old)")
        old = OldModel(load_vectors(job.old_vectors), job.old_threshold, job.old_segment_thresholds)
    model = job.model()
    inputs = job.fingerprint(model)
    vectors = load_new_vectors(job, eval_set, progress)
    settings = job.settings
    if job.report_dir is not None and not settings.irrelevant_sample:
        settings = replace(settings, irrelevant_sample=REPORT_SAMPLE)
    calibration = calibrate(
        eval_set,
        vectors,
        settings,
        doc_segments=doc_segments,
        doc_segments_source=str(job.doc_segments),
        old=old,
        progress=progress,
    )
    check_label_loss(current(job.out), calibration, job.allow_fallback)
    now = datetime.now(UTC).replace(microsecond=0)
    old_record = None
    if job.old_vectors is not None:
        old_model = precomputed_model_of(job.old_vectors)
        old_record = {"name": old_model.name, "fingerprint": old_model.fingerprint}
    document = publish(
        lambda version: build_document(calibration, model, inputs, version, now, old_record),
        job.out,
        job.keep_versions,
    )
    log.info(
        "thresholds_published",
        path=str(job.out),
        version=document.version,
        model=model.name,
        queries=calibration.global_.entry.n_queries,
        refinements=calibration.refinements,
    )
    report = None
    if job.report_dir is not None:
        from calibrator.outputs.report import write_report

        try:
            report = write_report(calibration, document, job.report_dir)
        except PublishError as e:
            raise PublishError(
                f"thresholds published as version {document.version}, but the report failed: {e}"
            ) from e
    return RunResult(document, calibration, time.monotonic() - started, report)


def unchanged(job: Job) -> bool:
    """True when the document in force was calibrated on exactly these inputs and model."""
    in_force = current(job.out)
    if in_force is None:
        return False
    try:
        fingerprint = job.fingerprint(job.model())["fingerprint"]
    except InputError:
        return False
    return bool(in_force.inputs.get("fingerprint") == fingerprint)
