"""``embedshift demo``: start everything on loopback, watch the migration, summarise, clean up.

In order: generate and embed the corpus, write the calibrator's inputs and the config into
the working directory (:mod:`calibrator.demo.workdir`); start the old and the new search
backends (the new one holding what the scenario leaves in it, :mod:`calibrator.demo.scenario`)
and the new model's embeddings API in this process on free loopback ports; start
``embedshift serve`` as a child process (it runs the calibrator worker as its own child, as in
production); ask the admin API, once, to flip at once (the gate refuses: there is no evidence
yet); send labelled traffic; read the sidecar's metrics and admin API every second and show
them. Automatic promotion moves the mode through canary to flipped once the gate passes.

The run ends ``settle_s`` after the flip; ``settle_s`` after an automatic rollback; once the
gate has failed in every reading for ``refused_after_s`` with the thresholds published (it
refuses the new index: nothing more will happen); at ``duration_s``; or on Ctrl-C. It stops
everything in order and prints the summary: tables on a terminal wide enough for them, plain
lines of at most 80 columns otherwise (piped, or a narrow terminal), JSON with ``--json``
(and always into ``summary.json`` of a ``--workdir``).

Exit status: 0 when the run reached flipped; 1 when the migration did not complete (the gate
refused the new index, promotion rolled back, or the gate had not passed by ``duration_s``:
the summary's ``outcome`` and ``why`` say which); 2 when the options are wrong or a part of the
demo could not start; 130 when interrupted.
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
from calibrator.demo.plain import PlainProgress, summary_lines, wrapped
from calibrator.demo.scenario import SCENARIOS
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
from calibrator.demo.view import Frame, fits, live_view, summary_view
from calibrator.demo.workdir import (
    OLD_THRESHOLD,
    Layout,
    Ports,
    config_text,
    write_inputs,
)
from proxy.errors import EmbedshiftError
from proxy.files import write_atomic
from proxy.thresholds.document import ThresholdsDocument, load_thresholds

TICK_S = 1.0
RECENT_S = 10.0
EXIT_FLIPPED, EXIT_NOT_COMPLETED, EXIT_INTERRUPTED = 0, 1, 130


@dataclass(frozen=True)
class Options:
    """The command line's options."""

    duration_s: float = 60.0
    json: bool = False
    report_dir: Path | None = None
    seed: int = 7
    workdir: Path | None = None
    rate: float = 150.0
    scenario: str = "healthy"
    settle_s: float = 5.0
    refused_after_s: float = 10.0


