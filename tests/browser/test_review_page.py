"""The review page in a real headless browser, on real divergent queries.

SciFact's test queries go through a real ``embedshift serve`` in front of a real Chroma: the
old collection answers by all-MiniLM-L6-v2, the shadow re-embeds each query's text with
all-mpnet-base-v2 (infinity-emb) and searches the new collection; both answers carry the
documents' text. A person's path through the page is then driven in chromium over WebDriver:
open the page, give the token once, read blind pairs, vote, see each vote revealed, and the
tallies the admin API reports for the gate. Set ``EMBEDSHIFT_SCREENSHOTS=1`` to write the
screenshot the README shows (docs/images/review-page.png).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import textwrap
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.sidecar import Sidecar

pytestmark = [pytest.mark.integration, pytest.mark.slow]
TOKEN = "review-browser-token"  # noqa: S105 - a test token
N_QUERIES = 24
SHOWN = 12
ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{collection}/query"
CHOICES = ["left", "right", "same", "both_bad", "left", "right"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "review-page.png"

BLIND_CHECK = r"""
// Every word of the page a person reads, and every attribute, outside user data (query and
// document texts, ids): none may name a side. Returns what names one, per card.
const offending = [];
const word = /\b(old|new)\b|new_side|score/i;
for (const card of arguments[0]) {
  const copy = card.cloneNode(true);
  copy.querySelectorAll(".doc-text, .doc-id, .query").forEach((n) => n.remove());
  if (word.test(copy.textContent)) offending.push(copy.textContent);
  for (const node of [copy, ...copy.querySelectorAll("*")]) {
    for (const attr of node.attributes) {
      const text = attr.name + "=" + attr.value;
      if (word.test(text)) offending.push(text);
    }
  }
}
return offending;
"""


def sidecar_config(chroma_url: str, infinity_url: str, old_name: str, new_name: str) -> str:
    """Chroma behind the sidecar, the shadow re-embedding with mpnet, the review page on."""
    return textwrap.dedent(
        f"""
        [upstreams.old]
        url = "{chroma_url}"
        [upstreams.new]
        url = "{chroma_url}"
        [segments]
        names = ["scifact"]
        [shadow]
        timeout_s = 60.0  # a busy 2-core machine may take seconds per embedding
        max_rps = 1000
        [embedding]
        base_url = "{infinity_url}"
        model = "all-mpnet-base-v2"
        dimension = 768
        timeout_s = 60.0
        [review]
        enabled = true
        store_text = true
        queries_per_segment = {SHOWN}
        [[routes]]
        name = "chroma"
        path = "{ROUTE}"
        adapter = "chroma"
        k = 10
        segment = {{ header = "X-Segment" }}
        collection_map = {{ {old_name} = "{new_name}" }}
        query_text = {{ header = "X-Query-Text" }}
        document_text = "documents"
        """
    )


def search(proxy: Sidecar, collection_id: str, text: str, vector: list[float]) -> None:
    """One Chroma query through the sidecar, as an application sends it (text in a header)."""
    path = ROUTE.format(
        tenant="default_tenant", database="default_database", collection=collection_id
    )
    body = {"query_embeddings": [vector], "n_results": 10, "include": ["documents", "distances"]}
    request = urllib.request.Request(
        proxy.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Query-Text": urllib.parse.quote(text),
            "X-Segment": "scifact",
        },
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.status == 200
        assert len(json.loads(answer.read())["documents"][0]) == 10


def admin_get(proxy: Sidecar, path: str) -> Any:
    """One admin API call with the token."""
    request = urllib.request.Request(
        proxy.admin_url + path, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def outcome(choice: str, new_side: str) -> str:
    """What a choice says of the new index shown on ``new_side``."""
    if choice in ("same", "both_bad"):
        return {"same": "tie", "both_bad": "both_bad"}[choice]
    return "win" if choice == new_side else "loss"


def cards(browser):
    """The page's query cards, in order."""
    return browser.find_elements(By.CSS_SELECTOR, "#items article.item")


def vote_on(shown, wait) -> tuple[Counter[str], list[str]]:
    """Click CHOICES on the first cards; each vote's reveal and the outcomes it implies."""
    expected: Counter[str] = Counter()
    revealed = []
    for card, choice in zip(shown, CHOICES, strict=False):
        card.find_element(By.CSS_SELECTOR, f"button[data-choice='{choice}']").click()
        reveal = wait.until(
            lambda _, c=card: c.find_element(By.CSS_SELECTOR, ".reveal").text or None
        )
        found = re.search(r"(Left|Right) was the new index", reveal)
        assert found, reveal
        expected[outcome(choice, found.group(1).lower())] += 1
        revealed.append(reveal)
        assert "voted" in card.get_attribute("class")
    return expected, revealed


