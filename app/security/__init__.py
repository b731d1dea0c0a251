"""`install_security`: authentication, limits and HTTP hardening, installed on an app at once.

    app = FastAPI()
    install_security(app, settings)   # raises UnsafeBind / AuthConfigError, saying why

Requests pass, outermost first: security headers -> route noted for the access log
-> last-resort 500 -> CORS (only if origins are configured)
-> authentication (records who asks) -> rate limit (per principal, else per IP)
-> the gate (a guarded route without a credential that opens it: 401/403, body unread)
-> body size, JSON depth and well-formedness -> the application. Everything a middleware
refuses still gets the security headers and the one error body; so does an unexpected
exception, which is logged by class name only (app/security/internal_error.py). uvicorn's
access log names the route, never the path (app/security/access_log.py).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from app.auth.authenticator import AuthConfigError, build_authenticator
from app.auth.gate import GuardGateMiddleware
from app.auth.loopback import ensure_safe_bind
from app.auth.middleware import AuthenticationMiddleware
from app.config import Settings
from app.limits.body import BodyLimitMiddleware, DeferParse
from app.limits.rate import RateLimitMiddleware, TokenBucketLimiter
from app.security.access_log import RouteTemplateMiddleware, install_access_log_filter
from app.security.headers import SecurityHeadersMiddleware
from app.security.internal_error import InternalErrorMiddleware
from app.slow_clients import BodyDeadlineMiddleware

# Probes are called by orchestrators every few seconds and touch no patient data.
RATE_EXEMPT_PATHS = frozenset({"/healthz", "/readyz"})


def install_security(
    app: FastAPI, settings: Settings, *, defer_parse: DeferParse | None = None
) -> None:
    ensure_safe_bind(settings)
    authenticator = build_authenticator(settings)
    origins = _cors_origins(settings.cors_origins)

    # add_middleware wraps: the last one added runs first.
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        defer_parse=defer_parse,
    )
    app.add_middleware(GuardGateMiddleware)
    if settings.rate_limit_per_minute > 0:
        limiter = TokenBucketLimiter(
            per_minute=settings.rate_limit_per_minute, burst=settings.rate_limit_burst
        )
        app.add_middleware(RateLimitMiddleware, limiter=limiter, exempt_paths=RATE_EXEMPT_PATHS)
    app.add_middleware(AuthenticationMiddleware, authenticator=authenticator)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-API-Key"],
            expose_headers=["Retry-After"],
            allow_credentials=False,  # credentials are headers set by the caller, never cookies
            max_age=600,
        )
    app.add_middleware(InternalErrorMiddleware)
    app.add_middleware(RouteTemplateMiddleware)
    # The body's deadline runs from the request's start, whatever reads the body; inside the
    # security headers so that its 408 carries them too.
    app.add_middleware(BodyDeadlineMiddleware, seconds=settings.body_timeout_seconds)
    app.add_middleware(SecurityHeadersMiddleware, hsts_seconds=settings.hsts_seconds)
    app.state.authenticator = authenticator
    install_access_log_filter()


def _cors_origins(origins: list[str]) -> list[str]:
    for origin in origins:
        parts = urlsplit(origin)
        exact = parts.scheme in ("http", "https") and parts.netloc and not parts.path
        if origin == "*" or not exact or parts.query or parts.fragment:
            raise AuthConfigError(
                "TRIALMATCH_CORS_ORIGINS takes exact origins such as https://ehr.example.org, "
                "comma-separated; '*' is not allowed."
            )
    return [origin.rstrip("/") for origin in origins]
