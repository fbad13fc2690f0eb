"""The mode survives a restart of the real ``embedshift serve`` process."""

from __future__ import annotations

import json
import urllib.request

import pytest

from proxy.admin.client import AdminClient
from tests.support.backends import start_backend, stop_process
from tests.support.sidecar import Sidecar, qdrant_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
TOKEN = "restart-test-token"  # noqa: S105 - a test token
TOKEN_VAR = "EMBEDSHIFT_ADMIN_TOKEN"  # noqa: S105 - a variable name, recorded by the audit


def search(sidecar: Sidecar) -> tuple[str, str]:
    """One search: (the marker of the backend that answered, the side header)."""
    request = urllib.request.Request(
        f"{sidecar.url}/collections/docs/points/search",
        data=json.dumps({"vector": [0.1], "limit": 10}).encode(),
        headers={"X-Segment": "docs", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = json.load(answer)
        side = answer.headers["X-Embedshift-Side"]
    return body["result"][0]["payload"]["m"], side


def test_mode_survives_restart(tmp_path):
    """Flipped before SIGTERM: after a restart the new index answers, same generation, one row."""
    old_url, old_proc = start_backend("old", tmp_path)
    new_url, new_proc = start_backend("new", tmp_path)
    extra = f"""
    [modes]
    state_path = "{tmp_path / "modes.sqlite"}"
    side_header = true
    """
    sidecar = Sidecar(tmp_path, qdrant_config(old_url, new_url, extra), env={TOKEN_VAR: TOKEN})
    admin = AdminClient(f"http://127.0.0.1:{sidecar.admin_port}", TOKEN)
    try:
        sidecar.start()
        assert search(sidecar) == ("old", "old;gen=0")
        answer = admin.call(
            "POST", "/admin/mode", {"mode": "flipped", "force": True, "reason": "restart test"}
        )
        assert answer["mode"]["generation"] == 1
        assert search(sidecar) == ("new", "new;gen=1")
        assert sidecar.stop() == 0
        logged = [json.loads(line) for line in sidecar.log_lines() if "mode_changed" in line]
        assert [(e["to_mode"], e["generation"]) for e in logged] == [("flipped", 1)]
        assert logged[0]["token"] == TOKEN_VAR  # the name, never the value
        assert TOKEN not in sidecar.log.read_text()
        sidecar.start()
        status = admin.call("GET", "/admin/status")
        assert status["mode"]["mode"] == "flipped"
        assert status["mode"]["generation"] == 1
        assert search(sidecar) == ("new", "new;gen=1")
        assert sidecar.metric("embedshift_mode", mode="flipped") == 1
        entries = admin.call("GET", "/admin/audit")["entries"]
        assert [(e["from_mode"], e["to_mode"], e["reason"]) for e in entries] == [
            ("shadow", "flipped", "restart test")
        ]
    finally:
        sidecar.stop()
        stop_process(old_proc)
        stop_process(new_proc)
