"""A small Qdrant-compatible search service over faiss: the demo's old and new indexes.

It speaks the part of Qdrant's REST API a search client uses (shapes from
https://api.qdrant.tech/api-reference):

- ``GET /``: ``{"title": "qdrant - vector search engine", "version": ...}``;
- ``GET /collections`` and ``GET /collections/{name}``: the collections, and one's size and
  vector parameters;
- ``POST /collections/{name}/points/search`` with ``{"vector": [..] | {"name": .., "vector":
  [..]}, "limit": 10, "offset": 0, "score_threshold": null, "with_payload": false}``: answers
  ``{"result": [{"id": 17, "version": 0, "score": 0.93, "payload": null, "vector": null}],
  "status": "ok", "time": 0.0002}``, best first, at most ``limit`` points, cosine scores;
- ``POST /collections/{name}/points`` with ``{"ids": [17, 4], "with_payload": false,
  "with_vector": false}`` (get points by id: what the sidecar's coverage check asks the new
  index): ``{"result": [{"id": 17, "payload": null, "vector": null}], "status": "ok", "time":
  ...}``, only the points the collection holds, in the order asked;
- ``GET /collections/{name}/points/{id}``: one point, or 404 when the collection lacks it.

Errors have Qdrant's shape, ``{"status": {"error": "..."}, "time": 0.0}``: 404 for an unknown
collection or point, 400 for a malformed body or a vector of the wrong dimension.

Each collection is an exact inner-product index (``faiss.IndexFlatIP``) over unit vectors. A
search over a demo collection (under a thousand points) takes tens of microseconds, less than
a hop to a worker thread would, so it runs on the event loop.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faiss
import numpy as np
import numpy.typing as npt
from aiohttp import web

from calibrator.demo.models import Matrix

VERSION = "1.12.0-embedshift-demo"


class BadSearchError(ValueError):
    """A search request Qdrant would refuse (400, with this message)."""


@dataclass(frozen=True)
class Collection:
    """Points of one collection: ids (integers, as Qdrant's), unit vectors, payloads."""

    name: str
    ids: npt.NDArray[np.int64]
    index: Any  # faiss.IndexFlatIP
    payloads: Sequence[Mapping[str, Any]]
    row_of: Mapping[int, int]  # point id -> row

    @classmethod
    def build(
        cls, name: str, ids: Sequence[int], vectors: Matrix, payloads: Sequence[Mapping[str, Any]]
    ) -> Collection:
        """Index ``vectors`` (rows in the order of ``ids``)."""
        index = faiss.IndexFlatIP(int(vectors.shape[1]))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        rows = {int(point): row for row, point in enumerate(ids)}
        return cls(name, np.asarray(ids, dtype=np.int64), index, payloads, rows)

    @property
    def dim(self) -> int:
        """The vector dimension."""
        return int(self.index.d)

    def search(
        self, vector: Sequence[float], limit: int, offset: int = 0, threshold: float | None = None
    ) -> list[tuple[int, float, int]]:
        """(point id, score, row) of the best ``limit`` points after ``offset``, best first."""
        if len(vector) != self.dim:
            raise BadSearchError(
                f"Wrong input: Vector dimension error: expected dim: {self.dim}, got {len(vector)}"
            )
        depth = min(limit + offset, len(self.ids))
        if depth <= 0:
            return []
        query = np.asarray([vector], dtype=np.float32)
        norm = float(np.linalg.norm(query))
        if norm > 0:
            query /= norm  # Qdrant normalises query vectors of cosine collections
        scores, rows = self.index.search(query, depth)
        out = []
        for score, row in zip(scores[0][offset:], rows[0][offset:], strict=True):
            if row < 0 or (threshold is not None and score < threshold):
                continue
            out.append((int(self.ids[row]), float(score), int(row)))
        return out


def parse_ids(raw: bytes) -> tuple[list[int | str], bool, bool]:
    """(ids, with_payload, with_vector) of a get-points body."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadSearchError(f"Format error in JSON body: {e}") from e
    ids = doc.get("ids") if isinstance(doc, dict) else None
    if not isinstance(ids, list) or not all(
        (isinstance(i, int) and not isinstance(i, bool) and i >= 0) or isinstance(i, str)
        for i in ids
    ):
        raise BadSearchError("Format error in JSON body: ids must be a list of point ids")
    return ids, bool(doc.get("with_payload", False)), bool(doc.get("with_vector", False))


def _error(status: int, message: str, started: float) -> web.Response:
    return web.json_response(
        {"status": {"error": message}, "time": time.perf_counter() - started}, status=status
    )


def _int(doc: Mapping[str, Any], key: str, default: int) -> int:
    value = doc.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadSearchError(f"Format error in JSON body: {key} must be a non-negative integer")
    return value


def parse_search(raw: bytes) -> tuple[list[float], int, int, float | None, bool]:
    """(vector, limit, offset, score_threshold, with_payload) of a search body."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadSearchError(f"Format error in JSON body: {e}") from e
    if not isinstance(doc, dict):
        raise BadSearchError("Format error in JSON body: expected an object")
    vector = doc.get("vector")
    if isinstance(vector, dict):  # a named vector: {"name": "text", "vector": [..]}
        vector = vector.get("vector")
    if (
        not isinstance(vector, list)
        or not vector
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in vector)
        or not all(math.isfinite(v) for v in vector)
    ):
        raise BadSearchError("Format error in JSON body: vector must be a list of numbers")
    limit = _int(doc, "limit", 10)
    offset = _int(doc, "offset", 0)
    threshold = doc.get("score_threshold")
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise BadSearchError("Format error in JSON body: score_threshold must be a number")
    with_payload = doc.get("with_payload", False)
    return vector, limit, offset, threshold, bool(with_payload)


