"""``kill -9`` at random moments: the rerun finishes with exactly an uninterrupted run's output.

The real command runs in a subprocess against a loopback provider with some latency. It is
killed with SIGKILL many times, each time after a random number of committed batches plus a
random delay (so the kill lands anywhere: mid-call, mid-append, mid-checkpoint), and rerun
with the same command. After every kill the checkpoint must not be ahead of the data, and
the data it covers must be a prefix of the uninterrupted output. At the end the output must
be byte for byte the uninterrupted run's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sys

import numpy as np
import pytest

from calibrator.reembed.checkpoint import load_checkpoint
from tests.support.fake_embeddings import FakeEmbeddings, write_source

N = 2000
BATCH = 10
SEED = int(os.environ.get("EMBEDSHIFT_KILL_SEED", "20261128"))

pytestmark = pytest.mark.slow


@pytest.fixture
async def fake(aiohttp_server):
    """A provider with 20 ms of latency per call."""
    provider = FakeEmbeddings(dim=5, delay_s=0.02)
    server = await aiohttp_server(provider.app())
    provider.url = str(server.make_url("/v1"))
    return provider


def command(fake, source, output, fmt, every=1):
    """The same command line every time (what an operator reruns).

    Checkpoints after every ``every`` batches, with no minimum interval (the most crash
    windows).
    """
    return [
        sys.executable, "-m", "proxy", "reembed",
        "--source", str(source), "--output", str(output), "--format", fmt,
        "--model", "m", "--api-base", fake.url,
        "--batch-size", str(BATCH), "--concurrency", "3",
        "--checkpoint", str(output.with_name(output.name + ".ckpt")),
        "--checkpoint-every", str(every), "--checkpoint-interval", "0",
    ]  # fmt: skip


async def start(argv):
    """Start the command with its output discarded."""
    return await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )


def records_done(checkpoint_path):
    """Chunks the checkpoint covers (0 when there is none yet)."""
    saved = load_checkpoint(checkpoint_path)
    return 0 if saved is None else saved.records_done


async def kill_after_progress(process, checkpoint_path, rng):
    """SIGKILL once a random number of batches more are checkpointed, after a random delay.

    Returns False when the process finished first.
    """
    target = records_done(checkpoint_path) + BATCH * rng.randint(1, 8)
    while process.returncode is None and records_done(checkpoint_path) < target:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), 0.005)
    await asyncio.sleep(rng.uniform(0.0, 0.03))
    if process.returncode is not None:
        return False
    process.send_signal(signal.SIGKILL)
    await process.wait()
    return True


def written_data(files):
    """The bytes of the first existing file (the part file, or the final one once renamed)."""
    for path in files:
        if path.exists():
            return path.read_bytes()
    return b""


def check_not_ahead(checkpoint_path, files, reference, row_bytes):
    """Check the checkpoint is not ahead of the data and covers a prefix of the reference."""
    saved = load_checkpoint(checkpoint_path)
    if saved is None:
        return
    data = written_data(files)
    length = saved.lengths.get(files[0].name, len(data))
    assert len(data) >= length, "checkpoint ahead of the data"
    if row_bytes is None:  # jsonl: whole lines, exactly records_done of them
        covered = data[:length]
        assert covered.count(b"\n") == saved.records_done
        assert reference.startswith(covered)
    else:
        assert length == saved.records_done * row_bytes
        assert reference[:length] == data[:length]


@pytest.mark.parametrize(
    ("fmt", "kills", "every"), [("jsonl", 15, 1), ("npy", 6, 1), ("jsonl", 6, 4)]
)
async def test_repeated_sigkill_then_rerun_gives_the_uninterrupted_output(
    fake, tmp_path, fmt, kills, every
):
    """Killed many times at random points, the rerun output equals a clean run's."""
    rng = random.Random(SEED)
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    suffix = ".npy" if fmt == "npy" else ".jsonl"
    clean, killed = tmp_path / f"clean{suffix}", tmp_path / f"killed{suffix}"

    reference_run = await start(command(fake, source, clean, fmt))
    _, stderr = await reference_run.communicate()
    assert reference_run.returncode == 0, stderr.decode()

    checkpoint = killed.with_name(killed.name + ".ckpt")
    if fmt == "npy":
        files = [killed.with_name(killed.name + ".f32.part"), killed]
        reference = np.load(clean).tobytes()
        row_bytes = 5 * 4
    else:
        files = [killed.with_name(killed.name + ".part"), killed]
        reference = clean.read_bytes()
        row_bytes = None

    landed = 0
    for _ in range(kills):
        process = await start(command(fake, source, killed, fmt, every))
        landed += await kill_after_progress(process, checkpoint, rng)
        check_not_ahead(checkpoint, files, reference, row_bytes)
    assert landed == kills, f"only {landed} of {kills} kills landed before the run ended"
    assert 0 < records_done(checkpoint) < N

    final = await start(command(fake, source, killed, fmt, every))
    _, stderr = await final.communicate()
    assert final.returncode == 0, stderr.decode()
    if fmt == "npy":
        np.testing.assert_array_equal(np.load(killed), np.load(clean))
        ids = tmp_path / "killed.ids.txt"
        assert ids.read_bytes() == (tmp_path / "clean.ids.txt").read_bytes()
        assert len(ids.read_text().splitlines()) == N
    else:
        assert killed.read_bytes() == clean.read_bytes()
        assert len(clean.read_text().splitlines()) == N


async def test_sigterm_stops_cleanly_after_a_checkpoint(fake, tmp_path):
    """SIGTERM (a pod evicted) checkpoints the answered batches and exits with 130.

    The rerun completes the same output as a clean run.
    """
    source = tmp_path / "chunks.jsonl"
    write_source(source, N)
    output = tmp_path / "out.jsonl"
    checkpoint = output.with_name(output.name + ".ckpt")
    process = await start(command(fake, source, output, "jsonl"))
    while records_done(checkpoint) < 10 * BATCH:  # noqa: ASYNC110 - polling another process
        await asyncio.sleep(0.01)
    process.send_signal(signal.SIGTERM)
    _, stderr = await process.communicate()
    assert process.returncode == 130
    message = stderr.decode().strip().splitlines()[-1]
    done = records_done(checkpoint)
    assert message == (
        f"embedshift: stopped by a signal with {done} chunks done and checkpointed; "
        "rerun the same command to resume"
    )
    assert 0 < done < N
    data = output.with_name("out.jsonl.part").read_bytes()
    assert data.count(b"\n") == done  # everything answered was committed, nothing more

    rerun = await start(command(fake, source, output, "jsonl"))
    await rerun.communicate()
    clean = tmp_path / "clean.jsonl"
    reference = await start(command(fake, source, clean, "jsonl"))
    await reference.communicate()
    assert output.read_bytes() == clean.read_bytes()