class Display:
    """The live view while the demo runs: rich on a terminal wide enough, plain lines else.

    The choice is made at the first frame (:func:`~calibrator.demo.view.fits`); nothing is
    shown with ``shown`` false (``--json``).
    """

    def __init__(self, console: Console, *, shown: bool) -> None:
        """Nothing is printed until :meth:`show`."""
        self.console = console
        self.shown = shown
        self.live: Live | None = None
        self.plain: PlainProgress | None = None

    def show(self, frame: Frame) -> None:
        """Show ``frame``: redraw the live view, or print what is new as plain lines."""
        if not self.shown:
            return
        view = live_view(frame)
        if self.live is None and self.plain is None:
            if self.console.is_terminal and fits(self.console, view):
                self.live = Live(console=self.console, auto_refresh=False)
                self.live.start()
            else:
                self.plain = PlainProgress()
        if self.live is not None:
            self.live.update(view, refresh=True)
        elif self.plain is not None:
            for line in self.plain.tick(frame):
                self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        """Leave the last live frame on the screen."""
        if self.live is not None:
            self.live.stop()


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
            for line in wrapped(f"{self.elapsed():5.1f} s  {message}", indent=2, hanging=9):
                self.console.print(line, markup=False, highlight=False, soft_wrap=True)

    async def _try_early_flip(self, observer: Observer) -> None:
        """Ask for flipped with no evidence yet: the gate must refuse (409, with its reasons)."""
        body = {"mode": "flipped", "reason": "demo: flip before any evidence"}
        status, answer = await observer.admin_post("/admin/mode", body)
        if status == 409:
            message = "an operator's flip before any evidence: refused by the gate (409)"
        else:
            message = f"an operator's early flip answered {status}: {answer.get('error')}"
        self.timeline.note(self.elapsed(), message)

    def _frame(
        self, reading: Reading, readings: list[Reading], traffic: Traffic, url: str
    ) -> Frame:
        earlier = next(
            (r for r in reversed(readings) if reading.at - r.at >= RECENT_S), readings[0]
        )
        return Frame(
            self.options.seed, self.options.scenario, reading.at, url, reading, earlier,
            traffic.stats, self.timeline.events,
        )  # fmt: skip

    async def _watch(self, observer: Observer, traffic: Traffic, metrics_url: str) -> Reading:
        readings: list[Reading] = []
        display = Display(self.console, shown=not self.options.json)
        try:
            while not self.stop.is_set():
                try:
                    reading = await observer.read()
                except (aiohttp.ClientError, OSError, TimeoutError) as e:
                    self.timeline.note(self.elapsed(), f"sidecar not readable: {e}")
                else:
                    readings.append(reading)
                    self.timeline.observe(reading, observer.audit)
                    display.show(self._frame(reading, readings, traffic, metrics_url))
                    if self._finished(reading):
                        break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), TICK_S)
        finally:
            display.close()
        if not readings:
            raise DemoError("the sidecar's metrics could not be read at all")
        return readings[-1]

    def _finished(self, reading: Reading) -> bool:
        t, settle = self.timeline, self.options.settle_s
        if t.flipped_s is not None and reading.at - t.flipped_s >= settle:
            return self._report_ready()
        if t.rolled_back_s is not None and reading.at - t.rolled_back_s >= settle:
            return self._report_ready()
        mode = (reading.status or {}).get("mode", {}).get("mode")
        if (
            t.failing_since is not None
            and t.thresholds_published_s is not None
            and mode == "shadow"
            and reading.at - t.failing_since >= self.options.refused_after_s
        ):
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
        scenario = SCENARIOS[self.options.scenario]
        self.say(
            f"generating the corpus (seed {self.options.seed}, scenario {scenario.name}: "
            f"{scenario.shows}) in {layout.root}"
        )
        embedded = await asyncio.to_thread(lambda: embed(generate(self.options.seed)))
        await asyncio.to_thread(write_inputs, embedded, layout)
        self.timeline.corpus_ready_s = self.elapsed()
        old_app, new_app, held = backend_apps(embedded, scenario)
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
                final = await observer.read(gate=True)
            await observer.close()
        document = _document(layout.thresholds)
        documents = len(embedded.corpus.texts)
        extra = {
            "scenario": scenario.name,
            "new_index": {"documents": held, "missing": documents - held},
            "duration_s": round(self.elapsed(), 1),
            "interrupted": self.interrupted,
            "timeline": self.timeline.milestones(),
            "events": [{"at_s": round(at, 1), "event": e} for at, e in self.timeline.events],
            "gate_failures": self.timeline.gate_failures,
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
        return build_summary(
            embedded, OLD_THRESHOLD, document, final, observer.audit, extra, self.options.duration_s
        )

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


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    """The summary as tables when they fit the terminal, else as plain lines."""
    view = summary_view(summary)
    if console.is_terminal and fits(console, view):
        console.print(view)
        return
    for line in summary_lines(summary):
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def exit_status(summary: dict[str, Any]) -> int:
    """The exit status of a finished run (module docstring)."""
    if summary["interrupted"]:
        return EXIT_INTERRUPTED
    return EXIT_FLIPPED if summary["reached_flipped"] else EXIT_NOT_COMPLETED


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
    text = json.dumps(summary, indent=2) + "\n"
    if not temporary:
        write_atomic(root / "summary.json", text.encode())
    if options.json:
        sys.stdout.write(text)
    else:
        print_summary(console, summary)
    return exit_status(summary)
