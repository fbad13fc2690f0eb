"""Benchmark: the shadow path's cost when it re-embeds every query with the new model.

The sidecar (``python -m proxy serve``) sits in front of a real Chroma holding SciFact twice
(MiniLM ``embedshift_old``, mpnet ``embedshift_new``); the shadow re-embeds each query's text
with all-mpnet-base-v2 through a real infinity-emb server. An open-loop client sends Chroma
queries at ``--rps`` (default 200) for ``--seconds``, drawing query texts from SciFact's 1,109
queries with Zipf weights (s = 1.1: a few queries are frequent, most are rare, as search
traffic is), each with its MiniLM vector and an ``X-Query-Text`` header.

Two runs in the same process, same stream: ``mirror`` (a route without query_text: the shadow
sends the old vector to the old collection, so no embedding) and ``reembed`` (query_text set).
Reported per run: client p50/p99 latency, outcomes, the proxy process's CPU seconds per
request (``/proc/PID/stat``), and for ``reembed`` the embedding calls per compared query,
texts per call and cache hit rate. The added CPU per request is reembed minus mirror.

    .venv/bin/python bench/reembed_query_bench.py [--rps 200] [--seconds 20] [--json out.json]

Needs Chroma and infinity running: ``.ci/components.sh start chroma infinity`` then
``eval "$(.ci/components.sh env)"``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import cpu_seconds  # noqa: E402
from tests.support.config import SHARED_DATA  # noqa: E402
from tests.support.corpora import NEW_MODEL, OLD_MODEL, load_chroma, load_scifact  # noqa: E402
from tests.support.sidecar import Sidecar  # noqa: E402

OLD, NEW = "embedshift_old", "embedshift_new"
ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection}/query"


def stream(n: int, texts: list[str], seed: int = 0) -> list[int]:
    """``n`` query indexes drawn with Zipf weights over a shuffled order of the queries."""
    rng = random.Random(seed)
    order = list(range(len(texts)))
    rng.shuffle(order)
    weights = [1.0 / (rank + 1) ** 1.1 for rank in range(len(order))]
    return rng.choices(order, weights=weights, k=n)


def config(chroma: str, infinity: str, reembed: bool) -> str:
    """The sidecar's config for one run."""
    query_text = 'query_text = { header = "X-Query-Text" }' if reembed else ""
    mapping = f'collection_map = {{ {OLD} = "{NEW}" }}' if reembed else ""
    return f"""
    [upstreams.old]
    url = "{chroma}"
    [upstreams.new]
    url = "{chroma}"
    [shadow]
    timeout_s = 10.0
    max_rps = 1000
    max_in_flight = 512
    [embedding]
    base_url = "{infinity}"
    model = "{NEW_MODEL}"
    dimension = 768
    timeout_s = 10.0
    [[routes]]
    name = "chroma"
    path = "{ROUTE}"
    adapter = "chroma"
    {mapping}
    {query_text}
    """


async def drive(
    proxy: Sidecar, path: str, bodies: list[bytes], headers: list[dict[str, str]], rps: float
) -> list[float]:
    """Send every body open-loop at ``rps``; latencies in seconds of the successful ones."""
    latencies: list[float] = []
    failures = 0
    connector = aiohttp.TCPConnector(limit=512)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: bytes, hdrs: dict[str, str]) -> None:
            nonlocal failures
            start = time.perf_counter()
            async with session.post(proxy.url + path, data=body, headers=hdrs) as answer:
                await answer.read()
                if answer.status == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    failures += 1

        t0 = time.perf_counter()
        tasks = []
        for i, (body, hdrs) in enumerate(zip(bodies, headers, strict=True)):
            delay = t0 + i / rps - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body, hdrs)))
        await asyncio.gather(*tasks)
    assert failures == 0, f"{failures} client requests failed"
    return latencies


def run(args: argparse.Namespace) -> dict[str, object]:
    """Both runs; returns the figures."""
    chroma, infinity = (
        os.environ["EMBEDSHIFT_TEST_CHROMA_URL"],
        os.environ["EMBEDSHIFT_TEST_INFINITY_URL"],
    )
    data = load_scifact(SHARED_DATA, n_queries=10_000)  # all 1,109 queries (test and train)
    old_id = load_chroma(chroma, OLD, data, OLD_MODEL)
    load_chroma(chroma, NEW, data, NEW_MODEL)
    path = f"/api/v2/tenants/default_tenant/databases/default_database/collections/{old_id}/query"
    n = int(args.rps * args.seconds)
    train = (SHARED_DATA / "scifact" / "queries_train.jsonl").read_text().splitlines()
    texts = data.texts + [json.loads(line)["text"] for line in train]  # rows of queries.npy
    assert len(texts) == len(data.queries[OLD_MODEL])
    picks = stream(n, texts)
    from urllib.parse import quote

    vectors = data.queries[OLD_MODEL].astype(np.float64)
    bodies = [
        json.dumps(
            {"query_embeddings": [vectors[i].tolist()], "n_results": 10, "include": ["distances"]}
        ).encode()
        for i in picks
    ]
    headers = [{"Content-Type": "application/json", "X-Query-Text": quote(texts[i])} for i in picks]
    results: dict[str, object] = {"rps": args.rps, "requests": n, "distinct_texts": len(set(picks))}
    for name, reembed in (("mirror", False), ("reembed", True)):
        with (
            tempfile.TemporaryDirectory() as tmp,
            Sidecar(Path(tmp), config(chroma, infinity, reembed), shed_load=True) as proxy,
        ):
            cpu0 = cpu_seconds([proxy.pid])
            latencies = asyncio.run(drive(proxy, path, bodies, headers, args.rps))
            outcomes = proxy.wait_outcomes("chroma", n, timeout_s=120)
            cpu = cpu_seconds([proxy.pid]) - cpu0
            row: dict[str, object] = {
                "p50_ms": round(statistics.median(latencies) * 1000, 2),
                "p99_ms": round(float(np.percentile(latencies, 99)) * 1000, 2),
                "outcomes": outcomes,
                "cpu_ms_per_request": round(cpu / n * 1000, 3),
            }
            if reembed:
                calls = proxy.value("embedshift_query_embed_calls_total")
                texts = proxy.value("embedshift_query_embed_texts_total")
                hits = proxy.value("embedshift_query_embed_cache_hits_total")
                joined = proxy.value("embedshift_query_embed_joined_total")
                compared = outcomes.get("compared", 0.0)
                row |= {
                    "embed_calls": calls,
                    "embed_calls_per_compared_query": round(calls / compared, 4)
                    if compared
                    else None,
                    "texts_per_call": round(
                        proxy.value("embedshift_query_embed_call_texts_sum") / calls, 2
                    )
                    if calls
                    else None,
                    "cache_hit_rate": round(hits / texts, 4) if texts else None,
                    "joined_rate": round(joined / texts, 4) if texts else None,
                }
            results[name] = row
    mirror, reembed = results["mirror"], results["reembed"]
    assert isinstance(mirror, dict)
    assert isinstance(reembed, dict)
    results["added_cpu_ms_per_request"] = round(
        reembed["cpu_ms_per_request"] - mirror["cpu_ms_per_request"], 3
    )
    return results


def main() -> None:
    """Parse arguments, run, print (and write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rps", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    results = run(args)
    text = json.dumps(results, indent=2)
    print(text)
    if args.json is not None:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
