"""Config files: TOML, YAML, JSON, INI and ``.env`` keys with threshold names and numbers.

Each file is first read by its real parser (``tomllib``, PyYAML, ``json``,
``configparser``), so a broken file is reported with its line and skipped; keys are then
located line by line (YAML through its node marks). A bare ``threshold`` counts when a
section or parent key names a retrieval context (``[retrieval] threshold = 0.8``).
"""

from __future__ import annotations

import configparser
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import PurePath

import yaml

from calibrator.inventory.facts import FileFacts, FileScan, Value, origin_of_context
from calibrator.inventory.findings import Kind, ScanError
from calibrator.inventory.names import (
    may_name_a_threshold,
    names_embedding_model,
    path_words,
    says_threshold,
    threshold_name,
    words,
)

_NUMBER = r"[-+]?(?:\d[\d_]*\.?[\d_]*|\.\d+)(?:[eE][-+]?\d+)?"
_TOML_KEY = re.compile(rf"(?:^|[{{,])\s*([A-Za-z0-9_\-.\"']+)\s*=\s*({_NUMBER})\s*(?=[,}}#]|$)")
_TOML_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_INI_KEY = re.compile(rf"^\s*([^=:#;\s][^=:]*?)\s*[=:]\s*[\"']?({_NUMBER})[\"']?\s*(?:[#;].*)?$")
_ENV_KEY = re.compile(
    rf"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*[\"']?({_NUMBER})[\"']?\s*(?:#.*)?$"
)
_JSON_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*")|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)'
    r"|(?P<punct>[{}\[\]:,])|(?P<newline>\n)|(?P<other>[^\s\"{}\[\]:,]+|[ \t\r]+)"
)

Entry = tuple[tuple[str, ...], float, int]  # key path, value, line


def _named_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    """A key path without its trailing numeric keys (the levels of a map)."""
    end = len(keys)
    while end and keys[end - 1].lstrip("-").isdigit():
        end -= 1
    return keys[:end]


def _thresholds_by_name(keys: tuple[str, ...]) -> bool:
    """Whether the last key names an entry of a map of thresholds, not a threshold itself.

    ``task_thresholds.conversation``: the map's name says thresholds, the entry's says
    nothing of one; ``thresholds.min_similarity`` names its own.
    """
    return keys[-2].lower().endswith(("thresholds", "cutoffs")) and not may_name_a_threshold(
        keys[-1]
    )


_FORMATS = {
    ".toml": "toml",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".ini": "ini",
    ".cfg": "ini",
}
TEMPLATE_SUFFIXES = frozenset({".j2", ".jinja", ".jinja2"})
"""A config file's template (``config.yaml.j2``): the file a project's set-up writes out."""

_TEMPLATE_TAGS = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TEMPLATE_VALUES = re.compile(r"\{\{.*?\}\}", re.DOTALL)


def config_format(path: PurePath) -> str | None:
    """``toml``, ``yaml``, ``json``, ``ini`` or ``env`` for a config file name, else ``None``.

    A Jinja template of one (``config.yaml.j2``) has the format of the file it writes.
    """
    name = path.name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    suffix = path.suffix.lower()
    if suffix in TEMPLATE_SUFFIXES:
        suffix = PurePath(path.stem).suffix.lower()
    return _FORMATS.get(suffix)


def untemplated(text: str) -> str:
    """A Jinja template's text with its tags blanked and its ``{{ values }}`` made plain.

    Lines keep their numbers: a tag spanning lines leaves its line breaks.
    """
    text = _TEMPLATE_TAGS.sub(lambda m: "\n" * m.group().count("\n"), text)
    return _TEMPLATE_VALUES.sub(lambda m: "_" + "\n" * m.group().count("\n"), text)


def scan_config(text: str, path: str, fmt: str) -> FileScan:
    """Threshold keys of one config file of format ``fmt`` (see :func:`config_format`).

    Each number under a threshold-named key becomes a value for the linker, under the key's
    last name (``k:update_insight_threshold``), where the code that reads it joins it
    (``kwargs.get("update_insight_threshold", 0.1)``, ``os.getenv("MIN_SCORE")``,
    ``settings.min_score``): what that code compares it with judges it, and a key nothing reads
    is judged by its name and section, as before.
    """
    template = PurePath(path).suffix.lower() in TEMPLATE_SUFFIXES
    if template:
        text = untemplated(text)
    try:
        entries = list(_READERS[fmt](text))
    except _InvalidError as e:
        if template:  # what it writes may be valid where the template alone is not
            return FileScan()
        return FileScan(errors=(ScanError(path, f"invalid {fmt.upper()}: {e.message}", e.line),))
    lines = text.splitlines()
    values: list[Value] = []
    stem_words = words(PurePath(path).stem)
    place = path_words(path)
    for path_keys, value, line in entries:
        # a map of levels (`score_thresholds: {1: 0.5, 2: 0.6}`): the numbers' name is the map's
        keys = _named_keys(path_keys)
        if len(keys) >= 2 and _thresholds_by_name(keys):
            # `task_thresholds: {conversation: 0.75}`: a map of thresholds keyed by a task
            # (or a model, a tenant): each number is the map's, which code reads whole
            keys = keys[:-1]
        if not keys or not may_name_a_threshold(keys[-1]):
            continue
        section = tuple(w for key in keys[:-1] for w in words(key))
        if any(names_embedding_model(key) for key in keys[:-1]):
            # `{"laion/larger_clap_general": {"threshold": 0.1446}}`: that model's cutoff
            section = (*section, "embedding")
        context = section + stem_words
        verdict = threshold_name(keys[-1], context)
        if verdict.strength <= 0 and not says_threshold(keys[-1]):
            continue  # a key that code reading it may still show a cutoff: `quality_threshold`
        snippet = lines[line - 1].strip()[:160] if 0 < line <= len(lines) else ""
        values.append(
            Value(
                f"k:{keys[-1]}",
                path,
                line,
                None,
                value,
                Kind.CONFIG,
                ".".join(keys),
                snippet,
                context,
                verdict.library,
                language=fmt,
                # `process.image_aesthetics_filter.min_score`: a model's, by its section or
                # its file's place (`voice/profiles/mixer.yaml`), as a module's are
                origin=origin_of_context((*place, *section), evaluation=True),
            )
        )
    return FileScan(facts=FileFacts(values=tuple(values)))


