"""Turn a parsed TOML table into frozen dataclasses, checking every key on the way.

The schema is the dataclasses themselves: a field's type says what TOML value it takes and
its metadata (made with :func:`setting`) carries the documentation and the bounds. Unknown
keys, wrong types and out-of-range values raise :class:`~proxy.errors.ConfigError` with a
message that names the file, the key (``[shadow].sample_rate``) and what was expected, and the
line when it can be found in the text.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from proxy.errors import ConfigError

T = TypeVar("T")

_MISSING = dataclasses.MISSING


def setting(
    doc: str,
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """Declare a config field with its documentation and bounds.

    ``check`` receives the converted value and returns an error text ("must be ...") or None.
    """
    meta = {"doc": doc, "ge": ge, "le": le, "gt": gt, "lt": lt, "check": check}
    if default_factory is not None:
        return dataclasses.field(default_factory=default_factory, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


class Where:
    """The key being read: renders ``[upstreams.old].url`` and finds its line in the text."""

    def __init__(self, source: str, text: str, table: tuple[str, ...] = ()) -> None:
        """Remember the file name, its text (for line lookups) and the current table."""
        self.source = source
        self.text = text
        self.table = table

    def child(self, name: str) -> Where:
        """The table ``name`` under this one."""
        return Where(self.source, self.text, (*self.table, name))

    def key(self, name: str | None = None) -> str:
        """Render the key as written in messages: ``[shadow].sample_rate``, ``[[routes]] #2.k``."""
        first = next((i for i, p in enumerate(self.table) if p.startswith("#")), None)
        if first is None:
            head = f"[{'.'.join(self.table)}]" if self.table else ""
        else:
            rest = "".join(
                f"[{p[1:]}]" if p.startswith("#") else f".{p}" for p in self.table[first + 1 :]
            )
            head = f"[[{'.'.join(self.table[:first])}]] {self.table[first]}{rest}"
        if name is None:
            return head or "top level"
        return f"{head}.{name}" if head else name

    def line_of(self, name: str | None) -> int | None:
        """Best-effort line number of ``name`` inside the current table (None if unsure)."""
        tables = [p for p in self.table if not p.startswith("#")]
        header = ".".join(tables)
        current = ""
        seen_array: dict[str, int] = {}
        want_index = _array_index(self.table)
        for number, raw in enumerate(self.text.splitlines(), start=1):
            line = raw.strip()
            match = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if match:
                current = match.group(1)
                if line.startswith("[["):
                    seen_array[current] = seen_array.get(current, 0) + 1
                if (
                    name is None
                    and current == header
                    and _index_ok(seen_array, current, want_index)
                ):
                    return number
                continue
            if name is None or current != header or not _index_ok(seen_array, current, want_index):
                continue
            if re.match(rf"^\"?{re.escape(name)}\"?\s*=", line):
                return number
        return None

    def error(self, name: str | None, message: str) -> ConfigError:
        """A ConfigError for key ``name`` saying ``message`` (``must be ..., got ...``)."""
        line = self.line_of(name)
        suffix = f" (line {line})" if line is not None else ""
        return ConfigError(f"{self.source}: {self.key(name)} {message}{suffix}")


def _array_index(table: tuple[str, ...]) -> int | None:
    for part in table:
        if part.startswith("#"):
            return int(part[1:])
    return None


def _index_ok(seen: dict[str, int], current: str, want: int | None) -> bool:
    return want is None or seen.get(current, 0) == want


def build(cls: type[T], data: Mapping[str, Any], where: Where) -> T:
    """Build dataclass ``cls`` from ``data``; every problem raises a ConfigError."""
    if not isinstance(data, Mapping):
        raise where.error(None, f"must be a table, got {_describe(data)}")
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    hints = typing.get_type_hints(cls)
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(sorted(fields))
            raise where.error(key, f"is not a known key{hint}; known keys: {known}")
    values: dict[str, Any] = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], where, name)
            _check_bounds(field, values[name], where, name)
        elif field.default is _MISSING and field.default_factory is _MISSING:
            raise where.error(name, "is required")
    obj = cls(**values)
    validate = getattr(obj, "validate", None)
    if callable(validate):
        validate(where)
    return obj


def _convert(hint: Any, value: Any, where: Where, name: str) -> Any:  # noqa: C901, PLR0911, PLR0912
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if value is None:
            return None
        return _convert(options[0], value, where, name)
    if origin is Literal:
        if value not in args:
            choices = ", ".join(repr(a) for a in args)
            raise where.error(name, f"must be one of {choices}, got {value!r}")
        return value
    if hint is bool:
        if not isinstance(value, bool):
            raise where.error(name, f"must be true or false, got {_describe(value)}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise where.error(name, f"must be an integer, got {_describe(value)}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise where.error(name, f"must be a number, got {_describe(value)}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise where.error(name, f"must be a string, got {_describe(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise where.error(name, f"must be an array, got {_describe(value)}")
        item = args[0]
        if dataclasses.is_dataclass(item):
            return tuple(
                build(item, v, where.child(name).child(f"#{i}"))  # type: ignore[arg-type]
                for i, v in enumerate(value, start=1)
            )
        return tuple(_convert(item, v, where, f"{name}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(value, Mapping):
            raise where.error(name, f"must be a table, got {_describe(value)}")
        item = args[1]
        if dataclasses.is_dataclass(item):
            return types.MappingProxyType(
                {k: build(item, v, where.child(name).child(k)) for k, v in value.items()}  # type: ignore[arg-type]
            )
        return types.MappingProxyType(
            {k: _convert(item, v, where, f"{name}.{k}") for k, v in value.items()}
        )
    if dataclasses.is_dataclass(hint):
        return build(hint, value, where.child(name))  # type: ignore[arg-type]
    if hint is Any:
        return value
    msg = f"unsupported config type {hint!r} for {name}"
    raise TypeError(msg)


def _check_bounds(field: dataclasses.Field[Any], value: Any, where: Where, name: str) -> None:
    meta = field.metadata
    if isinstance(value, int | float) and not isinstance(value, bool):
        lo, hi = meta.get("ge"), meta.get("le")
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise where.error(name, f"must be between {_num(lo)} and {_num(hi)}, got {value}")
        if lo is not None and value < lo:
            raise where.error(name, f"must be at least {_num(lo)}, got {value}")
        if hi is not None and value > hi:
            raise where.error(name, f"must be at most {_num(hi)}, got {value}")
        if meta.get("gt") is not None and value <= meta["gt"]:
            raise where.error(name, f"must be greater than {_num(meta['gt'])}, got {value}")
        if meta.get("lt") is not None and value >= meta["lt"]:
            raise where.error(name, f"must be less than {_num(meta['lt'])}, got {value}")
    check = meta.get("check")
    if check is not None:
        problem = check(value)
        if problem:
            raise where.error(name, problem)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _describe(value: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{kind} {shown}" if not isinstance(value, dict | list) else kind
