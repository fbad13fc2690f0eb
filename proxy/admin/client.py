"""``embedshift status`` and ``embedshift flip``: the admin API from the command line.

Both read the config for the admin address (``[admin].listen``, or ``--admin URL``) and the
token's variable (``[admin].token_env``, or ``--token-env NAME``), and print what the sidecar
answers. ``flip --to new`` asks for ``flipped``, ``--to old`` for ``shadow`` (the rollback),
``--to canary --percent N`` for a canary. A refused change (the gate does not pass) exits 1
naming every segment that blocks it; ``--force --reason "..."`` overrides the gate.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from proxy.config.schema import Config, parse_listen
from proxy.errors import EmbedshiftError

TARGETS = {"new": "flipped", "old": "shadow", "canary": "canary"}


class AdminCallError(EmbedshiftError):
    """The admin API could not be reached, or refused the call."""


@dataclass(frozen=True, slots=True)
class AdminClient:
    """Calls to one sidecar's admin API."""

    base_url: str
    token: str
    timeout_s: float = 30.0

    @classmethod
    def from_config(
        cls, config: Config, admin_url: str | None = None, token_env: str | None = None
    ) -> AdminClient:
        """The admin address and token the config names (either may be overridden)."""
        if admin_url is None:
            host, port = parse_listen(config.admin.listen)
            host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - a bind-all address is reached on loopback
            admin_url = f"http://{f'[{host}]' if ':' in host else host}:{port}"
        env = token_env or config.admin.token_env
        token = os.environ.get(env, "")
        if not token:
            raise AdminCallError(f"set the environment variable {env} to the admin token")
        return cls(admin_url.rstrip("/"), token)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One call; the decoded JSON answer, or AdminCallError with the API's message."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is the admin API's, http(s) only
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as answer:  # noqa: S310
                return json.load(answer)
        except urllib.error.HTTPError as e:
            try:
                detail = json.load(e).get("error", "")
            except (ValueError, AttributeError):
                detail = ""
            if e.code == 409:
                detail = for_the_cli(detail)
            raise AdminCallError(f"the admin API answered {e.code}: {detail or e.reason}") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise AdminCallError(
                f"cannot reach the admin API at {self.base_url} ({reason}): is embedshift serve "
                "running, and is [admin].listen (or --admin) right?"
            ) from e


def format_status(status: dict[str, Any], *, criteria: bool = False) -> str:
    """``GET /admin/status`` as lines a person reads.

    ``criteria``: every criterion of every segment too (status, name, what it measured), not
    only the reasons of a verdict that does not pass.
    """
    mode = status["mode"]
    shown = f"canary {mode['percent']:g}%" if mode["mode"] == "canary" else mode["mode"]
    gate = status["gate"]
    lines = [f"mode: {shown} (generation {mode['generation']})"]
    lines.append(f"gate ({gate['source']}): {'passes' if gate['passes'] else 'does not pass'}")
    for segment, verdict in gate["segments"].items():
        lines.append(f"  {segment}: {verdict['verdict']}")
        lines.extend(f"    - {reason}" for reason in verdict["reasons"])
        if criteria:
            for name, criterion in (verdict.get("criteria") or {}).items():
                lines.append(f"    [{criterion['status']}] {name}: {criterion['reason']}")
    limits = gate["limits"]
    lines.append(
        "limits: window {window_s:g} s, min_compared {min_compared}, max_quality_loss "
        "{max_quality_loss} ({quality_metric}), min_coverage {min_coverage}, divergence_margin "
        "{divergence_margin}, max_score_outside_band {max_score_outside_band}, "
        "max_new_empty_rate {max_new_empty_rate}, max_shadow_error_rate {max_shadow_error_rate}, "
        "max_shadow_timeout_rate {max_shadow_timeout_rate}, max_latency_ratio "
        "{max_latency_ratio} (at least +{latency_slack_s:g} s), min_reviews {min_reviews}".format(
            **limits
        )
    )
    floors = [f"{k} {limits[k]}" for k in ("min_rbo", "min_overlap") if limits.get(k) is not None]
    if floors:
        lines.append("divergence floors: " + ", ".join(floors))
    thresholds = status["thresholds"]
    lines.append(f"thresholds in force (document version {thresholds['document_version']}):")
    for segment in thresholds["old"]:
        old, new = thresholds["old"][segment], thresholds["new"][segment]
        lines.append(f"  {segment}: old {_num(old)}, new {_num(new)}")
    promotion = status["promotion"]
    state = "on" if promotion["enabled"] else "off"
    if promotion["halted"]:
        state += " (halted after an automatic rollback)"
    lines.append(f"automatic promotion: {state}")
    limit, interval = promotion.get("failure_limit"), promotion.get("failure_interval_s") or 0
    # tracked whatever the setting, but only promotion rolls back: off, "rollback at" misleads
    outcome = (
        f"rollback at {limit}"
        if promotion["enabled"]
        else "tracked only: no automatic rollback while promotion is off"
    )
    for segment, streak in sorted((promotion.get("failing") or {}).items()):
        since = datetime.fromtimestamp(streak["since"], UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines.append(
            f"  {segment} failing since {since}: {streak['evaluations']} evaluations in a row, "
            f"{streak['readings']} of them at least {interval:g} s apart ({outcome})"
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def for_the_cli(message: str) -> str:
    """The API's advice in a CLI user's words: ``--force --reason``, not a JSON ``"force"`` key."""
    cli = message.replace('send "force": true with a reason', 'rerun with --force --reason "why"')
    if '"force"' in cli:
        cli += ' (embedshift flip: --force --reason "why")'
    return cli


def flip_body(to: str, percent: float | None, reason: str | None, force: bool) -> dict[str, Any]:
    """The ``POST /admin/mode`` body for ``flip`` (argument mistakes raise AdminCallError)."""
    mode = TARGETS[to]
    if mode == "canary" and percent is None:
        raise AdminCallError("--to canary needs --percent N")
    if mode != "canary" and percent is not None:
        raise AdminCallError(f"--percent applies to --to canary only, not --to {to}")
    if force and not reason:
        raise AdminCallError('--force needs --reason "why the gate is overridden"')
    body: dict[str, Any] = {"mode": mode, "reason": reason or ""}
    if percent is not None:
        body["percent"] = percent
    if force:
        body["force"] = True
    return body
