"""One criterion of the gate: its name, status, figure, limit and reason (pure data).

Statuses: ``pass``; ``fail``; ``uncertain`` (the figure's bound straddles the limit: more data
will tell); ``unavailable`` (the figure does not exist yet: nothing published, no traffic);
``skipped`` (the operator turned the criterion off, or it cannot apply: no thresholds, review
off); ``reported`` (shown, never judged: ``old_empty_rate``). A verdict fails on any ``fail``,
is inconclusive on any ``uncertain`` or ``unavailable``, and passes otherwise.
A reason says why, never repeating the status it stands beside (no ``skipped: ...``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["pass", "fail", "uncertain", "unavailable", "skipped", "reported"]
UNDECIDED: tuple[Status, ...] = ("uncertain", "unavailable")
SILENT: tuple[Status, ...] = ("pass", "skipped", "reported")
"""Statuses that give no reason against the new index."""


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of one segment: its figure, its limit and what it says."""

    name: str
    status: Status
    value: float | None
    limit: float | None
    reason: str
