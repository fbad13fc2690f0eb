"""The sidecar as operators run it: ``python -m proxy serve`` in a subprocess, on loopback."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.components import free_port, wait_http_ok


@dataclass(frozen=True)
class Proxy:
    """A running sidecar: where clients and scrapes go, and its log."""

    host: str
    port: int
    metrics_url: str
    log: Path
    pid: int

    @property
    def url(self) -> str:
        """The client-facing base URL."""
        return f"http://{self.host}:{self.port}"

    def samples(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        """Every sample of /metrics, keyed by (name, sorted labels)."""
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        out = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return out

    def value(self, name: str, **labels: str) -> float:
        """One sample's value (0 when absent)."""
        return self.samples().get((name, tuple(sorted(labels.items()))), 0.0)

    def outcomes(self, route: str) -> dict[str, float]:
        """Shadow outcomes of ``route`` (segment other), zeros left out."""
        out: dict[str, float] = {}
        for (name, labels), value in self.samples().items():
            found = dict(labels)
            if name == "embedshift_shadow_requests_total" and found.get("route") == route and value:
                out[found["outcome"]] = out.get(found["outcome"], 0.0) + value
        return out

    def wait_outcomes(self, route: str, total: int, timeout_s: float = 60.0) -> dict[str, float]:
        """Outcomes once ``total`` mirrored requests have ended (the shadow is asynchronous)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.outcomes(route)
            if sum(found.values()) >= total or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def log_events(self, event: str) -> list[dict[str, object]]:
        """The JSON log lines whose event is ``event``."""
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                doc = json.loads(line)
                if isinstance(doc, dict) and doc.get("event") == event:
                    out.append(doc)
        return out


@contextlib.contextmanager
def running_proxy(workdir: Path, config: str) -> Iterator[Proxy]:
    """Start ``python -m proxy serve`` with ``config`` (TOML without listeners); stop on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port, metrics_port, admin_port = free_port(), free_port(), free_port()
    head = textwrap.dedent(
        f"""
        [proxy]
        listen = "127.0.0.1:{port}"
        [metrics]
        listen = "127.0.0.1:{metrics_port}"
        [admin]
        listen = "127.0.0.1:{admin_port}"
        [examples]
        path = "{workdir / "examples.sqlite"}"
        [logging]
        format = "json"
        """
    )
    path = workdir / "config.toml"
    path.write_text(head + textwrap.dedent(config))
    log = workdir / "proxy.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "proxy", "serve", "--config", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    metrics_url = f"http://127.0.0.1:{metrics_port}"
    try:
        wait_http_ok(f"{metrics_url}/healthz", proc, log, 30.0)
        yield Proxy("127.0.0.1", port, metrics_url, log, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
