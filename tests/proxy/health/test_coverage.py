"""Coverage of the new index: ids looked up by id through each adapter, bounded and counted.

One loopback server plays every engine's get-by-id call as its reference documents it
(Chroma ``/get``, Qdrant ``points``, Elasticsearch ``_mget``, Typesense filtered documents,
Pinecone fetch, Milvus ``entities/get``, Weaviate objects), holding the ids ``a`` and ``b``; the
real checker sends each adapter's lookups there and counts what it finds. Real Chroma and
Typesense are asked too (integration).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import textwrap
import urllib.error
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.adapters import adapter_for
from proxy.config import parse_config
from proxy.config.where import Where
from proxy.health.coverage import CoverageChecker, TokenBucket
from proxy.metrics import ProxyMetrics
from proxy.upstream.client import make_client
from tests.support.compared import Search
from tests.support.corpora import http_json

HELD = {"a", "b", "1", "2"}
CHROMA = "/api/v2/tenants/t/databases/d/collections/c-uuid/query"


@dataclass
class Engine:
    """What the fake engine received."""

    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0


def engine_app(engine: Engine) -> web.Application:  # noqa: C901 - one handler per engine
    """Every engine's get-by-id, answering the ids of HELD it is asked for."""

    async def record(request: web.Request) -> Any:
        engine.requests.append((request.method, request.path_qs, dict(request.headers)))
        if engine.delay_s:
            await asyncio.sleep(engine.delay_s)
        raw = await request.read()
        return json.loads(raw) if raw else None

    def wanted(values: list[Any]) -> list[Any]:
        return [v for v in values if str(v) in HELD]

    async def chroma(request: web.Request) -> web.StreamResponse:
        body = await record(request)
        if engine.status != 200:
            return web.json_response({"error": "boom"}, status=engine.status)
        return web.json_response({"ids": wanted(body["ids"]), "include": []})

    async def qdrant(request: web.Request) -> web.StreamResponse:
        body = await record(request)
        return web.json_response({"result": [{"id": i} for i in wanted(body["ids"])]})

    async def mget(request: web.Request) -> web.StreamResponse:
        body = await record(request)
        docs = [{"_id": i, "found": i in HELD} for i in body["ids"]]
        return web.json_response({"docs": docs})

    async def typesense(request: web.Request) -> web.StreamResponse:
        await record(request)
        inside = request.query["filter_by"].removeprefix("id:[").removesuffix("]")
        ids = [i.strip("`") for i in inside.split(",")]
        return web.json_response({"hits": [{"document": {"id": i}} for i in wanted(ids)]})

    async def pinecone(request: web.Request) -> web.StreamResponse:
        await record(request)
        ids = request.query.getall("ids")
        return web.json_response({"vectors": {i: {"id": i} for i in wanted(ids)}})

    async def milvus(request: web.Request) -> web.StreamResponse:
        body = await record(request)
        return web.json_response({"code": 0, "data": [{"pk": i} for i in wanted(body["id"])]})

    async def weaviate(request: web.Request) -> web.StreamResponse:
        await record(request)
        return web.Response(status=204 if request.match_info["id"] in HELD else 404)

    app = web.Application()
    app.router.add_post("/api/v2/tenants/t/databases/d/collections/{id}/get", chroma)
    app.router.add_post("/collections/{name}/points", qdrant)
    app.router.add_post("/{index}/_mget", mget)
    app.router.add_get("/collections/{name}/documents/search", typesense)
    app.router.add_get("/vectors/fetch", pinecone)
    app.router.add_post("/v2/vectordb/entities/get", milvus)
    app.router.add_route("HEAD", "/v1/objects/{cls}/{id}", weaviate)
    return app


def route_config(adapter: str, options: str = "", gate: str = "") -> Any:
    """A config with one route of ``adapter``, collections mapped old -> new.

    Chroma maps names to ids by asking both sides: its route maps nothing here.
    """
    mapping = "" if adapter == "chroma" else 'old_docs = "docs", OldArticle = "Article"'
    return parse_config(
        textwrap.dedent(
            f"""
            [upstreams.old]
            url = "http://127.0.0.1:9"
            [upstreams.new]
            url = "http://127.0.0.1:9"
            [gate]
            {gate}
            [[routes]]
            name = "r"
            path = "/search"
            adapter = "{adapter}"
            collection_map = {{ {mapping} }}
            options = {{ {options} }}
            """
        )
    )


