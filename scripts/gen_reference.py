"""Write the docs' config and metrics references from the code, or check they match.

    python scripts/gen_reference.py           rewrite docs/reference/config.md and metrics.md
    python scripts/gen_reference.py --check   exit 1 when either page differs (scripts/check)

Run it after adding or changing a config key or a metric; only the part of each page between
its BEGIN and END markers is rewritten.

The config reference walks the schema dataclasses (proxy/config/schema.py); the metrics
reference lists every family a running sidecar registers (built from config.toml).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import types
import typing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from prometheus_client import CollectorRegistry  # noqa: E402

from proxy.config import load_config  # noqa: E402
from proxy.config.schema import Config  # noqa: E402
from proxy.server.app import create_app  # noqa: E402

PAGES = {
    "config": ROOT / "docs" / "reference" / "config.md",
    "metrics": ROOT / "docs" / "reference" / "metrics.md",
}
MARKERS = {
    "config": (
        "<!-- BEGIN config-reference (scripts/gen_reference.py) -->",
        "<!-- END config-reference -->",
    ),
    "metrics": (
        "<!-- BEGIN metrics-reference (scripts/gen_reference.py) -->",
        "<!-- END metrics-reference -->",
    ),
}


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return " \\| ".join(f'`"{a}"`' for a in args)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _type_name(inner[0]) + " (optional)"
    if origin is tuple:
        return f"array of {_type_name(args[0])}"
    if origin is not None and "Mapping" in str(origin):
        return f"table of {_type_name(args[1])}"
    if dataclasses.is_dataclass(hint):
        return "table"
    return {str: "string", int: "integer", float: "number", bool: "boolean"}.get(hint, "any")


def _default(field: dataclasses.Field[Any]) -> str:  # noqa: PLR0911 - one return per kind
    if field.default is not dataclasses.MISSING:
        value = field.default
    elif field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        if dataclasses.is_dataclass(value):
            return "(table)"
    else:
        return "**required**"
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, tuple):
        return "`[]`" if not value else f"`{list(value)}`"
    if hasattr(value, "items"):
        return "`{}`" if not value else f"`{dict(value)}`"
    return f"`{value}`"


def _bounds(field: dataclasses.Field[Any]) -> str:
    meta = field.metadata
    parts = []
    for key, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
        if meta.get(key) is not None:
            parts.append(f"{sign} {meta[key]}")
    return f" ({', '.join(parts)})" if parts else ""


def _table(cls: type, name: str, out: list[str], array: bool = False) -> None:
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    header = f"[[{name}]]" if array else f"[{name}]"
    doc = (cls.__doc__ or "").strip().split("\n")[0]
    out.append(f"## `{header}`\n")
    summary = doc.split(":", 1)[-1].strip() if doc.startswith("``") else doc
    summary = summary.replace("``", "`")
    out.append(summary[:1].upper() + summary[1:] + "\n")
    out.append("| key | type | default | meaning |")
    out.append("| --- | --- | --- | --- |")
    nested: list[tuple[type, str, bool]] = []
    for field in fields:
        hint = hints[field.name]
        target = _dataclass_in(hint)
        description = field.metadata.get("doc", "")
        out.append(
            f"| `{field.name}` | {_type_name(hint)}{_bounds(field)} "
            f"| {_default(field)} | {description} |"
        )
        if target is not None:
            nested.append((target, f"{name}.{field.name}", False))
        elif (values := _table_of_dataclasses(hint)) is not None:
            nested.append((values, f"{name}.{field.name}.NAME", False))
    out.append("")
    for sub, sub_name, sub_array in nested:
        _table(sub, sub_name, out, sub_array)


def _dataclass_in(hint: Any) -> type | None:
    """The dataclass a field holds directly or as an optional value (not in arrays)."""
    if dataclasses.is_dataclass(hint):
        return hint  # type: ignore[return-value]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        for arg in typing.get_args(hint):
            if dataclasses.is_dataclass(arg):
                return arg  # type: ignore[return-value]
    return None


def _table_of_dataclasses(hint: Any) -> type | None:
    """The dataclass of a table of named tables (``[calibrator.segments.NAME]``), if any."""
    args = typing.get_args(hint)
    if "Mapping" in str(typing.get_origin(hint)) and dataclasses.is_dataclass(args[1]):
        return args[1]  # type: ignore[no-any-return]
    return None


def config_reference() -> str:
    """The config reference as Markdown."""
    out: list[str] = []
    hints = typing.get_type_hints(Config)
    for field in dataclasses.fields(Config):
        hint = hints[field.name]
        origin = typing.get_origin(hint)
        args = typing.get_args(hint)
        if origin is tuple:
            _table(args[0], field.name, out, array=True)
        elif origin is not None and "Mapping" in str(origin):
            _table(args[1], f"{field.name}.NAME", out)
        else:
            inner = [a for a in args if a is not type(None)] or [hint]
            _table(inner[0], field.name, out)
    return "\n".join(out).rstrip() + "\n"


def metrics_reference() -> str:
    """Every metric family the sidecar registers, as a Markdown table."""
    registry = CollectorRegistry()
    create_app(load_config(ROOT / "config.toml"), registry)
    rows = []
    for collector in list(registry._collector_to_names):  # noqa: SLF001 - a doc generator reads the registry
        labels = getattr(collector, "_labelnames", ())
        for family in (
            collector.describe() if hasattr(collector, "describe") else collector.collect()
        ):
            name = family.name + ("_total" if family.type == "counter" else "")
            label_text = ", ".join(f"`{label}`" for label in labels) or "none"
            rows.append(f"| `{name}` | {family.type} | {label_text} | {family.documentation} |")
    rows.sort()
    head = ["| metric | type | labels | meaning |", "| --- | --- | --- | --- |"]
    return "\n".join(head + rows) + "\n"


def generate(key: str) -> str:
    """The generated body of one reference: ``config`` or ``metrics``."""
    return config_reference() if key == "config" else metrics_reference()


def render(text: str, key: str, body: str | None = None) -> str:
    """A page's text with its generated section (``key``) replaced by ``body`` (or generated)."""
    begin, end = MARKERS[key]
    if begin not in text or end not in text:
        msg = f"{PAGES[key].relative_to(ROOT)}: the markers {begin!r} and {end!r} are missing"
        raise SystemExit(msg)
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n\n{generate(key) if body is None else body}\n{end}{tail}"


def main() -> int:
    """Rewrite or check both reference pages."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a page is out of date")
    args = parser.parse_args()
    stale = []
    for key, page in PAGES.items():
        current = page.read_text(encoding="utf-8")
        wanted = render(current, key)
        if current == wanted:
            continue
        if args.check:
            stale.append(str(page.relative_to(ROOT)))
        else:
            page.write_text(wanted, encoding="utf-8")
            print(f"wrote {page.relative_to(ROOT)}")
    if stale:
        print(f"{', '.join(stale)}: out of date; run scripts/gen_reference.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
