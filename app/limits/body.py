"""Request body limits: size (413 ``request.too_large``) and nesting (422 ``request.too_deep``).

The body is read here, counted as it streams (chunked uploads carry no Content-Length),
and handed to the application only once it is known to be small and shallow enough::

    app.add_middleware(BodyLimitMiddleware, max_bytes=20 * 1024 * 1024, max_json_depth=64)

A Content-Length above the limit is refused before a byte of the body is read.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import ApiError
from app.limits.json_depth import exceeds_depth
from app.limits.reply import reply


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, max_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth

    def _too_large(self) -> ApiError:
        return ApiError(
            "request.too_large",
            f"The request body is larger than {self.max_bytes} bytes.",
            loc=["body"],
            status_code=413,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                error = ApiError(
                    "request.bad_content_length", "Content-Length is not a number.", status_code=400
                )
                await reply(error, scope, receive, send)
                return
            if int(declared) > self.max_bytes:
                await reply(self._too_large(), scope, receive, send)
                return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await reply(self._too_large(), scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)

        content_type = headers.get("content-type", "").lower()
        # FastAPI parses a body without Content-Type as JSON too.
        json_like = "json" in content_type or not content_type
        if body and json_like and exceeds_depth(body, self.max_json_depth):
            error = ApiError(
                "request.too_deep",
                f"The JSON body nests deeper than {self.max_json_depth} levels.",
                loc=["body"],
                status_code=422,
            )
            await reply(error, scope, receive, send)
            return

        await self.app(scope, _replay(body, receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: http.disconnect, from the server

    return replayed
