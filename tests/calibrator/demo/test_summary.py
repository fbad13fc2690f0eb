"""The demo's summary: the outcome in words, score bands, what the calibrator published."""

from __future__ import annotations

import numpy as np
import pytest

from calibrator.demo.summary import outcome, score_bands

COVERAGE = (
    "new_index_coverage: 0.749 of 890 ids the old index returned are in the new index (95% "
    "bounds [0.725, 0.773]): below min_coverage 0.99: is the new index complete?"
)
WAITING = "new_index_coverage: 1.000 of 120 ids ... straddle min_coverage 0.99: more lookups needed"


def _summary(mode="shadow", verdicts=None, changes=(), interrupted=False, **timeline):
    """A summary as build_summary makes one, reduced to what outcome() reads."""
    verdicts = verdicts or {}
    segments = {}
    for name, verdict in verdicts.items():
        reasons = {"fail": [COVERAGE], "inconclusive": [WAITING], "pass": []}[verdict]
        failing = (
            {"new_index_coverage": {"value": 0.749, "limit": 0.99}} if verdict == "fail" else {}
        )
        segments[name] = {"gate": {"verdict": verdict, "reasons": reasons, "failing": failing}}
    return {
        "final_mode": mode,
        "final_percent": {"shadow": 0.0, "flipped": 100.0}.get(mode, 50.0),
        "interrupted": interrupted,
        "segments": segments,
        "mode_changes": list(changes),
        "timeline": {"flipped_s": None, "rolled_back_s": None, **timeline},
    }


def _change(to, by="automatic-promotion", reason="automatic promotion: every segment passed"):
    return {"from": "x", "to": to, "by": by, "forced": False, "reason": reason}


def test_a_flip_says_how_it_got_there():
    """flipped: the rungs promotion went through and when it reached flipped."""
    changes = [_change("canary 10%"), _change("canary 50%"), _change("flipped 100%")]
    summary = _summary("flipped", dict.fromkeys(("docs", "code"), "pass"), changes, flipped_s=17.1)
    name, why = outcome(summary, 22.0, 60.0)
    assert name == "flipped"
    assert "shadow -> canary 10% -> canary 50% -> flipped, reaching flipped at 17.1 s" in why


def test_a_refusal_names_the_segments_and_the_gates_own_reasons():
    """refused: every failing segment, the failing criteria, and the gate's reason for each."""
    summary = _summary(verdicts={"docs": "fail", "code": "fail", "faq": "fail"})
    name, why = outcome(summary, 20.0, 60.0)
    assert name == "refused"
    assert why.startswith("the migration did not complete: the gate fails for docs, code and faq")
    assert "never went past shadow and the old index answered every search" in why
    assert "new_index_coverage: docs 0.749, code 0.749, faq 0.749 against 0.990" in why
    assert why.endswith(f"The gate's reason for docs: {COVERAGE}")


def test_a_rollback_says_when_and_why():
    """rolled_back: promotion's own reason and the time, then the gate's failures now."""
    reason = "automatic rollback: the gate fails for docs (3 consecutive evaluations)"
    changes = [_change("canary 10%"), _change("shadow 0%", reason=reason)]
    summary = _summary("shadow", {"docs": "fail", "code": "pass"}, changes, rolled_back_s=30.2)
    name, why = outcome(summary, 40.0, 60.0)
    assert name == "rolled_back"
    assert f"{reason} at 30.2 s" in why
    assert "the gate now: new_index_coverage: docs 0.749 against 0.990" in why
    assert why.endswith(f"The gate's reason for docs: {COVERAGE}")


def test_an_operators_lowering_is_not_a_rollback_and_an_undecided_run_says_what_waits():
    """undecided: the mode reached and every reason of the segments that do not pass."""
    changes = [_change("canary 10%"), _change("shadow 0%", by="ops", reason="manual")]
    summary = _summary("shadow", {"docs": "inconclusive", "code": "pass"}, changes)
    name, why = outcome(summary, 61.2, 60.0)
    assert name == "undecided"
    assert "within --duration 60 s" in why
    assert "docs: " + WAITING in why


def test_an_interruption_is_said_first():
    """interrupted: Ctrl-C, whatever the gate said."""
    summary = _summary(verdicts={"docs": "fail"}, interrupted=True)
    name, why = outcome(summary, 8.04, 60.0)
    assert name == "interrupted"
    assert why == "stopped by Ctrl-C after 8.0 s in shadow; the migration did not complete"


def test_score_bands_are_the_percentiles_they_are_named_for():
    """every_pair: 1st and 99th percentiles of all scores; relevant_pairs: 5th and 95th."""
    scores = np.linspace(0, 1, 101, dtype=np.float32).reshape(1, -1)
    relevant = np.zeros_like(scores, dtype=bool)
    relevant[0, 50:] = True
    bands = score_bands(scores, relevant)
    assert bands["every_pair"] == pytest.approx([0.01, 0.99], abs=1e-4)
    assert bands["relevant_pairs"] == pytest.approx([0.525, 0.975], abs=1e-4)
