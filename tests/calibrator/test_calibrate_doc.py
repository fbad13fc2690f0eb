"""docs/calibrate.md runs as written on ../shared/data, and its figures are the run's.

Each command of the page's console blocks runs verbatim, in order, in a folder with the shared
data beside it; every line the page quotes must be in what the command printed, and every
figure the prose quotes (four decimals, as the command prints them) must be one the commands
printed: no number is copied by hand. The run is also the map's check on real models (MiniLM
to mpnet, SciFact and Cranfield): at every checked old threshold, the new model at the mapped
threshold keeps the old recall on the held-out queries within 0.05.
"""

from __future__ import annotations

import json

import pytest

from proxy.thresholds.document import load_thresholds
from tests.calibrator.doc_commands import (
    FIGURE,
    ROOT,
    commands,
    missing_lines,
    prose,
    run,
    workspace,
)

PAGE = ROOT / "docs" / "calibrate.md"


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_page_runs_verbatim_and_quotes_its_own_figures(shared_data, tmp_path):
    """Every command exits 0 and prints the quoted lines; the prose's figures are printed ones."""
    found = commands(PAGE)
    assert len(found) >= 3
    work = workspace(tmp_path)
    printed = []
    for command in found:
        done = run(command, work)
        where = f"docs/calibrate.md:{command.line}"
        assert done.returncode == 0, f"{where}: exit {done.returncode}\n{done.stderr}"
        missing = missing_lines(command.expected, done.stdout)
        assert not missing, (
            f"{where}: not printed:\n" + "\n".join(missing) + "\n---\n" + done.stdout
        )
        printed.append(done.stdout)
    signed = set(FIGURE.findall("\n".join(printed)))
    unsigned = {f.lstrip("+-") for f in signed}
    quoted = FIGURE.findall(prose(PAGE))
    assert quoted, "the prose quotes no figure of the run"
    # a signed figure must be printed with its sign; an unsigned one may be a printed difference
    strays = sorted({f for f in quoted if f not in signed and f not in unsigned})
    assert not strays, f"figures in docs/calibrate.md that no command printed: {strays}"
    assert (work / "var" / "calibration" / "map-scifact.png").exists()
    report = json.loads((work / "var" / "calibration" / "report.json").read_text())
    for segment in ("scifact", "cranfield"):
        checks = report["held_out"][segment]["checks"]
        assert [c["old_threshold"] for c in checks] == [0.3, 0.4, 0.5, 0.6, 0.7]
        for c in checks:
            old, new = c["old"], c["new"]
            print(f"{segment} {c['old_threshold']}: old P {old['precision']:.4f} R "
                  f"{old['recall']:.4f} | new {c['new_threshold']:.4f} P {new['precision']:.4f} "
                  f"R {new['recall']:.4f}")  # fmt: skip
            assert abs(new["recall"] - old["recall"]) <= 0.05
    doc = load_thresholds(work / "var" / "thresholds.json")
    for segment in ("scifact", "cranfield"):
        assert doc.quality_for(segment) is not None
        assert doc.divergence_for(segment) is not None
        assert doc.score_band_for(segment) is not None
        score_map = doc.map_for(segment)
        assert score_map is not None
        assert score_map.anchor == (0.5, doc.threshold_for(segment))


def test_the_page_s_commands_are_found():
    """The page's console blocks hold the calibrate runs, the worker's and the map queries.

    Every command quotes its output, except the one that writes the worker's config file.
    """
    found = commands(PAGE)
    runs = [c for c in found if c.text.startswith("embedshift calibrate")]
    assert len(runs) == 2
    assert all("--vectors scifact=../shared/data/" in c.text for c in runs)
    written = [c for c in found if c.text.startswith("cat > calibrate.toml <<'EOF'\n")]
    assert len(written) == 1
    assert written[0].text.endswith("\nEOF")
    assert any(c.text.startswith("embedshift worker --config calibrate.toml") for c in found)
    assert all(c.expected for c in found if c not in written)
