"""The layout holds: no import cycles, and each part of the sidecar imports only what it declares.

What counts as an import: every ``import`` and ``from ... import`` statement of a module,
wherever it stands: at module level, inside a function (a lazy import), or under
``if TYPE_CHECKING:``. A lazy or type-only import is still a dependency a reader has to follow,
and hiding a cycle behind one keeps the cycle. ``from a.b import c`` is an edge to the module
``a.b.c`` when there is one, else to ``a.b``; relative imports are resolved.

- Cycles: the module graph of :mod:`proxy` and :mod:`calibrator` has none, and neither has the
  graph of their parts (``proxy.shadow``, ``calibrator.maths``: a package directly under the
  root, or a module directly in it).
- Boundaries: every part of :mod:`proxy` declares in its docstring (the package's
  ``__init__``, or the module's own) a line ``May import: proxy.x, proxy.y.`` (or ``nothing of
  proxy``); each import of another part must be declared. :mod:`proxy` never imports
  :mod:`calibrator` nor the batch side's heavy libraries, statically or at run time.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN_IN_PROXY = frozenset(
    {"calibrator", "numpy", "faiss", "matplotlib", "rich", "tree_sitter", "yaml", "psycopg",
     "psycopg2"}
)  # fmt: skip
"""The batch side and its heavy libraries: the sidecar installs and imports none of them."""
LOADED_BY_DEPENDENCIES = frozenset({"rich"})
"""structlog imports rich when it is installed (pretty tracebacks): here it is, for the batch
side; a sidecar-only install has none. The static check still forbids proxy to import it."""

Graph = dict[str, set[str]]


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of ``packages`` under ``root``: dotted name to file."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported_names(name: str, path: Path) -> set[str]:
    """Every module name an import statement of ``path`` names (resolved, not yet filtered)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            out.add(source)
            out.update(f"{source}.{alias.name}" for alias in node.names)
    return out


def import_graph(known: Mapping[str, Path]) -> Graph:
    """Module to the modules of ``known`` it imports (see the module docstring for the rule)."""
    graph: Graph = {}
    for name, path in known.items():
        edges: set[str] = set()
        for imported in imported_names(name, path):
            target = imported
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                edges.add(target)
        graph[name] = edges
    return graph


def part_of(module: str) -> str:
    """``proxy.shadow.mirror`` -> ``proxy.shadow``; ``proxy.errors`` -> itself."""
    return ".".join(module.split(".")[:2])


def part_graph(graph: Graph) -> Graph:
    """The graph of parts: an edge where some module of one imports some module of another."""
    parts: Graph = {}
    for module, targets in graph.items():
        edges = parts.setdefault(part_of(module), set())
        edges.update(part_of(t) for t in targets if part_of(t) != part_of(module))
    return parts


def find_cycle(graph: Graph) -> list[str] | None:
    """One cycle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def declared_imports(path: Path) -> set[str] | None:
    """The parts a docstring's ``May import:`` line allows, or None when it has no such line."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.search(r"^May import:(.*?)(?:\n\s*\n|\Z)", doc, re.MULTILINE | re.DOTALL)
    if match is None:
        return None
    text = match.group(1)
    if text.strip().startswith("nothing"):
        return set()
    return set(re.findall(r"\bproxy(?:\.[a-z_]+)*", text))


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The import graph of proxy and calibrator as they are in this checkout."""
    return import_graph(modules(ROOT, ("proxy", "calibrator")))


def test_no_module_imports_itself_back(graph):
    """No chain of imports between modules of proxy or calibrator leads back where it started."""
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_no_part_imports_itself_back(graph):
    """No chain of imports between the parts (packages) leads back where it started."""
    cycle = find_cycle(part_graph(graph))
    assert cycle is None, "import cycle between parts: " + " -> ".join(cycle or [])


def test_every_part_of_proxy_imports_only_what_it_declares(graph):
    """Each import of another part of proxy is named on the importer's ``May import:`` line."""
    known = modules(ROOT, ("proxy",))
    parts = {part_of(m) for m in known}
    problems: list[str] = []
    allowed: dict[str, set[str]] = {}
    for part in sorted(parts):
        path = known[part]
        declared = declared_imports(path)
        if declared is None:
            problems.append(f"{path.relative_to(ROOT)}: no 'May import:' line in the docstring")
            continue
        problems += [f"{part} declares {d}, which is no part" for d in declared - parts]
        allowed[part] = declared
    for module, targets in sorted(graph.items()):
        if module.split(".")[0] != "proxy" or part_of(module) not in allowed:
            continue
        for target in sorted(targets):
            part = part_of(target)
            if part != part_of(module) and part not in allowed[part_of(module)]:
                problems.append(f"{module} imports {target}: {part} is not declared")
    assert problems == []


def test_proxy_never_names_the_batch_side():
    """No import statement of proxy, lazy ones included, names calibrator or a heavy library."""
    problems = [
        f"{name} imports {target}"
        for name, path in modules(ROOT, ("proxy",)).items()
        for target in sorted(imported_names(name, path))
        if target.split(".")[0] in FORBIDDEN_IN_PROXY
    ]
    assert problems == []


def test_the_check_sees_lazy_and_type_only_imports(tmp_path):
    """A cycle closed by a function-level import and a TYPE_CHECKING import is found."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg import b\n    return b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\n"
    )
    cycle = find_cycle(import_graph(modules(tmp_path, ("pkg",))))
    assert cycle == ["pkg.a", "pkg.b", "pkg.a"]


IMPORT_ALL = """
import importlib, pkgutil, sys
import proxy
for info in pkgutil.walk_packages(proxy.__path__, "proxy."):
    if info.name != "proxy.__main__":
        importlib.import_module(info.name)
heavy = {heavy!r}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""

BUILD_CLI = """
import sys
import proxy.cli
proxy.cli.build_parser()
heavy = {heavy!r}
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in heavy)))
"""


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    )
    return result.stdout.strip()


def test_importing_every_proxy_module_loads_no_heavy_library():
    """At run time too: importing every module of proxy loads none of the batch side."""
    heavy = set(FORBIDDEN_IN_PROXY - LOADED_BY_DEPENDENCIES)
    assert _run(IMPORT_ALL.format(heavy=heavy)) == ""


def test_the_command_line_stays_light():
    """Building the CLI (every subcommand registered, calibrator's too) loads no heavy library."""
    heavy = set(FORBIDDEN_IN_PROXY - LOADED_BY_DEPENDENCIES - {"calibrator"})
    assert _run(BUILD_CLI.format(heavy=heavy)) == ""
