"""Attack 1: two ``embedshift serve`` processes sharing ``[modes].state_path`` race mode changes.

The attack (issue 17, item 1): process A forces canary 40; then, at the same moment, A is asked
for ``canary 10`` (a lower share: never gated) while B is asked for a rollback to ``shadow``.
Before the fix, A judged its change against canary 40 but committed it from the shadow mode B
had just stored, so the audit log showed ``shadow -> canary 10`` with ``forced = 0``: an
operator's rollback silently undone, and the gate (which cannot pass here: no traffic) never
consulted. 9 of 150 rounds did so.

The choice (optimistic concurrency, as Kubernetes' ``resourceVersion`` and Envoy's xDS
``version_info`` do): a change is committed only from the generation it was judged against;
otherwise 409 and the caller judges again against the mode that won.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.support.backends import start_backend, stop_process
from tests.support.sidecar import Sidecar, qdrant_config

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ROUNDS = 150
TOKEN = "race-test-token"  # noqa: S105 - a test token
TOKEN_VAR = "EMBEDSHIFT_ADMIN_TOKEN"  # noqa: S105 - the variable's name


def admin(sidecar: Sidecar, body: dict[str, Any]) -> int:
    """``POST /admin/mode`` on one process; its status."""
    request = urllib.request.Request(
        f"{sidecar.admin_url}/admin/mode",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


def audit(sidecar: Sidecar) -> list[dict[str, Any]]:
    """Every audit row, oldest first."""
    request = urllib.request.Request(
        f"{sidecar.admin_url}/admin/audit?limit=1000",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        entries: list[dict[str, Any]] = json.load(answer)["entries"]
    return entries[::-1]


def test_a_rollback_racing_a_lower_canary_is_never_silently_undone(tmp_path):
    """150 rounds: no audit row raises the new index's share unforced; the log is one chain.

    Figure asserted: 0 audit rows with ``to_percent > from_percent`` and ``forced = false``
    (9 in 150 rounds before the fix), every row's ``from`` equal to the previous row's ``to``,
    and every race settled: each 200 is in the log, each refusal is a 409.
    """
    old_url, old_proc = start_backend("old", tmp_path)
    new_url, new_proc = start_backend("new", tmp_path)
    state = tmp_path / "modes.sqlite"
    extra = f"""
    [modes]
    state_path = "{state}"
    poll_interval_s = 0.05
    """
    env = {TOKEN_VAR: TOKEN}
    a = Sidecar(tmp_path / "a", qdrant_config(old_url, new_url, extra), env=env, reuse_port=True)
    b = Sidecar(
        tmp_path / "b",
        qdrant_config(old_url, new_url, extra),
        env=env,
        reuse_port=True,
        port=a.port,
    )
    statuses: dict[str, list[int]] = {"a": [], "b": []}
    try:
        a.start()
        b.start()
        for round_ in range(ROUNDS):
            forced = {"mode": "canary", "percent": 40, "force": True, "reason": f"round {round_}"}
            assert admin(a, forced) == 200
            barrier = threading.Barrier(2)

            def ask(
                name: str,
                sidecar: Sidecar,
                body: dict[str, Any],
                barrier: threading.Barrier = barrier,
            ) -> None:
                barrier.wait()
                statuses[name].append(admin(sidecar, body))

            lower = threading.Thread(
                target=ask, args=("a", a, {"mode": "canary", "percent": 10, "reason": "lower"})
            )
            rollback = threading.Thread(
                target=ask, args=("b", b, {"mode": "shadow", "reason": "rollback"})
            )
            lower.start()
            rollback.start()
            lower.join()
            rollback.join()
        rows = audit(a)
    finally:
        a.stop()
        b.stop()
        stop_process(old_proc)
        stop_process(new_proc)
    raised_unforced = [r for r in rows if r["to_percent"] > r["from_percent"] and not r["forced"]]
    assert raised_unforced == []
    for before, after in itertools.pairwise(rows):
        assert (after["from_mode"], after["from_percent"]) == (
            before["to_mode"],
            before["to_percent"],
        )
        assert after["generation"] == before["generation"] + 1
    assert set(statuses["a"]) | set(statuses["b"]) <= {200, 409}
    accepted = sum(s == 200 for s in statuses["a"] + statuses["b"])
    assert len(rows) == ROUNDS + accepted  # every forced canary 40, and every accepted race
