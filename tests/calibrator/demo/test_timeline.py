"""The demo's timeline: gate failures and rollbacks as milestones, events and a record."""

from __future__ import annotations

import numpy as np

from calibrator.demo.observe import Reading
from calibrator.demo.scenario import SCENARIOS
from calibrator.demo.timeline import Timeline


def _reading(at, failing=(), mode="shadow"):
    """A reading at ``at`` whose gate fails ``failing`` on coverage (the rest pass)."""
    segments = {
        s: {
            "verdict": "fail" if s in failing else "pass",
            "criteria": {"new_index_coverage": {
                "status": "fail" if s in failing else "pass", "reason": f"{s} misses ids"}},
        }
        for s in ("docs", "code")
    }  # fmt: skip
    status = {"mode": {"mode": mode, "percent": 0.0, "generation": 0},
              "gate": {"passes": not failing, "segments": segments}}  # fmt: skip
    return Reading(at, {}, {}, 1, status, {"segments": segments} if failing else None)


def test_a_failing_gate_is_an_event_a_milestone_and_a_record_with_its_reasons():
    """The first failure, each change of the failing segments and the recovery are events.

    ``failing_since`` holds while the gate fails without a break, and resets when it passes.
    """
    timeline = Timeline()
    for at, failing in ((1.0, ()), (2.0, ("docs",)), (3.0, ("docs",)), (4.0, ("docs", "code")),
                        (5.0, ()), (6.0, ("code",))):  # fmt: skip
        timeline.observe(_reading(at, failing), [])
    messages = [m for _, m in timeline.events if "gate" in m]
    assert messages == [
        "the gate passes for every segment",
        "the gate fails for docs (new_index_coverage)",
        "the gate fails for docs, code (new_index_coverage)",
        "the gate no longer fails for any segment",
        "the gate fails for code (new_index_coverage)",
    ]
    assert timeline.gate_failed_s == 2.0
    assert timeline.failing_since == 6.0
    assert timeline.gate_failures[1] == {
        "at_s": 4.0,
        "mode": "shadow",
        "segments": {"docs": {"new_index_coverage": "docs misses ids"},
                     "code": {"new_index_coverage": "code misses ids"}},
    }  # fmt: skip


def test_an_automatic_rollback_is_a_milestone_an_operators_lowering_is_not():
    """rolled_back_s: a change to shadow by automatic promotion, not by an operator."""
    entry = {"from_mode": "canary", "from_percent": 10.0, "to_mode": "shadow",
             "to_percent": 0.0}  # fmt: skip
    timeline = Timeline()
    timeline.observe(_reading(9.0), [{**entry, "token": "ops"}])
    assert timeline.rolled_back_s is None
    timeline.observe(_reading(12.0), [{**entry, "token": "ops"},
                                      {**entry, "token": "automatic-promotion"}])  # fmt: skip
    assert timeline.rolled_back_s == 12.0
    assert timeline.milestones()["rolled_back_s"] == 12.0


def test_the_broken_index_misses_a_seeded_quarter_of_each_segment():
    """broken-index keeps 75% of the rows, in order, the same for a seed; healthy keeps all."""
    rows = np.arange(100, 868, dtype=np.int64)
    broken = SCENARIOS["broken-index"]
    kept = broken.new_index_rows(rows, seed=7)
    assert len(kept) == 576
    assert np.all(np.diff(kept) > 0)
    assert set(kept) < set(rows)
    assert np.array_equal(kept, broken.new_index_rows(rows, seed=7))
    assert not np.array_equal(kept, broken.new_index_rows(rows, seed=8))
    assert SCENARIOS["healthy"].new_index_rows(rows, seed=7) is rows
