"""Loopback search services for the deploy tests, and traffic through the sidecar.

The old index always answers ids 0..9. The new index answers per segment (the ``X-Segment``
header) so that each divergence figure and each alert has something to show:
- ``docs``: the same ids with two pairs swapped (high agreement, Kendall's tau below 1);
- ``code``: other ids (RBO 0, overlap 0);
- anything else: 500 (shadow errors).
Scores differ in geometry too: the new side scores in a narrow high band.

Looked up by id (Qdrant's ``points``, the gate's coverage lookups), the new index holds the ids
it answers for ``code`` (so the old ids are missing) and fails for ``docs`` (lookups fail).
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp import web

OLD_IDS = list(range(10))
NEW_IDS = {
    "docs": [1, 0, 2, 3, 5, 4, 6, 7, 9, 8],
    "code": list(range(100, 110)),
}
SEGMENTS = ("docs", "code", "misc")
"""What :func:`drive` sends, in turn: ``misc`` is not a configured segment (it is ``other``)."""


def backend(side: str) -> web.Application:
    """A Qdrant-shaped search service answering as the module docstring says."""

    async def search(request: web.Request) -> web.Response:
        await request.read()
        segment = request.headers.get("X-Segment", "")
        if side == "new" and segment not in NEW_IDS:
            return web.json_response({"status": {"error": "index not built"}}, status=500)
        ids = OLD_IDS if side == "old" else NEW_IDS[segment]
        top, step = (0.92, 0.05) if side == "old" else (0.97, 0.01)
        result = [{"id": i, "score": round(top - step * n, 4)} for n, i in enumerate(ids)]
        return web.json_response({"result": result, "status": "ok", "time": 0.0001})

    async def points(request: web.Request) -> web.Response:
        wanted = (await request.json()).get("ids", [])
        segment = request.headers.get("X-Segment", "")
        if side == "new" and segment != "code":
            return web.json_response({"status": {"error": "lookups broken"}}, status=500)
        held = set(OLD_IDS if side == "old" else NEW_IDS["code"])
        return web.json_response({"result": [{"id": i} for i in wanted if i in held]})

    async def root(_request: web.Request) -> web.Response:
        return web.json_response({"title": f"loopback search service ({side})"})

    app = web.Application()
    app.router.add_post("/collections/{name}/points/search", search)
    app.router.add_post("/collections/{name}/points", points)
    app.router.add_get("/", root)
    return app


async def search(session: aiohttp.ClientSession, proxy: str, segment: str) -> None:
    """One search through the sidecar; the client must get the old index's 200."""
    async with session.post(
        f"{proxy}/collections/items/points/search",
        json={"vector": [0.1, 0.2, 0.3], "limit": 10},
        headers={"X-Segment": segment},
    ) as response:
        body = await response.text()
        assert response.status == 200, body


async def drive(proxy: str, stop: asyncio.Event, rps: float = 45.0, limit: int = 20000) -> int:
    """Search in turn over :data:`SEGMENTS` at about ``rps`` until ``stop``; returns how many."""
    sent = 0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set() and sent < limit:
            start = time.monotonic()
            await search(session, proxy, SEGMENTS[sent % len(SEGMENTS)])
            sent += 1
            await asyncio.sleep(max(0.0, 1.0 / rps - (time.monotonic() - start)))
    return sent
