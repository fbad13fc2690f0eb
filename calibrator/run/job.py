"""A job: what one calibration run reads and where it publishes, from config and command line.

The config's ``[calibrator]`` section gives the defaults (its ``[calibrator.segments.NAME]``
tables each segment's folders, labelled and held-out files), ``[embedding]`` the API path,
``[thresholds]`` the old threshold(s) and the default output path, and ``[comparison]`` RBO's
persistence. A Job is built in one place, from that section or its defaults: the worker's job
is exactly that (:func:`job_from_config`), ``embedshift calibrate``'s is that with its options
on top, each replacing what the config says of it (:func:`job_from_args`). Mistakes raise
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
    digest,
    inputs_fingerprint,
    precomputed_model_of,
    vectors_files,
)
from calibrator.inputs.labels import DEFAULT_SEGMENT, valid_segment
from calibrator.inputs.layout import Layout, Named
from calibrator.maths.policy import Policy
from calibrator.maths.sweep import Average
from proxy.config import Config, load_config
from proxy.config.schema import CalibratorSection, ThresholdsSection
from proxy.errors import ConfigError
from proxy.thresholds.document import ModelInfo

Holdout = tuple[tuple[str, Path | float], ...]  # (segment, held-out qrels file or share)


@dataclass(frozen=True)
class Job:
    """What one run reads and where it publishes."""

    out: Path
    settings: Settings
    eval_files: tuple[Path, ...] = ()
    qrels: Named = ()
    queries: tuple[tuple[str | None, Path], ...] = ()
    vectors: Path | None = None
    segment_vectors: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    chunks: Path | None = None
    embedding: Embedding | None = None
    doc_segments: Path | None = None
    old_vectors: Path | None = None
    old_segment_vectors: Mapping[str, Path] = field(default_factory=lambda: MappingProxyType({}))
    old_threshold: float | None = None
    old_segment_thresholds: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType({})
    )
    holdout: Holdout = ()
    check_at: tuple[float, ...] = ()
    report_dir: Path | None = None
    allow_fallback: bool = False
    keep_versions: int = 20

    def layout(self) -> Layout:
        """Where the labelled files and vectors are (:mod:`calibrator.inputs.layout`)."""
        return Layout(
            eval_files=self.eval_files,
            qrels=self.qrels,
            queries=self.queries,
            vectors=self.vectors,
            segment_vectors=self.segment_vectors,
            old_vectors=self.old_vectors,
            old_segment_vectors=self.old_segment_vectors,
            doc_segments=self.doc_segments,
        )

    @property
    def has_old(self) -> bool:
        """The old model's vectors are given."""
        return self.old_vectors is not None or bool(self.old_segment_vectors)

    def input_files(self) -> list[Path]:
        """Every file whose bytes the thresholds depend on."""
        files = [*self.eval_files, *(p for _, p in self.qrels), *(p for _, p in self.queries)]
        files.extend(p for _, p in self.holdout if isinstance(p, Path))
        files.extend(p for p in (self.chunks, self.doc_segments) if p is not None)
        folders = [self.vectors, self.old_vectors]
        folders += [*self.segment_vectors.values(), *self.old_segment_vectors.values()]
        for directory in folders:
            if directory is not None:
                files.extend(vectors_files(directory))
        return files

    def model(self) -> ModelInfo:
        """The new model's name and fingerprint (read without loading any vectors)."""
        if self.segment_vectors:
            return joined_model(self.segment_vectors)
        if self.vectors is not None:
            return precomputed_model_of(self.vectors)
        if self.embedding is not None:
            return api_model(self.embedding.model_settings())
        raise InputError("give --vectors DIR, or --chunks with a config that has [embedding]")

    def old_model(self) -> ModelInfo | None:
        """The old model's name and fingerprint, when its vectors are given."""
        if self.old_segment_vectors:
            return joined_model(self.old_segment_vectors)
        return precomputed_model_of(self.old_vectors) if self.old_vectors is not None else None

    def fingerprint(self, model: ModelInfo) -> dict[str, Any]:
        """The inputs record: file digests and one fingerprint over them, model and settings."""
        extra = {
            "model": model.fingerprint,
            "settings": repr(self.settings),
            "old_threshold": self.old_threshold,
            "old_segment_thresholds": dict(self.old_segment_thresholds),
            "holdout": [(segment, str(p)) for segment, p in self.holdout],
            "check_at": list(self.check_at),
        }
        return inputs_fingerprint(self.input_files(), extra)


