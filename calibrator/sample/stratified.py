"""``embedshift sample``: a stratified random sample of a JSONL file, streaming and reproducible.

Strata are the values of one field (``--by segment``; lines without it form ``(missing)``).
Allocation is proportional with a floor: stratum h of N_h lines gets
``n_h = clamp(c * N_h, min(m, N_h), N_h)`` with ``c`` chosen so the n_h add up to ``--size``
(largest remainders settle the rounding, ties by stratum name), so small strata are not
starved and none is asked for more lines than it has.

Proportional allocation needs the stratum sizes, so the file is read twice:

1. a counting pass (memory: one counter per stratum), which also finds bad lines;
2. a reservoir pass: one Algorithm L reservoir of exactly n_h slots per stratum (Li, 1994:
   after the reservoir fills, it jumps ahead by a geometric number of lines instead of
   drawing a random number per line). Reservoirs hold line *offsets*, not lines, so memory
   is 8 bytes per sampled line whatever the lines' size, and nothing grows with the file.

The other design, one pass with a reservoir of ``--size`` slots per stratum and allocation at
the end, reads the file once but holds strata x size lines; reading twice is cheaper than
that for any file that fits on a disk. The chosen lines are written unchanged, in source
order, through a temporary file renamed into place. Each stratum draws from its own
generator seeded with ``"{seed}/{stratum}"``: the same seed and file give the same sample.
"""

from __future__ import annotations

import argparse
import json
import math
import random
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrator.reembed.errors import SourceError
from calibrator.reembed.source import Problems, json_lines
from proxy.errors import ConfigError
from proxy.files import atomic_output

MISSING = "(missing)"


@dataclass(frozen=True, slots=True)
class Stratum:
    """One stratum: its name, how many lines it has, how many were sampled."""

    name: str
    population: int
    sampled: int


def stratum_of(doc: Any, field: str) -> str:
    """The stratum a parsed line belongs to (strings as they are, other values as JSON)."""
    if not isinstance(doc, dict) or field not in doc:
        return MISSING
    value = doc[field]
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def allocate(populations: dict[str, int], size: int, minimum: int) -> dict[str, int]:
    """Proportional allocation of ``size`` with at least ``minimum`` per stratum (or all it has).

    Raises :class:`ConfigError` when the minimums alone exceed ``size``.
    """
    total = sum(populations.values())
    if size >= total:
        return dict(populations)
    floor = {h: min(minimum, n) for h, n in populations.items()}
    if sum(floor.values()) > size:
        raise ConfigError(
            f"--size {size} cannot give {len(populations)} strata at least {minimum} lines "
            "each: raise --size or lower --min-per-stratum"
        )

    def share(c: float) -> dict[str, float]:
        return {h: min(float(n), max(float(floor[h]), c * n)) for h, n in populations.items()}

    low, high = 0.0, 1.0
    for _ in range(100):  # sum(share(c)) rises with c from sum(floor) to total
        middle = (low + high) / 2
        low, high = (middle, high) if sum(share(middle).values()) < size else (low, middle)
    return _rounded(share(high), populations, floor, size)


def _rounded(
    exact: dict[str, float], populations: dict[str, int], floor: dict[str, int], size: int
) -> dict[str, int]:
    """Whole numbers near ``exact`` adding up to ``size``, by largest remainder."""
    counts = {h: min(populations[h], max(floor[h], math.floor(x))) for h, x in exact.items()}
    by_remainder = sorted(exact, key=lambda h: (-(exact[h] - math.floor(exact[h])), h))
    # Float error in the search can leave the integer sum a few units off either way.
    for h in by_remainder * 2:
        if sum(counts.values()) >= size:
            break
        if counts[h] < populations[h]:
            counts[h] += 1
    for h in list(reversed(by_remainder)) * 2:
        if sum(counts.values()) <= size:
            break
        if counts[h] > floor[h]:
            counts[h] -= 1
    return counts


def _open_unit(rng: random.Random) -> float:
    """Uniform in the open interval (0, 1): logarithms below need both ends excluded."""
    while True:
        u = rng.random()
        if u > 0.0:
            return u


