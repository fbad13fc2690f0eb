"""Automatic promotion drives a real mode controller: up the ladder, rollback, halt, resume.

A rollback needs a failure that persists on new data: ``failure_limit`` failing readings, a
gate window apart by default, with every evaluation in between failing. The burst tests feed
the promoter reports whose latency verdict comes from the real sliding window
(:class:`~proxy.gate.window.CounterWindow` over a real histogram) and the real latency
criterion, on an injected clock.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from proxy.admin.client import format_status
from proxy.config import parse_config
from proxy.flip.audit import AuditLog
from proxy.flip.modes import ModeController
from proxy.flip.promotion import ACTOR, Promoter, Streak
from proxy.gate.monitor import GateReport
from proxy.gate.traffic import latency
from proxy.gate.verdict import Latency, Verdict
from proxy.gate.window import CounterWindow, latency_between, take_snapshot
from proxy.metrics import FlipMetrics, ProxyMetrics
from tests.support.flip_rig import GATE_FOR_TESTS, make_rig

BASE = '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
DEMO = "[gate]\nwindow_s = 15.0\ninterval_s = 1.0\n"  # the demo's gate (calibrator/demo)
DEFAULTS = ""  # window_s 600, interval_s 5


def parsed(gate: str = DEFAULTS, promotion: str = ""):
    """The whole config: promotion on, two canary steps, a 100 s hold, plus ``promotion``."""
    return parse_config(
        f"{BASE}{gate}[promotion]\nenabled = true\ncanary_steps = [10, 50]\nhold_s = 100\n"
        f"{promotion}"
    )


def report(at: float, verdict: str, window_s: float = 600.0) -> GateReport:
    """Every segment with ``verdict`` at time ``at``."""
    verdicts = tuple(Verdict(s, verdict, (), ()) for s in ("docs", "code"))  # type: ignore[arg-type]
    return GateReport(at, "local", window_s, verdicts, Latency())


def make_controller(tmp_path, now: list[float]) -> ModeController:
    """A controller on its own database whose clock reads ``now[0]``."""
    return ModeController(
        AuditLog(tmp_path / "modes.sqlite"), FlipMetrics(CollectorRegistry()), None, lambda: now[0]
    )


async def flipped(tmp_path, now: list[float], promotion: str = "", gate: str = DEFAULTS):
    """A promoter whose controller an operator has flipped at time 0."""
    controller = make_controller(tmp_path, now)
    async with controller.lock:
        await controller.change("flipped", 100.0, actor="ops", reason="t", forced=True, gate={})
    return Promoter(controller, parsed(gate, promotion).promotion)


async def test_promotion_climbs_rolls_back_and_halts(tmp_path):
    """Passing for hold_s climbs; failing for two whole windows (3 readings) rolls back, halts.

    The gate judges a 600 s window every 5 s: the rollback comes at the evaluation 1,200 s
    after the first failing one, not 10 s after it; an operator's change resumes promotion.
    """
    now = [0.0]
    controller = make_controller(tmp_path, now)
    promoter = Promoter(controller, parsed().promotion)
    modes: list[tuple[str, float]] = []
    for t in range(0, 1000, 10):
        now[0] = float(t)
        await promoter.observe(report(float(t), "pass"))
        state = controller.state
        if not modes or modes[-1] != (state.mode, state.new_share):
            modes.append((state.mode, state.new_share))
    assert modes == [("shadow", 0.0), ("canary", 10.0), ("canary", 50.0), ("flipped", 100.0)]
    for t in range(2000, 3200, 5):  # 240 failing evaluations over 1,195 s: 2 readings
        now[0] = float(t)
        await promoter.observe(report(float(t), "fail"))
        assert controller.state.mode == "flipped", t
    assert promoter.streaks["docs"] == Streak(2000.0, 240, 2, 2600.0)  # embedshift status
    now[0] = 3200.0
    await promoter.observe(report(3200.0, "fail"))  # the third reading: rollback
    assert controller.state.mode == "shadow"
    assert promoter.halted
    await promoter.observe(report(4000.0, "pass"))
    await promoter.observe(report(5000.0, "pass"))
    assert controller.state.mode == "shadow"  # halted: no climbing until an operator acts
    entries = controller.audit.entries()
    assert {e.token for e in entries} == {ACTOR}
    assert entries[0].reason == (
        "automatic rollback: the gate fails for docs at every evaluation for 1200 s "
        "(241 in a row, 3 of them at least 600 s apart); code at every evaluation for 1200 s "
        "(241 in a row, 3 of them at least 600 s apart)"
    )
    assert [e.to_mode for e in reversed(entries)] == ["canary", "canary", "flipped", "shadow"]
    promoter.operator_changed()
    now[0] = 6000.0
    await promoter.observe(report(6000.0, "pass"))
    assert controller.state.new_share == 10.0  # the first canary step again


@pytest.mark.parametrize("ending", ["pass", "inconclusive"])
async def test_a_pass_or_an_inconclusive_verdict_ends_the_streak(tmp_path, ending):
    """Two readings, then one evaluation that is not a fail: the count starts again from one."""
    now = [0.0]
    promoter = await flipped(tmp_path, now)
    for t in range(0, 1200, 5):
        await promoter.observe(report(float(t), "fail"))
    assert promoter.streaks["docs"].readings == 2
    await promoter.observe(report(1200.0, ending))
    assert promoter.streaks == {}
    for t in range(1205, 2405, 5):  # 1,200 s of failing from 1,205 s: 2 readings again
        await promoter.observe(report(float(t), "fail"))
    assert promoter.controller.state.mode == "flipped"
    await promoter.observe(report(2405.0, "fail"))
    assert promoter.controller.state.mode == "shadow"


async def test_failure_interval_zero_counts_every_evaluation(tmp_path):
    """``failure_interval_s = 0``: three failing evaluations in a row roll back (windows overlap).

    Meant for a gate evaluated no more often than its window; a segment's streak is its own.
    """
    now = [0.0]
    promoter = await flipped(tmp_path, now, "failure_interval_s = 0\n")
    assert promoter.status(600.0)["failure_interval_s"] == 0
    await promoter.observe(report(10.0, "fail"))
    await promoter.observe(report(15.0, "fail"))
    assert promoter.controller.state.mode == "flipped"
    await promoter.observe(report(20.0, "fail"))
    assert promoter.controller.state.mode == "shadow"
    assert promoter.controller.audit.entries()[0].reason.endswith(
        "(3 in a row, 3 of them at least 0 s apart)"
    )


async def test_failure_interval_sets_the_spacing_of_readings(tmp_path):
    """``failure_interval_s = 100`` under a 600 s window: readings 100 s apart count."""
    now = [0.0]
    promoter = await flipped(tmp_path, now, "failure_interval_s = 100\n")
    for t in range(0, 200, 5):
        await promoter.observe(report(float(t), "fail"))
    assert promoter.controller.state.mode == "flipped"
    await promoter.observe(report(200.0, "fail"))
    assert promoter.controller.state.mode == "shadow"


@dataclass
class BurstRun:
    """What a run of :func:`slow_period` saw: failing evaluation times and the rollback."""

    failing_at: list[float] = field(default_factory=list)
    rollback_at: float | None = None
    most_readings: int = 0  # while the new index answered

    @property
    def failing_for(self) -> float:
        """From the first failing evaluation to the last."""
        return self.failing_at[-1] - self.failing_at[0]


async def slow_period(
    tmp_path, gate: str, start: float, length: float, end: float, promotion: str = ""
) -> BurstRun:
    """A flipped migration through a period of slow new answers, judged by the real window.

    Both indexes answer 50 searches a second (old 5 ms, new 6 ms); from ``start`` for
    ``length`` seconds every new answer takes 400 ms. The gate is evaluated every
    ``interval_s`` plus 13 ms (the time an evaluation takes) until ``end``; each segment's
    verdict is the latency criterion's over the window.
    """
    settings = parsed(gate).gate
    metrics = ProxyMetrics(CollectorRegistry())
    old = metrics.upstream_duration.labels("old", "search")
    new = metrics.upstream_duration.labels("new", "search")
    window = CounterWindow(settings.window_s, 0.0)
    now = [0.0]
    promoter = await flipped(tmp_path, now, promotion, gate)
    run = BurstRun()
    step = settings.interval_s + 0.013
    while now[0] < end:
        answers = round(50 * step)
        for i in range(answers):
            at = now[0] + step * i / answers
            old.observe(0.005)
            new.observe(0.4 if start <= at < start + length else 0.006)
        now[0] += step
        window.push(take_snapshot(metrics.gate_counters(), now[0]))
        criterion = latency(latency_between(*window.span()), settings)
        verdict = "fail" if criterion.status == "fail" else "pass"
        verdicts = (Verdict("docs", verdict, (criterion.reason,), (criterion,)),)  # type: ignore[arg-type]
        await promoter.observe(GateReport(now[0], "local", settings.window_s, verdicts, Latency()))
        if verdict == "fail":
            run.failing_at.append(now[0])
        if run.rollback_at is None and verdict == "fail":
            run.most_readings = max(run.most_readings, promoter.streaks["docs"].readings)
        if run.rollback_at is None and promoter.controller.state.mode == "shadow":
            run.rollback_at = now[0]
    return run


@pytest.mark.parametrize(
    ("gate", "length"),
    [
        pytest.param(DEMO, 1.0, id="demo-1s"),
        pytest.param(DEMO, 2.0, id="demo-2s"),
        pytest.param(DEMO, 5.0, id="demo-5s"),
        pytest.param(DEMO, 14.0, id="demo-14s"),
        pytest.param(DEFAULTS, 60.0, id="defaults-60s"),
        pytest.param(DEFAULTS, 590.0, id="defaults-590s"),
    ],
)
async def test_a_burst_shorter_than_a_window_never_rolls_back(tmp_path, gate, length):
    """Slow answers for less than one window fail the gate for a while, never roll back.

    Even a 1 s burst fails every evaluation for about a whole window (its slow answers stay in
    the window until they leave it): a rule of three overlapping evaluations, or of failing for
    one window, would roll back. With three readings a window apart, it takes a slowdown that
    outlasts a window.
    """
    window_s = parsed(gate).gate.window_s
    run = await slow_period(tmp_path, gate, 20.0, length, 20.0 + length + 2.5 * window_s)
    assert run.failing_at, "the burst failed the gate"
    if length in (2.0, 60.0):
        assert run.failing_for >= window_s  # failing for a whole window: not enough to roll back
    assert run.failing_at[-1] < 20.0 + length + window_s + 1  # the burst left the window
    assert run.most_readings == 2
    assert run.rollback_at is None


@pytest.mark.parametrize(
    ("gate", "length"),
    [
        pytest.param(DEMO, 20.0, id="demo-20s"),
        pytest.param(DEMO, 300.0, id="demo-300s"),
        pytest.param(DEFAULTS, 700.0, id="defaults-700s"),
    ],
)
async def test_a_slowdown_that_outlasts_a_window_rolls_back(tmp_path, gate, length):
    """Slow answers for longer than a window: rollback at the third reading, 2 windows in."""
    window_s = parsed(gate).gate.window_s
    run = await slow_period(tmp_path, gate, 20.0, length, 20.0 + length + 2.5 * window_s)
    assert run.rollback_at is not None
    first = run.failing_at[0]
    assert 2 * window_s <= run.rollback_at - first < 2 * window_s + 3 * parsed(gate).gate.interval_s
    assert run.most_readings == 3


@pytest.mark.parametrize(
    ("gate", "length"),
    [pytest.param(DEMO, 1.0, id="demo-1s"), pytest.param(DEFAULTS, 10.0, id="defaults-10s")],
)
async def test_counting_every_evaluation_lets_one_burst_roll_back(tmp_path, gate, length):
    """What the readings prevent: with failure_interval_s = 0 one short burst rolls back.

    Three consecutive evaluations of one sliding window share nearly all their data.
    """
    run = await slow_period(tmp_path, gate, 20.0, length, 100.0, "failure_interval_s = 0\n")
    assert run.rollback_at is not None
    assert run.rollback_at - run.failing_at[0] < 3 * parsed(gate).gate.interval_s


async def test_status_shows_each_failing_streak(aiohttp_server, tmp_path):
    """``GET /admin/status`` and ``embedshift status``: evaluations, readings, since when."""
    extra = GATE_FOR_TESTS + "interval_s = 3600.0\n[promotion]\nenabled = true\n"
    rig = await make_rig(aiohttp_server, tmp_path, extra=extra)
    # the periodic evaluation at start-up (inconclusive: no traffic), then none for an hour
    while rig.sidecar.gate.last is None:  # noqa: ASYNC110 - the gate task has no event
        await asyncio.sleep(0.01)
    promoter = rig.sidecar.promoter
    since = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
    for k in range(130):  # every 5 s for 645 s: 2 readings of the 600 s window
        await promoter.observe(report(since + 5 * k, "fail"))
    async with aiohttp.ClientSession() as session:
        status, body = await rig.admin_call(session, "GET", "/admin/status")
    assert status == 200
    promotion = body["promotion"]
    assert promotion["failing"]["docs"] == {
        "since": since,
        "evaluations": 130,
        "readings": 2,
        "last_reading": since + 600,
    }
    assert promotion["failing_evaluations"] == {"docs": 130, "code": 130}
    assert promotion["failure_limit"] == 3
    assert promotion["failure_interval_s"] == 600.0  # unset: the gate's window
    text = format_status(body)
    assert (
        "  docs failing since 2025-05-06 07:08:09 UTC: 130 evaluations in a row, 2 of them at "
        "least 600 s apart (rollback at 3)"
    ) in text.splitlines()
