"""Checks that span sections of a parsed config: two routes that match the same request.

Run by :func:`proxy.config.parse_config` on every load (start, ``check-config``, SIGHUP), after
each section has validated itself.

Overlapping routes: the route table takes the first route that matches, so a request that two
routes match would be compared under the first one's adapter, ``k`` and segment while the
second one silently sees nothing. nginx refuses a ``location`` defined twice ("duplicate
location"); embedshift goes as far for path templates, whose ``{parameters}`` make "the same
location" a question of overlap, not of equal text: two routes of one method overlap when some
path matches both templates. The error names both routes and the line of the later one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from proxy.config.routes import Route
from proxy.config.where import Where

_PARAM = re.compile(r"{\w+}")


def _segments(template: str) -> list[str]:
    return template.rstrip("/").split("/")


def _literal_parts(segment: str) -> tuple[str, str] | None:
    """A segment's literal prefix and suffix around its parameters; None when it has none."""
    found = list(_PARAM.finditer(segment))
    if not found:
        return None
    return segment[: found[0].start()], segment[found[-1].end() :]


def _segments_may_match(a: str, b: str) -> bool:
    """Whether some path segment (non-empty, no ``/``) matches both template segments."""
    parts_a, parts_b = _literal_parts(a), _literal_parts(b)
    if parts_a is None and parts_b is None:
        return a == b
    if parts_a is None or parts_b is None:
        literal, template = (a, b) if parts_a is None else (b, a)
        pattern = _PARAM.sub("[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
        return re.fullmatch(pattern, literal) is not None
    (prefix_a, suffix_a), (prefix_b, suffix_b) = parts_a, parts_b
    prefixes = prefix_a.startswith(prefix_b) or prefix_b.startswith(prefix_a)
    suffixes = suffix_a.endswith(suffix_b) or suffix_b.endswith(suffix_a)
    return prefixes and suffixes


def templates_overlap(a: str, b: str) -> bool:
    """Whether some request path matches both route path templates."""
    left, right = _segments(a), _segments(b)
    return len(left) == len(right) and all(
        _segments_may_match(x, y) for x, y in zip(left, right, strict=True)
    )


def check_routes_overlap(routes: Sequence[Route], where: Where) -> None:
    """ConfigError naming the first route that another, earlier one of its method overlaps."""
    for later, route in enumerate(routes):
        for earlier in routes[:later]:
            if earlier.method.upper() != route.method.upper():
                continue
            if templates_overlap(earlier.path, route.path):
                raise (
                    where.child("routes")
                    .child(f"#{later + 1}")
                    .error(
                        "path",
                        f"{route.path!r} overlaps route {earlier.name!r} ({earlier.path!r}, "
                        f"{earlier.method.upper()}): a request matching both would only ever "
                        "be compared as the first; make the templates disjoint",
                    )
                )
