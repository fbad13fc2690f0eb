"""Real engines behind the sidecar, queried by their official clients, re-embedded by a real model.

Chroma 1.5 and Typesense 0.24 hold SciFact twice: `embedshift_old` embedded by
all-MiniLM-L6-v2 (what clients query today, with MiniLM query vectors) and `embedshift_new` by
all-mpnet-base-v2. The sidecar (``python -m proxy serve``) answers clients from the old
collection and mirrors each query to the new one, re-embedding its text with mpnet through a
real infinity-emb server. How a client sends the text:

- Chroma: header ``X-Query-Text`` (percent-encoded). Chroma's Python client has no
  per-request headers, so the client script sets it on the client's HTTP session before each
  query; any HTTP client (or Chroma's JS client's fetch options) can send it per request.
- Typesense: a ``query_text`` field in each search of ``multi_search`` (Typesense 0.24 ignores
  fields it does not know), read by the JSON pointer ``/searches/*/query_text``.

Tolerance: both engines answer from HNSW indexes, which may miss or reorder a neighbour that
exact search finds. Over 40 queries the mean overlap@10 and mean RBO the sidecar exports must be
within 0.02 of the same figures computed offline by exact search over the same vectors (a
missed neighbour in one query of 40 moves the mean overlap by 0.0025).
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import typesense as typesense_client
from aiohttp import web

from proxy.compare.divergence import compare
from tests.support.components import run_python
from tests.support.corpora import NEW_MODEL, NEW_NAME, OLD_MODEL, OLD_NAME, K, SciFact
from tests.support.sidecar import Sidecar

pytestmark = [pytest.mark.integration, pytest.mark.slow]

TOLERANCE = 0.02
# Infinity on two busy cores serves other tests' batch embeddings too (their requests queue
# ahead of ours): at 10 s, 32 of 40 query embeddings timed out in one CI run. The shadow never
# holds up a client, so these tests time out only on a failure, as test_learned_query_text does.
PATIENT_S = 60.0
CHROMA_ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection}/query"

CHROMA_CLIENT = r"""
import json, os, urllib.parse
import chromadb

client = chromadb.HttpClient(host=os.environ["HOST"], port=int(os.environ["PORT"]))
collection = client.get_collection(os.environ["COLLECTION"])
out = []
for query in json.load(open(os.environ["QUERIES"])):
    # the Python client has no per-request headers: set it on its session for this query
    client._server._session.headers["X-Query-Text"] = urllib.parse.quote(query["text"])
    found = collection.query(
        query_embeddings=[query["vector"]], n_results=10, include=["distances"]
    )
    out.append({"ids": found["ids"][0], "distances": found["distances"][0]})
