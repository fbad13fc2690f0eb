"""Learned query text, in one process: the application embeds through the sidecar, then searches.

The application's embeddings call goes to a loopback OpenAI-style provider through the
sidecar's ``[embeddings_api]`` (the official ``openai`` client); its search goes to loopback
Qdrant-shaped backends with the vector it got and no text. The new model is another loopback
embeddings server. A route with ``query_text = { learned = true }`` must re-embed the text the
application embedded, and count the vectors it never saw apart.
"""

from __future__ import annotations

import textwrap

import aiohttp
import openai
import pytest
from prometheus_client import CollectorRegistry

from proxy.errors import ConfigError
from proxy.server.app import SIDECAR, create_app
from tests.support.backends import FakeQdrant
from tests.support.config import make_config
from tests.support.fake_embeddings import FakeEmbeddings
from tests.support.openai_provider import KEY, Provider

SEARCH = "/collections/docs/points/search"
PROVIDER = '[upstreams.embeddings]\nurl = "http://127.0.0.1:3"\n'
ROUTE = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
segment = { header = "X-Segment" }
query_text = { header = "X-Query-Text", learned = true }
"""


class Rig:
    """A sidecar in front of old and new backends, its provider and the new model (in process)."""

    def __init__(self, proxy, registry, provider: Provider, new_model: FakeEmbeddings) -> None:
        """Hold the running parts."""
        self.proxy = proxy
        self.sidecar = proxy.app[SIDECAR]
        self.registry = registry
        self.provider = provider
        self.new_model = new_model

    async def embed(self, *texts: str) -> list[list[float]]:
        """The application's embeddings call, through the sidecar, with the openai client."""
        client = openai.AsyncOpenAI(
            base_url=str(self.proxy.make_url("/embeddings-api")), api_key=KEY
        )
        try:
            answer = await client.embeddings.create(model="old-model", input=list(texts))
        finally:
            await client.close()
        return [item.embedding for item in answer.data]

    async def search(self, vector: list[float], headers: dict[str, str] | None = None) -> int:
        """The application's search with a vector (its own serialisation), mirrors settled."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.proxy.make_url(SEARCH),
                json={"vector": vector, "limit": 10},
                headers={"X-Segment": "docs", **(headers or {})},
            ) as response,
        ):
            await response.read()
        assert await self.sidecar.shadow_tasks.wait_idle(10.0)
        return response.status

    def value(self, name: str, **labels: str) -> float:
        """A sample's value (0 when absent)."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def learned(self, result: str) -> float:
        """embedshift_learned_query_text_total of route search, segment docs."""
        return self.value(
            "embedshift_learned_query_text_total", route="search", segment="docs", result=result
        )

    def outcome(self, outcome: str) -> float:
        """embedshift_shadow_requests_total of route search, segment docs."""
        return self.value(
            "embedshift_shadow_requests_total", route="search", segment="docs", outcome=outcome
        )


@pytest.fixture
async def rig(aiohttp_server):
    """Builds a :class:`Rig` with extra ``[embeddings_api]`` keys."""

    async def make(section: str = "") -> Rig:
        provider, new_model = Provider(dim=24), FakeEmbeddings(dim=24)
        old = await aiohttp_server(FakeQdrant(marker="old").app())
        new = await aiohttp_server(FakeQdrant(marker="new").app())
        provider_server = await aiohttp_server(provider.app())
        new_model_server = await aiohttp_server(new_model.app())
        extra = f"""
        [embedding]
        base_url = "{new_model_server.make_url("/v1")}"
        model = "new-model"
        dimension = 24
        [upstreams.embeddings]
        url = "{provider_server.make_url("/v1")}"
        [embeddings_api]
        {textwrap.dedent(section)}
        """
        config = make_config(str(old.make_url("")), str(new.make_url("")), extra, ROUTE)
        registry = CollectorRegistry()
        proxy = await aiohttp_server(create_app(config, registry, env={}))
        return Rig(proxy, registry, provider, new_model)

    return make


async def test_a_search_after_its_embeddings_call_is_compared(rig):
    """The text embedded just before is re-embedded by the new model; the search is compared."""
    r = await rig()
    [vector] = await r.embed("what do sidecars learn?")
    assert await r.search(vector) == 200
    assert r.new_model.texts_seen == ["what do sidecars learn?"]
    assert r.outcome("compared") == 1
    assert r.learned("recalled") == 1
    assert r.learned("text_unknown") == 0


