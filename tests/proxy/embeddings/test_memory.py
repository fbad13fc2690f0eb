"""The query memory: texts found again from vectors that travelled, and its three bounds.

Real query vectors (SciFact and Cranfield, MiniLM and mpnet, from the shared data) are
remembered as a provider returns them (float32), then looked up after what applications,
clients and engines do to floats on the way to a search; every one must give its own text back,
and no document vector, nor a vector merely close, may give any.
"""

from __future__ import annotations

import base64
import json
import random
import tracemalloc

import numpy as np
import pytest
from numpy.typing import NDArray

from proxy.embeddings.learn import answer_vectors
from proxy.embeddings.memory import MAX_BUCKET, QueryMemory, entry_bytes

MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")


def memory(**bounds) -> QueryMemory:
    """A memory with generous defaults for whatever ``bounds`` leaves out."""
    settings = {"max_entries": 1_000_000, "max_bytes": 2**34, "ttl_s": 3600.0, "min_cosine": 0.9999}
    return QueryMemory(**{**settings, **bounds})


def base64_trip(v: NDArray[np.float32]) -> list[float]:
    """What the openai client decodes from a base64 answer (float32, little-endian)."""
    encoded = base64.b64encode(v.astype("<f4").tobytes()).decode()
    answer = {"data": [{"index": 0, "embedding": encoded}]}
    vectors = answer_vectors(json.dumps(answer).encode(), 1)
    assert not isinstance(vectors, str)
    return vectors[0]


def negative_zero_lost(v: NDArray[np.float32]) -> list[float]:
    """Four decimals, and -0 printed as 0 (JavaScript's JSON.stringify)."""
    return [0.0 if x == 0 else float(x) for x in np.round(v.astype(np.float64), 4)]


TRIPS = {
    "float32 as Python floats": lambda v: v.astype(np.float32).tolist(),
    "JSON round trip": lambda v: json.loads(json.dumps(v.tolist())),
    "numpy float32 str": lambda v: [float(str(x)) for x in v.astype(np.float32)],
    "base64 float32": base64_trip,
    "float16 cast": lambda v: v.astype(np.float16).astype(np.float64).tolist(),
    "6 decimals": lambda v: np.round(v.astype(np.float64), 6).tolist(),
    "3 decimals": lambda v: np.round(v.astype(np.float64), 3).tolist(),
    "-0 as 0": negative_zero_lost,
    "scaled": lambda v: (v.astype(np.float64) * 7.5).tolist(),
}


@pytest.fixture(scope="module")
def queries() -> dict[str, tuple[list[str], NDArray[np.float32], NDArray[np.float32]]]:
    """Per model: query texts, their vectors, and SciFact's document vectors."""
    from tests.support.config import SHARED_DATA

    if not (SHARED_DATA / "scifact").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    out = {}
    for model in MODELS:
        texts: list[str] = []
        vectors = []
        for dataset in ("scifact", "cranfield"):
            folder = SHARED_DATA / dataset / "embeddings" / model
            ids = folder.joinpath("query_ids.txt").read_text().split("\n")[:-1]
            by_id = {}
            for name in ("queries.jsonl", "queries_train.jsonl"):
                path = SHARED_DATA / dataset / name
                if path.exists():
                    for line in path.read_text().splitlines():
                        row = json.loads(line)
                        by_id[str(row["id"])] = row["text"]
            texts += [f"{dataset}:{by_id[i]}" for i in ids]  # a few texts repeat across sets
            vectors.append(np.load(folder / "queries.npy"))
        docs = np.load(SHARED_DATA / "scifact" / "embeddings" / model / "docs.npy")
        out[model] = (texts, np.concatenate(vectors), docs)
    return out


@pytest.mark.parametrize("trip", list(TRIPS))
@pytest.mark.parametrize("model", MODELS)
def test_every_query_comes_back_to_its_text(queries, model, trip):
    """1,334 real queries, remembered as float32, found again after each kind of trip."""
    texts, vectors, _ = queries[model]
    mem = memory()
    for text, vector in zip(texts, vectors, strict=True):
        assert mem.remember(text, vector.astype(np.float32).tolist())
    unique = dict(zip(texts, vectors, strict=True))  # a repeated text: its last
    found = [mem.recall(TRIPS[trip](v)) for v in unique.values()]
    assert found == list(unique)


