"""Real components for integration tests: finding them, and a Prometheus runner.

``.ci/components.sh`` installs and starts the components and prints what tests need as
environment variables (``eval "$(.ci/components.sh env)"``); ``.ci/run`` does that for CI. Each
fixture of ``tests/conftest.py`` returns one of those values (:func:`component`). When it is
absent the test is skipped with a reason naming the command that starts the component, except
under ``EMBEDSHIFT_REQUIRE_COMPONENTS=1`` (CI sets it), where the test fails instead: CI can
never pass by silently skipping.

Official clients: ``typesense`` (the Python client of the 0.24 era) is in the project's test
extra and runs in-process (it is synchronous: call it through ``asyncio.to_thread`` when the
server under test runs in the test's own event loop). Chroma's client leaks its HTTP sessions
(``ResourceWarning``, which pytest turns into errors), so it runs in a subprocess with Chroma's
own venv: see :func:`run_python` and the ``chroma_python`` fixture.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REQUIRE_VAR = "EMBEDSHIFT_REQUIRE_COMPONENTS"


def component(var: str, what: str, start: str) -> str:
    """The value of ``var``; skips (or fails under ``EMBEDSHIFT_REQUIRE_COMPONENTS=1``) if unset.

    Args:
        var: the environment variable that ``.ci/components.sh env`` prints.
        what: the component, as a person calls it (for the message).
        start: the command that makes it available (for the message).
    """
    value = os.environ.get(var, "")
    if value:
        return value
    then = '`eval "$(.ci/components.sh env)"`'
    reason = f"{what} not available: {var} is unset (run `{start}` then {then})"
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{reason}; {REQUIRE_VAR}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def server_value(var: str, name: str, what: str) -> str:
    """A running component's address (``.ci/components.sh start NAME`` starts it)."""
    start = f".ci/components.sh install {name} && .ci/components.sh start {name}"
    return component(var, what, start).rstrip("/")


def binary_value(var: str, name: str, what: str) -> str:
    """An installed binary's path: ``var`` when set, else ``what`` found on PATH.

    ``.ci/components.sh install NAME`` installs it (and ``env`` names it in ``var``); a machine
    that already has the tool on PATH needs neither.
    """
    if not os.environ.get(var):
        found = shutil.which(what)
        if found is not None:
            return found
    return component(var, what, f".ci/components.sh install {name}")


@dataclass(frozen=True)
class Typesense:
    """A running Typesense 0.24.1 server: its base URL and its admin API key."""

    url: str
    key: str


def run_python(python: str, code: str, env: Mapping[str, str] | None = None) -> Any:
    """Run ``code`` with another Python (a component's venv) and parse the JSON it prints last.

    The script reads its inputs from ``env`` (added to the environment) and prints one JSON
    document as its last line of output. A failure raises ``AssertionError`` with its stderr.
    """
    done = subprocess.run(
        [python, "-c", code],
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False", **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0:
        msg = f"{python} exited {done.returncode}:\n{done.stderr[-3000:]}"
        raise AssertionError(msg)
    return json.loads(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_http_ok(url: str, proc: subprocess.Popen[bytes], log: Path, timeout_s: float) -> None:
    """Poll ``url`` until it answers 2xx; fail showing the log if ``proc`` dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:]
            msg = f"process exited ({proc.returncode}) before {url} answered:\n{tail}"
            raise AssertionError(msg)
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url, timeout=2) as answer,
        ):
            if 200 <= answer.status < 300:
                return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:]
    msg = f"{url} did not answer within {timeout_s} s:\n{tail}"
    raise AssertionError(msg)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def running_prometheus(
    binary: str,
    config: str,
    workdir: Path,
    files: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> Iterator[str]:
    """Run a real Prometheus with ``config`` (YAML text) on a free loopback port; yield its URL.

    ``files`` (name to text: rule files and the like, which ``config`` names relative to
    ``workdir``) are written beside the config. Prometheus keeps its data and its log
    (``prometheus.log``) in ``workdir``; it is stopped when the block exits. Readiness waits on
    ``/-/ready``; blocking is fine inside async tests, since readiness needs no scrape.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text(config)
    for name, text in (files or {}).items():
        (workdir / name).write_text(text)
    log = workdir / "prometheus.log"
    # A port found free can be taken before Prometheus binds it: try a few.
    for attempt in range(3):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [
                    binary,
                    f"--config.file={workdir / 'prometheus.yml'}",
                    f"--storage.tsdb.path={workdir / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                ],
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_http_ok(f"{url}/-/ready", proc, log, timeout_s)
        except AssertionError:
            _stop(proc)
            if attempt < 2 and "address already in use" in log.read_text(errors="replace"):
                continue
            raise
        try:
            yield url
        finally:
            _stop(proc)
        return


def prometheus_query(url: str, expr: str) -> list[dict[str, Any]]:
    """The ``data.result`` of an instant query ``expr`` against the Prometheus at ``url``."""
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as answer:
        body = json.load(answer)
    assert body["status"] == "success", body
    result: list[dict[str, Any]] = body["data"]["result"]
    return result
