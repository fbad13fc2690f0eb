"""Tests of proxy.thresholds.document: the contract shared by calibrator and proxy."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from proxy.errors import ThresholdsError
from proxy.thresholds.document import (
    Intervals,
    ModelInfo,
    SegmentThreshold,
    ThresholdsDocument,
    dump_thresholds,
    from_dict,
    load_thresholds,
    parse_thresholds,
    to_dict,
)


def _document() -> ThresholdsDocument:
    docs = SegmentThreshold(
        threshold=0.61,
        precision=0.42,
        recall=0.9,
        n_queries=120,
        status="calibrated",
        n_relevant=300,
        n_unscored=2,
        intervals=Intervals((0.58, 0.64), (0.39, 0.45), (0.87, 0.93)),
    )
    code = SegmentThreshold(None, None, None, 40, "no_threshold", "scores overlap")
    return ThresholdsDocument(
        version=3,
        created_at=datetime(2026, 1, 31, 12, 0, tzinfo=UTC),
        model=ModelInfo("all-mpnet-base-v2", "sha256:abc", {"dim": 768}),
        metric="cosine",
        policy={"kind": "target_recall", "target": 0.9, "average": "micro"},
        global_=SegmentThreshold(0.58, 0.3, 0.91, 160, "calibrated"),
        segments={"docs": docs, "code": code},
    )


def test_a_document_round_trips_through_json():
    """dump, parse and dump again gives the same text; the data survives."""
    text = dump_thresholds(_document())
    again = parse_thresholds(text, "t.json")
    assert dump_thresholds(again) == text
    assert again.segments["docs"].intervals.threshold == (0.58, 0.64)
    assert json.loads(text)["created_at"] == "2026-01-31T12:00:00Z"


def test_threshold_for_falls_back_to_global_and_keeps_null():
    """A known segment gets its own threshold (null stays null); others get the global one."""
    doc = _document()
    assert doc.threshold_for("docs") == 0.61
    assert doc.threshold_for("code") is None
    assert doc.threshold_for("other") == 0.58
    assert doc.threshold_for(None) == 0.58


def _set(path, value):
    def change(doc):
        *head, last = path.split(".")
        node = doc
        for key in head:
            node = node[key]
        if value is KeyError:
            del node[last]
        else:
            node[last] = value

    return change


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set("version", "3"), "version must be an integer of at least 1"),
        (_set("version", 0), "version must be an integer of at least 1"),
        (_set("segments.docs.threshold", "0.6"), "segments.docs.threshold must be a finite"),
        (_set("segments.docs.status", "ok"), "segments.docs.status must be one of"),
        (_set("segments.docs.threshold", None), "segments.docs.threshold must be a number when"),
        (_set("segments.code.threshold", 0.5), "segments.code.threshold must be null when"),
        (_set("segments.docs.precision", 1.5), "segments.docs.precision must be between 0 and 1"),
        (_set("segments.docs.intervals.recall", [0.9, 0.8]), "intervals.recall must have low"),
        (_set("global.n_queries", -1), "global.n_queries must be an integer"),
        (_set("created_at", "2026-01-31 12:00"), "created_at must carry a time zone"),
        (_set("created_at", "yesterday"), "created_at must be an ISO 8601 time"),
        (_set("format", 2), "format is 2: written by a newer calibrator"),
        (_set("metric", "l2"), "metric must be one of cosine, dot"),
        (_set("model.fingerprint", KeyError), "model.fingerprint is missing"),
        (_set("segments", []), "segments must be an object"),
        (_set("quantile_mapping", 3), "quantile_mapping must be an object"),
    ],
)
def test_invalid_documents_name_the_file_and_the_key(change, message):
    """Each contract violation raises ThresholdsError naming the file and the key."""
    doc = copy.deepcopy(to_dict(_document()))
    change(doc)
    with pytest.raises(ThresholdsError, match=f"^t.json: .*{message}"):
        from_dict(doc, "t.json")


def test_unknown_keys_are_ignored_for_newer_calibrators():
    """A document with keys this version does not know still loads."""
    doc = to_dict(_document())
    doc["quantile_mapping"] = {"global": {"threshold": 0.55}}
    doc["future"] = {"x": 1}
    doc["segments"]["docs"]["new_field"] = 3
    loaded = from_dict(doc)
    assert loaded.threshold_for("docs") == 0.61
    assert loaded.quantile_mapping == {"global": {"threshold": 0.55}}


def test_unreadable_files_are_thresholds_errors(tmp_path):
    """A missing file or broken JSON is a ThresholdsError with the path."""
    with pytest.raises(ThresholdsError, match="no thresholds document"):
        load_thresholds(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(ThresholdsError, match=f"{bad}: not valid JSON"):
        load_thresholds(bad)


def test_the_contract_keeps_the_proxy_free_of_numpy():
    """Importing proxy.thresholds.document loads neither numpy nor faiss nor the calibrator."""
    code = (
        "import sys, proxy.thresholds.document; "
        "bad = [m for m in ('numpy', 'faiss', 'calibrator') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
