"""The demo's search backend answers like Qdrant; its embeddings API like OpenAI's."""

from __future__ import annotations

import numpy as np
import pytest

from calibrator.demo.backend import Collection, create_backend_app
from calibrator.demo.corpus import embed, generate
from calibrator.demo.embedder import create_embedder_app
from calibrator.demo.models import unit_rows
from proxy.adapters.qdrant import QdrantAdapter
from proxy.embeddings.wire import parse_answer

DIM = 8


@pytest.fixture
async def backend(aiohttp_client):
    """A backend with one collection of 50 random unit vectors (ids 100..149)."""
    rng = np.random.default_rng(1)
    vectors = unit_rows(rng.standard_normal((50, DIM)))
    payloads = [{"n": i} for i in range(50)]
    collection = Collection.build("docs", list(range(100, 150)), vectors, payloads)
    client = await aiohttp_client(create_backend_app({"docs": collection}))
    return client, vectors


async def _search(client, body, name="docs"):
    response = await client.post(f"/collections/{name}/points/search", json=body)
    return response.status, await response.json()


async def test_search_answers_in_qdrants_shape_best_first(backend):
    """result[i] holds id, version, score, payload, vector; scores descend; status ok."""
    client, vectors = backend
    query = vectors[3] + 0.1
    status, body = await _search(client, {"vector": query.tolist(), "limit": 10})
    assert status == 200
    assert body["status"] == "ok"
    assert isinstance(body["time"], float)
    result = body["result"]
    assert len(result) == 10
    assert all(set(r) == {"id", "version", "score", "payload", "vector"} for r in result)
    scores = [r["score"] for r in result]
    assert scores == sorted(scores, reverse=True)
    expected = vectors @ (query / np.linalg.norm(query))  # cosine: the query is normalised
    best = np.argsort(-expected)[:10]
    assert [r["id"] for r in result] == [100 + int(i) for i in best]
    assert scores == pytest.approx(expected[best].tolist(), abs=1e-5)
    assert all(r["payload"] is None for r in result)


async def test_limit_offset_threshold_and_payload(backend):
    """Limit, offset, score_threshold and with_payload behave as in Qdrant.

    limit caps the list (never beyond the collection), offset skips, score_threshold cuts,
    with_payload returns the stored payload.
    """
    client, vectors = backend
    query = vectors[0].tolist()
    _, top = await _search(client, {"vector": query, "limit": 6})
    _, paged = await _search(client, {"vector": query, "limit": 3, "offset": 3})
    assert [r["id"] for r in paged["result"]] == [r["id"] for r in top["result"][3:]]
    _, everything = await _search(client, {"vector": query, "limit": 500})
    assert len(everything["result"]) == 50
    cut = top["result"][2]["score"]
    _, above = await _search(client, {"vector": query, "limit": 6, "score_threshold": cut})
    assert [r["id"] for r in above["result"]] == [r["id"] for r in top["result"][:3]]
    _, named = await _search(
        client, {"vector": {"name": "text", "vector": query}, "limit": 1, "with_payload": True}
    )
    assert named["result"][0]["id"] == 100
    assert named["result"][0]["payload"] == {"n": 0}


async def test_the_proxys_qdrant_adapter_reads_the_answers(backend):
    """The sidecar's own Qdrant adapter turns an answer into the ranked list it holds."""
    client, vectors = backend
    _, body = await _search(client, {"vector": vectors[7].tolist(), "limit": 5})
    [ranked] = QdrantAdapter().rankings(body)
    assert list(ranked.ids) == [str(r["id"]) for r in body["result"]]
    assert list(ranked.scores) == pytest.approx([r["score"] for r in body["result"]])


