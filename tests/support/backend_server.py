"""A FakeQdrant in its own process: ``python -m tests.support.backend_server PORT MARKER``.

Load and life-cycle tests put backends in other processes so that the process under test is
measured alone. ``--shift N`` makes its ranked lists start at id N (a divergent new index);
``--delay S`` answers searches after S seconds.
"""

from __future__ import annotations

import argparse

from aiohttp import web

from tests.support.backends import FakeQdrant


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("marker")
    parser.add_argument("--shift", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    backend = FakeQdrant(
        ids=list(range(args.shift, args.shift + 10)), marker=args.marker, delay_s=args.delay
    )
    backend.received = _Discard()  # a long-running backend keeps nothing
    web.run_app(backend.app(), host="127.0.0.1", port=args.port, print=None, access_log=None)


class _Discard(list):  # type: ignore[type-arg]
    def append(self, _item: object) -> None:
        """Drop it."""


if __name__ == "__main__":
    main()
