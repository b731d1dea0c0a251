"""The gate: a request for a guarded route without a credential that opens it is refused
here, before a byte of its body is read.

The authentication middleware only records who is asking, so that the rate limiter can
key its buckets by the verified client; the route's `require_scope` dependency would
refuse an unauthenticated request, but only after the body-limit middleware had read up
to `TRIALMATCH_MAX_BODY_BYTES` of it and scanned its nesting. The gate, installed between
the rate limiter and the body limits, finds the route the router will choose (the first
that matches path and method, as Starlette's router does), asks which scopes its
dependencies require (`required_scopes`), and answers the same 401 / 403 the dependency
would::

    app.add_middleware(BodyLimitMiddleware, ...)
    app.add_middleware(GuardGateMiddleware)       # runs before the body is read
    app.add_middleware(RateLimitMiddleware, ...)
    app.add_middleware(AuthenticationMiddleware, authenticator=...)

A request no route takes (404, 405) is passed on unread: nothing will ever read its body,
so `route_takes_body` tells the body limits not to read it either. Unguarded routes
(`/healthz`, the docs) are passed on as before. The dependency stays in place: a route
the gate cannot see (an app without a router) still fails closed there.
"""

from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import RouteContext, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.dependency import required_scopes
from app.auth.errors import InsufficientScope
from app.auth.middleware import auth_outcome
from app.errors import ApiError

ROUTE_KEY = "route_found"


def matched_route(scope: Scope) -> RouteContext | None:
    """The route the app's router will hand this request to, if any (first full match).

    FastAPI 0.163 includes routers lazily: the app's ``router.routes`` holds included
    routers, not their routes. `iter_route_contexts` yields each route as the router sees
    it, with the include's prefix and dependencies (tests/auth/test_gate.py fails if an
    upgrade changes this)."""
    routes = getattr(getattr(scope.get("app"), "router", None), "routes", None)
    if not isinstance(routes, list):
        return None
    for context in iter_route_contexts(routes):
        if context.matches(scope)[0] is Match.FULL:
            return context
    return None


def route_takes_body(scope: Scope) -> bool:
    """False only when the gate ran and found no route for the request (404 / 405)."""
    return bool(scope.get("state", {}).get(ROUTE_KEY, True))


class GuardGateMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # By route object (routes compare by value, so are not hashable): the scopes it
        # needs. Routes live as long as the app, so an id is not reused meanwhile.
        self._needed: dict[int, frozenset[str]] = {}

    def _scopes_of(self, route: RouteContext) -> frozenset[str]:
        key = id(route.original_route)
        if key not in self._needed:
            dependant = getattr(route, "dependant", None)
            needed = required_scopes(dependant) if isinstance(dependant, Dependant) else None
            self._needed[key] = needed or frozenset()
        return self._needed[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = matched_route(scope)
        scope.setdefault("state", {})[ROUTE_KEY] = route is not None
        error = self._refusal(scope, route) if route is not None else None
        if error is not None:
            # The one error body, as app/limits/reply.py sends it (not imported from there:
            # app/limits reads the outcome of app/auth, so app/auth does not import it).
            response = JSONResponse(
                error.body(), status_code=error.status_code, headers=error.headers
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope, route: RouteContext) -> ApiError | None:
        needed = self._scopes_of(route)
        outcome = auth_outcome(scope)
        if not needed or outcome is None:
            return None  # unguarded; or no middleware ran, and the dependency fails closed
        if outcome.error is not None:
            return outcome.error
        principal = outcome.principal
        if principal is None:
            return None  # not a state the middleware makes; the dependency refuses it
        for needed_scope in sorted(needed):
            if not principal.has(needed_scope):
                return InsufficientScope(needed_scope)
        return None
