"""Tests of the job: the config's ``[calibrator]`` and the command's options make one Job.

The worker builds its job from the config file alone; ``embedshift calibrate`` builds the same
one from the config (or the section's defaults) and puts its options on top. docs/calibrate.md
shows one real run both ways (the command, then ``calibrate.toml`` for the worker): here they
are read from the page and must give the same job, and on the shared data the same document.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest
import structlog

from calibrator.run.command import add_calibrate_arguments
from calibrator.run.job import job_from_args, job_from_config
from calibrator.run.worker import Worker
from proxy.cli import main
from proxy.config import load_config
from proxy.thresholds.document import load_thresholds
from tests.calibrator.doc_commands import ROOT, commands, workspace
from tests.calibrator.synthetic import collection

PAGE = ROOT / "docs" / "calibrate.md"
UPSTREAMS = """
[upstreams.old]
url = "http://127.0.0.1:1"
[upstreams.new]
url = "http://127.0.0.1:2"
"""


@pytest.fixture(autouse=True)
def _fresh_logging():
    """The CLI configures logging onto this test's captured stderr: undo it afterwards."""
    yield
    structlog.reset_defaults()


def _documented() -> tuple[list[str], str]:
    """The page's first ``embedshift calibrate`` (its arguments) and its worker config."""
    found = commands(PAGE)
    command = next(c for c in found if c.text.startswith("embedshift calibrate"))
    written = next(c for c in found if c.text.startswith("cat > calibrate.toml <<'EOF'"))
    argv = shlex.split(command.text.replace("\\\n", " "))[1:]
    return argv, "\n".join(written.text.splitlines()[1:-1]) + "\n"


