"""The calibrator worker: recalibrate when the inputs change, publish, report status.

``embedshift worker --config config.toml`` (``python -m calibrator worker``, as ``embedshift
serve`` starts it) runs rounds until SIGTERM or SIGINT (in the manner of arq: a stop event
set by the signals, ``wait_for(stop.wait(), interval)`` between rounds). Each round re-reads
the config, hashes the inputs (labelled files, vectors or chunk sample) with the model's
fingerprint and the settings, and calibrates only when that differs from what the document
in force was calibrated on. A successful calibration publishes a new version; a failed round
(bad input, embedding API down, too few labels) is logged and counted and the document in
force stays; no failure ends the loop.

Every round writes the status JSON (``[calibrator].status_path``, atomically): last success
and failure times, duration, rounds, failed rounds, last error, and per segment the threshold,
precision and recall in force. The numpy/faiss work runs in a thread so that the loop keeps
answering signals; a stop that arrives mid-calibration takes effect when that round ends
(publishing is atomic, so nothing is left half-done).

It is a separate process so that the proxy never loads numpy or faiss and GIL-heavy scoring
never shares an interpreter with the request path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from calibrator.outputs.publish import current, write_json_atomic
from calibrator.run.execute import run_job, unchanged
from calibrator.run.job import Job, job_from_config
from proxy.config import load_config
from proxy.config.schema import LoggingSection
from proxy.errors import EmbedshiftError
from proxy.logs import configure_logging
from proxy.thresholds.document import ThresholdsDocument

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator.run.worker")
DEFAULT_INTERVAL_S = 3600.0
DEFAULT_STATUS = Path("var/calibrator-status.json")


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _progress(stage: str, done: int, total: int) -> None:
    if done in (0, total):
        log.info("progress", stage=stage, done=done, total=total)


@dataclass
class Status:
    """What the status JSON says (see the module docstring)."""

    started_at: str = field(default_factory=_now)
    rounds: int = 0
    calibrations: int = 0
    skipped_rounds: int = 0
    failed_rounds: int = 0
    last_round_at: str | None = None
    last_success_at: str | None = None
    last_failure_at: str | None = None
    last_round_duration_s: float | None = None
    last_calibration_duration_s: float | None = None
    last_error: str | None = None
    document: dict[str, Any] | None = None

    def in_force(self, doc: ThresholdsDocument | None, path: Path) -> None:
        """Record the document in force (version, model and per-segment figures)."""
        if doc is None:
            self.document = None
            return
        scopes = {"global": doc.global_, **doc.segments}
        self.document = {
            "path": str(path),
            "version": doc.version,
            "created_at": doc.created_at.isoformat().replace("+00:00", "Z"),
            "model": doc.model.name,
            "segments": {
                name: {
                    "threshold": e.threshold,
                    "precision": e.precision,
                    "recall": e.recall,
                    "n_queries": e.n_queries,
                    "status": e.status,
                }
                for name, e in scopes.items()
            },
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"pid": os.getpid(), **self.__dict__}


class Worker:
    """Rounds of calibration for one config file (see the module docstring)."""

    def __init__(self, config_path: Path, interval_s: float | None = None) -> None:
        """``interval_s`` overrides ``[calibrator].interval_s`` (for tests and one-offs)."""
        self.config_path = config_path
        self.interval_override = interval_s
        self.interval_s = interval_s or DEFAULT_INTERVAL_S
        self.status_path = DEFAULT_STATUS
        self.status = Status()

    def _job(self) -> Job:
        config = load_config(self.config_path)
        section = config.calibrator
        if section is not None:
            self.status_path = Path(section.status_path)
            self.interval_s = self.interval_override or section.interval_s
        return job_from_config(config, str(self.config_path))

    async def round(self) -> bool:
        """One round; True when it succeeded (calibrated or had nothing to do)."""
        started = time.monotonic()
        self.status.rounds += 1
        self.status.last_round_at = _now()
        job: Job | None = None
        ok = False
        try:
            job = self._job()
            if await asyncio.to_thread(unchanged, job):
                self.status.skipped_rounds += 1
                log.info("calibration_skipped", reason="inputs and model unchanged")
            else:
                result = await asyncio.to_thread(run_job, job, _progress)
                self.status.calibrations += 1
                self.status.last_success_at = _now()
                self.status.last_calibration_duration_s = round(result.duration_s, 3)
                log.info("calibration_done", version=result.document.version)
            ok = True
        except EmbedshiftError as e:
            self._failed(str(e))
        except Exception as e:  # a failed round is logged and counted, never fatal
            self._failed(f"{type(e).__name__}: {e}")
            log.exception("calibration_crashed")
        finally:
            if job is not None:
                self.status.in_force(current(job.out), job.out)
            self.status.last_round_duration_s = round(time.monotonic() - started, 3)
            self._write_status()
        return ok

    def _failed(self, message: str) -> None:
        self.status.failed_rounds += 1
        self.status.last_failure_at = _now()
        self.status.last_error = message
        log.error("calibration_failed", error=message, failed_rounds=self.status.failed_rounds)

    def _write_status(self) -> None:
        try:
            write_json_atomic(self.status_path, self.status.to_dict())
        except EmbedshiftError as e:
            log.error("status_not_written", error=str(e))

    async def run(self, stop: asyncio.Event) -> None:
        """Rounds until ``stop`` is set."""
        log.info("worker_started", config=str(self.config_path))
        while not stop.is_set():
            await self.round()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)
        log.info("worker_stopped", rounds=self.status.rounds)


async def serve(config_path: Path, interval_s: float | None = None, once: bool = False) -> int:
    """Run the worker until SIGTERM/SIGINT (or one round with ``once``); the exit status."""
    worker = Worker(config_path, interval_s)
    if once:
        return 0 if await worker.round() else 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await worker.run(stop)
    return 0


def worker_command(args: argparse.Namespace) -> int:
    """The handler of ``embedshift worker`` (``python -m calibrator worker``)."""
    logging_section = LoggingSection()
    with contextlib.suppress(EmbedshiftError):  # a bad config is reported by the first round
        logging_section = load_config(args.config).logging
    configure_logging(logging_section.level, logging_section.format)
    return asyncio.run(serve(args.config, args.interval, args.once))
