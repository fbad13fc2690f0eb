"""A real headless browser (Debian's chromium, over WebDriver) and SciFact with its text in Chroma.

``.ci/components.sh install chromium`` installs ``chromium`` and ``chromium-driver`` (binaries
only); each test starts its own browser with a fresh profile and stops it. Chroma holds SciFact
twice, with each document's title and abstract as Chroma ``documents``: ``embedshift_review_old``
by all-MiniLM-L6-v2 and ``embedshift_review_new`` by all-mpnet-base-v2 (loaded once per
session; a collection already holding the whole corpus is reused).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.components import binary_value
from tests.support.config import SHARED_DATA
from tests.support.corpora import NEW_MODEL, OLD_MODEL, http_json

OLD_NAME, NEW_NAME = "embedshift_review_old", "embedshift_review_new"
CHROME_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1500",
)


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    """Path of Debian's ``chromium``."""
    return binary_value("EMBEDSHIFT_TEST_CHROMIUM_BIN", "chromium", "chromium")


@pytest.fixture(scope="session")
def chromedriver_bin() -> str:
    """Path of Debian's ``chromedriver`` (package chromium-driver)."""
    return binary_value("EMBEDSHIFT_TEST_CHROMEDRIVER_BIN", "chromium", "chromedriver")


@pytest.fixture
def browser(chromium_bin, chromedriver_bin, tmp_path) -> Iterator[webdriver.Chrome]:
    """A headless chromium with a fresh profile, driven over WebDriver; quit afterwards."""
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_bin
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    service = Service(executable_path=chromedriver_bin, log_output=str(tmp_path / "driver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


class SciFactText:
    """SciFact's documents (ids, text) and test queries (text, both models' vectors)."""

    def __init__(self, root: Path) -> None:
        """Read the corpus, the test queries and both models' vectors from ``root``."""
        base = root / "scifact"
        with gzip.open(base / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
            docs = [json.loads(line) for line in f]
        self.doc_ids = [str(d["id"]) for d in docs]
        self.documents = [f"{d['title']}. {d['text']}" for d in docs]
        emb = base / "embeddings"
        ids = (emb / OLD_MODEL / "doc_ids.txt").read_text().split("\n")[:-1]
        assert ids == self.doc_ids
        self.doc_vectors = {m: np.load(emb / m / "docs.npy") for m in (OLD_MODEL, NEW_MODEL)}
        lines = (base / "queries.jsonl").read_text().splitlines()
        self.query_texts = [json.loads(line)["text"] for line in lines]
        self.query_vectors = np.load(emb / OLD_MODEL / "queries.npy")[: len(lines)]


def load_with_text(url: str, name: str, data: SciFactText, model: str) -> str:
    """Create (or reuse) Chroma collection ``name``: the corpus under ``model``, with its text."""
    base = f"{url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    created = http_json(
        "POST",
        base,
        {"name": name, "configuration": {"hnsw": {"space": "cosine"}}, "get_or_create": True},
    )
    collection_id: str = created["id"]
    if http_json("GET", f"{base}/{collection_id}/count") == len(data.doc_ids):
        return collection_id
    vectors = data.doc_vectors[model]
    for start in range(0, len(data.doc_ids), 500):
        stop = start + 500
        body: dict[str, Any] = {
            "ids": data.doc_ids[start:stop],
            "embeddings": vectors[start:stop].tolist(),
            "documents": data.documents[start:stop],
        }
        http_json("POST", f"{base}/{collection_id}/upsert", body)
    assert http_json("GET", f"{base}/{collection_id}/count") == len(data.doc_ids)
    return collection_id


@pytest.fixture(scope="session")
def scifact_text() -> SciFactText:
    """SciFact with its texts; skips without the shared data."""
    if not (SHARED_DATA / "scifact").is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA}")
    return SciFactText(SHARED_DATA)


@dataclass(frozen=True)
class Collections:
    """The two collections' names, and the old one's id (where applications search)."""

    old_name: str
    new_name: str
    old_id: str


@pytest.fixture(scope="session")
def chroma_with_text(chroma_url, scifact_text) -> Collections:
    """The two collections, loaded in the running Chroma."""
    old_id = load_with_text(chroma_url, OLD_NAME, scifact_text, OLD_MODEL)
    load_with_text(chroma_url, NEW_NAME, scifact_text, NEW_MODEL)
    return Collections(OLD_NAME, NEW_NAME, old_id)
