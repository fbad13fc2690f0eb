"""The README's config and metrics references are generated from the code and cannot drift."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_reference", ROOT / "scripts" / "gen_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_references_match_the_code():
    """Every config key and every metric family of the code is in the README, as generated."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert _generator().render(readme) == readme, "run scripts/gen_reference.py"


def test_a_new_key_would_be_caught():
    """The generator does see the schema: a README missing a key is out of date."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    broken = readme.replace("| `max_in_flight` |", "| `max_in_flight_renamed` |", 1)
    assert broken != readme
    assert _generator().render(broken) != broken
