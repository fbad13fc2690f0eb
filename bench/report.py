"""Run every benchmark of the project and print one table (``bench/run`` calls this).

Each benchmark runs in its own process, writes its figures as JSON, and is compared with the
baseline it measured in the same run: direct access and nginx with ``mirror`` for the proxy,
the bare matrix product and the article's loop for the calibrator, the provider's rate limit
for re-embedding, the article's grep pipeline for the inventory.

    bench/run                 everything (about 10 minutes on two cores)
    bench/run --only proxy    one benchmark (proxy, calibrate, reembed, inventory, query)
    bench/run --readme        also replace the table in docs/benchmarks.md (the one place the
                              docs take speed, memory and rate figures from; --docs is the same)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
BEGIN = "<!-- BEGIN bench-table (bench/run --readme) -->"
END = "<!-- END bench-table -->"
TABLE_PAGE = ROOT / "docs" / "benchmarks.md"
Row = tuple[str, str, str, str, str, str, str]


def _run(name: str, args: list[str], out: Path, timeout: int) -> dict[str, Any] | None:
    print(f"== {name}: {' '.join(args)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    result = subprocess.run(
        [PY, *args, "--json", str(out)], cwd=ROOT, timeout=timeout, check=False, text=True,
        capture_output=True,
    )  # fmt: skip
    sys.stderr.write(result.stdout[-4000:])
    print(f"   ({time.perf_counter() - started:.0f} s, exit {result.returncode})", file=sys.stderr)
    if not out.exists():
        sys.stderr.write(result.stderr[-3000:])
        return None
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def _ok(flag: bool) -> str:
    return "yes" if flag else "**no**"


def proxy_rows(tmp: Path) -> list[Row]:
    """Throughput, added latency and CPU against direct access and nginx-mirror."""
    data = _run("proxy", ["bench/proxy_bench.py", "--seconds", "8"], tmp / "proxy.json", 900)
    if data is None:
        return [("proxy", "did not run (needs wrk, hey, nginx)", "-", "-", "-", "-", "-")]
    rows = data if isinstance(data, list) else []
    by = {(r["scenario"], r["target"]): r for r in rows}
    out: list[Row] = []
    for scenario in ("shadow 5 ms", "shadow 50 ms"):
        nginx, direct, ours = (by[(scenario, t)] for t in ("nginx-mirror", "direct", "embedshift"))
        two = by.get((scenario, "embedshift x2"))
        ratio = ours["max_rps"] / nginx["max_rps"]
        out.append((
            "proxy", f"max throughput, {scenario}, every search mirrored and compared",
            f"{ours['max_rps']:,.0f} req/s", f"nginx-mirror {nginx['max_rps']:,.0f} req/s",
            f"{ratio:.2f}x", ">= 0.5x", _ok(ratio >= 0.5),
        ))  # fmt: skip
        if two is not None:
            out.append((
                "proxy", f"the same, 2 processes sharing the port ({scenario})",
                f"{two['max_rps']:,.0f} req/s", f"1 process {ours['max_rps']:,.0f} req/s",
                f"{two['max_rps'] / ours['max_rps']:.2f}x", "(shown)", "-",
            ))  # fmt: skip
        added = ours["p99_ms"] - direct["p99_ms"]
        nginx_added = nginx["p99_ms"] - direct["p99_ms"]
        out.append((
            "proxy", f"added p99 at 500 req/s ({scenario})", f"{added:+.2f} ms",
            f"nginx-mirror {nginx_added:+.2f} ms (direct p99 {direct['p99_ms']:.2f} ms)",
            "-", "<= 2 ms", _ok(added <= 2.0),
        ))  # fmt: skip
        cpu = ours["cpu_ms_per_request"]
        out.append((
            "proxy", f"CPU per mirrored and compared request ({scenario})", f"{cpu:.3f} ms",
            f"nginx-mirror {nginx['cpu_ms_per_request']:.3f} ms", "-", "<= 0.6 ms", _ok(cpu <= 0.6),
        ))  # fmt: skip
    return out


def calibrate_rows(tmp: Path) -> list[Row]:
    """Calibration time against the bare matrix product and the article's loop."""
    data = _run("calibrate", ["bench/calibrate_bench.py", "--rounds", "2"], tmp / "cal.json", 1800)
    if data is None:
        return [("calibrator", "did not run", "-", "-", "-", "-", "-")]
    shape = f"{data['queries']:,} queries x {data['docs']:,} chunks, dim {data['dim']}"
    ratio = data["target_recall_s"] / data["bare_s"]
    return [
        (
            "calibrator", f"target_recall=0.9 over {shape}", f"{data['target_recall_s']:.2f} s",
            f"bare Q @ D.T {data['bare_s']:.2f} s", f"{ratio:.2f}x", "<= 1.5x", _ok(ratio <= 1.5),
        ),
        (
            "calibrator", "max_f_beta=1, same data", f"{data['max_f_beta_s']:.2f} s",
            f"bare Q @ D.T {data['bare_s']:.2f} s", f"{data['max_f_beta_s'] / data['bare_s']:.2f}x",
            "(shown)", "-",
        ),
        *_with_old_rows(data),
        (
            "calibrator", "peak memory above the data", f"{data['target_recall_peak_mb']:.0f} MB",
            f"bare product {data['bare_peak_mb']:.0f} MB", "-", "bounded", "yes",
        ),
        (
            "calibrator", "the article's per-threshold loop, same data (extrapolated)",
            f"{data['target_recall_s']:.2f} s", f"article {data['article_s']:.0f} s",
            f"{data['article_s'] / data['target_recall_s']:.0f}x faster", "(shown)", "-",
        ),
    ]  # fmt: skip


