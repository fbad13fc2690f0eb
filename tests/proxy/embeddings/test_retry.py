"""Retries: Retry-After in both forms, jittered backoff bounds, giving up, not retrying."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from proxy.embeddings.retry import RetryEvent, RetryPolicy, call_with_retries, parse_retry_after
from proxy.errors import EmbeddingError, RetryableEmbeddingError

NOW = datetime(2026, 1, 5, 12, 0, 0, tzinfo=UTC)
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.001, max_delay_s=0.004)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("3", 3.0),
        (" 0.5 ", 0.5),
        ("-2", 0.0),
        (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),
        ("Mon, 05 Jan 2026 11:59:00 GMT", 0.0),  # in the past
        ("Monday, 05-Jan-26 12:00:30 GMT", 30.0),  # RFC 850, still allowed by RFC 9110
        (None, None),
        ("", None),
        ("soon", None),
        ("nan", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header, seconds):
    """Delta-seconds and HTTP-dates both give a wait; junk gives None; the past gives 0."""
    assert parse_retry_after(header, now=NOW) == seconds


@given(st.integers(1, 20), st.integers(0, 2**32))
def test_backoff_is_full_jitter_under_an_exponential_cap(retry, seed):
    """Without Retry-After the wait is within [0, min(max, base * 2**(n-1))]."""
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=30.0)
    delay = policy.delay(retry, None, random.Random(seed))
    assert 0.0 <= delay <= min(30.0, 0.5 * 2 ** (retry - 1))


@given(st.floats(0, 1000), st.integers(0, 2**32))
def test_retry_after_is_honoured_with_a_little_jitter(after, seed):
    """The server's wait is respected (never shortened), jittered by at most 10 %, capped."""
    policy = RetryPolicy(max_retry_after_s=300.0)
    delay = policy.delay(1, after, random.Random(seed))
    wait = min(after, 300.0)
    assert wait <= delay <= wait * 1.1


async def test_retryable_failures_are_retried_until_success():
    """Two retryable failures then a success: the result comes back, two retries reported."""
    outcomes = [RetryableEmbeddingError("a", 0.001), RetryableEmbeddingError("b"), "ok"]
    events: list[RetryEvent] = []

    async def attempt():
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert await call_with_retries(attempt, FAST, events.append) == "ok"
    assert [(e.retry, str(e.error)) for e in events] == [(1, "a"), (2, "b")]
    assert events[0].delay_s >= 0.001


async def test_giving_up_raises_a_non_retryable_error_saying_so():
    """After max_attempts the last failure is raised as a plain EmbeddingError."""
    calls = 0

    async def attempt():
        nonlocal calls
        calls += 1
        raise RetryableEmbeddingError("upstream answered 500")

    with pytest.raises(
        EmbeddingError, match=r"upstream answered 500 \(gave up after 4 attempts\)"
    ) as e:
        await call_with_retries(attempt, FAST)
    assert not isinstance(e.value, RetryableEmbeddingError)
    assert calls == 4


async def test_non_retryable_errors_are_not_retried():
    """An EmbeddingError that is not retryable goes to the caller at once."""
    calls = 0

    async def attempt():
        nonlocal calls
        calls += 1
        raise EmbeddingError("400: input too long")

    with pytest.raises(EmbeddingError, match="input too long"):
        await call_with_retries(attempt, FAST)
    assert calls == 1
