"""Which files to scan, and scanning them (in parallel) into one result.

Directory arguments are walked recursively. Finding paths are relative to one root (the
command's ``--root``, by default the current folder), so that reports from several arguments
agree and code scanning can place them; a file outside the root keeps its absolute path.
Version-control folders, virtual environments, caches, ``node_modules``, lock files, minified
bundles and files over :data:`MAX_BYTES` are skipped, and so are tests (``tests/`` and
``test/`` folders, ``test_*.py``, ``*_test.py``, ``conftest.py``, ``*.test.ts``,
``*.spec.js``, ...) unless they are asked for; ``exclude`` globs skip more (matched against the
relative path and each of its parts). Files are scanned in worker processes, in batches; the
facts they return are linked across files in the parent (:mod:`calibrator.inventory.link`).
"""

from __future__ import annotations

import fnmatch
import gc
import multiprocessing
import operator
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import reduce
from itertools import chain, islice
from pathlib import Path, PurePath

from calibrator.inventory.config_scan import config_format, scan_config
from calibrator.inventory.facts import FileFacts, FileScan, Mentions
from calibrator.inventory.findings import Finding, ScanError, ScanResult
from calibrator.inventory.js_scan import JS_SUFFIXES, scan_js
from calibrator.inventory.link import link
from calibrator.inventory.python_scan import scan_python
from calibrator.inventory.sql_scan import scan_sql_text
from calibrator.inventory.vocabulary import EMBEDDING_TEXTS, STRING_LIBRARY_TEXTS

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
TEST_DIRS = frozenset({"tests", "test", "testing", "__tests__", "spec", "specs", "fixtures"})
_TEST_FILE = re.compile(
    r"^(test_.*\.pyi?|.*_test\.pyi?|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?)$"
)


def is_test(shown: str) -> bool:
    """Whether a relative path is a test file or lies in a test folder."""
    *folders, name = shown.split("/")
    return _TEST_FILE.match(name) is not None or any(f in TEST_DIRS for f in folders)


