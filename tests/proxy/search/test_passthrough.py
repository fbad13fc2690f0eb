"""The primary path: through the proxy, clients get exactly what the primary answers."""

from __future__ import annotations

import asyncio
import io
import json
import os

import aiohttp
import pytest
from prometheus_client import CollectorRegistry

from proxy.server.app import create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config

BIG_UPLOAD = os.urandom(5 * 1024 * 1024)
IGNORED = {"date"}  # set per response by each server; every other header must match


def comparable(headers):
    """Headers as a sorted list of (lower-case name, value), minus per-server ones."""
    return sorted((k.lower(), v) for k, v in headers.items() if k.lower() not in IGNORED)


@pytest.fixture
async def setup(aiohttp_server):
    """An old backend, a new one, and the proxy in front of them."""
    old, new = FakeQdrant(marker="old"), FakeQdrant(marker="new")
    old_server = await aiohttp_server(old.app())
    new_server = await aiohttp_server(new.app())
    config = make_config(
        str(old_server.make_url("")),
        str(new_server.make_url("")),
        extra="[proxy]\nmax_body_bytes = 8388608\n",
    )
    proxy_server = await aiohttp_server(create_app(config, CollectorRegistry()))
    return old_server, proxy_server, old


async def fetch(session, method, url, **kw):
    """(status, headers, body) of one request."""
    if isinstance(kw.get("data"), bytes) and len(kw["data"]) > 1024 * 1024:
        kw["data"] = io.BytesIO(kw["data"])  # aiohttp warns about large raw bytes bodies
    async with session.request(method, url, allow_redirects=False, **kw) as r:
        return r.status, r.headers.copy(), await r.read()


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/any/path?x=1&y=%20z", {}),
        ("POST", "/things", {"data": b'{"a": 1}', "headers": {"Content-Type": "application/json"}}),
        ("PUT", "/things/1", {"data": b"raw bytes \x00\xff"}),
        ("DELETE", "/things/1", {}),
        ("PATCH", "/things/1", {"data": b"p"}),
        ("GET", "/chunked", {}),
        ("GET", "/big", {}),
        ("POST", "/upload", {"data": BIG_UPLOAD}),
        ("GET", "/status/404", {}),
        ("POST", "/status/500", {"data": b"x"}),
        ("GET", "/status/503", {}),
        ("GET", "/cookies", {}),
        ("GET", "/gzip", {}),
        ("HEAD", "/big", {}),
    ],
)
async def test_byte_for_byte(setup, method, path, kwargs):
    """Status, headers (bar Date) and body through the proxy equal the direct answer."""
    old_server, proxy_server, _ = setup
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        direct = await fetch(session, method, old_server.make_url(path), **kwargs)
        proxied = await fetch(session, method, proxy_server.make_url(path), **kwargs)
    assert proxied[0] == direct[0]
    assert proxied[2] == direct[2]
    direct_headers = comparable(direct[1])
    proxied_headers = comparable(proxied[1])
    if path == "/chunked":  # re-framed by the proxy: same body, chunked either way
        assert ("transfer-encoding", "chunked") in direct_headers
        assert ("transfer-encoding", "chunked") in proxied_headers
    assert proxied_headers == direct_headers


async def test_search_route_answer_is_unchanged(setup):
    """A mirrored search gets the primary's exact answer, not the shadow's."""
    old_server, proxy_server, _ = setup
    body = json.dumps({"vector": [0.1, 0.2], "limit": 10}).encode()
    url = "/collections/docs/points/search"
    async with aiohttp.ClientSession() as session:
        direct = await fetch(session, "POST", old_server.make_url(url), data=body)
        proxied = await fetch(session, "POST", proxy_server.make_url(url), data=body)
    assert proxied[2] == direct[2]
    assert json.loads(proxied[2])["result"][0]["payload"]["m"] == "old"
    assert comparable(proxied[1]) == comparable(direct[1])


async def test_request_reaches_upstream_intact(setup):
    """Method, path, query, body and end-to-end headers arrive; hop-by-hop ones do not."""
    _, proxy_server, _ = setup
    async with aiohttp.ClientSession() as session:
        status, _, body = await fetch(
            session,
            "POST",
            proxy_server.make_url("/echo/p%2Fq?show_headers=1&a=b"),
            data=b"payload",
            headers={
                "X-Custom": "v",
                "Keep-Alive": "timeout=5",
                "Connection": "keep-alive, X-Drop",
                "X-Drop": "1",
            },
        )
    echoed = json.loads(body)
    assert status == 200
    assert echoed["method"] == "POST"
    assert echoed["path"] == "/echo/p%2Fq?show_headers=1&a=b"
    assert echoed["body_len"] == len(b"payload")
    headers = {k.lower(): v for k, v in echoed["headers"].items()}
    assert headers["x-custom"] == "v"
    assert "keep-alive" not in headers
    assert "x-drop" not in headers  # named in Connection: hop-by-hop
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"


async def test_body_over_limit_gets_413(aiohttp_server):
    """Request bodies above [proxy].max_body_bytes are refused with 413."""
    old = await aiohttp_server(FakeQdrant().app())
    config = make_config(
        str(old.make_url("")), str(old.make_url("")), extra="[proxy]\nmax_body_bytes = 2048\n"
    )
    proxy_server = await aiohttp_server(create_app(config, CollectorRegistry()))
    async with aiohttp.ClientSession() as session:
        status, _, _ = await fetch(session, "POST", proxy_server.make_url("/x"), data=b"a" * 4096)
    assert status == 413


async def test_primary_unreachable_gives_502(aiohttp_server, dead_port):
    """A primary that refuses connections gives 502 with a JSON body naming it."""
    dead = f"http://127.0.0.1:{dead_port}"
    config = make_config(dead, dead)
    proxy_server = await aiohttp_server(create_app(config, CollectorRegistry()))
    async with aiohttp.ClientSession() as session:
        for path in ("/passthrough", "/collections/docs/points/search"):
            status, headers, body = await fetch(
                session, "POST", proxy_server.make_url(path), data=b"{}"
            )
            assert status == 502
            assert headers["Content-Type"].startswith("application/json")
            assert json.loads(body)["upstream"] == "old"
            assert json.loads(body)["error"] == "upstream_unreachable"


async def test_primary_too_slow_gives_504(aiohttp_server):
    """A primary slower than its timeout gives 504 naming it, not a hang."""
    old = await aiohttp_server(FakeQdrant().app())
    config = make_config(str(old.make_url("")), str(old.make_url("")))
    config = type(config)(
        **{
            **config.__dict__,
            "upstreams": {
                "old": type(config.upstreams["old"])(url=str(old.make_url("")), timeout_s=0.3),
                "new": config.upstreams["new"],
            },
        }
    )
    proxy_server = await aiohttp_server(create_app(config, CollectorRegistry()))
    async with aiohttp.ClientSession() as session:
        status, _, body = await asyncio.wait_for(
            fetch(session, "GET", proxy_server.make_url("/slow?s=5")), timeout=4
        )
    assert status == 504
    assert json.loads(body) == {
        "error": "upstream_timeout",
        "upstream": "old",
        "detail": "no complete answer within 0.3 s",
    }
