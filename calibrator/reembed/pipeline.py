"""The embedding pass: batches in flight concurrently, committed strictly in source order.

One producer reads the source (streaming), keeps the shard's chunks, skips the ones the
checkpoint says are done, and cuts the rest into batches numbered 0, 1, 2, ...; workers
embed them concurrently, so they may finish in any order; one committer appends them to the
output in number order, holding early finishers in a small reorder buffer. A semaphore
bounds the batches between producer and committer to ``2 * concurrency``, so memory does not
grow with the source, however slow one batch is.

Why a ``kill -9`` at any moment loses nothing and duplicates nothing: per batch the
committer (1) appends the batch's lines to the part file(s) and (2) once at least
``--checkpoint-every`` batches and ``--checkpoint-interval`` seconds have passed since the
last checkpoint (by default: every batch, at most once a second, which keeps fsyncs off the
critical path) fsyncs them and (3) replaces the checkpoint atomically
(temporary file, fsync, rename, fsync of the directory) with the number of chunks done and
each file's byte length. A checkpoint is therefore never ahead of durable data. A crash
before (3) leaves the old checkpoint, whose lengths are a prefix of the files; the rerun cuts
the files back to those lengths (removing the uncommitted batches and any torn line) and
re-embeds from the chunk after the last checkpointed one, with the same batch boundaries
(batches always start at multiples of the batch size among the shard's chunks). A crash
during (3) leaves the old or the new checkpoint, never a mix. Batches are committed only in
order, so "the first N chunks are done" is always an exact description of the output.

SIGINT or SIGTERM stops the producer and workers, commits the batches already finished that
are next in order, writes a checkpoint and ends with ``RunStoppedError``.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import structlog

from calibrator.reembed.batch import BatchEmbedder, BatchResult
from calibrator.reembed.checkpoint import Checkpoint, save_checkpoint
from calibrator.reembed.errors import BatchFailedError, BatchToolError, RunStoppedError
from calibrator.reembed.options import ReembedOptions
from calibrator.reembed.sinks import AppendFile, JsonlSink, NpySink
from calibrator.reembed.source import Chunk, read_chunks

_YIELD_EVERY = 1024


def _first_leaf(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The exception to report: a stop first, then our own errors, then anything else."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        item = pending.pop()
        if isinstance(item, BaseExceptionGroup):
            pending.extend(item.exceptions)
        else:
            leaves.append(item)
    for kind in (RunStoppedError, BatchToolError, Exception):
        for leaf in leaves:
            if isinstance(leaf, kind):
                return leaf
    return leaves[0]


@dataclass(slots=True)
class _Batch:
    seq: int
    chunks: list[Chunk]


class Pipeline:
    """One embedding pass over the chunks not yet done (see the module docstring)."""

    def __init__(
        self,
        options: ReembedOptions,
        embedder: BatchEmbedder,
        sink: JsonlSink | NpySink,
        failed: AppendFile,
        checkpoint: Checkpoint,
        on_commit: Callable[[int, int], None],
    ) -> None:
        """``on_commit(chunks, prompt_tokens_total)`` is told after each batch is appended."""
        self.options = options
        self.embedder = embedder
        self.sink = sink
        self.failed = failed
        self.state = checkpoint
        self.on_commit = on_commit
        self.results: dict[int, BatchResult] = {}
        self.next_seq = 0
        self.emitted = 0
        self.producing = True
        self.since_checkpoint = 0
        self.last_checkpoint = time.monotonic()
        self.ready = asyncio.Event()
        self.slots = asyncio.Semaphore(2 * options.concurrency)
        self.queue: asyncio.Queue[_Batch | None] = asyncio.Queue()
        self._committing: asyncio.Future[None] | None = None
        self._commit_broke = False

    async def run(self) -> Checkpoint:
        """Embed and commit everything left; returns the final checkpoint."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, stop.set)
            except (ValueError, RuntimeError):  # not the main thread (embedded use, tests)
                continue
            handled.append(sig)
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._produce())
                for _ in range(self.options.concurrency):
                    group.create_task(self._work())
                watcher = group.create_task(self._watch(stop))
                committer = group.create_task(self._commit_all())
                committer.add_done_callback(lambda _: watcher.cancel())
        except BaseExceptionGroup as group:
            first = _first_leaf(group)
            if not self._commit_broke:
                await self._drain()
            if isinstance(first, RunStoppedError):
                raise RunStoppedError(
                    f"stopped by a signal with {self.state.records_done} chunks done and "
                    "checkpointed; rerun the same command to resume"
                ) from None
            raise first from None
        finally:
            for sig in handled:
                loop.remove_signal_handler(sig)
        self._checkpoint()
        return self.state

    async def _watch(self, stop: asyncio.Event) -> None:
        await stop.wait()
        raise RunStoppedError("stopped")

    async def _produce(self) -> None:
        to_skip = self.state.records_done
        batch: list[Chunk] = []
        for number, chunk in enumerate(read_chunks(self.options.source)):
            if number % _YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let signals and finished calls through while skipping
            if not self.options.shard.holds(chunk.key):
                continue
            if to_skip:
                to_skip -= 1
                continue
            batch.append(chunk)
            if len(batch) == self.options.batch_size:
                await self._emit(batch)
                batch = []
        if batch:
            await self._emit(batch)
        self.producing = False
        self.ready.set()
        for _ in range(self.options.concurrency):
            await self.queue.put(None)

    async def _emit(self, chunks: list[Chunk]) -> None:
        await self.slots.acquire()
        await self.queue.put(_Batch(self.emitted, chunks))
        self.emitted += 1

    async def _work(self) -> None:
        while (item := await self.queue.get()) is not None:
            with structlog.contextvars.bound_contextvars(batch=item.seq):
                result = await self.embedder.embed(item.seq, item.chunks)
            self.results[item.seq] = result
            self.ready.set()

    async def _commit_all(self) -> None:
        while True:
            if self.next_seq in self.results:
                result = self.results.pop(self.next_seq)
                self._committing = asyncio.ensure_future(asyncio.to_thread(self._commit, result))
                await asyncio.shield(self._committing)
                self.slots.release()
                self.on_commit(len(result.chunks), self.state.prompt_tokens)
                continue
            if not self.producing and self.next_seq == self.emitted:
                return
            self.ready.clear()
            await self.ready.wait()

    def _commit(self, result: BatchResult) -> None:
        """Append one batch (in a thread; one at a time, in order)."""
        try:
            self._append(result)
        except BaseException:
            # The files may hold part of this batch: no later checkpoint may record them.
            self._commit_broke = True
            raise

    def _append(self, result: BatchResult) -> None:
        done = [(c, v) for c, v in zip(result.chunks, result.vectors, strict=True) if v is not None]
        dimension = self.state.dimension
        for _, vector in done:
            if dimension is None:
                dimension = len(vector)
            elif len(vector) != dimension:
                raise BatchFailedError(
                    f"batch {result.seq} answered vectors of dimension {len(vector)} where "
                    f"earlier batches had {dimension}: the model behind the API changed?"
                )
        self.sink.append([c for c, _ in done], [v for _, v in done])
        for item in result.failed:
            self.failed.write(item.to_line())
        self.state = replace(
            self.state,
            records_done=self.state.records_done + len(result.chunks),
            embedded=self.state.embedded + len(done),
            failed=self.state.failed + len(result.failed),
            prompt_tokens=self.state.prompt_tokens + result.prompt_tokens,
            dimension=dimension,
        )
        self.next_seq = result.seq + 1
        self.since_checkpoint += 1
        if (
            self.since_checkpoint >= self.options.checkpoint_every
            and time.monotonic() - self.last_checkpoint >= self.options.checkpoint_interval_s
        ):
            self._checkpoint()

    def _checkpoint(self) -> None:
        """Make the data durable, then record how far it goes (in this order)."""
        if self._commit_broke:
            return
        lengths = {part.path.name: part.sync() for part in self.sink.parts}
        lengths[self.failed.path.name] = self.failed.sync()
        self.state = replace(self.state, lengths=lengths)
        save_checkpoint(self.options.checkpoint, self.state)
        self.since_checkpoint = 0
        self.last_checkpoint = time.monotonic()

    async def _drain(self) -> None:
        """After a stop: commit the finished batches that are next in order, checkpoint."""
        if self._committing is not None:
            await asyncio.wait([self._committing])
        while self.next_seq in self.results:
            self._commit(self.results.pop(self.next_seq))
        self._checkpoint()
