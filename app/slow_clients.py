"""Slow clients cannot pin connections: deadlines for a request's headers and for its body.

uvicorn (0.54) times out only an idle keep-alive connection after a response. A client
that opens a connection and sends nothing, trickles its headers a byte at a time, or sends
``Content-Length: 1000000`` and then a byte a second, holds its connection (and, for the
body, a task) for as long as it likes. Two deadlines close that:

- `HeaderDeadlineHttpTools`: uvicorn's httptools protocol with a deadline from the moment a
  connection opens (or a keep-alive connection's next request begins) to the end of the
  request's headers; past it the connection is closed. ``trialmatch serve`` runs uvicorn
  with ``http="app.slow_clients:HeaderDeadlineHttpTools"``.
- `BodyDeadlineMiddleware`: an ASGI middleware (outermost) giving the whole body a
  deadline from the request's start; past it the app sees the client as gone and the
  client gets ``408 request.timeout`` with ``Connection: close``::

      app.add_middleware(BodyDeadlineMiddleware, seconds=30.0)

Both read their limits from the settings (``TRIALMATCH_HEADER_TIMEOUT_SECONDS``,
``TRIALMATCH_BODY_TIMEOUT_SECONDS``). ``limit_concurrency`` bounds how many connections a
worker keeps at all.
"""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.config import get_settings
from app.errors import ApiError
from app.limits.reply import reply


class HeaderDeadlineHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing a connection whose headers take too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout = get_settings().header_timeout_seconds
        self._header_deadline: asyncio.TimerHandle | None = None

    def _arm(self) -> None:
        if self._header_deadline is None:
            self._header_deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _too_slow(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()  # a connection that never sends a byte is closed too

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()  # the next request of a keep-alive connection

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)


class BodyDeadlineMiddleware:
    """Give a request's whole body `seconds` from the request's start, then answer 408."""

    def __init__(self, app: ASGIApp, *, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.seconds
        body_done = False
        timed_out = False
        started = False

        async def timed_receive() -> Message:
            nonlocal body_done, timed_out
            if body_done or timed_out:
                return await receive()  # after the body: the server's http.disconnect
            try:
                with anyio.fail_after(max(deadline - anyio.current_time(), 0)):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                return {"type": "http.disconnect"}  # the app stops reading: the client is gone
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, timed_receive, watched_send)
        if timed_out and not started:
            error = ApiError(
                "request.timeout",
                f"The request body did not arrive within {self.seconds:g} seconds.",
                loc=["body"],
                status_code=408,
                headers={"Connection": "close"},
            )
            await reply(error, scope, receive, send)
