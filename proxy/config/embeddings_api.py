"""``[embeddings_api]``: the application's own embeddings API, fronted by the sidecar.

Off unless the section is present. The application's embeddings base URL
(``EMBEDDING_API_BASE``, ``OPENAI_BASE_URL``...) points at the sidecar's listener under
``path_prefix``; every request there goes to ``[upstreams.<upstream>]`` unchanged (the prefix
replaced by that upstream's URL), and each text of an embeddings call is remembered beside the
vector the provider returned, so that routes with ``query_text = { learned = true }`` find a
search's text from its query vector (:mod:`proxy.embeddings.memory`). Read by
:mod:`proxy.embeddings.passthrough` and :mod:`proxy.server.app`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from proxy.config.loader import setting
from proxy.config.where import Where

_PREFIX = re.compile(r"^(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)+$")


def _prefix_check(value: str) -> str | None:
    if not _PREFIX.match(value):
        return (
            "must be a path of one or more segments, starting with '/' and not ending with "
            f"one, such as '/embeddings-api', got {value!r}"
        )
    return None


@dataclass(frozen=True)
class EmbeddingsApiSection:
    """``[embeddings_api]``: pass the application's embeddings calls through and learn from them."""

    upstream: str = setting(
        "Name of the [upstreams.NAME] table of the application's embeddings provider; its url "
        "is the application's embeddings base URL today (e.g. https://api.openai.com/v1).",
        default="embeddings",
    )
    path_prefix: str = setting(
        "Path on the proxy listener under which the provider is served: set the application's "
        "embeddings base URL to http://<sidecar>:<port><path_prefix>. Must not overlap a "
        "route's path.",
        default="/embeddings-api",
        check=_prefix_check,
    )
    max_entries: int = setting(
        "Most texts remembered at once (the oldest are forgotten first).",
        default=10000,
        ge=1,
    )
    max_bytes: int = setting(
        "Most memory the remembered texts and vectors may take, in bytes (estimated; the "
        "oldest are forgotten first).",
        default=32 * 1024 * 1024,
        ge=64 * 1024,
    )
    ttl_s: float = setting(
        "How long a text is remembered after its embeddings call.", default=300.0, gt=0
    )
    max_inputs: int = setting(
        "Embeddings calls with more inputs than this pass through without being remembered "
        "(queries come one or a few at a time; document ingestion in large batches).",
        default=16,
        ge=1,
        le=4096,
    )
    min_cosine: float = setting(
        "A search's vector is the remembered one when their cosine similarity is at least "
        "this (floats change a little between the two calls: JSON, float32, rounding).",
        default=0.9999,
        ge=0.99,
        le=1.0,
    )
    strip_prefixes: tuple[str, ...] = setting(
        "Instruction prefixes of the old model removed from a text before it is remembered "
        "(e.g. [\"query: \"] for e5 models); the new model's own template is [embedding]'s.",
        default=(),
    )
    prefetch: bool = setting(
        "Ask [embedding] for the new model's vector of each remembered text at once, so that "
        "the mirror finds it cached (costs a call for texts never searched).",
        default=False,
    )

    def validate(self, where: Where) -> None:
        """Prefixes to strip must not be empty."""
        if any(not p for p in self.strip_prefixes):
            raise where.error("strip_prefixes", "must not hold an empty string")
