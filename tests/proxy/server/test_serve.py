"""`embedshift serve` as a real process: probes, SIGTERM drain, SIGHUP reload, quiet logs."""

from __future__ import annotations

import json
import signal
import threading
import urllib.error
import urllib.request

import pytest

from tests.support.backends import start_backend, stop_process
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

PRIVATE_QUERY_TEXT = "confidential merger plans of ACME"
SHADOW_REQUESTS = "embedshift_shadow_requests_total"


@pytest.fixture
def backends(tmp_path):
    """An old and a new backend, each in its own process."""
    old_url, old = start_backend("old", tmp_path)
    new_url, new = start_backend("new", tmp_path, shift=3)
    yield old_url, new_url
    stop_process(old)
    stop_process(new)


@pytest.fixture
def sidecar(tmp_path, backends):
    """A running sidecar in front of the two backends."""
    process = Sidecar(tmp_path, qdrant_config(*backends)).start()
    yield process
    process.stop()


def post(url, body=b"{}", headers=None, timeout=10):
    """POST and return (status, body)."""
    request = urllib.request.Request(url, data=body, headers=headers or {}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get_status(url):
    """GET and return the status code."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as e:
        return e.code


def search(sidecar, segment="docs", text="hello"):
    """One search through the sidecar."""
    body = json.dumps({"vector": [0.1], "limit": 10, "text": text}).encode()
    return post(f"{sidecar.url}/collections/docs/points/search", body, {"X-Segment": segment})


def test_probes(sidecar):
    """/healthz answers while the process serves; /readyz while the primary answers."""
    assert get_status(f"{sidecar.metrics_url}/healthz") == 200
    assert get_status(f"{sidecar.metrics_url}/readyz") == 200


def test_readyz_fails_when_primary_is_down(tmp_path, backends, dead_port):
    """/readyz answers 503 when the primary cannot be reached, /healthz still 200."""
    process = Sidecar(tmp_path, qdrant_config(f"http://127.0.0.1:{dead_port}", backends[1]))
    process.start()
    try:
        assert get_status(f"{process.metrics_url}/readyz") == 503
        assert get_status(f"{process.metrics_url}/healthz") == 200
    finally:
        process.stop()


def test_sigterm_drains_in_flight_requests(tmp_path, backends):
    """A request under way when SIGTERM arrives still gets its full answer; exit status 0."""
    process = Sidecar(tmp_path, qdrant_config(*backends)).start()
    arrived = tmp_path / "arrived"
    result = {}

    def slow_call():
        request = urllib.request.Request(f"{process.url}/slow?s=1.5&arrived={arrived}")
        with urllib.request.urlopen(request, timeout=15) as answer:
            result["status"] = answer.status
            result["body"] = answer.read()

    thread = threading.Thread(target=slow_call)
    thread.start()
    assert wait_until(arrived.exists)  # the request is under way at the backend
    process.signal(signal.SIGTERM)
    thread.join(timeout=20)
    assert result.get("status") == 200
    assert json.loads(result["body"])["path"] == f"/slow?s=1.5&arrived={arrived}"
    assert process.wait_exit() == 0  # by itself, after the one SIGTERM
    events = [json.loads(line)["event"] for line in process.log_lines() if line.startswith("{")]
    assert "stopping" in events
    assert "stopped" in events


def test_sighup_reloads_and_a_bad_file_keeps_the_running_config(sidecar, backends):
    """A valid new config takes effect on SIGHUP; a broken one is logged and ignored."""
    search(sidecar)
    assert wait_until(
        lambda: sidecar.metric(SHADOW_REQUESTS, outcome="compared", segment="docs") == 1.0
    )
    old_url, new_url = backends
    sidecar.write(qdrant_config(old_url, new_url, "[shadow]\nsample_rate = 0.0\n"))
    sidecar.signal(signal.SIGHUP)
    assert wait_until(lambda: sidecar.metric("embedshift_config_reloads_total", result="ok") == 1.0)
    search(sidecar)
    assert wait_until(
        lambda: (
            sidecar.metric(
                "embedshift_shadow_requests_total", outcome="sampled_out", segment="docs"
            )
            == 1.0
        )
    )

    sidecar.config_path.write_text("[shadow]\nsample_rate = 7\n")  # invalid: keeps sample_rate 0
    sidecar.signal(signal.SIGHUP)
    assert wait_until(
        lambda: sidecar.metric("embedshift_config_reloads_total", result="error") == 1.0
    )
    status, _ = search(sidecar)
    assert status == 200
    assert wait_until(
        lambda: (
            sidecar.metric(
                "embedshift_shadow_requests_total", outcome="sampled_out", segment="docs"
            )
            == 2.0
        )
    )
    errors = [json.loads(line) for line in sidecar.log_lines() if "config_reload_failed" in line]
    assert len(errors) == 1
    assert "upstreams" in errors[0]["error"] or "sample_rate" in errors[0]["error"]


def test_logs_are_json_and_hold_no_query_text(sidecar):
    """Logs are JSON lines; query text and bodies never appear in them by default."""
    for _ in range(3):
        search(sidecar, text=PRIVATE_QUERY_TEXT)
    post(f"{sidecar.url}/collections/docs/points/search", b"garbage", {"X-Segment": "docs"})
    sidecar.stop()
    lines = sidecar.log_lines()
    assert lines
    for line in lines:
        json.loads(line)
        assert "ACME" not in line