COLLECTIONS = web.AppKey("collections", dict[str, Collection])


async def root(_request: web.Request) -> web.Response:
    """What ``GET /`` of a Qdrant server answers."""
    return web.json_response({"title": "qdrant - vector search engine", "version": VERSION})


async def list_collections(request: web.Request) -> web.Response:
    """``GET /collections``."""
    started = time.perf_counter()
    names = [{"name": n} for n in request.app[COLLECTIONS]]
    return web.json_response(
        {"result": {"collections": names}, "status": "ok", "time": time.perf_counter() - started}
    )


async def get_collection(request: web.Request) -> web.Response:
    """``GET /collections/{name}``: size and vector parameters."""
    started = time.perf_counter()
    name = request.match_info["name"]
    collection = request.app[COLLECTIONS].get(name)
    if collection is None:
        return _error(404, f"Not found: Collection `{name}` doesn't exist!", started)
    result = {
        "status": "green",
        "points_count": len(collection.ids),
        "config": {"params": {"vectors": {"size": collection.dim, "distance": "Cosine"}}},
    }
    return web.json_response(
        {"result": result, "status": "ok", "time": time.perf_counter() - started}
    )


async def search(request: web.Request) -> web.Response:
    """``POST /collections/{name}/points/search``."""
    started = time.perf_counter()
    name = request.match_info["name"]
    collection = request.app[COLLECTIONS].get(name)
    if collection is None:
        return _error(404, f"Not found: Collection `{name}` doesn't exist!", started)
    try:
        vector, limit, offset, threshold, with_payload = parse_search(await request.read())
        found = collection.search(vector, limit, offset, threshold)
    except BadSearchError as e:
        return _error(400, str(e), started)
    result = [
        {
            "id": point,
            "version": 0,
            "score": score,
            "payload": dict(collection.payloads[row]) if with_payload else None,
            "vector": None,
        }
        for point, score, row in found
    ]
    return web.json_response(
        {"result": result, "status": "ok", "time": time.perf_counter() - started}
    )


def _point(collection: Collection, point: int, *, payload: bool, vector: bool) -> dict[str, Any]:
    row = collection.row_of[point]
    return {
        "id": point,
        "payload": dict(collection.payloads[row]) if payload else None,
        "vector": collection.index.reconstruct(row).tolist() if vector else None,
    }


async def get_points(request: web.Request) -> web.Response:
    """``POST /collections/{name}/points``: the points of the ids asked that exist."""
    started = time.perf_counter()
    name = request.match_info["name"]
    collection = request.app[COLLECTIONS].get(name)
    if collection is None:
        return _error(404, f"Not found: Collection `{name}` doesn't exist!", started)
    try:
        ids, payload, vector = parse_ids(await request.read())
    except BadSearchError as e:
        return _error(400, str(e), started)
    result = [
        _point(collection, i, payload=payload, vector=vector)
        for i in ids
        if isinstance(i, int) and i in collection.row_of
    ]
    return web.json_response(
        {"result": result, "status": "ok", "time": time.perf_counter() - started}
    )


async def get_point(request: web.Request) -> web.Response:
    """``GET /collections/{name}/points/{id}``: one point with its payload."""
    started = time.perf_counter()
    name, raw = request.match_info["name"], request.match_info["id"]
    collection = request.app[COLLECTIONS].get(name)
    if collection is None:
        return _error(404, f"Not found: Collection `{name}` doesn't exist!", started)
    point = int(raw) if raw.isdigit() else None
    if point is None or point not in collection.row_of:
        return _error(404, f"Not found: No point with id {raw} found", started)
    result = _point(collection, point, payload=True, vector=False)
    return web.json_response(
        {"result": result, "status": "ok", "time": time.perf_counter() - started}
    )


def create_backend_app(collections: Mapping[str, Collection]) -> web.Application:
    """The search service over ``collections``."""
    faiss.omp_set_num_threads(1)  # tiny searches: threads would only contend
    app = web.Application()
    app[COLLECTIONS] = dict(collections)
    app.router.add_get("/", root)
    app.router.add_get("/collections", list_collections)
    app.router.add_get("/collections/{name}", get_collection)
    app.router.add_post("/collections/{name}/points/search", search)
    app.router.add_post("/collections/{name}/points", get_points)
    app.router.add_get("/collections/{name}/points/{id}", get_point)
    return app
