"""``embedshift serve`` runs the calibrator worker as a child process and keeps it running.

The worker (``python -m calibrator worker --config ...``) is a separate process so that the
proxy never imports numpy or faiss and the GIL-heavy scoring never shares an interpreter with
the request path; the two talk through files only (the thresholds document it publishes and
its status JSON). This supervisor starts it, restarts it with exponential backoff when it
exits (a crash is logged and counted, never fatal to the proxy), and on shutdown sends it
SIGTERM and waits for it (it finishes or abandons its round: publishing is atomic).

Set ``[calibrator].worker_in_serve = false`` when the worker runs elsewhere (its own container
in the pod, a CronJob).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter

from proxy.logs import get_logger

log = get_logger("calibrator.supervisor")
MAX_BACKOFF_S = 300.0


class WorkerSupervisor:
    """Keeps one calibrator worker process running for a config file."""

    def __init__(self, config_path: Path, registry: CollectorRegistry) -> None:
        """Nothing starts until :meth:`run`."""
        self.config_path = config_path
        self.process: asyncio.subprocess.Process | None = None
        self.restarts = Counter(
            "embedshift_calibrator_worker_restarts",
            "Times serve restarted the calibrator worker after it exited.",
            registry=registry,
        )

    async def run(self) -> None:
        """Start the worker and restart it when it exits, until cancelled."""
        backoff = 1.0
        try:
            while True:
                started = asyncio.get_running_loop().time()
                self.process = await asyncio.create_subprocess_exec(
                    sys.executable, "-m", "calibrator", "worker", "--config", str(self.config_path),
                    stdin=asyncio.subprocess.DEVNULL,
                )  # fmt: skip
                log.info("calibrator_worker_started", pid=self.process.pid)
                status = await self.process.wait()
                ran_s = asyncio.get_running_loop().time() - started
                backoff = 1.0 if ran_s > MAX_BACKOFF_S else min(backoff * 2, MAX_BACKOFF_S)
                log.error("calibrator_worker_exited", status=status, restart_in_s=backoff)
                self.restarts.inc()
                await asyncio.sleep(backoff)
        finally:
            await asyncio.shield(self.stop())

    async def stop(self, timeout_s: float = 30.0) -> None:
        """SIGTERM the worker and wait for it (SIGKILL after ``timeout_s``)."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(timeout_s):
                await process.wait()
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        log.info("calibrator_worker_stopped", status=process.returncode)
