"""Engine adapters: one small module per search API, found by name.

Adding an engine is one module in this package that defines a class following
:class:`~proxy.adapters.base.AdapterFactory` and binds it to ``ADAPTER``; routes select it with
``adapter = "<its name>"``. Adapters receive what they are built from (a route's name and
options, and where to report a bad option) through the protocols of
:mod:`~proxy.adapters.base`, so that the config package can check routes with them.

May import: proxy.errors, proxy.jsondoc.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from proxy.adapters.base import Adapter, AdapterFactory, ErrorAt, Ranked, RouteSpec

__all__ = ["Adapter", "AdapterFactory", "Ranked", "adapter_for", "known_adapters"]


@cache
def known_adapters() -> dict[str, AdapterFactory]:
    """Every adapter of this package by name."""
    found: dict[str, AdapterFactory] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        factory = getattr(module, "ADAPTER", None)
        if factory is not None:
            found[factory.name] = factory
    return found


def adapter_for(route: RouteSpec, where: ErrorAt) -> Adapter:
    """Build the adapter a route names; an unknown name is a ConfigError naming the key."""
    factories = known_adapters()
    factory = factories.get(route.adapter)
    if factory is None:
        known = ", ".join(sorted(factories))
        raise where.error("adapter", f"must be one of {known}, got {route.adapter!r}")
    return factory.from_route(route, where)
