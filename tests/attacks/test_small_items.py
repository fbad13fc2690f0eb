"""Attack 6b and the SIGHUP of attack 4: the smaller items, each against a real ``serve``.

Before the fix: a non-ASCII bearer token was a 500 with a traceback; stored request hashes
were unsalted SHA-256 (all 70 stored hashes matched back to candidate bodies); files were
created 0644; answers gained ``Server: Python/3.11 aiohttp/3.14.5`` and a ``Date``, and lost
``Connection: keep-alive``; the search route re-framed chunked answers with a Content-Length;
some tracebacks broke the JSON log stream; ``max_rps = nan`` on SIGHUP gave a plain-text
traceback and was not counted as a failed reload.

The choices: answers are relayed as HAProxy relays them (Envoy's ``server_header_transformation:
PASS_THROUGH``): no header the upstream did not send, the upstream's framing kept; request
hashes are keyed BLAKE2b-256 under a per-install secret (``<examples.path>.key``, 0600); every
file embedshift creates is 0600; a reload that fails for any reason is one JSON line, counted.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import signal
import sqlite3
import stat
from pathlib import Path

import pytest

from proxy.files import write_atomic
from tests.attacks.rig import RawBackend, ThreadServer, post, raw_exchange
from tests.support.backends import FakeQdrant
from tests.support.sidecar import Sidecar, qdrant_config, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]
SEARCH = "/collections/docs/points/search"
TOKEN = "small-items-token"  # noqa: S105 - a test token


def all_json(sidecar: Sidecar) -> list[str]:
    """The log lines that are not one JSON object each."""
    bad = []
    for line in sidecar.log_lines():
        try:
            assert isinstance(json.loads(line), dict)
        except (ValueError, AssertionError):
            bad.append(line)
    return bad


def chunked_answer() -> bytes:
    """A Qdrant answer, chunked, with Connection: keep-alive, and no Date or Server."""
    body = json.dumps({"result": [{"id": i, "score": 0.9 - i / 100} for i in range(10)]})
    half = len(body) // 2
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(part), part.encode()) for part in (body[:half], body[half:])
    )
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        b"Connection: keep-alive\r\nX-Backend: raw\r\n\r\n"
    )
    return head + chunks + b"0\r\n\r\n"


def exchange(port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """One request with http.client: status, headers (lower-case names), body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=b'{"vector": [1.0]}', headers={"X-Segment": "docs"})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_answers_are_relayed_as_the_upstream_sent_them(tmp_path):
    """Search and passthrough: no Server or Date added, keep-alive and chunked framing kept.

    Figures asserted: 2 of 2 answers (search route, passthrough) carry no ``Server`` and no
    ``Date`` (the upstream sent neither), ``Connection: keep-alive`` and
    ``Transfer-Encoding: chunked`` (as the upstream), no Content-Length, and its exact body.
    """
    with (
        RawBackend(chunked_answer()) as raw,
        Sidecar(tmp_path, qdrant_config(raw.url, raw.url)) as sidecar,
    ):
        direct = exchange(raw.port, "POST", SEARCH)
        for method, path in (("POST", SEARCH), ("GET", "/collections/docs")):
            status, headers, body = exchange(sidecar.port, method, path)
            assert (status, body) == (200, direct[2])
            assert "server" not in headers
            assert "date" not in headers
            assert headers.get("connection") == "keep-alive"
            assert headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in headers
            assert headers["x-backend"] == "raw"
        assert all_json(sidecar) == []


def test_a_non_ascii_bearer_token_is_a_401(tmp_path):
    """UTF-8 and Latin-1 bytes in the admin token: 401, never a 500, and the log stays JSON."""
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
        Sidecar(
            tmp_path, qdrant_config(old.url, new.url), env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN}
        ) as sidecar,
    ):
        for token in ("tökén".encode(), b"t\xf6k\xe9n", b"\xff\xfe"):
            request = (
                b"GET /admin/status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                b"Authorization: Bearer " + token + b"\r\n\r\n"
            )
            answer = raw_exchange(sidecar.admin_port, request)
            assert answer.startswith(b"HTTP/1.1 401"), answer[:80]
        garbage = raw_exchange(sidecar.port, b"\x16\x03\x01 not http at all\r\n\r\n")
        assert garbage.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
        assert b"\r\nServer:" not in garbage.split(b"\r\n\r\n", 1)[0]
        assert all_json(sidecar) == []


