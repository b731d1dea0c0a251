"""uvicorn's access log, with each request's path replaced by the route it matched.

uvicorn logs every request as ``"GET /v1/patients/123/matches?as_of=... HTTP/1.1" 200``:
the path names a patient and the query is the caller's text. `RouteTemplateMiddleware`
notes the matched route's template when the response starts, and `RouteTemplateFilter`, on
the ``uvicorn.access`` logger, puts it in place of the path, so the line reads
``"GET /v1/patients/{patient_id}/matches HTTP/1.1" 200``; a request no route took (a 404,
a body refused before routing) reads ``(no route)``. uvicorn logs from inside the send
call, in the request's own context, which is how the filter sees what the middleware noted.
It works however uvicorn was started (``trialmatch serve``, ``uvicorn app.main:app``)::

    app.add_middleware(RouteTemplateMiddleware)
    install_access_log_filter()
"""

from __future__ import annotations

import logging
from contextvars import ContextVar

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.route_template import route_template

ACCESS_LOGGER = "uvicorn.access"
NO_ROUTE = "(no route)"
_PATH_ARG = 2  # uvicorn's args: client, method, path with query, HTTP version, status

_route: ContextVar[str] = ContextVar("trialmatch_route_template", default=NO_ROUTE)


class RouteTemplateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                _route.set(route_template(Request(scope)) or NO_ROUTE)
            await send(message)

        token = _route.set(NO_ROUTE)
        try:
            await self.app(scope, receive, noting)
        finally:
            _route.reset(token)


class RouteTemplateFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) > _PATH_ARG:
            record.args = (*args[:_PATH_ARG], _route.get(), *args[_PATH_ARG + 1 :])
        return True


def install_access_log_filter() -> None:
    """Put the filter on uvicorn's access logger, once per process."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RouteTemplateFilter) for f in logger.filters):
        logger.addFilter(RouteTemplateFilter())
