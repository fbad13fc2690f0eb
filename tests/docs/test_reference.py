"""The docs' config and metrics references are generated from the code and cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts" / "gen_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("key", ["config", "metrics"])
def test_references_match_the_code(key):
    """Every config key and every metric family of the code is on its page, as generated."""
    generator = _generator()
    page = generator.PAGES[key].read_text(encoding="utf-8")
    assert generator.render(page, key) == page, "run scripts/gen_reference.py"


def test_a_new_key_would_be_caught():
    """The generator does see the schema: a page missing a key is out of date."""
    generator = _generator()
    page = generator.PAGES["config"].read_text(encoding="utf-8")
    broken = page.replace("| `max_in_flight` |", "| `max_in_flight_renamed` |", 1)
    assert broken != page
    assert generator.render(broken, "config") != broken
