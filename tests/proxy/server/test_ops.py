"""/readyz: old must answer in every mode; new too once it answers searches."""

from __future__ import annotations

import aiohttp
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config

TOKEN = "readiness-token"  # noqa: S105 - a test token


async def test_new_down_matters_only_once_it_answers(aiohttp_server, dead_port):
    """Shadow with new down: ready. Canary with new down: 503 naming new. Back to shadow: ready."""
    old = await aiohttp_server(FakeQdrant().app())
    config = make_config(str(old.make_url("")), f"http://127.0.0.1:{dead_port}")
    app = create_app(config, CollectorRegistry(), env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN})
    await aiohttp_server(app)
    sidecar = app[SIDECAR]
    ops = await aiohttp_server(sidecar.ops_app())
    admin = await aiohttp_server(sidecar.admin_app())
    auth = {"Authorization": f"Bearer {TOKEN}"}

    async def readyz(session):
        sidecar.readiness.checked_at = 0.0  # skip the one-second cache between steps
        async with session.get(ops.make_url("/readyz")) as r:
            return r.status, await r.json()

    async def mode(session, body):
        async with session.post(admin.make_url("/admin/mode"), json=body, headers=auth) as r:
            assert r.status == 200, await r.text()

    async with aiohttp.ClientSession() as session:
        assert (await readyz(session))[0] == 200
        await mode(session, {"mode": "canary", "percent": 10, "force": True, "reason": "test"})
        status, body = await readyz(session)
        assert status == 503
        assert body["upstreams"] == ["new"]
        await mode(session, {"mode": "shadow", "reason": "rollback"})
        assert (await readyz(session))[0] == 200
