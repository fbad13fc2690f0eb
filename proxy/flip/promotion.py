"""Automatic promotion (``[promotion].enabled``, off by default): the ladder, one rung at a time.

The ladder is shadow, then each of ``canary_steps`` (percent), then flipped. After every gate
evaluation :class:`Promoter` decides (:func:`next_step`, pure):

- a segment has failed in ``failure_limit`` consecutive evaluations and the mode is not shadow
  (``rollback_on_fail``): back to shadow, and no more automatic promotion until an operator
  sets a mode through the admin API. The failure budget is Argo Rollouts' ``failureLimit`` and
  Flagger's ``threshold``: one failing evaluation (a noisy window, a scrape gap) never undoes a
  migration; a failure that persists does. Every criterion already fails only on a bound, so
  a persisting failure is a significant one, seen again and again;
- every segment has passed in every evaluation for ``hold_s``, and the mode in force has
  been in force for ``hold_s`` too: one rung up (never past flipped).

Each step goes through the same path as an operator's change (persisted, audited with token
``automatic-promotion`` and the gate report). The halt after a rollback is kept in memory: a
restarted sidecar may promote again, but only after the gate has passed for ``hold_s`` anew.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
    streaks: Mapping[str, int] | None = None,
) -> Step | None:
    """The change to make now, or None (see the module docstring).

    ``streaks``: consecutive failing evaluations per segment, this report's included (None:
    this report's failures count as persisting, for callers without a history).
    """
    failing = [
        s for s in report.failing if streaks is None or streaks.get(s, 0) >= settings.failure_limit
    ]
    if failing and settings.rollback_on_fail and state.mode != "shadow":
        count = settings.failure_limit
        return Step(
            "shadow",
            0.0,
            f"automatic rollback: the gate fails for {', '.join(failing)} "
            f"({count} consecutive evaluation{'s' if count > 1 else ''})",
        )
    if halted or state.mode == "flipped" or not report.passes or passing_since is None:
        return None
    if now - passing_since < settings.hold_s or now - state.changed_at < settings.hold_s:
        return None
    for mode, percent in ladder(settings):
        if percent > state.new_share:
            held = round(now - passing_since)
            return Step(mode, percent, f"automatic promotion: every segment passed for {held} s")
    return None


class Promoter:
    """Applies :func:`next_step` after each gate evaluation."""

    def __init__(self, controller: ModeController, settings: PromotionSection) -> None:
        """``settings`` is replaced on config reload (:attr:`settings`)."""
        self.controller = controller
        self.settings = settings
        self.halted = False
        self.passing_since: float | None = None
        self.streaks: dict[str, int] = {}  # consecutive failing evaluations per segment

    def operator_changed(self) -> None:
        """An operator set a mode: automatic promotion may resume."""
        self.halted = False

    async def observe(self, report: GateReport) -> None:
        """Track how long the gate has passed; step when :func:`next_step` says so."""
        if not report.passes:
            self.passing_since = None
        elif self.passing_since is None:
            self.passing_since = report.at
        failing = set(report.failing)
        self.streaks = {s: self.streaks.get(s, 0) + 1 for s in failing}
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
