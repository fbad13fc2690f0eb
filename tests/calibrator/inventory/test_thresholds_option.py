"""``embedshift inventory --thresholds``: each threshold's value on the new model, per segment.

A small project and a thresholds document whose ``docs`` segment has its own map and whose
``code`` segment falls back to the global one; the three outputs carry the same values.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from proxy.cli import main
from proxy.thresholds.document import (
    ModelInfo,
    SegmentThreshold,
    ThresholdsDocument,
    dump_thresholds,
)
from proxy.thresholds.scoremap import MapPoint, ScoreMap


def score_map(low_new: float, high_new: float) -> ScoreMap:
    """A two-knot map from old [0.2, 0.9] to new [low_new, high_new]."""
    points = (MapPoint(0.2, low_new, low_new, low_new), MapPoint(0.9, high_new, high_new, high_new))
    return ScoreMap("recall", None, points, (0.2, 0.9))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Three thresholds: a similarity, a distance kept below, a number no map reaches."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "search.py").write_text(
        "MIN_SCORE = 0.75\n\n\n"
        "def keep(hits):\n    return [h for h in hits if h.score >= MIN_SCORE]\n"
    )
    (src / "near.py").write_text(
        "def near(hits):\n    return [h for h in hits if h.distance < 0.4]\n"
    )
    (src / "far.py").write_text(
        "def keep(hits):\n    return [h for h in hits if h.similarity > 0.95]\n"
    )
    return tmp_path


@pytest.fixture
def thresholds(tmp_path: Path) -> Path:
    """Version 7: docs has its own map (0.75 -> 0.85), code falls back to the global one."""
    entry = SegmentThreshold(0.6, 0.8, 0.9, 100, "calibrated")
    document = ThresholdsDocument(
        version=7,
        created_at=datetime(2026, 1, 31, tzinfo=UTC),
        model=ModelInfo("all-mpnet-base-v2", "sha256:x"),
        metric="cosine",
        policy={"kind": "target_recall", "target": 0.9},
        global_=SegmentThreshold(0.6, 0.8, 0.9, 100, "calibrated", map=score_map(0.3, 0.93)),
        segments={
            "docs": SegmentThreshold(0.6, 0.8, 0.9, 100, "calibrated", map=score_map(0.4, 0.96)),
            "code": entry,
        },
    )
    path = tmp_path / "thresholds.json"
    path.write_text(dump_thresholds(document))
    return path


def expected(value: float, low: float, high: float) -> float:
    """The two-knot map's image of ``value``."""
    return low + (high - low) * (value - 0.2) / 0.7


def test_json_gives_each_finding_its_value_per_segment(project, thresholds, capsys):
    """MIN_SCORE 0.75 maps per segment; a distance goes through 1 - s; 0.95 is out of domain."""
    status = main(
        [
            "inventory",
            str(project / "src"),
            "--format",
            "json",
            "--jobs",
            "1",
            "--thresholds",
            str(thresholds),
        ]
    )
    assert status == 0
    found = {(f["path"], f["value"]): f["new_model"] for f in json.loads(capsys.readouterr().out)}
    minimum = found[("search.py", 0.75)]
    assert minimum["version"] == 7
    assert minimum["values"]["docs"] == pytest.approx(expected(0.75, 0.4, 0.96), abs=1e-6)
    assert minimum["values"]["code"] == pytest.approx(expected(0.75, 0.3, 0.93), abs=1e-6)
    near = found[("near.py", 0.4)]["values"]
    assert near["docs"] == pytest.approx(1 - expected(0.6, 0.4, 0.96), abs=1e-6)
    assert found[("far.py", 0.95)]["values"] == {"code": None, "docs": None}


def test_table_and_sarif_carry_the_same_values(project, thresholds, capsys):
    """The table's last column and SARIF's properties and message say the same."""
    args = ["inventory", str(project / "src"), "--jobs", "1", "--thresholds", str(thresholds)]
    assert main(args) == 0
    table = capsys.readouterr().out
    docs = expected(0.75, 0.4, 0.96)
    code = expected(0.75, 0.3, 0.93)
    assert "new model (v7)" in table
    assert f"code {code:.3f}, docs {docs:.3f}" in table
    assert main([*args, "--format", "sarif"]) == 0
    results = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    (minimum,) = [r for r in results if r["properties"]["value"] == 0.75]
    assert minimum["properties"]["new_model"]["values"]["docs"] == pytest.approx(docs, abs=1e-6)
    assert minimum["message"]["text"].endswith(
        f"On the new model: code {code:.3f}, docs {docs:.3f}."
    )


def test_a_bad_thresholds_document_is_a_clean_error(project, tmp_path, capsys):
    """A document that does not validate: exit 2 and a message naming the option and file."""
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    assert main(["inventory", str(project), "--thresholds", str(bad)]) == 2
    assert "--thresholds" in capsys.readouterr().err
