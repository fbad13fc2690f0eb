"""Where a mirrored search is compared: both answers read, each query's figures recorded.

:meth:`Recorder.record` gets the old index's answer and the new index's (whichever answered
the client), reads both with the route's adapter into one ranked list per query, and for each
query

1. computes the divergence figures at the route's ``k`` (:func:`proxy.compare.divergence.compare`);
2. observes them on the route and segment's metrics (overlap, Jaccard, RBO, Kendall's tau, top-1
   agreement, sums of squares for the gate, both sides' scores at rank 1 and rank k);
3. with a thresholds document in force that publishes the new model's top-1 score band, counts
   where the new top-1 score falls (below, within, above: the gate's ``score_sanity``);
4. with thresholds in force, counts what each side keeps at its threshold and the abstain flips
   by direction (``empty="new"``: the new side keeps nothing where the old kept some, the one
   the gate judges; ``empty="old"``: the opposite, reported);
5. offers the query to the divergent-examples store.

Then the old side's top-k ids of every query (once each) are offered to the new index's id
lookups (``coverage``, :mod:`proxy.health.coverage`: sampled, bounded, off the request path).

A side read without scores (a Chroma query that left ``distances`` out) is compared by ids
alone: overlap, Jaccard, RBO, Kendall's tau and top-1 agreement; no score, accepted-count or
abstain-flip figure is recorded for that query, and its example keeps no scores.

Answers that cannot be read, or that hold different numbers of queries, raise
:class:`~proxy.errors.AdapterError` before anything is recorded (outcome ``unparseable``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from proxy.adapters.base import Adapter, Ranked
from proxy.adapters.scales import ThresholdChange
from proxy.compare.divergence import compare
from proxy.compare.examples import Example, ExampleStore, ExampleTexts
from proxy.config.schema import ComparisonSection, Route
from proxy.errors import UnparseableResponseError
from proxy.jsondoc import parse_json_body
from proxy.metrics import RouteSegmentMetrics
from proxy.thresholds.watch import ThresholdsInForce, accepted


class Compared(Protocol):
    """What a compared search tells about itself (a :class:`proxy.shadow.job.ShadowJob`)."""

    @property
    def route(self) -> Route:
        """The route: its name and its ``k``."""
        ...

    @property
    def adapter(self) -> Adapter:
        """Reads the route's answers."""
        ...

    @property
    def segment(self) -> str:
        """The request's segment."""
        ...

    @property
    def body(self) -> bytes:
        """The client's request body (kept with an example when configured)."""
        ...

    @property
    def new_path(self) -> str:
        """The new index's path for this search (its ids are looked up there)."""
        ...

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The client's headers under the header policy (id lookups send them, no credentials)."""
        ...

    @property
    def thresholds(self) -> tuple[ThresholdChange, ...]:
        """Its thresholds as sent and as translated for the new index (kept with an example)."""
        ...

    @property
    def request_headers(self) -> Mapping[str, str]:
        """The client's request headers (where a query text may be, for review)."""
        ...


class TextCapture(Protocol):
    """Reads the texts people judge a query by (:class:`proxy.review.capture.TextCapture`)."""

    def texts(
        self, search: Compared, old_body: bytes, new_body: bytes, queries: int
    ) -> Sequence[ExampleTexts] | None:
        """One per query of the search, or None when it has no text to keep."""
        ...


Texts = Callable[[], Sequence[ExampleTexts] | None]
"""A search's texts, one per query, read when first called (:class:`TextCapture`)."""


