"""The options of ``embedshift reembed``, checked, and the fingerprint a checkpoint keeps."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from calibrator.reembed.checkpoint import SOURCE_KEY
from calibrator.reembed.command import DEFAULT_KEY_ENV
from calibrator.reembed.shard import Shard
from calibrator.reembed.source import SourceSummary
from proxy.embeddings import api_key_from_env
from proxy.errors import ConfigError

Format = Literal["jsonl", "npy"]


@dataclass(frozen=True, slots=True)
class ReembedOptions:
    """Everything a run needs (see ``embedshift reembed --help`` for each)."""

    source: Path
    output: Path
    model: str
    api_base: str
    checkpoint: Path
    api_key: str | None = field(default=None, repr=False)
    batch_size: int = 100
    concurrency: int = 4
    max_rpm: float | None = None
    max_tpm: float | None = None
    format: Format = "jsonl"
    shard: Shard = field(default_factory=Shard)
    template: str = "{text}"
    input_type: str | None = None
    dimensions: int | None = None
    skip_invalid: bool = False
    failed_path: Path | None = None
    timeout_s: float = 60.0
    max_attempts: int = 8
    retry_base_delay_s: float = 0.5  # first backoff's ceiling (no option: tests shorten it)
    price_per_million: float | None = None
    checkpoint_every: int = 1
    checkpoint_interval_s: float = 1.0
    progress_interval_s: float = 30.0
    dry_run: bool = False

    @property
    def failed_file(self) -> Path:
        """Where refused chunks are recorded (``OUTPUT.failed.jsonl`` unless given)."""
        if self.failed_path is not None:
            return self.failed_path
        return self.output.with_name(self.output.name + ".failed.jsonl")

    @property
    def manifest_file(self) -> Path:
        """The manifest a finished run writes beside its output (``merge`` reads it)."""
        return self.output.with_name(self.output.name + ".manifest.json")

    def fingerprint(self, source: SourceSummary) -> dict[str, str]:
        """The options that decide what the output holds, keyed by option name."""
        return {
            SOURCE_KEY: f"{source.size} bytes, sha256 {source.sha256[:16]}",
            "--output": str(self.output.resolve()),
            "--model": self.model,
            "--api-base": self.api_base,
            "--batch-size": str(self.batch_size),
            "--format": self.format,
            "--shard": str(self.shard),
            "--template": self.template,
            "--input-type": str(self.input_type),
            "--dimensions": str(self.dimensions),
        }


def _positive(value: float | None, option: str) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"{option} must be positive, got {value:g}")


def options_from_args(args: argparse.Namespace) -> ReembedOptions:
    """Check the parsed command line; a :class:`ConfigError` names the bad option."""
    if "{text}" not in args.template:
        raise ConfigError(f"--template must contain {{text}}, got {args.template!r}")
    for option in ("batch_size", "concurrency", "max_rpm", "max_tpm", "timeout", "max_attempts"):
        _positive(getattr(args, option), "--" + option.replace("_", "-"))
    _positive(args.checkpoint_every, "--checkpoint-every")
    if args.checkpoint_interval < 0:
        raise ConfigError(
            f"--checkpoint-interval must be 0 or more, got {args.checkpoint_interval:g}"
        )
    _positive(args.dimensions, "--dimensions")
    fmt: Format = args.format or ("npy" if args.output.suffix == ".npy" else "jsonl")
    if fmt == "npy" and args.output.suffix != ".npy":
        raise ConfigError(f"--format npy needs an --output ending in .npy, got {args.output}")
    key_env = args.api_key_env
    if key_env is None and os.environ.get(DEFAULT_KEY_ENV):
        key_env = DEFAULT_KEY_ENV
    checkpoint = args.checkpoint or args.output.with_name(args.output.name + ".checkpoint.json")
    return ReembedOptions(
        source=args.source,
        output=args.output,
        model=args.model,
        api_base=args.api_base,
        checkpoint=checkpoint,
        api_key=None if args.dry_run else api_key_from_env(key_env),
        batch_size=args.batch_size,
        concurrency=args.concurrency,
        max_rpm=args.max_rpm,
        max_tpm=args.max_tpm,
        format=fmt,
        shard=Shard.parse(args.shard),
        template=args.template,
        input_type=args.input_type,
        dimensions=args.dimensions,
        skip_invalid=args.skip_invalid,
        failed_path=args.failed,
        timeout_s=args.timeout,
        max_attempts=args.max_attempts,
        price_per_million=args.price_per_million,
        checkpoint_every=args.checkpoint_every,
        checkpoint_interval_s=args.checkpoint_interval,
        progress_interval_s=args.progress_interval,
        dry_run=args.dry_run,
    )
