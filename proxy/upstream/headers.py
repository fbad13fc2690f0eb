"""The sidecar's one header policy: what goes to an upstream, and what comes back to a client.

To an upstream (every request: passthrough, search, mirror, collection look-up)
  the client's end-to-end headers, in order, repeats kept; dropped: the hop-by-hop ones
  (RFC 9110 section 7.6.1: ``Connection`` and every header it names, ``Keep-Alive``, ``TE``,
  ``Trailer``, ``Transfer-Encoding``, ``Upgrade``, the ``Proxy-*`` trio), ``Host`` and
  ``Content-Length`` (the client library writes them for the upstream) and ``Expect`` (the
  body has been read already); ``X-Forwarded-For`` gets the peer appended to what the client
  sent, ``X-Forwarded-Host`` and ``X-Forwarded-Proto`` are added unless the client sent them;
  a mirrored request carries ``X-Embedshift-Shadow: 1``; last, the upstream's own headers
  (``[upstreams.NAME].headers_env``, its API key) replace any of the same name, so that each
  goes out once, with the upstream's value.
To the new index, also
  none of the client's credentials for the old one (the route's ``credential_headers``:
  ``Authorization``, ``Cookie``, the engines' API-key headers; :func:`split_credentials`): a
  request moving to another system loses them, as Go's net/http and curl drop
  ``Authorization`` and ``Cookie`` when a redirect leads to another host. The new index
  authenticates the sidecar with its own ``headers_env``.
Back to a client
  the upstream's end-to-end headers, repeats (``Set-Cookie``) kept, hop-by-hop ones dropped;
  nothing added that the upstream did not send: no ``Server`` (aiohttp's would name Python's
  and its own versions) and no ``Date`` (:func:`relay_headers`), as HAProxy relays answers and
  Envoy does with ``server_header_transformation: PASS_THROUGH``; and nothing lost that still
  holds: an upstream's ``Connection: keep-alive`` (hop-by-hop, so dropped with the rest) is
  said again when the client's connection is kept alive too. The sidecar's own answers (502,
  504) carry no ``Server`` either.

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
UPSTREAM_SENT = web.ResponseKey("embedshift_upstream_sent", frozenset)
"""On a relayed answer: the lower-case names of the headers the upstream sent (and
``connection: keep-alive`` when it said so)."""


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


def split_credentials(
    headers: list[Header], names: Iterable[str]
) -> tuple[list[Header], tuple[Header, ...]]:
    """``headers`` without the credential headers ``names`` (any case), and those apart.

    Without any of them (the common case) the list is ``headers`` itself, not a copy.
    """
    wanted = {name.lower().encode("latin-1") for name in names}
    if not wanted or not any(pair[0].lower() in wanted for pair in headers):
        return headers, ()
    kept = [pair for pair in headers if pair[0].lower() not in wanted]
    return kept, tuple(pair for pair in headers if pair[0].lower() in wanted)


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


KEPT_ALIVE = "connection: keep-alive"


def mark_relayed(response: web.StreamResponse, raw: Iterable[Header]) -> None:
    """Remember which headers the upstream sent (:func:`relay_headers` reads it)."""
    sent = {k.decode("latin-1").lower() for k, _ in raw}
    if any(k.lower() == b"connection" and b"keep-alive" in v.lower() for k, v in raw):
        sent.add(KEPT_ALIVE)
    response[UPSTREAM_SENT] = frozenset(sent)


async def relay_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: take back what aiohttp adds that the upstream did not send."""
    sent: frozenset[str] = response.get(UPSTREAM_SENT, frozenset())
    headers = response.headers
    if "server" not in sent:
        headers.popall("Server", None)
    if UPSTREAM_SENT in response and "date" not in sent:
        headers.popall("Date", None)
    if KEPT_ALIVE in sent and response.keep_alive and "Connection" not in headers:
        headers["Connection"] = "keep-alive"
