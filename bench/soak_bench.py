"""Benchmark: sustained load and a hostile new index, against a real ``embedshift serve``.

Two parts, each printed with the machine's load average beside it (the machine may be shared;
figures from a busy machine say so):

* **soak**: ``--rps`` (300) search requests per second for ``--seconds`` (300) through the
  sidecar, every one mirrored to a new index that answers in 200 ms. Reported: answers, failed
  answers, p50 and p99 client latency (hey), RSS after warm-up, at the end and its peak
  (sampled each second), and whether every request ended in exactly one shadow outcome.
* **big answers** (issue 17, item 2): client p50/p99 at 30 requests per second for
  ``--big-seconds`` (30) while the new index answers each mirror with 50 MB, beside the same
  run with a new index answering normally; and RSS before and after. The attack test
  (tests/attacks/test_big_shadow_answer.py) asserts outcomes and memory; this measures time.

    .venv/bin/python bench/soak_bench.py [--seconds 300] [--rps 300] [--json out.json]

To compare with an older sidecar on the same machine at the same time, put its checkout first
on the path: ``PYTHONPATH=/path/to/old/checkout .venv/bin/python bench/soak_bench.py ...``
(``python -m proxy serve`` then runs the old code; the backends and the launcher stay these).

Needs hey (``.ci/components.sh install hey``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.attacks.rig import ThreadServer  # noqa: E402 - shared with the attack tests
from tests.attacks.test_big_shadow_answer import huge_answer, new_index  # noqa: E402
from tests.support.backends import FakeQdrant, start_backend, stop_process  # noqa: E402
from tests.support.sidecar import Sidecar, qdrant_config  # noqa: E402

BODY = '{"vector": [0.1, 0.2, 0.3, 0.4], "limit": 10}'
PATH = "/collections/docs/points/search"
MIB = 1024 * 1024


@dataclass
class Run:
    """One load run's figures."""

    name: str
    seconds: int
    rps: int
    answers: int
    failed: int
    p50_ms: float
    p99_ms: float
    rss_start_mib: float
    rss_end_mib: float
    rss_peak_mib: float
    outcomes: dict[str, float]
    every_request_counted: bool
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]


def hey(url: str, seconds: int, rps: int) -> tuple[float, float, int, int]:
    """(p50 ms, p99 ms, answers, failed: non-200 or no answer) at ``rps`` for ``seconds``."""
    workers = 10
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", str(workers), "-q", f"{rps / workers:g}", "-m", "POST",
         "-T", "application/json", "-H", "X-Segment: docs", "-d", BODY, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    p50 = re.search(r"50% in ([\d.]+) secs", out)
    p99 = re.search(r"99% in ([\d.]+) secs", out)
    if p50 is None or p99 is None:  # too few answers for hey to print them
        return float("nan"), float("nan"), 0, 0
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    errors = 0  # requests that got no answer at all (resets, timeouts)
    if "Error distribution:" in out:
        section = out.split("Error distribution:", 1)[1]
        errors = sum(int(n) for n in re.findall(r"^\s+\[(\d+)\]\s", section, re.MULTILINE))
    total = sum(codes.values())
    return (
        float(p50.group(1)) * 1000,
        float(p99.group(1)) * 1000,
        total,
        total - codes.get(200, 0) + errors,
    )


def load(sidecar: Sidecar, name: str, seconds: int, rps: int, route_total_before: float) -> Run:
    """Drive ``sidecar`` at ``rps`` for ``seconds``, sampling its RSS each second."""
    peak = [sidecar.rss_bytes()]
    start_rss = peak[0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1.0):
            peak.append(sidecar.rss_bytes())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    load_before = os.getloadavg()
    p50, p99, answers, failed = hey(sidecar.url + PATH, seconds, rps)
    load_after = os.getloadavg()
    done.set()
    sampler.join()
    outcomes = sidecar.wait_outcomes("search", int(route_total_before) + answers, timeout_s=30)
    counted = sum(outcomes.values()) - route_total_before
    return Run(
        name=name,
        seconds=seconds,
        rps=rps,
        answers=answers,
        failed=failed,
        p50_ms=round(p50, 2),
        p99_ms=round(p99, 2),
        rss_start_mib=round(start_rss / MIB, 1),
        rss_end_mib=round(sidecar.rss_bytes() / MIB, 1),
        rss_peak_mib=round(max(peak) / MIB, 1),
        outcomes=outcomes,
        every_request_counted=counted == answers,
        load_before=tuple(round(x, 2) for x in load_before),  # type: ignore[arg-type]
        load_after=tuple(round(x, 2) for x in load_after),  # type: ignore[arg-type]
    )


def soak(seconds: int, rps: int, tmp: Path) -> Run:
    """The sustained run: old answers at once, new in 200 ms, every search mirrored."""
    old_url, old_proc = start_backend("old", tmp)
    new_url, new_proc = start_backend("new", tmp, delay=0.2)
    try:
        with Sidecar(tmp / "soak", qdrant_config(old_url, new_url), shed_load=True) as sidecar:
            hey(sidecar.url + PATH, 10, rps)  # warm-up: pools, caches, allocator
            before = sum(sidecar.wait_outcomes("search", 0, timeout_s=5).values())
            time.sleep(1)
            before = sum(sidecar.outcomes("search").values())
            return load(sidecar, "soak", seconds, rps, before)
    finally:
        stop_process(old_proc)
        stop_process(new_proc)


def big_answers(seconds: int, tmp: Path) -> list[Run]:
    """Client latency at 30/s with a normal new index, then with one answering 50 MB."""
    runs = []
    old_backend = FakeQdrant(marker="old")
    for name, app in (
        ("new answers normally", FakeQdrant(marker="new").app()),
        ("new answers 50 MB", new_index(chunked=False, body=huge_answer(50 * MIB))),
    ):
        with (
            ThreadServer(old_backend.app()) as old,
            ThreadServer(app) as new,
            Sidecar(tmp / name.replace(" ", "-"), qdrant_config(old.url, new.url)) as sidecar,
        ):
            hey(sidecar.url + PATH, 3, 30)
            time.sleep(2)
            before = sum(sidecar.outcomes("search").values())
            runs.append(load(sidecar, name, seconds, 30, before))
    return runs


def main() -> int:
    """Run both parts and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--rps", type=int, default=300)
    parser.add_argument("--big-seconds", type=int, default=30)
    parser.add_argument("--skip-soak", action="store_true")
    parser.add_argument("--skip-big", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak-bench-") as raw:
        tmp = Path(raw)
        runs = [] if args.skip_big else big_answers(args.big_seconds, tmp)
        if not args.skip_soak:
            runs.append(soak(args.seconds, args.rps, tmp))
    print(f"{'run':<22} {'s':>4} {'rps':>4} {'answers':>8} {'failed':>6} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'RSS start/end/peak MiB':>23} {'counted':>7}  load avg before -> after")  # fmt: skip
    for r in runs:
        rss = f"{r.rss_start_mib}/{r.rss_end_mib}/{r.rss_peak_mib}"
        print(f"{r.name:<22} {r.seconds:>4} {r.rps:>4} {r.answers:>8} {r.failed:>6} "
              f"{r.p50_ms:>7} {r.p99_ms:>7} {rss:>23} {r.every_request_counted!s:>7}  "
              f"{r.load_before} -> {r.load_after}")  # fmt: skip
        print(f"  outcomes: {r.outcomes}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
