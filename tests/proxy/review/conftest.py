"""A sidecar in-process with the review page on, in front of two loopback Qdrant-shaped indexes.

Both indexes answer every search with ten points whose payload carries their text; the new
index answers each query with a different list (half of the old one's, reordered, and five
others), so every compared query is divergent. The query's text travels in ``X-Query-Text``
and the shadow re-embeds it through a loopback embeddings server.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, Sidecar, create_app
from tests.support.config import make_config
from tests.support.fake_embeddings import FakeEmbeddings

TOKENS = {"EMBEDSHIFT_ADMIN_TOKEN": "alice-token", "BOB_TOKEN": "bob-token"}
WHO = {"alice": "alice-token", "bob": "bob-token", "mallory": "wrong-token"}
"""Who calls the admin API, and with which token (None: no token at all)."""
SEARCH = "/collections/docs/points/search"


def doc_ids(text: str, side: str) -> list[int]:
    """The ten ids a side answers for a query: new keeps half of old's, reversed, and adds five."""
    base = int(hashlib.sha256(text.encode()).hexdigest()[:6], 16) % 10_000 * 100
    old = [base + i for i in range(10)]
    return old if side == "old" else [*old[4::-1], *(base + 50 + i for i in range(5))]


def qdrant_backend(side: str) -> web.Application:
    """Answers ``points/search`` with ten points for the query named in X-Query-Text."""

    async def search(request: web.Request) -> web.Response:
        await request.read()
        text = request.headers.get("X-Query-Text", "")
        points = [
            {"id": i, "score": round(0.9 - 0.01 * n, 4), "payload": {"text": f"passage {i}"}}
            for n, i in enumerate(doc_ids(text, side))
        ]
        return web.json_response({"result": points, "status": "ok", "time": 0.0001})

    app = web.Application()
    app.router.add_post("/collections/{name}/points/search", search)
    return app


@dataclass
class ReviewRig:
    """The proxy and admin servers of one sidecar, its registry and its folder."""

    proxy: Any
    admin: Any
    registry: CollectorRegistry
    folder: Path

    @property
    def sidecar(self) -> Sidecar:
        """The sidecar both servers share."""
        sidecar: Sidecar = self.proxy.app[SIDECAR]
        return sidecar

    async def search(self, session: aiohttp.ClientSession, text: str, segment: str) -> None:
        """One search through the proxy, then wait until it is compared and kept."""
        headers = {"X-Segment": segment, "X-Query-Text": text}
        vector = [b / 255 for b in hashlib.sha256(text.encode()).digest()[:8]]
        body = json.dumps({"vector": vector, "limit": 10, "with_payload": True})
        async with session.post(self.proxy.make_url(SEARCH), data=body, headers=headers) as r:
            assert r.status == 200
            await r.read()

    async def settle(self) -> None:
        """Every shadow request compared and every example written."""
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)
        await self.sidecar.examples.flush()

    async def call(
        self,
        session: aiohttp.ClientSession,
        method: str,
        path: str,
        body: Any = None,
        who: str | None = "alice",
    ) -> tuple[int, Any]:
        """One admin call as ``who`` (a key of WHO; None: no token): (status, decoded JSON)."""
        headers = {} if who is None else {"Authorization": f"Bearer {WHO[who]}"}
        data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body))
        async with session.request(
            method, self.admin.make_url(path), data=data, headers=headers
        ) as r:
            return r.status, await r.json()


def review_config(
    old: str,
    new: str,
    embeddings: str,
    folder: Path,
    review: str,
    examples: str = "",
    gate: str = "",
) -> Any:
    """The sidecar's config: the Qdrant route with query and document text, [review] on."""
    route = textwrap.dedent(
        """
        [[routes]]
        name = "search"
        path = "/collections/{collection}/points/search"
        adapter = "qdrant"
        segment = { header = "X-Segment" }
        query_text = { header = "X-Query-Text" }
        document_text = "text"
        """
    )
    extra = textwrap.dedent(
        f"""
        [admin]
        tokens_env = {{ bob = "BOB_TOKEN" }}
        [embedding]
        base_url = "{embeddings}"
        model = "fake"
        dimension = 8
        [examples]
        path = "{folder / "examples.sqlite"}"
        {examples}
        [modes]
        state_path = "{folder / "modes.sqlite"}"
        [gate]
        {gate}
        [review]
        path = "{folder / "reviews.sqlite"}"
        """
    )
    return make_config(old, new, extra=extra + textwrap.dedent(review), routes=route)


@pytest.fixture
def make_review_rig(aiohttp_server, tmp_path):
    """Builds a rig; its arguments are keys of the [review], [examples] and [gate] sections."""

    async def build(
        review: str = "enabled = true\nstore_text = true\n", examples: str = "", gate: str = ""
    ) -> ReviewRig:
        old = await aiohttp_server(qdrant_backend("old"))
        new = await aiohttp_server(qdrant_backend("new"))
        fake = FakeEmbeddings(dim=8)
        embeddings = await aiohttp_server(fake.app())
        config = review_config(
            str(old.make_url("")),
            str(new.make_url("")),
            str(embeddings.make_url("/v1")),
            tmp_path,
            review,
            examples,
            gate,
        )
        registry = CollectorRegistry()
        app = create_app(config, registry, env=TOKENS)
        proxy = await aiohttp_server(app)
        admin = await aiohttp_server(app[SIDECAR].admin_app())
        return ReviewRig(proxy, admin, registry, tmp_path)

    return build
