"""Which files to scan, and scanning them (in parallel) into one result.

A directory argument is walked recursively and is the root that finding paths are relative
to; a file argument is scanned alone, relative to its folder. Version-control folders,
virtual environments, caches, ``node_modules``, lock files, minified bundles and files over
:data:`MAX_BYTES` are skipped; ``exclude`` globs skip more (matched against the relative path
and each of its parts). Files are scanned in worker processes, in batches.
"""

from __future__ import annotations

import fnmatch
import multiprocessing
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path, PurePath

from calibrator.inventory.config_scan import config_format, scan_config
from calibrator.inventory.findings import Finding, ScanError, ScanResult
from calibrator.inventory.js_scan import JS_SUFFIXES, scan_js
from calibrator.inventory.python_scan import scan_python
from calibrator.inventory.sql_scan import scan_sql_text

MAX_BYTES = 2 * 1024 * 1024
BATCH = 64
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".eggs",
        "site-packages",
    }
)
SKIPPED_FILES = frozenset({"package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock"})


@dataclass(frozen=True, slots=True)
class Source:
    """One file to scan: where it is, and the path findings will show."""

    path: Path
    shown: str


def kind_of(path: PurePath) -> str | None:
    """``python``, ``js``, ``sql`` or a config format for a file name; ``None`` to skip."""
    suffix = path.suffix.lower()
    if suffix in (".py", ".pyi"):
        return "python"
    if suffix in JS_SUFFIXES and not path.name.endswith((".min.js", ".d.ts")):
        return "js"
    if suffix == ".sql":
        return "sql"
    return config_format(path)


def collect(paths: Iterable[Path], exclude: Sequence[str] = ()) -> list[Source]:
    """The files under ``paths`` worth scanning, in a stable order."""
    sources: list[Source] = []
    for given in paths:
        if given.is_file():
            sources.append(Source(given, given.name))
            continue
        for folder, dirs, files in os.walk(given):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(folder, name)
                shown = path.relative_to(given).as_posix()
                if name in SKIPPED_FILES or kind_of(path) is None or _excluded(shown, exclude):
                    continue
                sources.append(Source(path, shown))
    return sources


def _excluded(shown: str, exclude: Sequence[str]) -> bool:
    parts = shown.split("/")
    return any(
        fnmatch.fnmatch(shown, g) or any(fnmatch.fnmatch(p, g) for p in parts) for g in exclude
    )


def scan_file(source: Source) -> tuple[list[Finding], list[ScanError]]:  # noqa: PLR0911
    """Scan one file by its kind; unreadable, oversized or undecodable files are errors."""
    kind = kind_of(source.path)
    try:
        if source.path.stat().st_size > MAX_BYTES:
            return [], [ScanError(source.shown, f"skipped: larger than {MAX_BYTES} bytes")]
        text = source.path.read_bytes().decode("utf-8")
    except OSError as e:
        return [], [ScanError(source.shown, f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError:
        return [], [ScanError(source.shown, "cannot read: not UTF-8 text")]
    if kind == "python":
        return scan_python(text, source.shown)
    if kind == "js":
        return scan_js(text, source.shown)
    if kind == "sql":
        return scan_sql_text(text, source.shown), []
    if kind is None:
        return [], []
    return scan_config(text, source.shown, kind)


def _scan_batch(batch: list[Source]) -> ScanResult:
    findings: list[Finding] = []
    errors: list[ScanError] = []
    for source in batch:
        found, failed = scan_file(source)
        findings.extend(found)
        errors.extend(failed)
    return ScanResult(tuple(findings), tuple(errors))


def scan_sources(sources: list[Source], jobs: int = 0) -> ScanResult:
    """Scan every source, with ``jobs`` worker processes (0: one per core; 1: in-process)."""
    jobs = jobs or os.cpu_count() or 1
    batches = [sources[i : i + BATCH] for i in range(0, len(sources), BATCH)]
    result = ScanResult()
    if jobs == 1 or len(batches) <= 1:
        for batch in batches:
            result = result.merged(_scan_batch(batch))
        return result
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for part in pool.map(_scan_batch, batches):
            result = result.merged(part)
    return result