@dataclass(frozen=True, slots=True)
class Source:
    """One file to scan: where it is, and the path findings will show."""

    path: Path
    shown: str
    include_tests: bool = False


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


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` (both made absolute), or absolute when outside it."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def collect(
    paths: Iterable[Path],
    exclude: Sequence[str] = (),
    *,
    root: Path | None = None,
    include_tests: bool = False,
) -> list[Source]:
    """The files under ``paths`` worth scanning, in a stable order, shown relative to ``root``.

    ``root`` defaults to the one path given when it is a folder (so a scanned package's
    findings read ``pkg/mod.py``), else to the current folder.
    """
    return list(iter_sources(paths, exclude, root=root, include_tests=include_tests))


def iter_sources(
    paths: Iterable[Path],
    exclude: Sequence[str] = (),
    *,
    root: Path | None = None,
    include_tests: bool = False,
) -> Iterator[Source]:
    """:func:`collect`'s files one by one, as the walk finds them.

    :func:`scan_sources` hands them to its workers a batch at a time, so the first batches
    are scanned while the walk goes on (on 10,000 files the walk takes about 0.4 s).
    """
    paths = list(paths)
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    root = root.resolve()
    seen: set[str] = set()
    for given in paths:
        if given.is_file():
            shown = shown_path(given, root)
            if shown not in seen:
                seen.add(shown)
                yield Source(given, shown, include_tests)
            continue
        for folder, dirs, files in os.walk(given):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                path = Path(folder, name)
                if name in SKIPPED_FILES or (kind_of(path) is None and not python_script(path)):
                    continue  # before its shown path: resolving costs a call per folder
                shown = shown_path(path, root)
                if (
                    _excluded(shown, exclude)
                    or (not include_tests and is_test(path.relative_to(given).as_posix()))
                    or shown in seen
                ):
                    continue
                seen.add(shown)
                yield Source(path, shown, include_tests)


def _excluded(shown: str, exclude: Sequence[str]) -> bool:
    parts = shown.split("/")
    return any(
        fnmatch.fnmatch(shown, g) or any(fnmatch.fnmatch(p, g) for p in parts) for g in exclude
    )


def scan_file(source: Source, *, mentions: bool = True) -> FileScan:
    """Scan one file by its kind; unreadable, oversized or undecodable files are errors.

    ``mentions``: whether to tell what its text names (:func:`mentioned`).
    """
    try:
        if source.path.stat().st_size > MAX_BYTES:
            error = ScanError(source.shown, f"skipped: larger than {MAX_BYTES} bytes")
            return FileScan(errors=(error,))
        text = source.path.read_bytes().decode("utf-8-sig")  # a byte-order mark is no text
    except OSError as e:
        return FileScan(errors=(ScanError(source.shown, f"cannot read: {e.strerror or e}"),))
    except UnicodeDecodeError:
        return FileScan(errors=(ScanError(source.shown, "cannot read: not UTF-8 text"),))
    return scan_text(text, source.shown, include_tests=source.include_tests, mentions=mentions)


def python_script(path: Path) -> bool:
    """Whether a file without a suffix is a Python script (``#!/usr/bin/env python3``).

    Installed commands (a wheel's ``*.data/scripts/progres``) carry their defaults too.
    """
    if path.suffix:
        return False
    try:
        with path.open("rb") as file:
            first = file.readline(MAX_SHEBANG)
    except OSError:
        return False
    return runs_python(first.decode("latin-1"))


MAX_SHEBANG = 128
"""How much of a suffix-less file's first line is read for its interpreter."""


def runs_python(first_line: str) -> bool:
    """Whether a ``#!`` line names Python as the interpreter (``#!python``, ``env python3``)."""
    return first_line.startswith("#!") and "python" in first_line


def scan_text(
    text: str, shown: str, *, include_tests: bool = False, mentions: bool = True
) -> FileScan:
    """Scan one file's text by the kind its name says, or its ``#!`` line (``None``: skip).

    ``mentions``: whether to tell what the text names (:func:`mentioned`); once a file of a
    batch names embeddings, what the others name no longer matters.
    """
    kind = kind_of(PurePath(shown))
    if kind is None and not PurePath(shown).suffix and runs_python(text.partition("\n")[0]):
        kind = "python"
    if kind is None:
        return FileScan()
    if kind == "python":
        scanned = scan_python(text, shown, include_tests=include_tests)
    elif kind == "js":
        scanned = scan_js(text, shown)
    elif kind == "sql":
        scanned = FileScan(tuple(scan_sql_text(text, shown)))
    else:
        scanned = scan_config(text, shown, kind)
    return replace(scanned, mentions=mentioned(text)) if mentions else scanned


def mentioned(text: str) -> Mentions:
    """What a file's text names of embeddings, else of string-similarity libraries."""
    lowered = text.lower()
    embeddings = any(word in lowered for word in EMBEDDING_TEXTS)
    # a scan that names embeddings anywhere is judged by them, whatever else it names
    # (Mentions.only_strings): no need to look for string libraries then
    return Mentions(
        embeddings, not embeddings and any(word in lowered for word in STRING_LIBRARY_TEXTS)
    )


def scan_texts(texts: Mapping[str, str], *, include_tests: bool = False) -> ScanResult:
    """Scan files given as ``{path: text}`` and link them, as :func:`scan_sources` does.

    For small projects held in memory (tests, examples); paths are shown as given.
    """
    scans = [scan_text(t, path, include_tests=include_tests) for path, t in texts.items()]
    alone = [f for scanned in scans for f in scanned.findings]
    mentions = reduce(operator.or_, (scanned.mentions for scanned in scans), Mentions())
    findings = link((scanned.facts for scanned in scans), alone, mentions)
    return ScanResult(tuple(findings), tuple(e for scanned in scans for e in scanned.errors))


def _batches(sources: Iterable[Source]) -> Iterator[list[Source]]:
    """``sources`` in lists of :data:`BATCH`, in order."""
    iterator = iter(sources)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def _scan_batch(batch: list[Source]) -> tuple[ScanResult, list[FileFacts], Mentions]:
    findings: list[Finding] = []
    errors: list[ScanError] = []
    facts: list[FileFacts] = []
    mentions = Mentions()
    # syntax trees hold no reference cycles: reference counting frees them, and the cycle
    # collector, triggered by their many allocations, only costs time here
    enabled = gc.isenabled()
    gc.disable()
    try:
        scanned_all = []
        for source in batch:
            scanned = scan_file(source, mentions=not mentions.embeddings)
            mentions |= scanned.mentions
            scanned_all.append(scanned)
    finally:
        if enabled:
            gc.enable()
    for scanned in scanned_all:
        findings.extend(scanned.findings)
        errors.extend(scanned.errors)
        if scanned.facts.worth_linking():
            facts.append(scanned.facts)
    return ScanResult(tuple(findings), tuple(errors)), facts, mentions


def scan_sources(sources: Iterable[Source], jobs: int = 0) -> ScanResult:
    """Scan every source, with ``jobs`` worker processes (0: one per core; 1: in-process).

    Findings at every confidence: those each file tells alone, then the values the linker
    joins to a comparison or a threshold name across files. ``sources`` may be
    :func:`iter_sources`: the workers start on the first batches while the walk goes on.
    """
    jobs = jobs or os.cpu_count() or 1
    batches = _batches(sources)
    first = list(islice(batches, 2))
    parts: list[tuple[ScanResult, list[FileFacts], Mentions]] = []
    if jobs == 1 or len(first) <= 1:
        parts = [_scan_batch(batch) for batch in chain(first, batches)]
        return _linked(parts)
    context = multiprocessing.get_context("fork")
    # the facts the workers send back are unpickled here, all alive until the linking is
    # done: the cycle collector, triggered by those allocations, would walk them again and
    # again (10,000 files: 0.33 s of unpickling with it, 0.11 s without)
    enabled = gc.isenabled()
    gc.disable()
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            # `map` submits each batch as it is taken from the walk, in order
            parts = list(pool.map(_scan_batch, chain(first, batches)))
    finally:
        if enabled:
            gc.enable()
    return _linked(parts)


def _linked(parts: list[tuple[ScanResult, list[FileFacts], Mentions]]) -> ScanResult:
    """The batches' findings, and the findings their facts give once linked across files."""
    alone = [f for part, _, _ in parts for f in part.findings]
    errors = tuple(e for part, _, _ in parts for e in part.errors)
    mentions = reduce(operator.or_, (part_mentions for _, _, part_mentions in parts), Mentions())
    # the linker builds sets and dicts over every file's facts, all alive until it is done:
    # the cycle collector, triggered by those allocations, would walk them again and again
    # (on 10,000 files the linking took 1.35 s with it, 0.88 s without)
    enabled = gc.isenabled()
    gc.disable()
    try:
        facts = (facts for _, batch_facts, _ in parts for facts in batch_facts)
        findings = link(facts, alone, mentions)
    finally:
        if enabled:
            gc.enable()
    return ScanResult(tuple(findings), errors)
