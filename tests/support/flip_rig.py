"""A sidecar in-process with its admin API, in front of two loopback backends that mark answers.

Each backend answers Qdrant-shaped searches with ids chosen per segment (the ``X-Segment``
header) and marks every result's payload with its side (``{"m": "old"}``), so a test can
tell which index answered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, Sidecar, create_app
from proxy.thresholds.document import dump_thresholds
from tests.support.config import make_config
from tests.support.gate_evidence import published_document

SEARCH = "/collections/docs/points/search"
TOKEN = "s3cret-admin-token"  # noqa: S105 - a test token
OLD_IDS = list(range(10))
DROPPED_THIRD = [0, 1, 3, 4, 6, 7, 9, 100, 101, 102]
"""The new index loses three of the ten relevant results (2, 5, 8)."""


def marked_backend(marker: str, ids: dict[str, list[int]] | None = None) -> web.Application:
    """Answers searches with ``ids[segment]`` (default 0..9), each result marked ``marker``.

    Its index holds exactly those ids (per segment: the ``X-Segment`` header), as Qdrant's
    ``POST /collections/{name}/points`` tells the gate's coverage lookups.
    """

    async def search(request: web.Request) -> web.Response:
        await request.read()
        chosen = (ids or {}).get(request.headers.get("X-Segment", ""), OLD_IDS)
        result = [
            {"id": i, "score": round(0.9 - 0.01 * n, 4), "payload": {"m": marker}}
            for n, i in enumerate(chosen)
        ]
        return web.json_response({"result": result, "status": "ok", "time": 0.0001})

    async def points(request: web.Request) -> web.Response:
        """Qdrant's get-by-id: the index holds the ids it returns for the segment."""
        wanted = (await request.json())["ids"]
        held = set((ids or {}).get(request.headers.get("X-Segment", ""), OLD_IDS))
        result = [{"id": i, "payload": None, "vector": None} for i in wanted if i in held]
        return web.json_response({"result": result, "status": "ok", "time": 0.0001})

    async def root(_request: web.Request) -> web.Response:
        return web.json_response({"side": marker})

    app = web.Application()
    app.router.add_post("/collections/{name}/points/search", search)
    app.router.add_post("/collections/{name}/points", points)
    app.router.add_route("*", "/{tail:.*}", root)
    return app


def side_of(body: bytes) -> str:
    """Which backend answered a search (every result carries its marker)."""
    markers = {str(r["payload"]["m"]) for r in json.loads(body)["result"]}
    assert len(markers) == 1, markers
    return markers.pop()


@dataclass
class FlipRig:
    """The proxy and admin servers of one sidecar, and its registry."""

    proxy: Any
    admin: Any
    registry: CollectorRegistry

    @property
    def sidecar(self) -> Sidecar:
        """The sidecar both servers share."""
        sidecar: Sidecar = self.proxy.app[SIDECAR]
        return sidecar

    async def search(self, session, segment="docs", headers=None) -> tuple[int, bytes, Any]:
        """One search through the proxy: (status, body, response headers)."""
        hdrs = {"X-Segment": segment, **(headers or {})}
        body = json.dumps({"vector": [0.1, 0.2], "limit": 10})
        async with session.post(self.proxy.make_url(SEARCH), data=body, headers=hdrs) as r:
            return r.status, await r.read(), r.headers

    async def admin_call(self, session, method, path, body=None, token=TOKEN, raw=None):
        """One admin call: (status, decoded JSON)."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        async with session.request(
            method, self.admin.make_url(path), data=data, headers=headers
        ) as r:
            return r.status, await r.json()

    async def settle(self) -> None:
        """Wait until every shadow request has been compared and counted (id lookups too)."""
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)
        assert await self.sidecar.coverage.tasks.wait_idle(10.0)


GATE_FOR_TESTS = """
[shadow]
max_rps = 100000
max_in_flight = 512
[gate]
min_compared = 100
min_coverage = 0.95
max_latency_ratio = 1000.0
"""
"""Loopback latencies are noise: the latency criterion is tested on given figures instead.
With 100 queries of 10 ids, coverage can show 0.95 (showing 0.99 takes about 300 ids)."""


async def make_rig(
    aiohttp_server,
    tmp_path,
    new_ids: dict[str, list[int]] | None = None,
    extra: str = GATE_FOR_TESTS,
    env: dict[str, str] | None = None,
    modes: str = "",
    *,
    published: bool = True,
) -> FlipRig:
    """Old backend (0..9 everywhere), new backend (``new_ids`` per segment), sidecar, admin.

    ``published``: a thresholds document gives both segments what the calibrator publishes
    for the gate (labelled quality that passes, expected divergence, a score band).
    """
    old = await aiohttp_server(marked_backend("old"))
    new = await aiohttp_server(marked_backend("new", new_ids))
    state = tmp_path / "modes.sqlite"
    table = f'[modes]\nstate_path = "{state}"\nside_header = true\n{modes}\n'
    if published:
        document = tmp_path / "thresholds.json"
        document.write_text(dump_thresholds(published_document()))
        table += f'[thresholds]\npath = "{document}"\n'
    config = make_config(str(old.make_url("")), str(new.make_url("")), extra=extra + table)
    registry = CollectorRegistry()
    app = create_app(config, registry, env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN, **(env or {})})
    proxy = await aiohttp_server(app)
    admin = await aiohttp_server(app[SIDECAR].admin_app())
    return FlipRig(proxy, admin, registry)
