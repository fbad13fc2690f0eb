"""The example application's search: embed the question, ask Chroma, keep what is close enough.

A small retrieval service of the kind embedshift sits in front of (docs/walkthrough.md). It
embeds each question through an OpenAI-compatible embeddings API, asks Chroma for the ten
nearest chunks of the segment's collection, and keeps those whose cosine similarity reaches
``MIN_SIMILARITY``: a cut tuned on all-MiniLM-L6-v2. It reads two addresses from the
environment, the only things a migration behind embedshift changes:

- ``SEARCH_URL``: Chroma, or the sidecar in front of it;
- ``EMBEDDINGS_BASE_URL``: the embeddings API (``.../v1``), or the sidecar's embeddings path.
"""

# ruff: noqa: INP001 - an example application, not a package

from __future__ import annotations

import json
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import yaml

MIN_SIMILARITY = 0.5  # tuned on all-MiniLM-L6-v2
MODEL = "all-MiniLM-L6-v2"
COLLECTIONS = "/api/v2/tenants/default_tenant/databases/default_database/collections"
SETTINGS = yaml.safe_load((Path(__file__).parent / "settings.yaml").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Hit:
    """One search result: the document's id and its cosine similarity to the question."""

    id: str
    similarity: float


@dataclass(frozen=True)
class Answer:
    """What the application keeps of one search, and the answer's own headers."""

    kept: list[Hit]
    headers: dict[str, str]


def _post(url: str, body: object, headers: dict[str, str] | None = None) -> tuple[dict, dict]:
    request = urllib.request.Request(  # noqa: S310 - the URLs are the application's own
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read()), dict(response.headers)


def embed(text: str) -> list[float]:
    """The question's vector, from the embeddings API (the old model)."""
    base = os.environ.get("EMBEDDINGS_BASE_URL", "http://127.0.0.1:7998/v1")
    answer, _ = _post(f"{base}/embeddings", {"model": MODEL, "input": [text]})
    return answer["data"][0]["embedding"]


def collection_id(segment: str) -> str:
    """Chroma's id of the segment's collection (its path carries ids, not names)."""
    name = SETTINGS["collections"][segment]
    url = f"{os.environ.get('SEARCH_URL', 'http://127.0.0.1:8001')}{COLLECTIONS}/{name}"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())["id"]


def search(text: str, segment: str, collection: str) -> Answer:
    """The ten nearest chunks of ``collection``, cut at ``MIN_SIMILARITY``."""
    url = f"{os.environ.get('SEARCH_URL', 'http://127.0.0.1:8001')}{COLLECTIONS}/{collection}/query"
    body = {"query_embeddings": [embed(text)], "n_results": 10, "include": ["distances"]}
    answer, headers = _post(url, body, {"X-Segment": segment})
    hits = [
        Hit(doc, 1.0 - distance)  # Chroma's cosine space answers distances: 1 - similarity
        for doc, distance in zip(answer["ids"][0], answer["distances"][0], strict=True)
    ]
    return Answer([hit for hit in hits if hit.similarity >= MIN_SIMILARITY], headers)
