"""One calibration run with its I/O: load the inputs, calibrate, guard, publish, report.

Shared by ``embedshift calibrate`` and the worker. A :class:`~calibrator.run.job.Job` says
what to read and where to publish; :func:`run_job` does it. Every input is loaded and checked
before any computation, and nothing is written unless the whole calibration succeeded: the
document in force stays byte-identical after any failure. :func:`unchanged` tells the worker
when there is nothing to do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import structlog

from calibrator.calibration.calibrate import Calibration, calibrate
from calibrator.calibration.holdout import HeldOut, check_held_out
from calibrator.calibration.settings import OldModel
from calibrator.errors import InputError, PublishError
from calibrator.inputs.labels import EvalSet, load_doc_segments
from calibrator.inputs.layout import (
    disjoint,
    hold_out,
    load_held_out,
    load_labels,
    new_vectors,
    old_vectors,
)
from calibrator.inputs.vectors import Vectors
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
    held_out: Mapping[str, HeldOut] | None = None
    check_at: tuple[float, ...] = ()  # the old thresholds the check (and the summary) show


def load_eval(job: Job) -> tuple[EvalSet, EvalSet | None]:
    """The labelled queries to calibrate on, and those held out for the check (if any)."""
    layout = job.layout()
    eval_set = load_labels(layout)
    shares = {seg: v for seg, v in job.holdout if isinstance(v, float)}
    files = tuple((seg, v) for seg, v in job.holdout if isinstance(v, Path))
    held_parts = []
    if shares:
        eval_set, held = hold_out(eval_set, shares, job.settings.seed)
        held_parts.append(held)
    if files:
        held = load_held_out(layout, files)
        disjoint(eval_set, held)
        held_parts.append(held)
    if not held_parts:
        return eval_set, None
    return eval_set, EvalSet(tuple(q for part in held_parts for q in part.queries))


def load_new_vectors(
    job: Job, eval_set: EvalSet, progress: Progress
) -> tuple[Vectors, Mapping[str, str] | None]:
    """The new model's vectors (precomputed, or embedded through the API) and doc segments."""
    if job.vectors is not None or job.segment_vectors:
        return new_vectors(job.layout())
    if job.embedding is None or job.chunks is None:
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")
    from calibrator.inputs.embed import embed_sample

    vectors = embed_sample(job.embedding, job.chunks, eval_set, progress)
    return vectors, load_doc_segments(job.doc_segments) if job.doc_segments else None


def run_job(job: Job, progress: Progress = no_progress) -> RunResult:
    """Load, calibrate, check for label loss, publish; raise before writing on any failure.

    With held-out queries, the published document is then checked on them (the figures go to
    the result and the report; they change nothing published).
    """
    started = time.monotonic()
    eval_set, held_out = load_eval(job)
    old = None
    old_info = job.old_model()
    if old_info is not None:
        loaded = old_vectors(job.layout())
        assert loaded is not None
        old = OldModel(loaded, job.old_threshold, job.old_segment_thresholds, old_info.name)
    model = job.model()
    inputs = job.fingerprint(model)
    vectors, doc_segments = load_new_vectors(job, eval_set, progress)
    if held_out is not None and job.vectors is None and not job.segment_vectors:
        raise InputError("--holdout needs precomputed vectors (--vectors) of the held-out queries")
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
    if old_info is not None:
        old_record = {"name": old_info.name, "fingerprint": old_info.fingerprint}
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
    checked = None
    check_at = job.check_at or default_check_at(old)
    if held_out is not None:
        checked = check_held_out(
            held_out,
            vectors,
            document,
            settings,
            old=old,
            check_at=check_at,
            doc_segments=doc_segments,
            progress=progress,
        )
    report = None
    if job.report_dir is not None:
        from calibrator.outputs.report import write_report

        try:
            report = write_report(calibration, document, job.report_dir, checked)
        except PublishError as e:
            raise PublishError(
                f"thresholds published as version {document.version}, but the report failed: {e}"
            ) from e
    duration = time.monotonic() - started
    return RunResult(document, calibration, duration, report, checked, check_at)


def default_check_at(old: OldModel | None) -> tuple[float, ...]:
    """The old thresholds in force, when ``--check-at`` names none."""
    if old is None:
        return ()
    values = {old.threshold, *old.segment_thresholds.values()} - {None}
    return tuple(sorted(v for v in values if v is not None))


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
