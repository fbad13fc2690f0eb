"""``embedshift reembed``: validate, resume or start, embed, finalise, summarise.

1. Validation pass over the whole source (:func:`validate_source`): every problem listed
   before any paid call; the source's size and SHA-256 join the command's fingerprint.
2. The checkpoint, if any, must carry the same fingerprint (:mod:`.checkpoint`); the part
   files are cut back to the lengths it recorded.
3. The embedding pass (:mod:`.pipeline`) over the chunks not yet done.
4. Finalising: part files become the output, a manifest is written beside it, and the
   checkpoint is marked complete. Each step is idempotent, so a crash between two of them
   is finished by rerunning the same command.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp

from calibrator.reembed.batch import BatchEmbedder
from calibrator.reembed.checkpoint import (
    Checkpoint,
    check_fingerprint,
    load_checkpoint,
    save_checkpoint,
)
from calibrator.reembed.errors import BatchToolError, ResumeError
from calibrator.reembed.manifest import Manifest, relative_to_output
from calibrator.reembed.options import ReembedOptions, options_from_args
from calibrator.reembed.pipeline import Pipeline
from calibrator.reembed.progress import cost_usd, make_reporter
from calibrator.reembed.sinks import AppendFile, JsonlSink, NpySink, make_sink
from calibrator.reembed.source import SourceSummary, validate_source
from proxy.embeddings import (
    EmbeddingsClient,
    EmbeddingUnavailableError,
    Endpoint,
    RateLimiter,
    RetryEvent,
    RetryPolicy,
    Usage,
)
from proxy.logs import configure_logging, get_logger

_CHARS_PER_TOKEN = 4


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a run did, for the closing lines and for tests."""

    shard_total: int
    resumed_from: int
    state: Checkpoint
    usage: Usage
    elapsed_s: float
    outputs: tuple[Path, ...]
    failed_file: Path
    already_complete: bool = False


def _log_retry(event: RetryEvent) -> None:
    error = event.error
    reason = error.kind if isinstance(error, EmbeddingUnavailableError) else "invalid_answer"
    get_logger("reembed").warning(
        "embedding_retry",
        retry=event.retry,
        max_attempts=event.max_attempts,
        delay_s=round(event.delay_s, 3),
        reason=reason,
        status=getattr(error, "status", None),
    )


async def _embed(
    options: ReembedOptions,
    state: Checkpoint,
    sink: JsonlSink | NpySink,
    failed: AppendFile,
    total: int,
) -> tuple[Checkpoint, Usage]:
    endpoint = Endpoint(
        base_url=options.api_base,
        model=options.model,
        api_key=options.api_key,
        timeout_s=options.timeout_s,
        dimensions=options.dimensions,
        input_type=options.input_type,
    )
    limiter = None
    if options.max_rpm is not None or options.max_tpm is not None:
        limiter = RateLimiter(options.max_rpm, options.max_tpm)
    policy = RetryPolicy(max_attempts=options.max_attempts, base_delay_s=options.retry_base_delay_s)
    connector = aiohttp.TCPConnector(limit=options.concurrency * 2)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = EmbeddingsClient(session, endpoint, limiter, policy, _log_retry)
        embedder = BatchEmbedder(client, options.template, options.skip_invalid)
        reporter = make_reporter(
            total, state.records_done, options.price_per_million, options.progress_interval_s
        )
        with reporter:
            pipeline = Pipeline(options, embedder, sink, failed, state, reporter.advance)
            final = await pipeline.run()
        return final, client.usage


def _finish(options: ReembedOptions, source: SourceSummary, state: Checkpoint) -> Checkpoint:
    sink = make_sink(options.format, options.output)
    sink.finalize(state.embedded, state.dimension)
    Manifest(
        source_size=source.size,
        source_sha256=source.sha256,
        shard=str(options.shard),
        model=options.model,
        format=options.format,
        dimension=state.dimension,
        records=state.embedded,
        failed=state.failed,
        failed_file=relative_to_output(options.failed_file, options.output)
        if state.failed
        else None,
    ).write(options.manifest_file)
    done = replace(state, complete=True)
    save_checkpoint(options.checkpoint, done)
    return done


