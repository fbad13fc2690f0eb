"""What the inventory reports: findings (a threshold found somewhere) and scan errors.

A :class:`Finding` is plain frozen data so that scanners can run in worker processes and hand
their results back by pickling, and so that every output format reads the same fields.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """Where the number was written, and in what syntactic role."""

    COMPARISON = "comparison"  # a score compared with a number: `if score >= 0.8`
    KEYWORD = "keyword"  # a keyword argument or dict key: `score_threshold=0.8`
    CONSTANT = "constant"  # a named constant: `SIMILARITY_CUTOFF = 0.8`
    DEFAULT = "default"  # a parameter or field default: `def f(min_score=0.8)`
    CONFIG = "config"  # a key in a TOML, YAML, JSON, INI or .env file
    SQL = "sql"  # a settings row, column default or comparison in SQL text
    DB = "db"  # a row or column default in a live database


class Direction(StrEnum):
    """Which results the threshold keeps."""

    ABOVE = "above"  # keeps results whose score is above the value
    BELOW = "below"  # keeps results whose score is below the value (distances)
    UNKNOWN = "unknown"


class Metric(StrEnum):
    """Whether the thresholded score is a similarity (higher is closer) or a distance."""

    SIMILARITY = "similarity"
    DISTANCE = "distance"
    UNKNOWN = "unknown"


HIGH = 0.75
"""Confidence at or above which a finding is ``high``."""
MEDIUM = 0.5
"""Confidence at or above which a finding is ``medium`` (the CLI's default floor)."""


def confidence_level(confidence: float) -> str:
    """``high``, ``medium`` or ``low`` for a confidence in [0, 1]."""
    if confidence >= HIGH:
        return "high"
    if confidence >= MEDIUM:
        return "medium"
    return "low"


@dataclass(frozen=True, slots=True)
class Finding:
    """One threshold: where it is, its value, what it keeps and how sure the scanner is.

    ``path`` is relative to the scanned root (for a database: the URL without its password);
    ``line`` is 1-based, or ``None`` for database rows, which are located by ``table``,
    ``column`` and ``row_key`` instead. ``name`` is the identifier or key that holds the value
    when there is one; ``reason`` says in a few words why this was reported; ``related`` is
    the file and line of the comparison that made a named value a threshold.
    """

    path: str
    line: int | None
    value: float
    kind: Kind
    direction: Direction
    metric: Metric
    confidence: float
    snippet: str
    name: str | None = None
    library: str | None = None
    reason: str = ""
    language: str = "python"
    column: int | None = None
    table: str | None = None
    row_key: str | None = None
    related: tuple[str, int] | None = None  # where the value meets a score, when elsewhere

    @property
    def level(self) -> str:
        """The confidence as ``high``, ``medium`` or ``low``."""
        return confidence_level(self.confidence)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with every field (enums as their values) plus ``level``."""
        data = dataclasses.asdict(self)
        data["kind"] = str(self.kind)
        data["direction"] = str(self.direction)
        data["metric"] = str(self.metric)
        data["confidence"] = round(self.confidence, 2)
        data["level"] = self.level
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        """Order by path, then line, then column, then name."""
        return (self.path, self.line or 0, self.column or 0, self.name or "")


@dataclass(frozen=True, slots=True)
class ScanError:
    """A file or database that could not be read or parsed; it was skipped."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        """``path:line: message`` (the line only when known)."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Findings and errors from one scan, merged across files and workers."""

    findings: tuple[Finding, ...] = ()
    errors: tuple[ScanError, ...] = ()

    def merged(self, other: ScanResult) -> ScanResult:
        """This result followed by ``other``."""
        return ScanResult(self.findings + other.findings, self.errors + other.errors)


def dedupe(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per (path, line, column, value, table, row), the most confident."""
    best: dict[tuple[object, ...], Finding] = {}
    for finding in findings:
        key = (
            finding.path,
            finding.line,
            finding.column,
            finding.value,
            finding.table,
            finding.row_key,
        )
        kept = best.get(key)
        if kept is None or finding.confidence > kept.confidence:
            best[key] = finding
    return sorted(best.values(), key=Finding.sort_key)
