"""The query embedder: template, cache, coalescing into batches, bounded failures by kind."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from aiohttp import web
from prometheus_client import CollectorRegistry

from proxy.config.loader import build
from proxy.config.schema import EmbeddingSection
from proxy.config.where import Where
from proxy.embeddings.query_embedder import EmbedderMetrics, QueryEmbedder, QueryEmbedError


def vector_of(text, dim=4):
    """A deterministic vector per text (what the fake server answers)."""
    digest = hashlib.sha256(text.encode()).digest()
    return [b / 255.0 for b in digest[:dim]]


class FakeOpenAI:
    """An OpenAI-style /v1/embeddings server on loopback that records every call."""

    def __init__(self, dim=4, delay_s=0.0, gate=None):
        """``gate``: an Event the server waits on before answering (holds calls in flight)."""
        self.dim, self.delay_s, self.gate = dim, delay_s, gate
        self.calls = []
        self.called = asyncio.Event()

    async def embeddings(self, request):
        """Answer one vector per input, in the OpenAI shape."""
        body = await request.json()
        self.calls.append(body)
        self.called.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        data = [
            {"object": "embedding", "index": i, "embedding": vector_of(t, self.dim)}
            for i, t in enumerate(body["input"])
        ]
        return web.json_response(
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": 1, "total_tokens": 1},
            }
        )

    def app(self):
        """The aiohttp app."""
        app = web.Application()
        app.router.add_post("/v1/embeddings", self.embeddings)
        return app


def settings(url, **extra):
    """An [embedding] section for ``url``."""
    data = {"base_url": url, "model": "m", "dimension": 4, "timeout_s": 2.0, **extra}
    return build(EmbeddingSection, data, Where("t.toml", "", ("embedding",)))


@pytest.fixture
async def served(aiohttp_server):
    """Start a FakeOpenAI; yield (fake, base URL, registry, make_embedder) and close embedders."""
    made = []

    async def start(fake=None, **extra):
        fake = fake or FakeOpenAI()
        server = await aiohttp_server(fake.app())
        registry = CollectorRegistry()
        embedder = QueryEmbedder(
            settings(str(server.make_url("/v1")), **extra), EmbedderMetrics(registry)
        )
        made.append(embedder)
        return fake, embedder, registry

    yield start
    for embedder in made:
        await embedder.close()


def metric(registry, name, labels=None):
    """A sample's value (0 when absent)."""
    return registry.get_sample_value(name, labels or {}) or 0.0


async def test_template_and_cache(served):
    """The template is applied before embedding; a repeated text is served from the cache."""
    fake, embedder, registry = await served(query_template="query: {text}")
    first = await embedder.embed(["what is x"])
    second = await embedder.embed(["what is x"])
    assert first == second
    assert first[0] == pytest.approx(vector_of("query: what is x"))
    assert [c["input"] for c in fake.calls] == [["query: what is x"]]
    assert metric(registry, "embedshift_query_embed_cache_hits_total") == 1
    assert metric(registry, "embedshift_query_embed_texts_total") == 2


async def test_concurrent_texts_are_coalesced_into_bounded_batches(served):
    """While the only call slot is busy, texts queue and go out together, max_batch at most."""
    gate = asyncio.Event()
    fake, embedder, registry = await served(FakeOpenAI(gate=gate), max_concurrency=1, max_batch=8)
    first = asyncio.ensure_future(embedder.embed(["t0"]))
    await fake.called.wait()  # the first call is in flight and held by the server
    rest = [asyncio.ensure_future(embedder.embed([f"t{i}"])) for i in range(1, 21)]
    same = [asyncio.ensure_future(embedder.embed(["t1"])) for _ in range(5)]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(first, *rest, *same)
    assert results[0][0] == pytest.approx(vector_of("t0"))
    for i, result in enumerate(results[1:21], start=1):
        assert result[0] == pytest.approx(vector_of(f"t{i}"))
    sizes = [len(c["input"]) for c in fake.calls]
    assert sizes == [1, 8, 8, 4]  # 20 distinct queued texts in calls of at most 8
    assert metric(registry, "embedshift_query_embed_calls_total") == 4
    assert metric(registry, "embedshift_query_embed_joined_total") == 5


async def test_a_batch_request_embeds_its_texts_in_order(served):
    """Several texts of one request come back in order, in one call."""
    fake, embedder, _ = await served()
    vectors = await embedder.embed(["a", "b", "c"])
    assert vectors == [pytest.approx(vector_of(t)) for t in "abc"]
    assert len(fake.calls) == 1


@pytest.mark.parametrize("case", ["slow", "wrong_dimension"])
async def test_failures_have_a_kind_and_are_counted(served, case):
    """A slow server times out; a wrong dimension is its own kind; nothing is cached."""
    fake = FakeOpenAI(delay_s=1.0) if case == "slow" else FakeOpenAI(dim=3)
    _, embedder, registry = await served(fake, timeout_s=0.2)
    expected = "timeout" if case == "slow" else "wrong_dimension"
    for _ in range(3):
        with pytest.raises(QueryEmbedError) as caught:
            await embedder.embed(["x"])
        assert caught.value.kind == expected
    assert metric(registry, "embedshift_query_embed_errors_total", {"kind": expected}) == 3
    assert metric(registry, "embedshift_query_embed_cache_hits_total") == 0


async def test_down_server_is_unreachable(dead_port_factory):
    """Nothing listening: kind 'unreachable'."""
    registry = CollectorRegistry()
    url = f"http://127.0.0.1:{dead_port_factory()}/v1"
    embedder = QueryEmbedder(settings(url), EmbedderMetrics(registry))
    try:
        with pytest.raises(QueryEmbedError) as caught:
            await embedder.embed(["x"])
    finally:
        await embedder.close()
    assert caught.value.kind == "unreachable"
    assert metric(registry, "embedshift_query_embed_errors_total", {"kind": "unreachable"}) == 1
