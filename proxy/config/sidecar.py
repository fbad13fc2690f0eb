"""The sidecar's own sections: listeners, upstreams and logging.

``[proxy]``, ``[metrics]``, ``[admin]``, ``[upstreams.NAME]`` and ``[logging]``: what
:mod:`proxy.server` starts and :mod:`proxy.upstream` connects to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from proxy.config.loader import LABEL_NAME, env_check, listen_check, setting, url_check
from proxy.config.where import Where


@dataclass(frozen=True)
class ProxySection:
    """``[proxy]``: the client-facing listener and the primary path."""

    listen: str = setting(
        "Address the proxy listens on for clients (host:port). Loopback unless you change it.",
        default="127.0.0.1:8080",
        check=listen_check,
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
    client_header_timeout_s: float = setting(
        "A request's whole header must arrive within this time, else 408 and the connection "
        "closes (nginx's client_header_timeout, HAProxy's timeout http-request).",
        default=10.0,
        gt=0,
    )
    client_body_timeout_s: float = setting(
        "While a request body is read, most time between two reads, else 408 and the "
        "connection closes (nginx's client_body_timeout).",
        default=10.0,
        gt=0,
    )
    max_client_connections: int = setting(
        "Most client connections open at once; past it new ones are closed at once (Envoy's "
        "global_downstream_max_connections). Keep it under half the process's file limit.",
        default=4096,
        ge=1,
    )


@dataclass(frozen=True)
class MetricsSection:
    """``[metrics]``: the Prometheus endpoint."""

    listen: str = setting(
        "Address of the Prometheus /metrics endpoint (host:port).",
        default="127.0.0.1:9464",
        check=listen_check,
    )


@dataclass(frozen=True)
class AdminSection:
    """``[admin]``: the protected admin API (examples, mode, gate, audit)."""

    listen: str = setting(
        "Address of the admin API (host:port); keep it on loopback or inside the pod.",
        default="127.0.0.1:9465",
        check=listen_check,
    )
    token_env: str = setting(
        "Environment variable holding the admin bearer token. Unset: admin calls get 503.",
        default="EMBEDSHIFT_ADMIN_TOKEN",
        check=env_check,
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
            if not LABEL_NAME.match(name):
                raise where.error(f"tokens_env.{name}", "must be named with letters, digits, _.:-")
            problem = env_check(env)
            if problem:
                raise where.error(f"tokens_env.{name}", problem)


@dataclass(frozen=True)
class Upstream:
    """``[upstreams.NAME]``: a search service; ``old`` answers clients, ``new`` is the shadow."""

    url: str = setting(
        "Base URL of the search service, such as http://127.0.0.1:6333.", check=url_check
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
            problem = env_check(env)
            if problem:
                raise where.error(f"headers_env.{header}", problem)


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
