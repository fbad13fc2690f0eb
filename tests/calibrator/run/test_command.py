"""Tests of ``embedshift calibrate``: outputs, exit statuses, and the last good document."""

from __future__ import annotations

import json
import textwrap

import pytest
import structlog

from proxy.cli import main
from proxy.thresholds.document import load_thresholds
from tests.calibrator.synthetic import collection, synthetic, write


@pytest.fixture(autouse=True)
def _fresh_logging():
    """The CLI configures logging onto this test's captured stderr: undo it afterwards."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def sample(tmp_path):
    """A synthetic sample (60 queries in segments docs and code) written to disk."""
    vectors, eval_path = write(synthetic(seed=2), tmp_path)
    return vectors, eval_path, tmp_path / "out" / "thresholds.json"


def _run(capsys, *argv):
    status = main(["calibrate", "--quiet", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_run_publishes_a_versioned_document_and_prints_it(sample, capsys):
    """Exit 0, one line per scope on stdout, version 1 then 2 at --out."""
    vectors, eval_path, out = sample
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--min-queries", 10)  # fmt: skip
    assert status == 0
    doc = load_thresholds(out)
    assert doc.version == 1
    assert set(doc.segments) == {"docs", "code"}
    assert f"threshold {doc.global_.threshold:.4f}" in stdout
    assert "published version 1" in stdout
    assert _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                "--min-queries", 10)[0] == 0  # fmt: skip
    assert load_thresholds(out).version == 2


def test_a_corrupt_eval_file_keeps_the_last_good_document(sample, capsys):
    """A bad line fails the run naming file and line; the document stays byte-identical."""
    vectors, eval_path, out = sample
    assert _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out)[0] == 0
    before = out.read_bytes()
    with eval_path.open("a") as f:
        f.write('{"query_id": "q999", "relevant_ids": ["d1"]\n')
    lines = eval_path.read_text().count("\n")
    status, stdout, stderr = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out)
    assert status == 1
    assert (
        stderr.strip()
        .splitlines()[-1]
        .startswith(f"embedshift: {eval_path}:{lines}: not valid JSON")
    )
    assert stdout == ""
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["thresholds.json", "thresholds.v1.json"]


def _shrink_segment(eval_path, segment, keep):
    rows = [json.loads(line) for line in eval_path.read_text().splitlines()]
    kept, seen = [], 0
    for row in rows:
        if row["segment"] == segment:
            seen += 1
            if seen > keep:
                continue
        kept.append(row)
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in kept))


def test_a_segment_losing_its_labels_keeps_the_last_good_document(sample, capsys):
    """Too few labels where a calibrated threshold exists: clear error, document unchanged."""
    vectors, eval_path, out = sample
    common = ["--vectors", vectors, "--out", out, "--min-queries", 10]
    assert _run(capsys, "--eval", eval_path, *common)[0] == 0
    before = out.read_bytes()
    _shrink_segment(eval_path, "code", 3)
    status, _, stderr = _run(capsys, "--eval", eval_path, *common)
    assert status == 1
    message = stderr.strip().splitlines()[-1]
    assert "segments 'code' (had 30 labelled queries, now 3)" in message
    assert "version 1 stays in force" in message
    assert out.read_bytes() == before
    # accepting the fallback explicitly publishes it
    assert _run(capsys, "--eval", eval_path, *common, "--allow-fallback")[0] == 0
    doc = load_thresholds(out)
    assert doc.segments["code"].status == "fallback_global"
    assert doc.segments["code"].threshold == doc.global_.threshold


def test_a_new_small_segment_falls_back_with_a_reason(sample, capsys):
    """On a first run a segment with too few labels gets the global threshold and says why."""
    vectors, eval_path, out = sample
    _shrink_segment(eval_path, "code", 4)
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--min-queries", 10)  # fmt: skip
    assert status == 0
    assert "only 4 labelled queries (min_queries is 10)" in stdout
    assert load_thresholds(out).segments["code"].status == "fallback_global"


def test_no_threshold_meeting_the_policy_is_published_as_null_with_exit_3(sample, capsys):
    """Labels with no relation to the scores: precision 0.9 is out of reach, said plainly."""
    vectors, eval_path, out = sample
    rows = [json.loads(line) for line in eval_path.read_text().splitlines()]
    for i, row in enumerate(rows):  # relevant ids that the vectors know nothing about
        row["relevant_ids"] = [f"d{(i * 37 + k * 101) % 400}" for k in range(3)]
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--policy", "target_precision=0.9")  # fmt: skip
    assert status == 3
    doc = load_thresholds(out)
    assert doc.global_.threshold is None
    assert doc.global_.status == "no_threshold"
    assert "use a reranker or a fixed top-k" in (doc.global_.reason or "")
    assert "no threshold reaches micro precision 0.9" in stdout


def test_bad_options_exit_2_with_one_line(sample, capsys):
    """A malformed policy is a usage error: exit 2, one line naming the option."""
    vectors, eval_path, out = sample
    status, _, stderr = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--policy", "recall=0.9")  # fmt: skip
    assert status == 2
    assert stderr.strip() == (
        "embedshift: --policy must be one of target_recall=X, target_precision=X, "
        "max_f_beta=X (X a number, or old for a target), got 'recall=0.9'"
    )
    assert not out.exists()


def test_segment_policies_and_the_report(sample, capsys, tmp_path):
    """A per-segment policy applies to that segment; the report's JSON matches the document."""
    vectors, eval_path, out = sample
    report = tmp_path / "report"
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--min-queries", 10, "--policy", "code:max_f_beta=1",
                             "--report", report)  # fmt: skip
    assert status == 0
    doc = load_thresholds(out)
    assert doc.policy["segments"] == {
        "code": {"kind": "max_f_beta", "beta": 1.0, "average": "micro"}
    }
    data = json.loads((report / "report.json").read_text())
    assert data["scopes"]["code"]["policy"]["kind"] == "max_f_beta"
    assert data["scopes"]["global"]["entry"]["threshold"] == doc.global_.threshold
    assert data["scopes"]["docs"]["entry"]["recall"] == doc.segments["docs"].recall
    for name in ("index.html", "curve-global.png", "scores-docs.png", "curve-code.png"):
        assert (report / name).stat().st_size > 0
    assert (report / "curve-global.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"report: {report / 'index.html'}" in stdout


def test_the_config_file_supplies_the_calibrator_section(sample, capsys, tmp_path):
    """--config with [calibrator] runs without other options; options override it."""
    vectors, eval_path, out = sample
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [upstreams.old]
            url = "http://127.0.0.1:1"
            [upstreams.new]
            url = "http://127.0.0.1:2"
            [thresholds]
            path = "{out}"
            [calibrator]
            eval = ["{eval_path}"]
            vectors = "{vectors}"
            policy = "max_f_beta=1"
            min_queries = 10
            """
        )
    )
    assert _run(capsys, "--config", config)[0] == 0
    doc = load_thresholds(out)
    assert doc.policy["kind"] == "max_f_beta"
    assert _run(capsys, "--config", config, "--policy", "target_recall=0.8")[0] == 0
    assert load_thresholds(out).policy["kind"] == "target_recall"


def test_old_vectors_add_the_quantile_mapping(sample, capsys, tmp_path):
    """With the old model's vectors (here the same ones) the mapping lands on the old threshold."""
    vectors, eval_path, out = sample
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--old-vectors", vectors, "--old-threshold", 0.3)  # fmt: skip
    assert status == 0
    mapping = load_thresholds(out).quantile_mapping
    assert mapping is not None
    assert mapping["global"]["old_threshold"] == 0.3
    assert mapping["global"]["threshold"] == pytest.approx(0.3, abs=0.01)  # same model, same place
    assert mapping["old_model"]["name"] == "vectors"
    assert set(mapping["segments"]) == {"docs", "code"}
    assert "quantile mapping of old 0.3" in stdout
    quality = load_thresholds(out).quality_for("docs")
    assert quality is not None
    assert quality.abstain is not None  # the same model: about as many emptied as filled
    assert quality.abstain.n_queries == quality.n_queries
    assert f" of {quality.n_queries} queries, net " in stdout
    assert "abstain flips: new empty " in stdout
    status, stdout, _ = _run(capsys, "--eval", eval_path, "--vectors", vectors, "--out", out,
                             "--old-vectors", vectors)  # fmt: skip
    assert status == 0  # no old threshold: the old side is its top k, no mapping
    doc = load_thresholds(out)
    assert doc.quantile_mapping is None
    quality = doc.quality_for("docs")
    assert quality is not None
    assert quality.old.threshold is None
    assert set(quality.metrics) == {"ndcg@10", "recall@10"}
    assert quality.abstain is None  # no old threshold, no abstain flips
    assert "vs old vectors top k, no threshold" in stdout
    assert "abstain flips" not in stdout


@pytest.mark.slow
def test_collections_with_colliding_ids_each_in_its_folder(capsys, tmp_path):
    """Collections whose ids collide run as they are, each in its own folder.

    Folders per segment, several qrels files, a held-out file and share: the document has each
    segment's comparison; the command prints it and the held-out check; nothing merged by hand.
    """
    a = collection(tmp_path, "a", 1, n_queries=60, n_docs=400)
    b = collection(tmp_path, "b", 2, n_queries=60, n_docs=400)
    out, report = tmp_path / "thresholds.json", tmp_path / "report"
    status, stdout, stderr = _run(
        capsys,
        "--qrels", f"a={a / 'train.tsv'}", "--qrels", f"b={b / 'train.tsv'}",
        "--qrels", f"b={b / 'test.tsv'}",
        "--vectors", f"a={a / 'vectors'}", "--vectors", f"b={b / 'vectors'}",
        "--old-vectors", f"a={a / 'vectors'}", "--old-vectors", f"b={b / 'vectors'}",
        "--old-threshold", 0.3, "--policy", "target_recall=old", "--min-queries", 10,
        "--holdout", f"a={a / 'test.tsv'}", "--holdout", "b=0.3", "--check-at", "0.2,0.3",
        "--bootstrap", 20, "--quality-bootstrap", 50, "--out", out, "--report", report,
    )  # fmt: skip
    assert status == 0, stderr
    doc = load_thresholds(out)
    for name in ("a", "b"):
        quality = doc.quality_for(name)
        assert quality is not None
        assert quality.old.model == "vectors"
        assert set(quality.metrics) == {
            "ndcg@10", "recall@10", "precision_at_threshold", "recall_at_threshold"
        }  # fmt: skip
        assert quality.metrics["ndcg@10"].diff == 0  # the same vectors on both sides
        divergence = doc.divergence_for(name)
        assert divergence is not None
        assert divergence.n_documents == 400
        assert divergence.overlap.mean == 1.0
        assert doc.score_band_for(name) is not None
        score_map = doc.map_for(name)
        assert score_map is not None
        assert score_map.anchor is not None
        assert score_map.to_new(score_map.anchor[0]) == score_map.anchor[1]
    assert doc.segments["b"].n_queries == 42  # 60 queries, 30% held out
    assert doc.segments["a"].n_queries == 30  # train.tsv: the even queries
    assert "held out (queries not calibrated on):" in stdout
    assert "vs old vectors at 0.3" in stdout
    data = json.loads((report / "report.json").read_text())
    assert data["held_out"]["a"]["n_queries"] == 30
    page = (report / "index.html").read_text()
    assert "<h2>New against old on the labelled queries</h2>" in page
    for name in ("a", "b"):
        flips = data["scopes"][name]["comparison"]["abstain"]
        assert flips is not None
        assert (
            f"{flips['new_empty']} emptied, {flips['old_empty']} filled of {flips['n_queries']}"
        ) in page
    assert [c["old_threshold"] for c in data["held_out"]["b"]["checks"]] == [0.2, 0.3]
    for name in ("quality-a.png", "map-b.png", "quality-global.png"):
        assert (report / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_one_eval_file_may_reuse_query_ids_across_segments_with_their_own_vectors(capsys, tmp_path):
    """``--eval FILE`` with q0.. in segments a and b: fine with a folder each, refused shared.

    Each collection has queries q0.. and documents d0..; with --vectors SEGMENT=DIR they are
    told apart as a:q0 and b:q0. One folder for both has one row per id: an error naming both
    lines. A query repeated within one segment stays an error naming file and line.
    """
    a = collection(tmp_path, "a", 1, n_queries=30, n_docs=120)
    b = collection(tmp_path, "b", 2, n_queries=30, n_docs=120)
    eval_path, out = tmp_path / "eval.jsonl", tmp_path / "thresholds.json"
    rows = []
    for name, folder in (("a", a), ("b", b)):
        relevant: dict[str, list[str]] = {}
        for line in (folder / "train.tsv").read_text().splitlines():
            query_id, doc_id, _ = line.split("\t")
            relevant.setdefault(query_id, []).append(doc_id)
        rows += [{"query_id": q, "relevant_ids": d, "segment": name} for q, d in relevant.items()]
    eval_path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert rows[0]["query_id"] == rows[15]["query_id"] == "q0"  # the same ids in both
    own = ("--vectors", f"a={a / 'vectors'}", "--vectors", f"b={b / 'vectors'}")
    status, _, stderr = _run(capsys, "--eval", eval_path, *own, "--out", out,
                             "--min-queries", 10)  # fmt: skip
    assert status == 0, stderr
    doc = load_thresholds(out)
    assert (doc.segments["a"].n_queries, doc.segments["b"].n_queries) == (15, 15)
    status, _, stderr = _run(capsys, "--eval", eval_path, "--vectors", a / "vectors",
                             "--out", out, "--min-queries", 10)  # fmt: skip
    assert status == 1
    assert f"{eval_path}:16: query_id 'q0' of segment 'b' is also at {eval_path}:1" in stderr
    with eval_path.open("a") as f:
        f.write(json.dumps(rows[3]) + "\n")
    status, _, stderr = _run(capsys, "--eval", eval_path, *own, "--out", out)
    assert status == 1
    last = stderr.strip().splitlines()[-1]
    assert last == f"embedshift: {eval_path}:31: query_id 'q6' repeats line 4 (segment 'a')"


def test_layout_options_are_checked(sample, capsys, tmp_path):
    """Two unnamed folders, a nameless held-out file, a share out of range: exit 2, one line."""
    vectors, eval_path, out = sample
    cases = [
        (
            ("--vectors", vectors, "--vectors", vectors),
            "--vectors is given twice without a segment",
        ),
        (("--vectors", vectors, "--holdout", eval_path), "--holdout"),
        (("--vectors", vectors, "--holdout", "docs=1.5"), "a share must lie between 0 and 1"),
        (("--vectors", vectors, "--check-at", "x"), "--check-at must be numbers"),
    ]
    for extra, message in cases:
        status, _, stderr = _run(capsys, "--eval", eval_path, "--out", out, *extra)
        assert status == 2
        assert message in stderr
        assert len(stderr.strip().splitlines()) == 1


def test_the_config_s_old_model_and_rbo_persistence(sample, capsys, tmp_path):
    """The config's old model needs no old threshold, and its RBO persistence is the sidecar's.

    [calibrator].old_vectors without [thresholds].old: the old side is its top k; the
    divergence is measured at [comparison].rbo_p, as the sidecar measures it.
    """
    vectors, eval_path, out = sample
    config = tmp_path / "config.toml"
    config.write_text(
        textwrap.dedent(
            f"""
            [upstreams.old]
            url = "http://127.0.0.1:1"
            [upstreams.new]
            url = "http://127.0.0.1:2"
            [comparison]
            rbo_p = 0.8
            [thresholds]
            path = "{out}"
            [calibrator]
            eval = ["{eval_path}"]
            vectors = "{vectors}"
            old_vectors = "{vectors}"
            min_queries = 10
            bootstrap = 20
            """
        )
    )
    assert _run(capsys, "--config", config)[0] == 0
    doc = load_thresholds(out)
    divergence = doc.divergence_for("docs")
    assert divergence is not None
    assert divergence.rbo_p == 0.8
    quality = doc.quality_for("docs")
    assert quality is not None
    assert quality.old.threshold is None
