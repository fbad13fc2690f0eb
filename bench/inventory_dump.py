"""Every finding and miss of `embedshift inventory` on the benchmark's packages, one per line.

For working on the inventory's rules: run it before and after a change and compare the two
files, to see every threshold found or lost and every wrong report added or dropped across the
whole benchmark (tests/calibrator/inventory/corpus_expected.toml, fetched into
.ci-cache/inventory-corpus when absent), not only the totals. Each line is

    KIND PACKAGE PATH:LINE VALUE CONFIDENCE NAME | METRIC DIRECTION KIND | REASON

KIND: `T` a listed threshold reported, `N` a listed near miss reported, `?` a number reported
that neither list holds, `I` a reported number the list ignores, `MISS` a listed threshold not
reported (the rest of its line empty). With `--low`, findings below the reporting confidence
are written too, their KIND prefixed `low-`. Compare two runs by what was found or reported:

    .venv/bin/python bench/inventory_dump.py /tmp/before.txt
    (change a rule)
    .venv/bin/python bench/inventory_dump.py /tmp/after.txt
    diff <(cut -d' ' -f1-4 /tmp/before.txt | sort) <(cut -d' ' -f1-4 /tmp/after.txt | sort)

    .venv/bin/python bench/inventory_dump.py OUT [--low] [--jobs 2] [PACKAGE ...]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.calibrator.inventory.benchmark import entries_of, expectations, fetch_all  # noqa: E402

_expected: dict[str, Any] = {}


def _load() -> None:
    _expected.update(expectations())


def package_lines(task: tuple[str, Path, bool]) -> list[str]:
    """The lines of one package: its findings (at every confidence with ``low``), its misses."""
    from calibrator.inventory.findings import MEDIUM, dedupe
    from calibrator.inventory.walk import collect, scan_sources

    name, root, low = task
    listed = entries_of(_expected["threshold"], name)
    near = entries_of(_expected.get("near_miss", []), name)
    ignored = entries_of(_expected.get("ignored", []), name)
    result = scan_sources(collect([root]), jobs=1)
    lines: list[str] = []
    reported: set[tuple[str, int, float]] = set()
    for f in dedupe(list(result.findings)):
        if f.line is None:
            continue
        key = (f.path, f.line, f.value)
        kind = "T" if key in listed else "N" if key in near else "I" if key in ignored else "?"
        if f.confidence >= MEDIUM:
            reported.add(key)
        elif low:
            kind = f"low-{kind}"
        else:
            continue
        reason = " ".join(f.reason.split())[:160]
        lines.append(
            f"{kind} {name} {f.path}:{f.line} {f.value} {f.confidence:.2f} {f.name} | "
            f"{f.metric.value} {f.direction.value} {f.kind.value} | {reason}"
        )
    lines += [
        f"MISS {name} {path}:{line} {value}" for path, line, value in sorted(listed - reported)
    ]
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the file to write the lines to")
    parser.add_argument("packages", nargs="*", metavar="PACKAGE", help="only these (default: all)")
    parser.add_argument("--low", action="store_true", help="findings below medium too")
    parser.add_argument("--jobs", type=int, default=2, help="scan processes (default 2)")
    args = parser.parse_args()
    _load()
    pinned = {
        n: v for n, v in _expected["packages"].items() if not args.packages or n in args.packages
    }
    unknown = sorted(set(args.packages) - set(pinned))
    if unknown:
        parser.error(f"not in the benchmark: {', '.join(unknown)}")
    roots = fetch_all(pinned)
    tasks = [(name, roots[name], args.low) for name in pinned]
    with ProcessPoolExecutor(max(1, args.jobs), initializer=_load) as pool:
        lines = [line for found in pool.map(package_lines, tasks, chunksize=4) for line in found]
    temporary = args.out.with_name(args.out.name + ".part")
    temporary.write_text("\n".join(lines) + "\n")
    temporary.replace(args.out)  # no half-written dump beside a complete one
    counts = Counter(line.split(" ", 1)[0] for line in lines)
    print(f"{len(pinned)} packages: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
