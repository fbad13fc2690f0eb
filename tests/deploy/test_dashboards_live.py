"""Every dashboard panel and every Prometheus rule shows data from a real sidecar under traffic.

A real ``embedshift serve`` runs in front of two loopback Qdrant-shaped backends that answer
differently per segment; a real Prometheus scrapes it every second and evaluates the recording
rules and alerts of deploy/prometheus; then every panel target of every committed dashboard
(template variables set to the values Prometheus lists for them, as Grafana's "All" does) and
every rule expression is run through Prometheus' HTTP API and must return data.

The traffic (tests/deploy/traffic.py) is designed so that each alert has something to fire on:
``code`` disagrees completely, far below what the published models explain
(EmbedshiftDivergenceBeyondModels), its new index lacks the old ids (EmbedshiftNewIndexIncomplete)
and keeps nothing at its threshold where the old one kept some (EmbedshiftNewIndexEmptiesAnswers,
on the fixed margin: only ``docs`` has expected abstain flips measured at its thresholds);
``docs`` agrees, with two pairs swapped, but its id lookups fail
(EmbedshiftCoverageLookupsFailing); every new top-1 score is above the published band
(EmbedshiftScoresOutOfBand); ``misc`` (reported as ``other``) fails on the new index
(EmbedshiftShadowErrors), and ``[shadow].max_rps`` is below the request rate
(EmbedshiftShadowShed).
"""

from __future__ import annotations

import asyncio
import json
import signal
import textwrap
import time
from pathlib import Path

import aiohttp
import pytest

from tests.deploy.artifacts import (
    PENDING_METRICS,
    RULES,
    all_value,
    dashboard_files,
    load_dashboard,
    metric_names,
    panels,
    rules,
    substitute,
    variables,
)
from tests.deploy.traffic import backend, drive
from tests.support.components import prometheus_query, running_prometheus, wait_http_ok
from tests.support.sidecar import Sidecar

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]


RATE_INTERVAL = "30s"


def sidecar_config(old: str, new: str, workdir: Path) -> str:
    """A config for ``embedshift serve`` with a shadow rate cap below the test's request rate."""
    return textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{old}"
        [upstreams.new]
        url = "{new}"
        [shadow]
        sample_rate = 1.0
        max_rps = 20
        timeout_s = 2.0
        max_loop_lag_s = 5.0
        [segments]
        names = ["docs", "code"]
        [examples]
        path = "{workdir / "examples.sqlite"}"
        [modes]
        state_path = "{workdir / "modes.sqlite"}"
        [thresholds]
        old = 0.85
        path = "{workdir / "thresholds.json"}"
        poll_interval_s = 0.5
        [calibrator]
        eval = ["{workdir / "eval.jsonl"}"]
        vectors = "{workdir / "vectors"}"
        status_path = "{workdir / "calibrator-status.json"}"
        worker_in_serve = false
        [logging]
        format = "json"
        [[routes]]
        name = "search"
        path = "/collections/{{collection}}/points/search"
        adapter = "qdrant"
        k = 10
        segment = {{ header = "X-Segment" }}
        """
    )


def calibrator_output(workdir: Path) -> None:
    """What a calibrator worker publishes: a thresholds document and its status file.

    The worker itself is tested in tests/calibrator; here only its files matter, and they follow
    the contract in proxy/thresholds/document.py and calibrator/run/worker.py.
    """
    entry = {"precision": 0.82, "recall": 0.9, "n_queries": 40, "status": "calibrated"}
    quality = {
        "k": 10, "n_queries": 40, "confidence": 0.95, "bootstrap": 1000,
        "old": {"model": "all-MiniLM-L6-v2", "threshold": 0.85},
        "new": {"model": "all-mpnet-base-v2", "threshold": 0.75},
        "metrics": {"ndcg@10": {"old": 0.6, "new": 0.61, "diff": 0.01, "interval": [-0.01, 0.03]}},
        "abstain": {"n_queries": 40, "new_empty": 3, "old_empty": 1, "net": 0.05,
                    "interval": [-0.025, 0.125]},
    }  # fmt: skip
    divergence = {
        "k": 10, "n_queries": 40, "n_documents": 1000, "rbo_p": 0.9,
        "overlap": {"mean": 0.55, "sd": 0.2}, "rbo": {"mean": 0.55, "sd": 0.2},
    }  # fmt: skip
    band = {"n_queries": 40, "top1": {"p01": 0.2, "p05": 0.3, "p50": 0.6, "p95": 0.85, "p99": 0.9}}
    evidence = {"quality": quality, "divergence": divergence, "score_band": band}
    document = {
        "format": 1,
        "version": 3,
        "created_at": "2026-11-28T00:00:00Z",
        "model": {"name": "all-mpnet-base-v2", "fingerprint": "sha256:0"},
        "metric": "cosine",
        "policy": {"kind": "target_recall", "target": 0.9},
        "global": {**entry, "threshold": 0.7, **evidence},
        "segments": {
            "docs": {**entry, "threshold": 0.75, "quality": quality},
            "code": {**entry, "threshold": 0.99},
        },
    }
    (workdir / "thresholds.json").write_text(json.dumps(document))
    status = {
        "last_success_at": "2026-11-20T00:00:00Z",
        "last_calibration_duration_s": 12.5,
        "failed_rounds": 0,
    }
    (workdir / "calibrator-status.json").write_text(json.dumps(status))


def prometheus_config(metrics_port: int) -> str:
    """Scrape the sidecar every second and evaluate deploy/prometheus's rules every second."""
    rule_files = "\n".join(f"  - {path}" for path in sorted(RULES.glob("*.yml")))
    return (
        textwrap.dedent(
            f"""
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: embedshift
            static_configs:
              - targets: ["127.0.0.1:{metrics_port}"]
        rule_files:
        """
        )
        + rule_files
        + "\n"
    )