def run_reembed(options: ReembedOptions) -> RunSummary:
    """Run (or resume) a re-embed to the end; the summary of what was done."""
    started = time.monotonic()
    source = validate_source(options.source, options.shard.holds)
    fingerprint = options.fingerprint(source)
    saved = load_checkpoint(options.checkpoint)
    if saved is not None:
        check_fingerprint(saved.fingerprint, fingerprint, options.checkpoint)
    state = saved if saved is not None else Checkpoint(fingerprint)
    sink = make_sink(options.format, options.output)
    if state.complete:
        missing = [p for p in sink.finals if not p.exists()]
        if missing:
            raise ResumeError(
                f"checkpoint {options.checkpoint} says the run is complete but {missing[0]} is "
                "missing; delete the checkpoint to run again"
            )
        return RunSummary(
            source.selected,
            state.records_done,
            state,
            Usage(),
            0.0,
            sink.finals,
            options.failed_file,
            already_complete=True,
        )
    resumed_from = state.records_done
    usage = Usage()
    for folder in {options.output.parent, options.checkpoint.parent, options.failed_file.parent}:
        folder.mkdir(parents=True, exist_ok=True)
    if state.records_done < source.selected:
        failed = AppendFile(options.failed_file)
        for part in (*sink.parts, failed):
            part.open(state.lengths.get(part.path.name, 0))
        try:
            state, usage = asyncio.run(_embed(options, state, sink, failed, source.selected))
        finally:
            for part in (*sink.parts, failed):
                part.close()
    elif state.records_done > source.selected:
        raise ResumeError(f"checkpoint {options.checkpoint} counts more chunks than the shard has")
    state = _finish(options, source, state)
    return RunSummary(
        source.selected,
        resumed_from,
        state,
        usage,
        time.monotonic() - started,
        sink.finals,
        options.failed_file,
    )


def dry_run(options: ReembedOptions) -> str:
    """What a run would do: counts, batches, estimated tokens, cost and time. Calls nothing."""
    source = validate_source(options.source, options.shard.holds)
    saved = load_checkpoint(options.checkpoint)
    if saved is not None:
        check_fingerprint(saved.fingerprint, options.fingerprint(source), options.checkpoint)
    done = saved.records_done if saved is not None else 0
    left = source.selected - done
    batches = -(-left // options.batch_size)
    tokens = source.selected_chars // _CHARS_PER_TOKEN
    lines = [
        (
            f"source {options.source}: {source.records:,} chunks, {source.chars:,} characters, "
            "no problems found"
        ),
        (
            f"shard {options.shard}: {source.selected:,} chunks; {done:,} done by the "
            f"checkpoint, {left:,} left in {batches:,} calls of up to {options.batch_size}"
        ),
        f"estimated prompt tokens: about {tokens:,} (four characters a token)",
    ]
    cost = cost_usd(tokens, options.price_per_million)
    if cost is not None:
        lines.append(f"estimated cost: about ${cost:,.4f}")
    lines.extend(_time_estimate(options, batches, tokens * left // max(source.selected, 1)))
    lines.append("nothing was sent (--dry-run)")
    return "\n".join(lines)


def _time_estimate(options: ReembedOptions, calls: int, tokens: int) -> list[str]:
    """The least time each rate limit allows for what is left, and the one that binds."""
    bounds = []
    if options.max_rpm:
        bounds.append((calls / options.max_rpm, f"{_number(options.max_rpm)} requests a minute"))
    if options.max_tpm:
        bounds.append((tokens / options.max_tpm, f"{_number(options.max_tpm)} tokens a minute"))
    lines = [f"at {limit}: at least {minutes:,.1f} min" for minutes, limit in bounds]
    if len(bounds) > 1:
        minutes, limit = max(bounds)
        lines.append(f"estimated time: at least {minutes:,.1f} min ({limit} binds)")
    return lines


def _number(value: float) -> str:
    """A limit as a person writes it: 1,000,000, or 0.5."""
    return f"{value:,.0f}" if value == int(value) else f"{value:,}"


def format_summary(summary: RunSummary, price_per_million: float | None) -> str:
    """The closing lines of a run."""
    state = summary.state
    outputs = ", ".join(str(p) for p in summary.outputs)
    if summary.already_complete:
        return f"already complete: {state.embedded:,} chunks in {outputs}"
    this_run = state.records_done - summary.resumed_from
    rate = this_run / summary.elapsed_s if summary.elapsed_s > 0 else 0.0
    lines = [
        (
            f"re-embedded {state.embedded:,} of {summary.shard_total:,} chunks into {outputs} "
            f"(dimension {state.dimension})"
        ),
        f"this run: {this_run:,} chunks in {summary.elapsed_s:,.1f} s ({rate:,.1f}/s), "
        f"{summary.usage.requests:,} requests, {summary.usage.retries:,} retries"
        + (f"; resumed after {summary.resumed_from:,}" if summary.resumed_from else ""),
        f"prompt tokens: {state.prompt_tokens:,}"
        + (
            f"; cost ${cost_usd(state.prompt_tokens, price_per_million):,.4f}"
            if price_per_million is not None
            else ""
        ),
    ]
    if state.failed:
        lines.append(
            f"refused by the API: {state.failed:,} chunk(s), listed in {summary.failed_file}"
        )
    return "\n".join(lines)


def reembed_command(args: argparse.Namespace) -> int:
    """``embedshift reembed``: check the options; dry run, or run and print the summary."""
    configure_logging()
    options = options_from_args(args)
    try:
        if options.dry_run:
            print(dry_run(options))  # noqa: T201 - the command's output
            return 0
        summary = run_reembed(options)
    except OSError as e:  # disk full, permission denied...: one line, no traceback
        raise BatchToolError(f"{e.filename or 'a file'}: {e.strerror or e}") from e
    print(format_summary(summary, options.price_per_million), file=sys.stdout)  # noqa: T201
    return 0
