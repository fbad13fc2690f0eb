"""The header policy: what a client's request carries upstream, and what an answer carries back."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from multidict import CIMultiDict

from proxy.upstream.headers import (
    SHADOW_HEADER,
    UpstreamHeaders,
    as_multidict,
    for_upstream,
    forwarded,
    response_headers,
)


def _decoded(pairs):
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in pairs]


async def _policy_of(aiohttp_server, headers, *, mirrored=False):
    """The pairs ``forwarded`` makes of a real request sent with ``headers``."""
    seen = {}

    async def handler(request: web.Request) -> web.Response:
        seen["pairs"] = forwarded(request, mirrored=mirrored)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    server = await aiohttp_server(app)
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.make_url("/x"), data=b"{}", headers=headers) as response,
    ):
        assert response.status == 200
    return _decoded(seen["pairs"])


async def test_end_to_end_headers_pass_in_order_with_repeats(aiohttp_server):
    """The client's own headers go upstream in their order, a repeated one twice."""
    headers = [("X-A", "1"), ("X-Tag", "t1"), ("X-Tag", "t2"), ("Authorization", "Bearer k")]
    pairs = await _policy_of(aiohttp_server, CIMultiDict(headers))
    names = [k.lower() for k, _ in pairs]
    assert [v for k, v in pairs if k.lower() == "x-tag"] == ["t1", "t2"]
    assert names.index("x-a") < names.index("x-tag") < names.index("authorization")


async def test_hop_by_hop_and_connection_named_headers_are_dropped(aiohttp_server):
    """Connection, the headers it names, Keep-Alive, Expect, Host, Content-Length never pass."""
    headers = {
        "Connection": "keep-alive, X-Drop",
        "X-Drop": "1",
        "Keep-Alive": "timeout=5",
        "Expect": "100-continue",
        "X-Keep": "1",
    }
    names = {k.lower() for k, _ in await _policy_of(aiohttp_server, headers)}
    assert "x-keep" in names
    assert not names & {"connection", "x-drop", "keep-alive", "expect", "host", "content-length"}


async def test_forwarded_trio_is_added_and_extended(aiohttp_server):
    """X-Forwarded-For gets the peer after every earlier hop; Host and Proto added when absent."""
    pairs = await _policy_of(
        aiohttp_server,
        CIMultiDict([("X-Forwarded-For", "10.0.0.1"), ("X-Forwarded-For", "10.0.0.2")]),
    )
    found = {k.lower(): v for k, v in pairs}
    assert found["x-forwarded-for"] == "10.0.0.1, 10.0.0.2, 127.0.0.1"
    assert found["x-forwarded-host"].startswith("127.0.0.1:")
    assert found["x-forwarded-proto"] == "http"


async def test_a_clients_forwarded_host_and_proto_are_kept(aiohttp_server):
    """Behind another proxy, the client's X-Forwarded-Host and -Proto are not replaced."""
    headers = {"X-Forwarded-Host": "search.example", "X-Forwarded-Proto": "https"}
    pairs = await _policy_of(aiohttp_server, headers)
    assert [v for k, v in pairs if k.lower() == "x-forwarded-host"] == ["search.example"]
    assert [v for k, v in pairs if k.lower() == "x-forwarded-proto"] == ["https"]


async def test_a_mirror_is_marked(aiohttp_server):
    """Only a mirrored request carries the shadow mark."""
    plain = await _policy_of(aiohttp_server, {})
    mirrored = await _policy_of(aiohttp_server, {}, mirrored=True)
    assert SHADOW_HEADER not in dict(plain)
    assert dict(mirrored)[SHADOW_HEADER] == "1"


def test_an_upstreams_own_headers_replace_the_clients():
    """The upstream's API key replaces a client's header of that name, whatever its case."""
    client = [(b"Api-Key", b"from-client"), (b"X-A", b"1")]
    own = UpstreamHeaders.of({"api-key": "secret"})
    sent = for_upstream(client, own)
    assert _decoded(sent) == [("X-A", "1"), ("api-key", "secret")]
    assert client == [(b"Api-Key", b"from-client"), (b"X-A", b"1")]  # the shared list untouched


def test_without_headers_of_its_own_nothing_is_copied():
    """The common case costs nothing: the very same list goes to the pool."""
    client = [(b"X-A", b"1")]
    assert for_upstream(client, UpstreamHeaders.of({})) is client


def test_the_multidict_form_is_the_same_pairs():
    """The streamed passthrough gets the same headers (as aiohttp takes them), order kept."""
    pairs = [(b"X-Tag", b"t1"), (b"X-Tag", b"t2"), (b"X-B", b"\xe9")]
    assert list(as_multidict(pairs).items()) == [("X-Tag", "t1"), ("X-Tag", "t2"), ("X-B", "é")]


def test_answers_lose_hop_by_hop_headers_and_keep_repeats():
    """Back to the client: Set-Cookie twice, Connection and what it names dropped."""
    raw = [
        (b"Set-Cookie", b"a=1"),
        (b"Set-Cookie", b"b=2"),
        (b"Connection", b"close, X-Private"),
        (b"X-Private", b"1"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Content-Type", b"application/json"),
    ]
    out = response_headers(raw)
    assert out.getall("Set-Cookie") == ["a=1", "b=2"]
    assert set(out) == {"Set-Cookie", "Content-Type"}
