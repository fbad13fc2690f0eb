"""One calibration run with its I/O: load the inputs, calibrate, guard, publish, report.

Shared by ``embedshift calibrate`` and the worker. A :class:`~calibrator.run.job.Job` says
what to read and where to publish; :func:`run_job` does it. Every input is loaded and checked
before any computation, and nothing is written unless the whole calibration succeeded: the
document in force stays byte-identical after any failure. :func:`unchanged` tells the worker
when there is nothing to do.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import structlog

from calibrator.calibration.calibrate import Calibration, calibrate
from calibrator.calibration.settings import OldModel
from calibrator.errors import InputError, PublishError
from calibrator.inputs.fingerprint import precomputed_model_of
from calibrator.inputs.labels import EvalSet, load_doc_segments, load_eval_jsonl, load_qrels, merge
from calibrator.inputs.vectors import Vectors, load_vectors
from calibrator.outputs.document import build_document, check_label_loss
from calibrator.outputs.publish import current, publish
from calibrator.progress import Progress, no_progress
from calibrator.run.job import Job
from proxy.thresholds.document import ThresholdsDocument

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator")
REPORT_SAMPLE = 20_000  # irrelevant pairs scored for the report's score distributions


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


def run_job(job: Job, progress: Progress = no_progress) -> RunResult:
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
