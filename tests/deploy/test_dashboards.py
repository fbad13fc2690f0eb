"""The committed dashboards are what the generator produces, and they are well formed.

deploy/grafana/generate.py builds the dashboards with grafana-foundation-sdk; the JSON beside it
is what operators import. These tests fail when the two drift, when a dashboard loses its
template variables or its data source variable, and when a panel or rule reads a metric that
the sidecar does not export (other than the recorded series and the metrics still being built,
listed in artifacts.PENDING_METRICS).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry

from proxy.config import load_config
from proxy.server.app import create_app
from tests.deploy.artifacts import (
    DASHBOARDS,
    DEPLOY,
    PENDING_METRICS,
    ROOT,
    dashboard_files,
    load_dashboard,
    metric_names,
    panels,
    rules,
    targets,
)

GENERATE = DEPLOY / "grafana" / "generate.py"


def generate(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the generator with the test's Python."""
    return subprocess.run(
        [sys.executable, str(GENERATE), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_committed_dashboards_match_the_generator() -> None:
    """``generate.py --check`` finds the committed JSON identical to what the code builds."""
    done = generate("--check")
    assert done.returncode == 0, done.stderr


def test_a_drifted_dashboard_is_detected(tmp_path: Path) -> None:
    """A hand edit of a generated file makes ``--check`` fail and name the file."""
    assert generate("--out", str(tmp_path)).returncode == 0
    written = sorted(p.name for p in tmp_path.glob("*.json"))
    assert written == sorted(p.name for p in dashboard_files())
    edited = tmp_path / written[0]
    edited.write_text(edited.read_text().replace("Gate", "Gait", 1).replace("RBO", "rbo", 1))
    done = generate("--check", "--out", str(tmp_path))
    assert done.returncode == 1
    assert written[0] in done.stderr


def test_dashboards_are_well_formed() -> None:
    """Unique uids and panel ids, the three variables, a data source variable on every target."""
    uids = set()
    for path in dashboard_files():
        document = load_dashboard(path)
        uids.add(document["uid"])
        names = [v["name"] for v in document["templating"]["list"]]
        assert names == ["datasource", "route", "segment"], path.name
        ids = [p["id"] for p in document["panels"]]
        ids += [p["id"] for row in document["panels"] for p in row.get("panels", [])]
        assert len(ids) == len(set(ids)), path.name
        for panel in panels(document):
            assert panel["targets"], f"{path.name}: {panel['title']} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
            refs = [t["refId"] for t in panel["targets"]]
            assert len(refs) == len(set(refs)), panel["title"]
            for target in panel["targets"]:
                assert target["datasource"]["uid"] == "${datasource}"
                assert target["expr"].strip()
    assert len(uids) == len(dashboard_files()) == len(list(DASHBOARDS.glob("*.json")))


def exported_names() -> set[str]:
    """Every series name a sidecar's registry can expose (with _bucket, _sum, _count, _total).

    The sidecar is built from the example config.toml, so every metric it registers counts:
    the proxy's, the embedder's, the thresholds' and the calibrator freshness collector's.
    """
    registry = CollectorRegistry()
    create_app(load_config(ROOT / "config.toml"), registry)
    return {name for names in registry._collector_to_names.values() for name in names}


def test_every_metric_read_exists() -> None:
    """Panels and rules read only exported metrics, recorded series, or pending metrics."""
    recorded = {r.name for r in rules() if r.kind == "record"}
    known = exported_names() | recorded | set(PENDING_METRICS)
    for target in targets():
        unknown = metric_names(target.expr) - known
        assert not unknown, f"{target.dashboard}: {target.panel}: {sorted(unknown)}"
    for rule in rules():
        unknown = metric_names(rule.expr) - known
        assert not unknown, f"{rule.file}: {rule.name}: {sorted(unknown)}"


def test_issue_panels_are_present() -> None:
    """The panels the issue asks for exist: divergence, gate, thresholds, scores, latency, ..."""
    exprs = " ".join(t.expr for t in targets())
    for needle in (
        "histogram_quantile(0.5, sum by (segment, le) (rate(embedshift_rbo_bucket",
        "embedshift_overlap_at_k_bucket",
        "embedshift_gate_verdict",
        "embedshift_gate_criterion",
        "embedshift_threshold{",
        'embedshift_score_bucket{route=~"$route", segment=~"$segment", side="old"',
        'embedshift_score_bucket{route=~"$route", segment=~"$segment", side="new"',
        "sum by (outcome) (rate(embedshift_shadow_requests_total",
        "histogram_quantile(0.99, sum by (upstream, le) (rate(embedshift_upstream_request",
        "embedshift_abstain_flips_total",
        "embedshift_calibrator_last_success_timestamp_seconds",
    ):
        assert needle in exprs, needle
    heatmaps = [
        p for f in dashboard_files() for p in panels(load_dashboard(f)) if p["type"] == "heatmap"
    ]
    assert len(heatmaps) == 4
    assert all(t["format"] == "heatmap" for p in heatmaps for t in p["targets"])
