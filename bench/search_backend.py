"""A Qdrant-shaped loopback search backend for benchmarks: answers after a fixed delay.

    python bench/search_backend.py PORT --delay-ms 5 --shift 0

Searches (``POST /collections/NAME/points/search``) get ten results after ``--delay-ms``;
ids start at ``--shift`` so two backends can disagree. Runs on uvloop when installed, like the
sidecar, so that the backend is never the bottleneck it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import json

from aiohttp import web


def main() -> None:
    """Serve until killed."""
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--delay-ms", type=float, default=5.0)
    parser.add_argument("--shift", type=int, default=0)
    args = parser.parse_args()
    delay = args.delay_ms / 1000.0
    ids = range(args.shift, args.shift + 10)
    body = json.dumps(
        {
            "result": [
                {"id": i, "score": round(0.9 - 0.02 * n, 3), "version": 1}
                for n, i in enumerate(ids)
            ],
            "status": "ok",
            "time": delay,
        }
    ).encode()

    async def search(request: web.Request) -> web.Response:
        await request.read()
        await asyncio.sleep(delay)
        return web.Response(body=body, content_type="application/json")

    async def ok(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/collections/{name}/points/search", search)
    app.router.add_get("/", ok)
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None, backlog=1024)


if __name__ == "__main__":
    main()
