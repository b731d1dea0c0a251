"""A pydantic model sent as JSON, serialized in a worker thread rather than on the event loop.

A match response of a large record is hundreds of kilobytes; FastAPI would validate and
serialize the returned model on the event loop, where every other request (``/healthz``
too) waits for it. A route that declares ``response_model=...`` for its documentation
returns this instead::

    return await model_response(response)
"""

from __future__ import annotations

import anyio
from fastapi import Response
from pydantic import BaseModel


async def model_response(model: BaseModel, status_code: int = 200) -> Response:
    body = await anyio.to_thread.run_sync(model.model_dump_json)
    return Response(body, status_code=status_code, media_type="application/json")