class Reservoir:
    """Algorithm L: a uniform sample of ``k`` items from a stream of unknown length."""

    def __init__(self, k: int, rng: random.Random) -> None:
        """An empty reservoir of ``k`` slots drawing from ``rng``."""
        self.k = k
        self.rng = rng
        self.items: list[int] = []
        self.seen = 0
        self.w = 1.0
        self.next_at = 0

    def _jump(self) -> None:
        self.w *= math.exp(math.log(_open_unit(self.rng)) / self.k)
        if self.w <= 0.0:  # underflow after astronomically many items: no more replacements
            self.next_at = -1
            return
        gap = math.floor(math.log(_open_unit(self.rng)) / math.log1p(-self.w))
        self.next_at = self.seen + gap + 1

    def offer(self, item: int) -> None:
        """Consider the next item of the stream."""
        self.seen += 1
        if self.k == 0:
            return
        if len(self.items) < self.k:
            self.items.append(item)
            if len(self.items) == self.k:
                self._jump()
            return
        if self.seen == self.next_at:
            self.items[self.rng.randrange(self.k)] = item
            self._jump()


def _count(source: Path, field: str) -> tuple[Counter[str], int]:
    problems = Problems(source)
    counts: Counter[str] = Counter()
    for number, _raw, doc, bad_json in json_lines(source):
        if bad_json is None and doc is None:
            continue
        problem = bad_json or (None if isinstance(doc, dict) else "not a JSON object")
        if problem is not None:
            problems.add(number, problem)
            continue
        counts[stratum_of(doc, field)] += 1
    problems.raise_if_any("no sample was written")
    total = sum(counts.values())
    if total and counts[MISSING] == total:
        raise SourceError(f"{source}: no line has the field {field!r} (check --by)")
    return counts, total


def sample_file(
    source: Path, output: Path, field: str, size: int, seed: int, minimum: int = 1
) -> list[Stratum]:
    """Write a stratified sample of ``source`` to ``output``; the strata, largest first."""
    if size < 1 or minimum < 0:
        raise ConfigError("--size must be at least 1 and --min-per-stratum at least 0")
    populations, _ = _count(source, field)
    wanted = allocate(dict(populations), size, minimum)
    reservoirs = {h: Reservoir(k, random.Random(f"{seed}/{h}")) for h, k in wanted.items()}
    offset = 0
    for _number, raw, doc, _problem in json_lines(source):
        if doc is not None:
            reservoirs[stratum_of(doc, field)].offer(offset)
        offset += len(raw)
    chosen = sorted(o for r in reservoirs.values() for o in r.items)
    with atomic_output(output) as out, source.open("rb") as handle:
        for start in chosen:
            handle.seek(start)
            line = handle.readline()
            out.write(line if line.endswith(b"\n") else line + b"\n")
    strata = [Stratum(h, populations[h], len(r.items)) for h, r in reservoirs.items()]
    return sorted(strata, key=lambda s: (-s.population, s.name))


def format_strata(strata: list[Stratum]) -> str:
    """A small table: stratum, lines, sampled, share sampled."""
    width = max([len("stratum"), *(len(s.name) for s in strata)])
    rows = [f"{'stratum':<{width}}  {'lines':>10}  {'sampled':>8}  {'share':>7}"]
    for s in strata:
        share = s.sampled / s.population if s.population else 0.0
        rows.append(f"{s.name:<{width}}  {s.population:>10,}  {s.sampled:>8,}  {share:>7.2%}")
    total = sum(s.population for s in strata)
    sampled = sum(s.sampled for s in strata)
    rows.append(f"{'total':<{width}}  {total:>10,}  {sampled:>8,}")
    return "\n".join(rows)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``sample`` options."""
    add = parser.add_argument
    add("--source", type=Path, required=True, help="JSONL file, one object per line")
    add("--by", required=True, help="the field whose values are the strata (e.g. segment)")
    add("--size", type=int, required=True, help="lines in the sample")
    add("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    add("--min-per-stratum", type=int, default=1, help="floor per stratum (default: 1)")
    add("--output", type=Path, required=True, help="where the sample goes (JSONL)")


def run(args: argparse.Namespace) -> int:
    """``embedshift sample``: sample, write, print the strata."""
    try:
        strata = sample_file(
            args.source, args.output, args.by, args.size, args.seed, args.min_per_stratum
        )
    except OSError as e:  # an output folder that does not exist, a full disk...
        raise SourceError(f"{e.filename or 'a file'}: {e.strerror or e}") from e
    print(format_strata(strata))  # noqa: T201 - the command's output
    print(f"wrote {sum(s.sampled for s in strata):,} lines to {args.output}")  # noqa: T201
    return 0
