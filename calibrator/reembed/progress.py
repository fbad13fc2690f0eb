"""Progress of a re-embed run: a rich bar on a terminal, periodic log lines elsewhere.

On a terminal (stderr is a TTY) a rich progress bar shows chunks done of the shard's total,
the rate, the ETA, prompt tokens so far and, given ``--price-per-million``, the cost so far.
Elsewhere (a Kubernetes pod, CI) a ``reembed_progress`` structlog line carries the same
figures every ``interval_s`` seconds. Neither ever shows text content.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Self

import structlog
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from proxy.logs import get_logger


def cost_usd(tokens: int, price_per_million: float | None) -> float | None:
    """What ``tokens`` cost at ``price_per_million`` dollars per million (None: unknown)."""
    return None if price_per_million is None else tokens * price_per_million / 1e6


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.speed
        return Text("--/s" if speed is None else f"{speed:,.1f}/s")


class Reporter:
    """Shows progress; ``with reporter:`` around the run, :meth:`advance` per commit."""

    def __init__(self, total: int, done: int, price_per_million: float | None) -> None:
        """``total`` chunks in the shard, ``done`` already done before this run."""
        self.total = total
        self.done = done
        self.price = price_per_million
        self.tokens = 0

    def advance(self, chunks: int, tokens_total: int) -> None:
        """``chunks`` more are done; ``tokens_total`` prompt tokens so far (whole run)."""
        self.done += chunks
        self.tokens = tokens_total

    def __enter__(self) -> Self:
        """Start showing progress."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop showing progress."""


class BarReporter(Reporter):
    """A rich progress bar on stderr."""

    def __init__(self, total: int, done: int, price_per_million: float | None) -> None:
        """Build the bar (not shown until entered)."""
        super().__init__(total, done, price_per_million)
        columns: list[ProgressColumn | str] = [
            BarColumn(bar_width=20),
            MofNCompleteColumn(),
            _Rate(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[tokens]:,} tok"),
        ]
        if price_per_million is not None:
            columns.append(TextColumn("${task.fields[cost]:,.4f}"))
        self.bar = Progress(*columns, console=Console(stderr=True))
        self.task: TaskID = self.bar.add_task(
            "re-embed", total=total, completed=done, tokens=0, cost=0.0
        )

    def advance(self, chunks: int, tokens_total: int) -> None:
        """Move the bar."""
        super().advance(chunks, tokens_total)
        cost = cost_usd(tokens_total, self.price) or 0.0
        self.bar.update(self.task, advance=chunks, tokens=tokens_total, cost=cost)

    def __enter__(self) -> Self:
        """Show the bar; log lines (retries) print above it while it is shown."""
        self.bar.start()
        # rich now holds sys.stderr, printing what is written to it above the bar.
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Leave the final bar on screen."""
        self.bar.stop()
        structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))


class LogReporter(Reporter):
    """A ``reembed_progress`` log line every ``interval_s`` seconds (and one at the end)."""

    def __init__(
        self, total: int, done: int, price_per_million: float | None, interval_s: float
    ) -> None:
        """Log at most every ``interval_s`` seconds."""
        super().__init__(total, done, price_per_million)
        self.interval_s = interval_s
        self.log = get_logger("reembed")
        self.started = time.monotonic()
        self.start_done = done
        self.last = self.started

    def advance(self, chunks: int, tokens_total: int) -> None:
        """Log if the interval has passed."""
        super().advance(chunks, tokens_total)
        now = time.monotonic()
        if now - self.last >= self.interval_s:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = (self.done - self.start_done) / elapsed
        remaining = self.total - self.done
        self.log.info(
            "reembed_progress",
            done=self.done,
            total=self.total,
            percent=round(100.0 * self.done / self.total, 1) if self.total else 100.0,
            rate_per_s=round(rate, 2),
            eta_s=round(remaining / rate) if rate > 0 else None,
            prompt_tokens=self.tokens,
            cost_usd=cost_usd(self.tokens, self.price),
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """A last line with the final figures."""
        self._line(time.monotonic())


def make_reporter(
    total: int, done: int, price_per_million: float | None, interval_s: float
) -> Reporter:
    """A bar on a terminal, log lines otherwise."""
    if sys.stderr.isatty():
        return BarReporter(total, done, price_per_million)
    return LogReporter(total, done, price_per_million, interval_s)
