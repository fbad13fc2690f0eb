"""Automatic promotion (``[promotion].enabled``, off by default): the ladder, one rung at a time.

The ladder is shadow, then each of ``canary_steps`` (percent), then flipped. After every gate
evaluation :class:`Promoter` decides (:func:`next_step`, pure):

- a segment's failure persists and the mode is not shadow (``rollback_on_fail``): back to
  shadow, and no more automatic promotion until an operator sets a mode through the admin API;
- every segment has passed in every evaluation for ``hold_s``, and the mode in force has
  been in force for ``hold_s`` too: one rung up (never past flipped).

A failure persists when the segment shows ``failure_limit`` failing *readings* in a row
(:class:`Streak`): failing evaluations at least ``failure_interval_s`` apart, by default the
gate's whole window, with every evaluation in between failing too. Each evaluation judges the
whole sliding window, so consecutive evaluations share nearly all their data: three failing
ones 5 s apart are one reading, not three. Counted readings a window apart judge windows that
do not overlap, as each of Argo Rollouts' or Flagger's checks judges its own interval
(``rate(...[1m])`` every minute); with three of them a burst shorter than one window can never
roll back, however bad (docs/gate.md). A pass or an inconclusive verdict ends the streak.

Each step goes through the same path as an operator's change (persisted, audited with token
``automatic-promotion`` and the gate report). The halt after a rollback is kept in memory: a
restarted sidecar may promote again, but only after the gate has passed for ``hold_s`` anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from proxy.config.schema import PromotionSection
from proxy.flip.modes import Mode, ModeController, ModeState
from proxy.gate.monitor import GateReport
from proxy.logs import get_logger

log = get_logger("promotion")
ACTOR = "automatic-promotion"  # what the audit log records as the token name


@dataclass(frozen=True, slots=True)
class Step:
    """A change automatic promotion wants."""

    mode: Mode
    percent: float
    reason: str


@dataclass(frozen=True, slots=True)
class Streak:
    """A segment's unbroken run of failing evaluations.

    ``evaluations`` counts every one since ``since``; ``readings`` only those taken at least
    the reading interval after the previous counted one (the first always counts): the figure
    ``failure_limit`` judges. ``last_reading`` is when the latest counted one was taken.
    """

    since: float
    evaluations: int
    readings: int
    last_reading: float

    @classmethod
    def start(cls, at: float) -> Streak:
        """A first failing evaluation at ``at``: one evaluation, one reading."""
        return cls(at, 1, 1, at)

    def extended(self, at: float, interval_s: float) -> Streak:
        """The streak after one more failing evaluation at ``at``."""
        counted = at - self.last_reading >= interval_s
        return Streak(
            self.since,
            self.evaluations + 1,
            self.readings + counted,
            at if counted else self.last_reading,
        )

    def as_json(self) -> dict[str, float]:
        """As ``GET /admin/status`` shows it."""
        return {
            "since": self.since,
            "evaluations": self.evaluations,
            "readings": self.readings,
            "last_reading": self.last_reading,
        }


def reading_interval(settings: PromotionSection, window_s: float) -> float:
    """Least time between two counted failing readings: ``failure_interval_s``, else the window."""
    return window_s if settings.failure_interval_s is None else settings.failure_interval_s


def ladder(settings: PromotionSection) -> list[tuple[Mode, float]]:
    """Every rung, lowest first, as (mode, percent of search traffic on the new index)."""
    return [("shadow", 0.0), *(("canary", p) for p in settings.canary_steps), ("flipped", 100.0)]


def next_step(
    state: ModeState,
    report: GateReport,
    passing_since: float | None,
    now: float,
    settings: PromotionSection,
    halted: bool,
    streaks: Mapping[str, Streak] | None = None,
) -> Step | None:
    """The change to make now, or None (see the module docstring).

    ``streaks``: each failing segment's streak, this report included (None: this report's
    failures count as persisting, for callers without a history).
    """
    persisting: dict[str, Streak | None] = dict.fromkeys(report.failing)
    if streaks is not None:
        persisting = {
            s: streaks[s]
            for s in report.failing
            if s in streaks and streaks[s].readings >= settings.failure_limit
        }
    if persisting and settings.rollback_on_fail and state.mode != "shadow":
        interval = reading_interval(settings, report.window_s)
        return Step("shadow", 0.0, _rollback_reason(persisting, now, interval))
    if halted or state.mode == "flipped" or not report.passes or passing_since is None:
        return None
    if now - passing_since < settings.hold_s or now - state.changed_at < settings.hold_s:
        return None
    for mode, percent in ladder(settings):
        if percent > state.new_share:
            held = round(now - passing_since)
            return Step(mode, percent, f"automatic promotion: every segment passed for {held} s")
    return None


def _rollback_reason(persisting: Mapping[str, Streak | None], now: float, interval: float) -> str:
    """``automatic rollback: the gate fails for docs at every evaluation for 1205 s (...)``."""
    parts = []
    for segment, streak in persisting.items():
        if streak is None:
            parts.append(segment)
            continue
        parts.append(
            f"{segment} at every evaluation for {round(now - streak.since)} s "
            f"({streak.evaluations} in a row, {streak.readings} of them at least "
            f"{interval:g} s apart)"
        )
    return f"automatic rollback: the gate fails for {'; '.join(parts)}"


class Promoter:
    """Applies :func:`next_step` after each gate evaluation."""

    def __init__(self, controller: ModeController, settings: PromotionSection) -> None:
        """``settings`` is replaced on config reload (:attr:`settings`)."""
        self.controller = controller
        self.settings = settings
        self.halted = False
        self.passing_since: float | None = None
        self.streaks: dict[str, Streak] = {}  # failing segments, their unbroken failing runs

    def operator_changed(self) -> None:
        """An operator set a mode: automatic promotion may resume."""
        self.halted = False

    def status(self, window_s: float) -> dict[str, Any]:
        """What ``GET /admin/status`` shows of promotion (``window_s``: the gate's window)."""
        return {
            "enabled": self.settings.enabled,
            "halted": self.halted,
            "passing_since": self.passing_since,
            "failing_evaluations": {s: k.evaluations for s, k in self.streaks.items()},
            "failing": {s: k.as_json() for s, k in self.streaks.items()},
            "failure_limit": self.settings.failure_limit,
            "failure_interval_s": reading_interval(self.settings, window_s),
        }

    async def observe(self, report: GateReport) -> None:
        """Track how long the gate has passed and each failing streak; step when due."""
        if not report.passes:
            self.passing_since = None
        elif self.passing_since is None:
            self.passing_since = report.at
        self._track(report)
        if not self.settings.enabled:
            return
        async with self.controller.lock:
            step = next_step(
                self.controller.state,
                report,
                self.passing_since,
                report.at,
                self.settings,
                self.halted,
                self.streaks,
            )
            if step is None:
                return
            await self.controller.change(
                step.mode,
                step.percent,
                actor=ACTOR,
                reason=step.reason,
                forced=False,
                gate=report.as_json(),
            )
        if step.mode == "shadow":
            self.halted = True
            log.warning("automatic_rollback", reason=step.reason)

    def _track(self, report: GateReport) -> None:
        """Extend the failing segments' streaks; every other segment's streak ends."""
        interval = reading_interval(self.settings, report.window_s)
        streaks = {}
        for segment in report.failing:
            before = self.streaks.get(segment)
            streak = (
                Streak.start(report.at) if before is None else before.extended(report.at, interval)
            )
            pending = self.settings.enabled and self.controller.state.mode != "shadow"
            if pending and before is not None and streak.readings > before.readings:
                log.info(
                    "failing_reading",
                    segment=segment,
                    readings=streak.readings,
                    failure_limit=self.settings.failure_limit,
                    failing_for_s=round(report.at - streak.since, 1),
                )
            streaks[segment] = streak
        self.streaks = streaks