@pytest.mark.parametrize("model", MODELS)
def test_nothing_else_comes_back(queries, model):
    """Documents, and queries moved to a cosine of about 0.999, find no text."""
    texts, vectors, docs = queries[model]
    mem = memory()
    for text, vector in zip(texts, vectors, strict=True):
        mem.remember(text, vector.tolist())
    assert [mem.recall(d.tolist()) for d in docs[:2000]] == [None] * 2000
    rng = np.random.default_rng(7)
    moved = 0
    for v in vectors[:300]:
        noise = rng.normal(size=v.shape)
        noise -= noise.dot(v) * v  # orthogonal to v: cos(v, v + e) = 1 / sqrt(1 + |e|^2)
        shifted = v + noise / np.linalg.norm(noise) * 0.0447  # cosine 0.999
        moved += mem.recall(shifted.tolist()) is None
    assert moved == 300


def test_entries_are_bounded_oldest_first():
    """Past max_entries the oldest texts go, counted as capacity; a text embedded again is new."""
    evicted = []
    mem = memory(max_entries=3, on_evict=lambda reason, n: evicted.append((reason, n)))
    rng = random.Random(5)
    vectors = {t: [rng.gauss(0, 1) for _ in range(8)] for t in "abcde"}
    for text in "abc":
        mem.remember(text, vectors[text])
    mem.remember("a", vectors["a"])  # refreshed: now the newest
    mem.remember("d", vectors["d"])
    assert len(mem) == 3
    assert mem.recall(vectors["b"]) is None
    assert [mem.recall(vectors[t]) for t in "acd"] == ["a", "c", "d"]
    assert evicted == [("capacity", 1)]


def test_bytes_are_bounded():
    """The estimate never passes max_bytes: 1,000 texts of 384-d vectors in room for about 10."""
    size = entry_bytes("text 000", 384)
    mem = memory(max_bytes=10 * size + size // 2)
    rng = random.Random(1)
    for i in range(1000):
        mem.remember(f"text {i:03}", [rng.gauss(0, 1) for _ in range(384)])
        assert mem.bytes <= mem.max_bytes
    assert len(mem) == 10
    assert mem.bytes == 10 * size


def test_texts_expire():
    """A text is forgotten ttl_s after its call, whether or not anything else happens."""
    now = [0.0]
    evicted = []
    mem = memory(
        ttl_s=10.0, clock=lambda: now[0], on_evict=lambda reason, n: evicted.append((reason, n))
    )
    mem.remember("old", [1.0, 0.0, 0.5])
    now[0] = 6.0
    mem.remember("new", [0.0, 1.0, 0.5])
    now[0] = 10.0
    assert mem.expire() == 1
    assert mem.recall([1.0, 0.0, 0.5]) is None
    assert mem.recall([0.0, 1.0, 0.5]) == "new"
    now[0] = 16.0
    assert mem.recall([0.0, 1.0, 0.5]) is None
    assert len(mem) == 0
    assert mem.bytes == 0
    assert evicted == [("expired", 1), ("expired", 1)]


def test_unusable_vectors_are_not_kept():
    """Empty, zero, NaN or infinite vectors teach nothing, and find nothing."""
    mem = memory()
    for vector in ([], [0.0, 0.0], [float("nan"), 1.0], [float("inf"), 1.0]):
        assert not mem.remember("x", vector)
        assert mem.recall(vector) is None
    assert len(mem) == 0


def test_the_closest_text_wins():
    """Two texts whose vectors both pass the check: the closer one is the answer."""
    mem = memory(min_cosine=0.99)
    mem.remember("near", [1.0, 0.01, 0.0])
    mem.remember("nearer", [1.0, 0.001, 0.0])
    assert mem.recall([1.0, 0.0, 0.0]) == "nearer"


def test_the_byte_estimate_covers_what_python_allocates():
    """10,000 entries of 384-d vectors: traced allocations stay under the estimate, near it."""
    rng = random.Random(3)
    vectors = [[rng.gauss(0, 1) for _ in range(384)] for _ in range(10_000)]
    mem = memory()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i, vector in enumerate(vectors):  # texts made here, as a request's parsing makes them
            mem.remember(f"what is the effect of treatment number {i} on outcome {i * 7}?", vector)
        used = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.6 * mem.bytes <= used <= mem.bytes


def test_one_key_holds_a_bounded_number_of_texts():
    """Texts whose vectors share a key: the newest MAX_BUCKET stay, so a lookup stays cheap."""
    evicted = []
    mem = memory(on_evict=lambda reason, n: evicted.append((reason, n)))
    for i in range(MAX_BUCKET + 12):  # all signs positive: one key, directions far apart
        mem.remember(f"text {i}", [1.0, 2.0, 3.0, float(i * i)])
    assert len(mem) == MAX_BUCKET
    last = MAX_BUCKET + 11
    assert mem.recall([1.0, 2.0, 3.0, float(last * last)]) == f"text {last}"
    assert mem.recall([1.0, 2.0, 3.0, 0.0]) is None  # text 0 went
    assert evicted == [("capacity", 1)] * 12
