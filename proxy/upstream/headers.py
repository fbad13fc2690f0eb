"""The sidecar's one header policy: what goes to an upstream, and what comes back to a client.

To an upstream (every request: passthrough, search, mirror, collection look-up)
  the client's end-to-end headers, in order, repeats kept; dropped: the hop-by-hop ones
  (RFC 9110 section 7.6.1: ``Connection`` and every header it names, ``Keep-Alive``, ``TE``,
  ``Trailer``, ``Transfer-Encoding``, ``Upgrade``, the ``Proxy-*`` trio), ``Host`` and
  ``Content-Length`` (the client library writes them for the upstream) and ``Expect`` (the
  body has been read already); ``X-Forwarded-For`` gets the peer appended to what the client
  sent, ``X-Forwarded-Host`` and ``X-Forwarded-Proto`` are added unless the client sent them;
  a mirrored request carries ``X-Embedshift-Shadow: 1``; last, the upstream's own headers
  (``[upstreams.NAME].headers_env``, its API key) replace any of the same name.
Back to a client
  the upstream's end-to-end headers, repeats (``Set-Cookie``) kept, hop-by-hop ones dropped.

The policy is written once, on bytes (:func:`forwarded`, :func:`for_upstream`): the search
path's pool writes those pairs as they are, with no decoding and, for a client header that is
kept, no new object. aiohttp's streamed passthrough gets the same pairs as a multidict
(:func:`as_multidict`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from aiohttp import web
from multidict import CIMultiDict

from proxy.upstream.http1 import Header

HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
    }
)
"""Never forwarded either way (Host and Content-Length are the client library's to write)."""

_NOT_FORWARDED: Final = frozenset(h.encode() for h in HOP_BY_HOP) | {b"expect"}
SHADOW_HEADER: Final = "X-Embedshift-Shadow"
"""Marks a mirrored request: its answer is compared, never returned to a client."""
SHADOW_MARK: Final[Header] = (SHADOW_HEADER.encode(), b"1")


@dataclass(frozen=True, slots=True)
class UpstreamHeaders:
    """An upstream's own headers, prepared once: the pairs to add and the names they replace."""

    pairs: tuple[Header, ...] = ()
    names: frozenset[bytes] = frozenset()

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> UpstreamHeaders:
        """Prepare ``headers`` (name to value) for :func:`for_upstream`."""
        pairs = tuple((k.encode("latin-1"), v.encode("latin-1")) for k, v in headers.items())
        return cls(pairs, frozenset(name.lower() for name, _ in pairs))


def forwarded(request: web.Request, *, mirrored: bool = False) -> list[Header]:
    """The client's side of the policy: what every upstream gets before its own headers.

    ``mirrored`` adds the shadow mark. The list is new; its kept pairs are the request's own.
    """
    raw = request.raw_headers
    tokens: frozenset[bytes] = frozenset()
    for name, value in raw:
        if name.lower() == b"connection":
            tokens = frozenset(t.strip().lower() for t in value.split(b",") if t.strip())
    forwarded_for = b""
    has_host = has_proto = False
    out: list[Header] = []
    for pair in raw:
        lower = pair[0].lower()
        if lower in _NOT_FORWARDED or lower in tokens:
            continue
        if lower == b"x-forwarded-for":
            forwarded_for += pair[1] + b", "
            continue
        has_host = has_host or lower == b"x-forwarded-host"
        has_proto = has_proto or lower == b"x-forwarded-proto"
        out.append(pair)
    out.append((b"X-Forwarded-For", forwarded_for + (request.remote or "").encode()))
    if not has_host and request.host:
        out.append((b"X-Forwarded-Host", request.host.encode("latin-1")))
    if not has_proto:
        out.append((b"X-Forwarded-Proto", request.scheme.encode()))
    if mirrored:
        out.append(SHADOW_MARK)
    return out


def for_upstream(headers: list[Header], upstream: UpstreamHeaders) -> list[Header]:
    """``headers`` as sent to one upstream: its own headers replace the client's of that name.

    Without headers of its own (the common case) this is ``headers`` itself, not a copy.
    """
    if not upstream.pairs:
        return headers
    names = upstream.names
    return [pair for pair in headers if pair[0].lower() not in names] + list(upstream.pairs)


def as_multidict(headers: Iterable[Header]) -> CIMultiDict[str]:
    """Header pairs as the multidict aiohttp's client takes (order and repeats kept)."""
    return CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in headers)


def response_headers(raw: Iterable[Header]) -> CIMultiDict[str]:
    """The upstream's end-to-end response headers, repeated ones (Set-Cookie) kept."""
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
    connection_tokens = {
        t.strip().lower()
        for k, v in pairs
        if k.lower() == "connection"
        for t in v.split(",")
        if t.strip()
    }
    headers: CIMultiDict[str] = CIMultiDict()
    for key, value in pairs:
        lower = key.lower()
        if lower in HOP_BY_HOP or lower in connection_tokens:
            continue
        headers.add(key, value)
    return headers
