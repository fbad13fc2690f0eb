"""Attack 7: what real clients' own test suites found, replayed against real Chroma.

Before the fix (chromadb 1.5.9's API tests through the sidecar): a ``collection_map`` entry
that could not be resolved stopped mirroring for *every* collection of the route; searches
whose primary answered 4xx were counted ``unparseable``, not ``primary_error`` as documented;
a query whose ``include`` left distances out was ``unparseable`` though its ids could be
compared.

Choices: an unresolvable entry is that collection's failure alone (its mirrors reach the new
index under the old id and count ``shadow_error``; a resolution is tried again at most every
5 s); a primary 4xx or 5xx is ``primary_error`` whatever else went wrong; ids alone are
compared (overlap, Jaccard, RBO, Kendall's tau), score figures are skipped.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from tests.attacks.rig import post
from tests.support.sidecar import Sidecar, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.integration, pytest.mark.timeout(180)]
BASE = "/api/v2/tenants/default_tenant/databases/default_database/collections"
POINTS = 20


def call(url: str, method: str, path: str, body: Any = None) -> Any:
    """One Chroma API call: its JSON answer."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def collection(url: str, name: str, shift: float) -> str:
    """A collection of 20 points in 4 dimensions; its id."""
    found = call(url, "POST", BASE, {"name": name})
    vectors = [[float(i), float(i % 3), shift, 1.0] for i in range(POINTS)]
    call(url, "POST", f"{BASE}/{found['id']}/add", {
        "ids": [f"p{i}" for i in range(POINTS)],
        "embeddings": vectors,
        "documents": [f"point {i}" for i in range(POINTS)],
    })  # fmt: skip
    return str(found["id"])


def test_real_clients_findings(tmp_path, chroma_url):
    """An unresolvable map entry, a client error, a query without distances: each counted right.

    Figures asserted: 10 of 10 searches of the resolvable collection ``compared`` (0 before);
    10 of 10 of the unresolvable one ``shadow_error``; 5 of 5 without distances ``compared``;
    10 of 10 the primary refused (5 the adapter can read, 5 it cannot) ``primary_error``;
    every client answer Chroma's own.
    """
    run = uuid.uuid4().hex[:8]
    names = {k: f"h17_{k}_{run}" for k in ("a_old", "a_new", "b_old", "b_missing")}
    ids = {
        k: collection(chroma_url, names[k], 0.5 if "new" in k else 0.0)
        for k in ("a_old", "a_new", "b_old")
    }
    config = f"""
    [upstreams.old]
    url = "{chroma_url}"
    [upstreams.new]
    url = "{chroma_url}"
    [[routes]]
    name = "chroma"
    path = "{BASE}/{{collection}}/query"
    adapter = "chroma"
    k = 5
    [routes.collection_map]
    "{names["a_old"]}" = "{names["a_new"]}"
    "{names["b_old"]}" = "{names["b_missing"]}"
    """
    query = {"query_embeddings": [[3.0, 1.0, 0.0, 1.0]], "n_results": 5}
    try:
        with Sidecar(tmp_path, config) as sidecar:
            for name, body, times in (
                ("a_old", {**query, "include": ["distances"]}, 10),
                ("b_old", {**query, "include": ["distances"]}, 10),
                ("a_old", {**query, "include": ["documents"]}, 5),
                ("a_old", {**query, "query_embeddings": [[1.0, 2.0]]}, 5),  # wrong dimension
                ("a_old", {**query, "query_embeddings": "not vectors"}, 5),  # unreadable too
            ):
                path = f"{BASE}/{ids[name]}/query"
                direct = post(chroma_url + path, body)
                for _ in range(times):
                    status, answer, _ = post(sidecar.url + path, body)
                    assert status == direct[0]
                    if status == 200:
                        assert json.loads(answer)["ids"] == json.loads(direct[1])["ids"]
            outcomes = sidecar.wait_outcomes("chroma", 35)
            assert outcomes == {"compared": 15.0, "shadow_error": 10.0, "primary_error": 10.0}
            warned = sidecar.log_events("collection_warmup_failed")
            assert len(warned) == 1
            assert names["b_missing"] in warned[0]["error"]
            assert wait_until(
                lambda: sidecar.value("embedshift_rbo_count", route="chroma", segment="other") == 15
            )
    finally:
        for key in ("a_old", "a_new", "b_old"):
            call(chroma_url, "DELETE", f"{BASE}/{names[key]}")
