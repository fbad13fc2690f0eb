"""What people need to judge a compared query, kept with its example: the texts.

With ``[review].store_text = true``, the recorder (:mod:`proxy.compare.record`) asks
:class:`TextCapture` for each compared search:

- the query's text, from the route's ``query_text`` header or JSON pointer (as the shadow
  reads it to re-embed the query: :func:`proxy.shadow.rewrite.query_texts`). A text learned
  from the application's embeddings call is not kept: it lives in the rewriter's memory;
- each result's text on both sides, where the route's ``document_text`` says the answers
  carry it (:meth:`proxy.adapters.base.Adapter.document_texts`).

Texts longer than ``[review].max_text_chars`` are cut (and end with ``…``). A part that cannot
be read is left out (None), logged once per route: capturing texts never changes what is
recorded.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Protocol

from proxy.adapters.base import Adapter
from proxy.compare.examples import ExampleTexts
from proxy.config.schema import ReviewSection, Route
from proxy.errors import AdapterError
from proxy.jsondoc import parse_json_body
from proxy.logs import OncePerKind, get_logger
from proxy.shadow.rewrite import query_texts

log = get_logger("review_capture")


class Search(Protocol):
    """What a compared search tells the capture (a :class:`proxy.shadow.job.ShadowJob`)."""

    @property
    def route(self) -> Route:
        """Its route: where query text and result text are."""
        ...

    @property
    def adapter(self) -> Adapter:
        """Reads the route's requests and answers."""
        ...

    @property
    def body(self) -> bytes:
        """The client's request body."""
        ...

    @property
    def request_headers(self) -> Mapping[str, str]:
        """The client's request headers."""
        ...


def clip(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, the last one ``…`` when it was longer."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


class TextCapture:
    """Reads the texts of a compared search for its examples (module docstring)."""

    def __init__(self, settings: ReviewSection) -> None:
        """``settings.max_text_chars`` bounds every text kept."""
        self.limit = settings.max_text_chars
        self._once = OncePerKind()

    def texts(
        self, search: Search, old_body: bytes, new_body: bytes, queries: int
    ) -> list[ExampleTexts] | None:
        """One :class:`ExampleTexts` per query of the search; None when it has no text at all."""
        asked = self._queries(search, queries)
        old = self._documents(search, old_body, "old")
        new = self._documents(search, new_body, "new")
        if asked is None and old is None and new is None:
            return None
        return [
            ExampleTexts(
                query=None if asked is None else clip(asked[i], self.limit),
                old=self._row(old, i),
                new=self._row(new, i),
            )
            for i in range(queries)
        ]

    def _row(
        self, texts: list[tuple[str | None, ...]] | None, index: int
    ) -> tuple[str | None, ...]:
        if texts is None or index >= len(texts):
            return ()
        return tuple(clip(t, self.limit) for t in texts[index])

    def _queries(self, search: Search, queries: int) -> list[str] | None:
        source = search.route.query_text
        if source is None or (source.header is None and source.json is None):
            return None
        try:
            doc = search.adapter.parse_request(search.body) if source.json is not None else None
            return query_texts(source, search.request_headers, doc, queries)
        except (AdapterError, ValueError) as e:
            self._failed(search, "query", e)
            return None

    def _documents(
        self, search: Search, body: bytes, side: str
    ) -> list[tuple[str | None, ...]] | None:
        field = search.route.document_text
        if field is None:
            return None
        try:
            return search.adapter.document_texts(parse_json_body(body), field)
        except (AdapterError, ValueError) as e:
            self._failed(search, side, e)
            return None

    def _failed(self, search: Search, part: str, error: Exception) -> None:
        suppressed = self._once.should_log(f"{search.route.name}:{part}", time.monotonic())
        if suppressed is not None:
            log.warning(
                "review_text_unreadable",
                route=search.route.name,
                part=part,
                error=str(error),
                suppressed=suppressed,
            )
