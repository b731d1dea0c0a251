"""OAuth 2.0 bearer tokens (JWT) from the configured issuer, verified with joserfc.

    verifier = TokenVerifier(issuer="https://idp.example.org", audience="trialmatch",
                             keys=KeyCache(...), leeway=60)
    principal = await verifier.verify(token)   # or raises InvalidToken / KeysUnavailable

Only RS256, RS384, ES256 and ES384 are accepted. The algorithm is checked against that list
before any key is chosen, so ``alg: none`` and HS256 signed with the issuer's public key
(the "algorithm confusion" attack) are refused; the key cache holds no HMAC key either.
The client is named by ``client_id`` (RFC 9068), else ``azp``, else ``sub``; scopes come
from ``scope`` (space-separated, RFC 9068) or ``scp`` (a list, as some issuers send).
"""

from __future__ import annotations

from typing import Any

from joserfc import jws, jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)

from app.auth.jwks import ALLOWED_ALGORITHMS, KeyCache, UnknownKey
from app.auth.principal import Principal

_MAX_TOKEN_CHARS = 16 * 1024


class InvalidToken(Exception):
    """A refused token; `reason` is a fixed phrase safe to send back and to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_CLAIM_REASONS = {
    "iss": "wrong issuer",
    "aud": "wrong audience",
    "nbf": "not yet valid",
    "iat": "issued in the future",
}


class TokenVerifier:
    def __init__(self, *, issuer: str, audience: str, keys: KeyCache, leeway: int) -> None:
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.leeway = leeway

    async def verify(self, token: str) -> Principal:
        header = _header(token)
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("malformed token")
        try:
            key = await self.keys.key_for(kid=kid, alg=alg)
        except UnknownKey:
            raise InvalidToken("unknown signing key") from None
        try:
            decoded = jwt.decode(token, key, algorithms=list(ALLOWED_ALGORITHMS))
        except BadSignatureError:
            raise InvalidToken("bad signature") from None
        except (JoseError, ValueError):
            raise InvalidToken("malformed token") from None
        claims = decoded.claims
        self._check_claims(claims)
        expires = claims.get("exp")
        return Principal(
            client_id=_client_id(claims),
            scopes=_scopes(claims),
            method="jwt",
            expires_at=float(expires) if isinstance(expires, int | float) else None,
        )

    def _check_claims(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            raise InvalidToken("expired") from None
        except MissingClaimError:
            raise InvalidToken("missing claim") from None
        except InvalidClaimError as exc:
            raise InvalidToken(_CLAIM_REASONS.get(exc.claim, "invalid claim")) from None


def _header(token: str) -> dict[str, Any]:
    if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:
        raise InvalidToken("malformed token")
    try:
        return dict(jws.extract_compact(token.encode("ascii")).headers())
    except (JoseError, ValueError):
        raise InvalidToken("malformed token") from None


def _client_id(claims: dict[str, Any]) -> str:
    for name in ("client_id", "azp", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value and len(value) <= 256:
            return value
    raise InvalidToken("no client identifier")


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    scope = claims.get("scope")
    if isinstance(scope, str):
        return frozenset(scope.split())
    scp = claims.get("scp")
    if isinstance(scp, str):
        return frozenset(scp.split())
    if isinstance(scp, list) and all(isinstance(item, str) for item in scp):
        return frozenset(scp)
    return frozenset()
