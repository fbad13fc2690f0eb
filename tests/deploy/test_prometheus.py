"""promtool accepts embedshift's rules, their unit tests pass, and the sidecar's /metrics lints.

``promtool check rules`` and ``promtool check config`` validate the files; ``promtool test
rules`` runs deploy/prometheus/tests (alerts fire after their ``for`` and not before, on the
right labels, with the right text); ``promtool check metrics`` lints the exposition a real
sidecar serves after real traffic.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import aiohttp
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.deploy.artifacts import DEPLOY, RULE_TESTS, RULES
from tests.deploy.traffic import SEGMENTS, backend, search
from tests.support.config import make_config


def promtool(binary: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool."""
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_rules(promtool_bin) -> None:
    """Every rule file passes ``promtool check rules``."""
    files = sorted(str(p) for p in RULES.glob("*.yml"))
    assert len(files) == 2
    done = promtool(promtool_bin, "check", "rules", *files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_rules_rejects_a_bad_expression(promtool_bin, tmp_path: Path) -> None:
    """``promtool check rules`` does reject a broken expression (so a pass means something)."""
    bad = tmp_path / "bad.yml"
    bad.write_text("groups:\n  - name: x\n    rules:\n      - record: a:b:c\n        expr: sum(\n")
    assert promtool(promtool_bin, "check", "rules", str(bad)).returncode != 0


def test_rule_unit_tests(promtool_bin) -> None:
    """``promtool test rules`` passes on deploy/prometheus/tests."""
    files = sorted(str(p) for p in RULE_TESTS.glob("*.yml"))
    assert files
    done = promtool(promtool_bin, "test", "rules", *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_rule_unit_tests_catch_a_wrong_floor(promtool_bin, tmp_path: Path) -> None:
    """With the coverage floor moved, the unit tests fail: they pin the alerts' behaviour."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "tests").mkdir()
    for path in RULES.glob("*.yml"):
        text = path.read_text()
        if path.name == "alerts.yml":
            moved = text.replace("coverage:ratio15m < 0.99", "coverage:ratio15m < 0.5")
            assert moved != text
            text = moved
        (tmp_path / "rules" / path.name).write_text(text)
    for path in RULE_TESTS.glob("*.yml"):
        (tmp_path / "tests" / path.name).write_text(path.read_text())
    done = promtool(promtool_bin, "test", "rules", *map(str, (tmp_path / "tests").glob("*.yml")))
    assert done.returncode != 0
    assert "EmbedshiftNewIndexIncomplete" in done.stdout + done.stderr


def test_check_example_config(promtool_bin) -> None:
    """The example prometheus.yml (with its rule files) passes ``promtool check config``."""
    done = promtool(promtool_bin, "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


async def test_sidecar_metrics_pass_promtool_lint(aiohttp_server, promtool_bin) -> None:
    """The /metrics a sidecar serves after compared, failed and passthrough requests lints clean."""
    old = await aiohttp_server(backend("old"))
    new = await aiohttp_server(backend("new"))
    config = make_config(str(old.make_url("")), str(new.make_url("")))
    proxy_app = create_app(config, CollectorRegistry())
    proxy = await aiohttp_server(proxy_app)
    ops = await aiohttp_server(proxy_app[SIDECAR].ops_app())
    async with aiohttp.ClientSession() as client:
        for segment in SEGMENTS:
            await search(client, str(proxy.make_url("")).rstrip("/"), segment)
        async with client.get(proxy.make_url("/collections")) as response:
            await response.read()
        assert await proxy_app[SIDECAR].shadow_tasks.wait_idle(10.0)
        async with client.get(ops.make_url("/metrics")) as response:
            exposition = await response.text()
    assert 'outcome="compared",route="search",segment="docs"} 1.0' in exposition
    assert 'outcome="shadow_error",route="search",segment="other"} 1.0' in exposition
    assert "embedshift_rbo_bucket" in exposition
    assert "embedshift_upstream_request_duration_seconds_bucket" in exposition
    done = promtool(promtool_bin, "check", "metrics", stdin=exposition)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (done.stdout + done.stderr).strip(), done.stdout + done.stderr


def test_check_metrics_flags_a_badly_named_counter(promtool_bin) -> None:
    """``promtool check metrics`` flags a counter without ``_total`` (a pass means something)."""
    exposition = "# HELP foo_requests Requests.\n# TYPE foo_requests counter\nfoo_requests 1\n"
    done = promtool(promtool_bin, "check", "metrics", stdin=exposition)
    assert "_total" in done.stdout + done.stderr
