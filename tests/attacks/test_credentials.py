"""Attack 5: the client's credentials for the old index, sent along with a mirrored search.

Before the fix, the mirrored request carried the client's ``api-key``, ``Authorization`` and
``Cookie`` for the old index to the new one, and then a second ``api-key`` with the new index's
own key: a server reading the first authenticated with the wrong key, and the old index's
credentials reached a second system.

The choice: a request that moves to another system loses the client's credentials, as Go's
net/http and curl drop ``Authorization`` and ``Cookie`` when a redirect leads to another host;
embedshift's list adds the API-key headers of the engines it reads (``[[routes]]
.credential_headers``, per route; ``[]`` sends them along). The new index gets its own key from
``[upstreams.new].headers_env``, exactly once. The old index still gets everything the client
sent, mirrors to it included (canary, flipped): it is the client's own.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
from aiohttp import web

from tests.attacks.rig import ThreadServer, post
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
SEARCH = "/collections/docs/points/search"
TOKEN = "credentials-admin-token"  # noqa: S105 - a test token
CLIENT = {
    "Authorization": "Bearer old-index-token",
    "api-key": "old-index-key",
    "Cookie": "session=old",
    "X-API-Key": "old-x-key",
    "X-Typesense-Api-Key": "old-typesense-key",
    "X-Chroma-Token": "old-chroma-token",
    "X-Segment": "docs",
}
CREDENTIALS = {k.lower() for k in CLIENT} - {"x-segment"}


class Recorder:
    """A Qdrant-shaped index that records each request's raw headers (repeats kept)."""

    def __init__(self) -> None:
        """Nothing received yet."""
        self.received: list[list[tuple[str, str]]] = []

    def app(self) -> web.Application:
        """The application."""

        async def search(request: web.Request) -> web.Response:
            await request.read()
            self.received.append([(k.decode(), v.decode()) for k, v in request.raw_headers])
            result = [{"id": i, "score": 0.9 - i / 100} for i in range(10)]
            return web.json_response({"result": result, "status": "ok", "time": 0.0})

        app = web.Application()
        app.router.add_post("/collections/{name}/points/search", search)
        return app


def values(headers: list[tuple[str, str]], name: str) -> list[str]:
    """Every value of header ``name`` (any case), in order."""
    return [v for k, v in headers if k.lower() == name.lower()]


def set_mode(sidecar: Sidecar, body: dict[str, Any]) -> None:
    """Change the mode through the admin API."""
    request = urllib.request.Request(
        sidecar.admin_url + "/admin/mode",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def run(tmp_path, route_extra: str = "") -> tuple[Recorder, Recorder]:
    """5 searches in shadow mode, then 5 flipped (new answers, old mirrored)."""
    old, new = Recorder(), Recorder()
    extra = """
    [upstreams.new.headers_env]
    "api-key" = "NEW_INDEX_KEY"
    """
    env = {"NEW_INDEX_KEY": "new-index-key", "EMBEDSHIFT_ADMIN_TOKEN": TOKEN}
    with ThreadServer(old.app()) as old_server, ThreadServer(new.app()) as new_server:
        config = qdrant_config(old_server.url, new_server.url) + route_extra
        config = config.replace("[segments]", extra + "\n[segments]", 1)
        with Sidecar(tmp_path, config, env=env) as sidecar:
            for _ in range(5):
                assert post(sidecar.url + SEARCH, {"vector": [0.1]}, CLIENT)[0] == 200
            assert wait_until(lambda: len(new.received) == 5)
            set_mode(sidecar, {"mode": "flipped", "force": True, "reason": "attack test"})
            for _ in range(5):
                assert post(sidecar.url + SEARCH, {"vector": [0.1]}, CLIENT)[0] == 200
            assert wait_until(lambda: len(new.received) == 10 and len(old.received) == 10)
    return old, new


def test_the_new_index_never_gets_the_clients_credentials(tmp_path):
    """10 requests to new (5 mirrors, 5 answering): no client credential, one api-key, its own.

    Figures asserted: 0 of 10 requests to the new index carry any of the client's six
    credential headers; 10 of 10 carry exactly one ``api-key``, the new index's; 10 of 10
    requests to the old index carry every client credential, once, unchanged.
    """
    old, new = run(tmp_path)
    for headers in new.received:
        assert values(headers, "api-key") == ["new-index-key"]
        for name in CREDENTIALS - {"api-key"}:
            assert values(headers, name) == [], name
    for headers in old.received:
        for name in CREDENTIALS:
            assert values(headers, name) == [CLIENT[next(k for k in CLIENT if k.lower() == name)]]


def test_a_route_may_send_the_clients_credentials_along(tmp_path):
    """``credential_headers = []``: the client's reach new too, but api-key is still new's, once."""
    old, new = run(tmp_path, "credential_headers = []\n")
    for headers in new.received:
        assert values(headers, "api-key") == ["new-index-key"]
        assert values(headers, "Authorization") == ["Bearer old-index-token"]
        assert values(headers, "Cookie") == ["session=old"]
    assert len(old.received) == 10
