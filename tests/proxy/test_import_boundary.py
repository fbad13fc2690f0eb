"""The lean proxy package never loads numpy, faiss or the calibrator."""

from __future__ import annotations

import subprocess
import sys

IMPORT_ALL = """
import importlib, pkgutil, sys
import proxy
for info in pkgutil.walk_packages(proxy.__path__, "proxy."):
    if info.name != "proxy.__main__":
        importlib.import_module(info.name)
heavy = {"numpy", "faiss", "calibrator"}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""

BUILD_CLI = """
import sys
import proxy.cli
proxy.cli.build_parser()
heavy = {"numpy", "faiss", "matplotlib"}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return result.stdout.strip()


def test_importing_every_proxy_module_loads_no_heavy_library():
    """Importing every module of proxy imports neither numpy, faiss nor calibrator."""
    assert _run(IMPORT_ALL) == ""


def test_the_command_line_stays_light():
    """Building the CLI (every subcommand registered) loads no numpy, faiss or matplotlib."""
    assert _run(BUILD_CLI) == ""
