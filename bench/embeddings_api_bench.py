"""Benchmark: the application's embeddings API through the sidecar, and the query memory's bound.

A loopback OpenAI-style provider (``tests/support/openai_provider.py``: 384-d vectors, float
JSON answers of about 8 KB) in a process of its own; the sidecar (one ``serve`` process) in
front of it under ``[embeddings_api]``, every call's text remembered.

1. **Latency at 500 requests per second** (``hey``, 10 workers x 50/s, one text per call):
   p50 and p99 direct to the provider, through the sidecar's plain passthrough (a path outside
   the prefix: the hop alone, nothing learned), and through ``[embeddings_api]`` (every text
   learned); the three interleaved, ``--rounds`` times, medians; ratios against direct and
   against the plain passthrough, and the sidecar's CPU time per call (``/proc/PID/stat``).
2. **Memory under 100,000 distinct queries** (an aiohttp client, 32 calls at a time, each text
   new): the sidecar's RSS after a warm-up and after every 10,000 calls, with the entries and
   estimated bytes the memory holds (default bounds: 10,000 entries, 32 MiB).

    .venv/bin/python bench/embeddings_api_bench.py [--seconds 8] [--rounds 3] [--queries 100000]
        [--json out]

Needs hey (``.ci/components.sh install hey``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import cpu_seconds, hey_at_500  # noqa: E402
from tests.support.components import free_port, wait_http_ok  # noqa: E402
from tests.support.sidecar import Sidecar  # noqa: E402 - the one sidecar launcher

PY = sys.executable
TARGETS = ("direct", "passthrough", "learned")
PREFIX = "/embeddings-api"
DIM = 384
BODY = json.dumps({"model": "bench", "input": "how do sidecars learn query text?"})
PROVIDER = f"""
import sys
from aiohttp import web
from tests.support.openai_provider import Provider
web.run_app(Provider(dim={DIM}, key=None).app(), host="127.0.0.1", port=int(sys.argv[1]),
            print=None, access_log=None)
"""


@contextlib.contextmanager
def provider(tmp: Path) -> Iterator[tuple[str, int]]:
    """The provider in its own process: (its /v1 base URL, its pid)."""
    port = free_port()
    log = tmp / "provider.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [PY, "-c", PROVIDER, str(port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_http_ok(f"http://127.0.0.1:{port}/v1/models", proc, log, 20.0)
        yield f"http://127.0.0.1:{port}/v1", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def sidecar_config(provider_url: str) -> str:
    """The embeddings API on, quiet logs. Old is the provider too: its plain passthrough (any
    path outside the prefix) is the baseline that learns nothing; new is a closed port."""
    return textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{provider_url.removesuffix("/v1")}"
        [upstreams.new]
        url = "http://127.0.0.1:9"
        [upstreams.embeddings]
        url = "{provider_url}"
        [embeddings_api]
        path_prefix = "{PREFIX}"
        [logging]
        format = "json"
        level = "warning"
        """
    )


