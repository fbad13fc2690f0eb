"""``embedshift status`` as a person reads it (proxy/admin/client.py ``format_status``)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp

from proxy.admin.client import format_status
from proxy.gate.monitor import GateReport
from proxy.gate.verdict import Latency, Verdict
from tests.support.flip_rig import GATE_FOR_TESTS, make_rig

SINCE = datetime(2025, 5, 6, 7, 8, 9, tzinfo=UTC).timestamp()
STREAK = "  docs failing since 2025-05-06 07:08:09 UTC: 4 evaluations in a row, 1 of them at least "


async def status_text(aiohttp_server, tmp_path, promotion: str) -> str:
    """``embedshift status`` of a real sidecar after four failing evaluations of every segment."""
    extra = GATE_FOR_TESTS + "interval_s = 3600.0\n" + promotion
    rig = await make_rig(aiohttp_server, tmp_path, extra=extra)
    while rig.sidecar.gate.last is None:  # noqa: ASYNC110 - the gate task has no event
        await asyncio.sleep(0.01)
    for k in range(4):
        verdicts = tuple(Verdict(s, "fail", (), ()) for s in ("docs", "code"))
        await rig.sidecar.promoter.observe(
            GateReport(SINCE + k, "local", 600.0, verdicts, Latency())
        )
    async with aiohttp.ClientSession() as session:
        status, body = await rig.admin_call(session, "GET", "/admin/status")
    assert status == 200
    return format_status(body)


async def test_with_promotion_off_failing_streaks_are_shown_as_tracked_only(
    aiohttp_server, tmp_path
):
    """Off (the default): each streak is listed, saying nothing rolls back, with no limit."""
    lines = (await status_text(aiohttp_server, tmp_path, "")).splitlines()
    assert "automatic promotion: off" in lines
    streak = STREAK + "600 s apart (tracked only: no automatic rollback while promotion is off)"
    assert streak in lines
    assert not [line for line in lines if "rollback at" in line]


async def test_with_promotion_on_failing_streaks_name_the_rollback_limit(aiohttp_server, tmp_path):
    """On: each streak names the failing readings that roll back."""
    text = await status_text(aiohttp_server, tmp_path, "[promotion]\nenabled = true\n")
    lines = text.splitlines()
    assert "automatic promotion: on" in lines
    assert STREAK + "600 s apart (rollback at 3)" in lines


async def test_status_criteria_lists_every_criterion_of_every_segment(aiohttp_server, tmp_path):
    """``status --criteria``: each segment's criteria as the gate judged them, passing or not."""
    rig = await make_rig(aiohttp_server, tmp_path, extra=GATE_FOR_TESTS)
    async with aiohttp.ClientSession() as session:
        status, body = await rig.admin_call(session, "GET", "/admin/status")
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    assert status == 200
    plain, detailed = format_status(body).splitlines(), format_status(body, criteria=True)
    assert not [line for line in plain if line.startswith("    [")]
    for segment, verdict in gate["segments"].items():
        assert verdict["criteria"]
        assert set(body["gate"]["segments"][segment]["criteria"]) == set(verdict["criteria"])
        for name, criterion in verdict["criteria"].items():
            assert f"    [{criterion['status']}] {name}: " in detailed
