"""``embedshift demo`` end to end, as docs/demo.md shows it: healthy flips, broken-index refuses.

The console blocks of docs/demo.md marked ``run-by: tests/calibrator/demo/test_run.py`` run
here as written, in order, in one folder (with the checkout's ``.venv`` linked in), each in
bash; their quoted output must appear in what they print (numbers as wildcards where the
block says ``output: varies``). The runs are real: the sidecar, its calibrator worker, the
backends, traffic and automatic promotion, on loopback. Each run keeps its files and its
JSON summary (``summary.json``) in its ``--workdir``; the tests read those. docs/demo.md
documents every field of that JSON: a test holds the two to each other.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests.docs.blocks import ROOT, collect, console_steps, missing_lines

SEGMENTS = ("docs", "code", "faq")
PAGE = ROOT / "docs" / "demo.md"
RUNNER = "tests/calibrator/demo/test_run.py"
BOX = set("┏┳┓┃┡╇┩│└┴┘━─")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(420)]


def _blocks():
    """docs/demo.md's console blocks this module runs, in page order."""
    return [b for b in collect(PAGE) if b.marker("run-by") == RUNNER]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """Every step of those blocks run as written: {command: what it printed}, and the folder.

    Its temp dir (TMPDIR) is checked empty afterwards, so the runs leave nothing behind.
    """
    base = tmp_path_factory.mktemp("demo")
    folder, temp = base / "reader", base / "tmp"
    folder.mkdir()
    temp.mkdir()
    (folder / ".venv").symlink_to(ROOT / ".venv")
    env = {
        **os.environ,
        "TMPDIR": str(temp),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
    }
    printed = {}
    for block in _blocks():
        for command, quoted in console_steps(block):
            done = subprocess.run(
                ["bash", "-c", f"set -eo pipefail\n{command}"], cwd=folder, env=env,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"{block.where}: {command}\n{done.stderr[-3000:]}"
            missing = missing_lines(quoted, done.stdout, block.marker("output") == "varies")
            assert not missing, f"{block.where}: not printed: {missing}\n{done.stdout}"
            printed[command] = done.stdout
    return printed, folder, temp


def _summary(page, workdir):
    return json.loads((page[1] / workdir / "summary.json").read_text())


def _output(page, flag):
    return next(out for command, out in page[0].items() if flag in command)


def test_the_page_runs_the_healthy_and_the_broken_scenario():
    """The page shows both scenarios, as commands this module runs."""
    commands = [c for b in _blocks() for c, _ in console_steps(b)]
    assert any("--workdir demo-run" in c for c in commands)
    assert any("--scenario broken-index" in c for c in commands)


def test_healthy_reaches_flipped_through_canary_on_a_passing_gate(page):
    """Shadow -> canary 10% -> canary 50% -> flipped, each step on a passing gate.

    Every change is automatic promotion, unforced, made on a gate report where every segment
    passes; clients saw no error; an early flip was refused; the outcome says so in words.
    """
    summary = _summary(page, "demo-run")
    assert summary["reached_flipped"] is True
    assert summary["outcome"] == "flipped"
    assert "reaching flipped at" in summary["why"]
    assert summary["scenario"] == "healthy"
    assert summary["new_index"] == {"documents": 2304, "missing": 0}
    changes = summary["mode_changes"]
    assert [c["to"] for c in changes] == ["canary 10%", "canary 50%", "flipped 100%"]
    for change in changes:
        assert change["by"] == "automatic-promotion"
        assert change["forced"] is False
        assert change["gate_verdicts"] == dict.fromkeys(SEGMENTS, "pass")
    assert summary["traffic"]["errors"] == 0
    assert summary["traffic"]["answered_by"]["new"] > 0
    assert any("refused by the gate (409)" in e["event"] for e in summary["events"])


def test_healthy_diverges_like_real_models_and_passes_on_quality_and_health(page):
    """Live overlap@10 is about 0.5-0.6, the new model ranks better, the verdict is pass.

    A sameness floor would refuse this swap; the calibrator's interval of new - old nDCG@10
    lies above -0.02; live divergence is what the calibrator expected, within 0.05.
    """
    summary = _summary(page, "demo-run")
    for name in SEGMENTS:
        segment = summary["segments"][name]
        live, calibrator = segment["divergence"], segment["calibrator"]
        assert live["compared"] >= 150
        assert 0.45 < live["overlap_mean"] < 0.7
        assert 0.45 < live["rbo_mean"] < 0.75
        expected = calibrator["expected_divergence"]
        assert live["rbo_mean"] == pytest.approx(expected["rbo"], abs=0.05)
        assert live["overlap_mean"] == pytest.approx(expected["overlap"], abs=0.05)
        ndcg = calibrator["ndcg_at_10"]
        assert ndcg["new"] > ndcg["old"]
        assert ndcg["interval"][0] >= -0.02
        assert segment["gate"] == {"verdict": "pass", "reasons": [], "failing": {}}


def test_thresholds_are_recalibrated_per_segment_into_the_new_band(page):
    """Each segment's new threshold leaves the old one for the new model's relevant scores.

    The segments' thresholds are not all the same; precision and recall at the new threshold
    agree with the calibrator's own, and the old threshold on the new model accepts more.
    """
    summary = _summary(page, "demo-run")
    assert summary["thresholds_version"] >= 1
    thresholds = []
    for name in SEGMENTS:
        segment = summary["segments"][name]
        old, new = segment["old_threshold"], segment["new_threshold"]
        low, high = segment["score_bands"]["new"]["relevant_pairs"]
        assert abs(new - old) > 0.1
        assert low < new < high
        assert segment["calibrator"]["status"] == "calibrated"
        thresholds.append(new)
        at_old, at_new = (
            segment["new_model_at_old_threshold"],
            segment["new_model_at_new_threshold"],
        )
        assert at_new["precision"] == pytest.approx(segment["calibrator"]["precision"], abs=1e-3)
        assert at_new["recall"] == pytest.approx(segment["calibrator"]["recall"], abs=1e-3)
        assert at_new["recall"] >= 0.9 - 1e-3  # the policy: target_recall=0.9
        assert at_old["recall"] >= at_new["recall"]
        assert at_old["precision"] < at_new["precision"]
    assert len(set(thresholds)) == len(SEGMENTS)


def test_broken_index_fails_on_coverage_and_nothing_is_promoted(page):
    """A new index missing a quarter of the corpus: every segment fails new_index_coverage.

    Labelled quality still passes (the calibrator's sample is complete: only health can tell);
    no mode change, no answer from the new index; the outcome says why in words; exit 1.
    """
    summary = _summary(page, "demo-broken")
    assert summary["scenario"] == "broken-index"
    assert summary["new_index"] == {"documents": 1728, "missing": 576}
    assert summary["outcome"] == "refused"
    assert summary["reached_flipped"] is False
    assert summary["mode_changes"] == []
    assert summary["traffic"]["answered_by"]["new"] == 0
    for name in SEGMENTS:
        segment = summary["segments"][name]
        assert segment["gate"]["verdict"] == "fail"
        assert list(segment["gate"]["failing"]) == ["new_index_coverage"]
        coverage = segment["gate"]["failing"]["new_index_coverage"]
        assert 0.65 < coverage["value"] < 0.85
        assert coverage["limit"] == 0.99
        assert segment["calibrator"]["ndcg_at_10"]["interval"][0] >= -0.02
    assert "new_index_coverage" in summary["why"]
    assert "is the new index complete?" in summary["why"]
    assert summary["gate_failures"]
    assert "exit status 1" in _output(page, "--scenario broken-index")


def test_piped_output_is_plain_lines_of_80_columns_with_whole_headers(page):
    """Piped, the demo prints no table: every line at most 80 columns, every label whole.

    Both scenarios; a run without mode changes prints no mode-changes heading.
    """
    for flag in ("--workdir demo-run", "--scenario broken-index"):
        out = _output(page, flag)
        lines = out.splitlines()
        assert max(len(line) for line in lines) <= 80, flag
        assert not BOX & set(out), flag
        for label in ("per segment, on its labelled queries", "  thresholds ",
                      "  old model at old ", "  nDCG@10 ", "  live divergence ", "  gate ",
                      "timeline: ", "outcome: "):  # fmt: skip
            assert label in out, (flag, label)
    assert "mode changes:" in _output(page, "--workdir demo-run")
    assert "mode changes:" not in _output(page, "--scenario broken-index")


def test_every_json_field_is_documented_and_every_documented_field_exists(page):
    """The JSON fields of both runs' summaries are exactly the fields docs/demo.md lists."""
    found = set()
    for workdir in ("demo-run", "demo-broken"):
        found |= set(_paths(_summary(page, workdir)))
    assert found == documented_fields()


def test_the_report_and_the_working_files_are_written_and_nothing_else_is_left(page):
    """--report and --workdir get their files, and nothing else is left behind.

    The report: the calibrator's HTML, JSON and plots; the working folder: the config, the
    thresholds and the summary; the temp dir is empty afterwards.
    """
    _, folder, temp = page
    report = folder / "demo-report"
    assert (report / "index.html").is_file()
    assert (report / "report.json").is_file()
    for name in ("global", *SEGMENTS):
        assert (report / f"curve-{name}.png").is_file()
    for name in ("config.toml", "summary.json", "thresholds/thresholds.json", "serve.log"):
        assert (folder / "demo-run" / name).is_file()
    assert list(temp.iterdir()) == []


def test_a_short_run_says_undecided_in_json_and_ctrl_c_prints_no_empty_heading(tmp_path):
    """--json with a --duration too short: valid JSON, outcome undecided, exit 1.

    Ctrl-C (SIGINT) while piped: exit 130, outcome interrupted, no 'mode changes:' heading.
    """
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    short = subprocess.run(
        [sys.executable, "-m", "proxy", "demo", "--json", "--duration", "3"],
        capture_output=True, text=True, timeout=120, check=False, env=env,
    )  # fmt: skip
    assert short.returncode == 1, short.stderr[-2000:]
    summary = json.loads(short.stdout)
    assert summary["outcome"] == "undecided"
    assert summary["why"].startswith("the migration did not complete within --duration 3 s")
    with subprocess.Popen(
        [sys.executable, "-m", "proxy", "demo"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    ) as process:  # fmt: skip
        assert process.stdout is not None
        for line in process.stdout:
            if "first queries compared" in line:
                break
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        rest = process.stdout.read()
        assert process.wait(timeout=60) == 130
    assert "outcome: interrupted (final mode shadow)\n  stopped by Ctrl-C after" in rest
    assert "mode changes" not in rest


def _name(parent: str, key: str) -> str:
    """A key as the docs name it: segment, criterion and outcome names are placeholders."""
    last = parent.rsplit(".", 1)[-1]
    if last in ("segments", "gate_verdicts"):
        return "<segment>"
    if parent == "gate_failures[].segments.<segment>" or parent.endswith(".gate.failing"):
        return "<criterion>"
    if last == "shadow_outcomes":
        return "<outcome>"
    return key


def _paths(node, path=""):
    """Every leaf of a summary as a dotted path (lists of objects as ``name[].field``).

    Lists of plain values, empty lists and empty objects are leaves.
    """
    if isinstance(node, dict) and node:
        for key, value in node.items():
            name = _name(path, key)
            yield from _paths(value, f"{path}.{name}" if path else name)
    elif isinstance(node, list) and node and all(isinstance(v, dict) for v in node):
        for value in node:
            yield from _paths(value, path + "[]")
    else:
        yield path


def documented_fields():
    """The fields the JSON table of docs/demo.md lists: every `name` in a row's first cell."""
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## The JSON summary", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"`([^`]+)`", cell)}
