"""A lean client for OpenAI-compatible ``/v1/embeddings`` APIs (aiohttp only, no numpy).

Shared by the proxy (query re-embedding) and the calibrator (labelled samples, ``reembed``).
Vectors are ``list[list[float]]``.

* :mod:`proxy.embeddings.wire`: the request body and the checks on an answer;
* :mod:`proxy.embeddings.client`: one endpoint, one call, failures classified;
* :mod:`proxy.embeddings.retry`: jittered exponential backoff honouring ``Retry-After``;
* :mod:`proxy.embeddings.ratelimit`: requests and tokens per minute (asyncio-throttle);
* :mod:`proxy.embeddings.query_embedder`: the new model's query vectors for the shadow.

The application's own embeddings calls through the sidecar (``[embeddings_api]``), and what
the sidecar learns from them (docs/query-text.md):

* :mod:`proxy.embeddings.passthrough`: the calls forwarded unchanged, their texts learned;
* :mod:`proxy.embeddings.learn`: a call's texts and its answer's vectors (pure);
* :mod:`proxy.embeddings.memory`: texts by vector, bounded in entries, bytes and time;
* :mod:`proxy.embeddings.vector_key`: the locality key and cosine check that find a vector
  whose floats changed on the way (pure).

A search request's query vectors, to look their texts up, are read by its route's adapter
(:meth:`~proxy.adapters.base.Adapter.query_vector_values`).

Errors extend :mod:`proxy.errors`::

    EmbeddingError                      the call failed or the answer was wrong; gave up
     +-- EmbeddingRejectedError         a 4xx other than 408/429: status, server's message
     +-- RetryableEmbeddingError        worth retrying (retry_after_s)
          +-- EmbeddingUnavailableError 408, 429, 5xx, timeout, connection (kind, status)
          +-- InvalidAnswerError        a 2xx that broke the contract (positions)

May import: proxy.upstream, proxy.adapters, proxy.config, proxy.errors, proxy.jsondoc,
proxy.logs, proxy.metrics, proxy.tasks.
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
