"""The inventory's outputs: a table for a terminal, JSON, and SARIF 2.1.0 for code scanning.

JSON is a list of findings (each with at least ``path``, ``line``, ``value``, ``direction``,
``kind`` and ``confidence``). SARIF follows the OASIS 2.1.0 schema and what GitHub code
scanning needs to place and track a finding: one rule per finding kind with short and full
descriptions, help and a help URI; file locations relative to ``%SRCROOT%``
(``originalUriBaseIds`` gives the scanned root), each with a region; a partial fingerprint
that survives lines moving; the comparison that made a value a threshold as a related
location. Database findings are located by logical location (table and row), and files that
could not be read are tool execution notifications.

The table's columns are a list of (header, cell function) pairs: a column is one entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from calibrator.inventory.findings import Finding, Kind, ScanError

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_URI = "https://github.com/embedshift/embedshift"
HELP_URI = f"{TOOL_URI}/blob/main/docs/inventory.md"
SRCROOT = "%SRCROOT%"

_RULES: dict[Kind, tuple[str, str]] = {
    Kind.COMPARISON: (
        "A similarity score compared with a fixed number",
        (
            "A similarity or distance score is compared with a number written in the code. "
            "The number was chosen for one embedding model; another model spreads its scores "
            "differently, so the comparison keeps different results after a migration."
        ),
    ),
    Kind.KEYWORD: (
        "A similarity threshold passed as an argument or key",
        (
            "A fixed number is passed on as a similarity or distance threshold: a keyword or "
            "positional argument, or a dict key of search options."
        ),
    ),
    Kind.CONSTANT: (
        "A similarity threshold kept in a named constant",
        (
            "A constant or variable holds a number that is compared with a similarity or "
            "distance score, here or in another module."
        ),
    ),
    Kind.DEFAULT: (
        "A similarity threshold kept as a default",
        (
            "A parameter default, class field, attribute or config fallback holds a number that "
            "is compared with a similarity or distance score, here or in another module."
        ),
    ),
    Kind.CONFIG: (
        "A similarity threshold in a config file",
        "A key of a TOML, YAML, JSON, INI or .env file holds a similarity or distance threshold.",
    ),
    Kind.SQL: (
        "A similarity threshold in SQL",
        (
            "SQL text compares a similarity or a vector distance (pgvector's <=>, <->, <#>) with "
            "a number, or stores a threshold in a settings row or column default."
        ),
    ),
    Kind.DB: (
        "A similarity threshold stored in a database",
        "A row or column default of a live database holds a similarity or distance threshold.",
    ),
}
_HELP = (
    "Recalibrate this number for the new embedding model (`embedshift calibrate` finds "
    "per-segment thresholds from labelled queries), or move it to configuration that the "
    "calibrator publishes. See {uri}."
)


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


def _artifact(path: str) -> dict[str, Any]:
    """A file relative to the scanned root, or an absolute file or database URI."""
    if "://" in path:
        return {"uri": path}
    if path.startswith("/"):
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT}


def _location(finding: Finding) -> dict[str, Any]:
    if finding.line is None:  # a database row: no file to place it in
        logical = f"{finding.path}#{finding.table}.{finding.name}"
        if finding.row_key:
            logical += f"[{finding.row_key}]"
        return {"logicalLocations": [{"fullyQualifiedName": logical, "kind": "member"}]}
    region: dict[str, Any] = {"startLine": finding.line}
    if finding.column:
        region["startColumn"] = finding.column
        region["endColumn"] = finding.column + len(f"{finding.value:g}")
    if finding.snippet:
        region["snippet"] = {"text": finding.snippet}
    return {"physicalLocation": {"artifactLocation": _artifact(finding.path), "region": region}}


def _fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: the file, the kind, the name and the code."""
    key = "\0".join(
        (finding.path, finding.kind.value, finding.name or "", " ".join(finding.snippet.split()))
    )
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f"threshold-{finding.kind.value}",
        "ruleIndex": rule_index,
        "level": "warning" if finding.level != "low" else "note",
        "message": {"text": _message(finding)},
        "locations": [_location(finding)],
        "partialFingerprints": {"embedshiftThreshold/v1": _fingerprint(finding)},
        "properties": {
            "value": finding.value,
            "direction": finding.direction.value,
            "metric": finding.metric.value,
            "confidence": round(finding.confidence, 2),
            "level": finding.level,
            "library": finding.library,
            "name": finding.name,
        },
    }
    if finding.related is not None:
        path, line = finding.related
        result["relatedLocations"] = [
            {
                "id": 1,
                "message": {"text": "compared with a score here"},
                "physicalLocation": {
                    "artifactLocation": _artifact(path),
                    "region": {"startLine": line},
                },
            }
        ]
    return result


