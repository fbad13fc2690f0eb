"""The demo's timeline: when each milestone of the migration was first seen, and the events.

:meth:`Timeline.observe` reads each new :class:`~calibrator.demo.observe.Reading` (and the
audit log's new entries) for the milestones: the first compared queries, the first thresholds
document in force, the first time the gate passes for every segment (or fails for one), each
mode change, an automatic rollback. It also tracks since when the gate has failed without a
break (:attr:`Timeline.failing_since`), which ends a run the gate refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from calibrator.demo.corpus import SEGMENTS
from calibrator.demo.observe import Reading

ROLLBACK_ACTOR = "automatic-promotion"


def _mode(reading: Reading) -> str:
    mode = (reading.status or {}).get("mode", {})
    return shown(mode.get("mode", "shadow"), float(mode.get("percent", 0.0)))


def shown(mode: str, percent: float) -> str:
    """``shadow``, ``canary 10%`` or ``flipped``."""
    return f"canary {percent:g}%" if mode == "canary" else mode


def failing_text(failing: dict[str, dict[str, Any]]) -> str:
    """``docs, code (new_index_coverage)``: failing segments and their failing criteria."""
    names = sorted({c for criteria in failing.values() for c in criteria})
    return ", ".join(failing) + (f" ({', '.join(names)})" if names else "")


@dataclass
class Timeline:
    """Milestones in seconds after the start (None: not reached), and every event."""

    corpus_ready_s: float | None = None
    sidecar_ready_s: float | None = None
    first_figures_s: float | None = None
    thresholds_published_s: float | None = None
    gate_passed_s: float | None = None
    gate_failed_s: float | None = None
    first_canary_s: float | None = None
    flipped_s: float | None = None
    rolled_back_s: float | None = None
    events: list[tuple[float, str]] = field(default_factory=list)
    gate_failures: list[dict[str, Any]] = field(default_factory=list)
    audit_seen: int = 0
    failing_since: float | None = None  # the gate has failed in every reading since then
    failing_shown: tuple[str, ...] = ()  # the failing segments the last event named

    def note(self, at: float, message: str) -> None:
        """Add an event."""
        self.events.append((at, message))

    def observe(self, reading: Reading, audit: Sequence[dict[str, Any]]) -> None:
        """Note the milestones ``reading`` and the audit log's new entries show."""
        t = reading.at
        compared = sum(reading.counts(s).get("compared") for s in SEGMENTS)
        if self.first_figures_s is None and compared > 0:
            self.first_figures_s = t
            self.note(t, "first queries compared: divergence figures are live")
        if self.thresholds_published_s is None and reading.version > 0:
            self.thresholds_published_s = t
            self.note(t, f"calibrator worker published thresholds v{reading.version}; hot-reloaded")
        if self.gate_passed_s is None and (reading.status or {}).get("gate", {}).get("passes"):
            self.gate_passed_s = t
            self.note(t, "the gate passes for every segment")
        self._failing(reading)
        for entry in audit[self.audit_seen :]:
            self.audit_seen += 1
            before = shown(entry["from_mode"], entry["from_percent"])
            after = shown(entry["to_mode"], entry["to_percent"])
            self.note(t, f"mode {before} -> {after} by {entry['token']}")
            if entry["to_mode"] == "canary" and self.first_canary_s is None:
                self.first_canary_s = t
            if entry["to_mode"] == "flipped" and self.flipped_s is None:
                self.flipped_s = t
            if (
                entry["to_mode"] == "shadow"
                and entry["token"] == ROLLBACK_ACTOR
                and self.rolled_back_s is None
            ):
                self.rolled_back_s = t

    def _failing(self, reading: Reading) -> None:
        failing = reading.failing()
        if not failing:
            if self.failing_since is not None:
                self.note(reading.at, "the gate no longer fails for any segment")
            self.failing_since, self.failing_shown = None, ()
            return
        if self.failing_since is None:
            self.failing_since = reading.at
        if self.gate_failed_s is None:
            self.gate_failed_s = reading.at
        segments = tuple(failing)
        if segments != self.failing_shown:
            self.failing_shown = segments
            self.note(reading.at, f"the gate fails for {failing_text(failing)}")
            self.gate_failures.append(
                {
                    "at_s": round(reading.at, 1),
                    "mode": _mode(reading),
                    "segments": {
                        segment: {name: str(c.get("reason", "")) for name, c in criteria.items()}
                        for segment, criteria in failing.items()
                    },
                }
            )

    def milestones(self) -> dict[str, float | None]:
        """The milestones, rounded to a tenth of a second."""
        values = {n: v for n, v in vars(self).items() if n.endswith("_s")}
        return {n: None if v is None else round(v, 1) for n, v in values.items()}
