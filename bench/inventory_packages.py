"""Benchmark: the inventory's precision and recall per real package, the article's grep beside.

The packages, pinned, and their hand-reviewed thresholds are those of
tests/calibrator/inventory/corpus_expected.toml (fetched with `pip download --no-deps` into
.ci-cache/inventory-corpus when absent). Prints a Markdown table: per package its role
(development or held-out), the thresholds on the list, and for `embedshift inventory` (at its
default confidence) and for the grep pipeline what they report, find, and their precision and
recall; then the totals per role and overall.

    .venv/bin/python bench/inventory_packages.py [--json figures.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.calibrator.inventory.benchmark import (  # noqa: E402
    Score,
    expectations,
    fetch_all,
    score,
    total,
)


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def _row(s: Score, files: str, seconds: str) -> str:
    grep_lines = len(s.grep_printed)
    return (
        f"| {s.package} | {s.role} | {files} | {len(s.expected)} | {len(s.reported)} | "
        f"{len(s.hits)} | {_ratio(s.precision)} | {_ratio(s.recall)} | {grep_lines} | "
        f"{len(s.grep_hits)} | {_ratio(s.grep_precision)} | {_ratio(s.grep_recall)} | {seconds} |"
    )


def main() -> int:
    """Score every package and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    expected = expectations()
    scores: list[Score] = []
    files: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for name, root in fetch_all(expected["packages"]).items():
        files[name] = sum(1 for _ in root.rglob("*.py"))
        start = time.perf_counter()
        scores.append(score(name, root, expected))
        seconds[name] = time.perf_counter() - start
    print(
        "| package | role | .py files | thresholds | inventory reports | found | precision "
        "| recall | grep lines | found | precision | recall | scan s |\n"
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
    )
    for s in scores:
        print(_row(s, str(files[s.package]), f"{seconds[s.package]:.1f}"))
    roles = list(dict.fromkeys(s.role for s in scores))  # as the benchmark lists them
    for role in [*roles, None]:
        merged = total(scores, role)
        print(
            _row(merged, str(sum(files[s.package] for s in scores if role in (None, s.role))), "")
        )
    missed = {s.package: sorted(s.expected - s.reported) for s in scores if s.expected - s.reported}
    wrong = {s.package: sorted(s.reported - s.expected) for s in scores if s.reported - s.expected}
    print(f"\nmissed: {missed or 'none'}\nfalse positives: {wrong or 'none'}")
    if args.json is not None:
        figures = {
            s.package: {
                "role": s.role, "thresholds": len(s.expected), "reported": len(s.reported),
                "found": len(s.hits), "precision": s.precision, "recall": s.recall,
                "grep_lines": len(s.grep_printed), "grep_found": len(s.grep_hits),
                "grep_precision": s.grep_precision, "grep_recall": s.grep_recall,
            }
            for s in [*scores, total(scores)]
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    overall = total(scores)
    ok = all(
        (s.precision is None or s.precision >= 0.9) and (s.recall is None or s.recall >= 0.9)
        for s in [*scores, overall]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
