"""The admin API: token-protected, on its own (loopback by default) address.

Every endpoint needs ``Authorization: Bearer <token>`` where the token is the value of the
environment variable ``[admin].token_env`` names. Without that variable set, admin calls
answer 503 saying so: an unprotected admin API is never served.

- ``GET /admin/examples?segment=&kind=divergent|uniform&limit=``: stored divergent examples,
  both ranked lists side by side.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable

from aiohttp import web

from proxy.app import Sidecar
from proxy.examples import KINDS

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
ADMIN_SIDECAR = web.AppKey("admin_sidecar", Sidecar)
TOKEN_NAME = web.RequestKey("token_name", str)


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 without the right bearer token; 503 when no token is configured."""
    sidecar = request.app[ADMIN_SIDECAR]
    env_name = sidecar.config.admin.token_env
    expected = sidecar.env.get(env_name)
    if not expected:
        return _error(
            503, f"admin API disabled: set the environment variable {env_name} to a token"
        )
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected.encode()):
        return web.json_response(
            {"error": "missing or wrong bearer token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="embedshift-admin"'},
        )
    request[TOKEN_NAME] = env_name
    return await handler(request)


async def list_examples(request: web.Request) -> web.Response:
    """The stored divergent (or uniform) examples of a segment, most divergent first."""
    sidecar = request.app[ADMIN_SIDECAR]
    segment = request.query.get("segment")
    kind = request.query.get("kind", "divergent")
    if kind not in KINDS:
        return _error(400, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        return _error(400, f"limit must be an integer, got {request.query.get('limit')!r}")
    if not 1 <= limit <= 1000:
        return _error(400, f"limit must be between 1 and 1000, got {limit}")
    await sidecar.examples.flush()
    examples = await sidecar.examples.query(segment, kind, limit)
    return web.json_response({"segment": segment, "kind": kind, "examples": examples})


def create_admin_app(sidecar: Sidecar) -> web.Application:
    """The admin application for ``sidecar``."""
    app = web.Application(middlewares=[require_token])
    app[ADMIN_SIDECAR] = sidecar
    app.router.add_get("/admin/examples", list_examples)
    return app
