"""Forwarding: a search answered whole, anything else streamed, failures as 502 and 504.

Each test runs a small front application on loopback whose handler forwards with the function
under test to a real upstream (another loopback server), as the search path does.
"""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from aiohttp import web

from proxy.config.schema import Upstream
from proxy.upstream.client import UpstreamClient, make_client
from proxy.upstream.forward import forward_search, forward_streamed
from proxy.upstream.headers import forwarded


async def _upstream_echo(request: web.Request) -> web.Response:
    body = await request.read()
    if request.path == "/slow":
        await asyncio.sleep(30)
    answer = {
        "method": request.method,
        "path": request.path_qs,
        "body": body.decode(),
        "api_key": request.headers.getall("Api-Key", []),
    }
    return web.json_response(answer, headers={"X-Up": "1", "Connection": "keep-alive"})


@pytest.fixture
async def front(aiohttp_server, dead_port_factory):
    """Builds (front server, answers) forwarding with ``how`` to the echo or to nothing."""
    clients: list[UpstreamClient] = []
    answers: list[object] = []

    async def make(how, *, up=True, timeout_s=5.0, headers_env=None, env=None, path=None):
        if up:
            upstream_app = web.Application()
            upstream_app.router.add_route("*", "/{tail:.*}", _upstream_echo)
            base = str((await aiohttp_server(upstream_app)).make_url(""))
        else:
            base = f"http://127.0.0.1:{dead_port_factory()}"
        settings = Upstream(
            url=base, timeout_s=timeout_s, connect_timeout_s=1.0, headers_env=headers_env or {}
        )
        client = make_client("old", settings, env or {})
        clients.append(client)

        async def handler(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            if how == "search":
                response, answer = await forward_search(
                    request, client, body, forwarded(request), path
                )
                answers.append(answer)
                return response
            return await forward_streamed(request, client, body, forwarded(request))

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        return await aiohttp_server(app), answers

    yield make
    for client in clients:
        await client.close()


async def _post(server, path, headers=None):
    async with (
        aiohttp.ClientSession() as session,
        session.post(server.make_url(path), data=b'{"q": 1}', headers=headers) as response,
    ):
        return response.status, response.headers.copy(), await response.read()


@pytest.mark.parametrize("how", ["search", "streamed"])
async def test_the_upstreams_answer_comes_back_unchanged(front, how):
    """Status, end-to-end headers and body come back as the upstream sent them."""
    server, answers = await front(how)
    status, headers, body = await _post(server, "/collections/c/points/search?x=1")
    echoed = json.loads(body)
    assert status == 200
    assert echoed["path"] == "/collections/c/points/search?x=1"
    assert echoed["body"] == '{"q": 1}'
    assert headers["X-Up"] == "1"
    if how == "search":
        (answer,) = answers
        assert answer is not None
        assert answer.status == 200
        assert answer.body == body


async def test_a_search_can_go_to_another_path(front):
    """A search rewritten for the new index goes to its own path and query string."""
    server, _ = await front("search", path="/collections/new/points/search?y=2")
    _, _, body = await _post(server, "/collections/old/points/search")
    assert json.loads(body)["path"] == "/collections/new/points/search?y=2"


@pytest.mark.parametrize("how", ["search", "streamed"])
async def test_the_upstreams_own_headers_replace_the_clients(front, how):
    """The upstream's API key is sent once, in place of any the client sent."""
    server, _ = await front(how, headers_env={"Api-Key": "KEY_VAR"}, env={"KEY_VAR": "secret"})
    _, _, body = await _post(server, "/x", {"api-key": "from-client"})
    assert json.loads(body)["api_key"] == ["secret"]


@pytest.mark.parametrize("how", ["search", "streamed"])
async def test_an_unreachable_upstream_gives_502_naming_it(front, how):
    """No connection: 502 with a JSON body naming the upstream; a search has no answer."""
    server, answers = await front(how, up=False)
    status, headers, body = await _post(server, "/x")
    assert status == 502
    assert headers["X-Embedshift-Error"] == "upstream_unreachable"
    assert json.loads(body)["upstream"] == "old"
    assert answers == ([None] if how == "search" else [])


@pytest.mark.parametrize("how", ["search", "streamed"])
async def test_a_slow_upstream_gives_504(front, how):
    """No complete answer within the upstream's timeout: 504, never a hang."""
    server, _ = await front(how, timeout_s=0.2)
    status, headers, body = await _post(server, "/slow")
    assert status == 504
    assert headers["X-Embedshift-Error"] == "upstream_timeout"
    assert json.loads(body)["error"] == "upstream_timeout"
