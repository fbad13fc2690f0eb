"""Coverage of the new index: the old side's result ids looked up by id in the new index.

A re-embed that stopped at 75 %, or the wrong collection mapped, leaves ids the old index
returns missing from the new one. :class:`CoverageChecker` is offered every compared search
(:mod:`proxy.compare.record`: the old side's top-k ids, once each) and decides at once, on the
comparison's background task, whether to check it:

- checks are off when ``[gate].coverage_rate`` or ``[gate].min_coverage`` is 0;
- at most ``coverage_rate`` searches a second (a token bucket, one second of burst) and
  ``coverage_max_in_flight`` lookups at once; beyond either the search counts ``dropped``.

A check runs in its own background task: the search as sent to the new index is rebuilt (its
collections mapped as the mirror maps them, Chroma's UUID from the adapter's cache), the
adapter builds its lookups (:meth:`~proxy.adapters.base.Adapter.id_lookups`; an adapter without
a get-by-id call counts ``unsupported``, and the gate skips the criterion), and each goes to
the new upstream on its passthrough session (never the search path's pool), under
``coverage_timeout_s`` for all of them, with the client's headers minus its credentials (the
new index never gets them) plus the upstream's own. Found and missing ids are counted in
``embedshift_coverage_ids_total{route,segment,result}``; a failed lookup (error, timeout,
unreadable answer) in ``embedshift_coverage_lookups_total{outcome="failed"}``, logged once per
kind, never as missing ids.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from proxy.adapters.base import Adapter, Side
from proxy.adapters.lookup import IdLookup
from proxy.config.schema import GateSection, Route
from proxy.errors import AdapterError
from proxy.jsondoc import loads
from proxy.logs import OncePerKind, get_logger
from proxy.metrics import RouteSegmentMetrics
from proxy.tasks import BackgroundTasks
from proxy.upstream.client import UpstreamClient
from proxy.upstream.headers import as_multidict, for_upstream, split_credentials
from proxy.upstream.http1 import Header

log = get_logger("coverage")
_DROPPED = frozenset({b"content-type", b"content-length", b"content-encoding"})


class Checked(Protocol):
    """A compared search, as the coverage checker reads it (a :class:`ShadowJob`)."""

    @property
    def route(self) -> Route:
        """Its route: name, collection map, credential headers."""
        ...

    @property
    def adapter(self) -> Adapter:
        """The route's adapter."""
        ...

    @property
    def segment(self) -> str:
        """Its segment."""
        ...

    @property
    def new_path(self) -> str:
        """The path the new index gets (template and collection map applied)."""
        ...

    @property
    def body(self) -> bytes:
        """The client's request body."""
        ...

    @property
    def headers(self) -> list[Header]:
        """The client's headers under the header policy."""
        ...


class TokenBucket:
    """``rate`` tokens a second, at most ``rate`` (one second) stored; ``take`` never waits."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Start full at the first take."""
        self.clock = clock
        self.tokens: float | None = None
        self.at = clock()

    def take(self, rate: float) -> bool:
        """One token if there is one."""
        now = self.clock()
        capacity = max(rate, 1.0)
        stored = capacity if self.tokens is None else self.tokens
        self.tokens = min(capacity, stored + (now - self.at) * rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class _Lookup:
    """Collection look-ups for Chroma's UUIDs, with headers the new index may get."""

    def __init__(
        self, clients: Mapping[Side, UpstreamClient | None], headers: list[Header]
    ) -> None:
        """``headers``: the client's, without credentials; no body headers."""
        self.clients = clients
        self.headers = [p for p in headers if p[0].lower() not in _DROPPED]

    async def get_json(self, side: Side, path: str) -> tuple[int, Any]:
        client = self.clients[side]
        if client is None:
            raise AdapterError(f"no {side} upstream to look collections up")
        headers = as_multidict(for_upstream(self.headers, client.headers))
        async with client.session.get(client.url(path), headers=headers) as response:
            raw = await response.read()
            status = response.status
        try:
            return status, loads(raw)
        except (ValueError, UnicodeDecodeError):
            return status, None


class CoverageChecker:
    """Looks the old side's result ids up in the new index (module docstring)."""

    def __init__(
        self,
        settings: Callable[[], GateSection],
        upstream: Callable[[str], UpstreamClient | None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``settings()`` gives ``[gate]`` in force; ``upstream(name)`` the running clients."""
        self.settings = settings
        self.upstream = upstream
        self.bucket = TokenBucket(clock)
        self.tasks = BackgroundTasks()
        self._once = OncePerKind()

    def offer(self, search: Checked, ids: tuple[str, ...], bound: RouteSegmentMetrics) -> None:
        """Check ``ids`` later, or count why not; returns at once."""
        settings = self.settings()
        if settings.coverage_rate <= 0 or settings.min_coverage <= 0 or not ids:
            return
        new = self.upstream("new")
        if new is None:
            return
        if len(self.tasks) >= settings.coverage_max_in_flight or not self.bucket.take(
            settings.coverage_rate
        ):
            bound.coverage_lookups["dropped"].inc()
            return
        self.tasks.spawn(
            self._check(search, ids, bound, new, settings.coverage_timeout_s),
            name=f"coverage:{search.route.name}",
        )

    async def _check(
        self,
        search: Checked,
        ids: tuple[str, ...],
        bound: RouteSegmentMetrics,
        new: UpstreamClient,
        timeout_s: float,
    ) -> None:
        adapter, collections = search.adapter, dict(search.route.collection_map)
        headers, _ = split_credentials(search.headers, search.route.credential_headers)
        try:
            async with asyncio.timeout(timeout_s):
                doc = adapter.parse_request(search.body)
                adapter.rewrite(doc, {}, collections)  # the collections the mirror would name
                lookup = _Lookup({"primary": self.upstream("old"), "shadow": new}, headers)
                path = await adapter.shadow_path(search.new_path, collections, lookup)
                lookups = adapter.id_lookups(path, doc, ids)
                if lookups is None:
                    bound.coverage_lookups["unsupported"].inc()
                    return
                found: set[str] = set()
                for request in lookups:
                    found.update(await self._send(request, new, lookup.headers))
        except asyncio.CancelledError:
            raise
        except Exception as e:  # isolation: a lookup never fails anything but itself
            bound.coverage_lookups["failed"].inc()
            self._log_once(search, type(e).__name__, str(e))
            return
        present = sum(1 for i in ids if i in found)
        bound.coverage_ids["present"].inc(present)
        bound.coverage_ids["missing"].inc(len(ids) - present)
        bound.coverage_lookups["checked"].inc()

    @staticmethod
    async def _send(request: IdLookup, new: UpstreamClient, headers: list[Header]) -> set[str]:
        sent = [*headers]
        if request.body is not None:
            sent.append((b"Content-Type", b"application/json"))
        async with new.session.request(
            request.method,
            new.url(request.path),
            data=request.body,
            headers=as_multidict(for_upstream(sent, new.headers)),
        ) as response:
            raw = await response.read()
            status = response.status
        try:
            body = loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            body = None
        return {str(i) for i in request.read(status, body)}

    def _log_once(self, search: Checked, kind: str, error: str) -> None:
        suppressed = self._once.should_log(f"{search.route.name}:{kind}", time.monotonic())
        if suppressed is not None:
            log.warning(
                "coverage_lookup_failed",
                route=search.route.name,
                error=error or kind,
                suppressed_since_last=suppressed,
            )

    async def close(self) -> None:
        """Cancel the lookups under way."""
        await self.tasks.cancel_all()
