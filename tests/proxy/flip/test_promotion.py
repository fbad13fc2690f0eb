"""Automatic promotion drives a real mode controller: up the ladder, rollback, halt, resume."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from proxy.config import parse_config
from proxy.flip.audit import AuditLog
from proxy.flip.modes import ModeController
from proxy.flip.promotion import ACTOR, Promoter
from proxy.gate.monitor import GateReport
from proxy.gate.verdict import Latency, Verdict
from proxy.metrics import FlipMetrics


def settings(enabled: bool = True):
    """Promotion with two canary steps and a 100 s hold."""
    return parse_config(
        '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
        f"[promotion]\nenabled = {str(enabled).lower()}\ncanary_steps = [10, 50]\nhold_s = 100\n"
    ).promotion


def report(at: float, verdict: str) -> GateReport:
    """Every segment with ``verdict`` at time ``at``."""
    verdicts = tuple(Verdict(s, verdict, (), ()) for s in ("docs", "code"))  # type: ignore[arg-type]
    return GateReport(at, "local", 600.0, verdicts, Latency())


async def test_promotion_climbs_rolls_back_and_halts(tmp_path):
    """Passing for hold_s climbs; 3 failing evaluations in a row roll back and halt.

    Fewer failures, or failures broken by a pass, never roll back (failure_limit = 3).
    """
    now = [0.0]
    controller = ModeController(
        AuditLog(tmp_path / "modes.sqlite"), FlipMetrics(CollectorRegistry()), None, lambda: now[0]
    )
    promoter = Promoter(controller, settings())
    modes: list[tuple[str, float]] = []
    for t in range(0, 1000, 10):
        now[0] = float(t)
        await promoter.observe(report(float(t), "pass"))
        state = controller.state
        if not modes or modes[-1] != (state.mode, state.new_share):
            modes.append((state.mode, state.new_share))
    assert modes == [("shadow", 0.0), ("canary", 10.0), ("canary", 50.0), ("flipped", 100.0)]
    for t in (2000.0, 2005.0):  # two failing evaluations: within the failure budget
        now[0] = t
        await promoter.observe(report(t, "fail"))
        assert controller.state.mode == "flipped"
    assert promoter.streaks == {"docs": 2, "code": 2}  # what embedshift status shows
    await promoter.observe(report(2010.0, "pass"))  # a pass resets the count
    assert promoter.streaks == {}
    for t in (2015.0, 2020.0):
        await promoter.observe(report(t, "fail"))
        assert controller.state.mode == "flipped"
    now[0] = 2025.0
    await promoter.observe(report(2025.0, "fail"))  # the third in a row: rollback
    assert controller.state.mode == "shadow"
    assert promoter.halted
    await promoter.observe(report(3000.0, "pass"))
    await promoter.observe(report(4000.0, "pass"))
    assert controller.state.mode == "shadow"  # halted: no climbing until an operator acts
    entries = controller.audit.entries()
    assert {e.token for e in entries} == {ACTOR}
    assert entries[0].reason == (
        "automatic rollback: the gate fails for docs, code (3 consecutive evaluations)"
    )
    assert [e.to_mode for e in reversed(entries)] == ["canary", "canary", "flipped", "shadow"]
    promoter.operator_changed()
    now[0] = 5000.0
    await promoter.observe(report(5000.0, "pass"))
    assert controller.state.new_share == 10.0  # the first canary step again


async def test_disabled_promotion_never_changes_the_mode(tmp_path):
    """Off (the default): passing or failing, the mode stays and nothing is audited."""
    controller = ModeController(
        AuditLog(tmp_path / "modes.sqlite"), FlipMetrics(CollectorRegistry()), None
    )
    promoter = Promoter(controller, settings(enabled=False))
    for t in range(0, 1000, 10):
        await promoter.observe(report(float(t), "pass" if t < 500 else "fail"))
    assert controller.state.generation == 0
    assert controller.audit.entries() == []
