"""Flipped, and the embeddings API refuses the query: asked once, old answers, counted once.

Before, the new index's request failed to embed, the old index answered, and the mirror to the
new index asked the embeddings API the same question again (issue 13, "Also found").
"""

from __future__ import annotations

import json
import urllib.parse

import aiohttp
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config
from tests.support.fake_embeddings import FakeEmbeddings

SEARCH = "/collections/docs/points/search"
ROUTES = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
segment = { header = "X-Segment" }
query_text = { header = "X-Query-Text" }
"""


async def test_a_refused_embedding_is_asked_once(aiohttp_server):
    """One flipped search whose text the provider refuses: one embeddings request, not two."""
    provider = FakeEmbeddings(dim=2, reject_text="too long")
    embeddings = await aiohttp_server(provider.app())
    old, new = FakeQdrant(marker="old"), FakeQdrant(marker="new")
    old_server, new_server = await aiohttp_server(old.app()), await aiohttp_server(new.app())
    extra = f'[embedding]\nbase_url = "{embeddings.make_url("/v1")}"\nmodel = "m"\ndimension = 2\n'
    config = make_config(str(old_server.make_url("")), str(new_server.make_url("")), extra, ROUTES)
    registry = CollectorRegistry()
    proxy = await aiohttp_server(create_app(config, registry))
    sidecar = proxy.app[SIDECAR]
    async with sidecar.modes.lock:
        await sidecar.modes.change("flipped", 0.0, actor="t", reason="t", forced=True, gate={})
    headers = {"X-Segment": "docs", "X-Query-Text": urllib.parse.quote("too long")}
    body = json.dumps({"vector": [0.1, 0.2], "limit": 10})
    async with (
        aiohttp.ClientSession() as session,
        session.post(proxy.make_url(SEARCH), data=body, headers=headers) as answer,
    ):
        status, marker = answer.status, (await answer.json())["result"][0]["payload"]["m"]
    assert await sidecar.shadow_tasks.wait_idle(10.0)
    assert status == 200
    assert marker == "old"
    assert len(provider.requests) == 1
    assert new.received == []
    labels = {"route": "search", "segment": "docs"}
    fallback = {"route": "search", "reason": "embed_error"}
    assert registry.get_sample_value("embedshift_primary_fallbacks_total", fallback) == 1
    outcome = {**labels, "outcome": "embed_error"}
    assert registry.get_sample_value("embedshift_shadow_requests_total", outcome) == 1
