"""The inventory's benchmark: pinned real packages, their hand-reviewed thresholds, the scoring.

``corpus_expected.toml`` names the packages and versions, which were used to develop the
rules and which were held out, every threshold in them, the near misses that must not be
reported, and the few numbers left out of the count. The packages are fetched with ``pip
download --no-deps`` (wheels only, nothing installed or run) and unzipped under
``.ci-cache/inventory-corpus/NAME-VERSION`` (``$EMBEDSHIFT_CI_CACHE`` moves ``.ci-cache``).
Used by ``test_corpus.py`` and ``bench/inventory_packages.py``; ``python -m
tests.calibrator.inventory.benchmark`` (the standard library is enough) only fetches.

The tests score the packages held to the bar (:data:`HELD_TO_THE_BAR`, 25 packages) unless
``EMBEDSHIFT_CORPUS=all`` asks for every package (the later batches' floors too: about four
minutes of one core's scanning, which on CI's two busy cores did not fit its 15 minutes beside
the rest of the suite). Whoever changes the inventory's rules or the list runs the whole corpus
(docs/development.md); ``bench/inventory_packages.py`` always reports every package.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
EXPECTED = HERE / "corpus_expected.toml"
CACHE = Path(os.environ.get("EMBEDSHIFT_CI_CACHE", ROOT / ".ci-cache")) / "inventory-corpus"
ARTICLE_GREP = (
    'grep -rn "similarity\\|\\.score\\|threshold\\|cutoff" . --include="*.py"'
    ' | grep -E "[0-9]\\.[0-9]{2}" | grep -v "test_"'
)
"""The article's pipeline as printed there (``.`` for its ``src/``)."""
_GREP_ROW = re.compile(r"(.+?):(\d+):")

Key = tuple[str, int, float]  # path, line, value

HELD_TO_THE_BAR = ("development", "held-out", "held-out-2")
"""Roles whose packages must reach precision and recall of 0.9."""
CORPUS_VAR = "EMBEDSHIFT_CORPUS"
"""``bar`` (the default): the tests score the packages held to the bar; ``all``: every one."""


class FetchError(Exception):
    """A pinned package could not be downloaded (no registry, or no such release)."""


def expectations() -> dict[str, Any]:
    """The hand-reviewed benchmark, as parsed from ``corpus_expected.toml``."""
    return tomllib.loads(EXPECTED.read_text())


def whole_corpus() -> bool:
    """Whether the tests score every package (``EMBEDSHIFT_CORPUS=all``) or those held to the bar.

    Raises ValueError naming the variable for any other value.
    """
    chosen = os.environ.get(CORPUS_VAR, "bar")
    if chosen not in ("bar", "all"):
        msg = f"{CORPUS_VAR}={chosen!r}: use bar (the packages held to the bar, the default) or all"
        raise ValueError(msg)
    return chosen == "all"


def chosen_packages(expected: dict[str, Any]) -> dict[str, str]:
    """The pinned packages the tests score (:func:`whole_corpus`): name to version."""
    packages: dict[str, str] = expected["packages"]
    if whole_corpus():
        return dict(packages)
    return {n: v for n, v in packages.items() if expected["roles"][n] in HELD_TO_THE_BAR}


def fetch(name: str, version: str) -> Path:
    """The unpacked wheel of ``name==version``, downloaded once into the cache.

    Under a lock of its own (``.NAME-VERSION.lock``): pytest-xdist workers fetch the same
    package at the same time, and one must never replace a folder another is reading.
    """
    target = CACHE / f"{name}-{version}"
    if target.is_dir():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f".{name}-{version}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.is_dir():  # another worker fetched it while this one waited
            return target
        _download(name, version, target)
    return target


