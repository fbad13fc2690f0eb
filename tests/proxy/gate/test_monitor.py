"""Gate verdicts on designed traffic through a real sidecar (in-process, loopback backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import aiohttp
import pytest

from proxy.gate.monitor import _expected_empty
from proxy.thresholds.document import ModelInfo, SegmentThreshold, ThresholdsDocument
from proxy.thresholds.evidence import AbstainFlips, QualitySide
from proxy.thresholds.watch import ThresholdsInForce
from tests.support.flip_rig import DROPPED_THIRD, GATE_FOR_TESTS, make_rig
from tests.support.gate_evidence import quality


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
    criteria = docs["criteria"]
    assert criteria["expected_divergence"]["value"] == 1.0
    assert criteria["new_index_coverage"]["value"] == 1.0
    assert criteria["score_sanity"]["value"] == 0.0
    assert criteria["labelled_quality"]["status"] == "pass"
    assert criteria["new_empty_rate"]["status"] == "skipped"
    assert rig.registry.get_sample_value("embedshift_gate_verdict", {"segment": "docs"}) == 1
    compared = {"segment": "docs", "criterion": "compared_queries"}
    assert rig.registry.get_sample_value("embedshift_gate_criterion", compared) == 120
    coverage = {"segment": "docs", "criterion": "new_index_coverage"}
    assert rig.registry.get_sample_value("embedshift_gate_criterion", coverage) == 1.0


async def test_new_index_missing_a_third_fails_on_coverage(aiohttp_server, tmp_path):
    """``code``'s new index lacks 3 of the 10 ids old returns: fail, coverage named."""
    rig = await make_rig(aiohttp_server, tmp_path, new_ids={"code": DROPPED_THIRD})
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("docs", "code"), 120)
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    assert gate["passes"] is False
    assert gate["segments"]["docs"]["verdict"] == "pass"
    code = gate["segments"]["code"]
    assert code["verdict"] == "fail"
    coverage = code["criteria"]["new_index_coverage"]
    assert coverage["status"] == "fail"
    assert coverage["value"] == pytest.approx(0.7)  # 2, 5 and 8 of every 0..9 are missing
    assert code["reasons"][0].startswith("new_index_coverage: 0.700 of "), code["reasons"]
    assert code["criteria"]["expected_divergence"]["status"] == "pass"  # divergence is evidence
    assert rig.registry.get_sample_value("embedshift_gate_verdict", {"segment": "code"}) == -1


async def test_divergence_floors_judge_only_when_set(aiohttp_server, tmp_path):
    """With min_overlap = 0.8 set, 7 of 10 shared on every query fails the floor too."""
    extra = GATE_FOR_TESTS + "min_overlap = 0.8\n"
    rig = await make_rig(aiohttp_server, tmp_path, new_ids={"code": DROPPED_THIRD}, extra=extra)
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("code",), 120)
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    floor = gate["segments"]["code"]["criteria"]["overlap_floor"]
    assert floor["status"] == "fail"
    assert floor["value"] == pytest.approx(0.7)  # no spread: the bound is the mean
    assert "rbo_floor" not in gate["segments"]["code"]["criteria"]


async def test_without_published_evidence_the_gate_never_passes(aiohttp_server, tmp_path):
    """Identical indices but no thresholds document: inconclusive, labelled quality named."""
    rig = await make_rig(aiohttp_server, tmp_path, published=False)
    async with aiohttp.ClientSession() as session:
        await drive(rig, session, ("docs",), 120)
        _, gate = await rig.admin_call(session, "GET", "/admin/gate")
    docs = gate["segments"]["docs"]
    assert docs["verdict"] == "inconclusive"
    assert docs["reasons"][0].startswith("labelled_quality: not available: no thresholds document")


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


def _entry(threshold, old, new, flips=None):
    """A calibrated entry whose labelled comparison ran at ``old`` / ``new`` (no quality: None)."""
    measured = None
    if new is not None:
        measured = replace(quality(), old=QualitySide("m", old), new=QualitySide("n", new),
                           abstain=flips)  # fmt: skip
    return SegmentThreshold(threshold, 0.5, 0.9, 300, "calibrated", quality=measured)


def test_each_segment_reads_its_expected_abstain_flips_with_the_thresholds_in_force():
    """Its own entry's, else the global entry's (said borrowed); the live thresholds beside.

    ``docs`` has its own comparison; ``code`` has a threshold of its own but no comparison, so
    the global one (measured at another new threshold) does not describe it; ``misc`` is not
    in the document and runs at the global thresholds.
    """
    own = AbstainFlips(200, 12, 5, (0.0, 0.06))
    overall = AbstainFlips(600, 30, 10, None)
    doc = ThresholdsDocument(
        version=1,
        created_at=datetime(2026, 1, 31, tzinfo=UTC),
        model=ModelInfo("n", "sha256:x"),
        metric="cosine",
        policy={"kind": "target_recall", "target": 0.9},
        global_=_entry(0.55, 0.5, 0.55, overall),
        segments={"docs": _entry(0.6, 0.5, 0.6, own), "code": _entry(0.58, None, None)},
    )
    in_force = ThresholdsInForce(old_default=0.5, old_segments={"code": 0.45}, document=doc)
    docs = _expected_empty(in_force, "docs", "docs")
    assert docs is not None
    assert (docs.flips, docs.borrowed, docs.live_at) == (own, False, (0.5, 0.6))
    assert docs.mismatch() is None
    code = _expected_empty(in_force, "code", "code")
    assert code is not None
    assert (code.flips, code.borrowed, code.live_at) == (overall, True, (0.45, 0.58))
    assert code.mismatch() is not None
    misc = _expected_empty(in_force, "misc", "misc")
    assert misc is not None
    assert misc.borrowed
    assert misc.mismatch() is None
    alone = _expected_empty(in_force, None, "other")  # no segments configured: the global entry
    assert alone is not None
    assert not alone.borrowed
    assert _expected_empty(ThresholdsInForce(old_default=0.5), "docs", "docs") is None