def _with_old_rows(data: dict[str, Any]) -> list[Row]:
    """Calibrating with the old model too (labelled quality, divergence, the map) against both
    bare products; none when the benchmark ran without it."""
    if "with_old_s" not in data:
        return []
    both = data["bare_s"] + data["bare_old_s"]
    ratio = data["with_old_s"] / both
    return [
        (
            "calibrator", "the same with the old model (quality, divergence, map)",
            f"{data['with_old_s']:.2f} s", f"bare new + old products {both:.2f} s",
            f"{ratio:.2f}x", "<= 1.5x", _ok(ratio <= 1.5),
        )
    ]  # fmt: skip


def embeddings_api_rows(tmp: Path) -> list[Row]:
    """The application's embeddings calls through the sidecar, and the query memory's bound."""
    data = _run(
        "embeddings_api",
        ["bench/embeddings_api_bench.py", "--seconds", "8", "--rounds", "3"],
        tmp / "embeddings_api.json",
        1200,
    )
    if data is None:
        return [("embeddings API", "did not run (needs hey)", "-", "-", "-", "-", "-")]
    med = data["latency"]["medians"]
    direct, plain, learned = med["direct"], med["passthrough"], med["learned"]
    first, last = data["memory"]["rows"][0], data["memory"]["rows"][-1]
    return [
        (
            "embeddings API", "p50 / p99 at 500 calls/s, every text learned",
            f"{learned['p50_ms']:.1f} / {learned['p99_ms']:.1f} ms",
            (
                f"plain passthrough {plain['p50_ms']:.1f} / {plain['p99_ms']:.1f} ms "
                f"(direct {direct['p50_ms']:.1f} / {direct['p99_ms']:.1f} ms)"
            ),
            f"{learned['p99_ms'] / plain['p99_ms']:.2f}x p99", "(shown)", "-",
        ),
        (
            "embeddings API", f"sidecar RSS over {last['calls']:,.0f} distinct queries",
            f"{last['rss_mib']:.1f} MiB ({last['entries']:,.0f} remembered)",
            f"after {first['calls']:,.0f}: {first['rss_mib']:.1f} MiB",
            f"{last['rss_mib'] / first['rss_mib']:.2f}x", "bounded", "-",
        ),
    ]  # fmt: skip


def reembed_rows(tmp: Path) -> list[Row]:
    """Sustained rate against the provider's limit, checkpoint cost, memory."""
    data = _run("reembed", ["bench/reembed_bench.py"], tmp / "reembed.json", 1200)
    if data is None:
        return [("reembed", "did not run", "-", "-", "-", "-", "-")]
    share = data["sustained_rpm"] / data["limit_rpm"]
    small, large = data["sizes"]
    return [
        (
            "reembed", "sustained rate, provider 50 ms/call and 600 calls/min",
            f"{data['sustained_rpm']:.1f} calls/min", "limit 600 calls/min", f"{share:.1%}",
            ">= 95 %", _ok(share >= 0.95),
        ),
        (
            "reembed", "checkpoint after every batch vs none", f"{data['checkpoint_overhead']:+.2%}",
            "no checkpoints", "-", "<= 2 %", _ok(data["checkpoint_overhead"] <= 0.02),
        ),
        (
            "reembed", f"peak RSS, {large:,} vs {small:,} chunks", f"{data['peak_rss_large_mb']:.0f} MiB",
            f"{data['peak_rss_small_mb']:.0f} MiB", f"{data['memory_ratio']:.2f}x", "flat",
            _ok(data["memory_ratio"] <= 1.25),
        ),
    ]  # fmt: skip


