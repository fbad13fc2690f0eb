"""The example configs of docs/examples/ are valid, as the pages that start from them promise.

README.md and docs/engines.md tell a reader to copy one and run ``embedshift check-config`` on
it; each must pass as shipped, and each engine's must use the query-text source its page
recommends (Chroma's Python client sends no per-request headers: learned).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.docs.blocks import ROOT

EXAMPLES = sorted((ROOT / "docs" / "examples").glob("*.toml"))


def test_there_is_an_example_per_engine_page():
    """Qdrant, Chroma, Typesense, Elasticsearch and the generic adapter each have one."""
    names = {path.stem for path in EXAMPLES}
    assert names == {"qdrant", "chroma", "typesense", "elasticsearch", "generic"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_example_passes_check_config(path):
    """``embedshift check-config`` accepts the file as shipped."""
    done = subprocess.run(
        [sys.executable, "-m", "proxy", "check-config", "--config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert ": ok (" in done.stdout


def test_the_chroma_example_learns_the_query_text():
    """Chroma's route learns the text from the application's embeddings calls."""
    config = tomllib.loads((ROOT / "docs" / "examples" / "chroma.toml").read_text("utf-8"))
    (route,) = config["routes"]
    assert route["query_text"] == {"learned": True}
    assert config["embeddings_api"]["path_prefix"] == "/embeddings-api"
    assert "embeddings" in config["upstreams"]
