"""The inventory's outputs: a table for a terminal, JSON, and SARIF 2.1.0.

JSON is a list of findings (each with at least ``path``, ``line``, ``value``, ``direction``,
``kind`` and ``confidence``). SARIF follows the OASIS 2.1.0 schema: one rule per finding
kind, file findings located by artifact and region, database findings by logical location
(table and row), and unreadable files as tool execution notifications.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from calibrator.inventory.findings import Finding, Kind, ScanError

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/embedshift/embedshift"

_RULES: dict[Kind, str] = {
    Kind.COMPARISON: "a score compared with a fixed number",
    Kind.KEYWORD: "a threshold passed as a keyword argument or dict key",
    Kind.CONSTANT: "a threshold kept in a named constant",
    Kind.DEFAULT: "a threshold kept as a parameter or field default",
    Kind.CONFIG: "a threshold in a config file",
    Kind.SQL: "a threshold in SQL text",
    Kind.DB: "a threshold stored in a database",
}


def to_json(findings: Sequence[Finding]) -> str:
    """The findings as a JSON list."""
    return json.dumps([f.to_json() for f in findings], indent=2)


def _message(finding: Finding) -> str:
    what = finding.metric.value if finding.metric.value != "unknown" else "score"
    keeps = (
        f"keeps results {finding.direction.value}"
        if finding.direction.value != "unknown"
        else "direction unknown"
    )
    name = f" ({finding.name})" if finding.name else ""
    library = f" [{finding.library}]" if finding.library else ""
    return (
        f"Hardcoded {what} threshold {finding.value:g}{name}: {keeps}{library}; "
        f"{finding.reason}. Recalibrate it for the new embedding model."
    )


def _location(finding: Finding) -> dict[str, Any]:
    if finding.line is None:
        logical = f"{finding.table}.{finding.name}"
        if finding.row_key:
            logical += f"[{finding.row_key}]"
        return {
            "physicalLocation": {"artifactLocation": {"uri": _uri(finding.path)}},
            "logicalLocations": [{"fullyQualifiedName": logical, "kind": "member"}],
        }
    region: dict[str, Any] = {"startLine": finding.line, "snippet": {"text": finding.snippet}}
    if finding.column:
        region["startColumn"] = finding.column
    return {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(finding.path), "uriBaseId": "SRCROOT"},
            "region": region,
        }
    }


def _uri(path: str) -> str:
    from urllib.parse import quote

    if "://" in path:
        return path
    return quote(path, safe="/")


def to_sarif(findings: Sequence[Finding], errors: Sequence[ScanError], version: str) -> str:
    """A SARIF 2.1.0 log with one run of ``embedshift inventory``."""
    kinds = list(_RULES)
    rules = [
        {
            "id": f"threshold-{kind.value}",
            "name": f"Hardcoded{kind.value.title()}Threshold",
            "shortDescription": {"text": text},
            "defaultConfiguration": {"level": "warning"},
        }
        for kind, text in _RULES.items()
    ]
    results = [
        {
            "ruleId": f"threshold-{f.kind.value}",
            "ruleIndex": kinds.index(f.kind),
            "level": "warning" if f.level != "low" else "note",
            "message": {"text": _message(f)},
            "locations": [_location(f)],
            "properties": {
                "value": f.value,
                "direction": f.direction.value,
                "metric": f.metric.value,
                "confidence": round(f.confidence, 2),
                "library": f.library,
                "name": f.name,
            },
        }
        for f in findings
    ]
    notifications = [
        {
            "level": "warning",
            "message": {"text": e.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(e.path)},
                        **({"region": {"startLine": e.line}} if e.line else {}),
                    }
                }
            ],
        }
        for e in errors
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "embedshift-inventory",
                        "version": version,
                        "informationUri": TOOL_URI,
                        "rules": rules,
                    }
                },
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def print_table(findings: Sequence[Finding], errors: Sequence[ScanError], out: TextIO) -> None:
    """A rich table of findings (and a count of skipped files) for people."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = None if out.isatty() else 240  # piped: wide rows rather than folded cells
    console = Console(file=out, soft_wrap=False, width=width)
    table = Table(title=f"{len(findings)} similarity thresholds", show_lines=False)
    for header in ("where", "value", "keeps", "metric", "kind", "library", "conf", "code"):
        table.add_column(header, overflow="fold")
    for f in findings:
        where = f"{f.path}:{f.line}" if f.line is not None else f"{f.path} {f.snippet}"
        cells = (
            where,
            f"{f.value:g}",
            f.direction.value,
            f.metric.value,
            f.kind.value,
            f.library or "",
            f.level,
            f.snippet if f.line is not None else f.reason,
        )
        table.add_row(*(Text(cell) for cell in cells))  # Text: code is not rich markup
    console.print(table)
    if errors:
        files = "file" if len(errors) == 1 else "files"
        console.print(f"{len(errors)} {files} skipped (see the warnings on stderr)")
