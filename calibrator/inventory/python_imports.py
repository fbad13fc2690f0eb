"""Which known libraries a Python file imports, and which library a finding belongs to."""

from __future__ import annotations

import ast

from calibrator.inventory.names import library_of_module, words
from calibrator.inventory.python_exprs import call_name, root_name
from calibrator.inventory.python_walk import walk
from calibrator.inventory.vocabulary import (
    KNOWN_KEYWORDS,
    LEXICAL_CONTEXTS,
    LIBRARY_CALLS,
    STRING_SOURCES,
)


class Imports:
    """Local names bound by imports of known libraries (``QdrantClient`` -> qdrant-client)."""

    def __init__(self) -> None:
        """Start with no imports seen."""
        self.names: dict[str, str] = {}
        self.imported: set[str] = set()  # every name a `from m import name` binds
        self.string_names: set[str] = set()  # names bound to string-similarity libraries
        self.lexical_names: set[str] = set()  # TF-IDF and BM25 builders (`TfidfVectorizer`)
        self.builds_models = True  # whether a class may build a classifier (the text says)
        self.own_classes: set[str] = set()  # classes of this package: defined here, imported
        self.package = ""  # the first folder of the file's path: its top-level package
        self.annotated: set[str] = set()  # own classes read through annotated parameters
        self.aliases: dict[str, str] = {}  # `from m import f as g`: g -> f

    def scan(self, tree: ast.Module, path: str = "") -> None:
        """Record the module's import statements (also under ``if`` and ``try``).

        ``path`` (relative to the scanned root) names the file's top-level package: what is
        imported from it (``from WhoSpoke.config import FaceConfig``), or relatively, is the
        package's own, as are the module's own classes.
        """
        self.package = path.split("/", 1)[0] if "/" in path else ""
        self.own_classes.update(s.name for s in tree.body if isinstance(s, ast.ClassDef))
        pending: list[ast.stmt] = list(tree.body)
        while pending:  # module-level statements, in `if` and `try` too; not in functions
            node = pending.pop()
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.record(node)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for name in ("body", "orelse", "finalbody"):
                    pending.extend(getattr(node, name, ()))
                for handler in getattr(node, "handlers", ()):
                    pending.extend(handler.body)

    def scan_lazy_lexical(self, tree: ast.Module) -> None:
        """Record the TF-IDF and BM25 builders functions import for themselves.

        ``def _sklearn_matrix(texts): from sklearn.feature_extraction.text import
        TfidfVectorizer``: an optional dependency imported where it is used still makes the
        module's cosines lexical. The scanner calls this only where the text names one.
        """
        for node in walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import) and node.col_offset > 0:
                self.lexical_names.update(
                    a.asname or a.name for a in node.names if set(words(a.name)) & LEXICAL_CONTEXTS
                )

    def only_library(self) -> str | None:
        """The file's one known library, when it imports exactly one."""
        libraries = set(self.names.values())
        return libraries.pop() if len(libraries) == 1 else None

    def record(self, node: ast.Import | ast.ImportFrom) -> None:
        """Remember the names an import statement binds, when its module is known."""
        if isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
        else:
            modules = [alias.name for alias in node.names]
        if any(set(words(m)) & STRING_SOURCES for m in modules):
            self.string_names.update((a.asname or a.name).split(".")[0] for a in node.names)
        self.lexical_names.update(
            a.asname or a.name for a in node.names if set(words(a.name)) & LEXICAL_CONTEXTS
        )
        if isinstance(node, ast.ImportFrom):
            self.imported.update(alias.asname or alias.name for alias in node.names)
            self.aliases.update((a.asname, a.name) for a in node.names if a.asname)
            if node.level or (self.package and (node.module or "").split(".")[0] == self.package):
                self.own_classes.update(
                    alias.asname or alias.name for alias in node.names if alias.name[:1].isupper()
                )
            library = library_of_module(node.module or "")
            if library:
                for alias in node.names:
                    self.names[alias.asname or alias.name] = library
            return
        for alias in node.names:
            library = library_of_module(alias.name)
            if library:
                self.names[(alias.asname or alias.name).split(".")[0]] = library

    def library(self, call: ast.Call | None, name: str) -> str | None:
        """The library of a keyword ``name`` passed in ``call`` (or of a bare name).

        A call named for a library (``SimilarityPostprocessor``), a call on an imported name,
        a keyword known to one library that the file imports, or the file's only library.
        """
        if call is not None:
            called = call_name(call)
            if called in LIBRARY_CALLS:
                return LIBRARY_CALLS[called]
            root = root_name(call.func)
            if root in self.names:
                return self.names[root]
        known = KNOWN_KEYWORDS.get("_".join(words(name)))
        if known and known[2] in self.names.values():
            return known[2]
        libraries = set(self.names.values())
        return libraries.pop() if len(libraries) == 1 and call is not None else None
