"""Fixtures for the inventory's tests: real libraries from PyPI, unpacked once and cached.

The pinned releases named in ``corpus_expected.toml`` are fetched with ``pip download
--no-deps`` (wheels only, nothing installed or run) and unzipped under
``.ci-cache/inventory-corpus/NAME-VERSION``; later runs reuse them. Without the registry the
tests that need them are skipped with a reason, or fail where CI requires components
(``EMBEDSHIFT_REQUIRE_COMPONENTS=1``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXPECTED = HERE / "corpus_expected.toml"
CACHE = ROOT / ".ci-cache" / "inventory-corpus"


@pytest.fixture(scope="session")
def expected_corpus() -> dict[str, object]:
    """The hand-reviewed expectations: pinned packages and their true thresholds."""
    return tomllib.loads(EXPECTED.read_text())


def _fetch(name: str, version: str, target: Path) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as temp:
        download = Path(temp, "wheel")
        command = [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(download),
            f"{name}=={version}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        wheels = sorted(download.glob("*.whl"))
        if done.returncode != 0 or not wheels:
            message = f"cannot download {name}=={version}: {done.stderr.strip()[-300:]}"
            if os.environ.get("EMBEDSHIFT_REQUIRE_COMPONENTS") == "1":
                pytest.fail(message)
            pytest.skip(message)
        unpacked = Path(temp, "unpacked")
        with zipfile.ZipFile(wheels[0]) as wheel:
            wheel.extractall(unpacked)
        shutil.rmtree(target, ignore_errors=True)
        unpacked.rename(target)  # whole or not at all


@pytest.fixture(scope="session")
def corpus(expected_corpus: dict[str, object]) -> dict[str, Path]:
    """Package name to the folder of its unpacked pinned wheel."""
    packages = expected_corpus["packages"]
    assert isinstance(packages, dict)
    roots: dict[str, Path] = {}
    for name, version in packages.items():
        target = CACHE / f"{name}-{version}"
        if not target.is_dir():
            _fetch(name, version, target)
        roots[name] = target
    return roots
