"""``embedshift inventory``: the command's arguments and its run, wired to the scanners.

The command exits 0 when the scan ran (findings or not), 1 with ``--fail-on-found`` when
anything at or above ``--min-confidence`` was found, and 2 for a bad argument (a path that
does not exist, a root that is not a folder, an output folder that does not exist). Files
that cannot be read or parsed are reported on stderr and skipped.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Any

from proxy.errors import ConfigError
from proxy.files import is_special, write_atomic

LEVELS = {"low": 0.0, "medium": 0.5, "high": 0.75}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="files or folders to scan (code, config, SQL)",
    )
    parser.add_argument(
        "--db",
        action="append",
        default=[],
        metavar="URL",
        help="a database to scan: sqlite:///path or postgresql://... (repeatable)",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json", "sarif"),
        default="table",
        help="output format (default: %(default)s)",
    )
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=None,
        help="write the report to this file instead of stdout",
    )
    parser.add_argument(
        "--fail-on-found", action="store_true", help="exit 1 when any threshold is found (for CI)"
    )
    parser.add_argument(
        "--min-confidence",
        choices=tuple(LEVELS),
        default="medium",
        help="report findings at or above this confidence (default: %(default)s)",
    )
    parser.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="skip paths matching this glob (repeatable)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        metavar="DIR",
        help="show paths relative to this folder, SARIF's %%SRCROOT%% (default: the one "
        "folder given, else the current folder; use the repository root for code scanning)",
    )
    parser.add_argument(
        "--include-tests",
        action="store_true",
        help="also scan test files and folders, and assert statements (skipped by default)",
    )
    parser.add_argument(
        "--jobs", "-j", type=int, default=0, help="worker processes (default: one per core)"
    )
    parser.add_argument(
        "--thresholds",
        type=Path,
        default=None,
        metavar="FILE",
        help="a thresholds document (embedshift calibrate's): beside each threshold, the value "
        "its old-to-new map gives in each segment",
    )


def run(args: Any) -> int:  # noqa: C901, PLR0912 - argument checks, then one scan
    """Scan, print the report, and return the exit status."""
    from calibrator.inventory import output
    from calibrator.inventory.db_scan import scan_database
    from calibrator.inventory.findings import ScanResult, dedupe
    from calibrator.inventory.translated import add_to_json, add_to_sarif
    from calibrator.inventory.walk import iter_sources, scan_sources
    from proxy import __version__

    paths: list[Path] = list(args.paths)
    if not paths and not args.db:
        raise ConfigError("inventory: give at least one PATH or --db URL")
    for path in paths:
        if not path.exists():
            raise ConfigError(f"inventory: {path}: no such file or folder")
    root: Path | None = args.root
    if root is not None and not root.is_dir():
        raise ConfigError(f"inventory: --root {root}: not a folder")
    if root is None:
        root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path.cwd()
    if args.output is not None and not args.output.resolve().parent.is_dir():
        raise ConfigError(f"inventory: --output {args.output}: its folder does not exist")
    if args.jobs < 0:
        raise ConfigError(f"inventory: --jobs {args.jobs}: give 0 (one per core) or more")
    sources = iter_sources(paths, args.exclude, root=root, include_tests=args.include_tests)
    result = scan_sources(sources, jobs=args.jobs)  # scanned while the walk goes on
    for url in args.db:
        found, failed = scan_database(url)
        result = result.merged(ScanResult(tuple(found), tuple(failed)))
    floor = LEVELS[args.min_confidence]
    findings = dedupe([f for f in result.findings if f.confidence >= floor])
    model = None if args.thresholds is None else _new_model(findings, args.thresholds)
    for error in result.errors:
        print(f"embedshift: warning: {error}", file=sys.stderr)  # noqa: T201 - the report
    columns = output.COLUMNS if model is None else [*output.COLUMNS, model.column(findings)]
    if args.format == "json":
        text = output.to_json(findings)
        _emit((text if model is None else add_to_json(text, model)) + "\n", args.output)
    elif args.format == "sarif":
        sarif = output.to_sarif(findings, result.errors, __version__, root)
        _emit((sarif if model is None else add_to_sarif(sarif, model)) + "\n", args.output)
    elif args.output is not None:
        with tempfile.TemporaryFile("w+", encoding="utf-8") as buffer:
            output.print_table(findings, result.errors, buffer, columns)
            buffer.seek(0)
            _emit(buffer.read(), args.output)
    else:
        output.print_table(findings, result.errors, sys.stdout, columns)
    return 1 if args.fail_on_found and findings else 0


def _new_model(findings: Any, path: Path) -> Any:
    """Each finding's new-model values from the thresholds document at ``path``."""
    from calibrator.inventory.translated import new_model
    from proxy.errors import ThresholdsError
    from proxy.thresholds.document import load_thresholds

    try:
        document = load_thresholds(path)
    except ThresholdsError as e:
        raise ConfigError(f"inventory: --thresholds {path}: {e}") from e
    return new_model(findings, document)


def _emit(text: str, target: Path | None) -> None:
    """Print, or write whole (:func:`proxy.files.write_atomic`)."""
    if target is None:
        sys.stdout.write(text)
        return
    # a device or a pipe (`-o /dev/stdout`) is written as it is named: resolved, /dev/stdout
    # is /proc/self/fd/1's target, `pipe:[...]`, which no path opens
    write_atomic(target if is_special(target) else target.resolve(), text.encode("utf-8"))