def test_stored_hashes_are_keyed_and_files_are_private(tmp_path):
    """5 stored examples: no hash is the body's SHA-256; each is BLAKE2b under the 0600 key.

    Figures asserted: 0 of 5 stored hashes equal the unsalted SHA-256 of their body, 5 of 5
    the keyed BLAKE2b-256; the key (32 bytes), the examples and modes databases and an atomic
    write are all mode 0600.
    """
    old_backend, new_backend = (
        FakeQdrant(marker="old"),
        FakeQdrant(ids=list(range(5, 15)), marker="new"),
    )
    env = {"EMBEDSHIFT_ADMIN_TOKEN": TOKEN}
    with (
        ThreadServer(old_backend.app()) as old,
        ThreadServer(new_backend.app()) as new,
        Sidecar(tmp_path, qdrant_config(old.url, new.url), env=env) as sidecar,
    ):
        bodies = [json.dumps({"vector": [float(i)], "limit": 10}).encode() for i in range(5)]
        for body in bodies:
            assert post(sidecar.url + SEARCH, body, {"X-Segment": "docs"})[0] == 200
        assert sidecar.wait_outcomes("search", 5) == {"compared": 5.0}
        database = tmp_path / "examples.sqlite"
        assert wait_until(lambda: database.exists() and _stored(database) >= 5)
        key_file = tmp_path / "examples.sqlite.key"
        key = key_file.read_bytes()
        stored = {
            row[0]
            for row in sqlite3.connect(database).execute("SELECT request_sha256 FROM examples")
        }
    assert len(key) == 32
    assert not stored & {hashlib.sha256(b).hexdigest() for b in bodies}
    assert stored == {hashlib.blake2b(b, key=key, digest_size=32).hexdigest() for b in bodies}
    written = tmp_path / "thresholds.json"
    write_atomic(written, b"{}")
    for path in (key_file, database, tmp_path / "modes.sqlite", written):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def _stored(database: Path) -> int:
    """Distinct requests the examples table holds (0 before it exists).

    Distinct: one request may be kept twice, as a divergent and as a uniform example, so five
    rows can be three requests while the writer has not flushed the rest.
    """
    query = "SELECT COUNT(DISTINCT request_sha256) FROM examples"
    try:
        return int(sqlite3.connect(database).execute(query).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def test_a_bad_value_on_sighup_is_one_counted_line(tmp_path):
    """``max_rps = nan`` on SIGHUP: one JSON line naming key and line, counted; old config kept.

    Figures asserted: ``embedshift_config_reloads_total{result="error"}`` 1, one
    ``config_reload_failed`` line naming ``[shadow].max_rps`` and its line, every log line
    JSON, searches still answered; a good reload after it counted ``ok``.
    """
    with (
        ThreadServer(FakeQdrant(marker="old").app()) as old,
        ThreadServer(FakeQdrant(marker="new").app()) as new,
    ):
        good = qdrant_config(old.url, new.url)
        with Sidecar(tmp_path, good) as sidecar:
            sidecar.write(good + "[shadow]\nmax_rps = nan\n")
            sidecar.signal(signal.SIGHUP)
            assert wait_until(
                lambda: sidecar.value("embedshift_config_reloads_total", result="error") == 1
            )
            failed = sidecar.log_events("config_reload_failed")
            assert len(failed) == 1
            assert "[shadow].max_rps must be a finite number, got nan (line" in failed[0]["error"]
            assert post(sidecar.url + SEARCH, {"vector": [1.0]}, {"X-Segment": "docs"})[0] == 200
            sidecar.write(good)
            sidecar.signal(signal.SIGHUP)
            assert wait_until(
                lambda: sidecar.value("embedshift_config_reloads_total", result="ok") == 1
            )
            assert all_json(sidecar) == []