async def test_a_batch_of_queries_each_finds_its_text(rig):
    """Three texts embedded in one call, searched one by one in another order."""
    r = await rig()
    vectors = await r.embed("first", "second", "third")
    for vector in reversed(vectors):
        await r.search(vector)
    assert r.new_model.texts_seen == ["third", "second", "first"]
    assert r.outcome("compared") == 3


async def test_a_vector_never_embedded_here_is_text_unknown(rig):
    """A vector the sidecar did not see: outcome no_query_text, counted as text_unknown."""
    r = await rig()
    await r.embed("something else")
    await r.search(r.provider.vector("never through the sidecar"))
    assert r.outcome("no_query_text") == 1
    assert r.learned("text_unknown") == 1
    assert r.learned("recalled") == 0
    assert r.new_model.texts_seen == []


async def test_the_header_comes_first(rig):
    """A route with both sources: a header's text wins, and the memory is not consulted."""
    r = await rig()
    [vector] = await r.embed("learned text")
    await r.search(vector, {"X-Query-Text": "header%20text"})
    assert r.new_model.texts_seen == ["header text"]
    assert r.learned("recalled") == 0


async def test_prefetch_embeds_the_text_before_the_search(rig):
    """With prefetch, the new model is asked at the embeddings call; the search hits its cache."""
    r = await rig("prefetch = true")
    [vector] = await r.embed("asked early")
    prefetch = r.sidecar.embeddings_api.prefetching
    assert await prefetch.wait_idle(10.0)
    assert r.new_model.texts_seen == ["asked early"]
    await r.search(vector)
    assert r.new_model.texts_seen == ["asked early"]  # no second call
    assert r.outcome("compared") == 1
    assert r.value("embedshift_query_memory_prefetches_total", result="sent") == 1
    assert r.value("embedshift_query_embed_cache_hits_total") == 1


@pytest.mark.parametrize(
    ("extra", "routes", "message"),
    [
        (
            "",
            "query_text = { learned = true }\n",
            r"\[\[routes\]\] #1\.query_text\.learned needs an \[embeddings_api\] section",
        ),
        (
            "[embeddings_api]\n",
            "query_text = { learned = true }\n",
            r"\[embeddings_api\]\.upstream names 'embeddings': add a \[upstreams\.embeddings\]",
        ),
        (
            PROVIDER + '[embeddings_api]\npath_prefix = "/collections"\n',
            "",
            r"\[embeddings_api\]\.path_prefix '/collections' would hide route 'search'",
        ),
        (
            '[embeddings_api]\nupstream = "old"\n',
            "",
            r"\[embeddings_api\]\.upstream must name the embeddings provider's own upstream",
        ),
        (
            PROVIDER + '[embeddings_api]\npath_prefix = "embeddings/"\n',
            "",
            r"\[embeddings_api\]\.path_prefix must be a path",
        ),
        ("", "query_text = {}\n", r"query_text must set header, json or learned = true"),
    ],
    ids=["no section", "no upstream", "prefix hides a route", "old", "bad prefix", "empty"],
)
def test_config_mistakes_name_the_key(extra, routes, message):
    """Each mistake is a config error naming the key and the fix."""
    embedding = '[embedding]\nbase_url = "http://127.0.0.1:4/v1"\nmodel = "m"\n'
    route = textwrap.dedent(ROUTE).replace(
        'query_text = { header = "X-Query-Text", learned = true }\n', routes
    )
    with pytest.raises(ConfigError, match=message):
        make_config("http://127.0.0.1:1", "http://127.0.0.1:2", embedding + extra, route)


@pytest.mark.parametrize("new_share", [0.0, 100.0])
async def test_canary_counts_an_unknown_text_once(rig, new_share):
    """Canary, whichever side answers: a search whose text is unknown is one text_unknown.

    Drawn for new, the new index's request cannot be built and old answers (the mirror to new
    would meet the same unknown vector: it is not built again); drawn for old, the mirror to
    new is the one request for new.
    """
    r = await rig()
    async with r.sidecar.modes.lock:
        await r.sidecar.modes.change(
            "canary", new_share, actor="t", reason="t", forced=True, gate={}
        )
    await r.search(r.provider.vector("never through the sidecar"))
    assert r.learned("text_unknown") == 1
    assert r.outcome("no_query_text") == 1
    assert r.learned("recalled") == 0
    fallbacks = r.value(
        "embedshift_primary_fallbacks_total", route="search", reason="no_query_text"
    )
    assert fallbacks == (1 if new_share else 0)
