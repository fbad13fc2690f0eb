"""Benchmark: `embedshift reembed` against a loopback provider: rate, checkpoint cost, memory.

The provider runs in this process (its own thread and event loop) and answers the OpenAI
``/v1/embeddings`` shape with 8-d vectors derived from each text. The command under test runs
as a real subprocess (`python -m proxy reembed ...`), so its peak resident memory is its own
(``wait4``'s ``ru_maxrss``). Sources are generated in a temporary folder.

1. Sustained throughput: provider with 50 ms per call and 600 requests per sliding minute
   (429 with Retry-After beyond); `reembed --max-rpm 600`. The rate is measured at the
   provider between its first and last accepted call. Target: at least 95 % of 600/min.
2. Checkpoint overhead: the same rate-limited run with a checkpoint after every batch
   (`--checkpoint-interval 0`) against a baseline that checkpoints only at the end
   (`--checkpoint-every 10**9`). Target: at most 2 % more wall time. Also shown, not judged:
   the same comparison against an unlimited provider with no latency, where the run is bound
   by CPU and fsync (the worst case), with per-batch and with the default 1 s interval.
3. Memory: peak RSS of runs over 10,000 and 1,000,000 chunks (unlimited provider, batches of
   1,000). Target: the 1M run within 1.25x of the 10k run.

    .venv/bin/python bench/reembed_bench.py [--quick]   (about 4 minutes; --quick: 40 s)
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from aiohttp import web

DIM = 8


class Provider:
    """A loopback embeddings API with a latency and a sliding-minute request limit."""

    def __init__(self) -> None:
        self.latency_s = 0.0
        self.rpm: int | None = None
        self.reset()

    def reset(self, latency_s: float = 0.0, rpm: int | None = None) -> None:
        """A fresh minute, fresh counters, new behaviour."""
        self.latency_s, self.rpm = latency_s, rpm
        self.window: deque[float] = deque()
        self.accepted: list[float] = []
        self.rejected = 0

    async def handle(self, request: web.Request) -> web.Response:
        doc = json.loads(await request.read())
        now = time.monotonic()
        if self.rpm is not None:
            while self.window and now - self.window[0] >= 60.0:
                self.window.popleft()
            if len(self.window) >= self.rpm:
                self.rejected += 1
                wait = 60.0 - (now - self.window[0])
                return web.json_response(
                    {"error": {"message": "rate limited"}},
                    status=429,
                    headers={"Retry-After": f"{wait:.3f}"},
                )
            self.window.append(now)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        data = []
        for i, text in enumerate(doc["input"]):
            digest = hashlib.blake2b(text.encode(), digest_size=DIM).digest()
            data.append({"index": i, "embedding": [(b - 127.5) / 127.5 for b in digest]})
        self.accepted.append(time.monotonic())
        usage = {"prompt_tokens": sum(len(t) for t in doc["input"])}
        return web.Response(
            body=json.dumps({"data": data, "usage": usage}), content_type="application/json"
        )


def serve(provider: Provider) -> tuple[str, asyncio.AbstractEventLoop]:
    """Start the provider on a free loopback port in a daemon thread; its API base."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/v1/embeddings", provider.handle)
    runner = web.AppRunner(app, access_log=None)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(runner.setup())
        loop.run_until_complete(web.SockSite(runner, sock).start())
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    return f"http://127.0.0.1:{sock.getsockname()[1]}/v1", loop


def write_source(path: Path, n: int) -> None:
    """``n`` chunks of about 60 characters, three segments."""
    with path.open("w") as out:
        for i in range(n):
            text = f"chunk {i} of the benchmark corpus, segment {i % 3}, some words"
            out.write(json.dumps({"id": f"c{i}", "text": text, "segment": i % 3}) + "\n")