def joined_model(folders: Mapping[str, Path]) -> ModelInfo:
    """One model behind vectors folders per segment: named by them, fingerprinted over them."""
    models = {name: precomputed_model_of(folders[name]) for name in sorted(folders)}
    names = sorted({m.name for m in models.values()})
    details = {"source": "precomputed", "segments": {n: dict(m.details) for n, m in models.items()}}
    fingerprint = digest({n: m.fingerprint for n, m in models.items()})
    return ModelInfo(", ".join(names), fingerprint, details)


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


def settings_from_section(section: CalibratorSection, source: str, rbo_p: float) -> Settings:
    """Settings of the ``[calibrator]`` section (``rbo_p``: ``[comparison].rbo_p``)."""
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
        seed=section.seed,
        k=section.k,
        rbo_p=rbo_p,
        quality_bootstrap=section.quality_bootstrap,
        preserve=section.preserve,
    )


def _configured_out(config: Config | None) -> str | None:
    if config is None:
        return None
    section = config.calibrator
    return (section.out if section is not None else None) or config.thresholds.path


def job_from_config(config: Config, source: str) -> Job:
    """The job a config file describes (the worker's); it must have a ``[calibrator]`` section."""
    section = _usable_section(config, source)
    out = _configured_out(config)
    if out is None:
        raise ConfigError(f"{source}: set [calibrator].out or [thresholds].path")
    return _section_job(config, section, source, Path(out))


def _usable_section(config: Config, source: str) -> CalibratorSection:
    """The ``[calibrator]`` section, when it is there and what it names can be computed."""
    section = config.calibrator
    if section is None:
        raise ConfigError(f"{source}: has no [calibrator] section")
    if section.vectors is None and not section.per_segment and config.embedding is None:
        raise ConfigError(
            f"{source}: [calibrator].chunks needs an [embedding] section (or set vectors)"
        )
    return section


def _section_job(config: Config | None, section: CalibratorSection, source: str, out: Path) -> Job:
    """The one place a :class:`Job` is built: from a ``[calibrator]`` section (or its defaults).

    The worker's job is this; ``embedshift calibrate``'s is this with its options on top.
    """
    embedding = None
    if config is not None and config.embedding is not None:
        embedding = Embedding(
            config.embedding,
            Path(section.cache_dir),
            section.document_template,
            section.document_input_type,
        )
    thresholds = config.thresholds if config is not None else ThresholdsSection()
    rbo_p = config.comparison.rbo_p if config is not None else Settings().rbo_p
    segments = section.segments.items()
    holdout: list[tuple[str, Path | float]] = []
    for name, segment in segments:
        holdout.extend((name, Path(p)) for p in segment.holdout)
        if segment.holdout_share is not None:
            holdout.append((name, segment.holdout_share))
    return Job(
        out=out,
        settings=settings_from_section(section, source, rbo_p),
        eval_files=tuple(Path(p) for p in section.eval),
        qrels=(
            *((name, Path(p)) for name, p in section.qrels.items()),
            *((name, Path(p)) for name, segment in segments for p in segment.qrels),
        ),
        queries=(
            *(((None, Path(section.queries)),) if section.queries else ()),
            *((name, Path(p)) for name, segment in segments for p in segment.queries),
        ),
        vectors=_path(section.vectors),
        segment_vectors=MappingProxyType(
            {name: Path(s.vectors) for name, s in segments if s.vectors is not None}
        ),
        chunks=_path(section.chunks),
        embedding=embedding,
        doc_segments=_path(section.doc_segments),
        old_vectors=_path(section.old_vectors),
        old_segment_vectors=MappingProxyType(
            {name: Path(s.old_vectors) for name, s in segments if s.old_vectors is not None}
        ),
        old_threshold=thresholds.old,
        old_segment_thresholds=thresholds.old_segments,
        holdout=tuple(holdout),
        check_at=section.check_at,
        report_dir=_path(section.report_dir),
        allow_fallback=section.allow_fallback,
    )


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


def split_named(value: str, option: str, default: str | None) -> tuple[str | None, str]:
    """``SEGMENT=VALUE`` -> (segment, value); a bare VALUE -> (default, value)."""
    head, sep, tail = value.partition("=")
    if sep and valid_segment(head):
        return head, tail
    if sep and not head:
        raise ConfigError(f"{option} {value!r}: the segment before = is empty")
    return default, value


def _named(values: list[str] | None, option: str) -> Named:
    out: list[tuple[str, Path]] = []
    for value in values or []:
        segment, path = split_named(value, option, DEFAULT_SEGMENT)
        assert segment is not None
        out.append((segment, Path(path)))
    return tuple(out)


