"""The proxy package's exceptions.

::

    EmbedshiftError                 anything embedshift reports to a user (CLI exit status 1)
     +-- ConfigError                a config file or option is wrong (exit status 2)
     +-- ThresholdsError            a thresholds document cannot be read or is invalid
     +-- AdapterError               a request or response does not have the shape a route's
     |    |                         adapter expects
     |    +-- UnparseableResponseError   an upstream's answer cannot be turned into ranked lists
     |    +-- UnresolvedCollectionError  a collection the route maps is missing on the new index
     +-- EmbeddingError             an embedding API call failed or answered wrongly
          +-- EmbeddingRejectedError     a 4xx other than 408/429 (proxy.embeddings.client)
          +-- RetryableEmbeddingError    ... in a way worth retrying (429, 5xx, dropped connection)
               +-- EmbeddingUnavailableError  408, 429, 5xx, timeout, connection
               +-- InvalidAnswerError         a 2xx that broke the contract (proxy.embeddings.wire)

    proxy.upstream.http1.UpstreamError    internal to the search path: becomes a 502/504 answer or a
                                    shadow outcome, never reaches a user as an exception

Every message says what went wrong and where (file, line, key, batch, upstream) so that the
CLI can print it as ``embedshift: <message>`` without a traceback.

May import: nothing of proxy.
"""

from __future__ import annotations


class EmbedshiftError(Exception):
    """Base of every error embedshift reports to a user."""

    exit_status = 1


class ConfigError(EmbedshiftError):
    """A config file or command-line option is invalid; the message names file and key."""

    exit_status = 2


class ThresholdsError(EmbedshiftError):
    """A thresholds document is missing, unreadable or does not follow the contract."""


class AdapterError(EmbedshiftError):
    """A request or response does not have the shape the route's adapter expects."""


class UnparseableResponseError(AdapterError):
    """An upstream answered with a body the adapter cannot turn into ranked lists."""


class UnresolvedCollectionError(AdapterError):
    """A collection the route's ``collection_map`` names cannot be found: its mirrors fail."""


class EmbeddingError(EmbedshiftError):
    """An embedding API call failed or its answer broke the contract."""


class RetryableEmbeddingError(EmbeddingError):
    """An embedding API failure that a retry may fix (429, 5xx, timeout, reset).

    ``retry_after_s`` carries the server's ``Retry-After`` when it sent one.
    """

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        """Record the message and the server's requested delay, if any."""
        super().__init__(message)
        self.retry_after_s = retry_after_s
