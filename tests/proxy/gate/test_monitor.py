"""Gate verdicts on designed traffic through a real sidecar (in-process, loopback backends)."""

from __future__ import annotations

import aiohttp
import pytest

from tests.support.flip_rig import DROPPED_THIRD, make_rig


async def drive(rig, session, segments, count):
    """``count`` searches per segment, then wait until all are compared."""
    for _ in range(count):
        for segment in segments:
            status, _, _ = await rig.search(session, segment)
            assert status == 200
    await rig.settle()


async def test_identical_indices_pass(aiohttp_server, tmp_path):
    """Both indices answer the same lists: every segment passes, with no reason against it."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("docs", "code"), 120)
        status, gate = await rig.admin_call(session, "GET", "/admin/gate")
    assert status == 200
    assert gate["passes"] is True, gate
    assert set(gate["segments"]) == {"docs", "code"}
    docs = gate["segments"]["docs"]
    assert docs["verdict"] == "pass"
    assert docs["reasons"] == []
    assert docs["criteria"]["rbo_lower_bound"]["value"] == 1.0
    assert docs["criteria"]["abstain_flip_rate"]["status"] == "skipped"
    assert rig.registry.get_sample_value("embedshift_gate_verdict", {"segment": "docs"}) == 1
    compared = {"segment": "docs", "criterion": "compared_queries"}
    assert rig.registry.get_sample_value("embedshift_gate_criterion", compared) == 120


async def test_new_index_dropping_a_third_fails_with_that_reason(aiohttp_server, tmp_path):
    """``code`` loses 3 of 10 relevant results on the new index: fail, overlap@k named."""
    rig = await make_rig(aiohttp_server, tmp_path, new_ids={"code": DROPPED_THIRD})
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("docs", "code"), 120)
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    assert gate["passes"] is False
    assert gate["segments"]["docs"]["verdict"] == "pass"
    code = gate["segments"]["code"]
    assert code["verdict"] == "fail"
    overlap = code["criteria"]["overlap_lower_bound"]
    assert overlap["status"] == "fail"
    assert overlap["value"] == pytest.approx(0.7)  # every query: 7 of 10 shared, no spread
    assert any(
        r.startswith("overlap_lower_bound: mean overlap@k 0.700") and "below the floor 0.8" in r
        for r in code["reasons"]
    ), code["reasons"]
    assert rig.registry.get_sample_value("embedshift_gate_verdict", {"segment": "code"}) == -1


async def test_too_little_traffic_is_inconclusive(aiohttp_server, tmp_path):
    """30 identical answers per segment, 100 needed: inconclusive, saying how many there were."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("docs", "code"), 30)
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    for segment in ("docs", "code"):
        verdict = gate["segments"][segment]
        assert verdict["verdict"] == "inconclusive"
        assert verdict["reasons"][0].startswith("too little data: 30 compared queries")
    assert rig.registry.get_sample_value("embedshift_gate_verdict", {"segment": "docs"}) == 0


async def test_other_is_judged_once_it_has_traffic(aiohttp_server, tmp_path):
    """An unconfigured segment is reported as ``other`` and judged only when it sees requests."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        _, before = await rig.admin_call(session, "GET", "/admin/gate")
        await drive(rig, session, ("misc",), 3)
        _, after = await rig.admin_call(session, "GET", "/admin/gate")
    assert set(before["segments"]) == {"docs", "code"}
    assert set(after["segments"]) == {"docs", "code", "other"}
    assert after["segments"]["other"]["verdict"] == "inconclusive"