def fetch_all(packages: dict[str, str]) -> dict[str, Path]:
    """Every pinned package's unpacked wheel, those not yet cached downloaded in one go.

    A few ``pip download`` processes for all the missing ones, side by side (a pip per package
    costs a second or more of start-up each: minutes for a hundred packages on a clean cache);
    any they did not bring is fetched alone, which names the package that cannot be had.
    """
    missing = {n: v for n, v in packages.items() if not (CACHE / f"{n}-{v}").is_dir()}
    if missing:
        CACHE.mkdir(parents=True, exist_ok=True)
        with (CACHE / ".all.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            missing = {n: v for n, v in missing.items() if not (CACHE / f"{n}-{v}").is_dir()}
            if missing:
                _download_together(missing)
    return {name: fetch(name, version) for name, version in packages.items()}


DOWNLOADS = 3
"""pip processes that download at once: each waits on the index most of the time (a second or
so per package, one after another), so a few side by side take a fraction of the time; not
more, as CI downloads beside its other installs (six finished with the slowest of them)."""


def _download_together(packages: dict[str, str]) -> None:
    """Download the wheels of ``packages`` with a few pips side by side and unpack each."""
    with tempfile.TemporaryDirectory(dir=CACHE) as temp:
        pins = [f"{name}=={version}" for name, version in packages.items()]
        shares = [pins[i::DOWNLOADS] for i in range(DOWNLOADS) if pins[i::DOWNLOADS]]
        folders = [Path(temp, f"wheels{i}") for i in range(len(shares))]
        running = [
            subprocess.Popen(
                _pip_download(folder, share),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for folder, share in zip(folders, shares, strict=True)
        ]
        for process in running:
            try:
                process.wait(timeout=1800)
            except subprocess.TimeoutExpired:
                process.kill()  # what it did not bring is fetched alone below, with its error
                process.wait()
        wheels = {_wheel_key(w.name): w for f in folders for w in f.glob("*.whl")}
        for name, version in packages.items():
            wheel = wheels.get((_normalized(name), version))
            if wheel is not None:
                _unpack(wheel, CACHE / f"{name}-{version}", Path(temp))


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _wheel_key(filename: str) -> tuple[str, str]:
    """``(name, version)`` of a wheel's file name (``openspg_kag-0.8.0-py3-none-any.whl``)."""
    name, version = filename.split("-")[:2]
    return _normalized(name), version


def _pip_download(dest: Path, pins: list[str]) -> list[str]:
    """The pip command that downloads the wheels of ``pins`` into ``dest``, nothing else.

    Whatever Python a release requires (``agent-memory-server`` wants 3.12): its wheel is only
    read here, never installed or run.
    """
    return [
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
        "--ignore-requires-python", "--dest", str(dest), *pins,
    ]  # fmt: skip


def _download(name: str, version: str, target: Path) -> None:
    """Download and unpack the wheel into ``target``, whole or not at all."""
    with tempfile.TemporaryDirectory(dir=CACHE) as temp:
        download = Path(temp, "wheel")
        command = _pip_download(download, [f"{name}=={version}"])
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        wheels = sorted(download.glob("*.whl"))
        if done.returncode != 0 or not wheels:
            message = f"cannot download {name}=={version}: {done.stderr.strip()[-300:]}"
            raise FetchError(message)
        _unpack(wheels[0], target, Path(temp))


def _unpack(wheel: Path, target: Path, temp: Path) -> None:
    """Unpack ``wheel`` into ``target``, whole or not at all (through ``temp``, beside it)."""
    unpacked = temp / f"unpacked-{target.name}"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(unpacked)
    shutil.rmtree(target, ignore_errors=True)
    unpacked.rename(target)


@dataclass
class Score:
    """One package's figures: what the inventory (and the article's grep) found of the list."""

    package: str
    role: str
    expected: set[Key]
    reported: set[Key] = field(default_factory=set)
    near_misses_reported: set[Key] = field(default_factory=set)
    grep_printed: set[tuple[str, int]] = field(default_factory=set)

    @property
    def hits(self) -> set[Key]:
        """Reported thresholds that are on the list."""
        return self.reported & self.expected

    @property
    def precision(self) -> float | None:
        """Share of reports that are thresholds (``None``: nothing reported)."""
        return len(self.hits) / len(self.reported) if self.reported else None

    @property
    def recall(self) -> float | None:
        """Share of thresholds reported (``None``: the package has none)."""
        return len(self.hits) / len(self.expected) if self.expected else None

    @property
    def grep_hits(self) -> set[Key]:
        """Thresholds whose line the grep pipeline prints."""
        return {k for k in self.expected if k[:2] in self.grep_printed}

    @property
    def grep_precision(self) -> float | None:
        """Share of printed lines that hold a threshold."""
        lines = {k[:2] for k in self.grep_hits}
        return len(lines) / len(self.grep_printed) if self.grep_printed else None

    @property
    def grep_recall(self) -> float | None:
        """Share of thresholds whose line is printed."""
        return len(self.grep_hits) / len(self.expected) if self.expected else None


def entries_of(entries: list[dict[str, Any]], package: str) -> set[Key]:
    """One package's entries of a list (thresholds, near misses, ignored) as (path, line, value)."""
    return {(e["path"], e["line"], float(e["value"])) for e in entries if e["package"] == package}


def score(
    package: str, root: Path, expected: dict[str, Any], *, grep: bool = True, jobs: int = 2
) -> Score:
    """Scan one unpacked package at the default confidence and score it against the list.

    ``jobs``: scan processes (the tests use one: their workers already share the cores, and a
    pool per package costs more than it saves there).
    """
    # imported here: fetching (`python -m tests.calibrator.inventory.benchmark`) needs only
    # the standard library, so CI can fetch beside the installs, before the project's venv
    from calibrator.inventory.findings import MEDIUM, dedupe
    from calibrator.inventory.walk import collect, scan_sources

    ignored = entries_of(expected.get("ignored", []), package)
    result = scan_sources(collect([root]), jobs=jobs)
    reported = {
        (f.path, f.line, f.value)
        for f in dedupe([f for f in result.findings if f.confidence >= MEDIUM])
        if f.line is not None
    } - ignored
    found = Score(
        package,
        expected["roles"][package],
        entries_of(expected["threshold"], package),
        reported,
        reported & entries_of(expected.get("near_miss", []), package),
    )
    if grep:
        grep_all([found], {package: root}, expected)
    return found


def grep_all(scores: list[Score], roots: dict[str, Path], expected: dict[str, Any]) -> None:
    """The article's grep (:data:`ARTICLE_GREP`) over every package, its lines given to each score.

    The pipeline's first ``grep -r`` over all the folders in one process (a pipeline per
    package cost a second of process start-ups per thirty packages), then its two filters on
    each line as a run of the whole pipeline in the package's own folder prints it
    (``./path:N:text``): a version number in a folder's name is no line's number. The lines
    are those of the pipeline run package by package (checked on all 1,076 packages).
    """
    search = ARTICLE_GREP.split(" | ", 1)[0].replace(" . --include", " --include", 1)
    by_root: dict[Path, list[Score]] = {}
    for s in scores:
        by_root.setdefault(roots[s.package].parent, []).append(s)
    for parent, group in by_root.items():
        folders = " ".join(shlex.quote(roots[s.package].name) for s in group)
        out = subprocess.run(
            ["bash", "-c", f"{search} {folders}"],
            cwd=parent, capture_output=True, text=True, check=False, timeout=600,
            errors="surrogateescape",
        ).stdout  # fmt: skip
        printed: dict[str, set[tuple[str, int]]] = {}
        for row in out.split("\n"):  # a printed line may hold a lone "\r" of its file
            folder, _, rest = row.partition("/")
            shown = f"./{rest}"  # as the package's own run prints it
            line = _GREP_ROW.match(shown)
            if line is not None and _GREP_FILTER.search(shown) and "test_" not in shown:
                printed.setdefault(folder, set()).add((line[1].removeprefix("./"), int(line[2])))
        for s in group:
            ignored = entries_of(expected.get("ignored", []), s.package)
            s.grep_printed |= printed.get(roots[s.package].name, set()) - {k[:2] for k in ignored}


_GREP_FILTER = re.compile(r"[0-9]\.[0-9]{2}")
"""The pipeline's second step (``grep -E "[0-9]\\.[0-9]{2}"``)."""


def score_all(roots: dict[str, Path], *, processes: int = 2) -> list[Score]:
    """:func:`score` of every package, in ``roots``' order, on a pool of scan processes.

    One pool for all the packages (not one per package): each process reads the list once,
    and takes the packages a few at a time. The session's scan in the tests is the longest
    step of CI; on two cores it is no longer the one step left running alone.
    """
    context = multiprocessing.get_context("spawn")  # a test worker's threads are not forked
    with ProcessPoolExecutor(processes, mp_context=context, initializer=_load_list) as pool:
        scores = list(pool.map(_score_one, roots.items(), chunksize=4))
    grep_all(scores, roots, expectations())
    return scores


_LIST: dict[str, Any] = {}
"""The list, as each pool process read it (:func:`_load_list`)."""


def _load_list() -> None:
    _LIST.update(expectations())


def _score_one(item: tuple[str, Path]) -> Score:
    return score(item[0], item[1], _LIST, grep=False, jobs=1)


def total(scores: list[Score], role: str | None = None) -> Score:
    """All packages' figures (or one role's) as one score."""
    chosen = [s for s in scores if role is None or s.role == role]
    merged = Score("all" if role is None else role, role or "all", set())
    for s in chosen:
        merged.expected |= {(f"{s.package}/{p}", line, v) for p, line, v in s.expected}
        merged.reported |= {(f"{s.package}/{p}", line, v) for p, line, v in s.reported}
        merged.near_misses_reported |= {
            (f"{s.package}/{p}", line, v) for p, line, v in s.near_misses_reported
        }
        merged.grep_printed |= {(f"{s.package}/{p}", line) for p, line in s.grep_printed}
    return merged


if __name__ == "__main__":  # fetch the packages the tests score into the cache (CI does, first)
    fetched = fetch_all(chosen_packages(expectations()))
    print(f"{len(fetched)} packages in {CACHE}")
