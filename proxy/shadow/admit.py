"""Whether a search is mirrored: sampling, then the bounds, each refusal a counted outcome.

:meth:`Admission.admit` decides in a few microseconds, in this order: the sample
(``[shadow].sample_rate``, drawn at random or, with ``sample_key``, from a stable hash of the
request so that one query is always or never mirrored: ``sampled_out``), the proxy's own
overload (event-loop lag above ``max_loop_lag_s``: ``dropped_overload``), the in-flight bound
(``max_in_flight``: ``dropped_saturated``) and the rate cap (``max_rps``:
``dropped_rate_limited``). Over a bound a mirror is dropped, never queued.

The consistent-sampling hash is shared with the canary (:mod:`proxy.flip.modes`), which salts
it so that both draws stay independent.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Mapping, Sized
from typing import Protocol

from asyncio_throttle.throttler import Throttler

from proxy.config.schema import SampleKey, ShadowSection
from proxy.jsondoc import json_pointer, parse_json_body
from proxy.metrics import RouteSegmentMetrics


class DroppingThrottler(Throttler):
    """asyncio-throttle's sliding-window limiter, with a non-waiting acquire.

    A mirror must never queue work it cannot afford: over the cap, the request is dropped
    (``dropped_rate_limited``) rather than delayed. The window log is asyncio-throttle's own.
    """

    def try_acquire(self) -> bool:
        """Take a slot if the window has one; never waits."""
        self.flush()  # type: ignore[no-untyped-call]
        if len(self._task_logs) < self.rate_limit:
            self._task_logs.append(time.monotonic())
            return True
        return False


def sample_hash(value: bytes) -> float:
    """A stable number in [0, 1) for consistent sampling of ``value``."""
    digest = hashlib.blake2b(value, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def sample_key_bytes(key: SampleKey, headers: Mapping[str, str], body: bytes) -> bytes | None:
    """The bytes consistent sampling hashes, or None when the request lacks them."""
    if key.body:
        return body
    if key.header is not None:
        value = headers.get(key.header)
        return None if value is None else value.encode()
    if key.json is not None:
        found = json_pointer(parse_json_body(body), key.json)
        return None if found is None else repr(found).encode()
    return None


class LoadSignal(Protocol):
    """The proxy's own overload flag (:class:`proxy.server.overload.LoopLagMonitor`)."""

    @property
    def overloaded(self) -> bool:
        """True while the event loop lags more than it can afford."""
        ...


class Admission:
    """Sampling and bounds of one config (the rate window starts anew on reload)."""

    def __init__(self, settings: ShadowSection, load: LoadSignal, in_flight: Sized) -> None:
        """``in_flight`` counts the shadow requests under way (its ``len``)."""
        self.settings = settings
        self.load = load
        self.in_flight = in_flight
        self.throttler = DroppingThrottler(rate_limit=max(1, round(settings.max_rps)), period=1.0)

    def admit(self, bound: RouteSegmentMetrics, headers: Mapping[str, str], body: bytes) -> bool:
        """Whether to mirror this request; when not, its outcome is counted here."""
        settings = self.settings
        if settings.sample_key is not None:
            key = sample_key_bytes(settings.sample_key, headers, body)
            draw = sample_hash(key) if key is not None else random.random()
        else:
            draw = random.random()
        if draw >= settings.sample_rate:
            bound.outcomes["sampled_out"].inc()
            return False
        if self.load.overloaded:
            bound.outcomes["dropped_overload"].inc()
            return False
        if len(self.in_flight) >= settings.max_in_flight:
            bound.outcomes["dropped_saturated"].inc()
            return False
        if not self.throttler.try_acquire():
            bound.outcomes["dropped_rate_limited"].inc()
            return False
        return True
