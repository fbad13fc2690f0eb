"""Attack 2: the new index answers mirrored searches with 50 MB.

Before the fix, a 50 MB answer from the mirrored index was read whole and parsed on the event
loop: client p99 rose to 230 ms at 30 rps, RSS reached 1.1 GB and grew to 2.2 GB over two more
rounds with nothing in flight (a pooled connection kept its last answer until its next
request; closed connections sat in a reference cycle with their parser).

The choice: a bound on what a mirror reads, ``[shadow].max_answer_bytes`` (8 MiB by default),
as Envoy bounds what it buffers per connection (``per_connection_buffer_limit_bytes``) and
nginx what it keeps of an upstream's answer (``proxy_max_temp_file_size``): past it the
mirrored connection is closed (at once when Content-Length announces it, else as soon as the
bytes read pass it) and the mirror ends as ``answer_too_large``, its own outcome. Answers under
the bound but above 256 KiB are parsed in a worker thread. The client's own answer is never
bounded: the proxy's job there is to pass it on.

What this test asserts is memory and outcomes, not time: RSS after 40 rounds of 50 MB is
within 48 MiB of RSS before them (before the fix: +1,050 MB). The margin is generous because
the allocator keeps some freed memory; the bound stops growth with each round, which is what
is measured. Client latency under the same attack is a timing claim: ``bench/soak_bench.py``
measures it.
"""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from tests.attacks.rig import ThreadServer, post
from tests.support.backends import FakeQdrant
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
SEARCH = "/collections/docs/points/search"
HUGE = 50 * 1024 * 1024
MIB = 1024 * 1024


def huge_answer(size: int) -> bytes:
    """A valid Qdrant answer of about ``size`` bytes (ids 0..9 first, then padding results)."""
    head = b'{"status":"ok","time":0.1,"result":['
    item = b'{"id":%d,"score":0.5,"payload":{"t":"' + b"x" * 1000 + b'"}},'
    parts = [head]
    n, total = 0, len(head)
    while total < size:
        part = item % n
        parts.append(part)
        total += len(part)
        n += 1
    parts.append(b'{"id":-1,"score":0.1}]}')
    return b"".join(parts)


def new_index(chunked: bool, body: bytes) -> web.Application:
    """A new index whose searches answer ``body``, chunked or with a Content-Length.

    Either way the body is written 256 KiB at a time, so that the backend stops writing soon
    after the proxy hangs up (the backend shares this process with the test).
    """

    async def search(request: web.Request) -> web.StreamResponse:
        await request.read()
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if chunked:
            response.enable_chunked_encoding()
        else:
            response.content_length = len(body)
        await response.prepare(request)
        view = memoryview(body)
        try:
            for start in range(0, len(body), 256 * 1024):
                await response.write(view[start : start + 256 * 1024])
            await response.write_eof()
        except (ConnectionResetError, OSError):
            pass  # the proxy hung up past its bound: that is the point
        return response

    app = web.Application(client_max_size=MIB)
    app.router.add_post("/collections/{name}/points/search", search)
    return app


def searches(sidecar: Sidecar, count: int, expected: bytes) -> None:
    """``count`` searches, each answered by old exactly as old answers."""
    for _ in range(count):
        status, answer, _ = post(
            sidecar.url + SEARCH, {"vector": [0.1], "limit": 10}, {"X-Segment": "docs"}
        )
        assert (status, answer) == (200, expected)


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_50_mb_mirrored_answer_is_bounded_and_counted(tmp_path, chunked):
    """40 mirrored answers of 50 MB: all ``answer_too_large``, clients unchanged, RSS back.

    Figures asserted: 40 of 40 client answers byte for byte old's; 40 outcomes
    ``answer_too_large`` (none lost); RSS after them within 48 MiB of RSS before.
    """
    old_backend = FakeQdrant(marker="old")
    body = huge_answer(HUGE)
    with (
        ThreadServer(old_backend.app()) as old,
        ThreadServer(new_index(chunked, body)) as new,
        Sidecar(tmp_path, qdrant_config(old.url, new.url)) as sidecar,
    ):
        expected = json.dumps(old_backend.answer()).encode()
        searches(sidecar, 40, expected)  # warm-up (every mirror too large already)
        assert sidecar.wait_outcomes("search", 40) == {"answer_too_large": 40.0}
        baseline = sidecar.rss_bytes()
        searches(sidecar, 40, expected)
        assert sidecar.wait_outcomes("search", 80) == {"answer_too_large": 80.0}
        assert wait_until(lambda: sidecar.value("embedshift_shadow_in_flight") == 0)
        grown = sidecar.rss_bytes() - baseline
        assert grown < 48 * MIB, f"RSS grew by {grown / MIB:.0f} MiB"
        assert not [line for line in sidecar.log_lines() if "Traceback" in line]


def test_an_answer_under_the_bound_is_compared(tmp_path):
    """A 3 MB mirrored answer (under 8 MiB, above the 256 KiB inline bound): compared, not lost.

    Figures asserted: 5 of 5 compared; overlap@10 of 1 (the same ten ids lead both answers).
    """
    old_backend = FakeQdrant(marker="old")
    with (
        ThreadServer(old_backend.app()) as old,
        ThreadServer(new_index(chunked=True, body=huge_answer(3 * MIB))) as new,
        Sidecar(tmp_path, qdrant_config(old.url, new.url)) as sidecar,
    ):
        searches(sidecar, 5, json.dumps(old_backend.answer()).encode())
        assert sidecar.wait_outcomes("search", 5) == {"compared": 5.0}
        assert sidecar.value("embedshift_overlap_at_k_sum", route="search", segment="docs") == 5.0


def test_the_bound_is_a_setting(tmp_path):
    """``max_answer_bytes = 1024``: a 3 MB answer is then too large, and counted so."""
    old_backend = FakeQdrant(marker="old")
    extra = "[shadow]\nmax_answer_bytes = 1024\n"
    with (
        ThreadServer(old_backend.app()) as old,
        ThreadServer(new_index(chunked=False, body=huge_answer(3 * MIB))) as new,
        Sidecar(tmp_path, qdrant_config(old.url, new.url, extra)) as sidecar,
    ):
        searches(sidecar, 3, json.dumps(old_backend.answer()).encode())
        assert sidecar.wait_outcomes("search", 3) == {"answer_too_large": 3.0}
