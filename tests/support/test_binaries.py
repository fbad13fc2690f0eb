"""Tools the tests run are found on PATH when no ``EMBEDSHIFT_TEST_*_BIN`` variable names them."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.support.components import binary_value


def _tool(folder: Path, name: str) -> Path:
    """An executable file called ``name`` in ``folder``."""
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_tool_on_path_is_found_without_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the variable unset, the binary on PATH is used instead of skipping the test."""
    tool = _tool(tmp_path, "embedshift-test-tool")
    monkeypatch.delenv("EMBEDSHIFT_TEST_TOOL_BIN", raising=False)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    found = binary_value("EMBEDSHIFT_TEST_TOOL_BIN", "tool", "embedshift-test-tool")
    assert found == str(tool)


def test_the_variable_wins_over_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A variable naming another binary is used even when one of that name is on PATH."""
    _tool(tmp_path, "embedshift-test-tool")
    chosen = tmp_path / "elsewhere"
    chosen.mkdir()
    named = _tool(chosen, "embedshift-test-tool")
    monkeypatch.setenv("EMBEDSHIFT_TEST_TOOL_BIN", str(named))
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert binary_value("EMBEDSHIFT_TEST_TOOL_BIN", "tool", "embedshift-test-tool") == str(named)


def test_a_tool_nowhere_is_skipped_with_the_command_that_installs_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither variable nor PATH: the test is skipped, naming .ci/components.sh install."""
    monkeypatch.delenv("EMBEDSHIFT_TEST_TOOL_BIN", raising=False)
    monkeypatch.delenv("EMBEDSHIFT_REQUIRE_COMPONENTS", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(pytest.skip.Exception, match=r"components\.sh install tool"):
        binary_value("EMBEDSHIFT_TEST_TOOL_BIN", "tool", "embedshift-test-tool")
