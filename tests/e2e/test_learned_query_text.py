"""No client change: the sidecar learns each query's text from the application's embeddings call.

An application embeds its query with the official ``openai`` client (base URL: the sidecar's
``[embeddings_api]`` prefix, real infinity-emb behind it serving all-MiniLM-L6-v2) and searches
with the vector it got, through the sidecar, with the engine's official client and no text at
all. The routes say ``query_text = { learned = true }``. Each engine is run twice with the same
application and 100 SciFact test queries: once as is (learned text), once with the text sent by
the means that needed a client change (Chroma: the ``X-Query-Text`` header set on the client's
private session; Typesense: a ``query_text`` field read by a JSON pointer); Chroma once more
with its own ``OpenAIEmbeddingFunction`` embedding the texts. Every search of the
learned run must be compared (at least 99 %), its answers must equal the other run's, and the
divergence figures the sidecar exports must be equal.

The vectors travel as real clients make them travel: base64 float32 decoded by ``openai`` (the
default), then Chroma's client's own serialisation of ``query_embeddings``, or, for Typesense,
the application's own ``vector_query`` string printed from numpy float32 values.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
import typesense as typesense_client

from tests.support.config import SHARED_DATA
from tests.support.corpora import NEW_MODEL, NEW_NAME, OLD_MODEL, OLD_NAME, K
from tests.support.sidecar import Sidecar

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(600)]

N = 100
PREFIX = "/embeddings-api"
CHROMA_ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection}/query"

CHROMA_APP = r"""
import json, os, urllib.parse
import chromadb, openai
from chromadb.utils.embedding_functions import OpenAIEmbeddingFunction

base, model = os.environ["EMBEDDINGS_BASE"], os.environ["MODEL"]
client = chromadb.HttpClient(host=os.environ["HOST"], port=int(os.environ["PORT"]))
if os.environ["EMBED_WITH"] == "function":  # Chroma's own OpenAI embedding function
    function = OpenAIEmbeddingFunction(api_key="no-key-needed", model_name=model, api_base=base)
    collection = client.get_collection(os.environ["COLLECTION"], embedding_function=function)
else:  # the openai client, vectors handed to Chroma
    embedder = openai.OpenAI(base_url=base, api_key="no-key-needed")
    collection = client.get_collection(os.environ["COLLECTION"])
out = []
for text in json.load(open(os.environ["QUERIES"])):
    if os.environ.get("SEND_TEXT"):  # the client change learned text makes unnecessary
        client._server._session.headers["X-Query-Text"] = urllib.parse.quote(text)
    if os.environ["EMBED_WITH"] == "function":
        found = collection.query(query_texts=[text], n_results=10, include=["distances"])
    else:
        vector = embedder.embeddings.create(model=model, input=text).data[0].embedding
        found = collection.query(query_embeddings=[vector], n_results=10, include=["distances"])
    out.append({"ids": found["ids"][0], "distances": found["distances"][0]})
print(json.dumps(out))
"""


def texts(n: int = N) -> list[str]:
    """The first ``n`` SciFact test queries' texts."""
    lines = (SHARED_DATA / "scifact" / "queries.jsonl").read_text().splitlines()[:n]
    return [json.loads(line)["text"] for line in lines]


def sidecar_config(engine_url: str, infinity_url: str, route: str, new_headers: str = "") -> str:
    """Old and new: the engine; the application's embeddings provider: infinity."""
    return f"""
    [upstreams.old]
    url = "{engine_url}"
    [upstreams.new]
    url = "{engine_url}"
    {new_headers}
    [upstreams.embeddings]
    url = "{infinity_url}"
    timeout_s = 30.0
    [embeddings_api]
    path_prefix = "{PREFIX}"
    [shadow]
    timeout_s = 60.0  # infinity on two busy cores can be slow: time out only on a failure
    max_rps = 1000
    max_in_flight = 1000  # the application runs ahead of a slow new model: keep every mirror
    [embedding]
    base_url = "{infinity_url}"
    model = "{NEW_MODEL}"
    dimension = 768
    timeout_s = 60.0
    {route}
    """


def chroma_route(source: str) -> str:
    """The Chroma query route with the given query_text source."""
    return f"""
    [[routes]]
    name = "chroma"
    path = "{CHROMA_ROUTE}"
    adapter = "chroma"
    k = {K}
    collection_map = {{ {OLD_NAME} = "{NEW_NAME}" }}
    query_text = {source}
    """


