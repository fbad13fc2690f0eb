# ruff: noqa: INP001, T201  (a script: it prints what it wrote)
"""Generate embedshift's Grafana dashboards (deploy/grafana/dashboards/*.json) from code.

    python deploy/grafana/generate.py                # write the JSON files
    python deploy/grafana/generate.py --check        # exit 1 when the committed files differ
    python deploy/grafana/generate.py --out DIR      # write them somewhere else

Why code: the dashboards are built with grafana-foundation-sdk (Grafana's own typed builders,
pinned in pyproject.toml), so that a panel is a few lines of Python and the committed JSON can
be regenerated and checked (tests/deploy/test_dashboards.py fails when it drifts). Every PromQL
expression in them is run against a real Prometheus scraping a real sidecar
(tests/deploy/test_dashboards_live.py). The JSON is what operators import or provision.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from grafana_foundation_sdk.builders.dashboard import Dashboard
from grafana_foundation_sdk.cog.encoder import JSONEncoder

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling modules below, whether run or imported by path

import divergence  # noqa: E402
import sidecar  # noqa: E402

OUT_DIR = HERE / "dashboards"
DASHBOARDS: dict[str, Callable[[], Dashboard]] = {
    "embedshift-divergence.json": divergence.build,
    "embedshift-sidecar.json": sidecar.build,
}
"""File name in deploy/grafana/dashboards/ and the function that builds the dashboard."""


def render() -> dict[str, str]:
    """Every dashboard's JSON text (sorted keys, two-space indent, final newline), by file name."""
    encoder = JSONEncoder(sort_keys=True, indent=2)
    out: dict[str, str] = {}
    for name, build in DASHBOARDS.items():
        model = build().build()
        # Grafana wants ids unique within a dashboard; numbering in layout order keeps them
        # stable from one generation to the next.
        for index, panel in enumerate(model.panels or [], start=1):
            panel.id_val = index
        document = json.loads(encoder.encode(model))
        out[name] = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write(directory: Path, files: dict[str, str]) -> list[Path]:
    """Write ``files`` into ``directory`` (each through a temporary file and a rename)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = directory / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        written.append(path)
    return written


def stale(directory: Path, files: dict[str, str]) -> list[str]:
    """Names of ``files`` whose copy in ``directory`` is missing or different."""
    return [
        name
        for name, text in files.items()
        if not (directory / name).exists() or (directory / name).read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    """Write the dashboards, or with ``--check`` list those that differ and exit 1."""
    parser = argparse.ArgumentParser(description="Generate embedshift's Grafana dashboards.")
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="folder (default: %(default)s)")
    args = parser.parse_args(argv)
    files = render()
    if args.check:
        differ = stale(args.out, files)
        if differ:
            print(
                f"{args.out}: out of date: {', '.join(differ)}; "
                "run python deploy/grafana/generate.py",
                file=sys.stderr,
            )
            return 1
        return 0
    for path in write(args.out, files):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