async def label_values(prom: str, label: str, match: str | None) -> list[str]:
    """What Grafana's ``label_values(match, label)`` lists."""
    params = {"match[]": match} if match else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{prom}/api/v1/label/{label}/values", params=params) as response,
    ):
        body = await response.json()
    assert body["status"] == "success", body
    values: list[str] = body["data"]
    return values


def queries(values_by_dashboard: dict[str, dict[str, str]]) -> dict[str, str]:
    """Every expression to run, keyed by where it comes from."""
    found: dict[str, str] = {}
    for path in dashboard_files():
        values = values_by_dashboard[path.name]
        for panel in panels(load_dashboard(path)):
            for target in panel.get("targets", []):
                where = f"{path.name}: {panel['title']} [{target['refId']}]"
                found[where] = substitute(target["expr"], values, RATE_INTERVAL)
    for rule in rules():
        found[f"{rule.file}: {rule.kind} {rule.name}"] = rule.expr
    return found


def pending(expr: str) -> list[str]:
    """The pending metrics ``expr`` reads."""
    return sorted(metric_names(expr) & PENDING_METRICS.keys())


async def test_every_panel_and_rule_returns_data(
    aiohttp_server, prometheus_bin, tmp_path: Path
) -> None:
    """Each dashboard target and each rule expression returns data (pending metrics excepted)."""
    old = await aiohttp_server(backend("old"))
    new = await aiohttp_server(backend("new"))
    calibrator_output(tmp_path)
    sidecar = Sidecar(
        tmp_path,
        sidecar_config(str(old.make_url("")), str(new.make_url("")), tmp_path),
        env={"EMBEDSHIFT_ADMIN_TOKEN": "test-token"},
    )
    await asyncio.to_thread(sidecar.start)
    try:
        assert sidecar.proc is not None
        await asyncio.to_thread(
            wait_http_ok, f"{sidecar.metrics_url}/readyz", sidecar.proc, sidecar.log, 30.0
        )
        # a real reload, so that the reload counter has a series
        sidecar.signal(signal.SIGHUP)
        with running_prometheus(
            prometheus_bin, prometheus_config(sidecar.metrics_port), tmp_path / "prometheus"
        ) as prom:
            stop = asyncio.Event()
            traffic = asyncio.create_task(drive(sidecar.url, stop))
            try:
                missing = await poll_until_data(prom, deadline_s=60.0)
            finally:
                stop.set()
                sent = await traffic
            assert sent > 100, f"only {sent} requests were sent"
            assert not missing, "no data for:\n" + "\n".join(
                f"  {where}: {expr}" for where, expr in missing.items()
            )
            # the emptied-answers alert reads the expectation where the gate applies it
            expected = await asyncio.to_thread(
                prometheus_query, prom, 'embedshift_expected_new_empty_net{bound="upper"}'
            )
            assert {r["metric"]["segment"]: float(r["value"][1]) for r in expected} == {
                "docs": 0.125
            }
    finally:
        status = await asyncio.to_thread(sidecar.stop)
    assert status == 0, sidecar.log.read_text()[-3000:]


async def poll_until_data(prom: str, deadline_s: float) -> dict[str, str]:
    """Run every query until each has data or the deadline passes; returns those without data.

    Expressions reading only :data:`PENDING_METRICS` must still return nothing: when one
    returns data its metric has landed and the entry must go.
    """
    deadline = time.monotonic() + deadline_s
    await asyncio.sleep(5)  # a few scrapes and rule evaluations
    while True:
        values_by_dashboard = {}
        for path in dashboard_files():
            values: dict[str, str] = {}
            for var in variables(load_dashboard(path)):
                match = substitute(var.match, values, RATE_INTERVAL) if var.match else None
                listed = await label_values(prom, var.label, match)
                values[var.name] = all_value(listed) if listed else "(none)"
            values_by_dashboard[path.name] = values
        missing: dict[str, str] = {}
        landed: dict[str, str] = {}
        for where, expr in queries(values_by_dashboard).items():
            result = await asyncio.to_thread(prometheus_query, prom, expr)
            if pending(expr):
                if result:
                    landed[where] = f"{expr} (remove {pending(expr)} from PENDING_METRICS)"
            elif not result:
                missing[where] = expr
        assert not landed, "pending metrics have landed:\n" + "\n".join(
            f"  {where}: {text}" for where, text in landed.items()
        )
        if not missing or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(2)


def test_every_pending_metric_is_read_somewhere() -> None:
    """Each allow-listed metric is read by some panel or rule (the list holds nothing stale)."""
    read: set[str] = set()
    for path in dashboard_files():
        for panel in panels(load_dashboard(path)):
            for target in panel.get("targets", []):
                read |= metric_names(target["expr"])
    for rule in rules():
        read |= metric_names(rule.expr)
    assert set(PENDING_METRICS) <= read, set(PENDING_METRICS) - read
