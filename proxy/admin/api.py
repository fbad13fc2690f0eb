"""The admin API: token-protected, on its own (loopback by default) address.

Every endpoint needs ``Authorization: Bearer <token>``. Tokens are the values of environment
variables the config names: ``[admin].token_env`` (its name is the variable's name) and each
of ``[admin].tokens_env`` (name = variable). The name of the token used is what the audit log
records; its value is never logged. With no token set at all, admin calls answer 503 saying
so: an unprotected admin API is never served.

- ``GET /admin/examples?segment=&kind=divergent|uniform&limit=``: stored divergent examples,
  both ranked lists side by side.
- ``GET /admin/status``: the mode in force, the gate's verdicts and reasons, its limits, the
  thresholds in force, automatic promotion's state.
- ``GET /admin/gate``: a fresh gate report (every segment: verdict, reasons, criteria).
- ``GET /admin/audit?limit=``: accepted mode changes, newest first.
- ``POST /admin/mode`` with ``{"mode": "shadow"|"canary"|"flipped", "percent": P (canary
  only, 0 < P < 100), "reason": "...", "force": false}``: 400 naming the problem on a bad body;
  409 with the gate's report when the change would send more traffic to the new index and the
  gate does not pass for every segment, unless ``"force": true`` with a reason; 200 otherwise.
  Lowering the new index's share (rollback to shadow included) never waits for the gate. A
  call that changes nothing answers 200 with ``"changed": false`` and is not audited.
- ``/admin/review...``: the review page and its API (:mod:`proxy.review.routes`), mounted
  when the sidecar hands a review store over. The page's shell (``PUBLIC_PATHS``: HTML, CSS,
  JavaScript, no data) loads without a token; its data calls need one like every call here.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, cast

from aiohttp import web

from proxy.compare.examples import KINDS, ExampleStore
from proxy.config.schema import Config
from proxy.flip.audit import AuditLog, ModeConflictError
from proxy.flip.modes import MODES, Mode, ModeController
from proxy.flip.promotion import Promoter
from proxy.gate.monitor import GateMonitor, GateReport
from proxy.jsondoc import loads
from proxy.review.routes import PUBLIC_PATHS, ReviewDeps, add_review_routes
from proxy.review.store import ReviewStore
from proxy.thresholds.watch import ThresholdsInForce


@dataclass(frozen=True, slots=True)
class AdminDeps:
    """What the admin API acts on, handed to it by the sidecar (:mod:`proxy.server.app`)."""

    config: Callable[[], Config]  # the config in force (reloads swap it)
    env: Mapping[str, str]  # where token values are read
    examples: ExampleStore
    modes: ModeController
    audit: AuditLog
    gate: GateMonitor
    promoter: Promoter
    thresholds: Callable[[], ThresholdsInForce]  # the thresholds in force
    reviews: ReviewStore | None = None  # the review page's votes (None: no page)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
DEPS = web.AppKey("admin_deps", AdminDeps)
TOKEN_NAME = web.RequestKey("token_name", str)
MAX_REASON = 1000
_MODE_KEYS = frozenset({"mode", "percent", "reason", "force"})


class BadRequestError(ValueError):
    """A request body or parameter the admin API refuses (400, with this message)."""


def _error(status: int, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": message, **extra}, status=status)


def configured_tokens(config: Config, env: Mapping[str, str]) -> dict[str, str]:
    """Token name to token value, for every configured variable that is set in ``env``."""
    admin = config.admin
    named = {admin.token_env: admin.token_env, **admin.tokens_env}
    return {name: env[var] for name, var in named.items() if env.get(var)}


@web.middleware
async def require_token(request: web.Request, handler: Handler) -> web.StreamResponse:
    """401 without a right bearer token; 503 when no token is configured.

    The review page's shell (``PUBLIC_PATHS``, GET and HEAD) needs none: it holds no data.
    """
    if request.method in ("GET", "HEAD") and request.path in PUBLIC_PATHS:
        return await handler(request)
    deps = request.app[DEPS]
    config = deps.config()
    tokens = configured_tokens(config, deps.env)
    if not tokens:
        env_name = config.admin.token_env
        return _error(
            503, f"admin API disabled: set the environment variable {env_name} to a token"
        )
    given = request.headers.get("Authorization", "")
    scheme, _, token = given.partition(" ")
    # bytes as received: a header aiohttp decoded with surrogates (non-ASCII, non-UTF-8) is a
    # wrong token (401), never an encoding error (500)
    raw = token.encode("utf-8", "surrogateescape")
    matched = None
    for name, expected in tokens.items():  # every one compared: no early exit on a match
        if hmac.compare_digest(raw, expected.encode("utf-8", "surrogateescape")):
            matched = matched or name
    if scheme.lower() != "bearer" or matched is None:
        return web.json_response(
            {"error": "missing or wrong bearer token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer realm="embedshift-admin"'},
        )
    request[TOKEN_NAME] = matched
    return await handler(request)


async def list_examples(request: web.Request) -> web.Response:
    """The stored divergent (or uniform) examples of a segment, most divergent first."""
    examples = request.app[DEPS].examples
    segment = request.query.get("segment")
    kind = request.query.get("kind", "divergent")
    if kind not in KINDS:
        return _error(400, f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    try:
        limit = _limit(request.query, 20)
    except BadRequestError as e:
        return _error(400, str(e))
    await examples.flush()
    found = await examples.query(segment, kind, limit)
    return web.json_response({"segment": segment, "kind": kind, "examples": found})


def _limit(query: Mapping[str, str], default: int) -> int:
    raw = query.get("limit", str(default))
    try:
        limit = int(raw)
    except ValueError as e:
        raise BadRequestError(f"limit must be an integer, got {raw!r}") from e
    if not 1 <= limit <= 1000:
        raise BadRequestError(f"limit must be between 1 and 1000, got {limit}")
    return limit


@dataclass(frozen=True, slots=True)
class ModeRequest:
    """A valid ``POST /admin/mode`` body."""

    mode: Mode
    percent: float
    reason: str
    force: bool

    @property
    def new_share(self) -> float:
        """Percent of search requests the new index would answer."""
        return {"shadow": 0.0, "canary": self.percent, "flipped": 100.0}[self.mode]


def parse_mode_request(raw: bytes) -> ModeRequest:
    """The body of ``POST /admin/mode``, or :class:`BadRequestError` saying what is wrong."""
    try:
        doc = loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise BadRequestError(f"the body must be a JSON object: {e}") from e
    if not isinstance(doc, dict):
        raise BadRequestError('the body must be a JSON object such as {"mode": "shadow"}')
    unknown = sorted(set(doc) - _MODE_KEYS)
    if unknown:
        raise BadRequestError(f"unknown keys {unknown}: expected {sorted(_MODE_KEYS)}")
    mode = doc.get("mode")
    if mode not in MODES:
        raise BadRequestError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    percent = _percent(mode, doc.get("percent"))
    reason = doc.get("reason", "")
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise BadRequestError(f"reason must be a string of at most {MAX_REASON} characters")
    force = doc.get("force", False)
    if not isinstance(force, bool):
        raise BadRequestError(f"force must be true or false, got {force!r}")
    if force and not reason.strip():
        raise BadRequestError("force needs a reason: say why the gate is overridden")
    return ModeRequest(cast("Mode", mode), percent, reason.strip(), force)


def _percent(mode: str, percent: Any) -> float:
    if mode != "canary":
        if percent is not None:
            raise BadRequestError(f"percent applies to canary only, not to {mode}")
        return 0.0
    if isinstance(percent, bool) or not isinstance(percent, int | float):
        raise BadRequestError(f"a canary needs percent, a number, got {percent!r}")
    if not 0 < percent < 100:
        raise BadRequestError(
            f"percent must be above 0 and below 100 (use shadow or flipped), got {percent}"
        )
    return float(percent)


def _blocking(report: GateReport) -> str:
    """Every segment that does not pass, with every reason (failures first), one per line."""
    parts = []
    for verdict in report.verdicts:
        if verdict.verdict != "pass":
            reasons = verdict.reasons or ("no reason given",)
            parts.append(
                f"{verdict.segment}: {verdict.verdict}"
                + "".join(f"\n  - {reason}" for reason in reasons)
            )
    return "\n".join(parts) or "no segment was judged"


async def set_mode(request: web.Request) -> web.Response:
    """Change the mode (see the module docstring for the answers)."""
    deps = request.app[DEPS]
    try:
        wanted = parse_mode_request(await request.read())
    except BadRequestError as e:
        return _error(400, str(e))
    controller = deps.modes
    async with controller.lock:
        await controller.refresh()  # another process sharing the state file may have changed it
        before = controller.state
        if before.mode == wanted.mode and before.new_share == wanted.new_share:
            return web.json_response({"changed": False, "mode": before.as_json()})
        report = await deps.gate.evaluate()
        gated = wanted.new_share > before.new_share
        if gated and not report.passes and not wanted.force:
            message = (
                f"the gate does not pass for every segment:\n{_blocking(report)}\n"
                'Wait for more traffic, fix the new index, or send "force": true with a reason'
            )
            return _error(409, message, gate=report.as_json())
        try:
            entry = await controller.change(
                wanted.mode,
                wanted.percent,
                actor=request[TOKEN_NAME],
                reason=wanted.reason,
                forced=gated and not report.passes,
                gate=report.as_json(),
            )
        except ModeConflictError as e:
            return _error(409, str(e), mode=controller.state.as_json())
    deps.promoter.operator_changed()
    return web.json_response(
        {"changed": True, "mode": controller.state.as_json(), "audit": entry.as_json()}
    )


async def get_gate(request: web.Request) -> web.Response:
    """A fresh gate report."""
    report = await request.app[DEPS].gate.evaluate()
    return web.json_response(report.as_json())


async def get_audit(request: web.Request) -> web.Response:
    """Accepted mode changes, newest first."""
    audit = request.app[DEPS].audit
    try:
        limit = _limit(request.query, 100)
    except BadRequestError as e:
        return _error(400, str(e))
    entries = await asyncio.to_thread(audit.entries, limit)
    return web.json_response({"entries": [e.as_json() for e in entries]})


async def get_status(request: web.Request) -> web.Response:
    """Mode, verdicts, limits, thresholds in force, promotion."""
    deps = request.app[DEPS]
    config = deps.config()
    report = await deps.gate.evaluate()
    in_force = deps.thresholds()
    segments = [v.segment for v in report.verdicts]
    document = in_force.document
    return web.json_response(
        {
            "mode": deps.modes.state.as_json(),
            "gate": {
                "passes": report.passes,
                "source": report.source,
                "error": report.error,
                "segments": {
                    v.segment: {
                        "verdict": v.verdict,
                        "reasons": list(v.reasons),
                        "criteria": v.criteria_json(),
                    }
                    for v in report.verdicts
                },
                "limits": asdict(config.gate),
            },
            "thresholds": {
                "old": {s: in_force.old_for(s) for s in segments},
                "new": {s: in_force.new_for(s) for s in segments},
                "document_version": None if document is None else document.version,
            },
            "promotion": deps.promoter.status(config.gate.window_s),
        }
    )


def create_admin_app(deps: AdminDeps) -> web.Application:
    """The admin application acting on ``deps``."""
    app = web.Application(middlewares=[require_token])
    app[DEPS] = deps
    app.router.add_get("/admin/examples", list_examples)
    app.router.add_get("/admin/status", get_status)
    app.router.add_get("/admin/gate", get_gate)
    app.router.add_get("/admin/audit", get_audit)
    app.router.add_post("/admin/mode", set_mode)
    if deps.reviews is not None:
        add_review_routes(
            app,
            ReviewDeps(deps.config, deps.reviews, deps.examples, lambda r: r[TOKEN_NAME]),
        )
    return app