def chroma_app(
    python: str,
    proxy: Sidecar,
    queries: Path,
    *,
    send_text: bool,
    embed_with: str = "openai",
    embeddings_base: str | None = None,
) -> list[Any]:
    """The Chroma application (Chroma's own venv) against the sidecar: embed, then search.

    ``embed_with``: ``openai`` (the client; vectors passed to ``query``) or ``function``
    (Chroma's OpenAIEmbeddingFunction; texts passed to ``query``). ``embeddings_base``: where
    it embeds (default: through the sidecar).
    """
    env = {
        **os.environ,
        "ANONYMIZED_TELEMETRY": "False",
        "EMBEDDINGS_BASE": embeddings_base or proxy.url + PREFIX,
        "MODEL": OLD_MODEL,
        "HOST": proxy.host,
        "PORT": str(proxy.port),
        "COLLECTION": OLD_NAME,
        "QUERIES": str(queries),
        "EMBED_WITH": embed_with,
        **({"SEND_TEXT": "1"} if send_text else {}),
    }
    done = subprocess.run(
        [python, "-c", CHROMA_APP],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answers: list[Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answers


def assert_same_hits(
    ids: list[list[str]],
    distances: list[list[float]],
    other_ids: list[list[str]],
    other_distances: list[list[float]],
) -> None:
    """The same hits in the same order, their distances equal to 1e-5.

    An engine's distance for one vector may differ in the last float bits from one search to
    the next (Typesense under load: 0.39107323 against 0.39107317), and the application's own
    query embedding may too when the embedding server batches differently.
    """
    assert ids == other_ids
    flat = [d for row in distances for d in row]
    assert flat == pytest.approx([d for row in other_distances for d in row], abs=1e-5)


def figures(proxy: Sidecar, route: str) -> dict[str, float]:
    """What the sidecar exports for a route: outcomes, coverage and divergence sums."""
    labels = {"route": route, "segment": "other"}
    learned = "embedshift_learned_query_text_total"
    return {
        **{f"outcome {k}": v for k, v in proxy.outcomes(route).items()},
        "recalled": proxy.metric(learned, result="recalled", **labels) or 0.0,
        "text_unknown": proxy.metric(learned, result="text_unknown", **labels) or 0.0,
        "overlap sum": proxy.value("embedshift_overlap_at_k_sum", **labels),
        "rbo sum": proxy.value("embedshift_rbo_sum", **labels),
        "compared": proxy.value("embedshift_rbo_count", **labels),
    }


def test_chroma_learns_every_query_text(
    chroma_url, chroma_python, chroma_corpora, infinity_url, tmp_path
):
    """Chroma's client with no text: at least 99 % compared, figures equal to the header's run.

    The application embeds with the openai client, or lets Chroma's own OpenAI embedding
    function do it (``query_texts``); either way through the sidecar.
    """
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(texts()))
    runs = {}
    for name, source, send_text, embed_with in (
        ("learned", "{ learned = true }", False, "openai"),
        ("learned, Chroma's embedding function", "{ learned = true }", False, "function"),
        ("header", '{ header = "X-Query-Text" }', True, "openai"),
    ):
        config = sidecar_config(chroma_url, infinity_url, chroma_route(source))
        with Sidecar(tmp_path / name.replace(" ", "_"), config) as proxy:
            answers = chroma_app(
                chroma_python, proxy, queries, send_text=send_text, embed_with=embed_with
            )
            proxy.wait_outcomes("chroma", N)
            runs[name] = (answers, figures(proxy, "chroma"))
            failures = proxy.log_events("query_embed_failed")
        assert failures == [], f"the new model's server failed ({name} run): {failures}"
    header_answers, header = runs.pop("header")
    for name, (answers, learned) in runs.items():
        print(f"chroma, {name}: {learned}; header: {header}")
        assert learned["outcome compared"] >= 0.99 * N
        assert learned["recalled"] == learned["outcome compared"]
        assert_same_hits(
            [a["ids"] for a in answers],
            [a["distances"] for a in answers],
            [a["ids"] for a in header_answers],
            [a["distances"] for a in header_answers],
        )
        for key in ("overlap sum", "rbo sum", "compared"):
            assert learned[key] == pytest.approx(header[key], abs=1e-9)


def typesense_app(
    proxy: Sidecar, key: str, queries: list[str], *, send_text: bool, per_request: int = 4
) -> list[Any]:
    """The Typesense application: embed each query, search four at a time, through the sidecar."""
    embedder = openai.OpenAI(base_url=proxy.url + PREFIX, api_key="no-key-needed")
    client = typesense_client.Client(
        {
            "nodes": [{"host": proxy.host, "port": str(proxy.port), "protocol": "http"}],
            "api_key": key,
            "connection_timeout_seconds": 30,
        }
    )
    out: list[Any] = []
    try:
        for start in range(0, len(queries), per_request):
            batch = queries[start : start + per_request]
            searches = []
            for text in batch:
                vector = embedder.embeddings.create(model=OLD_MODEL, input=text).data[0].embedding
                numbers = ", ".join(str(x) for x in np.asarray(vector, dtype=np.float32))
                search = {
                    "collection": OLD_NAME,
                    "q": "*",
                    "vector_query": f"vec:([{numbers}], k:{K})",
                    "per_page": K,
                    "exclude_fields": "vec",
                }
                if send_text:
                    search["query_text"] = text
                searches.append(search)
            answer = client.multi_search.perform({"searches": searches}, {})
            out.extend(
                [(h["document"]["id"], h["vector_distance"]) for h in r["hits"]]
                for r in answer["results"]
            )
    finally:
        embedder.close()
    return out


def typesense_route(source: str) -> str:
    """The Typesense multi_search route with the given query_text source."""
    return f"""
    [[routes]]
    name = "typesense"
    path = "/multi_search"
    adapter = "typesense"
    k = {K}
    collection_map = {{ {OLD_NAME} = "{NEW_NAME}" }}
    query_text = {source}
    """


def test_typesense_learns_every_query_text(typesense, typesense_corpora, infinity_url, tmp_path):
    """Typesense's client, four vector searches per multi_search, no text: as the text's run."""
    queries = texts()
    runs = {}
    for name, source, send_text in (
        ("learned", "{ learned = true }", False),
        ("json", '{ json = "/searches/*/query_text" }', True),
    ):
        config = sidecar_config(
            typesense.url,
            infinity_url,
            typesense_route(source),
            # the client's key never goes to the new index: the sidecar sends its own
            'headers_env = { "X-TYPESENSE-API-KEY" = "EMBEDSHIFT_TEST_TYPESENSE_KEY" }',
        )
        with Sidecar(tmp_path / name, config) as proxy:
            answers = typesense_app(proxy, typesense.key, queries, send_text=send_text)
            proxy.wait_outcomes("typesense", N // 4)
            runs[name] = (answers, figures(proxy, "typesense"))
    (learned_answers, learned), (json_answers, with_text) = runs["learned"], runs["json"]
    print(f"typesense: learned {learned}; json {with_text}")
    assert learned["outcome compared"] >= 0.99 * (N // 4)
    assert learned["compared"] >= 0.99 * N
    assert_same_hits(
        [[i for i, _ in hits] for hits in learned_answers],
        [[d for _, d in hits] for hits in learned_answers],
        [[i for i, _ in hits] for hits in json_answers],
        [[d for _, d in hits] for hits in json_answers],
    )
    for key in ("overlap sum", "rbo sum", "compared"):
        assert learned[key] == pytest.approx(with_text[key], abs=1e-9)


def test_a_search_whose_text_went_elsewhere_is_counted_unknown(
    chroma_url, chroma_python, chroma_corpora, infinity_url, tmp_path
):
    """Embedded straight at the provider (not through this sidecar): no_query_text, text_unknown.

    This is what a search landing on another replica than its embeddings call looks like.
    """
    queries = tmp_path / "queries.json"
    queries.write_text(json.dumps(texts(10)))
    config = sidecar_config(chroma_url, infinity_url, chroma_route("{ learned = true }"))
    with Sidecar(tmp_path / "elsewhere", config) as proxy:
        chroma_app(chroma_python, proxy, queries, send_text=False, embeddings_base=infinity_url)
        outcomes = proxy.wait_outcomes("chroma", 10)
        unknown = figures(proxy, "chroma")["text_unknown"]
    assert outcomes == {"no_query_text": 10}
    assert unknown == 10


def test_the_openai_client_sees_infinity_unchanged(infinity_url, tmp_path):
    """The official client against real infinity-emb, direct and through the sidecar.

    One text, a batch of five, floats and base64 (the client's default): the same vectors
    (infinity may batch differently from one call to the next: equal to 1e-6), the same usage;
    an unknown model: the same error, status and body. Every text of the calls through the
    sidecar is remembered.
    """
    route = chroma_route("{ learned = true }")
    with Sidecar(
        tmp_path / "openai", sidecar_config("http://127.0.0.1:9", infinity_url, route)
    ) as proxy:
        direct = openai.OpenAI(base_url=infinity_url, api_key="no-key-needed")
        through = openai.OpenAI(base_url=proxy.url + PREFIX, api_key="no-key-needed")
        batch = texts(5)
        try:
            for kwargs in (
                {"input": batch[0]},
                {"input": batch},
                {"input": batch, "encoding_format": "float"},
            ):
                a = direct.embeddings.create(model=OLD_MODEL, **kwargs)
                b = through.embeddings.create(model=OLD_MODEL, **kwargs)
                assert b.model == a.model
                assert b.usage == a.usage
                assert [d.index for d in b.data] == [d.index for d in a.data]
                for x, y in zip(a.data, b.data, strict=True):
                    assert y.embedding == pytest.approx(x.embedding, abs=1e-6)
            errors = []
            for client in (direct, through):
                with pytest.raises(openai.BadRequestError) as caught:
                    client.embeddings.create(model="no-such-model", input="x")
                errors.append((caught.value.status_code, caught.value.body))
            assert errors[0] == errors[1]
        finally:
            direct.close()
            through.close()
        remembered = proxy.value("embedshift_query_memory_remembered_total")
        skipped = proxy.value("embedshift_query_memory_skipped_total", reason="error_status")
    assert remembered == 1 + 5 + 5
    assert skipped == 1
