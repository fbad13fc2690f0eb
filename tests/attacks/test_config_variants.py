"""Attack 4: configs that ``check-config`` called clean and ``serve`` then failed on.

Before the fix, 17 of 57 broken variants passed ``check-config`` and then failed in ``serve``
with a traceback (a URL port ``notaport``, ``[::1`` or 99999; ``max_rps = nan``), failed later
at run time (``[upstreams.old].timeout_s = nan``: every search 500; ``timeout_s = inf``: no
timeout at all), or ran wrong (overlapping routes, ``listen = "[::1:17080"``); a bad listen host,
a port in use or an unusable ``state_path`` exited 2 without file and line, after a JSON log
line; an unwritable ``[examples].path`` left the sidecar running with its examples writer dead.

Every variant here is one row of :func:`variants` (built from the schema, so a float key
added later is attacked too). For each: ``check-config`` and ``serve`` both exit 2 with one
line ``embedshift: <file>: <key> ... (line N)`` naming the key's own line, the same line, and
``serve`` logs nothing before it. The one exception is a port in use: like ``nginx -t``,
``check-config`` binds no listener (a running sidecar holds its own), so it says ok, and
``serve`` gives the one line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import socket
import subprocess
import sys
import typing
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from proxy.cli import main
from proxy.config.schema import Config
from tests.support.components import free_port
from tests.support.config import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

BASE = """\
[proxy]
listen = "127.0.0.1:{proxy_port}"
[metrics]
listen = "127.0.0.1:{metrics_port}"
[admin]
listen = "127.0.0.1:{admin_port}"
[upstreams.old]
url = "http://127.0.0.1:6333"
[upstreams.new]
url = "http://127.0.0.1:6334"
[shadow]
[comparison]
[segments]
names = ["docs"]
[examples]
path = "{tmp}/examples.sqlite"
[modes]
state_path = "{tmp}/modes.sqlite"
[embedding]
base_url = "http://127.0.0.1:7997/v1"
model = "m"
[thresholds]
[calibrator]
eval = ["eval.jsonl"]
vectors = "vectors"
worker_in_serve = false
[gate]
[promotion]
[logging]
format = "json"

