"""Client-side rate limits for an embeddings API: requests and tokens per minute.

Built on ``asyncio_throttle.Throttler``, a sliding-window counter whose ``acquire()`` waits
until the window has room: waiting (rather than failing) is what a batch job wants, and the
proxy decides itself whether it can afford to wait.

Both limits are *smoothed*: a limit of 600 requests per minute becomes 10 requests in any
1-second window, not 600 in any minute, so a run never fires a minute's worth of requests in
its first second only to be answered 429 by a provider that enforces its limit at a finer
grain (most do). Tokens are throttled in units of ``unit_tokens`` so the throttler's window
holds at most about a hundred entries whatever the limit.

Tokens are not known before the answer, so :meth:`RateLimiter.acquire` takes an estimate
(:func:`estimate_tokens`: about four characters per token) and :meth:`RateLimiter.settle`
takes the difference once the answer's ``usage.prompt_tokens`` says more were used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, cast

from asyncio_throttle.throttler import Throttler

_WINDOW_S = 1.0  # the grain both limits are smoothed to
_MAX_TOKEN_UNITS_PER_MINUTE = 6000


def estimate_tokens(texts: Iterable[str]) -> int:
    """A cheap upper-ish estimate of the tokens in ``texts``: one per four characters."""
    return sum(len(t) // 4 + 1 for t in texts)


class _Window(Protocol):
    """What we use of ``Throttler`` (the package has no type hints on ``acquire``)."""

    async def acquire(self) -> None: ...


def _window(count: int, period_s: float) -> _Window:
    return cast("_Window", Throttler(rate_limit=count, period=period_s))


@dataclass(frozen=True, slots=True)
class _Smoothed:
    """``count`` acquisitions per ``period_s``: the same rate as ``per_minute``, finer grain."""

    count: int
    period_s: float

    @classmethod
    def of(cls, per_minute: float) -> _Smoothed:
        count = max(1, math.ceil(per_minute * _WINDOW_S / 60.0))
        return cls(count, count * 60.0 / per_minute)


class RateLimiter:
    """Waits as long as needed to stay under ``max_rpm`` requests and ``max_tpm`` tokens.

    Either limit may be None (not limited). One instance is shared by every task that calls
    the same API key: the limits are the provider's, per key.
    """

    def __init__(self, max_rpm: float | None = None, max_tpm: float | None = None) -> None:
        """Set up a throttler per configured limit."""
        self.max_rpm = max_rpm
        self.max_tpm = max_tpm
        self._requests: _Window | None = None
        self._tokens: _Window | None = None
        self.unit_tokens = 1
        if max_rpm is not None:
            smooth = _Smoothed.of(max_rpm)
            self._requests = _window(smooth.count, smooth.period_s)
        if max_tpm is not None:
            self.unit_tokens = max(1, math.floor(max_tpm / _MAX_TOKEN_UNITS_PER_MINUTE))
            smooth = _Smoothed.of(max_tpm / self.unit_tokens)
            self._tokens = _window(smooth.count, smooth.period_s)

    async def _take_tokens(self, tokens: int) -> None:
        if self._tokens is None or tokens <= 0:
            return
        for _ in range(math.ceil(tokens / self.unit_tokens)):
            await self._tokens.acquire()

    async def acquire(self, estimated_tokens: int = 0) -> None:
        """Wait for room for one request carrying about ``estimated_tokens`` tokens."""
        await self._take_tokens(estimated_tokens)
        if self._requests is not None:
            await self._requests.acquire()

    async def settle(self, estimated_tokens: int, actual_tokens: int | None) -> None:
        """Account for tokens used beyond the estimate (waits if that exhausts the budget)."""
        if actual_tokens is not None and actual_tokens > estimated_tokens:
            await self._take_tokens(actual_tokens - estimated_tokens)
