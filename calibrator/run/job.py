"""A job: what one calibration run reads and where it publishes, from config and command line.

The config's ``[calibrator]`` section gives the defaults, ``[embedding]`` the API path, and
``[thresholds]`` the old threshold(s) and the default output path; command-line options
override them one by one (:func:`job_from_config`, :func:`job_from_args`). Mistakes raise
:class:`~proxy.errors.ConfigError` naming the option or the key. A :class:`Job` also knows
the files and the model its thresholds depend on, and fingerprints them.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

from calibrator.calibration.settings import Settings
from calibrator.errors import InputError
from calibrator.inputs.embed import Embedding
from calibrator.inputs.fingerprint import (
    api_model,
    inputs_fingerprint,
    precomputed_model_of,
    vectors_files,
)
from calibrator.maths.policy import Policy
from calibrator.maths.sweep import Average
from proxy.config import Config, load_config
from proxy.config.schema import CalibratorSection
from proxy.errors import ConfigError
from proxy.thresholds.document import ModelInfo


@dataclass(frozen=True)
class Job:
    """What one run reads and where it publishes."""

    out: Path
    settings: Settings
    eval_files: tuple[Path, ...] = ()
    qrels: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    queries: Path | None = None
    vectors: Path | None = None
    chunks: Path | None = None
    embedding: Embedding | None = None
    doc_segments: Path | None = None
    old_vectors: Path | None = None
    old_threshold: float | None = None
    old_segment_thresholds: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    report_dir: Path | None = None
    allow_fallback: bool = False
    keep_versions: int = 20

    def input_files(self) -> list[Path]:
        """Every file whose bytes the thresholds depend on."""
        files = [*self.eval_files, *self.qrels.values()]
        files.extend(p for p in (self.queries, self.chunks, self.doc_segments) if p is not None)
        for directory in (self.vectors, self.old_vectors):
            if directory is not None:
                files.extend(vectors_files(directory))
        return files

    def model(self) -> ModelInfo:
        """The new model's name and fingerprint (read without loading any vectors)."""
        if self.vectors is not None:
            return precomputed_model_of(self.vectors)
        if self.embedding is not None:
            return api_model(self.embedding.model_settings())
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")

    def fingerprint(self, model: ModelInfo) -> dict[str, Any]:
        """The inputs record: file digests and one fingerprint over them, model and settings."""
        extra = {
            "model": model.fingerprint,
            "settings": repr(self.settings),
            "old_threshold": self.old_threshold,
            "old_segment_thresholds": dict(self.old_segment_thresholds),
        }
        return inputs_fingerprint(self.input_files(), extra)


def parse_policy(text: str, average: Average, where: str) -> tuple[str | None, Policy]:
    """``[SEGMENT:]KIND=X`` -> (segment or None, policy); ConfigError naming ``where``."""
    head, sep, _ = text.partition("=")
    segment, colon, kind = head.rpartition(":")
    spec = (kind + sep + text.partition("=")[2]) if colon else text
    try:
        policy = Policy.parse(spec, average)
    except ValueError as e:
        raise ConfigError(f"{where} {e}") from e
    return (segment or None) if colon else None, policy


def settings_from_section(section: CalibratorSection, source: str) -> Settings:
    """Settings of the ``[calibrator]`` section."""
    _, policy = parse_policy(section.policy, section.average, f"{source}: [calibrator].policy")
    overrides = {
        name: parse_policy(p, section.average, f"{source}: [calibrator].segment_policies.{name}")[1]
        for name, p in section.segment_policies.items()
    }
    return Settings(
        policy=policy,
        segment_policies=MappingProxyType(overrides),
        min_queries=section.min_queries,
        top_n=section.top_n,
        bootstrap=section.bootstrap,
        confidence=section.confidence,
        metric=section.metric,
    )


