"""Config loading: one ``config.toml``, validated completely into frozen dataclasses.

``load_config(path)`` either returns a :class:`Config` or raises a
:class:`~proxy.errors.ConfigError` whose message names the file, the key and what was
expected. Secrets are never in the file: fields ending in ``_env`` name environment variables.
Owns the schema (one module per part, :mod:`~proxy.config.schema` the root, the calibrator's
sections included: the sidecar validates the whole file and never imports :mod:`calibrator`),
the loader and the one validation helper (:mod:`~proxy.config.where`, also used by the
thresholds document). Routes are checked with their adapters while the file is validated.

May import: proxy.adapters, proxy.errors.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from proxy.config.checks import check_routes_overlap
from proxy.config.loader import build
from proxy.config.schema import Config
from proxy.config.where import Where
from proxy.errors import ConfigError

__all__ = ["Config", "load_config", "parse_config"]


def parse_config(text: str, source: str = "config.toml") -> Config:
    """Parse and validate config text; ``source`` names the file in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{source}: not valid TOML: {e}") from e
    where = Where(source, text)
    config = build(Config, data, where)
    check_routes_overlap(config.routes, where)
    return config


def load_config(path: str | Path) -> Config:
    """Read and validate the config file at ``path``."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise ConfigError(f"{p}: no such config file (pass --config PATH)") from e
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"{p}: cannot read the config file: {e}") from e
    return parse_config(text, str(path))
