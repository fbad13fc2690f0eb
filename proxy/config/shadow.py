"""Mirroring and comparing: ``[shadow]``, ``[comparison]``, ``[examples]``, ``[embedding]``.

Read by :mod:`proxy.shadow`, :mod:`proxy.compare` and :mod:`proxy.embeddings` (the calibrator
reads ``[embedding]`` too).
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config.loader import env_check, json_pointer_check, setting, url_check
from proxy.config.where import Where


@dataclass(frozen=True)
class SampleKey:
    """``[shadow].sample_key``: what consistent sampling hashes (one of header, json, body)."""

    header: str | None = setting("Hash this header's value.", default=None)
    json: str | None = setting(
        "Hash the JSON value at this pointer of the body.", default=None, check=json_pointer_check
    )
    body: bool = setting("Hash the whole request body.", default=False)

    def validate(self, where: Where) -> None:
        """Exactly one source must be given."""
        given = (self.header is not None) + (self.json is not None) + self.body
        if given != 1:
            raise where.error(None, "must set exactly one of header, json or body = true")


@dataclass(frozen=True)
class ShadowSection:
    """``[shadow]``: how much search traffic is mirrored to the new index, and its bounds."""

    sample_rate: float = setting(
        "Share of search requests mirrored to the shadow (0 to 1).", default=1.0, ge=0, le=1
    )
    sample_key: SampleKey | None = setting(
        "Consistent sampling: hash this part of the request so that one query is always or "
        "never mirrored. Unset: each request is drawn at random.",
        default=None,
    )
    max_in_flight: int = setting(
        "Most shadow requests under way at once; beyond it they are dropped and counted.",
        default=64,
        ge=1,
    )
    max_rps: float = setting(
        "Most shadow requests started per second; beyond it they are dropped and counted.",
        default=500.0,
        gt=0,
    )
    timeout_s: float = setting(
        "Hard limit on a shadow request, from start to parsed answer.", default=2.0, gt=0
    )
    max_loop_lag_s: float = setting(
        "When the proxy's event loop lags more than this, the shadow sheds first "
        "(outcome dropped_overload).",
        default=0.05,
        gt=0,
    )
    max_answer_bytes: int = setting(
        "Largest answer a mirror compares: a mirrored index's answer is cut off (its "
        "connection closed) past this, and either side's answer above it is not read "
        "(outcome answer_too_large). The client's own answer is never bounded.",
        default=8 * 1024 * 1024,
        ge=1024,
    )


@dataclass(frozen=True)
class ComparisonSection:
    """``[comparison]``: parameters of the divergence metrics."""

    rbo_p: float = setting(
        "Persistence p of rank-biased overlap: the weight of depth (0.9 puts ~86% on the top 10).",
        default=0.9,
        gt=0,
        lt=1,
    )


@dataclass(frozen=True)
class ExamplesSection:
    """``[examples]``: the divergent queries kept for people to review."""

    path: str = setting("SQLite file holding the examples.", default="var/examples.sqlite")
    keep_most_divergent: int = setting(
        "Per segment, how many of the most divergent queries (lowest RBO) are kept.",
        default=50,
        ge=0,
    )
    keep_uniform: int = setting(
        "Per segment, size of a uniform sample of compared queries kept beside them.",
        default=20,
        ge=0,
    )
    ttl_s: float = setting("How long an example is kept.", default=7 * 86400.0, gt=0)
    store_body: bool = setting(
        "Store the request body with each example. Off: only its SHA-256 is stored.",
        default=False,
    )


@dataclass(frozen=True)
class EmbeddingSection:
    """``[embedding]``: the new model's OpenAI-compatible ``/v1/embeddings`` endpoint.

    The proxy embeds query text with it for routes that carry vectors; the calibrator embeds
    labelled samples with it.
    """

    base_url: str = setting(
        "Base URL of the API, up to and including /v1 (e.g. http://127.0.0.1:7997/v1).",
        check=url_check,
    )
    model: str = setting("Model name sent in each request.")
    api_key_env: str | None = setting(
        "Environment variable holding the API key (sent as a bearer token). Unset: no key.",
        default=None,
    )
    dimension: int | None = setting(
        "Expected vector dimension; answers of another dimension are errors. Unset: not checked.",
        default=None,
        ge=1,
    )
    input_type: str | None = setting(
        "Sent as `input_type` with query texts (for APIs that take it, such as e5 servers).",
        default=None,
    )
    query_template: str = setting(
        "Template applied to query text before embedding, e.g. 'query: {text}' for e5 models.",
        default="{text}",
        check=lambda v: None if "{text}" in v else "must contain {text}",
    )
    timeout_s: float = setting("Time allowed for one embeddings call.", default=2.0, gt=0)
    max_concurrency: int = setting("Most embeddings calls under way at once.", default=8, ge=1)
    max_batch: int = setting("Most texts in one embeddings call.", default=64, ge=1)
    cache_size: int = setting(
        "Entries in the proxy's LRU cache of query vectors.", default=10000, ge=0
    )

    def validate(self, where: Where) -> None:
        """The API key variable must be a valid name."""
        if self.api_key_env is not None:
            problem = env_check(self.api_key_env)
            if problem:
                raise where.error("api_key_env", problem)
