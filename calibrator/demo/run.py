"""``embedshift demo``: start everything on loopback, watch the migration, summarise, clean up.

In order: generate and embed the corpus, write the calibrator's inputs and the config into
the working directory (:mod:`calibrator.demo.workdir`); start the old and the new search
backends and the new model's embeddings API in this process on free loopback ports; start
``embedshift serve`` as a child process (it runs the calibrator worker as its own child, as in
production); ask the admin API, once, to flip at once (the gate refuses: there is no evidence
yet); send labelled traffic; read the sidecar's metrics and admin API every second and show
them. Automatic promotion moves the mode through canary to flipped once the gate passes;
the run ends ``settle_s`` after the flip (or at ``duration_s``, or on Ctrl-C), stops
everything in order and prints the summary (JSON with ``--json``).

Exit status: 0 when the run reached flipped, 1 when it did not, 130 when interrupted.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import secrets
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from rich.console import Console
from rich.live import Live

from calibrator.demo.corpus import embed, generate
from calibrator.demo.embedder import create_embedder_app
from calibrator.demo.observe import Observer, Reading
from calibrator.demo.services import (
    DemoError,
    ServeProcess,
    backend_apps,
    free_port,
    start_site,
)
from calibrator.demo.summary import build_summary
from calibrator.demo.timeline import Timeline
from calibrator.demo.traffic import Traffic, requests_of
from calibrator.demo.view import Frame, live_view, summary_view
from calibrator.demo.workdir import (
    OLD_THRESHOLD,
    Layout,
    Ports,
    config_text,
    write_inputs,
)
from proxy.errors import EmbedshiftError
from proxy.thresholds.document import ThresholdsDocument, load_thresholds

TICK_S = 1.0
RECENT_S = 10.0


@dataclass(frozen=True)
class Options:
    """The command line's options."""

    duration_s: float = 60.0
    json: bool = False
    report_dir: Path | None = None
    seed: int = 7
    workdir: Path | None = None
    rate: float = 150.0
    settle_s: float = 5.0


