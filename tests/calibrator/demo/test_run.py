"""``embedshift demo --json`` end to end: it reaches flipped with recalibrated thresholds.

One real run (a child process, as a user runs it): the sidecar, its calibrator worker, the
backends, traffic and automatic promotion all real, on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SEGMENTS = ("docs", "code", "faq")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The summary of one demo run, with its report directory and its temp and working dirs."""
    base = tmp_path_factory.mktemp("demo")
    temp, cwd, report = base / "tmp", base / "cwd", base / "report"
    temp.mkdir()
    cwd.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    done = subprocess.run(
        [sys.executable, "-m", "proxy", "demo", "--json", "--duration", "90",
         "--report", str(report)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout), report, temp, cwd


pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def test_it_reaches_flipped_through_canary_on_a_passing_gate(run):
    """Shadow -> canary 10% -> canary 50% -> flipped, each step on a passing gate.

    Every change is automatic promotion, unforced, made on a gate report where every segment
    passes; clients saw no error; an early flip was refused.
    """
    summary, *_ = run
    assert summary["reached_flipped"] is True
    assert summary["final_mode"] == "flipped"
    changes = summary["mode_changes"]
    assert [c["to"] for c in changes] == ["canary 10%", "canary 50%", "flipped 100%"]
    for change in changes:
        assert change["by"] == "automatic-promotion"
        assert change["forced"] is False
        assert change["gate_verdicts"] == dict.fromkeys(SEGMENTS, "pass")
    assert summary["traffic"]["errors"] == 0
    assert summary["traffic"]["answered_by"]["new"] > 0
    assert any("refused by the gate (409)" in e["event"] for e in summary["events"])
    assert summary["timeline"]["first_figures_s"] is not None


def test_thresholds_are_recalibrated_per_segment_into_the_new_band(run):
    """Each segment's new threshold leaves the old one and lies in the new model's band.

    The segments' thresholds are not all the same.
    """
    summary, *_ = run
    assert summary["thresholds_version"] >= 1
    thresholds = []
    for name in SEGMENTS:
        segment = summary["segments"][name]
        old, new = segment["old_threshold"], segment["new_threshold"]
        low, high = segment["new_model_band"]
        assert abs(new - old) > 0.1
        assert low < new < high
        assert segment["calibrator"]["status"] == "calibrated"
        thresholds.append(new)
    assert len(set(thresholds)) == len(SEGMENTS)


def test_precision_and_recall_are_present_and_consistent(run):
    """Precision and recall are in [0, 1] and agree with the calibrator's own.

    The old threshold on the new model accepts more (recall up, precision down) than the new.
    """
    summary, *_ = run
    for name in SEGMENTS:
        segment = summary["segments"][name]
        figures = [
            segment[k]
            for k in ("old_model_at_old_threshold", "new_model_at_old_threshold",
                      "new_model_at_new_threshold")
        ]  # fmt: skip
        for f in figures:
            assert 0.0 <= f["recall"] <= 1.0
            assert 0.0 <= f["precision"] <= 1.0
        at_old, at_new = figures[1], figures[2]
        calibrator = segment["calibrator"]
        assert at_new["precision"] == pytest.approx(calibrator["precision"], abs=1e-3)
        assert at_new["recall"] == pytest.approx(calibrator["recall"], abs=1e-3)
        assert at_new["recall"] >= 0.9 - 1e-3  # the policy: target_recall=0.9
        assert at_old["recall"] >= at_new["recall"]
        assert at_old["precision"] < at_new["precision"]
        assert at_old["accepted_per_query"] > at_new["accepted_per_query"]


def test_divergence_and_gate_figures_come_from_the_sidecar(run):
    """Every segment was compared often, diverging as real models do, and the verdict is pass.

    Live overlap@10 about 0.5-0.6 and RBO about 0.6: a floor on sameness would refuse this
    swap; the gate passes it on quality and index health.
    """
    summary, *_ = run
    for name in SEGMENTS:
        segment = summary["segments"][name]
        divergence = segment["divergence"]
        assert divergence["compared"] >= 150
        assert 0.45 < divergence["rbo_mean"] < 0.75
        assert 0.45 < divergence["overlap_mean"] < 0.7
        assert segment["gate"]["verdict"] == "pass"


def test_the_report_is_written_and_nothing_is_left_behind(run):
    """--report gets the calibrator's HTML, JSON and plots; nothing else is left behind.

    The temp dir and the working directory are empty afterwards.
    """
    _, report, temp, cwd = run
    assert (report / "index.html").is_file()
    assert (report / "report.json").is_file()
    for name in ("global", *SEGMENTS):
        assert (report / f"curve-{name}.png").is_file()
    assert list(temp.iterdir()) == []
    assert list(cwd.iterdir()) == []
