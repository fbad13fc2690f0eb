"""Retrying embeddings calls: jittered exponential backoff that honours ``Retry-After``.

Only :class:`~proxy.errors.RetryableEmbeddingError` is retried (429, 5xx, timeouts, dropped
connections, answers that broke the contract); any other error goes straight to the caller.
The wait before retry *n* (1-based) is

* the server's ``Retry-After`` when it sent one (capped at ``max_retry_after_s``), plus up to
  10 % of it at random, so that concurrent callers told the same thing do not come back in
  the same millisecond;
* otherwise "full jitter": uniform in ``[0, min(max_delay_s, base_delay_s * 2**(n-1))]``.

When the attempts run out, :class:`~proxy.errors.EmbeddingError` (not retryable, so an outer
layer does not retry again) says how many attempts were made and what the last failure was.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from proxy.errors import EmbeddingError, RetryableEmbeddingError

T = TypeVar("T")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP-date.

    None when absent or unreadable; a date in the past gives 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; a naive result means "-0000"
        when = when.replace(tzinfo=UTC)
    reference = now if now is not None else datetime.now(UTC)
    return max(0.0, (when - reference).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry."""

    max_attempts: int = 8
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0
    max_retry_after_s: float = 300.0

    def delay(self, retry: int, retry_after_s: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        if retry_after_s is not None:
            wait = min(retry_after_s, self.max_retry_after_s)
            return wait + rng.uniform(0.0, 0.1 * wait)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (retry - 1))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True, slots=True)
class RetryEvent:
    """What a retry log line says: which retry, after what failure, after how long a wait."""

    retry: int
    max_attempts: int
    delay_s: float
    error: RetryableEmbeddingError


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    on_retry: Callable[[RetryEvent], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Await ``attempt()`` until it succeeds, retrying retryable failures per ``policy``.

    ``on_retry`` is called before each wait (callers log it: never with text content).
    """
    chance = rng if rng is not None else random.Random()
    for number in range(1, policy.max_attempts + 1):
        try:
            return await attempt()
        except RetryableEmbeddingError as e:
            if number == policy.max_attempts:
                raise EmbeddingError(f"{e} (gave up after {number} attempts)") from e
            delay = policy.delay(number, e.retry_after_s, chance)
            if on_retry is not None:
                on_retry(RetryEvent(number, policy.max_attempts, delay, e))
            await asyncio.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")
