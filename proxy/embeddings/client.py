"""One OpenAI-compatible ``/v1/embeddings`` endpoint: send a call, classify what comes back.

:meth:`EmbeddingsClient.embed_once` makes one HTTP call and either returns a checked
:class:`~proxy.embeddings.wire.EmbeddingResult` or raises one of

* :class:`EmbeddingUnavailableError` (retryable): 408, 429, 5xx, a timeout, a refused or
  dropped connection; it carries ``retry_after_s`` from the server's ``Retry-After``;
* :class:`~proxy.embeddings.wire.InvalidAnswerError` (retryable): a 2xx whose body breaks
  the contract (count, indexes, dimension, NaN);
* :class:`EmbeddingRejectedError` (not retryable): any other 4xx, with the status and the
  server's own message (an input too long, an unknown model, a bad key).

:meth:`EmbeddingsClient.embed` wraps it with the client's rate limiter (one acquisition per
attempt: retries are requests too) and retry policy. The session is the caller's: one
persistent ``aiohttp.ClientSession`` per upstream, created where the caller manages
lifetimes (``cleanup_ctx`` in the proxy, ``async with`` in a batch command).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from proxy.config.schema import EmbeddingSection
from proxy.embeddings.ratelimit import RateLimiter, estimate_tokens
from proxy.embeddings.retry import RetryEvent, RetryPolicy, call_with_retries, parse_retry_after
from proxy.embeddings.wire import EmbeddingRequest, EmbeddingResult, parse_answer
from proxy.errors import ConfigError, EmbeddingError, RetryableEmbeddingError

_MESSAGE_CHARS = 300
_AUTH_STATUSES = frozenset({401, 403, 404, 405})

UnavailableKind = Literal["rate_limited", "server_error", "timeout", "connection"]


class EmbeddingUnavailableError(RetryableEmbeddingError):
    """The API could not answer now: ``kind`` says why, ``status`` is the HTTP status if any."""

    def __init__(
        self,
        message: str,
        kind: UnavailableKind,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        """Record why (``kind``), the status and the server's requested delay."""
        super().__init__(message, retry_after_s)
        self.kind = kind
        self.status = status


class EmbeddingRejectedError(EmbeddingError):
    """The API refused this request (a 4xx other than 408/429): retrying will not help.

    ``status`` and ``server_message`` are what the server said. ``about_inputs`` is False for
    statuses about the caller rather than the texts (401, 403, 404, 405: key, model, URL), so
    a caller that bisects a batch to find a bad text knows not to.
    """

    def __init__(self, message: str, status: int, server_message: str) -> None:
        """Record the status and the server's message."""
        super().__init__(message)
        self.status = status
        self.server_message = server_message
        self.about_inputs = status not in _AUTH_STATUSES