print(json.dumps(out))
"""


def chroma_query(
    python: str, host: str, port: int, data: SciFact, workdir: Path, n: int
) -> list[Any]:
    """Run the official Chroma client (Chroma's own venv) over the first ``n`` queries."""
    queries = workdir / "queries.json"
    rows = [
        {"text": t, "vector": v.tolist()}
        for t, v in zip(data.texts[:n], data.queries[OLD_MODEL][:n], strict=False)
    ]
    queries.write_text(json.dumps(rows))
    env = {"HOST": host, "PORT": str(port), "COLLECTION": OLD_NAME, "QUERIES": str(queries)}
    answers: list[Any] = run_python(python, CHROMA_CLIENT, env)
    return answers


def chroma_config(chroma_url: str, embedding: str) -> str:
    """The sidecar's config in front of Chroma (listeners are added by the launcher)."""
    return f"""
    [upstreams.old]
    url = "{chroma_url}"
    [upstreams.new]
    url = "{chroma_url}"
    [shadow]
    timeout_s = {PATIENT_S}
    max_rps = 1000
    {embedding}
    [[routes]]
    name = "chroma"
    path = "{CHROMA_ROUTE}"
    adapter = "chroma"
    k = {K}
    collection_map = {{ {OLD_NAME} = "{NEW_NAME}" }}
    query_text = {{ header = "X-Query-Text" }}
    """


def embedding_section(
    url: str, model: str = NEW_MODEL, dimension: int = 768, timeout_s: float = PATIENT_S
) -> str:
    """An [embedding] section."""
    return f"""
    [embedding]
    base_url = "{url}"
    model = "{model}"
    dimension = {dimension}
    timeout_s = {timeout_s}
    """


def offline_means(data: SciFact, n: int) -> tuple[float, float]:
    """Mean overlap@10 and RBO between exact MiniLM and exact mpnet top-10 lists."""
    old, new = data.exact_top(OLD_MODEL)[:n], data.exact_top(NEW_MODEL)[:n]
    figures = [compare(o, w, K, 0.9) for o, w in zip(old, new, strict=False)]
    return sum(f.overlap for f in figures) / n, sum(f.rbo for f in figures) / n


def exported_means(proxy, route: str) -> tuple[float, float, float]:
    """(count, mean overlap, mean RBO) of a route's compared queries, from /metrics."""
    labels = {"route": route, "segment": "other"}
    count = proxy.value("embedshift_overlap_at_k_count", **labels)
    overlap = proxy.value("embedshift_overlap_at_k_sum", **labels) / count
    rbo = proxy.value("embedshift_rbo_sum", **labels) / count
    return count, overlap, rbo


def test_chroma_through_the_sidecar(
    chroma_url, chroma_python, chroma_corpora, infinity_url, scifact, tmp_path
):
    """Chroma's official client gets Chroma's own answers through the sidecar.

    The shadow re-embeds each query with mpnet, searches the new collection (its UUID resolved
    by name), and the exported divergence matches the offline truth within the tolerance.
    """
    n = len(scifact.texts)
    host, port = urllib.parse.urlsplit(chroma_url).hostname, urllib.parse.urlsplit(chroma_url).port
    direct = chroma_query(chroma_python, host, port, scifact, tmp_path, n)
    with Sidecar(
        tmp_path / "proxy", chroma_config(chroma_url, embedding_section(infinity_url))
    ) as proxy:
        through = chroma_query(chroma_python, proxy.host, proxy.port, scifact, tmp_path, n)
        outcomes = proxy.wait_outcomes("chroma", n, 3 * PATIENT_S)
        count, overlap, rbo = exported_means(proxy, "chroma")
        texts = proxy.value("embedshift_query_embed_texts_total")
    assert through == direct
    assert outcomes == {"compared": n}
    assert count == n
    assert texts == n
    offline_overlap, offline_rbo = offline_means(scifact, n)
    assert overlap == pytest.approx(offline_overlap, abs=TOLERANCE)
    assert rbo == pytest.approx(offline_rbo, abs=TOLERANCE)
    # the old side alone agrees with exact search too (the HNSW tolerance holds)
    exact_old = scifact.exact_top(OLD_MODEL)[:n]
    agree = sum(len(set(d["ids"]) & set(e)) for d, e in zip(direct, exact_old, strict=False)) / (
        n * K
    )
    assert agree >= 1 - TOLERANCE


def typesense_search(
    url: str,
    key: str,
    data: SciFact,
    n: int,
    per_request: int = 4,
    collection: str = OLD_NAME,
    model: str = OLD_MODEL,
) -> list[Any]:
    """The official Typesense client: multi_search batches of ``per_request`` vector searches."""
    parts = urllib.parse.urlsplit(url)
    client = typesense_client.Client(
        {
            "nodes": [{"host": parts.hostname, "port": str(parts.port), "protocol": "http"}],
            "api_key": key,
            "connection_timeout_seconds": 30,
        }
    )
    out = []
    for start in range(0, n, per_request):
        searches = [
            {
                "collection": collection,
                "q": "*",
                "vector_query": f"vec:({json.dumps(data.queries[model][i].tolist())}, k:{K})",
                "per_page": K,
                "exclude_fields": "vec",
                "query_text": data.texts[i],
            }
            for i in range(start, min(n, start + per_request))
        ]
        answer = client.multi_search.perform({"searches": searches}, {})
        out.extend(
            [
                [(h["document"]["id"], h["vector_distance"]) for h in r["hits"]]
                for r in answer["results"]
            ]
        )
    return out


def test_typesense_through_the_sidecar(
    typesense, typesense_corpora, infinity_url, scifact, tmp_path
):
    """Typesense's official client, four searches per multi_search, gets unchanged answers.

    Each search is re-embedded and compared on its own; divergence is within the tolerance.
    """
    n = len(scifact.texts)
    config = f"""
    [upstreams.old]
    url = "{typesense.url}"
    [upstreams.new]
    url = "{typesense.url}"
    headers_env = {{ "X-TYPESENSE-API-KEY" = "EMBEDSHIFT_TEST_TYPESENSE_KEY" }}
    [shadow]
    timeout_s = {PATIENT_S}
    max_rps = 1000
    {embedding_section(infinity_url)}
    [[routes]]
    name = "typesense"
    path = "/multi_search"
    adapter = "typesense"
    k = {K}
    collection_map = {{ {OLD_NAME} = "{NEW_NAME}" }}
    query_text = {{ json = "/searches/*/query_text" }}
    """
    direct = typesense_search(typesense.url, typesense.key, scifact, n)
    with Sidecar(tmp_path / "proxy", config) as proxy:
        through = typesense_search(proxy.url, typesense.key, scifact, n)
        outcomes = proxy.wait_outcomes("typesense", n // 4, 3 * PATIENT_S)
        count, overlap, rbo = exported_means(proxy, "typesense")
    assert through == direct
    assert outcomes == {"compared": n // 4}
    assert count == n
    # The engine's own lists, old and new, compared offline: the proxy must export exactly
    # these figures (the re-embedded query vector equals the stored one to 1e-4).
    direct_new = typesense_search(
        typesense.url, typesense.key, scifact, n, collection=NEW_NAME, model=NEW_MODEL
    )
    engine = [
        compare([i for i, _ in o], [i for i, _ in w], K, 0.9)
        for o, w in zip(direct, direct_new, strict=True)
    ]
    assert overlap == pytest.approx(sum(f.overlap for f in engine) / n, abs=0.01)
    assert rbo == pytest.approx(sum(f.rbo for f in engine) / n, abs=0.01)
    # Against exact search, Typesense's HNSW index allows a difference up to the ids it misses:
    # each id an approximate list gets wrong moves overlap@10 by at most 1/10, and RBO by at
    # most (1 - p) / p * ln(1 / (1 - p)) = 0.26 at p = 0.9 (the weight of its depths).
    exact = {m: scifact.exact_top(m)[:n] for m in (OLD_MODEL, NEW_MODEL)}
    misses = (
        sum(
            2 * K - len({i for i, _ in o} & set(eo)) - len({i for i, _ in w} & set(en))
            for o, w, eo, en in zip(
                direct, direct_new, exact[OLD_MODEL], exact[NEW_MODEL], strict=True
            )
        )
        / n
    )
    offline_overlap, offline_rbo = offline_means(scifact, n)
    print(f"typesense: {misses:.2f} ids per query differ from exact search")
    assert overlap == pytest.approx(offline_overlap, abs=0.01 + misses / K)
    assert rbo == pytest.approx(offline_rbo, abs=0.01 + 0.26 * misses)


async def slow_embeddings(request: web.Request) -> web.Response:
    """An embeddings server that never answers in time."""
    await asyncio.sleep(30)
    return web.json_response({})


@pytest.mark.parametrize("case", ["slow", "down", "wrong_dimension"])
async def test_embedding_failures_never_reach_clients(
    case,
    chroma_url,
    chroma_python,
    chroma_corpora,
    infinity_url,
    scifact,
    tmp_path,
    aiohttp_server,
    dead_port_factory,
):
    """Embedding server slow, down, or of the wrong dimension: clients never notice.

    (Wrong dimension: 384-d MiniLM vectors where 768 are expected.) Every query ends as
    embed_error, and the proxy logs one line for the kind of failure, not one per request.
    """
    n = 12
    if case == "slow":
        app = web.Application()
        app.router.add_post("/v1/embeddings", slow_embeddings)
        server = await aiohttp_server(app)
        section = embedding_section(str(server.make_url("/v1")), timeout_s=0.3)
        kind = "timeout"
    elif case == "down":
        section = embedding_section(f"http://127.0.0.1:{dead_port_factory()}/v1")
        kind = "unreachable"
    else:
        section = embedding_section(infinity_url, model=OLD_MODEL, dimension=768)
        kind = "wrong_dimension"
    host, port = urllib.parse.urlsplit(chroma_url).hostname, urllib.parse.urlsplit(chroma_url).port
    direct = await asyncio.to_thread(chroma_query, chroma_python, host, port, scifact, tmp_path, n)
    with Sidecar(tmp_path / "proxy", chroma_config(chroma_url, section)) as proxy:
        through = await asyncio.to_thread(
            chroma_query, chroma_python, proxy.host, proxy.port, scifact, tmp_path, n
        )
        outcomes = await asyncio.to_thread(proxy.wait_outcomes, "chroma", n)
        errors = proxy.value("embedshift_query_embed_errors_total", kind=kind)
        lines = proxy.log_events("query_embed_failed")
    assert through == direct
    assert outcomes == {"embed_error": n}
    assert errors == n
    assert [line["kind"] for line in lines] == [kind]
