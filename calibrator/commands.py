"""The batch side's subcommands: one :class:`Command` each, joined through one entry point each.

``embedshift`` (:mod:`proxy.cli`) finds every subcommand in the ``embedshift.commands``
entry-point group of pyproject.toml and calls its ``register(subparsers)``; here each entry
names the ``register`` of a :class:`Command` below. A command is its name, the extra it needs,
where its arguments are declared and where its handler lives. Registering imports only the
arguments' module, which imports nothing beyond the standard library and :mod:`proxy` at
module level, so ``embedshift --help`` and ``embedshift serve`` load no numpy, faiss or rich,
and work when only the core distribution is installed.

Running a command first checks that its extra is installed (from the distribution's own
metadata, so pyproject.toml is the one list); when it is not, the command stops with
``embedshift: <command> needs the <extra> extra: pip install 'embedshift[<extra>]'`` and exit
status 2, before anything is imported. May import :mod:`proxy` and :mod:`calibrator.errors`.
"""

from __future__ import annotations

import argparse
import importlib
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from calibrator.errors import MissingExtraError

DISTRIBUTION = "embedshift"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]*)\])?")
_EXTRA = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _load(path: str) -> Any:
    """The object at ``module:attribute``."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def requirements(extra: str) -> list[str]:
    """The distributions ``extra`` installs, from the installed metadata (nested extras too)."""
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:  # a source tree that is not installed: nothing known
        return []
    by_extra: dict[str, list[tuple[str, list[str]]]] = {}
    for line in declared:
        requirement, _, marker = line.partition(";")
        found, match = _EXTRA.search(marker), _NAME.match(requirement)
        if found is None or match is None:
            continue
        nested = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
        by_extra.setdefault(found.group(1), []).append((match.group(1), nested))
    names: list[str] = []
    todo, seen = [extra], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for name, nested in by_extra.get(current, []):
            if name.lower() == DISTRIBUTION:
                todo.extend(nested)
            elif name not in names:
                names.append(name)
    return names


def missing(extra: str) -> list[str]:
    """The distributions of ``extra`` that are not installed."""
    absent = []
    for name in requirements(extra):
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            absent.append(name)
    return absent


@dataclass(frozen=True)
class Command:
    """One subcommand: name, extra, arguments (``module:function``), handler, help texts."""

    name: str
    extra: str
    arguments: str  # add_arguments(parser); its module imports only stdlib and proxy
    handler: str  # handler(args) -> exit status; imported once the extra is known present
    help: str
    description: str | None = None

    def register(self, subparsers: Any) -> None:
        """Add the subcommand (the ``embedshift.commands`` entry point calls this)."""
        parser = subparsers.add_parser(
            self.name, help=self.help, description=self.description or self.help
        )
        _load(self.arguments)(parser)
        parser.set_defaults(handler=self.run)

    def run(self, args: argparse.Namespace) -> int:
        """Check the extra, then import and call the handler."""
        if missing(self.extra):
            raise MissingExtraError(
                f"{self.name} needs the {self.extra} extra: "
                f"pip install '{DISTRIBUTION}[{self.extra}]'"
            )
        status: int = _load(self.handler)(args)
        return status


calibrate = Command(
    "calibrate",
    "calibrator",
    "calibrator.run.command:add_calibrate_arguments",
    "calibrator.run.command:calibrate_command",
    "calibrate per-segment thresholds from labelled samples and publish them",
    "Calibrate per-segment similarity thresholds for the new model from labelled queries and "
    "publish them as a versioned thresholds document. Options override the config's "
    "[calibrator] section. Exit status: 0 published, 3 published but some segment has no "
    "threshold that meets the policy, 1 failed (nothing published), 2 bad options or config.",
)
worker = Command(
    "worker",
    "calibrator",
    "calibrator.run.command:add_worker_arguments",
    "calibrator.run.worker:worker_command",
    "run the calibrator worker: recalibrate whenever the inputs change",
    "Rounds of calibration for one config file until SIGTERM: each round recalibrates when "
    "the labelled inputs, the model or the settings changed, publishes, and writes the "
    "status JSON. `embedshift serve` runs it as `python -m calibrator worker` unless "
    "[calibrator].worker_in_serve is false.",
)
reembed = Command(
    "reembed",
    "batch",
    "calibrator.reembed.command:add_reembed_arguments",
    "calibrator.reembed.run:reembed_command",
    "re-embed a corpus through an OpenAI-compatible API, resumably",
    "Embed every chunk of a JSONL source with the new model. Resumable exactly after any "
    "crash (rerun the same command), rate-limited, retried, shardable (--shard I/N) for a "
    "Kubernetes Indexed Job.",
)
merge = Command(
    "merge",
    "batch",
    "calibrator.reembed.command:add_merge_arguments",
    "calibrator.reembed.merge:merge_command",
    "merge sharded reembed outputs, checking they cover the source exactly once",
    "Merge the outputs of `reembed --shard I/N` into one, in source order, after checking that "
    "every part is finished, comes from this source and one model, and that every chunk is in "
    "exactly one part.",
)
sample = Command(
    "sample",
    "batch",
    "calibrator.sample.stratified:add_arguments",
    "calibrator.sample.stratified:run",
    "a stratified, reproducible random sample of a JSONL file (streaming)",
    "A stratified random sample of a JSONL file by one field: proportional to each stratum "
    "with a floor per stratum, the same for the same seed, files larger than memory included.",
)
inventory = Command(
    "inventory",
    "inventory",
    "calibrator.inventory.command:add_arguments",
    "calibrator.inventory.command:run",
    "find hardcoded similarity thresholds in code, config and databases",
    "Find every place a similarity score is compared with, or configured as, a fixed value: "
    "Python, JavaScript/TypeScript, TOML/YAML/JSON/INI/.env, SQL files and live databases.",
)
demo = Command(
    "demo",
    "demo",
    "calibrator.demo.command:add_arguments",
    "calibrator.demo.command:demo_command",
    "run the whole migration on an embedded default (offline, about half a minute)",
    "Two search backends over a generated corpus embedded by two models that rank as "
    "differently as real ones, the sidecar in front of them (embedshift serve, with its "
    "calibrator worker), labelled traffic, the gate and automatic promotion, shown live; then "
    "a summary that says why. About half a minute (flipped after 18-35 s on a 2-core machine). "
    "Exit status: 0 flipped; 1 the migration did not complete (the gate refused the new index, "
    "promotion rolled back, or no decision within --duration); 2 a wrong option or a part "
    "could not start; 130 interrupted.",
)
