"""The new model behind an OpenAI-compatible embeddings API, as the sidecar expects one.

In the demo, clients still send the old model's query vectors; the sidecar re-embeds each
mirrored query's text (``X-Query-Text``) with the new model through ``[embedding]``, exactly
as it would with a hosted provider. This is that provider: ``POST /v1/embeddings`` with
``{"model": .., "input": "text" | ["text", ..]}`` answers
``{"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [..]}],
"model": .., "usage": {"prompt_tokens": n, "total_tokens": n}}``; a malformed request gets
400 with ``{"error": {"message": .., "type": "invalid_request_error"}}``.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from calibrator.demo.models import TextModel, tokens

MODEL = web.AppKey("model", TextModel)
MAX_INPUTS = 2048


def _error(message: str) -> web.Response:
    return web.json_response(
        {"error": {"message": message, "type": "invalid_request_error"}}, status=400
    )


def parse_inputs(raw: bytes) -> list[str]:
    """The texts of an embeddings request; ValueError saying what is wrong."""
    try:
        doc: Any = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"the body must be JSON: {e}") from e
    if not isinstance(doc, dict) or "input" not in doc:
        raise ValueError("the body must be an object with 'input'")
    texts = doc["input"]
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("'input' must be a string or a non-empty list of strings")
    if len(texts) > MAX_INPUTS:
        raise ValueError(f"'input' may hold at most {MAX_INPUTS} texts, got {len(texts)}")
    return texts


async def embeddings(request: web.Request) -> web.Response:
    """``POST /v1/embeddings``."""
    model = request.app[MODEL]
    try:
        texts = parse_inputs(await request.read())
    except ValueError as e:
        return _error(str(e))
    vectors = model.embed(texts)
    used = sum(len(tokens(t)) for t in texts)
    return web.json_response(
        {
            "object": "list",
            "data": [
                {"object": "embedding", "index": i, "embedding": row.tolist()}
                for i, row in enumerate(vectors)
            ],
            "model": model.name,
            "usage": {"prompt_tokens": used, "total_tokens": used},
        }
    )


def create_embedder_app(model: TextModel) -> web.Application:
    """The embeddings API of ``model``."""
    app = web.Application()
    app[MODEL] = model
    app.router.add_post("/v1/embeddings", embeddings)
    return app
