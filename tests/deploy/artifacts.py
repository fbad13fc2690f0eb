"""What deploy/ ships, read back as data: dashboard targets, template variables, rule expressions.

The tests of deploy/ read the committed files (what operators apply), never the code that
generates them; the drift test ties the two together.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
RULES = DEPLOY / "prometheus" / "rules"
RULE_TESTS = DEPLOY / "prometheus" / "tests"

# TEMPORARY: series that other issues are building now. An expression reading one of them may
# return no data until it lands; once it returns data the test fails until its line is removed
# here. The lead empties this list.
PENDING_METRICS: dict[str, str] = {}

_LABEL_VALUES = re.compile(r"^label_values\((?:(?P<match>.+),\s*)?(?P<label>[A-Za-z_]\w*)\)$")


@dataclass(frozen=True)
class Target:
    """One query of one panel of one dashboard."""

    dashboard: str
    panel: str
    ref: str
    expr: str


@dataclass(frozen=True)
class Rule:
    """One recording or alerting rule."""

    file: str
    name: str
    kind: str  # "record" or "alert"
    expr: str


@dataclass(frozen=True)
class Variable:
    """A query template variable: ``label_values(match, label)``."""

    name: str
    match: str | None
    label: str


def dashboard_files() -> list[Path]:
    """The committed dashboard JSON files."""
    return sorted(DASHBOARDS.glob("*.json"))


def load_dashboard(path: Path) -> dict[str, Any]:
    """A dashboard document."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def panels(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel that shows data (rows and the panels collapsed inside them, flattened)."""
    out: list[dict[str, Any]] = []
    for panel in document.get("panels", []):
        if panel.get("type") == "row":
            out.extend(panel.get("panels", []))
        else:
            out.append(panel)
    return out


def targets() -> list[Target]:
    """Every panel target of every committed dashboard."""
    return [
        Target(path.name, panel["title"], target["refId"], target["expr"])
        for path in dashboard_files()
        for panel in panels(load_dashboard(path))
        for target in panel.get("targets", [])
    ]


def variables(document: dict[str, Any]) -> list[Variable]:
    """The dashboard's query variables, in dependency order (as Grafana lists them)."""
    out = []
    for var in document.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        parsed = _LABEL_VALUES.match(var["query"].strip())
        assert parsed, f"{var['name']}: not a label_values() query: {var['query']!r}"
        out.append(Variable(var["name"], parsed["match"], parsed["label"]))
    return out


def rules() -> list[Rule]:
    """Every rule of every committed rule file."""
    found = []
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                kind = "record" if "record" in rule else "alert"
                found.append(Rule(path.name, rule[kind], kind, rule["expr"].strip()))
    return found


def all_value(values: list[str]) -> str:
    """What Grafana puts for a multi-value variable set to All: a regex alternation."""
    return "(" + "|".join(re.escape(v) for v in sorted(values)) + ")"


def substitute(expr: str, values: dict[str, str], rate_interval: str) -> str:
    """``expr`` with template variables and Grafana's interval macros replaced."""
    out = expr.replace("$__rate_interval", rate_interval).replace("$__interval", rate_interval)
    for name, value in sorted(values.items(), key=lambda kv: -len(kv[0])):
        out = out.replace("${" + name + "}", value).replace("$" + name, value)
    assert "$" not in out.replace("$labels", "").replace("$value", ""), out
    return out


def metric_names(expr: str) -> set[str]:
    """The embedshift metric names (and recorded series) an expression reads."""
    return set(re.findall(r"\b(?:[a-z_]+:)?embedshift_[a-z0-9_]+(?::[a-z0-9_]+)?", expr))