def api_key_from_env(variable: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The API key held in environment variable ``variable`` (None: no key is sent).

    A variable that is named but unset or empty is a :class:`~proxy.errors.ConfigError`.
    """
    if variable is None:
        return None
    value = (os.environ if environ is None else environ).get(variable, "")
    if not value:
        raise ConfigError(f"environment variable {variable} (the embeddings API key) is not set")
    return value


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where and how to call: the API base (up to and including ``/v1``) and the options."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    expected_dimension: int | None = None
    dimensions: int | None = None
    input_type: str | None = None

    @property
    def url(self) -> str:
        """The ``/embeddings`` URL."""
        return self.base_url.rstrip("/") + "/embeddings"

    @classmethod
    def from_section(
        cls, section: EmbeddingSection, environ: Mapping[str, str] | None = None
    ) -> Endpoint:
        """The endpoint a config's ``[embedding]`` section describes (key read from env)."""
        return cls(
            base_url=section.base_url,
            model=section.model,
            api_key=api_key_from_env(section.api_key_env, environ),
            timeout_s=section.timeout_s,
            expected_dimension=section.dimension,
            input_type=section.input_type,
        )


@dataclass(slots=True)
class Usage:
    """Running totals over a client's life (for progress, cost and metrics)."""

    requests: int = 0
    succeeded: int = 0
    texts: int = 0
    prompt_tokens: int = 0
    retries: int = 0


def server_message(raw: bytes) -> str:
    """The human part of an error body: OpenAI's ``error.message``, ``detail``, or the text."""
    try:
        doc: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return raw.decode("utf-8", "replace").strip()[:_MESSAGE_CHARS]
    if isinstance(doc, dict):
        error = doc.get("error")
        if isinstance(error, dict) and "message" in error:
            doc = error["message"]
        elif error is not None:
            doc = error
        elif "detail" in doc:
            doc = doc["detail"]
        elif "message" in doc:
            doc = doc["message"]
    text = doc if isinstance(doc, str) else json.dumps(doc)
    return text.strip()[:_MESSAGE_CHARS]


def classify(status: int, raw: bytes, headers: Mapping[str, str], url: str) -> EmbeddingError:
    """The error a non-2xx answer stands for (retryable or not)."""
    retry_after = parse_retry_after(headers.get("Retry-After"))
    if status == 429:
        return EmbeddingUnavailableError(
            f"{url} answered 429 (rate limited)", "rate_limited", status, retry_after
        )
    if status == 408 or status >= 500:
        return EmbeddingUnavailableError(
            f"{url} answered {status}", "server_error", status, retry_after
        )
    message = server_message(raw)
    return EmbeddingRejectedError(
        f"{url} rejected the request with {status}: {message}", status, message
    )


class EmbeddingsClient:
    """Calls one endpoint through the caller's session; counts usage in :attr:`usage`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: Endpoint,
        limiter: RateLimiter | None = None,
        policy: RetryPolicy | None = None,
        on_retry: Callable[[RetryEvent], None] | None = None,
    ) -> None:
        """``limiter`` and ``policy`` apply to :meth:`embed`; ``on_retry`` is told each retry."""
        self.session = session
        self.endpoint = endpoint
        self.limiter = limiter
        self.policy = policy if policy is not None else RetryPolicy()
        self.on_retry = on_retry
        self.usage = Usage()
        self._timeout = aiohttp.ClientTimeout(total=endpoint.timeout_s)
        self._headers = {"Content-Type": "application/json"}
        if endpoint.api_key:
            self._headers["Authorization"] = f"Bearer {endpoint.api_key}"

    def request(self, texts: Sequence[str], input_type: str | None = None) -> EmbeddingRequest:
        """The request for ``texts`` (``input_type`` overrides the endpoint's)."""
        return EmbeddingRequest(
            model=self.endpoint.model,
            inputs=tuple(texts),
            input_type=input_type if input_type is not None else self.endpoint.input_type,
            dimensions=self.endpoint.dimensions,
        )

    async def embed_once(
        self, texts: Sequence[str], input_type: str | None = None
    ) -> EmbeddingResult:
        """One call, no retry; raises as the module docstring says."""
        if not texts:
            raise ValueError("embed_once needs at least one text")
        request = self.request(texts, input_type)
        url = self.endpoint.url
        self.usage.requests += 1
        try:
            async with self.session.post(
                url, data=request.body(), headers=self._headers, timeout=self._timeout
            ) as response:
                raw = await response.read()
                status = response.status
                headers = response.headers
        except TimeoutError as e:
            raise EmbeddingUnavailableError(
                f"{url} did not answer within {self.endpoint.timeout_s:g} s", "timeout"
            ) from e
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as e:
            reason = type(e).__name__
            raise EmbeddingUnavailableError(
                f"connection to {url} failed ({reason})", "connection"
            ) from e
        if not 200 <= status < 300:
            raise classify(status, raw, headers, url)
        expected = self.endpoint.expected_dimension or self.endpoint.dimensions
        result = parse_answer(raw, len(texts), expected)
        self.usage.succeeded += 1
        self.usage.texts += len(texts)
        self.usage.prompt_tokens += result.prompt_tokens or 0
        return result

    async def embed(self, texts: Sequence[str], input_type: str | None = None) -> EmbeddingResult:
        """Rate-limited, retried :meth:`embed_once`; gives up per the retry policy."""
        estimate = estimate_tokens(texts)

        async def attempt() -> EmbeddingResult:
            if self.limiter is not None:
                await self.limiter.acquire(estimate)
            result = await self.embed_once(texts, input_type)
            if self.limiter is not None:
                await self.limiter.settle(estimate, result.prompt_tokens)
            return result

        def retried(event: RetryEvent) -> None:
            self.usage.retries += 1
            if self.on_retry is not None:
                self.on_retry(event)

        return await call_with_retries(attempt, self.policy, retried)
