"""Modes: which side answers, canary consistency, persistence with the audit log, promotion."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from prometheus_client import CollectorRegistry

from proxy.config import parse_config
from proxy.config.schema import SampleKey
from proxy.flip.audit import AuditLog, ModeConflictError
from proxy.flip.modes import Assignment, ModeController, ModeState, canary_draw
from proxy.flip.promotion import ladder, next_step
from proxy.gate.monitor import GateReport
from proxy.gate.verdict import Latency, Verdict
from proxy.metrics import FlipMetrics
from proxy.shadow.admit import sample_hash

KEY = SampleKey(header="X-User")
PROMOTION = parse_config(
    '[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n'
    "[promotion]\nenabled = true\ncanary_steps = [10, 50]\nhold_s = 100\n"
).promotion


def controller(path) -> ModeController:
    """A controller on the database at ``path`` with its own registry."""
    return ModeController(AuditLog(path), FlipMetrics(CollectorRegistry()), KEY)


def test_shadow_and_flipped_never_draw() -> None:
    """Shadow: the old index answers every search; flipped: the new one, whatever the key."""
    shadow = Assignment(ModeState(), 0.0, KEY)
    flipped = Assignment(ModeState("flipped"), 1.0, KEY)
    for user in range(50):
        headers = {"X-User": str(user)}
        assert not shadow.new_answers(headers, b"")
        assert flipped.new_answers(headers, b"")


def test_canary_follows_the_key_and_grows_monotonically() -> None:
    """A key answered by new at 10% still is at 50%; the shares come out near p."""
    at10 = Assignment(ModeState("canary", 10.0), 0.10, KEY)
    at50 = Assignment(ModeState("canary", 50.0), 0.50, KEY)
    users = [{"X-User": f"user-{i}"} for i in range(4000)]
    in10 = [at10.new_answers(h, b"") for h in users]
    in50 = [at50.new_answers(h, b"") for h in users]
    assert all(b for a, b in zip(in10, in50, strict=True) if a)
    assert 0.08 < sum(in10) / len(users) < 0.12
    assert 0.46 < sum(in50) / len(users) < 0.54
    assert in10 == [at10.new_answers(h, b"") for h in users]  # the same again


def test_canary_is_independent_of_shadow_sampling() -> None:
    """The canary hash is salted: the 10% sampled and the 10% canary overlap near 1%, not 10%."""
    keys = [f"user-{i}".encode() for i in range(20000)]
    both = sum(1 for k in keys if sample_hash(k) < 0.1 and canary_draw(k) < 0.1)
    assert 0.005 < both / len(keys) < 0.015


def test_requests_without_the_key_are_drawn_at_random() -> None:
    """No X-User header: a draw per request, about p of them on the new index."""
    at30 = Assignment(ModeState("canary", 30.0), 0.30, KEY)
    share = sum(at30.new_answers({}, b"") for _ in range(10000)) / 10000
    assert 0.27 < share < 0.33


async def test_mode_survives_a_new_controller_on_the_same_database(tmp_path) -> None:
    """A change is persisted with its audit row: a fresh controller starts where it was."""
    path = tmp_path / "modes.sqlite"
    first = controller(path)
    assert first.state == ModeState()
    async with first.lock:
        await first.change("canary", 25.0, actor="t", reason="r", forced=True, gate={})
        await first.change("flipped", 0.0, actor="t", reason="r2", forced=False, gate={})
    second = controller(path)
    assert (second.state.mode, second.state.new_share, second.state.generation) == (
        "flipped",
        100.0,
        2,
    )
    entries = second.audit.entries()
    assert [(e.to_mode, e.generation) for e in entries] == [("flipped", 2), ("canary", 1)]


async def test_a_change_the_database_refuses_never_takes_effect(tmp_path) -> None:
    """The database is gone: the change raises and the mode in force stays as it was."""
    modes = controller(tmp_path / "modes.sqlite")
    modes.audit.close()
    with pytest.raises(sqlite3.ProgrammingError):
        async with modes.lock:
            await modes.change("flipped", 0.0, actor="t", reason="r", forced=False, gate={})
    assert modes.state == ModeState()


def report(verdicts: dict[str, str], at: float = 1000.0) -> GateReport:
    """A gate report with the given verdict per segment."""
    return GateReport(
        at,
        "local",
        600.0,
        tuple(Verdict(s, v, (), ()) for s, v in verdicts.items()),  # type: ignore[arg-type]
        Latency(),
    )


def test_ladder_goes_shadow_canaries_flipped() -> None:
    """The ladder: shadow, each canary step, flipped."""
    assert ladder(PROMOTION) == [
        ("shadow", 0.0),
        ("canary", 10.0),
        ("canary", 50.0),
        ("flipped", 100.0),
    ]


@pytest.mark.parametrize(
    ("state", "verdicts", "since", "halted", "expected"),
    [
        # passing long enough, mode old enough: one rung up
        (ModeState("shadow", 0, 0, 0.0), {"docs": "pass"}, 800.0, False, ("canary", 10.0)),
        (ModeState("canary", 10, 1, 0.0), {"docs": "pass"}, 800.0, False, ("canary", 50.0)),
        (ModeState("canary", 50, 2, 0.0), {"docs": "pass"}, 800.0, False, ("flipped", 100.0)),
        (ModeState("flipped", 0, 3, 0.0), {"docs": "pass"}, 800.0, False, None),
        # not held long enough (the gate, or the mode in force)
        (ModeState("shadow", 0, 0, 0.0), {"docs": "pass"}, 950.0, False, None),
        (ModeState("canary", 10, 1, 950.0), {"docs": "pass"}, 800.0, False, None),
        # inconclusive is no pass
        (
            ModeState("shadow", 0, 0, 0.0),
            {"docs": "pass", "code": "inconclusive"},
            None,
            False,
            None,
        ),
        # a failing segment rolls back at once, from any mode but shadow
        (ModeState("canary", 50, 2, 990.0), {"docs": "fail"}, None, False, ("shadow", 0.0)),
        (ModeState("flipped", 0, 3, 990.0), {"code": "fail"}, None, True, ("shadow", 0.0)),
        (ModeState("shadow", 0, 0, 0.0), {"docs": "fail"}, None, False, None),
        # halted after an automatic rollback: no promotion
        (ModeState("shadow", 0, 4, 0.0), {"docs": "pass"}, 800.0, True, None),
    ],
)
def test_next_step(state, verdicts, since, halted, expected) -> None:
    """Promotion steps one rung after hold_s of passing; rollback on fail; none when halted."""
    step = next_step(state, report(verdicts), since, 1000.0, PROMOTION, halted)
    assert (None if step is None else (step.mode, step.percent)) == expected
    if step is not None and step.mode == "shadow":
        assert step.reason.startswith("automatic rollback: the gate fails for")


async def test_processes_sharing_the_file_follow_each_other(tmp_path) -> None:
    """Two controllers on one file (two processes): a change through one reaches the other."""
    path = tmp_path / "modes.sqlite"
    first, second = controller(path), controller(path)
    async with first.lock:
        await first.change("canary", 10.0, actor="t", reason="r", forced=False, gate={})
    follower = asyncio.create_task(second.follow(lambda: 0.01))
    try:
        async with asyncio.timeout(10):
            while second.state.generation != 1:  # noqa: ASYNC110 - the follower has no event
                await asyncio.sleep(0.01)
    finally:
        follower.cancel()
    assert (second.state.mode, second.state.new_share) == ("canary", 10.0)
    async with second.lock:  # the next change is made from generation 1, wherever it is made
        entry = await second.change("flipped", 0.0, actor="t", reason="r", forced=False, gate={})
    assert (entry.from_mode, entry.generation) == ("canary", 2)


async def test_a_change_from_a_stale_generation_is_refused(tmp_path) -> None:
    """The file moved on since the change was made: ModeConflictError, nothing written."""
    modes = controller(tmp_path / "modes.sqlite")
    async with modes.lock:
        entry = await modes.change("canary", 10.0, actor="t", reason="r", forced=False, gate={})
    with pytest.raises(
        ModeConflictError, match="generation 1 is stored, the change was made from 0"
    ):
        modes.audit.commit(entry)  # generation 1 again: made from 0, but 1 is stored
    assert [e.generation for e in modes.audit.entries()] == [1]
