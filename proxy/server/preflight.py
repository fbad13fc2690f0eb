"""What ``check-config`` and ``serve`` check on this machine before anything starts.

A config can be valid and still unusable here: a listen host that does not resolve, a
``[modes].state_path`` or ``[examples].path`` that cannot be written. Both commands check the
same things, in the same words (``<file>: <key> <what is wrong> (line N)``, exit status 2), as
``nginx -t`` opens the files its config names. Like ``nginx -t``, ``check-config`` binds no
listener (a running sidecar holds them, and a check must not fail for that); ``serve`` binds
every listener before it logs a line (:func:`bind_listeners`), so a port in use is the same
one-line error and never follows a log line.

Nothing is created: a file that does not exist yet is checked by writing and removing a
temporary file in the nearest folder that exists.

May import: proxy.config, proxy.errors.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path

from proxy.config.loader import parse_listen
from proxy.config.schema import Config
from proxy.config.where import Where
from proxy.errors import ConfigError, EmbedshiftError

SQLITE_MAGIC = b"SQLite format 3\x00"
LISTEN_BACKLOG = 511  # nginx's default


@dataclass(frozen=True, slots=True)
class Listener:
    """One listener the config names: its name, key, and address."""

    name: str  # proxy, ops, admin
    table: str  # proxy, metrics, admin
    address: str


def listeners(config: Config) -> tuple[Listener, ...]:
    """The three listeners of a config, the proxy's first."""
    return (
        Listener("proxy", "proxy", config.proxy.listen),
        Listener("ops", "metrics", config.metrics.listen),
        Listener("admin", "admin", config.admin.listen),
    )


def _error(where: Where, table: str, key: str, message: str) -> EmbedshiftError:
    """The error of ``[table].key``, with the key's line, or saying it is the default."""
    at = where.child(table)
    error = at.error(key, message)
    if at.line_of(key) is None:
        return ConfigError(f"{error} (not set in the file: the default)")
    return error


def check(config: Config, where: Where) -> None:
    """ConfigError for the first thing of ``config`` this machine cannot provide (no bind)."""
    for listener in listeners(config):
        host, port = parse_listen(listener.address)
        try:
            socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        except OSError as e:
            reason = e.strerror or str(e)
            message = f"names host {host!r}, which does not resolve here: {reason}"
            raise _error(where, listener.table, "listen", message) from e
    for table, key, path in (
        ("modes", "state_path", config.modes.state_path),
        ("examples", "path", config.examples.path),
    ):
        problem = file_problem(Path(path))
        if problem is not None:
            raise _error(where, table, key, f"cannot be used ({path}): {problem}")


def file_problem(path: Path) -> str | None:
    """Why a SQLite file at ``path`` could not be opened for writing, or None."""
    if path.exists():
        if not path.is_file():
            return "it is not a regular file"
        try:
            with path.open("rb+") as handle:
                head = handle.read(len(SQLITE_MAGIC))
        except OSError as e:
            return f"cannot open it for writing: {e.strerror or e}"
        if head and head != SQLITE_MAGIC[: len(head)]:
            return "it is not a SQLite database"
        return _folder_problem(path.parent)
    folder = path.parent
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        return f"{folder} is not a folder"
    return _folder_problem(folder)


def _folder_problem(folder: Path) -> str | None:
    """SQLite writes a journal beside its file: the folder must take new files."""
    try:
        fd, name = tempfile.mkstemp(prefix=".embedshift-check.", dir=folder)
    except OSError as e:
        return f"cannot create files in {folder}: {e.strerror or e}"
    os.close(fd)
    Path(name).unlink(missing_ok=True)
    return None


def bind_listeners(config: Config, where: Where) -> list[tuple[Listener, list[socket.socket]]]:
    """Bind and listen on every listener's addresses; ConfigError naming the first that fails.

    Nothing stays bound when one fails. A host that resolves to several addresses
    (``localhost``) gets a socket for each.
    """
    bound: list[tuple[Listener, list[socket.socket]]] = []
    try:
        for listener in listeners(config):
            reuse_port = listener.name == "proxy" and config.proxy.reuse_port
            bound.append((listener, _bind(listener, reuse_port, where)))
    except BaseException:
        for _, sockets in bound:
            for sock in sockets:
                sock.close()
        raise
    return bound


def _bind(listener: Listener, reuse_port: bool, where: Where) -> list[socket.socket]:
    host, port = parse_listen(listener.address)
    sockets: list[socket.socket] = []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        for family, kind, proto, _, address in dict.fromkeys(infos):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if reuse_port:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(LISTEN_BACKLOG)
            sock.setblocking(False)  # noqa: FBT003 - the socket API's own flag
    except OSError as e:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()
        message = f"cannot listen on {listener.address} for {listener.name}: {e.strerror or e}"
        raise _error(where, listener.table, "listen", message) from e
    return sockets
