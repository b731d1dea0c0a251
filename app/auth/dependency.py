"""`require_scope`: the FastAPI dependency a route uses to say which scope it needs.

    @router.post("/v1/match", responses=GUARDED_RESPONSES)
    async def match(principal: MatchPrincipal, ...) -> MatchResponse: ...

    # or, when the route does not need the principal:
    @router.get("/v1/trials", dependencies=[Depends(require_scope(Scope.TRIALS_READ))])

No credential or a bad one is 401 ``auth.required`` / ``auth.invalid_token`` with
``WWW-Authenticate: Bearer``; a good credential without the scope is 403
``auth.insufficient_scope``. The principal is also left on ``request.state.principal`` for
the audit trail.

The same refusals are made earlier, before the request's body is read, by the gate
(app/auth/gate.py), which finds the scopes a route needs with `required_scopes`; the
dependency stays as the check that cannot be bypassed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from app.auth.errors import InsufficientScope
from app.auth.middleware import auth_outcome
from app.auth.principal import Principal, Scope
from app.errors import documented_error

# Declared for the OpenAPI document only (auto_error off): the middleware has already
# checked the same headers.
_bearer = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="An OAuth 2.0 access token from the configured issuer, or an API key.",
)
_api_key = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key (tmk_...) from TRIALMATCH_API_KEYS."
)

# Each dependency `require_scope` made, and the scope it asks for (read by the gate).
_GUARDS: dict[object, str] = {}


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        request: Request,
        _bearer_doc: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
        _api_key_doc: Annotated[str | None, Security(_api_key)],
    ) -> Principal:
        outcome = auth_outcome(request.scope)
        if outcome is None:
            # Fail closed: a route guarded by a scope must never run unauthenticated.
            raise RuntimeError("install_security() was not called on this app")
        if outcome.error is not None:
            raise outcome.error
        principal = outcome.principal
        if principal is None:
            raise RuntimeError("authentication outcome without principal or error")
        if not principal.has(scope):
            raise InsufficientScope(scope)
        request.state.principal = principal
        return principal

    dependency.__name__ = f"require_{scope.replace('/', '_').replace('.', '_')}"
    _GUARDS[dependency] = scope
    return dependency


def required_scopes(dependant: Dependant) -> frozenset[str]:
    """Every scope a route's dependencies (at any depth) ask for; empty: not guarded."""
    found: set[str] = set()
    pending = [dependant]
    while pending:
        current = pending.pop()
        scope = _GUARDS.get(current.call) if current.call is not None else None
        if scope is not None:
            found.add(scope)
        pending.extend(current.dependencies)
    return frozenset(found)


# For a guarded route's `responses=`: what the auth and limit layers may answer instead,
# each with the body they really send (without an example, the docs would show the error
# model's own example, a body no 401 carries).
GUARDED_RESPONSES = (
    documented_error(
        401, "auth.required", "Authentication required: send a bearer token or an API key."
    )
    | documented_error(
        403, "auth.insufficient_scope", "The credential lacks the scope trialmatch/match."
    )
    | documented_error(413, "request.too_large", "The request body is larger than 20971520 bytes.")
    | documented_error(
        429, "request.rate_limited", "Too many requests from this client; retry later."
    )
    | documented_error(
        503,
        "audit.unavailable",
        "The request could not be recorded in the audit trail; try again shortly.",
    )
)

MatchPrincipal = Annotated[Principal, Depends(require_scope(Scope.MATCH))]
PatientReadPrincipal = Annotated[Principal, Depends(require_scope(Scope.PATIENT_READ))]
TrialsReadPrincipal = Annotated[Principal, Depends(require_scope(Scope.TRIALS_READ))]