def scan_embedded_json(text: str, path: str, first_line: int) -> tuple[Value, ...]:
    """The threshold keys of a JSON document written as a string literal in code.

    ``Navigable_UX = '''{"nodes": [{"params": {"apply_threshold": 0.3}}]}'''``: a blueprint
    the code parses later is a config file kept in a module; its numbers are read as the same
    file's would be, at their lines of the module (the string starts on ``first_line``). Only
    a whole document counts: an object or an array that parses; a prompt that shows JSON
    among its words is prose, not a config.
    """
    stripped = text.strip()
    if not stripped.startswith(("{", "[")) or not stripped.endswith(("}", "]")):
        return ()
    try:
        document = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(document, dict | list):
        return ()
    scanned = scan_config(text, path, "json")
    return tuple(value._replace(line=value.line + first_line - 1) for value in scanned.facts.values)


class _InvalidError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _toml(text: str) -> Iterator[Entry]:
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        match = re.search(r"line (\d+)", str(e))
        raise _InvalidError(str(e), int(match.group(1)) if match else None) from e
    header: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        head = _TOML_HEADER.match(line)
        if head:
            header = tuple(p.strip().strip("\"'") for p in head.group(1).split("."))
            continue
        for match in _TOML_KEY.finditer(line.split("#", 1)[0] if '"' not in line else line):
            value = _float(match.group(2))
            if value is not None:
                keys = tuple(p.strip("\"'") for p in match.group(1).split("."))
                yield (*header, *keys), value, number


def _yaml(text: str) -> Iterator[Entry]:
    try:
        documents = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise _InvalidError(str(getattr(e, "problem", e)), mark.line + 1 if mark else None) from e
    pending: list[tuple[tuple[str, ...], yaml.Node]] = [((), d) for d in documents if d]
    while pending:
        keys, node = pending.pop()
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
                pending.append(((*keys, key), value_node))
        elif isinstance(node, yaml.SequenceNode):
            pending.extend((keys, item) for item in node.value)
        elif isinstance(node, yaml.ScalarNode) and keys and not node.tag.endswith(":bool"):
            value = _float(str(node.value))
            if value is not None:
                yield keys, value, node.start_mark.line + 1


def _json(text: str) -> Iterator[Entry]:  # noqa: C901 - one branch per JSON token
    try:
        json.loads(text)
    except json.JSONDecodeError as e:
        raise _InvalidError(e.msg, e.lineno) from e
    stack: list[str | None] = []  # per open container: the key it sits under, if any
    line = 1
    pending_key: str | None = None
    for match in _JSON_TOKEN.finditer(text):
        kind, lexeme = match.lastgroup, match.group()
        if kind == "newline":
            line += 1
        elif kind == "other":
            line += lexeme.count("\n")
        elif lexeme in "{[":
            stack.append(pending_key)
            pending_key = None
        elif lexeme in "}]":
            stack.pop()
        elif kind == "string":
            following = text[match.end() : match.end() + 64].lstrip()
            if following.startswith(":"):
                pending_key = json.loads(lexeme)
            line += lexeme.count("\n")
        elif kind == "number" and pending_key is not None:
            parents = tuple(k for k in stack if k is not None)
            yield (*parents, pending_key), float(lexeme), line
            pending_key = None
        elif lexeme == ",":
            pending_key = None


def _ini(text: str) -> Iterator[Entry]:
    parser = configparser.RawConfigParser(strict=False)
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError:
        pass  # a sectionless key=value file: read it like .env
    except configparser.Error as e:
        raise _InvalidError(str(e).splitlines()[0], getattr(e, "lineno", None)) from e
    section: tuple[str, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            section = tuple(stripped[1:-1].strip().split("."))
            continue
        match = _INI_KEY.match(line)
        value = _float(match.group(2)) if match else None
        if match and value is not None:
            yield (*section, match.group(1).strip()), value, number


def _env(text: str) -> Iterator[Entry]:
    for number, line in enumerate(text.splitlines(), start=1):
        match = _ENV_KEY.match(line)
        value = _float(match.group(2)) if match else None
        if match and value is not None:
            yield (match.group(1),), value, number


def _float(text: str) -> float | None:
    try:
        return float(text.replace("_", ""))
    except ValueError:
        return None


_READERS = {"toml": _toml, "yaml": _yaml, "json": _json, "ini": _ini, "env": _env}
