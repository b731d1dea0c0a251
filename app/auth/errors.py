"""Authentication errors, as the one error body with RFC 6750 `WWW-Authenticate` headers.

    ApiError (app/errors.py)
      +-- AuthenticationError     401  auth.required, auth.invalid_token
      +-- InsufficientScope       403  auth.insufficient_scope
      +-- AuthUnavailable         503  auth.unavailable (the issuer's keys cannot be fetched)

Messages are ours: they never carry token text, claims or library exception text.
"""

from __future__ import annotations

from app.errors import ApiError

REALM = "trialmatch"


class AuthenticationError(ApiError):
    status_code = 401

    @classmethod
    def required(cls) -> AuthenticationError:
        return cls(
            "auth.required",
            "Authentication required: send a bearer token or an API key.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )

    @classmethod
    def loopback_only(cls) -> AuthenticationError:
        return cls(
            "auth.required",
            "No authentication is configured: this service answers only its own machine.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )

    @classmethod
    def invalid_token(cls, reason: str) -> AuthenticationError:
        # `reason` is one of our fixed phrases (see app/auth/tokens.py), never token content.
        return cls(
            "auth.invalid_token",
            f"The credential was refused: {reason}.",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="invalid_token", error_description="{reason}"'
                )
            },
        )


class InsufficientScope(ApiError):
    status_code = 403

    def __init__(self, scope: str) -> None:
        super().__init__(
            "auth.insufficient_scope",
            f"The credential lacks the scope {scope}.",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="insufficient_scope", scope="{scope}"'
                )
            },
        )


class AuthUnavailable(ApiError):
    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "auth.unavailable",
            "The token issuer's keys could not be fetched; try again later.",
            headers={"Retry-After": "30"},
        )
