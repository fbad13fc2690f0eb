"""A loopback OpenAI-style provider and an in-process sidecar fronting it under a path prefix."""

from __future__ import annotations

import textwrap

import pytest
from prometheus_client import CollectorRegistry

from proxy.server.app import SIDECAR, create_app
from tests.support.config import make_config
from tests.support.openai_provider import Provider

PREFIX = "/embeddings-api"


@pytest.fixture
async def provider(aiohttp_server):
    """(Provider, its server): the application's embeddings provider."""
    made = Provider()
    return made, await aiohttp_server(made.app())


@pytest.fixture
async def sidecar(aiohttp_server, provider):
    """Builds a sidecar (its test server) in front of ``provider`` with extra TOML.

    Old and new upstreams are closed ports (no search is sent); the embeddings upstream is the
    provider's ``/v1`` and the prefix :data:`PREFIX`.
    """

    async def make(extra: str = "", routes: str = "", section: str = ""):
        _, server = provider
        text = f"""
        [upstreams.embeddings]
        url = "{server.make_url("/v1")}"
        timeout_s = 5.0
        [embeddings_api]
        path_prefix = "{PREFIX}"
        {textwrap.dedent(section)}
        {textwrap.dedent(extra)}
        """
        config = make_config("http://127.0.0.1:1", "http://127.0.0.1:2", text, routes)
        registry = CollectorRegistry()
        app = create_app(config, registry, env={})
        proxy = await aiohttp_server(app)
        return proxy, app[SIDECAR], registry

    return make
