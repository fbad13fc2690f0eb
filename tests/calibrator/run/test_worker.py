"""Tests of the calibrator worker: change detection, failed rounds, status, signals."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import textwrap

import pytest

from calibrator.run.worker import Worker
from proxy.thresholds.document import load_thresholds
from tests.calibrator.synthetic import synthetic, write


@pytest.fixture
def setup(tmp_path):
    """A config whose [calibrator] section points at a synthetic sample; paths in tmp_path."""
    vectors, eval_path = write(synthetic(seed=3), tmp_path)
    out = tmp_path / "out" / "thresholds.json"
    status = tmp_path / "status.json"
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [upstreams.old]
            url = "http://127.0.0.1:1"
            [upstreams.new]
            url = "http://127.0.0.1:2"
            [calibrator]
            eval = ["{eval_path}"]
            vectors = "{vectors}"
            out = "{out}"
            status_path = "{status}"
            min_queries = 10
            bootstrap = 20
            """
        )
    )
    return config, eval_path, out, status


def _status(path):
    return json.loads(path.read_text())


async def test_rounds_calibrate_only_when_the_inputs_change(setup):
    """First round publishes; an unchanged round skips; a changed eval file republishes."""
    config, eval_path, out, status = setup
    worker = Worker(config)
    assert await worker.round()
    assert load_thresholds(out).version == 1
    assert await worker.round()
    assert load_thresholds(out).version == 1
    first = _status(status)
    assert (first["rounds"], first["calibrations"], first["skipped_rounds"]) == (2, 1, 1)
    assert first["document"]["version"] == 1
    assert set(first["document"]["segments"]) == {"global", "docs", "code"}
    lines = eval_path.read_text().splitlines()
    eval_path.write_text("\n".join(lines[:-1]) + "\n")  # one query fewer
    assert await worker.round()
    assert load_thresholds(out).version == 2
    assert _status(status)["calibrations"] == 2


async def test_a_restarted_worker_skips_what_is_already_published(setup):
    """A new worker finds the document in force calibrated on the same inputs and skips."""
    config, _, out, status = setup
    assert await Worker(config).round()
    assert await Worker(config).round()
    assert load_thresholds(out).version == 1
    assert _status(status)["skipped_rounds"] == 1


async def test_a_failed_round_is_counted_and_the_document_stays(setup):
    """A corrupt eval file fails the round (counted, reported), the document is untouched."""
    config, eval_path, out, status = setup
    worker = Worker(config)
    assert await worker.round()
    before = out.read_bytes()
    with eval_path.open("a") as f:
        f.write("not json\n")
    assert not await worker.round()
    report = _status(status)
    assert report["failed_rounds"] == 1
    assert f"{eval_path}:61: not valid JSON" in report["last_error"]
    assert report["last_failure_at"] is not None
    assert report["document"]["version"] == 1
    assert out.read_bytes() == before


async def test_the_loop_survives_failures_and_stops_on_the_event(setup):
    """With a broken config every round fails, yet the loop runs on until told to stop."""
    config, _, _, _ = setup
    config.write_text(config.read_text().replace("min_queries = 10", "min_queries = 0"))
    worker = Worker(config, interval_s=0.01)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    while worker.status.failed_rounds < 3:  # noqa: ASYNC110  (polling the worker's counters)
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert worker.status.rounds >= 3
    assert "[calibrator].min_queries must be at least 1" in (worker.status.last_error or "")


async def test_the_worker_process_publishes_and_stops_on_sigterm(setup):
    """``python -m calibrator worker`` publishes, then exits 0 on SIGTERM."""
    config, _, out, status = setup
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "calibrator", "worker", "--config", str(config), "--interval", "60",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(600):
            if status.exists() and _status(status)["rounds"] >= 1:
                break
            await asyncio.sleep(0.05)
        assert load_thresholds(out).version == 1
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 10)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    assert b"worker_stopped" in stdout + stderr  # logs: see proxy.logs.get_logger
