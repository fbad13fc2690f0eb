"""Reading the thresholds document's values: each check raises an error naming the key (stdlib).

Shared by :mod:`~proxy.thresholds.document` (the document and its segments) and
:mod:`~proxy.thresholds.evidence` (the evidence beside each segment's threshold). Every helper
takes the :class:`~proxy.config.where.Where` of the value it reads, so that a problem reads
``thresholds.json: segments.docs.quality.k must be an integer of at least 1, got str "10"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from proxy.config.where import Where

Interval = tuple[float, float]


def describe(value: Any) -> str:
    """A value as a message shows it: its JSON type and, for scalars, the value."""
    if value is None:
        return "null"
    shown = json.dumps(value) if isinstance(value, str | int | float | bool) else type(value)
    return f"{type(value).__name__} {shown}"


def table(value: Any, at: Where) -> Mapping[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise at.error(None, f"must be an object, got {describe(value)}")
    return value


def optional_table(value: Any, at: Where) -> Mapping[str, Any] | None:
    """A read-only copy of the object ``value``, or None for null."""
    return None if value is None else MappingProxyType(dict(table(value, at)))


def get(values: Mapping[str, Any], name: str, at: Where, *, required: bool = True) -> Any:
    """``values[name]``; a missing key is an error when ``required``, else None."""
    if name not in values:
        if required:
            raise at.error(name, "is missing")
        return None
    return values[name]


def number(value: Any, at: Where, *, unit: bool = False, nullable: bool = False) -> float | None:
    """A finite number (in [0, 1] when ``unit``); None only for null when ``nullable``."""
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        kind = "a finite number" + (" or null" if nullable else "")
        raise at.error(None, f"must be {kind}, got {describe(value)}")
    if unit and not 0.0 <= value <= 1.0:
        raise at.error(None, f"must be between 0 and 1, got {value}")
    return float(value)


def real(value: Any, at: Where, *, low: float | None = None, high: float | None = None) -> float:
    """A finite number within [``low``, ``high``] (either end open when None)."""
    found = number(value, at)
    assert found is not None
    if (low is not None and found < low) or (high is not None and found > high):
        span = f"[{'-inf' if low is None else low}, {'inf' if high is None else high}]"
        raise at.error(None, f"must be within {span}, got {found}")
    return found


def count(value: Any, at: Where, *, minimum: int = 0) -> int:
    """An integer of at least ``minimum`` (booleans are not integers here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise at.error(None, f"must be an integer of at least {minimum}, got {describe(value)}")
    return value


def text(value: Any, at: Where, *, nullable: bool = False) -> str | None:
    """A non-empty string; None only for null when ``nullable``."""
    if value is None and nullable:
        return None
    if not isinstance(value, str) or (not value and not nullable):
        raise at.error(None, f"must be a non-empty string, got {describe(value)}")
    return value


def interval(value: Any, at: Where) -> Interval | None:
    """``[low, high]`` with low <= high, or None for null."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise at.error(None, f"must be [low, high] or null, got {describe(value)}")
    low = number(value[0], at.child("0"))
    high = number(value[1], at.child("1"))
    assert low is not None
    assert high is not None
    if low > high:
        raise at.error(None, f"must have low <= high, got [{low}, {high}]")
    return (low, high)


def interval_out(value: Interval | None) -> list[float] | None:
    """An interval as JSON-ready data."""
    return None if value is None else [value[0], value[1]]
