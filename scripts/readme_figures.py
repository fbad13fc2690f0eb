"""Make the calibration figures of the docs with the documented command itself.

    .venv/bin/python scripts/readme_figures.py

Runs the first ``embedshift calibrate`` command of docs/calibrate.md exactly as the page
writes it (SciFact and Cranfield from ../shared/data, MiniLM old and mpnet new, the report
on), in a temporary folder with the shared data beside it, and copies its report's plots to
docs/images/ (the README and docs/calibrate.md show them). tests/calibrator/
test_calibrate_doc.py checks that the same command prints what the page quotes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.calibrator.doc_commands import commands, run, workspace  # noqa: E402

PAGE = ROOT / "docs" / "calibrate.md"
REPORT = Path("var") / "calibration"  # the page's --report
IMAGES = (
    "curve-scifact.png",
    "curve-cranfield.png",
    "scores-cranfield.png",
    "map-scifact.png",
    "map-cranfield.png",
    "quality-scifact.png",
    "quality-cranfield.png",
)


def main() -> int:
    """Run the page's command, copy the plots; print what the command printed."""
    command = next(c for c in commands(PAGE) if f"--report {REPORT}" in c.text)
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="embedshift-figures-") as tmp:
        work = workspace(Path(tmp))
        print(f"$ {command.text}")
        done = run(command, work)
        print(done.stdout, end="")
        if done.returncode != 0:
            print(done.stderr, end="", file=sys.stderr)
            return done.returncode
        for name in IMAGES:
            shutil.copy(work / REPORT / name, out / name)
            print(f"wrote docs/images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