def latency(seconds: int, rounds: int, tmp: Path) -> dict[str, Any]:
    """Direct, through the sidecar's plain passthrough, and through its embeddings API (learning)
    at 500/s: same provider, same sidecar process, ``rounds`` interleaved runs, medians."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in TARGETS}
    with (
        provider(tmp) as (url, _),
        Sidecar(tmp / "latency", sidecar_config(url), shed_load=True) as proxy,
    ):
        urls = {
            "direct": url + "/embeddings",
            "passthrough": proxy.url + "/v1/embeddings",
            "learned": proxy.url + PREFIX + "/embeddings",
        }
        for target in TARGETS:
            hey_at_500(urls[target], 2, BODY)  # warm-up: pools, caches
        for _ in range(rounds):
            for target in TARGETS:
                before = cpu_seconds([proxy.pid])
                run = hey_at_500(urls[target], seconds, BODY)
                run["sidecar_cpu_ms"] = (cpu_seconds([proxy.pid]) - before) / run["requests"] * 1000
                runs[target].append(run)
        remembered = proxy.value("embedshift_query_memory_remembered_total")
    medians = {
        target: {key: statistics.median(r[key] for r in rows) for key in rows[0]}
        for target, rows in runs.items()
    }
    return {"runs": runs, "medians": medians, "remembered": remembered}


async def distinct_calls(url: str, start: int, count: int, concurrency: int = 32) -> int:
    """``count`` embeddings calls, each with a text never sent before; returns the non-200s."""
    import aiohttp

    failures = 0
    queue = iter(range(start, start + count))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal failures
        for i in queue:
            text = f"query {i}: what is the effect of treatment {i % 997} on outcome {i * 7}?"
            async with session.post(url, json={"model": "bench", "input": text}) as response:
                await response.read()
                failures += response.status != 200

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return failures


def memory(queries: int, tmp: Path) -> dict[str, Any]:
    """RSS and what the memory holds along ``queries`` distinct calls (default bounds)."""
    rows = []
    with provider(tmp) as (url, _), Sidecar(tmp / "memory", sidecar_config(url)) as proxy:
        target = proxy.url + PREFIX + "/embeddings"
        failures = asyncio.run(distinct_calls(target, 0, 1000))
        sent = 1000
        checkpoints = sorted({*range(10_000, queries + 1, 10_000), queries})
        rows.append(_memory_row(proxy, sent))
        started = time.perf_counter()
        for checkpoint in checkpoints:
            failures += asyncio.run(distinct_calls(target, sent, checkpoint - sent))
            sent = checkpoint
            rows.append(_memory_row(proxy, sent))
            print(f"  {rows[-1]}", file=sys.stderr, flush=True)
        rate = (sent - 1000) / (time.perf_counter() - started)
    return {"rows": rows, "failures": failures, "calls_per_second": rate}


def _memory_row(proxy: Sidecar, sent: int) -> dict[str, float]:
    return {
        "calls": sent,
        "rss_mib": proxy.rss_bytes() / 2**20,
        "entries": proxy.value("embedshift_query_memory_entries"),
        "memory_mib": proxy.value("embedshift_query_memory_bytes") / 2**20,
        "forgotten": proxy.value("embedshift_query_memory_forgotten_total", reason="capacity"),
    }


def report(result: dict[str, Any]) -> str:
    """The figures as two Markdown tables."""
    med = result["latency"]["medians"]
    direct, passthrough = med["direct"], med["passthrough"]
    labels = {
        "direct": "direct to the provider",
        "passthrough": "sidecar, plain passthrough (learns nothing)",
        "learned": "sidecar, [embeddings_api] (learns each text)",
    }
    header = (
        "| at 500 req/s (medians) | p50 ms | p99 ms | p50 vs direct | p99 vs direct "
        "| p99 vs passthrough | sidecar CPU ms/call | errors |"
    )
    lines = [
        header,
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for target in TARGETS:
        row = med[target]
        cpu = "-" if target == "direct" else f"{row['sidecar_cpu_ms']:.3f}"
        versus = "-" if target == "direct" else f"{row['p99_ms'] / passthrough['p99_ms']:.2f}x"
        lines.append(
            f"| {labels[target]} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} "
            f"| {row['p50_ms'] / direct['p50_ms']:.2f}x | {row['p99_ms'] / direct['p99_ms']:.2f}x "
            f"| {versus} | {cpu} | {row['errors']:.0f} |"
        )
    lines.append(f"\ntexts remembered: {result['latency']['remembered']:.0f}\n")
    lines += [
        "| distinct calls | RSS MiB | entries held | estimated MiB | forgotten (capacity) |",
        "| ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["memory"]["rows"]:
        lines.append(
            f"| {row['calls']:,} | {row['rss_mib']:.1f} | {row['entries']:,.0f} "
            f"| {row['memory_mib']:.1f} | {row['forgotten']:,.0f} |"
        )
    mem = result["memory"]
    lines.append(
        f"\n{mem['failures']} failed calls; {mem['calls_per_second']:,.0f} calls/s "
        "(32 at a time, through the sidecar)"
    )
    return "\n".join(lines)


def main() -> int:
    """Run both parts and print the tables (and write JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--queries", type=int, default=100_000)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if shutil.which("hey") is None:
        print(
            "embeddings_api_bench: hey not found; run .ci/components.sh install hey",
            file=sys.stderr,
        )
        return 2
    with tempfile.TemporaryDirectory(prefix="embedshift-bench-") as tmp:
        result = {
            "latency": latency(args.seconds, args.rounds, Path(tmp)),
            "memory": memory(args.queries, Path(tmp)),
        }
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
