"""Fixtures for the inventory's tests: the benchmark's real packages, and the SARIF validator.

The pinned releases named in ``corpus_expected.toml`` are fetched by
:mod:`tests.calibrator.inventory.benchmark` and scored once per session: those held to the
bar, or every one with ``EMBEDSHIFT_CORPUS=all`` (the tests marked ``whole_corpus`` need it).
Without the registry the tests that need them are skipped with a reason, or fail where CI
requires components (``EMBEDSHIFT_REQUIRE_COMPONENTS=1``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.calibrator.inventory.benchmark import (
    CACHE,
    FetchError,
    Score,
    chosen_packages,
    expectations,
    fetch_all,
    score_all,
    whole_corpus,
)

MULTITOOL_VERSION = "5.7.0"
"""Microsoft's SARIF Multitool (the SARIF SDK's validator), from the npm registry."""


def _unavailable(message: str) -> None:
    if os.environ.get("EMBEDSHIFT_REQUIRE_COMPONENTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def expected_corpus() -> dict[str, Any]:
    """The hand-reviewed expectations: pinned packages and their true thresholds."""
    return expectations()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``whole_corpus`` run only with ``EMBEDSHIFT_CORPUS=all`` (deselected else)."""
    try:
        if whole_corpus():
            return
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    deselected = [i for i in items if i.get_closest_marker("whole_corpus") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [i for i in items if i.get_closest_marker("whole_corpus") is None]


@pytest.fixture(scope="session")
def corpus(expected_corpus: dict[str, Any]) -> dict[str, Path]:
    """Package name to the folder of its unpacked pinned wheel (those the tests score)."""
    try:
        return fetch_all(chosen_packages(expected_corpus))
    except FetchError as e:
        _unavailable(str(e))
        raise  # _unavailable skips or fails; never reached


@pytest.fixture(scope="session")
def corpus_scores(corpus: dict[str, Path]) -> list[Score]:
    """Each package scanned once and scored against the list (and the article's grep)."""
    return score_all(corpus, processes=2)


@pytest.fixture(scope="session")
def sarif_multitool() -> Path:
    """The ``Sarif.Multitool`` binary, installed once with npm under ``.ci-cache``."""
    target = CACHE.parent / f"sarif-multitool-{MULTITOOL_VERSION}"
    binary = target / "node_modules" / "@microsoft" / "sarif-multitool-linux" / "Sarif.Multitool"
    if not binary.exists():
        npm = shutil.which("npm")
        if npm is None or not sys.platform.startswith("linux"):
            _unavailable("npm is not installed (or not on Linux): no SARIF Multitool")
        target.mkdir(parents=True, exist_ok=True)
        package = f"@microsoft/sarif-multitool-linux@{MULTITOOL_VERSION}"
        command = [str(npm), "install", "--prefix", str(target), "--no-audit", "--no-fund", package]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode != 0 or not binary.exists():
            _unavailable(f"cannot install {package}: {done.stderr.strip()[-300:]}")
    binary.chmod(binary.stat().st_mode | 0o100)  # npm may not run its chmod postinstall
    return binary
