"""The application's embeddings API through the sidecar: unchanged for the application, learned.

A loopback OpenAI-style provider (``conftest.py``) is called directly and through the sidecar's
``[embeddings_api]`` prefix; status, headers (bar Date) and bytes must be the same, for the
official ``openai`` client too, and each text of a call is remembered with its vector.
"""

from __future__ import annotations

import json

import aiohttp
import openai
import pytest

from tests.support.openai_provider import KEY

PREFIX = "/embeddings-api"  # the sidecar fixture's [embeddings_api].path_prefix

AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
IGNORED = {"date"}  # set per response: every other header must match


def comparable(headers):
    """Headers as a sorted list of (lower-case name, value), minus per-server ones."""
    return sorted((k.lower(), v) for k, v in headers.items() if k.lower() not in IGNORED)


async def fetch(session, method, url, **kw):
    """(status, headers, body) of one request."""
    async with session.request(method, url, allow_redirects=False, **kw) as r:
        return r.status, r.headers.copy(), await r.read()


def body(**doc):
    """An embeddings request body."""
    return json.dumps({"model": "fake", **doc}).encode()


CASES = [
    ("one text", "POST", "/embeddings", body(input="what is a sidecar?"), {}),
    ("a batch", "POST", "/embeddings", body(input=["a", "b", "c"]), {}),
    ("base64", "POST", "/embeddings", body(input=["a"], encoding_format="base64"), {}),
    ("token ids", "POST", "/embeddings", body(input=[[1, 2, 3]]), {}),
    ("unknown model", "POST", "/embeddings", body(model="missing", input="x"), {}),
    ("no key", "POST", "/embeddings", body(input="x"), {"Authorization": "Bearer wrong"}),
    ("streamed", "POST", "/embeddings", body(input=["a"] * 8), {"X-Test-Chunked": "1"}),
    ("gzip", "POST", "/embeddings", body(input="x"), {"X-Test-Gzip": "1"}),
    ("query string", "POST", "/embeddings?api-version=2024-02-01", body(input="x"), {}),
    ("models", "GET", "/models", b"", {}),
    ("not found", "GET", "/nothing/here", b"", {}),
    ("head", "HEAD", "/models", b"", {}),
]


