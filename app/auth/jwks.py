"""The issuer's signing keys (JWKS), cached, and refetched when a token names an unknown key.

Keys come from an HTTPS URL or a file; only RSA (2048 bits or more) and EC P-256/P-384
signature keys are kept, so an HMAC (`oct`) key can never verify a token::

    keys = KeyCache(UrlJwks("https://idp.example.org/jwks"), max_age=3600, min_refresh=30)
    key = await keys.key_for(kid="2024-06", alg="RS256")

A token signed with a key the cache has not seen (the issuer rotated its keys) triggers one
refetch; refetches are at least `min_refresh` seconds apart so a flood of tokens with made-up
`kid`s cannot turn trialmatch into a traffic source against the issuer.

    JwksError
      +-- KeysUnavailable    no keys could be loaded at all (503)
      +-- UnknownKey         no key fits the token's kid and alg (401)
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, import_key

log = logging.getLogger("trialmatch.auth")

# The only algorithms trialmatch accepts, and the key each needs.
_ALG_KEYS: dict[str, tuple[str, str | None]] = {
    "RS256": ("RSA", None),
    "RS384": ("RSA", None),
    "ES256": ("EC", "P-256"),
    "ES384": ("EC", "P-384"),
}
ALLOWED_ALGORITHMS = tuple(_ALG_KEYS)
_MIN_RSA_BITS = 2048
_MAX_JWKS_BYTES = 512 * 1024


class JwksError(Exception):
    pass


class KeysUnavailable(JwksError):
    pass


class UnknownKey(JwksError):
    pass


class JwksSource(Protocol):
    async def load(self) -> Any:
        """The JWKS document, as parsed JSON."""


class UrlJwks:
    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self.timeout = timeout

    async def load(self) -> Any:
        # A client per fetch: fetches are rare, and this keeps no connection across event loops.
        async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
            response = await client.get(self.url, headers={"Accept": "application/json"})
        response.raise_for_status()
        if len(response.content) > _MAX_JWKS_BYTES:
            raise JwksError("JWKS document too large")
        return response.json()


class FileJwks:
    def __init__(self, path: Path) -> None:
        self.path = path

    async def load(self) -> Any:
        return json.loads(self.path.read_text(encoding="utf-8"))


def import_signing_keys(document: Any) -> list[Key]:
    """The usable public signature keys of a JWKS document; others are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksError("not a JWKS document")
    keys: list[Key] = []
    for data in document["keys"]:
        if not isinstance(data, dict) or data.get("kty") not in ("RSA", "EC"):
            continue  # `oct` (HMAC) and unknown key types never verify a token here
        if data.get("use", "sig") != "sig":
            continue  # an encryption key
        if "alg" in data and data["alg"] not in _ALG_KEYS:
            continue
        if data["kty"] == "RSA" and _rsa_bits(data.get("n")) < _MIN_RSA_BITS:
            log.warning("skipped an RSA JWKS key shorter than %d bits", _MIN_RSA_BITS)
            continue
        public = {name: value for name, value in data.items() if name not in _PRIVATE_MEMBERS}
        try:
            key = import_key(public)
        except (JoseError, ValueError, TypeError):
            log.warning("skipped a JWKS key that could not be imported")
            continue
        key.ensure_kid()
        keys.append(key)
    return keys


def _rsa_bits(modulus: object) -> int:
    """Bit length of a JWK's base64url modulus, 0 if it is not one."""
    if not isinstance(modulus, str):
        return 0
    try:
        raw = base64.urlsafe_b64decode(modulus + "=" * (-len(modulus) % 4))
    except ValueError:
        return 0
    return int.from_bytes(raw, "big").bit_length()


# A JWKS must hold public keys; if an issuer leaks private members, do not keep them.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _fits(key: Key, kid: str | None, alg: str) -> bool:
    kty, curve = _ALG_KEYS[alg]
    if key.key_type != kty or (kid is not None and key.kid != kid):
        return False
    if key.get("alg") not in (None, alg):
        return False
    return not (isinstance(key, ECKey) and key.curve_name != curve)


class KeyCache:
    def __init__(
        self,
        source: JwksSource,
        *,
        max_age: float,
        min_refresh: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.max_age = max_age
        self.min_refresh = min_refresh
        self.clock = clock
        self._keys: list[Key] = []
        self._loaded_at: float | None = None
        self._tried_at: float | None = None
        self._lock = asyncio.Lock()

    async def key_for(self, *, kid: str | None, alg: str) -> Key:
        if alg not in _ALG_KEYS:
            raise UnknownKey(alg)
        if self._loaded_at is None or self.clock() - self._loaded_at > self.max_age:
            await self._refresh()
        key = self._pick(kid, alg)
        if key is None:
            await self._refresh()  # perhaps the issuer rotated its keys
            key = self._pick(kid, alg)
        if key is None:
            if not self._keys:
                raise KeysUnavailable()
            raise UnknownKey(kid or "")
        return key

    def _pick(self, kid: str | None, alg: str) -> Key | None:
        candidates = [key for key in self._keys if _fits(key, kid, alg)]
        # Without a kid the choice must be unambiguous.
        if kid is None and len(candidates) != 1:
            return None
        return candidates[0] if candidates else None

    async def _refresh(self) -> None:
        async with self._lock:
            now = self.clock()
            if self._tried_at is not None and now - self._tried_at < self.min_refresh:
                return  # fetched (or tried) a moment ago, perhaps by a concurrent request
            self._tried_at = now
            try:
                keys = import_signing_keys(await self.source.load())
            except (httpx.HTTPError, OSError, ValueError, JwksError) as exc:
                # The exception's class only: its text may carry the issuer's response.
                log.warning(
                    "JWKS fetch failed: %s; keeping %d cached keys",
                    type(exc).__name__,
                    len(self._keys),
                )
                return
            self._keys = keys
            self._loaded_at = now