def _rule(kind: Kind) -> dict[str, Any]:
    short, full = _RULES[kind]
    help_text = _HELP.format(uri=HELP_URI)
    return {
        "id": f"threshold-{kind.value}",
        "name": f"Hardcoded{kind.value.title()}Threshold",
        "shortDescription": {"text": short},
        "fullDescription": {"text": full},
        "help": {"text": help_text, "markdown": help_text.replace(HELP_URI, f"<{HELP_URI}>")},
        "helpUri": HELP_URI,
        "defaultConfiguration": {"level": "warning"},
        "properties": {
            "tags": ["embeddings", "similarity-threshold", "maintainability"],
            "precision": "high",
            "problem.severity": "warning",
        },
    }


def to_sarif(
    findings: Sequence[Finding],
    errors: Sequence[ScanError],
    version: str,
    root: Path | None = None,
) -> str:
    """A SARIF 2.1.0 log with one run of ``embedshift inventory``.

    ``root`` is the folder finding paths are relative to; it becomes ``%SRCROOT%`` in
    ``originalUriBaseIds`` (code scanning resolves it to the repository's checkout).
    """
    kinds = list(_RULES)
    base = (root or Path.cwd()).resolve().as_uri().rstrip("/") + "/"
    notifications = [
        {
            "level": "warning",
            "message": {"text": e.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _artifact(e.path),
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
                        "semanticVersion": version,
                        "informationUri": TOOL_URI,
                        "rules": [_rule(kind) for kind in kinds],
                    }
                },
                "originalUriBaseIds": {SRCROOT: {"uri": base}},
                "invocations": [
                    {"executionSuccessful": True, "toolExecutionNotifications": notifications}
                ],
                "results": [_result(f, kinds.index(f.kind)) for f in findings],
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2)


Column = tuple[str, Callable[[Finding], str]]


def _where(finding: Finding) -> str:
    if finding.line is None:
        return f"{finding.path} {finding.snippet}"
    return f"{finding.path}:{finding.line}"


COLUMNS: list[Column] = [
    ("where", _where),
    ("value", lambda f: f"{f.value:g}"),
    ("keeps", lambda f: f.direction.value),
    ("metric", lambda f: f.metric.value),
    ("kind", lambda f: f.kind.value),
    ("library", lambda f: f.library or ""),
    ("conf", lambda f: f.level),
    ("code", lambda f: f.snippet if f.line is not None else f.reason),
]
"""The table's columns, in order: a later column (a translated value per segment, say) is
one more entry here."""


def print_table(
    findings: Sequence[Finding],
    errors: Sequence[ScanError],
    out: TextIO,
    columns: Sequence[Column] = tuple(COLUMNS),
) -> None:
    """A rich table of findings (and a count of skipped files) for people."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    width = None if out.isatty() else 240  # piped: wide rows rather than folded cells
    console = Console(file=out, soft_wrap=False, width=width)
    table = Table(title=f"{len(findings)} similarity thresholds", show_lines=False)
    for header, _ in columns:
        table.add_column(header, overflow="fold")
    for finding in findings:
        table.add_row(*(Text(cell(finding)) for _, cell in columns))  # Text: code is not markup
    console.print(table)
    if errors:
        files = "file" if len(errors) == 1 else "files"
        console.print(f"{len(errors)} {files} skipped (see the warnings on stderr)")