@pytest.mark.parametrize(
    ("method", "path", "data", "headers"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_byte_for_byte(provider, sidecar, method, path, data, headers):
    """Status, headers (bar Date) and body through the sidecar equal the direct ones."""
    _, direct_server = provider
    proxy, _, _ = await sidecar()
    sent = {**AUTH, "Accept-Encoding": "gzip", **headers}
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        direct = await fetch(
            session, method, direct_server.make_url("/v1" + path), data=data, headers=sent
        )
        through = await fetch(
            session, method, proxy.make_url(PREFIX + path), data=data, headers=sent
        )
    assert through[0] == direct[0]
    assert through[2] == direct[2]
    direct_headers, through_headers = comparable(direct[1]), comparable(through[1])
    if headers.get("X-Test-Chunked"):  # re-framed: same body, chunked either way
        assert ("transfer-encoding", "chunked") in direct_headers
        assert ("transfer-encoding", "chunked") in through_headers
    assert through_headers == direct_headers


async def test_the_request_reaches_the_provider_as_sent(provider, sidecar):
    """The application's key, its headers and its body arrive; the query string too."""
    made, _ = provider
    proxy, _, _ = await sidecar()
    data = body(input=["x", "y"], user="u-1", dimensions=16)
    async with aiohttp.ClientSession() as session:
        status, _, _ = await fetch(
            session,
            "POST",
            proxy.make_url(PREFIX + "/embeddings"),
            data=data,
            headers={**AUTH, "OpenAI-Organization": "org-1"},
        )
    assert status == 200
    assert made.seen[-1] == json.loads(data)
    assert made.headers[-1]["Authorization"] == f"Bearer {KEY}"
    assert made.headers[-1]["OpenAI-Organization"] == "org-1"


async def test_the_official_openai_client_gets_the_same_answers(provider, sidecar):
    """``openai`` (base64 by default, float on request, a batch, errors) sees no difference."""
    _, direct_server = provider
    proxy, _, _ = await sidecar()
    direct = openai.AsyncOpenAI(base_url=str(direct_server.make_url("/v1")), api_key=KEY)
    through = openai.AsyncOpenAI(base_url=str(proxy.make_url(PREFIX)), api_key=KEY)
    try:
        for kwargs in (
            {"input": "one query"},
            {"input": ["first", "second", "third", "fourth", "fifth"]},
            {"input": ["as floats"], "encoding_format": "float"},
        ):
            a = await direct.embeddings.create(model="fake", **kwargs)
            b = await through.embeddings.create(model="fake", **kwargs)
            assert b.model_dump() == a.model_dump()
        errors = []
        for client in (direct, through):
            with pytest.raises(openai.NotFoundError) as caught:
                await client.embeddings.create(model="missing", input="x")
            errors.append((caught.value.status_code, caught.value.body))
        assert errors[0] == errors[1]
        wrong = openai.AsyncOpenAI(base_url=str(proxy.make_url(PREFIX)), api_key="sk-wrong")
        with pytest.raises(openai.AuthenticationError):
            await wrong.embeddings.create(model="fake", input="x")
        await wrong.close()
    finally:
        await direct.close()
        await through.close()


async def test_each_text_is_remembered_with_its_vector(provider, sidecar):
    """Every input of a call is remembered, whatever the encoding; its vector finds it."""
    made, _ = provider
    proxy, running, registry = await sidecar()
    client = openai.AsyncOpenAI(base_url=str(proxy.make_url(PREFIX)), api_key=KEY)
    try:
        await client.embeddings.create(model="fake", input=["alpha", "beta", "gamma"])
        await client.embeddings.create(model="fake", input="delta", encoding_format="float")
    finally:
        await client.close()
    memory = running.memory
    assert memory is not None
    assert len(memory) == 4
    for text in ("alpha", "beta", "gamma", "delta"):
        assert memory.recall(made.vector(text)) == text
    assert registry.get_sample_value("embedshift_query_memory_remembered_total") == 4
    assert registry.get_sample_value("embedshift_query_memory_entries") == 4
    assert registry.get_sample_value("embedshift_query_memory_bytes") == memory.bytes > 0
    labels = {"route": "embeddings_api", "code": "2xx"}
    assert registry.get_sample_value("embedshift_client_requests_total", labels) == 2


@pytest.mark.parametrize(
    ("data", "headers", "reason"),
    [
        (body(input=[[1, 2], [3]]), {}, "tokens"),
        (body(input=[str(i) for i in range(17)]), {}, "too_many_inputs"),
        (body(model="missing", input="x"), {}, "error_status"),
        (b"not json", {}, "not_json"),
        (body(input=""), {}, None),
        (body(input="x"), {"X-Test-Gzip": "1", "Accept-Encoding": "gzip"}, None),
    ],
    ids=["tokens", "too many inputs", "error", "not json", "empty text", "gzip answer"],
)
async def test_what_teaches_nothing_is_counted_by_reason(provider, sidecar, data, headers, reason):
    """Calls that cannot be learned from pass through and are counted by reason.

    (An empty text is passed through and not remembered; a gzip answer is read.)
    """
    made, _ = provider
    proxy, running, registry = await sidecar()
    async with aiohttp.ClientSession() as session:
        await fetch(
            session,
            "POST",
            proxy.make_url(PREFIX + "/embeddings"),
            data=data,
            headers={**AUTH, **headers},
        )
    skipped = {
        r: registry.get_sample_value("embedshift_query_memory_skipped_total", {"reason": r})
        for r in ("tokens", "too_many_inputs", "error_status", "not_json", "unreadable_answer")
    }
    assert skipped == {r: (1.0 if r == reason else 0.0) for r in skipped}
    if data == body(input="x"):
        assert running.memory.recall(made.vector("x")) == "x"
    else:
        assert len(running.memory) == 0


async def test_prefixes_of_the_old_model_are_stripped(provider, sidecar):
    """With strip_prefixes, "query: text" is remembered as "text".

    (The new model's own template is applied when the text is embedded for the shadow.)
    """
    made, _ = provider
    proxy, running, _ = await sidecar(section='strip_prefixes = ["query: "]')
    async with aiohttp.ClientSession() as session:
        await fetch(
            session,
            "POST",
            proxy.make_url(PREFIX + "/embeddings"),
            data=body(input=["query: how tall is it", "passage: kept whole"]),
            headers=AUTH,
        )
    assert running.memory.recall(made.vector("query: how tall is it")) == "how tall is it"
    assert running.memory.recall(made.vector("passage: kept whole")) == "passage: kept whole"


async def test_an_unreachable_provider_is_a_502(sidecar, dead_port):
    """The provider down: 502 with a JSON body naming the upstream, nothing remembered."""
    proxy, running, _ = await sidecar(
        extra=f'[upstreams.down]\nurl = "http://127.0.0.1:{dead_port}"\n',
        section='upstream = "down"',
    )
    async with aiohttp.ClientSession() as session:
        status, headers, answer = await fetch(
            session, "POST", proxy.make_url(PREFIX + "/embeddings"), data=body(input="x")
        )
    assert status == 502
    assert headers["X-Embedshift-Error"] == "upstream_unreachable"
    assert json.loads(answer)["upstream"] == "down"
    assert len(running.memory) == 0


async def test_other_paths_still_go_to_the_old_index(sidecar):
    """Only the prefix is the embeddings API; a path that merely starts alike is the index's."""
    proxy, _, registry = await sidecar()
    async with aiohttp.ClientSession() as session:
        status, _, answer = await fetch(session, "GET", proxy.make_url(PREFIX + "x/models"))
    assert status == 502  # old is a closed port in this fixture
    assert json.loads(answer)["upstream"] == "old"
    labels = {"route": "embeddings_api", "code": "5xx"}
    assert registry.get_sample_value("embedshift_client_requests_total", labels) is None