class Recorder:
    """Compares answers and records the figures of one config.

    Given a ``capture`` (``[review].store_text``), it keeps texts with the examples too.
    """

    def __init__(
        self,
        comparison: ComparisonSection,
        examples: ExampleStore | None,
        thresholds: Callable[[], ThresholdsInForce] = ThresholdsInForce,
        capture: TextCapture | None = None,
        coverage: Callable[[Compared, tuple[str, ...], RouteSegmentMetrics], None] | None = None,
    ) -> None:
        """``thresholds()`` gives the thresholds in force (read once per compared query).

        ``coverage(search, old_ids, bound)`` takes the old side's top-k ids of a compared search
        (it must return at once: it only decides whether to look them up later).
        """
        self.comparison = comparison
        self.examples = examples
        self.thresholds = thresholds
        self.capture = capture
        self.coverage = coverage

    def record(
        self, search: Compared, bound: RouteSegmentMetrics, old_body: bytes, new_body: bytes
    ) -> None:
        """Compare both answers query by query and record the figures (module docstring)."""
        lists = rank(search, old_body, new_body)
        texts = None
        if self.capture is not None and self.examples is not None:
            # parsed again only if some query of this search enters the divergent set
            capture, queries = self.capture, len(lists[0])
            texts = functools.cache(lambda: capture.texts(search, old_body, new_body, queries))
        self.record_ranked(search, bound, lists, texts)

    def record_ranked(
        self,
        search: Compared,
        bound: RouteSegmentMetrics,
        lists: tuple[list[Ranked], list[Ranked]],
        texts: Texts | None = None,
    ) -> None:
        """:meth:`record` for answers already read by :func:`rank` (large ones, in a thread)."""
        old_lists, new_lists = lists
        for index, (old, new) in enumerate(zip(old_lists, new_lists, strict=True)):
            self._query(search, bound, index, old, new, texts)
        if self.coverage is not None:
            k = search.route.k
            ids = tuple(dict.fromkeys(i for old in old_lists for i in old.ids[:k]))
            if ids:
                self.coverage(search, ids, bound)

    def _query(
        self,
        search: Compared,
        bound: RouteSegmentMetrics,
        index: int,
        old: Ranked,
        new: Ranked,
        texts: Texts | None = None,
    ) -> None:
        k = search.route.k
        scored = len(old.scores) == len(old.ids) and len(new.scores) == len(new.ids)
        if not scored:  # ids alone (an answer without scores): figures that need no score
            old, new = Ranked(old.ids, ()), Ranked(new.ids, ())
        result = compare(
            old.ids,
            new.ids,
            k,
            self.comparison.rbo_p,
            old.scores if scored else None,
            new.scores if scored else None,
        )
        bound.overlap.observe(result.overlap)
        bound.overlap_squares.inc(result.overlap * result.overlap)
        bound.jaccard.observe(result.jaccard)
        bound.rbo.observe(result.rbo)
        bound.rbo_squares.inc(result.rbo * result.rbo)
        if result.kendall_tau is not None:
            bound.kendall_tau.observe(result.kendall_tau)
            bound.kendall_tau_shifted.inc(1.0 + result.kendall_tau)
            bound.kendall_tau_squares.inc(result.kendall_tau * result.kendall_tau)
        if result.top1_agree:
            bound.top1_agree.inc()
        _observe_scores(bound.score_old_top1, bound.score_old_topk, old.scores, k)
        _observe_scores(bound.score_new_top1, bound.score_new_topk, new.scores, k)
        thresholds = self.thresholds()
        if thresholds.document is not None and new.scores:
            band = thresholds.document.score_band_for(search.segment)
            if band is not None:
                top1 = new.scores[0]
                position = (
                    "below"
                    if top1 < band.top1.p01
                    else "above"
                    if top1 > band.top1.p99
                    else "within"
                )
                bound.score_band[position].inc()
        if thresholds.active and scored:
            _observe_thresholds(bound, thresholds, search.segment, old.scores[:k], new.scores[:k])
        if self.examples is not None:
            self.examples.offer(
                Example(
                    route=search.route.name,
                    segment=search.segment,
                    query_index=index,
                    rbo=result.rbo,
                    overlap=result.overlap,
                    kendall_tau=result.kendall_tau,
                    request_body=search.body,
                    old_ids=old.ids[:k],
                    old_scores=old.scores[:k],
                    new_ids=new.ids[:k],
                    new_scores=new.scores[:k],
                    texts=self._texts(texts, search.segment, result.rbo, index),
                    thresholds=tuple(t for t in search.thresholds if t.query in (None, index)),
                )
            )

    def _texts(
        self, texts: Texts | None, segment: str, rbo: float, index: int
    ) -> ExampleTexts | None:
        """Query ``index``'s texts, read only when it enters the divergent set now."""
        if texts is None or self.examples is None or not self.examples.wants(segment, rbo):
            return None
        found = texts()
        return None if found is None or index >= len(found) else found[index]


def rank(search: Compared, old_body: bytes, new_body: bytes) -> tuple[list[Ranked], list[Ranked]]:
    """Both answers read into ranked lists: pure, so a large answer is read in a thread.

    UnparseableResponseError when either cannot be read or they hold different numbers of
    queries.
    """
    old_lists = search.adapter.rankings(parse_json_body(old_body))
    new_lists = search.adapter.rankings(parse_json_body(new_body))
    if len(old_lists) != len(new_lists):
        msg = f"{len(old_lists)} vs {len(new_lists)} query lists (old vs new)"
        raise UnparseableResponseError(msg)
    return old_lists, new_lists


def _observe_thresholds(
    bound: RouteSegmentMetrics,
    thresholds: ThresholdsInForce,
    segment: str,
    old_scores: tuple[float, ...],
    new_scores: tuple[float, ...],
) -> None:
    """Accepted counts per side, and an abstain flip when exactly one side keeps nothing."""
    old_t, new_t = thresholds.old_for(segment), thresholds.new_for(segment)
    kept_old = kept_new = None
    if old_t is not None:
        kept_old = accepted(old_scores, old_t)
        bound.accepted_old.observe(kept_old)
    if new_t is not None:
        kept_new = accepted(new_scores, new_t)
        bound.accepted_new.observe(kept_new)
    if kept_old is not None and kept_new is not None and (kept_old == 0) != (kept_new == 0):
        (bound.flips_old_empty if kept_old == 0 else bound.flips_new_empty).inc()


def _observe_scores(top1: Any, topk: Any, scores: tuple[float, ...], k: int) -> None:
    if scores:
        top1.observe(scores[0])
    if len(scores) >= k:
        topk.observe(scores[k - 1])
