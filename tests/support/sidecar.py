"""The one way tests and benchmarks run ``python -m proxy serve``: a real process, on loopback.

:class:`Sidecar` writes the config (listeners on free ports, JSON logs, examples and mode
databases in its own folder unless the given config has them), starts the process, waits for
``/healthz``, reads ``/metrics`` back, and stops it with SIGTERM. Unless told otherwise
(``shed_load=True``, as the benchmark does) its config never sheds load: a test counts every
mirror, whatever the machine's load. :func:`qdrant_config` is the tests' usual config: the two
upstreams, segments ``docs`` and ``code``, the Qdrant search route.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from prometheus_client.parser import text_string_to_metric_families

from tests.support.components import free_port, wait_http_ok
from tests.support.config import QDRANT_ROUTE, never_shed


def qdrant_config(old_url: str, new_url: str, extra: str = "") -> str:
    """Upstreams ``old`` and ``new``, segments ``docs`` and ``code``, the Qdrant search route."""
    upstreams = textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{old_url}"
        [upstreams.new]
        url = "{new_url}"
        [segments]
        names = ["docs", "code"]
        """
    )
    return upstreams + QDRANT_ROUTE + textwrap.dedent(extra)


PORT_TRIES = 3
"""Starts tried when a picked metrics or admin port was taken meanwhile."""


