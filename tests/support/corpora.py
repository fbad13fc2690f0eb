"""SciFact loaded once into real engines: `old` by all-MiniLM-L6-v2, `new` by all-mpnet-base-v2.

Session-scoped fixtures (registered by tests/e2e/conftest.py) read the shared data and load
5,183 documents x 2 models into Chroma and into Typesense, once per session; a collection that
already holds the whole corpus (a server restarted on its old data) is reused as it is.
Offline truth: exact top-10 by dot product over the same unit vectors.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

OLD_MODEL, NEW_MODEL = "all-MiniLM-L6-v2", "all-mpnet-base-v2"
OLD_NAME, NEW_NAME = "embedshift_old", "embedshift_new"
"""The collections holding SciFact by each model, in Chroma and in Typesense."""
N_QUERIES = 40
K = 10


@dataclass(frozen=True)
class SciFact:
    """Document ids, both models' document and query vectors, and the test queries' texts."""

    doc_ids: list[str]
    docs: dict[str, np.ndarray[Any, np.dtype[np.float32]]]
    queries: dict[str, np.ndarray[Any, np.dtype[np.float32]]]
    texts: list[str]

    def exact_top(self, model: str, k: int = K) -> list[list[str]]:
        """Exact top-k document ids of each test query under ``model`` (ties by row order)."""
        scores = self.queries[model] @ self.docs[model].T
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return [[self.doc_ids[j] for j in row] for row in order]


def load_scifact(root: Path, n_queries: int = N_QUERIES) -> SciFact:
    """The first ``n_queries`` SciFact test queries and the whole corpus, both models."""
    base = root / "scifact"
    emb = base / "embeddings"
    doc_ids = (emb / OLD_MODEL / "doc_ids.txt").read_text().split("\n")[:-1]
    assert doc_ids == (emb / NEW_MODEL / "doc_ids.txt").read_text().split("\n")[:-1]
    lines = (base / "queries.jsonl").read_text().splitlines()[:n_queries]
    texts = [json.loads(line)["text"] for line in lines]
    docs = {m: np.load(emb / m / "docs.npy") for m in (OLD_MODEL, NEW_MODEL)}
    queries = {m: np.load(emb / m / "queries.npy")[:n_queries] for m in (OLD_MODEL, NEW_MODEL)}
    return SciFact(doc_ids, docs, queries, texts)


def http_json(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> Any:
    """One JSON request with the standard library; raises on a non-2xx status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


def load_chroma(url: str, name: str, data: SciFact, model: str) -> str:
    """Create (or reuse) Chroma collection ``name`` holding the corpus under ``model``; its id."""
    base = f"{url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    created = http_json(
        "POST",
        base,
        {"name": name, "configuration": {"hnsw": {"space": "cosine"}}, "get_or_create": True},
    )
    collection_id: str = created["id"]
    if http_json("GET", f"{base}/{collection_id}/count") == len(data.doc_ids):
        return collection_id
    vectors = data.docs[model]
    for start in range(0, len(data.doc_ids), 500):
        stop = start + 500
        http_json(
            "POST",
            f"{base}/{collection_id}/upsert",
            {"ids": data.doc_ids[start:stop], "embeddings": vectors[start:stop].tolist()},
        )
    assert http_json("GET", f"{base}/{collection_id}/count") == len(data.doc_ids)
    return collection_id


def load_typesense(url: str, key: str, name: str, data: SciFact, model: str) -> None:
    """Create (or reuse) Typesense collection ``name`` holding the corpus under ``model``."""
    headers = {"X-TYPESENSE-API-KEY": key}
    try:
        found = http_json("GET", f"{url}/collections/{name}", headers=headers)
        if found["num_documents"] == len(data.doc_ids):
            return
        http_json("DELETE", f"{url}/collections/{name}", headers=headers)
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
    vectors = data.docs[model]
    schema = {
        "name": name,
        "fields": [{"name": "vec", "type": "float[]", "num_dim": vectors.shape[1]}],
    }
    http_json("POST", f"{url}/collections", schema, headers)
    for start in range(0, len(data.doc_ids), 1000):
        lines = [
            json.dumps({"id": doc_id, "vec": vectors[i].tolist()})
            for i, doc_id in enumerate(data.doc_ids[start : start + 1000], start=start)
        ]
        request = urllib.request.Request(
            f"{url}/collections/{name}/documents/import?action=upsert",
            data="\n".join(lines).encode(),
            method="POST",
            headers={**headers, "Content-Type": "text/plain"},
        )
        with urllib.request.urlopen(request, timeout=300) as answer:
            results = [json.loads(line) for line in answer.read().splitlines()]
        assert all(r.get("success") for r in results), results[:3]
