"""Benchmark: ``embedshift demo`` run N times, each as a user runs it; does it always flip?

Each run is a child process, ``python -m proxy demo --json`` (plus any arguments after
``--``), one after another. Printed: how many runs reached flipped, the time to flipped
(min / median / max, from each summary's timeline), the whole runs' durations, the load
average before the first and after the last run (the machine may be shared: figures from a busy
machine say so), and for every run that did not reach flipped its exit status, outcome, why,
and every gate failure it saw on the way (time, mode, segment, criterion and the gate's
reason: ``gate_failures`` in the summary).

    .venv/bin/python bench/demo_repeat.py [--runs 20] [--json out.json] [-- --scenario ...]

Exit status: 0 when every run reached flipped, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 240.0


def one_run(extra: list[str]) -> dict[str, Any]:
    """One demo run: its exit status, wall time, load average before it and its summary."""
    load = os.getloadavg()[0]
    started = time.monotonic()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "proxy", "demo", "--json", *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return {"status": None, "wall_s": TIMEOUT_S, "load": load, "summary": None,
                "error": f"no answer within {TIMEOUT_S:g} s"}  # fmt: skip
    try:
        summary = json.loads(done.stdout)
    except ValueError:
        summary = None
    return {
        "status": done.returncode,
        "wall_s": round(time.monotonic() - started, 1),
        "load": load,
        "summary": summary,
        "error": None if summary is not None else done.stderr.strip()[-600:],
    }


def spread(values: list[float]) -> str:
    """``min / median / max`` of ``values`` in seconds; ``-`` when empty."""
    if not values:
        return "-"
    return f"{min(values):.1f} / {statistics.median(values):.1f} / {max(values):.1f} s"


def failure_lines(number: int, run: dict[str, Any]) -> list[str]:
    """What a run that did not flip says about why."""
    summary = run["summary"]
    head = f"run {number}: exit {run['status']}, load average {run['load']:.2f} before it"
    if summary is None:
        return [head, f"  no summary: {run['error']}"]
    out = [head, f"  outcome {summary['outcome']}: {summary['why']}"]
    for failure in summary.get("gate_failures", []):
        for segment, criteria in failure["segments"].items():
            for name, reason in criteria.items() or [("?", "criteria not read")]:
                out.append(f"  {failure['at_s']:5.1f} s in {failure['mode']}: {segment} {name}: "
                           f"{reason}")  # fmt: skip
    return out


def main() -> int:
    """Run the demo ``--runs`` times and print the figures (module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="how many runs (default 20)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every summary")
    parser.add_argument("extra", nargs="*", help="arguments for embedshift demo, after --")
    args = parser.parse_args()
    load_before = os.getloadavg()
    runs = []
    for number in range(1, args.runs + 1):
        run = one_run(args.extra)
        runs.append(run)
        summary = run["summary"] or {}
        flipped = (summary.get("timeline") or {}).get("flipped_s")
        print(
            f"run {number:2d}: exit {run['status']}, {summary.get('outcome', 'no summary')}"
            + ("" if flipped is None else f" at {flipped:.1f} s")
            + f", run {run['wall_s']:.1f} s, load {run['load']:.2f}",
            flush=True,
        )
    load_after = os.getloadavg()
    reached = [r for r in runs if (r["summary"] or {}).get("reached_flipped")]
    to_flip = [r["summary"]["timeline"]["flipped_s"] for r in reached]
    lines = [
        "",
        f"reached flipped: {len(reached)}/{len(runs)}",
        f"time to flipped (min / median / max): {spread(to_flip)}",
        f"whole run, wall (min / median / max): {spread([r['wall_s'] for r in runs])}",
        "load average (1, 5, 15 min): before "
        + ", ".join(f"{v:.2f}" for v in load_before)
        + "; after "
        + ", ".join(f"{v:.2f}" for v in load_after)
        + f" ({os.cpu_count()} cores)",
    ]
    for number, run in enumerate(runs, 1):
        if run not in reached:
            lines += failure_lines(number, run)
    print("\n".join(lines))
    if args.json is not None:
        args.json.write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    return 0 if len(reached) == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
