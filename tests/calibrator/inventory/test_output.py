"""Outputs: JSON fields, SARIF 2.1.0 validated against the official schema, the table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema

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


def test_sarif_validates_against_the_2_1_0_schema():
    """The SARIF log, with file, database and error entries, is valid SARIF 2.1.0."""
    schema = json.loads(SCHEMA.read_text())
    log = json.loads(to_sarif(FINDINGS, ERRORS, "0.1.0"))
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
        "snippet": {"text": 'search_kwargs={"score_threshold": 0.8}'},
    }
    assert results[3]["level"] == "note"
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [e.message for e in ERRORS]


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