def inventory_rows(tmp: Path) -> list[Row]:
    """Scan time of 10,000 files against the budget and the article's grep."""
    data = _run("inventory", ["bench/inventory_bench.py"], tmp / "inv.json", 900)
    if data is None:
        return [
            (
                "inventory",
                "did not run (needs the pinned corpus: pip download)",
                "-",
                "-",
                "-",
                "-",
                "-",
            )
        ]
    return [
        (
            "inventory", f"{data['files']:,} Python files, {data['jobs']} processes",
            f"{data['inventory_s']:.2f} s, {data['findings']} findings",
            f"grep pipeline {data['grep_s']:.2f} s, {data['grep_lines']} lines",
            f"{data['inventory_s'] / data['grep_s']:.0f}x grep's time", "<= 10 s",
            _ok(data["inventory_s"] <= data["budget_s"]),
        )
    ]  # fmt: skip


def query_rows(tmp: Path) -> list[Row]:
    """Re-embedding's cost on the shadow path (needs Chroma and infinity running)."""
    if not os.environ.get("EMBEDSHIFT_TEST_CHROMA_URL") or not os.environ.get(
        "EMBEDSHIFT_TEST_INFINITY_URL"
    ):
        return [
            (
                "query re-embedding",
                "skipped: start chroma and infinity (.ci/components.sh)",
                "-",
                "-",
                "-",
                "-",
                "-",
            )
        ]
    data = _run("query", ["bench/reembed_query_bench.py"], tmp / "query.json", 900)
    if data is None:
        return [("query re-embedding", "did not run", "-", "-", "-", "-", "-")]
    mirror, reembed = data["mirror"], data["reembed"]
    compared = reembed["outcomes"].get("compared", 0)
    return [
        (
            "query re-embedding", f"{data['rps']:.0f} req/s through Chroma, queries re-embedded by infinity (mpnet, same 2 cores)",
            f"{reembed['embed_calls_per_compared_query']:.3f} embedding calls per compared query",
            f"{reembed['texts_per_call']:.1f} texts per call, {reembed['cache_hit_rate']:.0%} cache hits", "-", "(shown)", "-",
        ),
        (
            "query re-embedding", "added proxy CPU per request for re-embedding",
            f"{data['added_cpu_ms_per_request']:.2f} ms", f"mirror only {mirror['cpu_ms_per_request']:.2f} ms",
            "-", "(shown)", "-",
        ),
        (
            "query re-embedding", "client p99 (the embedding server shares the 2 cores)",
            f"{reembed['p99_ms']:.0f} ms ({compared:.0f} of {data['requests']} compared)",
            f"mirror only {mirror['p99_ms']:.1f} ms", "-", "(shown)", "-",
        ),
    ]  # fmt: skip


BENCHES: dict[str, Callable[[Path], list[Row]]] = {
    "proxy": proxy_rows,
    "calibrate": calibrate_rows,
    "reembed": reembed_rows,
    "inventory": inventory_rows,
    "query": query_rows,
    "embeddings_api": embeddings_api_rows,
}


def machine() -> str:
    """One line describing where the figures come from."""
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:  # noqa: PTH123
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg()[0]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{when}; {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average at start {load:.2f}"
    )


def render(rows: list[Row], where: str) -> str:
    """The Markdown table."""
    head = "| area | measure | embedshift | baseline (same run) | ratio | target | met |"
    lines = [f"Measured {where}.", "", head, "| --- | --- | ---: | --- | ---: | --- | --- |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    """Run, print, optionally update the table in docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    parser.add_argument(
        "--readme",
        "--docs",
        dest="readme",
        action="store_true",
        help="replace the table in docs/benchmarks.md",
    )
    args = parser.parse_args()
    if args.readme and args.only:
        parser.error("--readme writes the whole table: run every benchmark (no --only)")
    for tool in ("wrk", "hey", "nginx"):
        if shutil.which(tool) is None:
            print(
                f"bench/run: {tool} not found (.ci/components.sh install {tool})", file=sys.stderr
            )
    where = machine()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="embedshift-bench-") as tmp:
        for name, bench in BENCHES.items():
            if args.only and name not in args.only:
                continue
            rows += bench(Path(tmp))
    table = render(rows, where)
    print(table)
    if args.readme:
        page = TABLE_PAGE.relative_to(ROOT)
        text = TABLE_PAGE.read_text(encoding="utf-8")
        if BEGIN not in text or END not in text:
            print(f"bench/run: {page} lacks the markers {BEGIN!r} ... {END!r}", file=sys.stderr)
            return 2
        head, rest = text.split(BEGIN, 1)
        _, tail = rest.split(END, 1)
        TABLE_PAGE.write_text(f"{head}{BEGIN}\n{table}{END}{tail}", encoding="utf-8")
        print(f"bench/run: wrote the table into {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