CASES = {
    "chroma": (CHROMA, {"query_embeddings": [[0.1]]}, ""),
    "qdrant": ("/collections/docs/points/search", {"vector": [0.1]}, ""),
    "elasticsearch": ("/docs/_search", {"knn": {"field": "v", "query_vector": [0.1]}}, ""),
    "typesense": ("/multi_search", {"searches": [{"collection": "old_docs"}]}, ""),
    "pinecone": ("/query", {"vector": [0.1], "namespace": "old_docs"}, ""),
    "milvus": ("/v2/vectordb/entities/search", {"collectionName": "old_docs"}, 'id_field = "pk"'),
    "weaviate": (
        "/v1/graphql",
        {"query": "{ Get { OldArticle(nearVector: {vector: [0.1]}) { _additional { id } } } }"},
        "",
    ),
}


def upstream_for(url: str, own: str = "") -> Any:
    """Both upstreams at ``url``; ``own``: the new one's extra keys (headers_env)."""
    text = f'[upstreams.old]\nurl = "{url}"\n[upstreams.new]\nurl = "{url}"\n{own}\n'
    return parse_config(text).upstreams


async def check(
    config, url, path, body, ids, headers=(), own="", env=None
) -> tuple[CollectorRegistry, Any]:
    """A real checker with the new upstream at ``url``: offer one search, wait; the registry."""
    registry = CollectorRegistry()
    bound = ProxyMetrics(registry).for_route("r", "docs")
    route = config.routes[0]
    adapter = adapter_for(route, Where("t").child("routes"))
    ups = upstream_for(url, own)
    clients = {name: make_client(name, ups[name], env or {}) for name in ("old", "new")}
    checker = CoverageChecker(lambda: config.gate, clients.get)
    search = Search(route, adapter, "docs", path, json.dumps(body).encode(), list(headers))
    try:
        checker.offer(search, tuple(ids), bound)
        assert await checker.tasks.wait_idle(10.0)
    finally:
        await checker.close()
        for client in clients.values():
            await client.close()
    return registry, checker


def counted(registry: CollectorRegistry, family: str, label: str, value: str) -> float:
    """One coverage counter of route r, segment docs."""
    labels = {"route": "r", "segment": "docs", label: value}
    return registry.get_sample_value(f"embedshift_{family}_total", labels) or 0.0


@pytest.mark.parametrize("adapter", list(CASES))
async def test_every_adapter_looks_ids_up_in_the_new_index(adapter, aiohttp_server):
    """Ids a and b are held, x and y not: 2 present, 2 missing, whatever the engine."""
    engine = Engine()
    server = await aiohttp_server(engine_app(engine))
    path, body, options = CASES[adapter]
    config = route_config(adapter, options)
    registry, _ = await check(config, str(server.make_url("")), path, body, ["a", "x", "b", "y"])
    assert counted(registry, "coverage_ids", "result", "present") == 2
    assert counted(registry, "coverage_ids", "result", "missing") == 2
    assert counted(registry, "coverage_lookups", "outcome", "checked") == 1
    assert engine.requests, "the engine was asked"


async def test_mapped_collections_are_asked(aiohttp_server):
    """The mirror's collection map applies: Typesense's old_docs is looked up as docs."""
    engine = Engine()
    server = await aiohttp_server(engine_app(engine))
    path, body, _ = CASES["typesense"]
    await check(route_config("typesense"), str(server.make_url("")), path, body, ["a"])
    assert engine.requests[0][1].startswith("/collections/docs/documents/search?")


async def test_the_generic_adapter_is_unsupported(aiohttp_server):
    """No get-by-id call: counted unsupported, nothing sent."""
    engine = Engine()
    server = await aiohttp_server(engine_app(engine))
    options = 'ids = "/ids", scores = "/scores"'
    config = route_config("generic", options)
    registry, _ = await check(config, str(server.make_url("")), "/search", {}, ["a"])
    assert counted(registry, "coverage_lookups", "outcome", "unsupported") == 1
    assert engine.requests == []


async def test_a_failed_lookup_counts_no_missing_id(aiohttp_server):
    """The engine answers 500: a failed lookup, never missing ids."""
    engine = Engine(status=500)
    server = await aiohttp_server(engine_app(engine))
    path, body, _ = CASES["chroma"]
    registry, _ = await check(route_config("chroma"), str(server.make_url("")), path, body, ["a"])
    assert counted(registry, "coverage_lookups", "outcome", "failed") == 1
    assert counted(registry, "coverage_ids", "result", "missing") == 0


async def test_a_slow_lookup_times_out(aiohttp_server):
    """Slower than coverage_timeout_s: failed, and the checker is idle again."""
    engine = Engine(delay_s=2.0)
    server = await aiohttp_server(engine_app(engine))
    path, body, _ = CASES["chroma"]
    config = route_config("chroma", gate="coverage_timeout_s = 0.1")
    registry, _ = await check(config, str(server.make_url("")), path, body, ["a"])
    assert counted(registry, "coverage_lookups", "outcome", "failed") == 1


