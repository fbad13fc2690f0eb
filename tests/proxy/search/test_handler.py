"""One search through the handler: which index answers, which is mirrored, and how each is sent.

Both indexes are loopback FakeQdrant servers that record what they receive; the sidecar runs
in-process; the mode is changed through its own controller, as the admin API does.
"""

from __future__ import annotations

import json

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from proxy.flip.modes import Mode
from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config

SEARCH = "/collections/docs/points/search"
ROUTES = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
segment = { header = "X-Segment" }
collection_map = { docs = "docs_v2" }
"""
QUERY = json.dumps({"vector": [0.1, 0.2], "limit": 10}).encode()


class Setup:
    """The two indexes, the proxy in front of them, and its registry."""

    def __init__(self, old, new, proxy, registry):
        """Keep the parts."""
        self.old, self.new, self.proxy, self.registry = old, new, proxy, registry
        self.sidecar = proxy.app[SIDECAR]

    async def mode(self, mode: Mode, percent: float = 0.0) -> None:
        """Put ``mode`` in force (forced, as an operator may)."""
        modes = self.sidecar.modes
        async with modes.lock:
            await modes.change(mode, percent, actor="test", reason="test", forced=True, gate={})

    async def search(self, method="POST", headers=None):
        """(status, body, response headers) of one search through the proxy."""
        hdrs = {"X-Segment": "docs", **(headers or {})}
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.proxy.make_url(SEARCH), data=QUERY, headers=hdrs) as r,
        ):
            return r.status, await r.read(), r.headers.copy()

    async def settle(self) -> None:
        """Wait until every mirror has ended (completion, not time)."""
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)

    def value(self, name, **labels) -> float:
        """A sample's value (0 when absent)."""
        return self.registry.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def setup(aiohttp_server):
    """Builds a Setup; ``extra`` and ``routes`` go into the config."""

    async def make(extra="", routes=ROUTES):
        old = FakeQdrant(marker="old")
        new = FakeQdrant(ids=list(range(5, 15)), scores=[0.5 - 0.01 * i for i in range(10)])
        new.marker = "new"
        old_server, new_server = await aiohttp_server(old.app()), await aiohttp_server(new.app())
        config = make_config(
            str(old_server.make_url("")),
            str(new_server.make_url("")),
            "[modes]\nside_header = true\n" + extra,
            routes,
        )
        registry = CollectorRegistry()
        proxy = await aiohttp_server(create_app(config, registry))
        return Setup(old, new, proxy, registry)

    return make


def _marker(body: bytes) -> str:
    return str(json.loads(body)["result"][0]["payload"]["m"])


async def test_shadow_mode_old_answers_and_new_is_mirrored(setup):
    """Old answers the client; new gets the mirror at its own collection, marked as a mirror."""
    s = await setup()
    status, body, headers = await s.search()
    await s.settle()
    assert status == 200
    assert _marker(body) == "old"
    assert headers["X-Embedshift-Side"] == "old;gen=0"
    (to_old,) = s.old.received
    (to_new,) = s.new.received
    assert to_old["path"] == SEARCH
    assert "X-Embedshift-Shadow" not in to_old["headers"]
    assert to_new["path"] == "/collections/docs_v2/points/search"
    assert to_new["headers"]["X-Embedshift-Shadow"] == "1"
    assert to_new["body"] == QUERY
    assert s.value("embedshift_shadow_requests_total", route="search", segment="docs",
                   outcome="compared") == 1  # fmt: skip


async def test_flipped_new_answers_and_old_is_mirrored_with_sides_kept_straight(setup):
    """New answers at its collection; old gets the client's request as the mirror.

    The comparison keeps the sides straight: the new index's scores are recorded as ``new``.
    """
    s = await setup()
    await s.mode("flipped")
    status, body, headers = await s.search()
    await s.settle()
    assert status == 200
    assert _marker(body) == "new"
    assert headers["X-Embedshift-Side"] == "new;gen=1"
    (to_new,) = s.new.received
    (to_old,) = s.old.received
    assert to_new["path"] == "/collections/docs_v2/points/search"
    assert "X-Embedshift-Shadow" not in to_new["headers"]
    assert to_old["path"] == SEARCH
    assert to_old["headers"]["X-Embedshift-Shadow"] == "1"
    labels = {"route": "search", "segment": "docs"}
    assert s.value("embedshift_shadow_requests_total", outcome="compared", **labels) == 1
    assert s.value("embedshift_score_sum", side="new", rank="top1", **labels) == pytest.approx(0.5)
    assert s.value("embedshift_score_sum", side="old", rank="top1", **labels) == pytest.approx(0.9)
    assert s.value("embedshift_overlap_at_k_sum", **labels) == pytest.approx(0.5)


async def test_when_new_cannot_be_asked_old_answers_and_the_fallback_is_counted(setup):
    """Flipped, but the query has no text to re-embed: old answers, never an error."""
    routes = ROUTES + 'query_text = { header = "X-Query-Text" }\n'
    extra = '[embedding]\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
    s = await setup(extra, routes)
    await s.mode("flipped")
    status, body, headers = await s.search()
    await s.settle()
    assert status == 200
    assert _marker(body) == "old"
    assert headers["X-Embedshift-Side"] == "old;gen=1"
    assert s.new.received == []
    fallbacks = s.value(
        "embedshift_primary_fallbacks_total", route="search", reason="no_query_text"
    )
    assert fallbacks == 1


async def test_a_head_request_on_a_search_path_is_passed_through(setup):
    """HEAD is never a search: old answers it (streamed), nothing is mirrored or compared."""
    s = await setup()
    status, body, _ = await s.search("HEAD")
    await s.settle()
    assert status == 200
    assert body == b""
    assert s.new.received == []
    assert s.value("embedshift_client_requests_total", route="passthrough", code="2xx") == 1
    for outcome in ("compared", "sampled_out"):
        labels = {"route": "search", "segment": "docs", "outcome": outcome}
        assert s.value("embedshift_shadow_requests_total", **labels) == 0
