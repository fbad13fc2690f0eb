"""Outputs: JSON fields, SARIF 2.1.0 validated against the official schema, the table."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from calibrator.inventory.findings import Direction, Finding, Kind, Metric, ScanError
from calibrator.inventory.output import print_table, to_json, to_sarif

SCHEMA = Path(__file__).parent / "schemas" / "sarif-schema-2.1.0.json"

FINDINGS = [
    Finding(
        "app/search.py",
        12,
        0.8,
        Kind.KEYWORD,
        Direction.ABOVE,
        Metric.SIMILARITY,
        1.0,
        'search_kwargs={"score_threshold": 0.8}',
        name="score_threshold",
        library="langchain",
        reason="threshold name",
        column=28,
        related=("app/retrieve.py", 40),
    ),
    Finding(
        "conf/app.toml",
        3,
        0.35,
        Kind.CONFIG,
        Direction.BELOW,
        Metric.DISTANCE,
        0.85,
        "max_distance = 0.35",
        name="search.max_distance",
        language="toml",
    ),
    Finding(
        "postgresql://app@127.0.0.1:5432/db",
        None,
        0.7,
        Kind.DB,
        Direction.ABOVE,
        Metric.SIMILARITY,
        0.85,
        "search_settings.similarity_threshold [id=1]",
        name="similarity_threshold",
        table="search_settings",
        row_key="id=1",
        language="sql",
    ),
    Finding(
        "legacy.py",
        7,
        1.0,
        Kind.COMPARISON,
        Direction.BELOW,
        Metric.SIMILARITY,
        0.3,
        "if sim > 1.0:",
    ),
]
ERRORS = [ScanError("broken.py", "syntax error: invalid syntax", 4), ScanError("x.json", "bad")]


def test_json_is_a_list_with_the_required_fields():
    """Each JSON finding has path, line, value, direction, kind and confidence."""
    data = json.loads(to_json(FINDINGS))
    assert isinstance(data, list)
    assert len(data) == len(FINDINGS)
    for item, finding in zip(data, FINDINGS, strict=True):
        assert {"path", "line", "value", "direction", "kind", "confidence"} <= set(item)
        assert item["path"] == finding.path
        assert item["line"] == finding.line
        assert item["value"] == finding.value
    assert data[0]["direction"] == "above"
    assert data[0]["kind"] == "keyword"
    assert data[0]["library"] == "langchain"
    assert data[3]["level"] == "low"


def test_sarif_validates_against_the_2_1_0_schema(tmp_path: Path):
    """The SARIF log, with file, database and error entries, is valid SARIF 2.1.0."""
    schema = json.loads(SCHEMA.read_text())
    log = json.loads(to_sarif(FINDINGS, ERRORS, "0.1.0", tmp_path))
    jsonschema.Draft4Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    assert errors == []
    results = log["runs"][0]["results"]
    assert [r["ruleId"] for r in results] == [
        "threshold-keyword",
        "threshold-config",
        "threshold-db",
        "threshold-comparison",
    ]
    region = results[0]["locations"][0]["physicalLocation"]["region"]
    assert region == {
        "startLine": 12,
        "startColumn": 28,
        "endColumn": 31,
        "snippet": {"text": 'search_kwargs={"score_threshold": 0.8}'},
    }
    assert results[3]["level"] == "note"
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [e.message for e in ERRORS]


def test_sarif_has_what_github_code_scanning_needs(tmp_path: Path):
    """Root-relative URIs with %SRCROOT%, rule help, fingerprints and the related comparison."""
    run = json.loads(to_sarif(FINDINGS, ERRORS, "0.1.0", tmp_path))["runs"][0]
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": tmp_path.resolve().as_uri() + "/"}}
    first = run["results"][0]
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "app/search.py",
        "uriBaseId": "%SRCROOT%",
    }
    related = first["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"] == "app/retrieve.py"
    assert related["region"] == {"startLine": 40}
    fingerprints = {r["partialFingerprints"]["embedshiftThreshold/v1"] for r in run["results"]}
    assert len(fingerprints) == len(FINDINGS)
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["shortDescription"]["text"]
        assert rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["helpUri"].startswith("https://")


def test_sarif_fingerprints_survive_a_line_move(tmp_path: Path):
    """The same threshold two lines further down keeps its fingerprint."""
    moved = dataclasses.replace(FINDINGS[0], line=14)
    before = json.loads(to_sarif(FINDINGS[:1], [], "0.1.0", tmp_path))["runs"][0]["results"][0]
    after = json.loads(to_sarif([moved], [], "0.1.0", tmp_path))["runs"][0]["results"][0]
    assert before["partialFingerprints"] == after["partialFingerprints"]


@pytest.mark.slow  # installs the SARIF Multitool from npm once (about 100 MB), then runs it
def test_sarif_passes_the_sarif_sdk_validator_with_github_rules(
    sarif_multitool: Path, tmp_path: Path
):
    """Microsoft's SARIF Multitool finds no error or warning, GitHub's ingestion rules included.

    Database rows, which no file holds, are located by a logical location only.
    """
    log = tmp_path / "inventory.sarif"
    log.write_text(to_sarif(FINDINGS, ERRORS, "0.1.0", tmp_path))
    report = tmp_path / "validation.sarif"
    done = subprocess.run(
        [str(sarif_multitool), "validate", str(log), "--rule-kind", "Sarif;Gh",
         "--output", str(report)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    problems = [
        f"{r['ruleId']}: {r['message'].get('text', r['message'])}"
        for run in json.loads(report.read_text())["runs"]
        for r in run.get("results", [])
        if r.get("level", "warning") in ("error", "warning")
    ]
    assert problems == []


def test_sarif_schema_catches_a_broken_log():
    """The schema check can fail: a result without a message is rejected."""
    schema = json.loads(SCHEMA.read_text())
    log = json.loads(to_sarif(FINDINGS, [], "0.1.0"))
    del log["runs"][0]["results"][0]["message"]
    assert list(jsonschema.Draft4Validator(schema).iter_errors(log))


def test_table_shows_code_verbatim():
    """The table prints each finding, and brackets in code are not taken as markup."""
    out = io.StringIO()
    print_table(FINDINGS, ERRORS, out)
    text = out.getvalue()
    assert "app/search.py:12" in text
    assert 'search_kwargs={"score_threshold": 0.8}' in text
    assert "search_settings.similarity_threshold [id=1]" in text
    assert "2 files skipped" in text
    assert "similarity thresholds" in text
