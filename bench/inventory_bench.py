"""Benchmark: `embedshift inventory` over 10,000 real Python files on two worker processes.

The files are the pinned real packages of the inventory's benchmark (all of
tests/calibrator/inventory/corpus_expected.toml: langchain, llama-index, haystack, qdrant,
chroma, redisvl, mem0, agno, semantic-kernel, ...), unpacked from their wheels (fetched with
`pip download --no-deps` into .ci-cache/inventory-corpus when absent) and copied round-robin
into a temp folder until there are 10,000 of them (test files keep their role: they are
renamed, so they are scanned). The baseline, timed on the same folder in the same run, is the
article's grep pipeline. Budget: 10 s for the inventory (exit status 1 when over). The load
average at the start and the end is printed beside the times: the wall time includes whatever
else the machine runs.

    .venv/bin/python bench/inventory_bench.py [--files 10000] [--jobs 2] [--packages NAME...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from calibrator.inventory.findings import MEDIUM, dedupe  # noqa: E402
from calibrator.inventory.walk import iter_sources, scan_sources  # noqa: E402
from tests.calibrator.inventory.benchmark import (  # noqa: E402
    ARTICLE_GREP,
    expectations,
    fetch_all,
)

BUDGET_S = 10.0


def corpus_files(only: list[str] | None = None) -> list[Path]:
    """Every Python file of the benchmark's pinned packages (fetched when absent)."""
    pinned = {n: v for n, v in expectations()["packages"].items() if not only or n in only}
    return [f for root in fetch_all(pinned).values() for f in sorted(root.rglob("*.py"))]


def build_tree(files: list[Path], count: int, folder: Path) -> int:
    total = 0
    for i in range(count):
        source = files[i % len(files)]
        target = folder / f"copy{i // len(files)}" / f"f{i:05d}_{source.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        total += target.stat().st_size
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--packages", nargs="*", default=None, metavar="NAME", help="only these (default: all)"
    )
    args = parser.parse_args()
    files = corpus_files(args.packages)
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="inventory-bench-") as temp:
        folder = Path(temp)
        size = build_tree(files, args.files, folder)
        print(f"corpus: {args.files} Python files ({len(files)} distinct), {size / 1e6:.1f} MB")

        start = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_before = resource.getrusage(resource.RUSAGE_SELF)
        result = scan_sources(iter_sources([folder]), jobs=args.jobs)
        inventory_s = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        own_after = resource.getrusage(resource.RUSAGE_SELF)
        cpu_s = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        parent_s = (own_after.ru_utime + own_after.ru_stime) - (
            own_before.ru_utime + own_before.ru_stime
        )
        findings = dedupe([f for f in result.findings if f.confidence >= MEDIUM])

        start = time.perf_counter()
        grep = subprocess.run(
            ["bash", "-c", ARTICLE_GREP], cwd=folder, capture_output=True, text=True, check=False
        )
        grep_s = time.perf_counter() - start
        grep_lines = len(grep.stdout.splitlines())

    print(
        f"inventory: {inventory_s:.2f} s with {args.jobs} processes "
        f"({args.files / inventory_s:,.0f} files/s), {len(findings)} findings, "
        f"{len(result.errors)} files skipped"
    )
    print(
        f"  worker CPU time {cpu_s:.2f} s, parent (walk, linking) {parent_s:.2f} s: "
        f"{cpu_s / args.jobs + parent_s:.2f} s on {args.jobs} idle cores "
        f"(the wall time above includes whatever else this machine was running)"
    )
    print(f"grep pipeline: {grep_s:.2f} s, {grep_lines} lines")
    load_end = os.getloadavg()
    print(
        f"load average (1, 5, 15 min): {load_start[0]:.2f} {load_start[1]:.2f} "
        f"{load_start[2]:.2f} at the start, {load_end[0]:.2f} {load_end[1]:.2f} "
        f"{load_end[2]:.2f} at the end"
    )
    print(f"inventory / grep time: {inventory_s / grep_s:.1f}x")
    if args.json is not None:
        figures = {
            "files": args.files, "jobs": args.jobs, "inventory_s": inventory_s,
            "worker_cpu_s": cpu_s, "parent_cpu_s": parent_s, "findings": len(findings),
            "grep_s": grep_s,
            "grep_lines": grep_lines, "budget_s": BUDGET_S,
            "load_average_start": load_start, "load_average_end": load_end,
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    verdict = "within" if inventory_s <= BUDGET_S else "OVER"
    print(f"budget: {verdict} {BUDGET_S:.0f} s")
    return 0 if inventory_s <= BUDGET_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
