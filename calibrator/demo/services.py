"""The demo's listeners and its one child process, all on loopback.

The search backends and the embeddings API run in the demo's own process, each on a port the
system picks (:func:`start_site`). ``embedshift serve`` runs as a child process
(:class:`ServeProcess`), as an operator would run it, with the admin token in its
environment; it starts the calibrator worker as its own child. Its listeners are configured by
number, so their ports are picked free just before (:func:`free_port`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
import time

import aiohttp
from aiohttp import web

from calibrator.demo.backend import Collection, create_backend_app
from calibrator.demo.corpus import SEGMENTS, Embedded
from calibrator.demo.scenario import Scenario
from calibrator.demo.workdir import NEW_SUFFIX, TOKEN_ENV, Layout, Ports
from proxy.errors import EmbedshiftError

READY_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 30.0


class DemoError(EmbedshiftError):
    """A part of the demo could not start; the message says which and where to look."""

    exit_status = 2


def free_port() -> int:
    """A loopback port free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def start_site(app: web.Application) -> tuple[web.AppRunner, int]:
    """Serve ``app`` on a loopback port the system picks; (runner, port)."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, int(runner.addresses[0][1])


def backend_apps(
    embedded: Embedded, scenario: Scenario
) -> tuple[web.Application, web.Application, int]:
    """The old index, the new one, and how many documents the new one holds.

    The old index has collections docs, code and faq; the new one docs_v2, code_v2 and
    faq_v2, holding what ``scenario`` leaves in it.
    """
    corpus = embedded.corpus
    old, new = {}, {}
    for segment in SEGMENTS:
        rows = corpus.rows_of(segment)
        payloads = [{"segment": segment, "text": corpus.texts[r]} for r in rows]
        old[segment] = Collection.build(
            segment, [int(r) for r in rows], embedded.old_docs[rows], payloads
        )
        kept = scenario.new_index_rows(rows, corpus.seed)
        name = segment + NEW_SUFFIX
        new[name] = Collection.build(
            name,
            [int(r) for r in kept],
            embedded.new_docs[kept],
            [{"segment": segment, "text": corpus.texts[r]} for r in kept],
        )
    held = sum(len(c.ids) for c in new.values())
    return create_backend_app(old), create_backend_app(new), held


class ServeProcess:
    """``embedshift serve --config <layout.config>`` as a child process."""

    def __init__(self) -> None:
        """Nothing runs until :meth:`start`."""
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, layout: Layout, ports: Ports, token: str) -> None:
        """Start it in its own session (Ctrl-C reaches the demo only); wait until ready."""
        env = {**os.environ, TOKEN_ENV: token}
        with layout.serve_log.open("ab") as log_file:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "proxy", "serve", "--config", str(layout.config),
                stdin=asyncio.subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                cwd=layout.root, env=env, start_new_session=True,
            )  # fmt: skip
        ready = f"http://127.0.0.1:{ports.metrics}/readyz"
        deadline = time.monotonic() + READY_TIMEOUT_S
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=1.0)) as session:
            while time.monotonic() < deadline and self.process.returncode is None:
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with session.get(ready) as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        tail = layout.serve_log.read_text(errors="replace").strip().splitlines()[-3:]
        raise DemoError(
            f"embedshift serve did not become ready (see {layout.serve_log}): " + " | ".join(tail)
        )

    async def stop(self) -> None:
        """SIGTERM (it drains, stops its worker and exits); SIGKILL if it hangs."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
