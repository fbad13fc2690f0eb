"""Run ``embedshift serve`` and FakeQdrant backends as real processes, for life-cycle tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import urllib.request
from contextlib import suppress
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.components import free_port, wait_http_ok

ROOT = Path(__file__).resolve().parent.parent


def start_backend(
    marker: str, tmp: Path, shift: int = 0, delay: float = 0.0
) -> tuple[str, subprocess.Popen[bytes]]:
    """A FakeQdrant in its own process; returns its URL and the process."""
    port = free_port()
    log = tmp / f"backend-{marker}.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.backend_server",
                str(port),
                marker,
                "--shift",
                str(shift),
                "--delay",
                str(delay),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_http_ok(f"{url}/ready", proc, log, 30)
    return url, proc


class SidecarProcess:
    """``python -m proxy serve`` with a config written for the test."""

    def __init__(
        self,
        tmp: Path,
        old_url: str,
        new_url: str,
        extra: str = "",
        env: dict[str, str] | None = None,
    ) -> None:
        """Write the config; :meth:`start` runs it."""
        self.tmp = tmp
        self.port, self.metrics_port, self.admin_port = free_port(), free_port(), free_port()
        self.config = tmp / "config.toml"
        self.log = tmp / "sidecar.log"
        self.env = {**os.environ, **(env or {})}
        self.write(old_url, new_url, extra)
        self.proc: subprocess.Popen[bytes] | None = None

    def write(self, old_url: str, new_url: str, extra: str = "") -> None:
        """(Re)write the config file."""
        self.config.write_text(
            textwrap.dedent(
                f"""
                [proxy]
                listen = "127.0.0.1:{self.port}"
                drain_timeout_s = 10.0
                [metrics]
                listen = "127.0.0.1:{self.metrics_port}"
                [admin]
                listen = "127.0.0.1:{self.admin_port}"
                [upstreams.old]
                url = "{old_url}"
                [upstreams.new]
                url = "{new_url}"
                [segments]
                names = ["docs", "code"]
                [examples]
                path = "{self.tmp / "examples.sqlite"}"
                [logging]
                format = "json"
                [[routes]]
                name = "search"
                path = "/collections/{{collection}}/points/search"
                adapter = "qdrant"
                segment = {{ header = "X-Segment" }}
                """
            )
            + (
                f'[modes]\nstate_path = "{self.tmp / "modes.sqlite"}"\n'
                if "[modes]" not in extra
                else ""
            )
            + textwrap.dedent(extra)
        )

    @property
    def url(self) -> str:
        """Base URL of the proxy listener."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        """Base URL of the ops listener."""
        return f"http://127.0.0.1:{self.metrics_port}"

    def start(self) -> SidecarProcess:
        """Start and wait until /healthz answers."""
        with self.log.open("wb") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "proxy", "serve", "--config", str(self.config)],
                cwd=ROOT,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        wait_http_ok(f"{self.metrics_url}/healthz", self.proc, self.log, 30)
        return self

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the sidecar."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit status."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def metric(self, name: str, labels: dict[str, str] | None = None) -> float | None:
        """One sample's value from the live /metrics, or None."""
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == name and all(
                    sample.labels.get(k) == v for k, v in (labels or {}).items()
                ):
                    return float(sample.value)
        return None

    def rss_bytes(self) -> int:
        """Resident memory of the sidecar process now."""
        assert self.proc is not None
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        msg = "no VmRSS line"
        raise AssertionError(msg)

    def log_lines(self) -> list[str]:
        """What the sidecar logged so far."""
        return self.log.read_text(errors="replace").splitlines()


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """Terminate and reap a helper process."""
    with suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
