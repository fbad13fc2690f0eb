"""``embedshift calibrate``: run one calibration, show progress, print the outcome.

Progress goes to stderr: a rich progress bar on a terminal, otherwise a log line per quarter of
each stage. The outcome goes to stdout: one line per scope with its threshold, precision and
recall (with intervals), status and reason. Exit status 0 when the document was published,
3 when it was published but some scope has no threshold meeting its policy (its threshold is
null), and through :mod:`proxy.cli` 1 or 2 on errors (nothing published).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

import structlog

from calibrator.calibration.calibrate import ScopeResult
from calibrator.maths.candidates import Progress
from calibrator.run.execute import RunResult, run_job
from calibrator.run.job import job_from_args
from proxy.logs import configure_logging
from proxy.thresholds.document import Interval

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator")
EXIT_NO_THRESHOLD = 3


class _LogProgress:
    """A log line when a stage starts and at each further quarter of it."""

    def __init__(self) -> None:
        self._last: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        quarter = 4 * done // total if total else 4
        if self._last.get(stage, -1) < quarter:
            self._last[stage] = quarter
            log.info("progress", stage=stage, done=done, total=total)


@contextmanager
def progress_display(quiet: bool, stream: TextIO = sys.stderr) -> Iterator[Progress]:
    """A progress callback: rich bars on a terminal, log lines otherwise, nothing if quiet."""
    if quiet:
        yield lambda _stage, _done, _total: None
        return
    if not stream.isatty():
        yield _LogProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(file=stream),
        transient=True,
    ) as bars:
        tasks: dict[str, object] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)  # type: ignore[arg-type]

        yield update


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _interval(value: Interval | None) -> str:
    return "" if value is None else f" [{value[0]:.4f}, {value[1]:.4f}]"


def describe(result: ScopeResult) -> str:
    """One line for a scope: name, threshold, precision, recall, intervals, status, reason."""
    e = result.entry
    name = result.name or "(global)"
    text = (
        f"{name:<16} threshold {_num(e.threshold)}{_interval(e.intervals.threshold)}  "
        f"precision {_num(e.precision)}{_interval(e.intervals.precision)}  "
        f"recall {_num(e.recall)}{_interval(e.intervals.recall)}  "
        f"queries {e.n_queries}  {e.status}"
    )
    if not e.exact:
        text += " (inexact: raise top_n)"
    if e.reason:
        text += f"\n{'':<16} {e.reason}"
    if result.mapping is not None and result.mapping.threshold is not None:
        m = result.mapping
        text += (
            f"\n{'':<16} quantile mapping of old {m.old_threshold:g}: {m.threshold:.4f}"
            f"{_interval(m.interval)} (same share of pairs, {m.tail_share:.2e})"
        )
    return text


def summary(result: RunResult) -> str:
    """What the run published, for stdout."""
    cal, doc = result.calibration, result.document
    head = (
        f"published version {doc.version} for model {doc.model.name} "
        f"(policy {cal.settings.policy}, {result.duration_s:.1f} s)"
    )
    lines = [
        head,
        describe(cal.global_),
        *(describe(r) for r in cal.segments.values()),
    ]
    if result.report is not None:
        lines.append(f"report: {result.report}")
    return "\n".join(lines)


def calibrate_command(args: argparse.Namespace) -> int:
    """The handler of ``embedshift calibrate`` (see the module docstring for exit statuses)."""
    configure_logging("warning" if args.quiet else "info")
    job = job_from_args(args)
    with progress_display(args.quiet) as progress:
        result = run_job(job, progress)
    print(summary(result))  # noqa: T201 - the command's output
    scopes = [result.calibration.global_, *result.calibration.segments.values()]
    return EXIT_NO_THRESHOLD if any(r.entry.threshold is None for r in scopes) else 0
