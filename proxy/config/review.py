"""People judging divergent queries: ``[review]``.

Read by :mod:`proxy.review` (the page, its API and the judgments' SQLite file), by
:mod:`proxy.compare` (whether the query's and the results' texts are kept with each example)
and by the gate (``reviewed_preference`` is skipped while review is off). Where each route's
answers carry a result's text is the route's ``document_text``.
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.config.loader import setting


@dataclass(frozen=True)
class ReviewSection:
    """``[review]``: the review page on the admin listener and what it may show."""

    enabled: bool = setting(
        "Serve the review page (/admin/review on the admin listener) and let its votes count "
        "in the gate (criterion reviewed_preference). Off: the page is not served and the "
        "criterion is skipped.",
        default=False,
    )
    path: str = setting(
        "SQLite file holding the votes (mode 0600): who judged which query, and how.",
        default="var/reviews.sqlite",
    )
    store_text: bool = setting(
        "Keep each example's query text (from the route's query_text header or JSON) and its "
        "results' text (the route's document_text) for the page. They are user data: off by "
        "default, and without them the page shows result ids only.",
        default=False,
    )
    queries_per_segment: int = setting(
        "How many of the most divergent kept queries the page offers per segment.",
        default=20,
        ge=1,
        le=1000,
    )
    max_text_chars: int = setting(
        "Longest text kept for a query or a result; longer ones are cut (marked with …).",
        default=1000,
        ge=16,
        le=100_000,
    )