def _args(*argv: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_calibrate_arguments(parser)
    return parser.parse_args([str(a) for a in argv])


def test_the_documented_config_and_command_make_one_job(tmp_path, monkeypatch):
    """calibrate.toml of docs/calibrate.md is its first command, but for where it publishes."""
    argv, config = _documented()
    monkeypatch.chdir(tmp_path)
    Path("calibrate.toml").write_text(config)
    assert argv[0] == "calibrate"
    cli = job_from_args(_args(*argv[1:]))
    worker = Worker(Path("calibrate.toml"))._job()
    assert worker.out == Path("var/worker/thresholds.json")
    assert worker.report_dir == Path("var/worker/calibration")
    assert replace(worker, out=cli.out, report_dir=cli.report_dir) == cli
    assert worker.settings.policy.from_old
    assert dict(worker.segment_vectors) == {
        "scifact": Path("../shared/data/scifact/embeddings/all-mpnet-base-v2"),
        "cranfield": Path("../shared/data/cranfield/embeddings/all-mpnet-base-v2"),
    }
    assert worker.holdout == (
        ("scifact", Path("../shared/data/scifact/qrels.tsv")),
        ("cranfield", 0.5),
    )
    assert worker.check_at == (0.3, 0.4, 0.5, 0.6, 0.7)
    assert worker.old_threshold == 0.5


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_worker_publishes_the_document_the_command_does(shared_data, tmp_path, monkeypatch):
    """On SciFact and Cranfield: the same document but its time, the same held-out check.

    The command of docs/calibrate.md runs in-process, then one round of the worker on the
    page's calibrate.toml; a second round finds the inputs unchanged and skips.
    """
    argv, config = _documented()
    work = workspace(tmp_path)
    monkeypatch.chdir(work)
    Path("calibrate.toml").write_text(config)
    assert main(argv) == 0
    worker = Worker(Path("calibrate.toml"))
    assert asyncio.run(worker.round())
    cli_doc = json.loads(Path("var/thresholds.json").read_text())
    worker_doc = json.loads(Path("var/worker/thresholds.json").read_text())
    assert {key for key in cli_doc if cli_doc[key] != worker_doc[key]} == {"created_at"}
    assert set(worker_doc["segments"]) == {"scifact", "cranfield"}
    doc = load_thresholds(Path("var/worker/thresholds.json"))
    for segment in ("scifact", "cranfield"):
        assert doc.quality_for(segment) is not None
        assert doc.divergence_for(segment) is not None
        assert doc.score_band_for(segment) is not None
        score_map = doc.map_for(segment)
        assert score_map is not None
        assert score_map.anchor == (0.5, doc.threshold_for(segment))
    cli_report = json.loads(Path("var/calibration/report.json").read_text())
    worker_report = json.loads(Path("var/worker/calibration/report.json").read_text())
    assert worker_report == cli_report
    assert set(worker_report["held_out"]) == {"scifact", "cranfield"}
    assert asyncio.run(worker.round())
    assert worker.status.skipped_rounds == 1
    assert load_thresholds(Path("var/worker/thresholds.json")).version == 1


@pytest.fixture
def collections(tmp_path):
    """Two synthetic collections whose ids collide (each in its own folder)."""
    return collection(tmp_path, "a", 1, n_queries=40), collection(tmp_path, "b", 2, n_queries=40)


def _segments_config(tmp_path: Path, a: Path, b: Path) -> Path:
    out = tmp_path / "worker" / "thresholds.json"
    config = tmp_path / "config.toml"
    config.write_text(
        UPSTREAMS
        + textwrap.dedent(
            f"""
            [thresholds]
            old = 0.3
            path = "{out}"
            [calibrator]
            policy = "target_recall=old"
            min_queries = 10
            bootstrap = 20
            quality_bootstrap = 50
            k = 5
            seed = 3
            preserve = "recall"
            check_at = [0.2, 0.3]
            status_path = "{tmp_path / "status.json"}"
            report_dir = "{tmp_path / "worker" / "report"}"
            [calibrator.segments.a]
            vectors = "{a / "vectors"}"
            old_vectors = "{a / "vectors"}"
            qrels = ["{a / "train.tsv"}"]
            queries = ["{a / "queries.jsonl"}"]
            holdout = ["{a / "test.tsv"}"]
            [calibrator.segments.b]
            vectors = "{b / "vectors"}"
            old_vectors = "{b / "vectors"}"
            qrels = ["{b / "train.tsv"}", "{b / "test.tsv"}"]
            queries = ["{b / "queries.jsonl"}", "{b / "queries.jsonl"}"]
            holdout_share = 0.25
            """
        )
    )
    return config


def _segments_argv(tmp_path, a, b) -> list[object]:
    return [
        "--qrels", f"a={a / 'train.tsv'}", "--qrels", f"b={b / 'train.tsv'}",
        "--qrels", f"b={b / 'test.tsv'}",
        "--queries", f"a={a / 'queries.jsonl'}", "--queries", f"b={b / 'queries.jsonl'}",
        "--queries", f"b={b / 'queries.jsonl'}",
        "--vectors", f"a={a / 'vectors'}", "--vectors", f"b={b / 'vectors'}",
        "--old-vectors", f"a={a / 'vectors'}", "--old-vectors", f"b={b / 'vectors'}",
        "--old-threshold", 0.3, "--policy", "target_recall=old", "--min-queries", 10,
        "--holdout", f"a={a / 'test.tsv'}", "--holdout", "b=0.25", "--check-at", "0.2,0.3",
        "--bootstrap", 20, "--quality-bootstrap", 50, "--k", 5, "--seed", 3,
        "--preserve", "recall", "--out", tmp_path / "cli" / "thresholds.json",
        "--report", tmp_path / "cli" / "report",
    ]  # fmt: skip


@pytest.mark.slow
def test_segment_tables_through_the_worker_publish_what_the_options_do(
    collections, tmp_path, capsys
):
    """Folders, several qrels and queries files, held-out file and share: one document.

    Colliding ids, each collection in its own folder, both models' vectors, settings of the
    comparison (k, seed, quality resamples, check_at): the worker's round publishes the
    command's document but for its time, and the same report.
    """
    a, b = collections
    config = _segments_config(tmp_path, a, b)
    assert main(["calibrate", "--quiet", *map(str, _segments_argv(tmp_path, a, b))]) == 0
    capsys.readouterr()
    assert asyncio.run(Worker(config).round())
    cli_doc = json.loads((tmp_path / "cli" / "thresholds.json").read_text())
    worker_doc = json.loads((tmp_path / "worker" / "thresholds.json").read_text())
    assert {key for key in cli_doc if cli_doc[key] != worker_doc[key]} == {"created_at"}
    assert worker_doc["segments"]["b"]["n_queries"] == 30  # 40 queries, a quarter held out
    assert worker_doc["segments"]["a"]["quality"]["k"] == 5
    flips = worker_doc["segments"]["a"]["quality"]["abstain"]  # the gate's expected flips
    assert flips["n_queries"] == worker_doc["segments"]["a"]["quality"]["n_queries"]
    report = json.loads((tmp_path / "worker" / "report" / "report.json").read_text())
    assert report == json.loads((tmp_path / "cli" / "report" / "report.json").read_text())
    assert [c["old_threshold"] for c in report["held_out"]["a"]["checks"]] == [0.2, 0.3]


def test_options_override_the_segment_tables(collections, tmp_path):
    """With --config, each option replaces what the config says of it; the rest stays."""
    a, b = collections
    config = _segments_config(tmp_path, a, b)
    from_config = job_from_config(load_config(config), str(config))
    options = ["--qrels", f"a={a / 'half.tsv'}", "--holdout", "a=0.5", "--k", 7,
               "--check-at", "0.4", "--preserve", "precision"]  # fmt: skip
    job = job_from_args(_args("--config", config, *options))
    assert job.qrels == (("a", a / "half.tsv"),)
    assert job.holdout == (("a", 0.5),)
    assert job.check_at == (0.4,)
    assert (job.settings.k, job.settings.preserve) == (7, "precision")
    assert job.settings.seed == from_config.settings.seed == 3
    assert job.settings.quality_bootstrap == 50
    assert job.segment_vectors == from_config.segment_vectors
    assert job.queries == from_config.queries
    assert len(from_config.queries) == 3
    assert from_config.qrels == (
        ("a", a / "train.tsv"), ("b", b / "train.tsv"), ("b", b / "test.tsv")
    )  # fmt: skip


def test_one_folder_with_segment_tables_for_labels(tmp_path):
    """With one vectors folder, segment tables carry only labels and held-out queries."""
    config = tmp_path / "config.toml"
    config.write_text(
        UPSTREAMS
        + textwrap.dedent(
            """
            [comparison]
            rbo_p = 0.8
            [calibrator]
            vectors = "vectors"
            old_vectors = "old"
            doc_segments = "segments.tsv"
            queries = "queries.jsonl"
            qrels = { docs = "docs.tsv" }
            out = "out.json"
            [calibrator.segments.docs]
            qrels = ["more-docs.tsv"]
            holdout = ["docs-test.tsv"]
            [calibrator.segments.code]
            qrels = ["code.tsv"]
            queries = ["code-queries.jsonl"]
            holdout_share = 0.2
            """
        )
    )
    job = job_from_config(load_config(config), str(config))
    assert job.vectors == Path("vectors")
    assert job.old_vectors == Path("old")
    assert not job.segment_vectors
    assert job.qrels == (
        ("docs", Path("docs.tsv")), ("docs", Path("more-docs.tsv")), ("code", Path("code.tsv"))
    )  # fmt: skip
    assert job.queries == ((None, Path("queries.jsonl")), ("code", Path("code-queries.jsonl")))
    assert job.holdout == (("docs", Path("docs-test.tsv")), ("code", 0.2))
    assert job.settings.rbo_p == 0.8
    assert job.out == Path("out.json")