class Demo:
    """One run of the demo."""

    def __init__(self, options: Options, console: Console) -> None:
        """Nothing starts until :meth:`run`."""
        self.options = options
        self.console = console
        self.started = time.monotonic()
        self.timeline = Timeline()
        self.token = secrets.token_urlsafe(24)
        self.runners: list[web.AppRunner] = []
        self.serve = ServeProcess()
        self.stop = asyncio.Event()
        self.interrupted = False

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.started

    def say(self, message: str) -> None:
        """A progress line before the live view starts (not with --json)."""
        if not self.options.json:
            self.console.print(f"[dim]{self.elapsed():5.1f} s[/dim]  {message}")

    async def _try_early_flip(self, observer: Observer) -> None:
        """Ask for flipped with no evidence yet: the gate must refuse (409, with its reasons)."""
        body = {"mode": "flipped", "reason": "demo: flip before any evidence"}
        status, answer = await observer.admin_post("/admin/mode", body)
        if status == 409:
            message = "an operator's flip before any evidence: refused by the gate (409)"
        else:
            message = f"an operator's early flip answered {status}: {answer.get('error')}"
        self.timeline.note(self.elapsed(), message)

    async def _watch(self, observer: Observer, traffic: Traffic, metrics_url: str) -> Reading:
        readings: list[Reading] = []
        live = None
        if not self.options.json:
            live = Live(console=self.console, auto_refresh=False, transient=False)
            live.start()
        try:
            while not self.stop.is_set():
                try:
                    reading = await observer.read()
                except (aiohttp.ClientError, OSError, TimeoutError) as e:
                    self.timeline.note(self.elapsed(), f"sidecar not readable: {e}")
                else:
                    readings.append(reading)
                    self.timeline.observe(reading, observer.audit)
                    earlier = next(
                        (r for r in reversed(readings) if reading.at - r.at >= RECENT_S),
                        readings[0],
                    )
                    if live is not None:
                        frame = Frame(
                            self.options.seed, reading.at, metrics_url, reading, earlier,
                            traffic.stats, self.timeline.events,
                        )  # fmt: skip
                        live.update(live_view(frame), refresh=True)
                    if self._finished(reading):
                        break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), TICK_S)
        finally:
            if live is not None:
                live.stop()
        if not readings:
            raise DemoError("the sidecar's metrics could not be read at all")
        return readings[-1]

    def _finished(self, reading: Reading) -> bool:
        flipped = self.timeline.flipped_s
        if flipped is not None and reading.at - flipped >= self.options.settle_s:
            return self._report_ready()
        return reading.at >= self.options.duration_s

    def _report_ready(self) -> bool:
        report = self.options.report_dir
        return (
            report is None
            or (report / "index.html").exists()
            or self.elapsed() > (self.options.duration_s)
        )

    async def run(self, layout: Layout) -> dict[str, Any]:
        """The whole run; returns the summary."""
        self.say(f"generating the corpus (seed {self.options.seed}) in {layout.root}")
        embedded = await asyncio.to_thread(lambda: embed(generate(self.options.seed)))
        await asyncio.to_thread(write_inputs, embedded, layout)
        self.timeline.corpus_ready_s = self.elapsed()
        old_app, new_app = backend_apps(embedded)
        for app in (old_app, new_app, create_embedder_app(embedded.new)):
            runner, _ = await start_site(app)
            self.runners.append(runner)
        ports_of = [int(r.addresses[0][1]) for r in self.runners]
        ports = Ports(free_port(), free_port(), free_port(), *ports_of)
        layout.config.write_text(config_text(layout, ports, self.options.report_dir))
        metrics_url = f"http://127.0.0.1:{ports.metrics}/metrics"
        admin_url = f"http://127.0.0.1:{ports.admin}"
        self.say(f"starting embedshift serve (and its calibrator worker); metrics: {metrics_url}")
        await self.serve.start(layout, ports, self.token)
        self.timeline.sidecar_ready_s = self.elapsed()
        observer = Observer(metrics_url, admin_url, self.token, self.started)
        traffic = Traffic(
            f"http://127.0.0.1:{ports.proxy}",
            requests_of(embedded),
            self.options.rate,
            seed=self.options.seed,
        )
        traffic_stop = asyncio.Event()
        sending = asyncio.create_task(traffic.run(traffic_stop))
        final = None
        try:
            await self._try_early_flip(observer)
            final = await self._watch(observer, traffic, metrics_url)
        finally:
            traffic_stop.set()
            await sending
            with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                final = await observer.read()
            await observer.close()
        document = _document(layout.thresholds)
        extra = {
            "duration_s": round(self.elapsed(), 1),
            "interrupted": self.interrupted,
            "timeline": self.timeline.milestones(),
            "events": [{"at_s": round(at, 1), "event": e} for at, e in self.timeline.events],
            "traffic": {
                "sent": traffic.stats.sent,
                "ok": traffic.stats.ok,
                "errors": traffic.stats.errors,
                "answered_by": dict(traffic.stats.by_side),
            },
            "metrics_url": metrics_url,
            "report": None
            if self.options.report_dir is None
            else str(self.options.report_dir / "index.html"),
            "workdir": str(layout.root) if self.options.workdir is not None else None,
        }
        return build_summary(embedded, OLD_THRESHOLD, document, final, observer.audit, extra)

    async def close(self) -> None:
        """Stop the sidecar (and its worker), then the backends."""
        await self.serve.stop()
        for runner in reversed(self.runners):
            await runner.cleanup()


def _document(path: Path) -> ThresholdsDocument | None:
    try:
        return load_thresholds(path)
    except EmbedshiftError:
        return None


async def _main(options: Options, console: Console, layout: Layout) -> dict[str, Any]:
    demo = Demo(options, console)
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        demo.interrupted = True
        demo.stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, interrupt)
    try:
        return await demo.run(layout)
    finally:
        await demo.close()


def run_demo(options: Options) -> int:
    """Run the demo; returns the exit status (see the module docstring)."""
    console = Console(stderr=options.json)
    temporary = options.workdir is None
    root = Path(tempfile.mkdtemp(prefix="embedshift-demo-")) if temporary else options.workdir
    assert root is not None
    report = options.report_dir.resolve() if options.report_dir is not None else None
    options = dataclasses.replace(options, report_dir=report)
    try:
        summary = asyncio.run(_main(options, console, Layout(root.resolve())))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    if options.json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    else:
        console.print(summary_view(summary))
    if summary["interrupted"]:
        return 130
    return 0 if summary["reached_flipped"] else 1
