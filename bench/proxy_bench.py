"""Benchmark: the shadow proxy against direct access and nginx with ``mirror``, same run.

Loopback backends answer searches in 5 ms (the new one in 5 ms, then in 50 ms: a shadow ten
times slower than the primary). For each target (direct, nginx-mirror with one worker,
embedshift in one process, every search mirrored and compared):

* maximum throughput: ``wrk`` with 64 connections for ``--seconds``;
* p50 and p99 latency at 500 requests per second (``hey``, 10 workers x 50/s), and the CPU
  time the target's processes used per request during that run (``/proc/PID/stat``).

Added latency is the target's percentile minus direct access's in the same scenario. The
embedshift rows also check that every request of the 500/s run was mirrored and compared.

    .venv/bin/python bench/proxy_bench.py [--seconds 8] [--json out.json]

Needs wrk, hey and nginx (``.ci/components.sh install wrk hey nginx``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import cpu_seconds, hey_at_500  # noqa: E402
from tests.support.sidecar import Sidecar  # noqa: E402 - the one sidecar launcher

PY = sys.executable
BODY = '{"vector": [0.1, 0.2, 0.3, 0.4], "limit": 10}'
PATH = "/collections/docs/points/search"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1):  # noqa: S310
            return
        time.sleep(0.05)
    raise SystemExit(f"{url} did not come up")


@contextlib.contextmanager
def process(
    args: list[str], log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def children(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    ).stdout
    return [int(p) for p in out.split()]


def wrk_throughput(url: str, seconds: int, tmp: Path) -> float:
    script = tmp / "post.lua"
    script.write_text(
        f"wrk.method = \"POST\"\nwrk.body = '{BODY}'\n"
        'wrk.headers["Content-Type"] = "application/json"\nwrk.headers["X-Segment"] = "docs"\n'
    )
    out = subprocess.run(
        ["wrk", "-t2", "-c64", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  wrk: {errors.group(1)} non-2xx answers from {url}", file=sys.stderr)
    return float(match.group(1)) if match else 0.0


def hey_latency(url: str, seconds: int) -> tuple[float, float, int, int]:
    """(p50 ms, p99 ms, requests, non-200 answers) at 500 requests per second."""
    run = hey_at_500(url, seconds, BODY, ["X-Segment: docs"])
    return run["p50_ms"], run["p99_ms"], int(run["requests"]), int(run["errors"])


@dataclass
class Row:
    scenario: str
    target: str
    max_rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float | None
    requests: int
    errors: int
    compared: int | None = None


def nginx_conf(tmp: Path, port: int, old: int, new: int) -> Path:
    conf = tmp / "nginx.conf"
    conf.write_text(
        textwrap.dedent(
            f"""
            worker_processes 1;
            pid {tmp}/nginx.pid;
            error_log {tmp}/nginx-error.log warn;
            events {{ worker_connections 4096; }}
            http {{
              access_log off;
              client_body_temp_path {tmp}/body;
              proxy_temp_path {tmp}/proxy;
              upstream old {{ server 127.0.0.1:{old}; keepalive 128; }}
              upstream new {{ server 127.0.0.1:{new}; keepalive 128; }}
              server {{
                listen 127.0.0.1:{port} reuseport;
                location / {{
                  mirror /mirror;
                  mirror_request_body on;
                  proxy_pass http://old;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                }}
                location = /mirror {{
                  internal;
                  proxy_pass http://new$request_uri;
                  proxy_http_version 1.1;
                  proxy_set_header Connection "";
                }}
              }}
            }}
            """
        )
    )
    return conf


def sidecar_config(old: int, new: int) -> str:
    """Every search mirrored and compared, bounds out of the way, quiet logs."""
    return textwrap.dedent(
        f"""
        [upstreams.old]
        url = "http://127.0.0.1:{old}"
        [upstreams.new]
        url = "http://127.0.0.1:{new}"
        [shadow]
        sample_rate = 1.0
        max_in_flight = 4096
        max_rps = 100000
        timeout_s = 2.0
        [segments]
        names = ["docs"]
        [logging]
        format = "json"
        level = "warning"
        [[routes]]
        name = "search"
        path = "/collections/{{collection}}/points/search"
        adapter = "qdrant"
        segment = {{ header = "X-Segment" }}
        """
    )


def measure(scenario: str, target: str, url: str, pids: list[int], seconds: int, tmp: Path) -> Row:
    wrk_throughput(url, 2, tmp)  # warm-up: pools, caches
    max_rps = wrk_throughput(url, seconds, tmp)
    time.sleep(1.0)
    before = cpu_seconds(pids) if pids else 0.0
    p50, p99, requests, errors = hey_latency(url, seconds)
    cpu = (cpu_seconds(pids) - before) / requests * 1000 if pids else None
    return Row(scenario, target, max_rps, p50, p99, cpu, requests, errors)


def run_scenario(scenario: str, shadow_delay_ms: float, seconds: int, tmp: Path) -> list[Row]:
    rows = []
    old_port, new_port = free_port(), free_port()
    with (
        process([PY, "bench/search_backend.py", str(old_port), "--delay-ms", "5"], tmp / "old.log"),
        process(
            [
                PY,
                "bench/search_backend.py",
                str(new_port),
                "--delay-ms",
                str(shadow_delay_ms),
                "--shift",
                "2",
            ],
            tmp / "new.log",
        ),
    ):
        wait_up(f"http://127.0.0.1:{old_port}/")
        wait_up(f"http://127.0.0.1:{new_port}/")
        rows.append(
            measure(scenario, "direct", f"http://127.0.0.1:{old_port}{PATH}", [], seconds, tmp)
        )

        port = free_port()
        conf = nginx_conf(tmp, port, old_port, new_port)
        with process(
            ["nginx", "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"], tmp / "nginx.log"
        ) as nginx:
            wait_up(f"http://127.0.0.1:{port}/")
            pids = [nginx.pid, *children(nginx.pid)]
            rows.append(
                measure(
                    scenario, "nginx-mirror", f"http://127.0.0.1:{port}{PATH}", pids, seconds, tmp
                )
            )

        rows.append(measure_sidecar(scenario, 1, shadow_delay_ms, old_port, new_port, seconds, tmp))
        rows.append(measure_sidecar(scenario, 2, shadow_delay_ms, old_port, new_port, seconds, tmp))
    return rows


def measure_sidecar(
    scenario: str,
    processes: int,
    shadow_delay_ms: float,
    old_port: int,
    new_port: int,
    seconds: int,
    tmp: Path,
) -> Row:
    """embedshift in ``processes`` processes sharing one port (SO_REUSEPORT), each scraped."""
    port = free_port()
    compared = {"outcome": "compared", "route": "search", "segment": "docs"}
    with contextlib.ExitStack() as stack:
        sidecars = [
            stack.enter_context(
                Sidecar(
                    tmp / f"sidecar{n}",
                    sidecar_config(old_port, new_port),
                    port=port,
                    reuse_port=processes > 1,
                    shed_load=True,  # measured as deployed: the shadow sheds under overload
                    drain_timeout_s=15.0,
                )
            )
            for n in range(processes)
        ]
        pids = [sidecar.pid for sidecar in sidecars]
        url = f"http://127.0.0.1:{port}{PATH}"
        wrk_throughput(url, 2, tmp)
        max_rps = wrk_throughput(url, seconds, tmp)
        time.sleep(2.5)  # slow shadows of the wrk run finish
        before_compared = sum(
            s.value("embedshift_shadow_requests_total", **compared) for s in sidecars
        )
        before = cpu_seconds(pids)
        p50, p99, requests, errors = hey_latency(url, seconds)
        cpu = (cpu_seconds(pids) - before) / requests * 1000
        time.sleep(shadow_delay_ms / 1000 + 0.5)
        after_compared = sum(
            s.value("embedshift_shadow_requests_total", **compared) for s in sidecars
        )
    target = "embedshift" if processes == 1 else f"embedshift x{processes}"
    return Row(
        scenario,
        target,
        max_rps,
        p50,
        p99,
        cpu,
        requests,
        errors,
        int(after_compared - before_compared),
    )


def table(rows: list[Row]) -> str:
    lines = [
        (
            "| scenario | target | max req/s | vs nginx-mirror | p50 ms | p99 ms | added p99 ms "
            "| CPU ms/req | compared at 500/s |"
        ),
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for scenario in dict.fromkeys(r.scenario for r in rows):
        group = {r.target: r for r in rows if r.scenario == scenario}
        direct, nginx = group["direct"], group.get("nginx-mirror")
        for r in group.values():
            ratio = f"{r.max_rps / nginx.max_rps:.2f}x" if nginx and nginx.max_rps else "-"
            added = f"{r.p99_ms - direct.p99_ms:+.2f}" if r.target != "direct" else "-"
            cpu = f"{r.cpu_ms_per_request:.3f}" if r.cpu_ms_per_request is not None else "-"
            compared = f"{r.compared}/{r.requests}" if r.compared is not None else "-"
            lines.append(
                f"| {scenario} | {r.target} | {r.max_rps:,.0f} | {ratio} | {r.p50_ms:.2f} "
                f"| {r.p99_ms:.2f} | {added} | {cpu} | {compared} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    for tool in ("wrk", "hey", "nginx"):
        if shutil.which(tool) is None:
            print(
                f"proxy_bench: {tool} not found; run .ci/components.sh install wrk hey nginx",
                file=sys.stderr,
            )
            return 2
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="embedshift-bench-") as tmp:
        for scenario, delay in (("shadow 5 ms", 5.0), ("shadow 50 ms", 50.0)):
            rows += run_scenario(scenario, delay, args.seconds, Path(tmp))
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
