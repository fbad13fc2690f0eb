"""The batch side's subcommands: one registry, light to register, and a missing extra said plainly.

The real check is a fresh virtual environment with only the core distribution installed
(``pip install`` of a copy of this checkout, no extras): ``embedshift --help`` lists every
command, and each batch command, run, prints one line naming its extra and exits 2, without a
traceback. It installs from the package index (pip's cache makes it quick after the first
run), so it is marked slow.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from calibrator import commands
from calibrator.commands import Command, missing, requirements

ROOT = Path(__file__).resolve().parents[2]
# rich is left out: structlog imports it whenever it is installed (its console renderer)
EXTRAS_MODULES = ("numpy", "faiss", "matplotlib", "tree_sitter", "yaml", "psycopg")
# what each batch command is run with in the core-only venv (valid enough to reach the check)
ARGV = {
    "calibrate": ["--eval", "eval.jsonl", "--vectors", "v", "--out", "t.json"],
    "worker": ["--config", "config.toml", "--once"],
    "reembed": ["--source", "s.jsonl", "--output", "o.jsonl", "--model", "m"],
    "merge": ["--source", "s.jsonl", "--parts", "p.jsonl", "--output", "o.jsonl"],
    "sample": ["--source", "s.jsonl", "--by", "segment", "--size", "1", "--output", "o.jsonl"],
    "inventory": ["."],
    "demo": ["--json"],
}


def batch_commands() -> list[Command]:
    """Every Command record of calibrator.commands."""
    return [c for c in vars(commands).values() if isinstance(c, Command)]


def test_every_batch_command_is_one_entry_point_to_its_record():
    """Each Command is registered by exactly one entry point, naming its own register."""
    found = {e.name: e.value for e in entry_points(group="embedshift.commands")}
    for command in batch_commands():
        assert found.get(command.name) == f"calibrator.commands:{command.name}.register"
    calibrator_entries = {n for n, v in found.items() if v.startswith("calibrator.")}
    assert calibrator_entries == {c.name for c in batch_commands()}
    assert set(ARGV) == calibrator_entries


def test_each_extra_is_declared_and_installed_here():
    """Every command's extra lists distributions (nested extras followed); all present here."""
    for command in batch_commands():
        assert requirements(command.extra), f"{command.name}: extra {command.extra} is empty"
        assert missing(command.extra) == []
    assert "faiss-cpu" in requirements("demo")  # through embedshift[calibrator]
    assert "faiss-cpu" not in requirements("batch")  # the re-embed Job carries no faiss
    assert set(requirements("all")) >= {
        name for c in batch_commands() for name in requirements(c.extra)
    }


def test_registering_every_command_loads_no_extra():
    """Building the CLI imports none of the extras' libraries (a fresh interpreter)."""
    code = (
        "import sys, proxy.cli; proxy.cli.build_parser(); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {EXTRAS_MODULES!r}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"


@pytest.fixture(scope="module")
def core_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the core distribution alone (a copy of the checkout, no extras)."""
    tmp = tmp_path_factory.mktemp("core-only")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("proxy", "calibrator"):
        shutil.copytree(
            ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", str(source)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, f"pip install of the core distribution failed:\n{done.stderr}"
    return venv


@pytest.mark.slow
def test_with_only_the_core_each_batch_command_names_its_extra(core_only, tmp_path):
    """Help lists every command; each batch command says which extra to install; exit 2."""
    embedshift = core_only / "bin" / "embedshift"
    listed = subprocess.run(
        [str(embedshift), "--help"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for command in batch_commands():
        assert command.name in listed
        done = subprocess.run(
            [str(embedshift), command.name, *ARGV[command.name]],
            capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path,
        )  # fmt: skip
        expected = (
            f"embedshift: {command.name} needs the {command.extra} extra: "
            f"pip install 'embedshift[{command.extra}]'\n"
        )
        assert (done.returncode, done.stdout, done.stderr) == (2, "", expected)
    worker = subprocess.run(
        [str(core_only / "bin" / "python"), "-m", "calibrator", "worker", "--config", "c.toml"],
        capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert worker.returncode == 2
    assert worker.stderr == (
        "embedshift: worker needs the calibrator extra: pip install 'embedshift[calibrator]'\n"
    )


@pytest.mark.slow
def test_with_only_the_core_the_sidecar_commands_work(core_only, tmp_path):
    """check-config runs (the sidecar's own commands need no extra); numpy is not installed."""
    config = tmp_path / "config.toml"
    shutil.copy(ROOT / "config.toml", config)
    done = subprocess.run(
        [str(core_only / "bin" / "embedshift"), "check-config", "--config", str(config)],
        capture_output=True, text=True, check=False, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ": ok (" in done.stdout
    probe = "import importlib.util as u; print([m for m in ('numpy', 'faiss') if u.find_spec(m)])"
    found = subprocess.run(
        [str(core_only / "bin" / "python"), "-c", probe],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    assert found.stdout.strip() == "[]"
