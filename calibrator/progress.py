"""Progress of a calibration: the callback every stage reports through, and its displays.

A stage (scoring, counting, embedding) calls ``progress(stage, done, total)`` as it goes;
:func:`no_progress` ignores it. :func:`progress_display` picks how ``embedshift calibrate``
shows it: rich bars on a terminal, a log line per quarter of each stage otherwise, nothing
when quiet. A leaf module: any package of :mod:`calibrator` may import it; it imports nothing
from :mod:`calibrator` (rich only inside :func:`progress_display`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

import structlog

# A lazy logger: it reads the logging configuration at each call, not at import.
log = structlog.get_logger(component="calibrator")
Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The progress callback that shows nothing."""
    return


class LogProgress:
    """A log line when a stage starts and at each further quarter of it."""

    def __init__(self) -> None:
        """No stage seen yet."""
        self._last: dict[str, int] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Log ``stage`` when it enters a new quarter."""
        quarter = 4 * done // total if total else 4
        if self._last.get(stage, -1) < quarter:
            self._last[stage] = quarter
            log.info("progress", stage=stage, done=done, total=total)


@contextmanager
def progress_display(quiet: bool, stream: TextIO = sys.stderr) -> Iterator[Progress]:
    """A progress callback: rich bars on a terminal, log lines otherwise, nothing if quiet."""
    if quiet:
        yield no_progress
        return
    if not stream.isatty():
        yield LogProgress()
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, TimeElapsedColumn
    from rich.progress import Progress as Bars

    with Bars(
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
