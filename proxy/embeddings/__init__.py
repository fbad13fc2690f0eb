"""A lean client for OpenAI-compatible ``/v1/embeddings`` APIs (aiohttp only, no numpy).

Shared by the proxy (query re-embedding) and the calibrator (labelled samples, ``reembed``).
Vectors are ``list[list[float]]``.

* :mod:`proxy.embeddings.wire`: the request body and the checks on an answer;
* :mod:`proxy.embeddings.client`: one endpoint, one call, failures classified;
* :mod:`proxy.embeddings.retry`: jittered exponential backoff honouring ``Retry-After``;
* :mod:`proxy.embeddings.ratelimit`: requests and tokens per minute (asyncio-throttle).

Errors extend :mod:`proxy.errors`::

    EmbeddingError                      the call failed or the answer was wrong; gave up
     +-- EmbeddingRejectedError         a 4xx other than 408/429: status, server's message
     +-- RetryableEmbeddingError        worth retrying (retry_after_s)
          +-- EmbeddingUnavailableError 408, 429, 5xx, timeout, connection (kind, status)
          +-- InvalidAnswerError        a 2xx that broke the contract (positions)

May import: proxy.config, proxy.errors, proxy.logs, proxy.tasks.
"""

from proxy.embeddings.client import (
    EmbeddingRejectedError,
    EmbeddingsClient,
    EmbeddingUnavailableError,
    Endpoint,
    Usage,
    api_key_from_env,
)
from proxy.embeddings.ratelimit import RateLimiter, estimate_tokens
from proxy.embeddings.retry import RetryEvent, RetryPolicy, call_with_retries, parse_retry_after
from proxy.embeddings.wire import EmbeddingRequest, EmbeddingResult, InvalidAnswerError

__all__ = [
    "EmbeddingRejectedError",
    "EmbeddingRequest",
    "EmbeddingResult",
    "EmbeddingUnavailableError",
    "EmbeddingsClient",
    "Endpoint",
    "InvalidAnswerError",
    "RateLimiter",
    "RetryEvent",
    "RetryPolicy",
    "Usage",
    "api_key_from_env",
    "call_with_retries",
    "estimate_tokens",
    "parse_retry_after",
]
