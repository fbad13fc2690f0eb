"""A sidecar with nothing upstream says so, in words a person reads, instead of starting silently.

The shipped config points at 127.0.0.1:6333 and :6334; a newcomer who runs ``embedshift serve``
with nothing there must see which upstream does not answer and what to do, and every error a
client or a probe gets names the upstream, its URL and why, never aiohttp's exception text.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.support.sidecar import Sidecar, qdrant_config, wait_until

pytestmark = pytest.mark.slow


def _answer(url, body=None):
    """Status and JSON body of a GET (or a POST of ``body``), errors included."""
    request = urllib.request.Request(url, data=body, method="POST" if body else "GET")
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_serve_with_nothing_upstream_warns_and_every_error_reads_plainly(
    tmp_path, dead_port_factory
):
    """Start-up warns per upstream with the fix; 502 and /readyz say 'cannot connect ...'."""
    old_port, new_port = dead_port_factory(), dead_port_factory()
    old_url, new_url = f"http://127.0.0.1:{old_port}", f"http://127.0.0.1:{new_port}"
    with Sidecar(tmp_path, qdrant_config(old_url, new_url)).start() as sidecar:
        assert wait_until(lambda: len(sidecar.log_events("upstream_unreachable")) == 2)
        warnings = {w["upstream"]: w for w in sidecar.log_events("upstream_unreachable")}
        assert warnings["old"]["level"] == "warning"
        assert (
            warnings["old"]["error"]
            == f"cannot connect to old upstream {old_url}: connection refused"
        )
        assert f"start the search service at {old_url}" in warnings["old"]["fix"]
        assert "[upstreams.old].url" in warnings["old"]["fix"]
        assert "/readyz answers 503" in warnings["old"]["fix"]
        assert warnings["new"]["error"].startswith(f"cannot connect to new upstream {new_url}")

        refused = f"cannot connect to old upstream {old_url}: connection refused"
        status, body = _answer(f"{sidecar.url}/collections")  # passthrough, streamed
        assert (status, body["detail"]) == (502, refused)
        search = json.dumps({"vector": [0.1], "limit": 10}).encode()
        status, body = _answer(f"{sidecar.url}/collections/docs/points/search", search)
        assert (status, body["detail"]) == (502, refused)
        status, body = _answer(f"{sidecar.metrics_url}/readyz")
        assert (status, body["upstream"], body["detail"]) == (503, "old", refused)
        assert "ClientConnectorError" not in sidecar.log.read_text()