def job_from_config(config: Config, source: str) -> Job:
    """The job a config file describes; it must have a ``[calibrator]`` section."""
    section = config.calibrator
    if section is None:
        raise ConfigError(f"{source}: has no [calibrator] section")
    out = section.out or config.thresholds.path
    if out is None:
        raise ConfigError(f"{source}: set [calibrator].out or [thresholds].path")
    embedding = None
    if config.embedding is not None:
        embedding = Embedding(
            config.embedding,
            Path(section.cache_dir),
            section.document_template,
            section.document_input_type,
        )
    if section.vectors is None and embedding is None:
        raise ConfigError(
            f"{source}: [calibrator].chunks needs an [embedding] section (or set vectors)"
        )
    if section.old_vectors is not None and config.thresholds.old is None:
        raise ConfigError(f"{source}: [calibrator].old_vectors needs [thresholds].old")
    return Job(
        out=Path(out),
        settings=settings_from_section(section, source),
        eval_files=tuple(Path(p) for p in section.eval),
        qrels=MappingProxyType({seg: Path(p) for seg, p in section.qrels.items()}),
        queries=Path(section.queries) if section.queries else None,
        vectors=Path(section.vectors) if section.vectors else None,
        chunks=Path(section.chunks) if section.chunks else None,
        embedding=embedding,
        doc_segments=Path(section.doc_segments) if section.doc_segments else None,
        old_vectors=Path(section.old_vectors) if section.old_vectors else None,
        old_threshold=config.thresholds.old,
        old_segment_thresholds=config.thresholds.old_segments,
        report_dir=Path(section.report_dir) if section.report_dir else None,
        allow_fallback=section.allow_fallback,
    )


def _qrels(values: list[str]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for value in values:
        segment, sep, path = value.rpartition("=")
        out[segment if sep and segment else "default"] = Path(path)
    return out


def job_from_args(args: argparse.Namespace) -> Job:
    """The job of ``embedshift calibrate``: the config's (if ``--config``), then the options."""
    config = load_config(args.config) if args.config is not None else None
    if config is not None and config.calibrator is not None:
        job = job_from_config(config, str(args.config))
    else:
        out = args.out or (config.thresholds.path if config is not None else None)
        if out is None:
            raise ConfigError("--out is required (or --config with [thresholds].path)")
        embedding = None
        if config is not None and config.embedding is not None:
            embedding = Embedding(config.embedding, Path("var/embedding-cache"))
        job = Job(
            out=Path(out),
            settings=Settings(),
            embedding=embedding,
            old_threshold=config.thresholds.old if config is not None else None,
            old_segment_thresholds=config.thresholds.old_segments
            if config is not None
            else MappingProxyType({}),
        )
    return _override(job, args)


def _override(job: Job, args: argparse.Namespace) -> Job:
    s = job.settings
    average: Average = args.average or s.policy.average
    policy = replace(s.policy, average=average)
    segment_policies = {n: replace(p, average=average) for n, p in s.segment_policies.items()}
    for text in args.policy or []:
        segment, parsed = parse_policy(text, average, "--policy")
        if segment is None:
            policy = parsed
        else:
            segment_policies[segment] = parsed
    settings = replace(
        s,
        policy=policy,
        segment_policies=MappingProxyType(segment_policies),
        min_queries=args.min_queries if args.min_queries is not None else s.min_queries,
        top_n=args.top_n if args.top_n is not None else s.top_n,
        bootstrap=args.bootstrap if args.bootstrap is not None else s.bootstrap,
        confidence=args.confidence if args.confidence is not None else s.confidence,
        metric=args.metric or s.metric,
        seed=args.seed if args.seed is not None else s.seed,
    )
    if not 0 < settings.confidence < 1:
        raise ConfigError(f"--confidence must be between 0 and 1, got {settings.confidence}")
    if settings.min_queries < 1 or settings.top_n < 1 or settings.bootstrap < 0:
        raise ConfigError("--min-queries and --top-n must be at least 1, --bootstrap at least 0")
    eval_files = tuple(args.eval) if args.eval else job.eval_files
    qrels = MappingProxyType(_qrels(args.qrels)) if args.qrels else job.qrels
    if not eval_files and not qrels:
        raise ConfigError("--eval EVAL.jsonl (or --qrels SEGMENT=QRELS.tsv) is required")
    old_vectors = args.old_vectors or job.old_vectors
    old_threshold = args.old_threshold if args.old_threshold is not None else job.old_threshold
    if old_vectors is not None and old_threshold is None:
        raise ConfigError("--old-vectors needs --old-threshold (or [thresholds].old)")
    return replace(
        job,
        out=args.out or job.out,
        settings=settings,
        eval_files=eval_files,
        qrels=qrels,
        queries=args.queries or job.queries,
        vectors=args.vectors or job.vectors,
        chunks=args.chunks or job.chunks,
        doc_segments=args.doc_segments or job.doc_segments,
        old_vectors=old_vectors,
        old_threshold=old_threshold,
        report_dir=args.report or job.report_dir,
        allow_fallback=args.allow_fallback or job.allow_fallback,
    )
