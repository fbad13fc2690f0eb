"""Where a value sits in a document being validated, and the error that names it.

The one validation helper of both documents embedshift reads: the config file (TOML, keys
rendered as ``[shadow].sample_rate`` or ``[[routes]] #2.k``, with the line when the text shows
it; :class:`~proxy.errors.ConfigError`) and the thresholds document (JSON, keys rendered as
``segments.docs.threshold``; :class:`~proxy.errors.ThresholdsError`). Every message reads
``<file>: <key> <what was expected>``. Stdlib only, like the thresholds contract that uses it.
"""

from __future__ import annotations

import re
from typing import Literal

from proxy.errors import ConfigError, EmbedshiftError

Style = Literal["toml", "json"]


class Where:
    """The key being read: renders it for messages and finds its line in the text (TOML)."""

    def __init__(
        self,
        source: str,
        text: str = "",
        table: tuple[str, ...] = (),
        *,
        style: Style = "toml",
        error: type[EmbedshiftError] = ConfigError,
    ) -> None:
        """``source`` names the file; ``text`` (TOML) is searched for line numbers.

        ``table`` is the path to the current table (``#N`` parts index arrays of tables);
        ``error`` is the exception class :meth:`error` builds.
        """
        self.source = source
        self.text = text
        self.table = table
        self.style: Style = style
        self.error_type = error

    @classmethod
    def json(cls, source: str, error: type[EmbedshiftError]) -> Where:
        """The top of a JSON document read from ``source``; problems raise ``error``."""
        return cls(source, style="json", error=error)

    def child(self, name: str) -> Where:
        """The table (or object) ``name`` under this one."""
        return Where(
            self.source,
            self.text,
            (*self.table, name),
            style=self.style,
            error=self.error_type,
        )

    def key(self, name: str | None = None) -> str:
        """Render the key as written in messages: ``[shadow].sample_rate``, ``segments.docs``."""
        if self.style == "json":
            path = ".".join(self.table if name is None else (*self.table, name))
            return path or "the document"
        first = next((i for i, p in enumerate(self.table) if p.startswith("#")), None)
        if first is None:
            head = f"[{'.'.join(self.table)}]" if self.table else ""
        else:
            rest = "".join(
                f"[{p[1:]}]" if p.startswith("#") else f".{p}" for p in self.table[first + 1 :]
            )
            head = f"[[{'.'.join(self.table[:first])}]] {self.table[first]}{rest}"
        if name is None:
            return head or "top level"
        return f"{head}.{name}" if head else name

    def line_of(self, name: str | None) -> int | None:
        """Best-effort line number of ``name`` inside the current table (None if unsure)."""
        if self.style != "toml":
            return None
        tables = [p for p in self.table if not p.startswith("#")]
        header = ".".join(tables)
        current = ""
        seen_array: dict[str, int] = {}
        want_index = _array_index(self.table)
        for number, raw in enumerate(self.text.splitlines(), start=1):
            line = raw.strip()
            match = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", line)
            if match:
                current = match.group(1)
                if line.startswith("[["):
                    seen_array[current] = seen_array.get(current, 0) + 1
                if (
                    name is None
                    and current == header
                    and _index_ok(seen_array, current, want_index)
                ):
                    return number
                continue
            if name is None or current != header or not _index_ok(seen_array, current, want_index):
                continue
            if re.match(rf"^\"?{re.escape(name)}\"?\s*=", line):
                return number
        return None

    def error(self, name: str | None, message: str) -> EmbedshiftError:
        """The error for key ``name`` saying ``message`` (``must be ..., got ...``).

        An item of an array or inline table (``canary_steps[0]``, ``old_segments.docs``) is
        given the line of the key that holds it.
        """
        line = self.line_of(name)
        if line is None and name is not None:
            outer = re.split(r"[.\[]", name, maxsplit=1)[0]
            line = self.line_of(outer) if outer != name else None
        suffix = f" (line {line})" if line is not None else ""
        return self.error_type(f"{self.source}: {self.key(name)} {message}{suffix}")


def _array_index(table: tuple[str, ...]) -> int | None:
    for part in table:
        if part.startswith("#"):
            return int(part[1:])
    return None


def _index_ok(seen: dict[str, int], current: str, want: int | None) -> bool:
    return want is None or seen.get(current, 0) == want
