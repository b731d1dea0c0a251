"""Turns a request's credential into a `Principal`, or says why it cannot.

Built once from the settings by `build_authenticator`; the authentication middleware calls
it for every request and the `require_scope` dependency reads the outcome::

    authenticator = build_authenticator(settings)
    principal = await authenticator.authenticate(headers, client=("10.0.0.7", 52114))

A credential is ``Authorization: Bearer <JWT>``, or an API key sent as ``X-API-Key: tmk_...``
or as ``Authorization: Bearer tmk_...`` (for engines that can only send bearer tokens).
With no authentication configured, callers on loopback get every scope; others get 401.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers

from app.auth.api_keys import PREFIX, ApiKeyConfigError, ApiKeyVerifier, parse_api_keys
from app.auth.errors import AuthenticationError, AuthUnavailable
from app.auth.jwks import FileJwks, JwksSource, KeyCache, KeysUnavailable, UrlJwks
from app.auth.loopback import is_loopback_host, is_loopback_peer
from app.auth.principal import Principal, loopback_principal
from app.auth.tokens import InvalidToken, TokenVerifier
from app.config import Settings


class AuthConfigError(ValueError):
    """The authentication settings are incomplete or unsafe; the message says which."""


class Authenticator:
    def __init__(
        self, *, tokens: TokenVerifier | None = None, api_keys: ApiKeyVerifier | None = None
    ) -> None:
        self.tokens = tokens
        self.api_keys = api_keys

    @property
    def configured(self) -> bool:
        return self.tokens is not None or self.api_keys is not None

    async def authenticate(self, headers: Headers, client: tuple[str, int] | None) -> Principal:
        if not self.configured:
            if is_loopback_peer(client):
                return loopback_principal()
            raise AuthenticationError.loopback_only()
        authorization = headers.get("authorization")
        api_key = headers.get("x-api-key")
        if authorization is not None and api_key is not None:
            raise AuthenticationError.invalid_token("send one credential, not two")
        if api_key is not None:
            return self._api_key(api_key.strip())
        if authorization is None:
            raise AuthenticationError.required()
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise AuthenticationError.invalid_token("use the Bearer scheme")
        if credential.startswith(PREFIX) and self.api_keys is not None:
            return self._api_key(credential)
        if self.tokens is None:
            raise AuthenticationError.invalid_token("bearer tokens are not accepted here")
        try:
            return await self.tokens.verify(credential)
        except InvalidToken as exc:
            raise AuthenticationError.invalid_token(exc.reason) from None
        except KeysUnavailable:
            raise AuthUnavailable() from None

    def _api_key(self, key: str) -> Principal:
        principal = self.api_keys.verify(key) if self.api_keys is not None else None
        if principal is None:
            raise AuthenticationError.invalid_token("unknown API key")
        return principal


def build_authenticator(settings: Settings) -> Authenticator:
    try:
        api_keys = ApiKeyVerifier(parse_api_keys(settings.api_keys)) if settings.api_keys else None
    except ApiKeyConfigError as exc:
        raise AuthConfigError(str(exc)) from None
    return Authenticator(tokens=_token_verifier(settings), api_keys=api_keys)


def _token_verifier(settings: Settings) -> TokenVerifier | None:
    jwt_settings = {
        "TRIALMATCH_AUTH_AUDIENCE": settings.auth_audience,
        "TRIALMATCH_AUTH_JWKS_URL": settings.auth_jwks_url,
        "TRIALMATCH_AUTH_JWKS_FILE": settings.auth_jwks_file,
    }
    if not settings.auth_issuer:
        stray = [name for name, value in jwt_settings.items() if value]
        if stray:
            raise AuthConfigError(f"{', '.join(stray)} set without TRIALMATCH_AUTH_ISSUER.")
        return None
    if not settings.auth_audience:
        raise AuthConfigError("TRIALMATCH_AUTH_ISSUER needs TRIALMATCH_AUTH_AUDIENCE.")
    source: JwksSource
    if settings.auth_jwks_url and settings.auth_jwks_file:
        raise AuthConfigError(
            "Set TRIALMATCH_AUTH_JWKS_URL or TRIALMATCH_AUTH_JWKS_FILE, not both."
        )
    if settings.auth_jwks_url:
        url = urlsplit(settings.auth_jwks_url)
        local = url.scheme == "http" and is_loopback_host(url.hostname or "")
        if url.scheme != "https" and not local:
            raise AuthConfigError("TRIALMATCH_AUTH_JWKS_URL must be https (http only on loopback).")
        source = UrlJwks(settings.auth_jwks_url)
    elif settings.auth_jwks_file:
        if not settings.auth_jwks_file.is_file():
            raise AuthConfigError("TRIALMATCH_AUTH_JWKS_FILE does not name a readable file.")
        source = FileJwks(settings.auth_jwks_file)
    else:
        raise AuthConfigError(
            "TRIALMATCH_AUTH_ISSUER needs TRIALMATCH_AUTH_JWKS_URL or TRIALMATCH_AUTH_JWKS_FILE."
        )
    keys = KeyCache(
        source,
        max_age=settings.auth_jwks_cache_seconds,
        min_refresh=settings.auth_jwks_min_refresh_seconds,
    )
    return TokenVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        keys=keys,
        leeway=settings.auth_clock_skew_seconds,
    )