class Sidecar:
    """``python -m proxy serve`` with a config written for it in ``workdir``."""

    def __init__(
        self,
        workdir: Path,
        config: str,
        *,
        env: dict[str, str] | None = None,
        port: int | None = None,
        reuse_port: bool = False,
        shed_load: bool = False,
        drain_timeout_s: float = 10.0,
    ) -> None:
        """Write the config; :meth:`start` runs it.

        ``config`` is TOML without ``[proxy]``, ``[metrics]`` and ``[admin]`` (the launcher
        writes those); ``port`` is the proxy's (shared by processes with ``reuse_port``).
        """
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = free_port() if port is None else port
        self.metrics_port, self.admin_port = free_port(), free_port()
        self.config_path = workdir / "config.toml"
        self.log = workdir / "sidecar.log"
        self.env = {**os.environ, **(env or {})}
        self.reuse_port = reuse_port
        self.shed_load = shed_load
        self.drain_timeout_s = drain_timeout_s
        self.proc: subprocess.Popen[bytes] | None = None
        self.write(config)

    def write(self, config: str) -> None:
        """(Re)write the config file around ``config`` (a running sidecar reads it on SIGHUP)."""
        self.body = config
        body = textwrap.dedent(config)
        head = textwrap.dedent(
            f"""
            [proxy]
            listen = "127.0.0.1:{self.port}"
            reuse_port = {str(self.reuse_port).lower()}
            drain_timeout_s = {self.drain_timeout_s}
            [metrics]
            listen = "127.0.0.1:{self.metrics_port}"
            [admin]
            listen = "127.0.0.1:{self.admin_port}"
            """
        )
        if "[examples]" not in body:
            head += f'[examples]\npath = "{self.workdir / "examples.sqlite"}"\n'
        if "[modes]" not in body:
            head += f'[modes]\nstate_path = "{self.workdir / "modes.sqlite"}"\n'
        if "[logging]" not in body:
            head += '[logging]\nformat = "json"\n'
        self.config_path.write_text(head + (body if self.shed_load else never_shed(body)))

    host = "127.0.0.1"

    @property
    def url(self) -> str:
        """Base URL of the proxy listener."""
        return f"http://{self.host}:{self.port}"

    @property
    def metrics_url(self) -> str:
        """Base URL of the ops listener (``/metrics``, ``/healthz``, ``/readyz``)."""
        return f"http://127.0.0.1:{self.metrics_port}"

    @property
    def admin_url(self) -> str:
        """Base URL of the admin API."""
        return f"http://127.0.0.1:{self.admin_port}"

    @property
    def pid(self) -> int:
        """The process id (started sidecars only)."""
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout_s: float = 30.0) -> Self:
        """Start and wait until ``/healthz`` answers.

        The metrics and admin ports are picked free when the config is written, and another
        test's process may bind one first: then the sidecar exits saying so, fresh ports are
        picked and it starts again (three tries). The proxy's port is the test's, never changed.
        """
        for attempt in range(PORT_TRIES):
            with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "proxy", "serve", "--config", str(self.config_path)],
                    cwd=self.workdir,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            try:
                wait_http_ok(f"{self.metrics_url}/healthz", self.proc, self.log, timeout_s)
            except AssertionError as e:
                taken = "Address already in use" in str(e) and any(
                    f"[{listener}].listen" in str(e) for listener in ("metrics", "admin")
                )
                if not taken or attempt == PORT_TRIES - 1:
                    raise
                self.metrics_port, self.admin_port = free_port(), free_port()
                self.write(self.body)
                continue
            return self
        raise AssertionError("unreachable")  # the last try returned or raised

    def signal(self, sig: signal.Signals) -> None:
        """Send ``sig`` to the sidecar."""
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_exit(self, timeout_s: float = 30.0) -> int:
        """The exit status once the sidecar ends by itself (after a signal already sent).

        Not :meth:`stop`, which signals again: a second SIGTERM while the first drains may
        end the process by the signal's default action.
        """
        assert self.proc is not None
        return self.proc.wait(timeout=timeout_s)

    def stop(self) -> int:
        """SIGTERM and wait (SIGKILL after 20 s); returns the exit status."""
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

    def __enter__(self) -> Self:
        """Start (unless started already)."""
        return self if self.proc is not None else self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()

    def samples(self) -> list[tuple[str, dict[str, str], float]]:
        """Every sample of the live ``/metrics``: (name, labels, value)."""
        with urllib.request.urlopen(f"{self.metrics_url}/metrics", timeout=10) as answer:
            text = answer.read().decode()
        return [
            (sample.name, dict(sample.labels), float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]

    def metric(self, name: str, **labels: str) -> float | None:
        """The first sample named ``name`` whose labels include ``labels``, or None."""
        for sample, found, value in self.samples():
            if sample == name and all(found.get(k) == v for k, v in labels.items()):
                return value
        return None

    def value(self, name: str, **labels: str) -> float:
        """:meth:`metric`, 0 when there is no such sample."""
        found = self.metric(name, **labels)
        return 0.0 if found is None else found

    def outcomes(self, route: str) -> dict[str, float]:
        """Shadow outcomes of ``route`` summed over segments, zeros left out."""
        out: dict[str, float] = {}
        for name, labels, value in self.samples():
            if (
                name == "embedshift_shadow_requests_total"
                and labels.get("route") == route
                and value
            ):
                out[labels["outcome"]] = out.get(labels["outcome"], 0.0) + value
        return out

    def wait_outcomes(self, route: str, total: int, timeout_s: float = 60.0) -> dict[str, float]:
        """Outcomes once ``total`` mirrors of ``route`` have ended (the shadow is asynchronous)."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = self.outcomes(route)
            if sum(found.values()) >= total or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def rss_bytes(self) -> int:
        """Resident memory of the sidecar process now."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        msg = "no VmRSS line"
        raise AssertionError(msg)

    def log_lines(self) -> list[str]:
        """What the sidecar logged so far."""
        return self.log.read_text(errors="replace").splitlines()

    def log_events(self, event: str) -> list[dict[str, Any]]:
        """The JSON log lines whose event is ``event``."""
        out = []
        for line in self.log_lines():
            with contextlib.suppress(ValueError):
                doc = json.loads(line)
                if isinstance(doc, dict) and doc.get("event") == event:
                    out.append(doc)
        return out


def wait_until(done: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    """Poll ``done()`` until it is true; False after ``timeout_s`` (a bound, never a measure)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if done():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
