"""The config file's schema: one frozen dataclass per TOML table.

Each field is declared with :func:`~proxy.config.loader.setting`, whose text is also the config
reference in the README (``scripts/gen_reference.py`` writes it; a test fails when they drift).
Secrets never live here: fields ending in ``_env`` name environment variables that hold them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from proxy.config.loader import Where, setting

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SEGMENT_NAME = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")


def parse_listen(value: str) -> tuple[str, int]:
    """Split ``host:port`` (``[::1]:8080`` for IPv6) into its parts; ValueError if malformed."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        msg = f"must be host:port such as 127.0.0.1:8080, got {value!r}"
        raise ValueError(msg)
    return host.strip("[]"), int(port)


def _listen_check(value: str) -> str | None:
    try:
        parse_listen(value)
    except ValueError as e:
        return str(e)
    return None


def _url_check(value: str) -> str | None:
    if not re.match(r"^https?://[^/\s]+", value):
        return f"must be an http:// or https:// URL, got {value!r}"
    return None


def _env_check(value: str) -> str | None:
    if not _ENV_NAME.match(value):
        return f"must name an environment variable (letters, digits, _), got {value!r}"
    return None


def _json_pointer_check(value: str | None) -> str | None:
    if value is not None and not value.startswith("/"):
        return f"must be a JSON pointer starting with '/', such as '/filter/segment', got {value!r}"
    return None


@dataclass(frozen=True)
class ProxySection:
    """``[proxy]``: the client-facing listener and the primary path."""

    listen: str = setting(
        "Address the proxy listens on for clients (host:port). Loopback unless you change it.",
        default="127.0.0.1:8080",
        check=_listen_check,
    )
    max_body_bytes: int = setting(
        "Largest request body accepted; larger requests get 413.",
        default=16 * 1024 * 1024,
        ge=1024,
    )
    reuse_port: bool = setting(
        "Let several sidecar processes share `listen` (SO_REUSEPORT; the kernel spreads "
        "connections): run one per core, each with its own [metrics] and [admin] address.",
        default=False,
    )
    drain_timeout_s: float = setting(
        "On SIGTERM, how long in-flight client requests may take to finish.",
        default=15.0,
        gt=0,
    )


@dataclass(frozen=True)
class MetricsSection:
    """``[metrics]``: the Prometheus endpoint."""

    listen: str = setting(
        "Address of the Prometheus /metrics endpoint (host:port).",
        default="127.0.0.1:9464",
        check=_listen_check,
    )


@dataclass(frozen=True)
class AdminSection:
    """``[admin]``: the protected admin API (examples, mode, gate, audit)."""

    listen: str = setting(
        "Address of the admin API (host:port); keep it on loopback or inside the pod.",
        default="127.0.0.1:9465",
        check=_listen_check,
    )
    token_env: str = setting(
        "Environment variable holding the admin bearer token. Unset: admin calls get 503.",
        default="EMBEDSHIFT_ADMIN_TOKEN",
        check=_env_check,
    )
    tokens_env: Mapping[str, str] = setting(
        "More bearer tokens, each with a name the audit log records: name = environment "
        'variable holding it (e.g. { ci = "EMBEDSHIFT_CI_TOKEN" }). token_env is named after '
        "its variable.",
        default_factory=lambda: MappingProxyType({}),
    )

    def validate(self, where: Where) -> None:
        """Token names must be label-safe and their variables valid names."""
        for name, env in self.tokens_env.items():
            if not _SEGMENT_NAME.match(name):
                raise where.error(f"tokens_env.{name}", "must be named with letters, digits, _.:-")
            problem = _env_check(env)
            if problem:
                raise where.error(f"tokens_env.{name}", problem)


@dataclass(frozen=True)
class Upstream:
    """``[upstreams.NAME]``: a search service; ``old`` answers clients, ``new`` is the shadow."""

    url: str = setting(
        "Base URL of the search service, such as http://127.0.0.1:6333.", check=_url_check
    )
    timeout_s: float = setting(
        "Total time allowed for this upstream's answer when it serves clients (504 after).",
        default=30.0,
        gt=0,
    )
    connect_timeout_s: float = setting(
        "Time allowed to open a connection (502 after).", default=3.0, gt=0
    )
    max_connections: int = setting(
        "Size of this upstream's keep-alive connection pool.", default=256, ge=1
    )
    headers_env: Mapping[str, str] = setting(
        "Headers added to every request to this upstream, as header name = environment "
        'variable holding the value (e.g. { "api-key" = "NEW_INDEX_API_KEY" }).',
        default_factory=lambda: MappingProxyType({}),
    )

    def validate(self, where: Where) -> None:
        """Environment variable names must be valid names."""
        for header, env in self.headers_env.items():
            problem = _env_check(env)
            if problem:
                raise where.error(f"headers_env.{header}", problem)


