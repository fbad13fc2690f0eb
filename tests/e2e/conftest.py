"""End-to-end fixtures: SciFact in real Chroma and Typesense, loaded once per session."""

from __future__ import annotations

import pytest

from tests.support.config import SHARED_DATA
from tests.support.corpora import (
    NEW_MODEL,
    NEW_NAME,
    OLD_MODEL,
    OLD_NAME,
    SciFact,
    load_chroma,
    load_scifact,
    load_typesense,
)
from tests.support.locks import worker_lock


@pytest.fixture(scope="session")
def scifact() -> SciFact:
    """SciFact's corpus, 40 test queries and both models' vectors; skips without shared data."""
    if not (SHARED_DATA / "scifact").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return load_scifact(SHARED_DATA)


@pytest.fixture(scope="session")
def chroma_corpora(chroma_url: str, scifact: SciFact) -> dict[str, str]:
    """Chroma collections `embedshift_old` (MiniLM) and `embedshift_new` (mpnet): name -> id."""
    with worker_lock("chroma-corpora"):  # another worker may be loading the same names
        return {
            OLD_NAME: load_chroma(chroma_url, OLD_NAME, scifact, OLD_MODEL),
            NEW_NAME: load_chroma(chroma_url, NEW_NAME, scifact, NEW_MODEL),
        }


@pytest.fixture(scope="session")
def typesense_corpora(typesense, scifact: SciFact) -> tuple[str, str]:
    """Typesense collections `embedshift_old` (MiniLM) and `embedshift_new` (mpnet)."""
    with worker_lock("typesense-corpora"):  # a half-loaded collection is deleted and reloaded
        load_typesense(typesense.url, typesense.key, OLD_NAME, scifact, OLD_MODEL)
        load_typesense(typesense.url, typesense.key, NEW_NAME, scifact, NEW_MODEL)
    return OLD_NAME, NEW_NAME
