"""Make the README's calibration figures with the project's own command.

    .venv/bin/python scripts/readme_figures.py

SciFact and Cranfield (../shared/data) become two segments of one corpus (ids namespaced, as
in the calibrator's tests), `embedshift calibrate` runs on the training labels with the
report on, and the per-segment precision/recall plots are copied to docs/images/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.calibrator.combined import build_combined  # noqa: E402

DATA = ROOT.parent / "shared" / "data"


def main() -> int:
    """Build, calibrate, copy the plots; print the command's summary."""
    out = ROOT / "docs" / "images"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="embedshift-figures-") as tmp:
        work = Path(tmp)
        combined = build_combined(DATA, work)
        command = [
            str(ROOT / ".venv" / "bin" / "embedshift"), "calibrate",
            "--eval", str(combined.train), "--vectors", str(combined.new),
            "--doc-segments", str(combined.doc_segments),
            "--old-vectors", str(combined.old), "--old-threshold", "0.5",
            "--policy", "target_recall=0.9", "--out", str(work / "thresholds.json"),
            "--report", str(work / "report"), "--quiet",
        ]  # fmt: skip
        print("$ embedshift calibrate --eval train.jsonl --vectors mpnet/ \\")
        print("    --doc-segments segments.tsv --old-vectors minilm/ --old-threshold 0.5 \\")
        print("    --policy target_recall=0.9 --report report/")
        subprocess.run(command, check=True)  # noqa: S603 - our own CLI
        for name in ("curve-scifact.png", "curve-cranfield.png", "scores-cranfield.png"):
            shutil.copy(work / "report" / name, out / name)
            print(f"wrote docs/images/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