async def test_the_client_credentials_never_reach_the_new_index(aiohttp_server):
    """Authorization and api-key of the client are dropped; other headers kept."""
    engine = Engine()
    server = await aiohttp_server(engine_app(engine))
    path, body, _ = CASES["chroma"]
    headers = [(b"Authorization", b"Bearer old-secret"), (b"api-key", b"k"), (b"X-Trace", b"7")]
    await check(route_config("chroma"), str(server.make_url("")), path, body, ["a"], headers)
    sent = engine.requests[0][2]
    assert "Authorization" not in sent
    assert "api-key" not in sent
    assert sent["X-Trace"] == "7"


async def test_lookups_are_bounded_by_rate_and_in_flight(aiohttp_server):
    """Over coverage_rate (burst of one second) or coverage_max_in_flight: dropped, counted."""
    engine = Engine(delay_s=0.2)
    server = await aiohttp_server(engine_app(engine))
    path, body, _ = CASES["chroma"]
    config = route_config("chroma", gate="coverage_rate = 3\ncoverage_max_in_flight = 2")
    registry = CollectorRegistry()
    bound = ProxyMetrics(registry).for_route("r", "docs")
    route = config.routes[0]
    adapter = adapter_for(route, Where("t").child("routes"))
    ups = upstream_for(str(server.make_url("")))
    clients = {name: make_client(name, ups[name]) for name in ("old", "new")}
    checker = CoverageChecker(lambda: config.gate, clients.get)
    search = Search(route, adapter, "docs", path, json.dumps(body).encode(), [])
    try:
        for _ in range(5):
            checker.offer(search, ("a",), bound)
        assert len(checker.tasks) == 2
        assert await checker.tasks.wait_idle(10.0)
    finally:
        await checker.close()
        for client in clients.values():
            await client.close()
    assert counted(registry, "coverage_lookups", "outcome", "dropped") == 3
    assert counted(registry, "coverage_lookups", "outcome", "checked") == 2


def test_the_token_bucket_refills_at_its_rate():
    """Rate 2: two at once, then one more after half a second."""
    now = [0.0]
    bucket = TokenBucket(lambda: now[0])
    assert [bucket.take(2.0) for _ in range(3)] == [True, True, False]
    now[0] = 0.5
    assert bucket.take(2.0)
    assert not bucket.take(2.0)


@pytest.mark.integration
async def test_real_chroma_answers_the_lookups(chroma_url):
    """A real Chroma collection holding a and b: its /get finds them, not x."""
    base = f"{chroma_url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    created = http_json("POST", base, {"name": "gate13_coverage_probe", "get_or_create": True})
    http_json(
        "POST",
        f"{base}/{created['id']}/upsert",
        {"ids": ["a", "b"], "embeddings": [[1.0, 0.0], [0.0, 1.0]]},
    )
    path = f"{base.removeprefix(chroma_url)}/{created['id']}/query"
    body = {"query_embeddings": [[1.0, 0.0]]}
    registry, _ = await check(route_config("chroma"), chroma_url, path, body, ["a", "b", "x"])
    assert counted(registry, "coverage_ids", "result", "present") == 2
    assert counted(registry, "coverage_ids", "result", "missing") == 1


@pytest.mark.integration
async def test_real_typesense_answers_the_lookups(typesense):
    """A real Typesense collection: the filtered search finds held ids, odd characters too."""
    headers = {"X-TYPESENSE-API-KEY": typesense.key}
    name = "gate13_coverage_probe"
    with contextlib.suppress(urllib.error.HTTPError):
        http_json("DELETE", f"{typesense.url}/collections/{name}", headers=headers)
    schema = {"name": name, "fields": [{"name": "t", "type": "string"}]}
    http_json("POST", f"{typesense.url}/collections", schema, headers)
    held = ["a", "b-2", "c,d"]
    for doc_id in held:
        doc = {"id": doc_id, "t": "x"}
        http_json("POST", f"{typesense.url}/collections/{name}/documents", doc, headers)
    path = f"/collections/{name}/documents/search"
    registry, _ = await check(
        route_config("typesense"),
        typesense.url,
        path,
        {"q": "*"},
        [*held, "zz"],
        own='headers_env = { "X-TYPESENSE-API-KEY" = "TS_KEY" }',
        env={"TS_KEY": typesense.key},
    )
    assert counted(registry, "coverage_ids", "result", "present") == 3
    assert counted(registry, "coverage_ids", "result", "missing") == 1
