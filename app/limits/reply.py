"""Send an `ApiError` from ASGI middleware, in the same body the exception handlers use.

await reply(ApiError("request.too_large", "...", status_code=413), scope, receive, send)
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from app.errors import ApiError


async def reply(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)
    await response(scope, receive, send)
