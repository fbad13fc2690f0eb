"""The new index's request: query re-embedded by the new model, collections renamed.

The embeddings API is a loopback fake (:mod:`tests.support.fake_embeddings`) called by the real
:class:`~proxy.embeddings.query_embedder.QueryEmbedder`; jobs are built as the search path
builds them.
"""

from __future__ import annotations

import json
import textwrap
from urllib.parse import quote

import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from prometheus_client import CollectorRegistry

from proxy.config.schema import RequestField
from proxy.embeddings.query_embedder import EmbedderMetrics, QueryEmbedder
from proxy.search.routes import RouteTable
from proxy.shadow.job import ShadowJob
from proxy.shadow.rewrite import ShadowRewriter, query_texts
from proxy.upstream.client import make_client
from tests.support.config import make_config
from tests.support.fake_embeddings import FakeEmbeddings, fake_vector

PATH = "/collections/docs/points/search"
BODY = json.dumps({"vector": [0.1, 0.2, 0.3], "limit": 10}).encode()


@pytest.fixture
async def rewriter(aiohttp_server, dead_port):
    """Builds (rewriter, fake, jobs) for a route's TOML; embedder and clients closed after."""
    made = []

    async def make(route: str, *, embeddings_up: bool = True):
        fake = FakeEmbeddings(dim=4)
        if embeddings_up:
            base = str((await aiohttp_server(fake.app())).make_url("/v1"))
        else:
            base = f"http://127.0.0.1:{dead_port}/v1"
        extra = f'[embedding]\nbase_url = "{base}"\nmodel = "m"\ndimension = 4\n'
        config = make_config(
            "http://127.0.0.1:1", "http://127.0.0.1:2", extra, textwrap.dedent(route)
        )
        assert config.embedding is not None
        embedder = QueryEmbedder(config.embedding, EmbedderMetrics(CollectorRegistry()), {})
        new = make_client("new", config.upstreams["new"], {})
        made.append((embedder, new))
        table = RouteTable(config)
        compiled = table.routes[0]
        rewriter = ShadowRewriter([(compiled.route, compiled.adapter)], embedder, lambda _: None)

        def job(body=BODY, headers=(), *, to_new=True):
            request_headers = CIMultiDictProxy(CIMultiDict(headers))
            return ShadowJob(
                route=compiled.route,
                adapter=compiled.adapter,
                segment="other",
                method="POST",
                path=compiled.shadow_path({"collection": "docs"}, PATH) if to_new else PATH,
                body=body,
                headers=[(k.encode(), v.encode()) for k, v in headers],
                request_headers=request_headers,
                upstream=new,
                to_new=to_new,
            )

        return rewriter, fake, job

    yield make
    for embedder, client in made:
        await embedder.close()
        await client.close()


ROUTE = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
query_text = { header = "X-Query-Text" }
collection_map = { docs = "docs_v2" }
"""


async def test_the_query_text_is_embedded_into_the_new_request(rewriter):
    """The header's percent-encoded text is embedded; its vector and collection go to new."""
    rewrite, fake, job = await rewriter(ROUTE)
    prepared = await rewrite.prepare(job(headers=[("X-Query-Text", quote("café au lait"))]))
    assert not isinstance(prepared, str)
    assert fake.texts_seen == ["café au lait"]
    sent = json.loads(prepared.body)
    assert sent["vector"] == pytest.approx(fake_vector("café au lait", 4), abs=1e-6)
    assert sent["limit"] == 10
    assert prepared.path == "/collections/docs_v2/points/search"


async def test_no_query_text_is_an_outcome(rewriter):
    """A vector search without its text cannot be re-embedded: outcome no_query_text."""
    rewrite, fake, job = await rewriter(ROUTE)
    assert await rewrite.prepare(job()) == "no_query_text"
    assert fake.requests == []


async def test_a_failed_embedding_is_an_outcome(rewriter):
    """The embeddings API unreachable: outcome embed_error, nothing sent."""
    rewrite, _, job = await rewriter(ROUTE, embeddings_up=False)
    assert await rewrite.prepare(job(headers=[("X-Query-Text", "q")])) == "embed_error"


async def test_without_query_text_only_collections_change(rewriter):
    """A route that keeps its vectors gets the new collection and the client's exact bytes."""
    route = ROUTE.replace('query_text = { header = "X-Query-Text" }\n', "")
    rewrite, fake, job = await rewriter(route)
    body = b'{"vector":[0.1, 0.2, 0.3],   "limit":10}'  # spacing json.dumps would not keep
    prepared = await rewrite.prepare(job(body))
    assert not isinstance(prepared, str)
    assert prepared.body == body
    assert prepared.path == "/collections/docs_v2/points/search"
    assert fake.requests == []


async def test_a_job_for_the_old_index_is_sent_as_the_client_sent_it(rewriter):
    """The mirror of a flipped search goes to old unchanged: same job, no embedding."""
    rewrite, fake, job = await rewriter(ROUTE)
    to_old = job(headers=[("X-Query-Text", "q")], to_new=False)
    assert await rewrite.prepare(to_old) is to_old
    assert fake.requests == []


def test_query_texts_from_a_header_batch_and_from_json():
    """A batch of n queries: n comma-joined percent-encoded texts, or a JSON pointer with ``*``."""
    header = RequestField(header="X-Query-Text")
    texts = query_texts(header, {"X-Query-Text": "a%2Cb, c"}, None, 2)
    assert texts == ["a,b", "c"]
    assert query_texts(header, {"X-Query-Text": "a"}, None, 2) is None  # one text, two queries
    pointer = RequestField(json="/searches/*/text")
    doc = {"searches": [{"text": "x"}, {"text": "y"}]}
    assert query_texts(pointer, {}, doc, 2) == ["x", "y"]
    assert query_texts(RequestField(json="/texts"), {}, {"texts": ["x", ""]}, 2) is None
