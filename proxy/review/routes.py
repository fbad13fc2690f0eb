"""The review page and its API, mounted on the admin listener (:mod:`proxy.admin.api`).

The page's shell (HTML, CSS, JavaScript) loads without a token: it holds no data. It asks for
the admin token once, keeps it in the tab's ``sessionStorage`` and sends it as
``Authorization: Bearer`` with every data call; never in a URL. Every data call needs the
token (the admin API's middleware), and the reviewer is the name of the token used.

- ``GET /admin/review``: the page (``assets/review.html``).
- ``GET /admin/review/assets/{review.js,review.css}``: its script and style.
- ``GET /admin/review/queue?segment=``: the queries offered to this reviewer, blind
  (:mod:`proxy.review.queue`), and the tallies.
- ``POST /admin/review/votes`` with ``{"item": "...", "choice": "left" | "same" | "right" |
  "both_bad"}``: keeps the vote (a new one replaces this reviewer's previous one) and only
  then says which side was the new index. 400 on a bad body, 404 for a query never offered to
  this reviewer.
- ``GET /admin/review/tallies``: per segment, the votes in force, the new index's win and loss
  rates with Wilson intervals, and the gate's ``reviewed_preference`` on them.

With ``[review].enabled = false`` every one of them answers 404 saying how to turn it on.
Answers carry ``Cache-Control: no-store``; the page a strict Content-Security-Policy (its own
script and style only, no inline code), so that a document's text can never run as code.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, cast

from aiohttp import web

from proxy.compare.examples import ExampleStore
from proxy.config.schema import Config
from proxy.gate.review import reviewed_preference
from proxy.review.queue import blind, candidates
from proxy.review.store import CHOICES, Choice, ReviewStore

PAGE = "/admin/review"
ASSETS = {"review.js": "text/javascript", "review.css": "text/css"}
PUBLIC_PATHS = frozenset({PAGE, *(f"{PAGE}/assets/{name}" for name in ASSETS)})
"""Paths served without a token (GET and HEAD only): the page's shell, which holds no data."""
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_NO_STORE = {"Cache-Control": "no-store"}
_VOTE_KEYS = frozenset({"item", "choice"})


@dataclass(frozen=True, slots=True)
class ReviewDeps:
    """What the review routes act on, handed in by the admin API."""

    config: Callable[[], Config]  # the config in force
    store: ReviewStore
    examples: ExampleStore
    reviewer: Callable[[web.Request], str]  # the name of the request's admin token


DEPS = web.AppKey("review_deps", ReviewDeps)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_review_routes(app: web.Application, deps: ReviewDeps) -> None:
    """Mount the page and its API on the admin application ``app``."""
    app[DEPS] = deps
    app.router.add_get(PAGE, _enabled(page))
    app.router.add_get(PAGE + "/assets/{name}", _enabled(asset))
    app.router.add_get(PAGE + "/queue", _enabled(queue))
    app.router.add_post(PAGE + "/votes", _enabled(vote))
    app.router.add_get(PAGE + "/tallies", _enabled(tallies))


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=_NO_STORE)


def _enabled(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        if not request.app[DEPS].config().review.enabled:
            return _error(404, "the review page is off: set [review].enabled = true")
        return await handler(request)

    guarded.__doc__ = handler.__doc__
    return guarded


def _asset(name: str) -> bytes:
    return resources.files("proxy.review").joinpath("assets", name).read_bytes()


async def page(_request: web.Request) -> web.Response:
    """The page's HTML shell (no data: it loads everything with the token)."""
    return web.Response(
        body=_asset("review.html"), content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
    )


async def asset(request: web.Request) -> web.Response:
    """The page's script or style."""
    name = request.match_info["name"]
    if name not in ASSETS:
        return _error(404, f"no such asset: {name!r}")
    return web.Response(
        body=_asset(name), content_type=ASSETS[name], charset="utf-8", headers=_PAGE_HEADERS
    )


async def queue(request: web.Request) -> web.Response:
    """The queries offered to this reviewer, blind, and each segment's tally."""
    deps = request.app[DEPS]
    settings = deps.config().review
    segment = request.query.get("segment") or None
    await deps.examples.flush()
    found = await deps.examples.query(segment, "divergent", 1000)
    offered = candidates(found, settings.queries_per_segment)
    reviewer = deps.reviewer(request)
    assignments = await deps.store.assign(reviewer, [c.offered for c in offered])
    items = [blind(c, assignments[c.item]) for c in offered]
    return web.json_response(
        {
            "reviewer": reviewer,
            "segments": sorted({c.segment for c in offered} | set(deps.store.tallies())),
            "items": items,
            "tallies": _tallies_json(deps),
        },
        headers=_NO_STORE,
    )


def parse_vote(raw: bytes) -> tuple[str, Choice]:
    """``(item, choice)`` from a vote's body; ValueError naming what is wrong."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        msg = f"the body must be a JSON object: {e}"
        raise ValueError(msg) from e
    if not isinstance(doc, dict) or set(doc) != _VOTE_KEYS:
        msg = 'the body must be {"item": "...", "choice": "left|same|right|both_bad"}'
        raise ValueError(msg)
    item, choice = doc["item"], doc["choice"]
    if not isinstance(item, str) or not item or len(item) > 64:
        msg = f"item must be an item id from the queue, got {item!r}"
        raise ValueError(msg)
    if choice not in CHOICES:
        msg = f"choice must be one of {', '.join(CHOICES)}, got {choice!r}"
        raise ValueError(msg)
    return item, cast("Choice", choice)


async def vote(request: web.Request) -> web.Response:
    """Keep a vote; only then say which side was the new index."""
    deps = request.app[DEPS]
    try:
        item, choice = parse_vote(await request.read())
    except ValueError as e:
        return _error(400, str(e))
    kept = await deps.store.vote(deps.reviewer(request), item, choice)
    if kept is None:
        return _error(404, "this query was never offered to you: reload the queue")
    return web.json_response(
        {
            "item": kept.item,
            "segment": kept.segment,
            "choice": kept.choice,
            "new_side": kept.new_side,
            "outcome": kept.outcome,
            "replaced": kept.replaced,
            "tallies": _tallies_json(deps),
        },
        headers=_NO_STORE,
    )


async def tallies(request: web.Request) -> web.Response:
    """Per segment: votes, win and loss rates with Wilson intervals, the gate's criterion."""
    return web.json_response(_tallies_json(request.app[DEPS]), headers=_NO_STORE)


def _tallies_json(deps: ReviewDeps) -> dict[str, Any]:
    config = deps.config()
    min_reviews = config.gate.min_reviews
    confidence = config.gate.confidence
    segments: dict[str, Any] = {}
    for segment, tally in deps.store.tallies().items():
        criterion = reviewed_preference(
            tally, enabled=config.review.enabled, min_reviews=min_reviews, confidence=confidence
        )
        segments[segment] = {
            **tally.as_json(),
            "criterion": {
                "name": criterion.name,
                "status": criterion.status,
                "value": criterion.value,
                "limit": criterion.limit,
                "reason": criterion.reason,
            },
        }
    return {"min_reviews": min_reviews, "confidence": confidence, "segments": segments}
