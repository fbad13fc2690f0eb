"""docs/walkthrough.md runs as written against a real Chroma, and quotes only its own figures.

The page is a whole migration on ../shared/data (SciFact and Cranfield, all-MiniLM-L6-v2 to
all-mpnet-base-v2): inventory, sample and label, calibrate, a real ``embedshift serve`` in
front of Chroma with learned query text, the gate, canary, flip and back. Its blocks carry
``run-by: tests/docs/test_walkthrough.py``; this test runs them in order in one bash, in a
folder that looks like a checkout (``tests/docs/runner.py``), and every output line a block
quotes must be printed (numbers as wildcards in ``output: varies`` blocks, whose figures depend
on timing: the gate's, a canary's random draw). The prose may quote only figures that the
page's outputs show. The page's figures are exact searches: ``load-chroma`` creates its
collections with ``ef_search`` as large as the collection and one insertion thread, and rebuilds
one created otherwise, so a fresh Chroma gives the same answers as one loaded long ago.

It needs Chroma at 127.0.0.1:8001, as the page says (``.ci/components.sh start chroma``), and
the page's ports free: skipped otherwise, failed under ``EMBEDSHIFT_REQUIRE_COMPONENTS=1``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import uuid
from types import ModuleType

import pytest

from tests.docs.blocks import ROOT, collect, console_steps
from tests.docs.runner import run_blocks
from tests.support.components import REQUIRE_VAR

PAGE = ROOT / "docs" / "walkthrough.md"
MIGRATION = ROOT / "docs" / "examples" / "walkthrough" / "migration.py"
RUNNER = "tests/docs/test_walkthrough.py"
CHROMA = "http://127.0.0.1:8001"
PORTS = (7998, 8080, 9464, 9465)  # the embeddings stand-in, the sidecar's three listeners
FIGURE = re.compile(r"(?<![\w.])\d+\.\d{3,}(?!\d)")  # figures quoted with three decimals or more


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_VAR) == "1":
        pytest.fail(f"{reason}; {REQUIRE_VAR}=1 forbids skipping", pytrace=False)
    pytest.skip(reason)


def _busy(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _migration() -> ModuleType:
    """docs/examples/walkthrough/migration.py, imported from its path (it is no package)."""
    spec = importlib.util.spec_from_file_location("walkthrough_migration", MIGRATION)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _prose() -> str:
    """The page without its fenced blocks and HTML comments."""
    out, inside = [], False
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif not inside and not line.lstrip().startswith("<!--"):
            out.append(line)
    return "\n".join(out)


def test_every_block_is_run_here_but_starting_chroma():
    """Each shell block is run by this test, except the one that starts Chroma (external)."""
    blocks = collect(PAGE)
    external = [b for b in blocks if b.kind == "external"]
    assert [b.text.split()[0] for b in external] == [".ci/components.sh"]
    others = [b for b in blocks if b not in external]
    assert len(others) >= 10
    for block in others:
        assert block.marker("run-by") == RUNNER, f"{block.where}: not run by {RUNNER}"


def test_the_prose_quotes_only_figures_the_outputs_show():
    """A figure in the text (three decimals or more) is one the page's quoted outputs hold."""
    quoted = "\n".join(
        line
        for block in collect(PAGE)
        if block.console
        for _, output in console_steps(block)
        for line in output
    )
    shown = set(FIGURE.findall(quoted))
    strays = sorted(set(FIGURE.findall(_prose())) - shown)
    assert not strays, f"figures in docs/walkthrough.md's text that no output shows: {strays}"


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_walkthrough_runs_as_written(chroma_url, tmp_path):
    """Every block succeeds in order, and every quoted output line was printed."""
    if chroma_url.rstrip("/") != CHROMA:
        _unavailable(f"the page uses Chroma at {CHROMA}; the tests' Chroma is at {chroma_url}")
    busy = [port for port in PORTS if _busy(port)]
    if busy:
        _unavailable(f"the page's ports are in use: {busy}")
    blocks = [b for b in collect(PAGE) if b.marker("run-by") == RUNNER]
    run = run_blocks(PAGE, blocks, tmp_path, timeout_s=480)
    commands = sum(len(console_steps(b)) if b.console else 1 for b in blocks)
    print(f"docs/walkthrough.md: {len(blocks)} blocks, {commands} commands in {run.seconds:.0f} s")


@pytest.mark.integration
def test_the_loader_keeps_only_collections_created_for_exact_search(chroma_url):
    """Chroma reports every setting load-chroma asks for, so only such a collection is kept.

    A collection created with ``index_settings`` differs in nothing (``num_threads`` included,
    which only the collection's schema reports); one created with Chroma's defaults differs in
    ``ef_search`` (100: an approximate search), and in ``num_threads`` on a server with more
    than one core, and load-chroma rebuilds it.
    """
    migration = _migration()
    settings = migration.index_settings(50)
    collections = f"{chroma_url.rstrip('/')}{migration.COLLECTIONS}"
    name = f"walkthrough_probe_{uuid.uuid4().hex[:8]}"
    differing = []
    for hnsw in (settings, {"space": "cosine"}):
        migration._http("POST", collections, {"name": name, "configuration": {"hnsw": hnsw}})
        try:
            described = migration._http("GET", f"{collections}/{name}")
            differing.append(migration.differing_settings(described, settings))
        finally:
            migration._http("DELETE", f"{collections}/{name}")
    assert differing[0] == {}
    assert differing[1]["ef_search"] == 100
    assert set(differing[1]) <= {"ef_search", "num_threads"}
