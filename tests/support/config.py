"""Config for in-process sidecars, and where the project and its shared data are.

:func:`make_config` builds a valid :class:`~proxy.config.Config` in front of two upstreams
(each config with its own examples and mode databases, never the project's ``var/``); configs
that tests build never shed load (:func:`never_shed`): a busy machine lags the event loop, and a
test that counts mirrors must not depend on how busy.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

from proxy.config import Config, parse_config

ROOT = Path(__file__).resolve().parent.parent.parent
SHARED_DATA = Path(os.environ.get("EMBEDSHIFT_SHARED_DATA", ROOT.parent / "shared" / "data"))
QDRANT_ROUTE = """
[[routes]]
name = "search"
path = "/collections/{collection}/points/search"
adapter = "qdrant"
k = 10
segment = { header = "X-Segment" }
"""
"""The test suite's usual search route: Qdrant, segment in ``X-Segment``."""
_SCRATCH = tempfile.TemporaryDirectory(prefix="embedshift-test-")
"""Where configs' databases go: one folder per test process, removed when the process exits
(a folder per config left in the system's temp folder added about 1,200 to it per run)."""


def make_config(old_url: str, new_url: str, extra: str = "", routes: str | None = None) -> Config:
    """A valid config pointing at two upstreams, with one Qdrant search route by default."""
    if routes is None:
        routes = QDRANT_ROUTE
    text = textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{old_url}"
        timeout_s = 5.0
        [upstreams.new]
        url = "{new_url}"
        [segments]
        names = ["docs", "code"]
        """
    )
    if "[examples]" not in extra:  # never the project's var/: each config its own database
        examples = Path(tempfile.mkdtemp(dir=_SCRATCH.name)) / "examples.sqlite"
        text += f'[examples]\npath = "{examples}"\n'
    if "[modes]" not in extra:  # never the project's var/: each config its own mode and audit
        modes = Path(tempfile.mkdtemp(dir=_SCRATCH.name)) / "modes.sqlite"
        text += f'[modes]\nstate_path = "{modes}"\n'
    return parse_config(text + never_shed(textwrap.dedent(extra)) + routes, "test.toml")


def never_shed(extra: str) -> str:
    """``extra`` with load shedding off, unless it sets ``[shadow].max_loop_lag_s`` itself.

    Tests of shedding set the lag themselves; every other test must count each mirror.
    """
    line = "max_loop_lag_s = 3600.0\n"
    if "max_loop_lag_s" in extra:
        return extra
    if "[shadow]\n" in extra:
        return extra.replace("[shadow]\n", "[shadow]\n" + line, 1)
    return extra + "[shadow]\n" + line
