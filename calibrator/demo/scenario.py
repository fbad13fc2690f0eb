"""The demo's scenarios: what the new index holds, and what the run should end in.

- ``healthy`` (the default): the new index holds every document, embedded by the new model.
  The gate passes on labelled quality and index health; automatic promotion flips.
- ``broken-index``: the new index misses a quarter of each segment's documents (a re-embed
  that stopped at 75 %, a load job that died). The calibrator still publishes good labelled
  quality (its labelled sample is complete), but the old side's result ids are looked up in
  the new index and a quarter are missing: the gate fails ``new_index_coverage`` for every
  segment, automatic promotion never leaves shadow and clients are answered by the old index
  throughout.

Which documents go missing is decided by the corpus' seed, the same in every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Scenario:
    """One scenario: its name, what it shows and the share of documents the new index lacks."""

    name: str
    shows: str
    missing_share: float

    def new_index_rows(self, rows: Ints, seed: int) -> Ints:
        """The rows of one segment the new index holds, in their order.

        All but a random ``missing_share`` of them, drawn from ``seed``.
        """
        missing = round(self.missing_share * len(rows))
        if missing == 0:
            return rows
        dropped = np.random.default_rng([seed, 25]).choice(len(rows), size=missing, replace=False)
        kept: Ints = np.delete(rows, dropped)
        return kept


SCENARIOS = {
    s.name: s
    for s in (
        Scenario("healthy", "a good new index: the gate passes and promotion flips", 0.0),
        Scenario(
            "broken-index",
            "the new index misses a quarter of the corpus: the gate fails on index health",
            0.25,
        ),
    )
}
