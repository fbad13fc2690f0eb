"""The admin API's mode calls: 401, 400 and 409 with reasons; only accepted changes audited."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest

from proxy.cli import main
from tests.support.flip_rig import TOKEN, make_rig, side_of

FORCE = {"mode": "canary", "percent": 10, "force": True, "reason": "load test"}


async def audit(rig, session):
    """The audit entries, oldest first."""
    status, body = await rig.admin_call(session, "GET", "/admin/audit")
    assert status == 200
    return list(reversed(body["entries"]))


@pytest.mark.parametrize("token", [None, "wrong-token", ""])
async def test_calls_without_the_right_token_get_401(aiohttp_server, tmp_path, token):
    """No token, a wrong one, an empty one: 401 on every endpoint, nothing changes."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        for method, path, body in (
            ("POST", "/admin/mode", FORCE),
            ("GET", "/admin/gate", None),
            ("GET", "/admin/status", None),
            ("GET", "/admin/audit", None),
        ):
            status, answer = await rig.admin_call(session, method, path, body, token=token)
            assert status == 401, (path, answer)
            assert answer["error"] == "missing or wrong bearer token"
        assert rig.sidecar.modes.state.mode == "shadow"
        assert await audit(rig, session) == []


@pytest.mark.parametrize(
    ("raw", "msg"),
    [
        (b"not json", "the body must be a JSON object"),
        (b"[1, 2]", "the body must be a JSON object"),
        (json.dumps({"mode": "sideways"}), "mode must be one of shadow, canary, flipped"),
        (json.dumps({"mode": "canary"}), "a canary needs percent, a number, got None"),
        (json.dumps({"mode": "canary", "percent": "10"}), "a canary needs percent"),
        (json.dumps({"mode": "canary", "percent": 0}), "percent must be above 0 and below 100"),
        (json.dumps({"mode": "canary", "percent": 100}), "percent must be above 0 and below 100"),
        (json.dumps({"mode": "flipped", "percent": 50}), "percent applies to canary only"),
        (json.dumps({"mode": "flipped", "force": True}), "force needs a reason"),
        (json.dumps({"mode": "flipped", "force": "yes", "reason": "x"}), "force must be true"),
        (json.dumps({"mode": "flipped", "why": "x"}), "unknown keys ['why']"),
        (json.dumps({"mode": "shadow", "reason": 5}), "reason must be a string"),
    ],
)
async def test_malformed_mode_calls_get_400_with_the_reason(aiohttp_server, tmp_path, raw, msg):
    """Each malformed body: 400 whose error names the problem; nothing changes or is audited."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        status, answer = await rig.admin_call(session, "POST", "/admin/mode", raw=raw)
        assert status == 400
        assert msg in answer["error"]
        assert rig.sidecar.modes.state.generation == 0
        assert await audit(rig, session) == []


async def test_a_change_the_gate_does_not_allow_gets_409(aiohttp_server, tmp_path):
    """No traffic yet: a canary is refused with 409, the reasons and the gate's report."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        status, answer = await rig.admin_call(
            session, "POST", "/admin/mode", {"mode": "canary", "percent": 10, "reason": "go"}
        )
        assert status == 409
        error = answer["error"]
        assert error.startswith("the gate does not pass for every segment:\ndocs: inconclusive\n")
        for segment in ("docs", "code"):  # every reason of every segment, one per line
            for reason in answer["gate"]["segments"][segment]["reasons"]:
                assert f"\n  - {reason}\n" in error
        assert "too little data: 0 compared queries" in error
        assert answer["gate"]["segments"]["code"]["verdict"] == "inconclusive"
        assert rig.sidecar.modes.state.mode == "shadow"
        assert await audit(rig, session) == []


async def test_accepted_changes_are_audited_and_nothing_else(aiohttp_server, tmp_path):
    """Forced canary, refused flip, rollback, no-op, named token: the log holds exactly three."""
    rig = await make_rig(
        aiohttp_server,
        tmp_path,
        extra='[admin]\ntokens_env = { ci = "CI_TOKEN" }\n',
        env={"CI_TOKEN": "ci-token-value"},
    )
    async with aiohttp.ClientSession() as session:
        status, answer = await rig.admin_call(session, "POST", "/admin/mode", FORCE)
        assert status == 200, answer
        assert answer["mode"] == {
            "mode": "canary",
            "percent": 10.0,
            "generation": 1,
            "changed_at": answer["mode"]["changed_at"],
        }
        refused = {"mode": "flipped", "reason": "too soon"}
        status, _ = await rig.admin_call(session, "POST", "/admin/mode", refused)
        assert status == 409
        rollback = {"mode": "shadow", "reason": "rollback"}
        status, answer = await rig.admin_call(session, "POST", "/admin/mode", rollback)
        assert status == 200  # less traffic on the new index never waits for the gate
        status, answer = await rig.admin_call(session, "POST", "/admin/mode", rollback)
        assert (status, answer["changed"]) == (200, False)
        status, _ = await rig.admin_call(session, "POST", "/admin/mode", b"", raw=b"{")
        assert status == 400
        forced_flip = {"mode": "flipped", "force": True, "reason": "ci says so"}
        status, _ = await rig.admin_call(
            session,
            "POST",
            "/admin/mode",
            forced_flip,
            token="ci-token-value",  # noqa: S106
        )
        assert status == 200
        entries = await audit(rig, session)
    summary = [
        (e["token"], e["from_mode"], e["to_mode"], e["to_percent"], e["generation"], e["forced"])
        for e in entries
    ]
    assert summary == [
        ("EMBEDSHIFT_ADMIN_TOKEN", "shadow", "canary", 10.0, 1, True),
        ("EMBEDSHIFT_ADMIN_TOKEN", "canary", "shadow", 0.0, 2, False),
        ("ci", "shadow", "flipped", 100.0, 3, True),
    ]
    assert [e["reason"] for e in entries] == ["load test", "rollback", "ci says so"]
    assert entries[0]["gate"]["segments"]["docs"]["verdict"] == "inconclusive"
    assert TOKEN not in json.dumps(entries)
    sample = rig.registry.get_sample_value
    assert sample("embedshift_mode", {"mode": "flipped"}) == 1
    assert sample("embedshift_mode", {"mode": "shadow"}) == 0
    assert sample("embedshift_canary_percent") == 100
    assert sample("embedshift_mode_generation") == 3


