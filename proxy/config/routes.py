"""Which requests are searches: ``[segments]``, ``[[routes]]``, and where a request names a value.

A route names its adapter; the route's options are checked by that adapter while the file is
validated (:func:`proxy.adapters.adapter_for`), so a bad option fails ``check-config``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from proxy.adapters import adapter_for
from proxy.config.loader import (
    CREDENTIAL_HEADERS,
    LABEL_NAME,
    header_names_check,
    json_pointer_check,
    setting,
)
from proxy.config.where import Where

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
OTHER = "other"
"""The segment of a request that names no configured segment (a bounded label value)."""


@dataclass(frozen=True)
class RequestField:
    """Where a value lives in a request: one of a header, a JSON pointer, a path parameter."""

    header: str | None = setting("Header name.", default=None)
    json: str | None = setting(
        "JSON pointer into the request body (e.g. /filter/segment).",
        default=None,
        check=json_pointer_check,
    )
    path: str | None = setting("Name of a parameter of the route's path template.", default=None)

    def validate(self, where: Where) -> None:
        """Exactly one source must be given."""
        given = [k for k in ("header", "json", "path") if getattr(self, k) is not None]
        if len(given) != 1:
            raise where.error(None, "must set exactly one of header, json or path")


@dataclass(frozen=True)
class QueryTextSource:
    """Where a vector search's query text comes from: any of a header, a JSON pointer, learned.

    The first that yields text wins, in that order (``header``, ``json``, ``learned``).
    """

    header: str | None = setting(
        "Header holding the text (percent-encoded; n comma-joined texts for a batch).",
        default=None,
    )
    json: str | None = setting(
        "JSON pointer to the text in the request body (* for every array element).",
        default=None,
        check=json_pointer_check,
    )
    learned: bool = setting(
        "Find the text from the query vector: the text the application embedded through the "
        "sidecar's [embeddings_api] just before (docs/query-text.md).",
        default=False,
    )

    def validate(self, where: Where) -> None:
        """At least one source must be given."""
        if self.header is None and self.json is None and not self.learned:
            raise where.error(None, "must set header, json or learned = true (or several)")


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
            if not LABEL_NAME.match(name):
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
    credential_headers: tuple[str, ...] = setting(
        "The client's headers that carry its credentials for the old index: never sent to the "
        "new one (mirrors, canary, collection look-ups), which gets its own from "
        "[upstreams.new].headers_env. [] sends the client's credentials to both "
        "(docs/hardening.md).",
        default=CREDENTIAL_HEADERS,
        check=header_names_check,
    )
    translate_thresholds: bool = setting(
        "Translate the thresholds a request carries (score_threshold, similarity, min_score, "
        "radius, certainty, distance...) by the segment's old-to-new score map whenever the new "
        "index is asked (docs/thresholds.md). false: sent as the client wrote them.",
        default=True,
    )
    untranslatable: Literal["old_answers", "as_sent"] = setting(
        "When the new index would answer a client (canary, flipped) with a threshold that "
        "cannot be translated (no map yet, a value outside the map's domain, an unrelated "
        "scale), or without a map for response_scores: old_answers (the old index answers, "
        "counted in embedshift_primary_fallbacks_total) or as_sent (the new index answers with "
        "what could be translated, the rest as sent). Mirrors are sent either way.",
        default="old_answers",
    )
    response_scores: Literal["raw", "old_scale"] = setting(
        "Scores in the new index's answers to clients: raw, or old_scale (mapped back to the "
        "old model's scale by the segment's map, so that client-side cuts keep their meaning; "
        "ranking unchanged; header X-Embedshift-Score-Scale). The comparison reads raw scores.",
        default="raw",
    )
    query_text: QueryTextSource | None = setting(
        "Where a vector search's query text comes from, re-embedded by [embedding] for the "
        'shadow: { header = "X-Query-Text" }, { json = "/text" }, { learned = true } (from the '
        "application's embeddings call, [embeddings_api]), or several (first that yields "
        "wins: header, json, learned). Unset: vectors are sent as they are.",
        default=None,
    )

    document_text: str | None = setting(
        "Where this route's answers carry each result's text, for the review page (kept only "
        'with [review].store_text): Chroma "documents" or a metadata key, a Qdrant payload '
        "key, an Elasticsearch _source field, a Typesense document field, a Pinecone metadata "
        "key (keys joined by dots), or a generic path like options.ids. Unset: no text.",
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
        adapter = adapter_for(self, where)
        if self.document_text is not None and adapter.document_text is None:
            raise where.error(
                "document_text",
                f"the {self.adapter} adapter reads no result text: remove document_text",
            )