def _folders(values: list[str] | None, option: str) -> tuple[Path | None, dict[str, Path]]:
    """One folder for all (``DIR``) or one per segment (``SEGMENT=DIR``, repeatable)."""
    single: Path | None = None
    per_segment: dict[str, Path] = {}
    for value in values or []:
        segment, path = split_named(value, option, None)
        if segment is None:
            if single is not None:
                raise ConfigError(
                    f"{option} is given twice without a segment; name each: {option} SEGMENT=DIR"
                )
            single = Path(path)
        elif segment in per_segment:
            raise ConfigError(f"{option} names segment {segment!r} twice")
        else:
            per_segment[segment] = Path(path)
    return single, per_segment


def _holdout(values: list[str] | None) -> Holdout:
    out: list[tuple[str, Path | float]] = []
    for value in values or []:
        segment, rest = split_named(value, "--holdout", None)
        if segment is None:
            raise ConfigError(
                f"--holdout {value!r}: name the segment: --holdout SEGMENT=QRELS.tsv or "
                "--holdout SEGMENT=SHARE"
            )
        try:
            share = float(rest)
        except ValueError:
            out.append((segment, Path(rest)))
            continue
        if not 0 < share < 1:
            raise ConfigError(f"--holdout {value!r}: a share must lie between 0 and 1")
        out.append((segment, share))
    return tuple(out)


def _check_at(text: str | None) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError as e:
        raise ConfigError(f"--check-at must be numbers separated by commas, got {text!r}") from e


def job_from_args(args: argparse.Namespace) -> Job:
    """The job of ``embedshift calibrate``: the config's (if ``--config``), then the options.

    Without a ``[calibrator]`` section the options go on top of that section's defaults, so
    that a Job has one constructor whether it comes from a file, the command line or both.
    """
    config = load_config(args.config) if args.config is not None else None
    out = args.out or _configured_out(config)
    if out is None:
        raise ConfigError(
            "--out is required (or --config with [calibrator].out or [thresholds].path)"
        )
    section = CalibratorSection()
    if config is not None and config.calibrator is not None:
        section = _usable_section(config, str(args.config))
    return _override(_section_job(config, section, str(args.config), Path(out)), args)


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
        k=args.k if args.k is not None else s.k,
        rbo_p=args.rbo_p if args.rbo_p is not None else s.rbo_p,
        quality_bootstrap=(
            args.quality_bootstrap if args.quality_bootstrap is not None else s.quality_bootstrap
        ),
        preserve=args.preserve or s.preserve,
    )
    if not 0 < settings.confidence < 1:
        raise ConfigError(f"--confidence must be between 0 and 1, got {settings.confidence}")
    if settings.min_queries < 1 or settings.top_n < 1 or settings.bootstrap < 0:
        raise ConfigError("--min-queries and --top-n must be at least 1, --bootstrap at least 0")
    if settings.k < 1 or settings.quality_bootstrap < 0 or not 0 < settings.rbo_p < 1:
        raise ConfigError(
            "--k must be at least 1, --quality-bootstrap at least 0, --rbo-p in (0, 1)"
        )
    eval_files = tuple(args.eval) if args.eval else job.eval_files
    qrels = _named(args.qrels, "--qrels") if args.qrels else job.qrels
    if not eval_files and not qrels:
        raise ConfigError("--eval EVAL.jsonl (or --qrels SEGMENT=QRELS.tsv) is required")
    queries = job.queries
    if args.queries:
        queries = tuple(
            (segment, Path(path))
            for segment, path in (split_named(v, "--queries", None) for v in args.queries)
        )
    vectors, segment_vectors = job.vectors, dict(job.segment_vectors)
    if args.vectors:
        vectors, segment_vectors = _folders(args.vectors, "--vectors")
    old_vectors, old_segment_vectors = job.old_vectors, dict(job.old_segment_vectors)
    if args.old_vectors:
        old_vectors, old_segment_vectors = _folders(args.old_vectors, "--old-vectors")
    old_threshold = args.old_threshold if args.old_threshold is not None else job.old_threshold
    return replace(
        job,
        out=args.out or job.out,
        settings=settings,
        eval_files=eval_files,
        qrels=qrels,
        queries=queries,
        vectors=vectors,
        segment_vectors=MappingProxyType(segment_vectors),
        chunks=args.chunks or job.chunks,
        doc_segments=args.doc_segments or job.doc_segments,
        old_vectors=old_vectors,
        old_segment_vectors=MappingProxyType(old_segment_vectors),
        old_threshold=old_threshold,
        holdout=_holdout(args.holdout) or job.holdout,
        check_at=_check_at(args.check_at) or job.check_at,
        report_dir=args.report or job.report_dir,
        allow_fallback=args.allow_fallback or job.allow_fallback,
    )
