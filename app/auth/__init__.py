"""Who may ask: client authentication (bearer JWT, API keys, loopback) and scopes.

    from app.auth import MatchPrincipal

    @router.post("/v1/match")
    async def match(principal: MatchPrincipal) -> ...: ...

Wiring (middleware, settings checks) is done once by `app.security.install_security`.
"""

from app.auth.dependency import (
    GUARDED_RESPONSES,
    MatchPrincipal,
    PatientReadPrincipal,
    TrialsReadPrincipal,
    require_scope,
)
from app.auth.principal import Principal, Scope

__all__ = [
    "GUARDED_RESPONSES",
    "MatchPrincipal",
    "PatientReadPrincipal",
    "Principal",
    "Scope",
    "TrialsReadPrincipal",
    "require_scope",
]