[[routes]]
name = "search"
path = "/collections/{{collection}}/points/search"
adapter = "qdrant"
"""
SECOND_ROUTE = """
[[routes]]
name = "{name}"
path = "{path}"
adapter = "qdrant"
"""


@dataclass(frozen=True)
class Variant:
    """A broken config: what to change, and the key the one error line must name."""

    name: str
    key: str  # as the error renders it
    table: str | None  # the table whose header the new line follows (None: no new line)
    line: str  # the line set (replacing the key's line when the key is there already)
    runtime: bool = False  # found by serve's checks on this machine, not by the schema


def _float_fields() -> Iterator[tuple[str, str, typing.Any]]:
    """(table, key, type) of every float setting of the tables :data:`BASE` has.

    The loader refuses nan and inf for every float it reads, whatever its table; sections the
    base file lacks (those with required keys of their own) are left to that rule.
    """
    hints = typing.get_type_hints(Config)
    tables = {"upstreams": ("upstreams.old", "upstreams.new")}
    for field in dataclasses.fields(Config):
        hint = hints[field.name]
        options = [a for a in typing.get_args(hint) if a is not type(None)] or [hint]
        section = options[0]
        if not dataclasses.is_dataclass(section):
            if field.name != "upstreams":
                continue
            section = typing.get_args(hint)[1]
        section_hints = typing.get_type_hints(section)
        for inner in dataclasses.fields(section):
            kind = section_hints[inner.name]
            args = typing.get_args(kind)
            optional = float in args and type(None) in args
            if kind is float or optional or kind == tuple[float, ...]:
                for table in tables.get(field.name, (field.name,)):
                    if f"[{table}]" in BASE.splitlines():
                        yield table, inner.name, kind


def variants() -> list[Variant]:
    """Every broken variant (more than the issue's 57)."""
    out: list[Variant] = []
    for table, key, kind in _float_fields():
        for bad in ("nan", "inf"):
            value = f"[{bad}]" if kind == tuple[float, ...] else bad
            shown = f"[{table}].{key}[0]" if kind == tuple[float, ...] else f"[{table}].{key}"
            out.append(Variant(f"{table}.{key}={bad}", shown, table, f"{key} = {value}"))
    out.append(
        Variant(
            "thresholds.old_segments=nan",
            "[thresholds].old_segments.docs",
            "thresholds",
            "old_segments = {{ docs = nan }}",
        )
    )
    for table in ("upstreams.old", "upstreams.new", "embedding"):
        key = "base_url" if table == "embedding" else "url"
        for bad in (
            "http://127.0.0.1:notaport",
            "http://[::1",
            "http://127.0.0.1:99999",
            "http://127.0.0.1:0",
            "http://:6333",
            "ftp://127.0.0.1:6333",
            "http://127.0.0.1 :6333",
        ):
            out.append(  # noqa: PERF401 - one row per line reads as the table it is
                Variant(f"{table}.{key}={bad}", f"[{table}].{key}", table, f'{key} = "{bad}"')
            )
    out.append(
        Variant("gate.prometheus_url=notaport", "[gate].prometheus_url", "gate",
                'prometheus_url = "http://127.0.0.1:notaport"')
    )  # fmt: skip
    for table in ("proxy", "metrics", "admin"):
        for bad in (
            "[::1:17080",
            "::1:17080",
            "127.0.0.1",
            ":17080",
            "127.0.0.1:99999",
            "127.0.0.1:0",
            "[zz]:17080",
            "local host:17080",
        ):
            out.append(  # noqa: PERF401 - one row per line reads as the table it is
                Variant(f"{table}.listen={bad}", f"[{table}].listen", table, f'listen = "{bad}"')
            )
        out.append(
            Variant(f"{table}.listen=unresolvable", f"[{table}].listen", table,
                    'listen = "no-such-host.invalid:17080"', runtime=True)
        )  # fmt: skip
    for name, path in (
        ("same-template", "/collections/{collection}/points/search"),
        ("literal-under-param", "/collections/docs/points/search"),
        ("other-param-name", "/collections/{c}/points/search/"),
    ):
        out.append(Variant(f"routes-overlap:{name}", "[[routes]] #2.path", None, path))
    out += [
        Variant("modes.state_path=a-folder", "[modes].state_path", "modes",
                'state_path = "{tmp}"', runtime=True),
        Variant("modes.state_path=under-a-file", "[modes].state_path", "modes",
                'state_path = "{tmp}/a-file/modes.sqlite"', runtime=True),
        Variant("modes.state_path=not-sqlite", "[modes].state_path", "modes",
                'state_path = "{tmp}/a-file"', runtime=True),
        Variant("examples.path=under-a-file", "[examples].path", "examples",
                'path = "{tmp}/a-file/examples.sqlite"', runtime=True),
        Variant("examples.path=in-proc", "[examples].path", "examples",
                'path = "/proc/embedshift-examples.sqlite"', runtime=True),
        Variant("proxy.listen=port-in-use", "[proxy].listen", "proxy",
                'listen = "127.0.0.1:{busy_port}"', runtime=True),
    ]  # fmt: skip
    return out


VARIANTS = variants()


def write(tmp_path: Path, variant: Variant, busy_port: int) -> tuple[Path, int]:
    """The variant's file, and the line of the key it breaks."""
    (tmp_path / "a-file").write_text("not a database\n")
    fill = {
        "tmp": str(tmp_path),
        "proxy_port": free_port(),
        "metrics_port": free_port(),
        "admin_port": free_port(),
        "busy_port": busy_port,
    }
    lines = BASE.format(**fill).splitlines()
    if variant.table is None:  # a second route whose path overlaps the first
        lines += SECOND_ROUTE.format(name="other", path=variant.line).splitlines()
        target = len(lines) - 1  # the path line, before adapter
    else:
        line = variant.line.format(**fill)
        header = lines.index(f"[{variant.table}]")
        key = line.split("=", 1)[0].strip()
        end = next(
            (i for i in range(header + 1, len(lines)) if lines[i].startswith("[")), len(lines)
        )
        existing = [i for i in range(header + 1, end) if lines[i].split("=")[0].strip() == key]
        if existing:
            lines[existing[0]] = line
            target = existing[0] + 1
        else:
            lines.insert(header + 1, line)
            target = header + 2
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, target


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A port some other socket listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory, busy_port) -> dict[str, tuple[Path, int, tuple[int, str, str]]]:
    """Every variant's file, its key's line, and what ``serve`` did with it.

    The processes run four at a time (each exits within a second or two; a test per variant
    only reads its result).
    """
    written = {v.name: write(tmp_path_factory.mktemp("variant"), v, busy_port) for v in VARIANTS}
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = dict(zip(written, pool.map(serve, [p for p, _ in written.values()]), strict=True))
    return {name: (path, line, runs[name]) for name, (path, line) in written.items()}


def check_config(path: Path) -> tuple[int, str]:
    """``embedshift check-config`` (the CLI's own code path): (status, stderr)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        status = main(["check-config", "--config", str(path)])
    return status, err.getvalue()


def serve(path: Path) -> tuple[int, str, str]:
    """``python -m proxy serve``, a real process: (status, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "proxy", "serve", "--config", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def test_there_are_more_variants_than_the_issue_counted():
    """The table holds the issue's 57 broken variants and more, each named once."""
    assert len(VARIANTS) >= 57
    assert len({v.name for v in VARIANTS}) == len(VARIANTS)


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_check_config_and_serve_agree_in_one_line(variant, outcomes):
    """Exit 2 and one line naming file, key and the key's line; serve logs nothing before it."""
    path, line, (serve_status, serve_out, serve_err) = outcomes[variant.name]
    assert serve_status == 2, serve_err
    assert serve_out == ""
    lines = serve_err.splitlines()
    assert len(lines) == 1, serve_err  # no JSON log line, no traceback
    expected = re.compile(
        rf"^embedshift: {re.escape(str(path))}: {re.escape(variant.key)} .*\(line {line}\)"
    )
    assert expected.match(lines[0]), lines[0]
    status, error = check_config(path)
    if variant.name == "proxy.listen=port-in-use":
        assert status == 0  # nginx -t binds nothing either
        return
    assert (status, error.strip()) == (2, lines[0])