def check_tallies(proxy: Sidecar, expected: Counter[str]) -> None:
    """The admin API's tallies are exactly the votes cast, with Wilson intervals around them."""
    tallies = admin_get(proxy, "/admin/review/tallies")["segments"]["scifact"]
    assert tallies["reviews"] == len(CHOICES)
    names = {"win": "wins", "loss": "losses", "tie": "ties", "both_bad": "both_bad"}
    assert {o: tallies[k] for o, k in names.items()} == {o: expected[o] for o in names}
    low, high = tallies["rates"]["win"]["low"], tallies["rates"]["win"]["high"]
    assert 0 <= low <= expected["win"] / len(CHOICES) <= high <= 1
    assert tallies["criterion"]["status"] == "uncertain"  # fewer votes than min_reviews


@pytest.mark.timeout(300)  # the first run loads SciFact twice, with its text, into Chroma
def test_people_judge_divergent_queries_blind(
    browser, chroma_url, chroma_with_text, infinity_url, scifact_text, tmp_path
):
    """Token once, blind pairs with real text, votes revealed only once kept, tallies exact."""
    with Sidecar(
        tmp_path / "sidecar",
        sidecar_config(
            chroma_url, infinity_url, chroma_with_text.old_name, chroma_with_text.new_name
        ),
        env={"EMBEDSHIFT_ADMIN_TOKEN": TOKEN},
    ) as proxy:
        for i in range(N_QUERIES):
            vector = scifact_text.query_vectors[i].tolist()
            search(proxy, chroma_with_text.old_id, scifact_text.query_texts[i], vector)
        assert proxy.wait_outcomes("chroma", N_QUERIES, 180.0) == {"compared": N_QUERIES}

        page = proxy.admin_url + "/admin/review"
        browser.get(page)
        wait = WebDriverWait(browser, 30)
        token_box = wait.until(lambda b: b.find_element(By.ID, "token"))
        assert browser.find_element(By.ID, "main").get_attribute("hidden") is not None
        token_box.send_keys(TOKEN)
        browser.find_element(By.ID, "open").click()
        wait.until(lambda b: len(cards(b)) == SHOWN)

        # the token lives in the tab's session storage, never in the URL
        assert browser.current_url == page
        stored = browser.execute_script("return sessionStorage.getItem('embedshift-admin-token')")
        assert stored == TOKEN
        assert "Reviewing as EMBEDSHIFT_ADMIN_TOKEN" in browser.find_element(By.ID, "reviewer").text

        # real text on both sides, and nothing that names a side before a vote
        shown = cards(browser)
        assert browser.execute_script(BLIND_CHECK, shown) == []
        for card in shown:
            query = card.find_element(By.CSS_SELECTOR, ".query").text
            assert query in scifact_text.query_texts
            texts = card.find_elements(By.CSS_SELECTOR, ".doc-text")
            assert len(texts) == 20
            assert all(t.get_attribute("textContent").strip() for t in texts)
            assert card.find_element(By.CSS_SELECTOR, ".reveal").text == ""

        # vote: each vote is revealed once kept; the others stay blind
        expected, revealed = vote_on(shown, wait)
        assert browser.execute_script(BLIND_CHECK, shown[len(CHOICES) :]) == []
        check_tallies(proxy, expected)
        row = browser.find_element(By.CSS_SELECTOR, "#tallies tbody tr").text
        assert row.startswith(f"scifact {len(CHOICES)}")

        # a reload keeps the token and shows the votes; the screenshot for the README
        browser.refresh()
        wait.until(lambda b: len(cards(b)) == SHOWN)
        again = [c.find_element(By.CSS_SELECTOR, ".reveal").text for c in cards(browser)]
        assert again[: len(CHOICES)] == revealed
        browser.execute_script("window.scrollTo(0, 0)")
        shot = tmp_path / "review-page.png"
        assert browser.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        if os.environ.get("EMBEDSHIFT_SCREENSHOTS") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, SCREENSHOT)

        # forgetting the token empties the tab's storage and asks for it again
        browser.find_element(By.ID, "forget").click()
        assert browser.execute_script("return sessionStorage.length") == 0
        assert browser.find_element(By.ID, "login").is_displayed()
