"""Request body limits: size (413 ``request.too_large``), nesting (422 ``request.too_deep``)
and well-formedness (422 ``request.json_invalid``).

The body is read here, counted as it streams (chunked uploads carry no Content-Length),
and handed to the application only once it is known to be small and shallow enough, and,
when it is sent as JSON, to be JSON::

    app.add_middleware(BodyLimitMiddleware, max_bytes=20 * 1024 * 1024, max_json_depth=64)

A Content-Length above the limit is refused before a byte of the body is read. A request
that no route takes (the gate of app/auth/gate.py found none) is passed on unread, and a
request for a guarded route without a credential that opens it never gets here: the gate
has refused it already. The nesting scan and the parse are CPU work on up to 20 MB, so they
run in a worker thread, never on the event loop.

Every refusal here happens before the route: none of them writes an audit row. The parsed
JSON document is left for the route (`parsed_object`), so a Bundle is parsed once. A route
that hands a large body whole to another process (``defer_parse``) gets it unparsed; that
process runs the same checks (`check_json`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
import orjson
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth.gate import route_takes_body
from app.errors import ApiError
from app.limits.json_depth import exceeds_depth
from app.limits.reply import reply

PARSED_KEY = "parsed_json"


@dataclass(frozen=True, slots=True)
class ParsedBody:
    """The request body, parsed once by the middleware."""

    value: Any


def parsed_object(scope: Scope) -> dict[str, Any] | None:
    """The JSON object the middleware parsed from this request's body, if it was one."""
    parsed = scope.get("state", {}).get(PARSED_KEY)
    if isinstance(parsed, ParsedBody) and isinstance(parsed.value, dict):
        return parsed.value
    return None


# The refusals of a body that was never read as patient data (they write no audit row).
UNREAD_BODY_REFUSALS = frozenset({"request.too_deep", "request.json_invalid"})


def check_json(body: bytes, max_json_depth: int) -> ParsedBody | ApiError:
    """The parsed body, or the refusal: too deep (``request.too_deep``) or not JSON
    (``request.json_invalid``). Used here, and by a match process for a deferred body."""
    if exceeds_depth(body, max_json_depth):
        return ApiError(
            "request.too_deep",
            f"The JSON body nests deeper than {max_json_depth} levels.",
            loc=["body"],
            status_code=422,
        )
    try:
        return ParsedBody(orjson.loads(body))
    except orjson.JSONDecodeError:
        # The decoder's message may quote the body: never pass it on.
        return ApiError(
            "request.json_invalid", "The body is not JSON.", loc=["body"], status_code=422
        )


# A route may take its body unparsed when it hands it whole to another process (see
# app/matching/pool.py): (scope, body size) -> True to leave the checks to that process.
DeferParse = Callable[[Scope, int], bool]


class BodyLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        max_json_depth: int,
        defer_parse: DeferParse | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_depth = max_json_depth
        self.defer_parse = defer_parse

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
        if not route_takes_body(scope):
            await self.app(scope, receive, send)  # a 404 / 405: its body is never read
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
        deferred = self.defer_parse is not None and self.defer_parse(scope, len(body))
        if body and json_like and not deferred:
            checked = await anyio.to_thread.run_sync(self._check_json, body)
            if isinstance(checked, ApiError):
                await reply(checked, scope, receive, send)
                return
            scope.setdefault("state", {})[PARSED_KEY] = checked

        await self.app(scope, _replay(body, receive), send)

    def _check_json(self, body: bytes) -> ParsedBody | ApiError:
        return check_json(body, self.max_json_depth)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: http.disconnect, from the server

    return replayed
