"""The EHR's JWT on a CDS Hooks call: issuer allow-listed, signature, ``aud``, ``exp``, ``jti``.

CDS Hooks 2.0 has the EHR sign a short JWT for every call with its own key. It is not a
token of trialmatch's issuer (app/auth/tokens.py): each allowed EHR (``iss``) names the URL
of its JWK Set in ``TRIALMATCH_CDS_ISSUERS``, and ``aud`` must be the exact URL called::

    verifier = build_ehr_verifier(settings, http)        # None: no CDS issuer configured
    principal = await verifier.verify(request.headers.get("authorization"),
                                      audience="https://match.example.org/cds-services/trialmatch-patient-view")

Checked in this order: the header's ``alg`` (RS256/RS384/ES256/ES384 only, so never
``none`` or HMAC), the unverified ``iss`` on the allow-list (only then is a key looked
up: an unknown issuer makes no request), the signature with the key its ``kid`` names in
that issuer's JWK Set (cached, refetched on an unknown kid as app/auth/jwks.py does), then
``iss``, ``aud``, ``exp`` (with the configured clock skew), a ``jti``, a lifetime of at most
an hour, and the ``jti`` not seen before (app/cds_hooks/replay.py). Every refusal is 401
``auth.invalid_token`` with a fixed reason; the JWT itself is never logged.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx
from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)

from app.auth.errors import AuthenticationError, AuthUnavailable
from app.auth.jwks import ALLOWED_ALGORITHMS, JwksError, KeyCache, KeysUnavailable, UnknownKey
from app.auth.loopback import is_loopback_host
from app.auth.principal import Principal, Scope
from app.cds_hooks.replay import ReplayCache, ReplayGuard
from app.config import Settings

MAX_TOKEN_CHARS = 16 * 1024
MAX_JWKS_BYTES = 512 * 1024
# Best practice: remember a jti for the token's lifetime, at most about an hour; a token
# that lives longer could be replayed once it is forgotten, so it is refused.
MAX_LIFETIME_SECONDS = 3600


class HttpJwks:
    """An issuer's JWK Set, read over the app's shared HTTP client (never redirected)."""

    def __init__(self, url: str, http: httpx.AsyncClient, *, timeout: float = 5.0) -> None:
        self.url = url
        self.http = http
        self.timeout = timeout

    async def load(self) -> Any:
        response = await self.http.get(
            self.url,
            headers={"Accept": "application/json"},
            timeout=self.timeout,
            follow_redirects=False,
        )
        response.raise_for_status()
        if len(response.content) > MAX_JWKS_BYTES:
            raise JwksError("JWKS document too large")
        return response.json()


def _refused(reason: str) -> AuthenticationError:
    return AuthenticationError.invalid_token(reason)


class EhrJwtVerifier:
    def __init__(
        self,
        issuers: dict[str, KeyCache],
        *,
        leeway: int,
        replay: ReplayGuard,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = issuers
        self.leeway = leeway
        self.replay = replay
        self.clock = clock

    async def verify(self, authorization: str | None, *, audience: str) -> Principal:
        """The calling EHR as a principal (client id: its ``iss``), or a 401 / 503."""
        if authorization is None:
            raise AuthenticationError.required()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _refused("use the Bearer scheme")
        header, payload = _unverified(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise _refused("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise _refused("malformed token")
        issuer = payload.get("iss")
        keys = self.issuers.get(issuer) if isinstance(issuer, str) else None
        if keys is None or not isinstance(issuer, str):
            raise _refused("issuer not allowed")
        try:
            key = await keys.key_for(kid=kid, alg=alg)
        except UnknownKey:
            raise _refused("unknown signing key") from None
        except KeysUnavailable:
            raise AuthUnavailable() from None
        try:
            claims = jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS)).claims
        except BadSignatureError:
            raise _refused("bad signature") from None
        except (JoseError, ValueError):
            raise _refused("malformed token") from None
        jti, expires_at = self._check_claims(claims, issuer, audience)
        # The guard may be the store (one guard for every worker): off the event loop.
        first = await anyio.to_thread.run_sync(
            functools.partial(self.replay.first_use, issuer, jti, expires_at=expires_at)
        )
        if not first:
            raise _refused("token already used")
        return Principal(
            client_id=issuer, scopes=frozenset({Scope.PATIENT_READ.value}), method="jwt"
        )

    def _check_claims(
        self, claims: dict[str, Any], issuer: str, audience: str
    ) -> tuple[str, float]:
        """The token's ``jti`` and until when it must be remembered, once its claims hold."""
        registry = jwt.JWTClaimsRegistry(
            now=int(self.clock()),
            leeway=self.leeway,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise _refused("expired") from None
        except MissingClaimError:
            raise _refused("missing claim") from None
        except InvalidClaimError as exc:
            reason = {"aud": "wrong audience", "iss": "wrong issuer"}.get(exc.claim)
            raise _refused(reason or "invalid claim") from None
        jti, exp = claims.get("jti"), claims.get("exp")
        if not isinstance(jti, str) or not jti or len(jti) > 256 or not isinstance(exp, int):
            raise _refused("invalid claim")
        if exp - self.clock() > MAX_LIFETIME_SECONDS:
            raise _refused("token lives too long")
        return jti, exp + self.leeway


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload, read before the signature is checked (to find the issuer)."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        raise _refused("malformed token")
    try:
        compact = jws.extract_compact(token.encode("ascii"))
        payload = json.loads(compact.payload)
    except (JoseError, ValueError, UnicodeError):
        raise _refused("malformed token") from None
    if not isinstance(payload, dict):
        raise _refused("malformed token")
    return dict(compact.headers()), payload


def build_ehr_verifier(
    settings: Settings, http: httpx.AsyncClient, replay: ReplayGuard | None = None
) -> EhrJwtVerifier | None:
    """The verifier of ``TRIALMATCH_CDS_ISSUERS``, or None when none is configured."""
    if not settings.cds_issuers:
        return None
    caches: dict[str, KeyCache] = {}
    for issuer, jwks_url in settings.cds_issuers.items():
        url = urlsplit(jwks_url)
        local = url.scheme == "http" and is_loopback_host(url.hostname or "")
        if url.scheme != "https" and not local:
            raise ValueError("TRIALMATCH_CDS_ISSUERS: a JWKS URL must be https (http on loopback)")
        caches[issuer] = KeyCache(
            HttpJwks(jwks_url, http),
            max_age=settings.auth_jwks_cache_seconds,
            min_refresh=settings.auth_jwks_min_refresh_seconds,
        )
    guard = replay if replay is not None else ReplayCache()
    return EhrJwtVerifier(caches, leeway=settings.auth_clock_skew_seconds, replay=guard)
