"""``embedshift inventory`` end to end: a small project tree, every source, exit statuses."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calibrator.inventory.walk import collect, iter_sources, scan_sources
from proxy.cli import main

FILES = {
    "app/search.py": "def keep(hits):\n    return [h for h in hits if h.score >= 0.82]\n",
    "web/search.ts": "export const MIN_SCORE = 0.7;\n",
    "conf/app.yaml": "retrieval:\n  similarity_threshold: 0.75\n",
    ".env": "SCORE_THRESHOLD=0.6\n",
    "db/seed.sql": "INSERT INTO settings (key, value) VALUES ('similarity_cutoff', '0.5');\n",
    "broken.py": "if score > :\n",
    "node_modules/lib/index.js": "const MIN_SCORE = 0.1;\n",
    ".venv/lib/x.py": "SIMILARITY_THRESHOLD = 0.2\n",
    "notes/README.md": "similarity > 0.9\n",
    "tests/test_search.py": "def test_it(hits):\n    assert hits[0].score > 0.91\n",
    "app/search_test.py": "CUTOFF_SCORE = 0.92\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with code, config, SQL, a broken file and folders that are skipped."""
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "latin1.py").write_bytes(b"# caf\xe9\nSCORE_THRESHOLD = 0.3\n")
    return tmp_path


def test_json_report_over_a_project(project: Path, capsys: pytest.CaptureFixture[str]):
    """Findings from every kind of file, paths relative to the root, errors on stderr."""
    status = main(["inventory", str(project), "--format", "json", "--jobs", "1"])
    out, err = capsys.readouterr()
    assert status == 0
    found = {(f["path"], f["line"], f["value"]) for f in json.loads(out)}
    assert found == {
        ("app/search.py", 2, 0.82),
        ("web/search.ts", 1, 0.7),
        ("conf/app.yaml", 2, 0.75),
        (".env", 1, 0.6),
        ("db/seed.sql", 1, 0.5),
    }
    assert "broken.py:1: syntax error" in err
    assert "latin1.py: cannot read: not UTF-8 text" in err


def test_fail_on_found_exits_1_only_when_something_is_found(
    project: Path, tmp_path_factory: pytest.TempPathFactory
):
    """``--fail-on-found`` turns findings into exit status 1; a clean tree still exits 0."""
    assert main(["inventory", str(project), "--format", "json", "--fail-on-found"]) == 1
    clean = tmp_path_factory.mktemp("clean")
    (clean / "ok.py").write_text("print('no thresholds here')\n")
    assert main(["inventory", str(clean), "--format", "json", "--fail-on-found"]) == 0


def test_sarif_to_a_file_relative_to_the_root(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    """``--output`` writes the whole report; paths are relative to ``--root`` (or the cwd)."""
    target = project / "report.sarif"
    monkeypatch.chdir(project)
    assert main(["inventory", "app/search.py", "--format", "sarif", "-o", str(target)]) == 0
    run = json.loads(target.read_text())["runs"][0]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "app/search.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == project.resolve().as_uri() + "/"
    assert (
        main(["inventory", str(project / "app"), "--root", str(project), "--format", "json"]) == 0
    )
    assert [f["path"] for f in json.loads(capsys.readouterr().out)] == ["app/search.py"]


def test_tests_are_skipped_unless_included(project: Path, capsys: pytest.CaptureFixture[str]):
    """Test folders, test files and asserts are only scanned with ``--include-tests``."""
    assert main(["inventory", str(project), "--format", "json", "--jobs", "1"]) == 0
    paths = {f["path"] for f in json.loads(capsys.readouterr().out)}
    assert not paths & {"tests/test_search.py", "app/search_test.py"}
    assert main(["inventory", str(project), "--format", "json", "--include-tests"]) == 0
    paths = {f["path"] for f in json.loads(capsys.readouterr().out)}
    assert {"tests/test_search.py", "app/search_test.py"} <= paths


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nope"], "nope: no such file or folder"),
        ([".", "--root", "nowhere"], "--root nowhere: not a folder"),
        ([".", "-o", "missing/report.json"], "its folder does not exist"),
        ([], "give at least one PATH"),
    ],
)
def test_user_mistakes_are_one_line_and_exit_2(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    message: str,
):
    """A bad argument gives ``embedshift: inventory: ...`` on stderr, no traceback, exit 2."""
    monkeypatch.chdir(project)
    assert main(["inventory", *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("embedshift: inventory: ")
    assert message in err
    assert "Traceback" not in err


def test_parallel_scan_matches_serial(project: Path):
    """Two worker processes find exactly what one process finds, fed from the walk as it goes."""
    for i in range(150):  # enough files for several batches
        (project / f"gen/m{i}.py").parent.mkdir(exist_ok=True)
        (project / f"gen/m{i}.py").write_text(f"CUTOFF_SCORE = 0.{i % 9 + 1}\n")
    sources = collect([project])
    assert list(iter_sources([project])) == sources
    serial = scan_sources(sources, jobs=1)
    for parallel in (scan_sources(sources, jobs=2), scan_sources(iter_sources([project]), jobs=2)):
        assert sorted(f.sort_key() for f in parallel.findings) == sorted(
            f.sort_key() for f in serial.findings
        )
        assert {e.path for e in parallel.errors} == {e.path for e in serial.errors}
    assert len(serial.findings) >= 150


def test_table_is_the_default(project: Path, capsys: pytest.CaptureFixture[str]):
    """Without ``--format`` a table is printed."""
    assert main(["inventory", str(project / "app")]) == 0
    assert "1 similarity thresholds" in capsys.readouterr().out


def test_the_report_goes_through_a_pipe_named_as_output(project: Path):
    """``-o /dev/stdout`` with stdout a pipe: the report is written through, nothing replaced.

    (Resolved, ``/dev/stdout`` is ``pipe:[...]``, which no path opens; and a device or pipe
    renamed over would stop being one.)
    """
    command = [
        str(Path(sys.executable).parent / "embedshift"), "inventory", str(project / "app"),
        "--format", "json", "-o", "/dev/stdout",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert [f["value"] for f in json.loads(done.stdout)] == [0.82]
