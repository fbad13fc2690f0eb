"""What the benchmarks share to load a server and read its cost.

- :func:`cpu_seconds`: user and system CPU time of processes so far (``/proc/PID/stat``);
- :func:`hey_at_500`: ``hey`` at 500 requests per second (10 workers x 50/s) posting one JSON
  body, and its p50, p99, requests and non-200 answers.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU time of ``pids`` so far, summed."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def hey_at_500(url: str, seconds: int, body: str, headers: Iterable[str] = ()) -> dict[str, float]:
    """p50 and p99 (ms), requests and non-200 answers of ``seconds`` at 500 requests per second."""
    extra = [arg for header in headers for arg in ("-H", header)]
    out = subprocess.run(
        ["hey", "-z", f"{seconds}s", "-c", "10", "-q", "50", "-m", "POST",
         "-T", "application/json", *extra, "-d", body, url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    p50 = float(re.search(r"50% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    codes = {int(c): int(n) for c, n in re.findall(r"\[(\d{3})\]\s+(\d+) responses", out)}
    total = sum(codes.values())
    return {"p50_ms": p50, "p99_ms": p99, "requests": total, "errors": total - codes.get(200, 0)}
