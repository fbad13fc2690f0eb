"""structlog set-up, done once at start-up by the command that runs.

Logs go to stderr: JSON lines when stderr is not a terminal (or ``format = "json"``), a
readable console rendering otherwise. Event names are snake_case facts (``shadow_timeout``).
Nothing here logs query text; callers pass it only when ``log_query_text`` is on.

May import: nothing of proxy.
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


def configure_logging(
    level: str = "info", fmt: Literal["auto", "json", "console"] = "auto"
) -> None:
    """Configure structlog (and the stdlib root logger it shares stderr with)."""
    as_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(_LEVELS.get(level, logging.INFO)),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(
        level=_LEVELS.get(level, logging.INFO), stream=sys.stderr, format="%(message)s"
    )


def get_logger(name: str) -> structlog.typing.FilteringBoundLogger:
    """A logger bound to a component name.

    Lazy: modules create their loggers at import time, before :func:`configure_logging` runs,
    and each logger picks up the configuration in force when it first logs.
    """
    logger: structlog.typing.FilteringBoundLogger = structlog.get_logger(component=name)
    return logger


class OncePerKind:
    """Log the first occurrence of each kind of failure, count the rest silently.

    The shadow path may fail thousands of times a second; one line per kind (per interval) is
    what an operator can read. ``should_log(kind)`` is true once per ``interval_s`` per kind.
    """

    def __init__(self, interval_s: float = 60.0) -> None:
        """``interval_s``: after this long, a kind is logged again (with the count since)."""
        self.interval_s = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def should_log(self, kind: str, now: float) -> int | None:
        """None to stay silent; else how many of this kind were suppressed since the last line."""
        last = self._last.get(kind)
        if last is not None and now - last < self.interval_s:
            self._suppressed[kind] = self._suppressed.get(kind, 0) + 1
            return None
        self._last[kind] = now
        return self._suppressed.pop(kind, 0)
