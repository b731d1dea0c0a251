"""The last resort: an unexpected exception becomes the one 500 error body, and stops here.

Starlette's own 500 handling re-raises the exception after answering, so that the server
logs it, and uvicorn then writes the whole traceback, exception text included, to its
log. That text quotes whatever the failing code held (a patient's name, a report's
words), so this middleware, installed just inside the security headers, answers instead
and logs only the exception's class and the route's template::

    ERROR trialmatch: internal error on GET /v1/patients/{patient_id}/matches: KeyError

    app.add_middleware(InternalErrorMiddleware)

The path itself is never logged: ``/v1/patients/123/matches`` names a patient.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.route_template import route_template
from app.errors import ApiError
from app.limits.reply import reply

log = logging.getLogger("trialmatch")


class InternalErrorMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            # Class name only: the text may hold patient data. Not re-raised, on purpose.
            log.error(
                "internal error on %s %s: %s",
                scope.get("method", "?"),
                route_template(Request(scope)) or "an unrouted path",
                type(exc).__name__,
            )
            if started:
                return  # the client sees a cut-off response; nothing more can be sent
            error = ApiError(
                "internal.error", "Internal error; it has been logged.", status_code=500
            )
            await reply(error, scope, receive, send)
