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
import ipaddress
import math
import re
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from proxy.config.where import Where

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


ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
"""Segment and token names: safe as metric label values."""


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_][A-Za-z0-9_-]{0,62}(\.[A-Za-z0-9_-]{1,63})*\.?$")


def parse_listen(value: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:8080`` for IPv6) into its parts; ValueError if malformed.

    The host is an IPv4 address, a host name, or an IPv6 address in brackets; the port is 1 to
    65535 (0, "any free port", is no address a client can be given).
    """
    shape = f"must be host:port such as 127.0.0.1:8080 or [::1]:8080, got {value!r}"
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(shape)
    if host.startswith("[") or host.endswith("]"):
        inner = host[1:-1]
        if not (host.startswith("[") and host.endswith("]")) or not _is_ipv6(inner):
            raise ValueError(f"{shape}: an IPv6 host goes in brackets, whole")
        return inner, int(port)
    if ":" in host:
        raise ValueError(f"{shape}: an IPv6 host goes in brackets, such as [::1]:8080")
    if not _HOSTNAME.match(host):
        raise ValueError(f"{shape}: {host!r} is no IPv4 address or host name")
    return host, int(port)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def listen_check(value: str) -> str | None:
    """A ``check`` for listen addresses (``host:port``)."""
    try:
        parse_listen(value)
    except ValueError as e:
        return str(e)
    return None


def url_check(value: str) -> str | None:
    """A ``check`` for http(s) URLs: scheme, a host, and a port (when given) of 1 to 65535."""
    expected = f"must be an http:// or https:// URL such as http://127.0.0.1:6333, got {value!r}"
    if not re.match(r"^https?://[^/\s]+", value) or any(c.isspace() for c in value):
        return expected
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError for "notaport", 99999, "[::1" ...
    except ValueError as e:
        return f"{expected}: {e}"
    if not parts.hostname:
        return f"{expected}: no host"
    if port == 0:
        return f"{expected}: port 0"
    if parts.netloc.startswith("[") and not _is_ipv6(parts.hostname):
        return f"{expected}: {parts.hostname!r} is no IPv6 address"
    return None


CREDENTIAL_HEADERS = (
    "Authorization",
    "Cookie",
    "api-key",
    "X-API-Key",
    "X-Typesense-Api-Key",
    "X-Chroma-Token",
    "X-Goog-Api-Key",
)
"""Headers that carry a client's credentials (``[[routes]].credential_headers``' default).

``Authorization`` and ``Cookie`` are what HTTP clients drop when a request moves to another
host (Go's net/http and curl on a redirect to another host); the others are the API-key
headers of the engines embedshift reads (Qdrant and Pinecone ``api-key``, Typesense, Chroma,
Vertex AI's ``x-goog-api-key``) and the common ``X-API-Key``.
"""
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token: a header name


def header_names_check(value: tuple[str, ...]) -> str | None:
    """A ``check`` for lists of header names."""
    bad = [name for name in value if not _TOKEN.match(name)]
    return f"must hold header names, got {bad[0]!r}" if bad else None


def env_check(value: str) -> str | None:
    """A ``check`` for names of environment variables."""
    if not ENV_NAME.match(value):
        return f"must name an environment variable (letters, digits, _), got {value!r}"
    return None


def json_pointer_check(value: str | None) -> str | None:
    """A ``check`` for JSON pointers into a request body."""
    if value is not None and not value.startswith("/"):
        return f"must be a JSON pointer starting with '/', such as '/filter/segment', got {value!r}"
    return None


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
        if not math.isfinite(value):  # TOML has nan and inf: no setting means either
            raise where.error(name, f"must be a finite number, got {value}")
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
