"""Tests of calibrator.outputs.publish: atomic, versioned publication of thresholds documents."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import UTC, datetime

import pytest

from calibrator.outputs.publish import publish, version_path, versions
from proxy.errors import ThresholdsError
from proxy.thresholds.document import (
    ModelInfo,
    SegmentThreshold,
    ThresholdsDocument,
    load_thresholds,
)


def _build(threshold: float = 0.5):
    def build(version: int) -> ThresholdsDocument:
        return ThresholdsDocument(
            version=version,
            created_at=datetime(2026, 1, 1, tzinfo=UTC),
            model=ModelInfo("m", "sha256:1"),
            metric="cosine",
            policy={"kind": "target_recall", "target": 0.9},
            global_=SegmentThreshold(threshold, 0.5, 0.9, 30, "calibrated"),
            segments={},
        )

    return build


def test_versions_increase_and_the_current_copy_matches(tmp_path):
    """Each publication adds thresholds.v<N>.json and replaces thresholds.json with it."""
    path = tmp_path / "out" / "thresholds.json"
    first = publish(_build(0.4), path)
    second = publish(_build(0.6), path)
    assert (first.version, second.version) == (1, 2)
    assert sorted(versions(path)) == [1, 2]
    assert path.read_bytes() == version_path(path, 2).read_bytes()
    assert load_thresholds(version_path(path, 1)).global_.threshold == 0.4
    assert load_thresholds(path).global_.threshold == 0.6


def test_only_the_newest_versions_are_kept(tmp_path):
    """With keep=3, five publications leave versions 3, 4 and 5."""
    path = tmp_path / "thresholds.json"
    for _ in range(5):
        publish(_build(), path, keep=3)
    assert sorted(versions(path)) == [3, 4, 5]
    assert load_thresholds(path).version == 5


def test_concurrent_publishers_never_share_a_version(tmp_path):
    """Eight threads publishing at once claim eight distinct versions."""
    path = tmp_path / "thresholds.json"
    published: list[int] = []
    barrier = threading.Barrier(8)

    def one(i: int) -> None:
        barrier.wait()
        published.append(publish(_build(i / 10), path, keep=100).version)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(published) == list(range(1, 9))
    assert sorted(versions(path)) == list(range(1, 9))
    assert load_thresholds(path).version in published


def test_a_failing_build_leaves_the_document_byte_identical(tmp_path):
    """When building or validating the document fails, nothing is written."""
    path = tmp_path / "thresholds.json"
    publish(_build(), path)
    before = path.read_bytes()

    def broken(version: int) -> ThresholdsDocument:
        doc: ThresholdsDocument = _build()(version)
        wrong = SegmentThreshold(None, None, None, 3, "calibrated")
        return dataclasses.replace(doc, global_=wrong)

    with pytest.raises(ThresholdsError, match=r"global\.threshold must be a number"):
        publish(broken, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["thresholds.json", "thresholds.v1.json"]


def test_numbering_continues_past_a_damaged_current_document(tmp_path):
    """A corrupt thresholds.json does not reset the numbering kept by the version files."""
    path = tmp_path / "thresholds.json"
    publish(_build(), path)
    publish(_build(), path)
    path.write_text("{ damaged")
    assert publish(_build(), path).version == 3
    assert json.loads(path.read_text())["version"] == 3
