"""ASGI middleware that authenticates every HTTP request once, before routing.

It only records the outcome in ``scope["state"]["auth"]``; it rejects nothing, so `/healthz`
and the docs stay open. Routes ask for a scope with `require_scope` (app/auth/dependency.py),
which turns a missing principal into 401/403. Doing it here, not in the dependency, lets the
rate limiter that runs next key its buckets by the verified client::

    app.add_middleware(AuthenticationMiddleware, authenticator=build_authenticator(settings))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.auth.authenticator import Authenticator
from app.auth.principal import Principal
from app.errors import ApiError

log = logging.getLogger("trialmatch.auth")

STATE_KEY = "auth"


@dataclass(frozen=True, slots=True)
class AuthOutcome:
    principal: Principal | None
    error: ApiError | None


def auth_outcome(scope: Scope) -> AuthOutcome | None:
    """The outcome the middleware recorded, or None if it did not run."""
    outcome = scope.get("state", {}).get(STATE_KEY)
    return outcome if isinstance(outcome, AuthOutcome) else None


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, *, authenticator: Authenticator) -> None:
        self.app = app
        self.authenticator = authenticator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                principal = await self.authenticator.authenticate(
                    Headers(scope=scope), scope.get("client")
                )
                outcome = AuthOutcome(principal=principal, error=None)
            except ApiError as exc:
                # The error type only: the detail is ours, and no credential is ever logged.
                log.info("unauthenticated request: %s", exc.details[0].type)
                outcome = AuthOutcome(principal=None, error=exc)
            scope.setdefault("state", {})[STATE_KEY] = outcome
        await self.app(scope, receive, send)