async def test_points_by_id_answer_the_proxys_coverage_lookup(backend):
    """The Qdrant adapter's get-by-id lookup, sent as the coverage check sends it, finds ids.

    ``POST /collections/{name}/points`` lists the points held, in the order asked, without
    payload or vector unless asked; an id the collection lacks is left out.
    """
    client, vectors = backend
    lookups = QdrantAdapter().id_lookups(
        "/collections/docs/points/search", None, ("149", "7", "100")
    )
    assert lookups is not None
    [lookup] = lookups
    response = await client.request(
        lookup.method, lookup.path, data=lookup.body, headers={"Content-Type": "application/json"}
    )
    body = await response.json()
    assert list(lookup.read(response.status, body)) == ["149", "100"]
    assert body["result"][0] == {"id": 149, "payload": None, "vector": None}
    asked = {"ids": [103], "with_payload": True, "with_vector": True}
    full = await (await client.post("/collections/docs/points", json=asked)).json()
    assert full["result"][0]["payload"] == {"n": 3}
    assert full["result"][0]["vector"] == pytest.approx(vectors[3].tolist(), abs=1e-6)


async def test_one_point_by_id_and_lookup_errors(backend):
    """GET /collections/{name}/points/{id} gives the point; 404 for a missing one.

    A get-points body without a list of ids is 400; an unknown collection 404.
    """
    client, _ = backend
    one = await client.get("/collections/docs/points/120")
    assert (await one.json())["result"] == {"id": 120, "payload": {"n": 20}, "vector": None}
    missing = await client.get("/collections/docs/points/7")
    assert missing.status == 404
    assert "No point with id 7" in (await missing.json())["status"]["error"]
    bad = await client.post("/collections/docs/points", json={"ids": "7"})
    assert bad.status == 400
    unknown = await client.post("/collections/nope/points", json={"ids": [1]})
    assert unknown.status == 404


async def test_errors_have_qdrants_shape(backend):
    """Errors have Qdrant's shape: {"status": {"error": ...}, "time": ...}.

    Unknown collection: 404; wrong dimension or a malformed body: 400.
    """
    client, _ = backend
    status, body = await _search(client, {"vector": [0.1] * DIM}, name="nope")
    assert status == 404
    assert "doesn't exist" in body["status"]["error"]
    status, body = await _search(client, {"vector": [0.1] * (DIM + 1)})
    assert status == 400
    assert "expected dim: 8, got 9" in body["status"]["error"]
    for bad in ({"limit": 3}, {"vector": ["a"]}, {"vector": [0.1] * DIM, "limit": -1}):
        status, body = await _search(client, bad)
        assert status == 400
        assert "error" in body["status"]


async def test_collection_info_and_root(backend):
    """GET /, /collections and /collections/{name} answer as Qdrant does."""
    client, _ = backend
    root = await (await client.get("/")).json()
    assert root["title"] == "qdrant - vector search engine"
    listed = await (await client.get("/collections")).json()
    assert listed["result"]["collections"] == [{"name": "docs"}]
    info = await (await client.get("/collections/docs")).json()
    assert info["result"]["points_count"] == 50
    assert info["result"]["config"]["params"]["vectors"] == {"size": DIM, "distance": "Cosine"}


async def test_the_embeddings_api_serves_the_new_model(aiohttp_client):
    """POST /v1/embeddings answers the new model's vectors in the OpenAI shape.

    The sidecar's own parser accepts the answer; a malformed body gets 400.
    """
    embedded = embed(generate(7))
    client = await aiohttp_client(create_embedder_app(embedded.new))
    texts = [q.text for q in embedded.corpus.queries[:3]]
    response = await client.post("/v1/embeddings", json={"model": "m", "input": texts})
    assert response.status == 200
    parsed = parse_answer(await response.read(), 3, expected_dimension=embedded.new.dim)
    assert np.allclose(parsed.vectors, embedded.new_queries[:3], atol=1e-6)
    bad = await client.post("/v1/embeddings", json={"model": "m", "input": []})
    assert bad.status == 400
    assert "input" in (await bad.json())["error"]["message"]
