"""Attack 3: JSON nested 1,000 deep, where the sidecar reads JSON (segment, sample key, admin API).

Before the fix, a 2 KB body nested 1,000 deep on a route whose segment is a JSON pointer, or
with a JSON ``sample_key``, answered ``500 Server got itself in trouble`` (Python's decoder
raised RecursionError): the request was neither forwarded nor counted. The admin API did the
same for an authenticated nested body.

The choice: JSON is read with a depth bound of 128 (serde_json's default recursion limit;
:mod:`proxy.jsondoc` is the one place). Deeper is "not JSON" to the sidecar, as a body the
adapter cannot read: the search is forwarded untouched (the search service, not the proxy,
decides what it accepts, as Envoy and nginx forward bodies they do not inspect), its segment
is ``other`` and its mirror counted; the admin API answers 400.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.attacks.rig import ThreadServer, nested, post
from tests.support.backends import FakeQdrant
from tests.support.sidecar import Sidecar

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
TOKEN = "deep-json-token"  # noqa: S105 - a test token
SEARCH = "/collections/docs/points/search"
DEEP = b'{"vector": [0.1], "limit": 10, "filter": ' + b"[" * 1000 + b"]" * 1000 + b"}"


def config(old: str, new: str) -> str:
    """Segment and sample key both read from the JSON body."""
    return f"""
    [upstreams.old]
    url = "{old}"
    [upstreams.new]
    url = "{new}"
    [segments]
    names = ["docs"]
    [shadow]
    sample_key = {{ json = "/filter/user" }}
    [modes]
    canary_key = {{ json = "/filter/user" }}
    [[routes]]
    name = "search"
    path = "/collections/{{collection}}/points/search"
    adapter = "qdrant"
    segment = {{ json = "/filter/segment" }}
    """


def test_a_body_nested_1000_deep_is_forwarded_and_counted(tmp_path):
    """2 KB nested 1,000 deep: 200 with old's answer, counted once as segment ``other``.

    Figures asserted: 3 of 3 nested searches (1,000 deep, 129 deep, and 128 deep: the bound)
    answered 200 with the bytes old answers directly; 3 mirrors counted, segment ``other``, the
    one within the bound compared; no traceback logged.
    """
    assert len(DEEP) < 2100
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
        Sidecar(tmp_path, config(old.url, new.url)) as sidecar,
    ):
        direct = post(old.url + SEARCH, DEEP)
        assert direct[0] == 200
        bodies = [
            DEEP,
            b'{"vector": [0.1], "filter": ' + nested(128) + b"}",
            b'{"vector": [0.1], "filter": ' + nested(127) + b"}",
        ]
        for body in bodies:
            status, answer, _ = post(sidecar.url + SEARCH, body)
            assert (status, answer) == (200, direct[1])
        outcomes = sidecar.wait_outcomes("search", len(bodies))
        # the two too deep: compared when the mirror is sent as it came, unparseable when the
        # route must read the body to build it (threshold translation does); 128 deep: read
        assert sum(outcomes.values()) == 3.0
        assert set(outcomes) <= {"compared", "unparseable"}
        assert outcomes.get("compared", 0.0) >= 1.0
        other = sidecar.value(
            "embedshift_shadow_requests_total", route="search", segment="other", outcome="compared"
        )
        assert other == outcomes["compared"]
        assert sidecar.value("embedshift_client_requests_total", route="search", code="2xx") == 3
        assert not [line for line in sidecar.log_lines() if "Traceback" in line]


def test_the_admin_api_answers_400_to_a_nested_body(tmp_path):
    """An authenticated ``POST /admin/mode`` nested 1,000 deep: 400 naming the depth, not 500."""
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
        Sidecar(
            tmp_path, config(old.url, new.url), env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN}
        ) as sidecar,
    ):
        body = b'{"mode": ' + b"[" * 1000 + b"]" * 1000 + b"}"
        status, answer, _ = post(
            sidecar.admin_url + "/admin/mode", body, {"Authorization": f"Bearer {TOKEN}"}
        )
        assert status == 400
        assert "deeper than 128" in json.loads(answer)["error"]
        request = urllib.request.Request(
            sidecar.admin_url + "/admin/audit", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with urllib.request.urlopen(request, timeout=10) as audit:
            assert json.load(audit)["entries"] == []
        assert not [line for line in sidecar.log_lines() if "Traceback" in line]