def reembed(source: Path, output: Path, api: str, *extra: str) -> tuple[float, float, str]:
    """Run the command; (wall seconds, peak RSS MiB, stderr tail). Raises on failure."""
    argv = [
        sys.executable, "-m", "proxy", "reembed", "--source", str(source),
        "--output", str(output), "--model", "bench", "--api-base", api, *extra,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace")[-2000:]
    if process.returncode != 0:
        raise SystemExit(f"reembed failed ({process.returncode}):\n{tail}")
    return wall, usage.ru_maxrss / 1024, tail


def sustained_rpm(provider: Provider) -> float:
    """Accepted calls per minute between the first and the last accepted call."""
    times = provider.accepted
    return (len(times) - 1) / (times[-1] - times[0]) * 60.0


def rate_limited(folder: Path, api: str, provider: Provider, chunks: int) -> dict[str, float]:
    """Section 1 and 2: two rate-limited runs, per-batch checkpoints vs none."""
    source = folder / "rate.jsonl"
    write_source(source, chunks)
    common = ("--batch-size", "20", "--concurrency", "4", "--max-rpm", "600")
    figures: dict[str, float] = {}
    for name, checkpointing in (
        ("every_batch", ("--checkpoint-interval", "0")),
        ("baseline", ("--checkpoint-every", str(10**9))),
    ):
        provider.reset(latency_s=0.05, rpm=600)
        wall, _, _ = reembed(source, folder / f"rate-{name}.jsonl", api, *common, *checkpointing)
        figures[f"{name}_wall_s"] = wall
        figures[f"{name}_rpm"] = sustained_rpm(provider)
        figures[f"{name}_429"] = provider.rejected
        figures[f"{name}_calls"] = len(provider.accepted)
        figures[f"{name}_end_to_end_rpm"] = len(provider.accepted) / wall * 60.0
    return figures


def unlimited(folder: Path, api: str, provider: Provider, chunks: int) -> dict[str, float]:
    """Checkpoint cost when nothing but CPU and fsync limits the run (shown, not judged)."""
    source = folder / "fast.jsonl"
    write_source(source, chunks)
    common = ("--batch-size", "20", "--concurrency", "4")
    figures: dict[str, float] = {}
    provider.reset()
    for name, checkpointing in (
        ("baseline", ("--checkpoint-every", str(10**9))),
        ("every_batch", ("--checkpoint-interval", "0")),
        ("default_1s", ()),
    ):
        wall, _, _ = reembed(source, folder / f"fast-{name}.jsonl", api, *common, *checkpointing)
        figures[name] = wall
    return figures


def memory(folder: Path, api: str, provider: Provider, sizes: tuple[int, ...]) -> dict[int, float]:
    """Section 3: peak RSS (MiB) of whole runs over each source size."""
    provider.reset()
    peaks: dict[int, float] = {}
    for size in sizes:
        source = folder / f"mem-{size}.jsonl"
        write_source(source, size)
        start = time.perf_counter()
        _, peak, _ = reembed(source, folder / f"mem-{size}.jsonl.out", api, "--batch-size", "1000")
        print(
            f"  {size:>9,} chunks: peak RSS {peak:6.1f} MiB ({time.perf_counter() - start:.0f} s)"
        )
        peaks[size] = peak
        source.unlink()
        (folder / f"mem-{size}.jsonl.out").unlink()
    return peaks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    # 150 or 700 calls of 20: 15 s, or 70 s (past the provider's first full minute)
    rate_chunks = 3_000 if args.quick else 14_000
    sizes = (10_000, 100_000) if args.quick else (10_000, 1_000_000)
    provider = Provider()
    api, _loop = serve(provider)
    ok = True
    with tempfile.TemporaryDirectory(prefix="reembed-bench-") as tmp:
        folder = Path(tmp)
        print("1-2. rate-limited provider: 50 ms per call, 600 calls per sliding minute")
        rate = rate_limited(folder, api, provider, rate_chunks)
        for name in ("every_batch", "baseline"):
            print(
                f"  checkpoints {name:<11}: {rate[name + '_wall_s']:6.1f} s wall, "
                f"{rate[name + '_rpm']:6.1f} calls/min sustained "
                f"({rate[name + '_rpm'] / 6:.1f} % of 600; "
                f"{rate[name + '_end_to_end_rpm']:.0f}/min counting start-up), "
                f"{rate[name + '_calls']:.0f} calls, {rate[name + '_429']:.0f} answered 429"
            )
        share = rate["every_batch_rpm"] / 600
        overhead = rate["every_batch_wall_s"] / rate["baseline_wall_s"] - 1
        print(f"  sustained rate: {share:.1%} of the limit (target >= 95 %)")
        print(f"  checkpoint overhead, every batch vs none: {overhead:+.2%} (target <= 2 %)")
        ok &= share >= 0.95 and overhead <= 0.02

        print("   unlimited provider, no latency (CPU and fsync bound; shown, not judged):")
        fast = unlimited(folder, api, provider, 20_000)
        for name in ("every_batch", "default_1s"):
            extra = fast[name] / fast["baseline"] - 1
            print(f"  checkpoints {name:<11}: {fast[name]:5.1f} s vs {fast['baseline']:5.1f} s "
                  f"without: {extra:+.1%}")  # fmt: skip

        print("3. memory: peak RSS of the whole command")
        peaks = memory(folder, api, provider, sizes)
        ratio = peaks[sizes[-1]] / peaks[sizes[0]]
        print(f"  {sizes[-1]:,} vs {sizes[0]:,} chunks: {ratio:.2f}x (target <= 1.25x)")
        ok &= ratio <= 1.25
    if args.json is not None:
        figures = {
            "limit_rpm": 600, "sustained_rpm": rate["every_batch_rpm"],
            "checkpoint_overhead": overhead, "sizes": list(sizes),
            "peak_rss_small_mb": peaks[sizes[0]], "peak_rss_large_mb": peaks[sizes[-1]],
            "memory_ratio": ratio,
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
