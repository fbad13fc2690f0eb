"""Thresholds in the proxy: accepted counts, abstain flips, hot reload of the document."""

from __future__ import annotations

import json
import math

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config


def document(version, docs_threshold, global_threshold=0.5):
    """A thresholds document as the calibrator writes it."""

    def segment(threshold):
        return {
            "threshold": threshold,
            "precision": 0.8,
            "recall": 0.9,
            "n_queries": 40,
            "status": "calibrated",
        }

    return {
        "format": 1,
        "version": version,
        "created_at": "2026-11-28T01:00:00Z",
        "model": {"name": "all-mpnet-base-v2", "fingerprint": "sha256:abc"},
        "metric": "cosine",
        "policy": {"kind": "target_recall", "target": 0.9},
        "global": segment(global_threshold),
        "segments": {"docs": segment(docs_threshold)},
    }


@pytest.fixture
async def rig(aiohttp_server, tmp_path):
    """Old scores 0.90 down to 0.81, new scores 0.62 down to 0.53; old threshold 0.85."""
    old = FakeQdrant(scores=[round(0.90 - 0.01 * i, 2) for i in range(10)])
    new = FakeQdrant(ids=list(range(2, 12)), scores=[round(0.62 - 0.01 * i, 2) for i in range(10)])
    old_server, new_server = await aiohttp_server(old.app()), await aiohttp_server(new.app())
    path = tmp_path / "thresholds.json"
    path.write_text(json.dumps(document(1, docs_threshold=0.65)))
    extra = f'[thresholds]\nold = 0.85\nold_segments = {{ code = 0.95 }}\npath = "{path}"\n'
    config = make_config(str(old_server.make_url("")), str(new_server.make_url("")), extra=extra)
    registry = CollectorRegistry()
    proxy_server = await aiohttp_server(create_app(config, registry))
    return proxy_server, registry, path


async def search(proxy_server, segment="docs"):
    """One search; waits until its shadow is compared."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            proxy_server.make_url("/collections/docs/points/search"),
            data=b"{}",
            headers={"X-Segment": segment},
        ) as answer,
    ):
        assert answer.status == 200
    assert await proxy_server.app[SIDECAR].shadow_tasks.wait_idle(5)


def value(registry, name, **labels):
    """A sample's value (None when absent)."""
    return registry.get_sample_value(name, labels)


async def test_accepted_counts_and_abstain_flip(rig):
    """Old keeps 6 results at 0.85, new keeps none at 0.65: an abstain flip on the new side."""
    proxy_server, registry, _ = rig
    await search(proxy_server)
    route = {"route": "search", "segment": "docs"}
    assert value(registry, "embedshift_accepted_results_sum", **route, side="old") == 6
    assert value(registry, "embedshift_accepted_results_sum", **route, side="new") == 0
    assert value(registry, "embedshift_abstain_flips_total", **route, empty="new") == 1
    assert value(registry, "embedshift_abstain_flips_total", **route, empty="old") == 0
    assert value(registry, "embedshift_threshold", segment="docs", side="old") == 0.85
    assert value(registry, "embedshift_threshold", segment="code", side="old") == 0.95
    assert value(registry, "embedshift_threshold", segment="docs", side="new") == 0.65
    assert value(registry, "embedshift_threshold", segment="code", side="new") == 0.5  # global
    assert value(registry, "embedshift_thresholds_version") == 1
    assert value(registry, "embedshift_calibrator_recall", segment="docs") == 0.9


async def test_hot_reload_and_a_bad_document_keeps_the_last_good_one(rig):
    """A new version is used from the next query; an invalid one is refused and counted."""
    proxy_server, registry, path = rig
    watcher = proxy_server.app[SIDECAR].threshold_watcher
    path.write_text(json.dumps(document(2, docs_threshold=0.58)))
    assert watcher.check() is True
    assert value(registry, "embedshift_threshold", segment="docs", side="new") == 0.58
    await search(proxy_server)
    route = {"route": "search", "segment": "docs"}
    assert (
        value(registry, "embedshift_accepted_results_sum", **route, side="new") == 5
    )  # 0.62..0.58
    assert value(registry, "embedshift_abstain_flips_total", **route, empty="new") == 0

    broken = document(3, docs_threshold=0.4)
    broken["segments"]["docs"]["threshold"] = "high"
    path.write_text(json.dumps(broken))
    assert watcher.check() is False
    assert value(registry, "embedshift_thresholds_reloads_total", result="error") == 1
    assert value(registry, "embedshift_thresholds_version") == 2
    assert value(registry, "embedshift_threshold", segment="docs", side="new") == 0.58


async def test_no_thresholds_no_threshold_metrics(aiohttp_server):
    """Without any threshold configured, nothing is counted and the gauges say NaN."""
    old, new = await aiohttp_server(FakeQdrant().app()), await aiohttp_server(FakeQdrant().app())
    registry = CollectorRegistry()
    proxy_server = await aiohttp_server(
        create_app(make_config(str(old.make_url("")), str(new.make_url(""))), registry)
    )
    await search(proxy_server)
    route = {"route": "search", "segment": "docs"}
    assert value(registry, "embedshift_accepted_results_count", **route, side="old") == 0
    assert math.isnan(value(registry, "embedshift_threshold", segment="docs", side="new"))