async def test_the_mode_names_the_side_that_answers(aiohttp_server, tmp_path):
    """Shadow: old answers; flipped: new answers and old is mirrored and compared; back: old."""
    rig = await make_rig(aiohttp_server, tmp_path)
    async with aiohttp.ClientSession() as session:
        status, body, headers = await rig.search(session)
        assert (status, side_of(body), headers["X-Embedshift-Side"]) == (200, "old", "old;gen=0")
        flip = {"mode": "flipped", "force": True, "reason": "test"}
        assert (await rig.admin_call(session, "POST", "/admin/mode", flip))[0] == 200
        for _ in range(5):
            status, body, headers = await rig.search(session)
            assert (status, side_of(body), headers["X-Embedshift-Side"]) == (
                200,
                "new",
                "new;gen=1",
            )
        await rig.settle()
        compared = rig.registry.get_sample_value(
            "embedshift_shadow_requests_total",
            {"route": "search", "segment": "docs", "outcome": "compared"},
        )
        assert compared == 6  # the old index was mirrored while flipped
        back = {"mode": "shadow", "reason": "rollback"}
        assert (await rig.admin_call(session, "POST", "/admin/mode", back))[0] == 200
        status, body, headers = await rig.search(session)
        assert (side_of(body), headers["X-Embedshift-Side"]) == ("old", "old;gen=2")


async def test_canary_is_consistent_per_key(aiohttp_server, tmp_path):
    """A 50% canary keyed by a header: each key always gets one side; both sides get keys."""
    modes = 'canary_key = { header = "X-User" }'
    rig = await make_rig(aiohttp_server, tmp_path, modes=modes)
    async with aiohttp.ClientSession() as session:
        canary = {"mode": "canary", "percent": 50, "force": True, "reason": "test"}
        assert (await rig.admin_call(session, "POST", "/admin/mode", canary))[0] == 200
        sides: dict[str, set[str]] = {}
        for _ in range(3):
            for user in range(40):
                _, body, headers = await rig.search(session, headers={"X-User": f"user-{user}"})
                assert headers["X-Embedshift-Side"] == f"{side_of(body)};gen=1"
                sides.setdefault(f"user-{user}", set()).add(side_of(body))
    assert all(len(s) == 1 for s in sides.values()), sides
    chosen = [next(iter(s)) for s in sides.values()]
    assert 5 <= chosen.count("new") <= 35  # 40 keys at 50%: far outside this is a broken hash


async def test_cli_status_and_flip(aiohttp_server, tmp_path, monkeypatch, capsys):
    """``embedshift flip`` changes the mode through the API; ``status`` prints it; 409 exits 1."""
    rig = await make_rig(aiohttp_server, tmp_path)
    config = tmp_path / "cli.toml"
    config.write_text('[upstreams.old]\nurl = "http://a"\n[upstreams.new]\nurl = "http://b"\n')
    monkeypatch.setenv("EMBEDSHIFT_ADMIN_TOKEN", TOKEN)
    base = ["--config", str(config), "--admin", str(rig.admin.make_url("")).rstrip("/")]

    def run(*args):
        return asyncio.to_thread(main, [args[0], *base, *args[1:]])

    assert await run("flip", "--to", "canary", "--percent", "20") == 1  # the gate: 409
    refused = capsys.readouterr().err
    assert "embedshift: the admin API answered 409: the gate does not pass" in refused
    assert '--force --reason "why"' in refused  # the flags a CLI user types, not a JSON key
    assert '"force": true' not in refused
    assert await run("flip", "--to", "canary", "--percent", "20", "--force") == 1  # no reason
    assert "--force needs --reason" in capsys.readouterr().err
    assert rig.sidecar.modes.state.mode == "shadow"
    assert await run("flip", "--to", "canary", "--percent", "20", "--force", "--reason", "x") == 0
    assert rig.sidecar.modes.state.new_share == 20
    capsys.readouterr()
    assert await run("status") == 0
    out = capsys.readouterr().out
    assert out.startswith("mode: canary 20% (generation 1)\ngate (local): does not pass\n")
    assert "  docs: inconclusive\n    - too little data: 0 compared queries" in out
    assert await run("flip", "--to", "old", "--reason", "rollback") == 0
    assert rig.sidecar.modes.state.mode == "shadow"
