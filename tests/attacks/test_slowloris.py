"""Attack 6a: slowloris, slow bodies and too many connections against a real ``serve``.

Before the fix there was no timeout while headers or a body trickled in: 1,000 slowloris
connections were held for 40 s, bounded only by the file limit.

The choices: a request's whole header within ``[proxy].client_header_timeout_s`` (nginx's
``client_header_timeout``, HAProxy's ``timeout http-request``; 10 s by default), at most
``client_body_timeout_s`` between two reads of a body (nginx's ``client_body_timeout``),
``408 Request Timeout`` and the connection closed when either passes (nginx and HAProxy answer
so), and past ``max_client_connections`` a new connection closed at once (Envoy's
``global_downstream_max_connections``). Here the timeouts are 1 s and the cap 50, so that the
test is short; the figures asserted are counts, and the 10 s wait is a bound, never a measure.
"""

from __future__ import annotations

import contextlib
import socket
import time

import pytest

from tests.attacks.rig import ThreadServer, post, raw_exchange
from tests.support.backends import FakeQdrant
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
LIMITS = """client_header_timeout_s = 1.0
client_body_timeout_s = 1.0
max_client_connections = 50
"""
ATTACKERS = 200
CAP = 50


def limited(sidecar: Sidecar, header_timeout_s: float = 1.0) -> Sidecar:
    """The sidecar with short timeouts and a cap of 50 in its ``[proxy]`` table."""
    text = sidecar.config_path.read_text()
    limits = LIMITS.replace(
        "client_header_timeout_s = 1.0", f"client_header_timeout_s = {header_timeout_s}"
    )
    sidecar.config_path.write_text(text.replace("[proxy]\n", "[proxy]\n" + limits, 1))
    return sidecar


def read_some(sock: socket.socket) -> bytes | None:
    """What a non-blocking socket has: bytes, b"" when closed, None when nothing yet."""
    try:
        return sock.recv(4096)
    except BlockingIOError:
        return None
    except ConnectionError:
        return b""


def test_slowloris_connections_are_closed(tmp_path):
    """200 connections dripping a header byte every 0.2 s: 150 refused, 50 answered 408.

    The first 50 connect and are seen open (``embedshift_client_connections`` 50) before the
    other 150 connect, so the counts do not depend on how busy the machine is.

    Figures asserted: 150 of 200 closed at once with no byte sent (over the cap of 50); 50 of
    50 answered ``408`` and closed after the header timeout; none still open after 30 s; the
    counters say 150 refused and 50 header timeouts; then a search answers 200.
    """
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
        limited(Sidecar(tmp_path, qdrant_config(old.url, new.url)), 5.0) as sidecar,
    ):
        start = b"POST /collections/docs/points/search HTTP/1.1\r\nHost: x\r\n"
        held = [connect(sidecar.port, start) for _ in range(CAP)]
        assert wait_until(lambda: sidecar.value("embedshift_client_connections") == CAP)
        refused = [connect(sidecar.port, start) for _ in range(ATTACKERS - CAP)]
        got: dict[int, bytes] = {}
        deadline = time.monotonic() + 30
        attackers = held + refused
        while len(got) < ATTACKERS and time.monotonic() < deadline:
            time.sleep(0.2)
            for sock in attackers:
                if id(sock) in got:
                    continue
                data = read_some(sock)
                if data is not None:
                    got[id(sock)] = data
                    continue
                try:
                    sock.send(b"X")  # one more header byte, never a whole line
                except (ConnectionError, BlockingIOError):
                    got[id(sock)] = read_some(sock) or b""
        for sock in attackers:
            sock.close()
        assert len(got) == ATTACKERS  # none held past the bound
        assert [got[id(s)] for s in refused] == [b""] * (ATTACKERS - CAP)
        assert all(got[id(s)].startswith(b"HTTP/1.1 408") for s in held)
        assert sidecar.value("embedshift_client_connections_refused_total") == ATTACKERS - CAP
        assert sidecar.value("embedshift_client_timeouts_total", phase="header") == CAP
        status, _, _ = post(sidecar.url + "/collections/docs/points/search", {"vector": [1.0]})
        assert status == 200


def connect(port: int, start: bytes) -> socket.socket:
    """A non-blocking connection that has sent the start of a header (or was closed at once)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    with contextlib.suppress(ConnectionError):
        sock.send(start)
    sock.setblocking(False)  # noqa: FBT003 - the socket API's own flag
    return sock


def test_a_stalled_body_is_closed_and_a_slow_steady_one_is_served(tmp_path):
    """Body 10 of 100 bytes then silence: 408. A body one byte per 0.4 s (under 1 s): 200.

    Figures asserted: the stalled body answered ``408`` and counted as a body timeout; the
    steady 6-byte body, 2.4 s in all, answered 200 (the timeout runs between reads, as nginx's).
    """
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
        limited(Sidecar(tmp_path, qdrant_config(old.url, new.url))) as sidecar,
    ):
        head = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"
        stalled = raw_exchange(sidecar.port, head + b"0123456789", timeout_s=10)
        assert stalled.startswith(b"HTTP/1.1 408")
        assert sidecar.value("embedshift_client_timeouts_total", phase="body") == 1
        with socket.create_connection(("127.0.0.1", sidecar.port), timeout=10) as sock:
            sock.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\n")
            for byte in b"abcdef":
                time.sleep(0.4)
                sock.sendall(bytes([byte]))
            answer = sock.recv(65536)
        assert answer.startswith(b"HTTP/1.1 200"), answer[:100]
        assert sidecar.value("embedshift_client_timeouts_total", phase="body") == 1