@dataclass(frozen=True)
class RequestField:
    """Where a value lives in a request: one of a header, a JSON pointer, a path parameter."""

    header: str | None = setting("Header name.", default=None)
    json: str | None = setting(
        "JSON pointer into the request body (e.g. /filter/segment).",
        default=None,
        check=_json_pointer_check,
    )
    path: str | None = setting("Name of a parameter of the route's path template.", default=None)

    def validate(self, where: Where) -> None:
        """Exactly one source must be given."""
        given = [k for k in ("header", "json", "path") if getattr(self, k) is not None]
        if len(given) != 1:
            raise where.error(None, "must set exactly one of header, json or path")


@dataclass(frozen=True)
class SampleKey:
    """``[shadow].sample_key``: what consistent sampling hashes (one of header, json, body)."""

    header: str | None = setting("Hash this header's value.", default=None)
    json: str | None = setting(
        "Hash the JSON value at this pointer of the body.", default=None, check=_json_pointer_check
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


@dataclass(frozen=True)
class SegmentsSection:
    """``[segments]``: the segment names that may appear as metric labels."""

    names: tuple[str, ...] = setting(
        "Known segment names; any other value is reported as 'other' (bounded label values).",
        default=(),
    )

    def validate(self, where: Where) -> None:
        """Names must be short, label-safe, unique and not 'other'."""
        seen: set[str] = set()
        for name in self.names:
            if not _SEGMENT_NAME.match(name):
                raise where.error(
                    "names", f"must hold names of letters, digits and _.:-, got {name!r}"
                )
            if name == "other":
                raise where.error("names", "must not contain 'other' (it is the catch-all)")
            if name in seen:
                raise where.error("names", f"lists {name!r} twice")
            seen.add(name)


@dataclass(frozen=True)
class Route:
    """``[[routes]]``: a search endpoint that is mirrored and compared."""

    name: str = setting("Route name, used as the `route` metric label.")
    path: str = setting(
        "Path template; {name} matches one path segment, "
        "e.g. /collections/{collection}/points/search."
    )
    adapter: str = setting(
        "How to read this engine's requests and answers: qdrant, generic, ... (see Adapters)."
    )
    method: str = setting("HTTP method of the search call.", default="POST")
    k: int = setting("Depth compared: the top k of each side.", default=10, ge=1, le=10000)
    segment: RequestField | None = setting(
        "Where the request names its segment: { header = ... }, { json = ... } or { path = ... }.",
        default=None,
    )
    shadow_path: str | None = setting(
        "Path template for the shadow request (may use the route's parameters). Unset: same path.",
        default=None,
    )
    collection_map: Mapping[str, str] = setting(
        "Old collection name = new collection name, applied to the shadow request.",
        default_factory=lambda: MappingProxyType({}),
    )
    options: Mapping[str, Any] = setting(
        "Adapter options (the generic adapter's JSON paths, for instance).",
        default_factory=lambda: MappingProxyType({}),
    )
    query_text: RequestField | None = setting(
        "Where a vector search carries its query text, re-embedded by [embedding] for the "
        'shadow: { header = "X-Query-Text" } (percent-encoded; n comma-joined texts for a batch) '
        'or { json = "/text" } (* for every array element). Unset: vectors are sent as they are.',
        default=None,
    )

    def validate(self, where: Where) -> None:
        """Method known, templates well formed, adapter known and its options valid."""
        if self.method.upper() not in HTTP_METHODS:
            raise where.error(
                "method", f"must be one of {', '.join(HTTP_METHODS)}, got {self.method!r}"
            )
        if not self.path.startswith("/"):
            raise where.error("path", f"must start with '/', got {self.path!r}")
        params = set(re.findall(r"{([^}]*)}", self.path))
        if any(not re.match(r"^[A-Za-z_]\w*$", p) for p in params):
            raise where.error("path", f"has a malformed {{parameter}}: {self.path!r}")
        if self.shadow_path is not None:
            extra = set(re.findall(r"{([^}]*)}", self.shadow_path)) - params
            if extra:
                raise where.error("shadow_path", f"uses parameters not in path: {sorted(extra)}")
        if (
            self.segment is not None
            and self.segment.path is not None
            and self.segment.path not in params
        ):
            raise where.error(
                "segment.path", f"names {self.segment.path!r}, which is not a parameter of path"
            )
        if self.query_text is not None and self.query_text.path is not None:
            raise where.error("query_text.path", "cannot hold query text: use header or json")
        from proxy.adapters import adapter_for

        adapter_for(self, where)


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
        check=_url_check,
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
            problem = _env_check(self.api_key_env)
            if problem:
                raise where.error("api_key_env", problem)


@dataclass(frozen=True)
class ThresholdsSection:
    """``[thresholds]``: the thresholds in force, old (yours) and new (calibrated)."""

    old: float | None = setting(
        "The similarity threshold your stack applies to the old model's scores today. "
        "Unset: accepted-count and abstain-flip metrics are not computed.",
        default=None,
    )
    old_segments: Mapping[str, float] = setting(
        "Per-segment old thresholds that differ from `old` (segment = threshold).",
        default_factory=lambda: MappingProxyType({}),
    )
    path: str | None = setting(
        "Thresholds document published by the calibrator; re-read when it changes.",
        default=None,
    )
    poll_interval_s: float = setting("How often the document's file is checked.", default=5.0, gt=0)


_POLICY = re.compile(r"^(target_recall|target_precision|max_f_beta)=[0-9.eE+-]+$")


def _policy_check(value: str) -> str | None:
    if not _POLICY.match(value.replace(" ", "")):
        return f"must be target_recall=R, target_precision=P or max_f_beta=B, got {value!r}"
    return None


@dataclass(frozen=True)
class CalibratorSection:
    """``[calibrator]``: labelled samples in, per-segment thresholds out (``calibrate``, worker).

    Relative paths are relative to the working directory.
    """

    eval: tuple[str, ...] = setting(
        "Eval sets in JSONL: {query_id, text, relevant_ids, segment} per line.", default=()
    )
    qrels: Mapping[str, str] = setting(
        "Qrels TSV imports as segment = path (query_id<TAB>doc_id<TAB>relevance lines).",
        default_factory=lambda: MappingProxyType({}),
    )
    queries: str | None = setting(
        "JSONL of {id, text} giving qrels queries their text (for the embeddings API).",
        default=None,
    )
    vectors: str | None = setting(
        "Precomputed new-model vectors (docs.npy, doc_ids.txt, queries.npy, query_ids.txt). "
        "Unset: `chunks` and the eval queries are embedded with [embedding].",
        default=None,
    )
    chunks: str | None = setting(
        "Chunk sample in JSONL ({id, text, segment}) embedded when `vectors` is unset.",
        default=None,
    )
    doc_segments: str | None = setting(
        "TSV of doc_id<TAB>segment: queries are scored against their own segment's documents. "
        "Unset: against all documents.",
        default=None,
    )
    old_vectors: str | None = setting(
        "Old-model vectors of the same sample: adds the quantile mapping of [thresholds].old.",
        default=None,
    )
    policy: str = setting(
        "target_recall=R, target_precision=P or max_f_beta=B.",
        default="target_recall=0.9",
        check=_policy_check,
    )
    segment_policies: Mapping[str, str] = setting(
        "Policies of particular segments (segment = policy).",
        default_factory=lambda: MappingProxyType({}),
    )
    average: Literal["micro", "macro"] = setting(
        "Precision and recall over all pairs (micro) or per query, averaged (macro).",
        default="micro",
    )
    min_queries: int = setting(
        "Fewest labelled queries for a segment's own threshold; fewer: the global one.",
        default=20,
        ge=1,
    )
    allow_fallback: bool = setting(
        "Publish even when a segment calibrated before now falls back for lack of labels.",
        default=False,
    )
    metric: Literal["cosine", "dot"] = setting(
        "Scores: cosine (inner product of normalised vectors) or dot (raw inner product).",
        default="cosine",
    )
    top_n: int = setting(
        "Candidates scored first per query; deeper ones only when a threshold needs them.",
        default=1000,
        ge=1,
    )
    bootstrap: int = setting("Query resamples for the intervals (0: none).", default=200, ge=0)
    confidence: float = setting("Confidence level of the intervals.", default=0.95, gt=0, lt=1)
    out: str | None = setting(
        "Where the thresholds document is published. Unset: [thresholds].path.", default=None
    )
    report_dir: str | None = setting(
        "Write a report (PNG plots, HTML and JSON) here after each run.", default=None
    )
    interval_s: float = setting(
        "How often the worker checks its inputs (it recalibrates only when they changed).",
        default=3600.0,
        gt=0,
    )
    status_path: str = setting(
        "JSON status the worker writes every round.", default="var/calibrator-status.json"
    )
    worker_in_serve: bool = setting(
        "`embedshift serve` runs the worker as a child process (false: it runs elsewhere, "
        "e.g. its own container in the pod).",
        default=True,
    )
    cache_dir: str = setting(
        "Persistent cache of embedded texts (embeddings API path).",
        default="var/embedding-cache",
    )
    document_template: str = setting(
        "Template applied to chunk text before embedding, e.g. 'passage: {text}'.",
        default="{text}",
        check=lambda v: None if "{text}" in v else "must contain {text}",
    )
    document_input_type: str | None = setting(
        "Sent as `input_type` with chunk texts (e.g. passage for e5 servers).", default=None
    )

    def validate(self, where: Where) -> None:
        """Labels and vectors must both have a source; policies must parse."""
        if not self.eval and not self.qrels:
            raise where.error("eval", "or qrels must name at least one labelled file")
        if self.vectors is None and self.chunks is None:
            raise where.error("vectors", "or chunks must be set (precomputed or embedded)")
        for segment, policy in self.segment_policies.items():
            problem = _policy_check(policy)
            if problem:
                raise where.error(f"segment_policies.{segment}", problem)


@dataclass(frozen=True)
class LoggingSection:
    """``[logging]``: structlog output."""

    level: Literal["debug", "info", "warning", "error"] = setting("Log level.", default="info")
    format: Literal["auto", "json", "console"] = setting(
        "json, console, or auto (console on a terminal, JSON otherwise).", default="auto"
    )
    log_query_text: bool = setting(
        "Allow raw query text and request bodies in logs. Off by default.", default=False
    )


@dataclass(frozen=True)
class GateSection:
    """``[gate]``: when the new index may take traffic (proxy/gate/verdict.py), per segment."""

    window_s: float = setting("Sliding window the gate judges, in seconds.", default=600.0, ge=10)
    interval_s: float = setting(
        "How often the gate is evaluated (and its metrics updated).", default=5.0, gt=0
    )
    min_compared: int = setting(
        "Fewest compared queries in the window for a verdict; fewer: inconclusive.",
        default=200,
        ge=2,
    )
    confidence: float = setting(
        "Confidence of the bounds on mean RBO and mean overlap@k (one-sided).",
        default=0.95,
        gt=0.5,
        lt=1,
    )
    min_rbo: float = setting(
        "Floor for the lower confidence bound of mean RBO.", default=0.8, ge=0, le=1
    )
    min_overlap: float = setting(
        "Floor for the lower confidence bound of mean overlap@k.", default=0.8, ge=0, le=1
    )
    max_abstain_flip_rate: float = setting(
        "Cap on the share of compared queries whose answer flips between some results and "
        "none under the thresholds in force (needs [thresholds]).",
        default=0.05,
        ge=0,
        le=1,
    )
    max_shadow_error_rate: float = setting(
        "Cap on the share of shadow requests that fail (errors, unparseable answers, failed "
        "embeddings).",
        default=0.01,
        ge=0,
        le=1,
    )
    max_shadow_timeout_rate: float = setting(
        "Cap on the share of shadow requests that time out.", default=0.01, ge=0, le=1
    )
    max_latency_ratio: float = setting(
        "Cap on the new index's p99 latency over the old one's (search routes, all segments).",
        default=1.5,
        gt=0,
    )
    prometheus_url: str | None = setting(
        "Read the window's figures from this Prometheus (all replicas summed), so that every "
        "replica reaches the same verdict. Unset: this process's own counters.",
        default=None,
        check=lambda v: None if v is None else _url_check(v),
    )
    prometheus_selector: str = setting(
        "Label matchers added to every gate query, e.g. 'namespace=\"search\"'.", default=""
    )
    prometheus_delay_s: float = setting(
        "Evaluate at a time this far back, aligned to interval_s, so that all replicas read "
        "the same fully scraped data (a few scrape intervals).",
        default=60.0,
        ge=0,
    )
    prometheus_timeout_s: float = setting(
        "Time allowed for each gate query to Prometheus.", default=5.0, gt=0
    )


@dataclass(frozen=True)
class ModesSection:
    """``[modes]``: which index answers search requests (proxy/flip/modes.py)."""

    state_path: str = setting(
        "SQLite file holding the mode in force and the audit log of its changes.",
        default="var/modes.sqlite",
    )
    canary_key: SampleKey | None = setting(
        "What a canary hashes so that one query (or user) always gets the same side. Unset: "
        "[shadow].sample_key; neither set: a draw per request.",
        default=None,
    )
    side_header: bool = setting(
        "Add X-Embedshift-Side: old|new;gen=N to search answers (tests, debugging).",
        default=False,
    )
    poll_interval_s: float = setting(
        "How often the stored mode is re-read, so that processes sharing state_path (one per "
        "core, [proxy].reuse_port) follow a change made through any of them.",
        default=1.0,
        gt=0,
    )


@dataclass(frozen=True)
class PromotionSection:
    """``[promotion]``: automatic promotion (off by default): shadow, canary steps, flipped."""

    enabled: bool = setting(
        "Promote automatically after the gate has passed for hold_s; roll back on fail.",
        default=False,
    )
    canary_steps: tuple[float, ...] = setting(
        "Canary percentages, in order, between shadow and flipped.",
        default=(5.0, 25.0, 50.0),
        check=lambda v: (
            None
            if all(0 < p < 100 for p in v) and list(v) == sorted(v)
            else "must be increasing percentages between 0 and 100"
        ),
    )
    hold_s: float = setting(
        "How long every segment must pass before the next step.", default=1800.0, gt=0
    )
    rollback_on_fail: bool = setting(
        "Go back to shadow at once when a segment fails (then stop promoting until an "
        "operator sets a mode).",
        default=True,
    )


@dataclass(frozen=True)
class Config:
    """The whole config file."""

    upstreams: Mapping[str, Upstream] = setting(
        "The search services: `old` (the current index) and `new` (the candidate)."
    )
    proxy: ProxySection = setting("Client-facing listener.", default_factory=ProxySection)
    metrics: MetricsSection = setting("Prometheus endpoint.", default_factory=MetricsSection)
    admin: AdminSection = setting("Admin API.", default_factory=AdminSection)
    shadow: ShadowSection = setting("Mirroring.", default_factory=ShadowSection)
    segments: SegmentsSection = setting("Segments.", default_factory=SegmentsSection)
    routes: tuple[Route, ...] = setting("Search routes.", default=())
    comparison: ComparisonSection = setting(
        "Divergence metrics.", default_factory=ComparisonSection
    )
    examples: ExamplesSection = setting("Divergent examples.", default_factory=ExamplesSection)
    embedding: EmbeddingSection | None = setting(
        "New model's embeddings API (needed for vector routes and the calibrator).", default=None
    )
    thresholds: ThresholdsSection = setting("Thresholds.", default_factory=ThresholdsSection)
    calibrator: CalibratorSection | None = setting(
        "Calibrator: labelled samples and how thresholds are calibrated.", default=None
    )
    gate: GateSection = setting("The flip gate.", default_factory=GateSection)
    modes: ModesSection = setting("Modes: shadow, canary, flipped.", default_factory=ModesSection)
    promotion: PromotionSection = setting("Automatic promotion.", default_factory=PromotionSection)
    logging: LoggingSection = setting("Logging.", default_factory=LoggingSection)

    def validate(self, where: Where) -> None:
        """Both upstreams present; route names unique."""
        for needed in ("old", "new"):
            if needed not in self.upstreams:
                raise where.child("upstreams").error(
                    needed, "is required: add a [upstreams." + needed + "] table with a url"
                )
        for i, route in enumerate(self.routes, start=1):
            if route.query_text is not None and self.embedding is None:
                raise (
                    where.child("routes")
                    .child(f"#{i}")
                    .error("query_text", "needs an [embedding] section (the new model's API)")
                )
        names = [r.name for r in self.routes]
        for name in names:
            if names.count(name) > 1:
                raise where.error("routes", f"has two routes named {name!r}")
