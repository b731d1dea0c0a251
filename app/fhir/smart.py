"""Authentication to the EHR's FHIR server: none, a static bearer token, or SMART Backend Services.

SMART Backend Services (HL7 SMART App Launch 2.x, "Backend Services") is OAuth 2.0
``client_credentials`` where the client proves who it is with a short-lived JWT signed by
its private key (``private_key_jwt``, RS384 or ES384). The token endpoint is configured,
or discovered from ``{base}/.well-known/smart-configuration``. The access token is cached
until shortly before it expires; concurrent searches share one token request.

Example::

    auth = SmartBackendAuth(
        client_id="trialmatch",
        private_key=load_private_key(Path("keys/trialmatch.pem"), "RS384"),
        alg="RS384",
        scope="system/Observation.read",
        fhir_base_url="https://ehr.example.org/fhir",
    )
    headers = await auth.headers(http, timeout)   # {"Authorization": "Bearer ..."}

Errors are `app.errors.UpstreamError`: a rejected client is ``fhir.unauthorized``; a token
endpoint that cannot be reached or answers nonsense is ``fhir.unavailable``; a slow one is
``fhir.timeout``. No message carries the server's text or a key.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path
from typing import Literal, Protocol
from urllib.parse import urlsplit

import httpx
import orjson
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from app.config import Settings
from app.errors import UpstreamError

AssertionAlg = Literal["RS384", "ES384"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The spec allows at most five minutes; less leaves room for clock skew at the server.
ASSERTION_LIFETIME = 240
# Refresh this many seconds before the token's stated expiry.
EXPIRY_MARGIN = 30.0


class Auth(Protocol):
    """Adds credentials to the requests of the FHIR client."""

    async def headers(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> dict[str, str]:
        """Headers to send with the next FHIR request."""
        ...

    def rejected(self, sent: dict[str, str]) -> bool:
        """The server answered 401 to `sent` headers: drop them if cached; True if a retry may
        succeed."""
        ...


class NoAuth:
    async def headers(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> dict[str, str]:
        return {}

    def rejected(self, sent: dict[str, str]) -> bool:
        return False


class BearerAuth:
    def __init__(self, token: str) -> None:
        self._header = {"Authorization": f"Bearer {token}"}

    async def headers(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> dict[str, str]:
        return self._header

    def rejected(self, sent: dict[str, str]) -> bool:
        return False  # a static token stays wrong


def load_private_key(path: Path, alg: AssertionAlg) -> RSAKey | ECKey:
    """Read a PEM private key: RSA for RS384, EC P-384 for ES384."""
    if alg == "RS384":
        return RSAKey.import_key(path.read_bytes())
    key = ECKey.import_key(path.read_bytes())
    if key.curve_name != "P-384":
        raise ValueError("ES384 needs an EC P-384 key")
    return key


def _unauthorized() -> UpstreamError:
    return UpstreamError(
        "fhir.unauthorized", "The EHR's authorization server rejected trialmatch's credentials."
    )


def _unavailable(msg: str) -> UpstreamError:
    return UpstreamError("fhir.unavailable", msg)


def _timeout() -> UpstreamError:
    return UpstreamError(
        "fhir.timeout", "The EHR's authorization server did not answer in time.", status_code=504
    )


class SmartBackendAuth:
    """SMART Backend Services: signed client assertion -> cached access token."""

    def __init__(
        self,
        *,
        client_id: str,
        private_key: RSAKey | ECKey,
        alg: AssertionAlg,
        scope: str,
        fhir_base_url: str,
        token_url: str | None = None,
        kid: str | None = None,
    ) -> None:
        if (alg == "RS384") != isinstance(private_key, RSAKey):
            raise ValueError("RS384 needs an RSA key, ES384 an EC P-384 key")
        self._client_id = client_id
        self._key = private_key
        self._alg = alg
        self._kid = kid or private_key.thumbprint()
        self._scope = scope
        self._base = fhir_base_url.rstrip("/")
        self._token_url = token_url
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def headers(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> dict[str, str]:
        async with self._lock:  # one token request, however many searches wait for it
            if self._token is None or time.monotonic() >= self._expires_at:
                await self._refresh(http, timeout)
            assert self._token is not None
            return {"Authorization": f"Bearer {self._token}"}

    def rejected(self, sent: dict[str, str]) -> bool:
        # Concurrent searches may all be refused the same stale token: only the first drops
        # it; the others retry with the token fetched since.
        if self._token is not None and sent.get("Authorization") == f"Bearer {self._token}":
            self._token = None
        return True

    def assertion(self, token_url: str) -> str:
        """The signed JWT that authenticates this client at `token_url`."""
        now = int(time.time())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": token_url,
            "exp": now + ASSERTION_LIFETIME,
            "iat": now,
            "jti": secrets.token_urlsafe(24),
        }
        header = {"alg": self._alg, "kid": self._kid, "typ": "JWT"}
        return jwt.encode(header, claims, self._key, algorithms=[self._alg])

    async def _refresh(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> None:
        token_url = self._token_url or await self._discover(http, timeout)
        self._token_url = token_url
        form = {
            "grant_type": "client_credentials",
            "scope": self._scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(token_url),
        }
        response = await self._send(http, "POST", token_url, timeout, data=form)
        if response.status_code in (400, 401, 403):
            raise _unauthorized()
        if response.status_code != 200:
            raise _unavailable("The EHR's authorization server failed to issue a token.")
        body = _json_object(response)
        token = body.get("access_token")
        expires_in = body.get("expires_in", 300)
        if not isinstance(token, str) or not token or not isinstance(expires_in, int | float):
            raise _unavailable("The EHR's authorization server sent an unusable token response.")
        self._token = token
        self._expires_at = time.monotonic() + max(0.0, float(expires_in) - EXPIRY_MARGIN)

    async def _discover(self, http: httpx.AsyncClient, timeout: httpx.Timeout) -> str:
        url = f"{self._base}/.well-known/smart-configuration"
        response = await self._send(http, "GET", url, timeout)
        if response.status_code != 200:
            raise _unavailable("The EHR publishes no SMART configuration.")
        endpoint = _json_object(response).get("token_endpoint")
        if not isinstance(endpoint, str) or not _acceptable_token_url(endpoint, self._base):
            raise _unavailable("The EHR's SMART configuration names no usable token endpoint.")
        return endpoint

    @staticmethod
    async def _send(
        http: httpx.AsyncClient,
        method: str,
        url: str,
        timeout: httpx.Timeout,
        data: dict[str, str] | None = None,
    ) -> httpx.Response:
        try:
            return await http.request(
                method,
                url,
                data=data,
                timeout=timeout,
                headers={"Accept": "application/json"},
                follow_redirects=False,  # the assertion goes only where it was addressed
            )
        except httpx.TimeoutException:
            raise _timeout() from None
        except httpx.HTTPError:
            raise _unavailable("The EHR's authorization server cannot be reached.") from None


def _acceptable_token_url(url: str, base_url: str) -> bool:
    # The assertion goes wherever discovery points: only over TLS, or to the FHIR server's
    # own origin (a loopback test server speaks plain HTTP).
    parts, base = urlsplit(url), urlsplit(base_url)
    if parts.scheme == "https" and parts.netloc:
        return True
    return (parts.scheme, parts.netloc) == (base.scheme, base.netloc)


def _json_object(response: httpx.Response) -> dict[str, object]:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise _unavailable("The EHR's authorization server sent malformed JSON.") from None
    if not isinstance(body, dict):
        raise _unavailable("The EHR's authorization server sent malformed JSON.")
    return body


def auth_from_settings(settings: Settings) -> Auth:
    """The `Auth` that `settings.fhir_auth` names (keys are read once, here)."""
    if settings.fhir_auth == "bearer":
        assert settings.fhir_bearer_token is not None  # Settings validates this
        return BearerAuth(settings.fhir_bearer_token.get_secret_value())
    if settings.fhir_auth == "smart":
        assert settings.fhir_smart_client_id is not None
        assert settings.fhir_smart_private_key_path is not None
        assert settings.fhir_base_url is not None
        return SmartBackendAuth(
            client_id=settings.fhir_smart_client_id,
            private_key=load_private_key(
                settings.fhir_smart_private_key_path, settings.fhir_smart_alg
            ),
            alg=settings.fhir_smart_alg,
            scope=settings.fhir_smart_scope,
            fhir_base_url=settings.fhir_base_url,
            token_url=settings.fhir_smart_token_url,
            kid=settings.fhir_smart_kid,
        )
    return NoAuth()
