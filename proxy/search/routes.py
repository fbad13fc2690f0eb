"""Which requests are searches: matching method and path templates, reading the segment.

A :class:`RouteTable` is built once per config. ``match`` answers in a dict lookup for paths
that are no search (the common case for a busy passthrough) and a few regex tests otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from proxy.adapters import Adapter, adapter_for
from proxy.config.schema import OTHER, Config, RequestField, Route
from proxy.config.where import Where
from proxy.jsondoc import json_pointer


@dataclass(frozen=True, slots=True)
class CompiledRoute:
    """A configured search route, ready to match and to build shadow requests."""

    route: Route
    pattern: re.Pattern[str]
    adapter: Adapter
    shadow_template: str | None

    @property
    def name(self) -> str:
        """The route's name (its metric label)."""
        return self.route.name

    def shadow_path(self, params: Mapping[str, str], raw_path: str) -> str:
        """The path the shadow is sent to: the template and collection map applied.

        ``raw_path`` (with its query string) is returned as is when nothing is rewritten.
        """
        mapping = self.route.collection_map
        if self.shadow_template is None and not (mapping and "collection" in params):
            return raw_path
        new_params = dict(params)
        if "collection" in new_params:
            new_params["collection"] = mapping.get(
                new_params["collection"], new_params["collection"]
            )
        template = self.shadow_template or self.route.path
        path = re.sub(r"{(\w+)}", lambda m: new_params[m.group(1)], template)
        _, sep, query = raw_path.partition("?")
        return path + (sep + query if sep else "")


def _compile(template: str) -> re.Pattern[str]:
    parts = re.split(r"({\w+})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}/?$")


class RouteTable:
    """The configured search routes of one config."""

    def __init__(self, config: Config, source: str = "config.toml") -> None:
        """Compile every route of ``config`` (adapters are built and their options checked)."""
        where = Where(source, "").child("routes")
        self.routes: tuple[CompiledRoute, ...] = tuple(
            CompiledRoute(
                route=r,
                pattern=_compile(r.path),
                adapter=adapter_for(r, where.child(f"#{i}")),
                shadow_template=r.shadow_path,
            )
            for i, r in enumerate(config.routes, start=1)
        )
        self._by_method: dict[str, tuple[CompiledRoute, ...]] = {}
        for compiled in self.routes:
            method = compiled.route.method.upper()
            self._by_method[method] = (*self._by_method.get(method, ()), compiled)
        self.segments = frozenset(config.segments.names)

    def match(self, method: str, path: str) -> tuple[CompiledRoute, dict[str, str]] | None:
        """The route a request belongs to and its path parameters, or None for passthrough."""
        candidates = self._by_method.get(method)
        if not candidates:
            return None
        for compiled in candidates:
            found = compiled.pattern.match(path)
            if found is not None:
                return compiled, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def segment_of(
        self,
        compiled: CompiledRoute,
        headers: Mapping[str, str],
        params: Mapping[str, str],
        body: Any,
    ) -> str:
        """The segment label of a request: a configured name, else ``other``."""
        source = compiled.route.segment
        if source is None:
            return OTHER
        value = read_field(source, headers, params, body)
        if isinstance(value, str) and value in self.segments:
            return value
        return OTHER


def read_field(
    source: RequestField, headers: Mapping[str, str], params: Mapping[str, str], body: Any
) -> Any:
    """The value a :class:`RequestField` points at, or None when absent."""
    if source.header is not None:
        return headers.get(source.header)
    if source.path is not None:
        return params.get(source.path)
    if source.json is not None:
        return json_pointer(body, source.json)
    return None
