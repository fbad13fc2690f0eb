"""``inventory --thresholds thresholds.json``: beside each threshold, its value on the new model.

The calibrator's thresholds document publishes, per segment, a map from the old model's scores
to the new model's (``map``: what keeps a threshold's recall, or precision, on the labelled
sample; :class:`proxy.thresholds.scoremap.ScoreMap`). For each finding the inventory prints
the value that map gives in every segment, turning the list of hardcoded numbers into the
migration's checklist: ``src/search.py:42 MIN_SCORE = 0.75 -> docs 0.861, code 0.849``.

A similarity is mapped as it is; a distance (a finding that keeps results below its value, or
whose score is a distance) is read as a cosine distance ``1 - s``, mapped, and written back.
A value outside a segment's map (its domain), or a segment without a map (nor a global one),
gives nothing for that segment (``-`` in the table, null in JSON and SARIF). Segments are the
document's, in name order; a document without segments gives ``all`` (the global map).

The outputs: one more table column (``new model (vN)``), a ``new_model`` object in each JSON
finding (``{"version": N, "values": {"docs": 0.861, ...}}``), and the same object in each SARIF
result's properties, its message ending ``On the new model: docs 0.861, code 0.849.``
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from calibrator.inventory.findings import Direction, Finding, Metric
from calibrator.inventory.output import Column
from proxy.thresholds.document import ThresholdsDocument

Values = Mapping[str, float | None]


@dataclass(frozen=True)
class NewModel:
    """The new model's value of every finding, per segment, from one thresholds document."""

    version: int
    segments: tuple[str, ...]
    values: tuple[Values, ...]  # aligned with the findings

    def cell(self, values: Values) -> str:
        """``docs 0.861, code 0.849`` (``-`` where a segment gives nothing)."""
        return ", ".join(
            f"{name} {'-' if values[name] is None else f'{values[name]:.3f}'}"
            for name in self.segments
        )

    def column(self, findings: Sequence[Finding]) -> Column:
        """The table's column for ``findings`` (the same findings, in the same order)."""
        by_id = {id(f): v for f, v in zip(findings, self.values, strict=True)}
        return (f"new model (v{self.version})", lambda f: self.cell(by_id[id(f)]))

    def json_of(self, values: Values) -> dict[str, Any]:
        """The ``new_model`` object of one finding."""
        rounded = {k: None if v is None else round(v, 6) for k, v in values.items()}
        return {"version": self.version, "values": rounded}


def new_model(findings: Sequence[Finding], document: ThresholdsDocument) -> NewModel:
    """Each finding's value on the new model, per segment of ``document``."""
    segments = tuple(sorted(document.segments)) or ("all",)
    values = tuple(
        {name: _mapped(f, document, None if name == "all" else name) for name in segments}
        for f in findings
    )
    return NewModel(document.version, segments, values)


def _mapped(finding: Finding, document: ThresholdsDocument, segment: str | None) -> float | None:
    score_map = document.map_for(segment)
    if score_map is None:
        return None
    distance = finding.metric == Metric.DISTANCE or (
        finding.metric == Metric.UNKNOWN and finding.direction == Direction.BELOW
    )
    old = 1.0 - finding.value if distance else finding.value
    new = score_map.to_new(old)
    if new is None:
        return None
    return 1.0 - new if distance else new


def add_to_json(text: str, model: NewModel) -> str:
    """The JSON report with each finding's ``new_model`` object."""
    findings = json.loads(text)
    for finding, values in zip(findings, model.values, strict=True):
        finding["new_model"] = model.json_of(values)
    return json.dumps(findings, indent=2)


def add_to_sarif(text: str, model: NewModel) -> str:
    """The SARIF log with each result's ``new_model`` property and message."""
    log = json.loads(text)
    results = log["runs"][0]["results"]
    for result, values in zip(results, model.values, strict=True):
        result["properties"]["new_model"] = model.json_of(values)
        result["message"]["text"] += f" On the new model: {model.cell(values)}."
    return json.dumps(log, indent=2)
