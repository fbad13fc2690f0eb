"""The demo's output: plain lines of at most 80 columns when piped, tables only where they fit.

The summary is built by the demo's own code from the real corpus and a gate report as the
admin API gives one (long reasons included); no run is needed.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from calibrator.demo.corpus import SEGMENTS, embed, generate
from calibrator.demo.observe import Reading
from calibrator.demo.plain import WIDTH, PlainProgress, summary_lines
from calibrator.demo.summary import build_summary
from calibrator.demo.traffic import TrafficStats
from calibrator.demo.view import Frame, fits, live_view, summary_view

REASON = (
    "new_index_coverage: 0.749 of 890 ids the old index returned are in the new index (95% "
    "bounds [0.725, 0.773]): below min_coverage 0.99: is the new index complete?"
)
BOX = set("┏┳┓┃┡╇┩│└┴┘━─")


@pytest.fixture(scope="module")
def embedded():
    """The default corpus, embedded by both models."""
    return embed(generate(7))


def _reading(verdict):
    """A reading whose status and gate report give every segment ``verdict``."""
    reasons = [REASON] if verdict == "fail" else []
    criteria = {"new_index_coverage": {"status": verdict, "reason": REASON}}
    segments = {s: {"verdict": verdict, "reasons": reasons, "criteria": criteria}
                for s in SEGMENTS}  # fmt: skip
    status = {"mode": {"mode": "shadow", "percent": 0.0, "generation": 0},
              "gate": {"passes": verdict == "pass", "segments": segments}}  # fmt: skip
    return Reading(12.0, {}, {}, 1, status, {"segments": segments})


def _summary(embedded, verdict, changes=()):
    extra = {
        "scenario": "broken-index", "duration_s": 20.0, "interrupted": False,
        "timeline": {"corpus_ready_s": 0.3, "gate_failed_s": 7.6, "flipped_s": None,
                     "rolled_back_s": None},
        "traffic": {"sent": 10, "ok": 10, "errors": 0, "answered_by": {"old": 10, "new": 0}},
    }  # fmt: skip
    audit = [
        {"from_mode": "shadow", "from_percent": 0.0, "to_mode": "canary", "to_percent": 10.0,
         "token": "automatic-promotion", "forced": False, "reason": "r",
         "gate": {"segments": {s: {"verdict": "pass"} for s in SEGMENTS}}}
        for _ in changes
    ]  # fmt: skip
    return build_summary(embedded, 0.55, None, _reading(verdict), audit, extra)


def _lines(summary):
    return summary_lines(summary)


def test_piped_summary_lines_fit_80_columns_with_whole_labels(embedded):
    """Every line is at most 80 columns, nothing is a table, each label is whole.

    Long gate reasons wrap onto indented lines instead of running past the width.
    """
    lines = _lines(_summary(embedded, "fail", changes=[1]))
    assert max(len(line) for line in lines) <= WIDTH
    assert not BOX & set("".join(lines))
    text = "\n".join(lines)
    labels = ("thresholds", "old model at old", "new model at old", "new model at new",
              "divergence", "gate", "timeline:", "mode changes:", "outcome: refused")  # fmt: skip
    for label in labels:
        assert label in text
    assert " ".join(text.split()).count(REASON) == len(SEGMENTS) + 1  # per segment, and why


def test_no_empty_mode_changes_heading(embedded):
    """A run without a mode change (Ctrl-C early, a refused index) prints no such heading."""
    summary = _summary(embedded, "fail")
    assert not any(line.startswith("mode changes") for line in _lines(summary))
    console = Console(file=io.StringIO(), width=200, record=True)
    console.print(summary_view(summary))
    assert "mode changes" not in console.export_text()


def test_tables_are_shown_only_where_they_fit(embedded):
    """The summary's and the live view's tables fit 160 columns, not 80 (plain lines there)."""
    summary = _summary(embedded, "pass")
    frame = Frame(7, "healthy", 12.0, "http://127.0.0.1:1/metrics", _reading("pass"),
                  _reading("pass"), TrafficStats(), [(1.0, "event")])  # fmt: skip
    for width, expected in ((160, True), (80, False)):
        console = Console(file=io.StringIO(), width=width)
        assert fits(console, summary_view(summary)) is expected
        assert fits(console, live_view(frame)) is expected


def test_live_progress_prints_each_event_once_and_a_status_line_every_few_seconds():
    """Plain progress: new events only, a status line at the first frame and 5 s later."""
    events = [(1.0, "first queries compared: divergence figures are live")]
    progress = PlainProgress()

    def frame(at):
        return Frame(7, "healthy", at, "u", _reading("pass"), _reading("pass"),
                     TrafficStats(), events)  # fmt: skip

    first = progress.tick(frame(2.0))
    assert first[0].strip().startswith("1.0 s  first queries compared")
    assert "mode shadow · 0 compared · gate: docs pass, code pass, faq pass" in first[1]
    assert progress.tick(frame(3.0)) == []
    events.append((4.0, "the gate passes for every segment"))
    assert len(progress.tick(frame(4.0))) == 1
    assert len(progress.tick(frame(7.5))) == 1  # the status line, 5 s after the last
    assert all(len(line) <= WIDTH for line in first)
