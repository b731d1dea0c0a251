"""API keys for integration engines: presented whole, stored only as a SHA-256 hash.

A key looks like ``tmk_<key id>_<secret>``; the key id is public and picks the entry, the
secret is 32 random bytes. ``TRIALMATCH_API_KEYS`` holds one entry per key, separated by
``;`` or new lines::

    <key id>:sha256:<64 hex digits of sha256(whole key)>:<scope> <scope> ...

    TRIALMATCH_API_KEYS='lab-engine:sha256:9f86d0...0f00a08:trialmatch/match trialmatch/trials.read'

Make one with ``trialmatch api-key new lab-engine trialmatch/match`` (or `new_api_key`).
A slow password hash (scrypt) buys nothing here: the secret has 256 bits of entropy, so
SHA-256 cannot be brute-forced, and it keeps every request cheap. The hash is compared with
`hmac.compare_digest`, in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from app.auth.principal import Principal, Scope

PREFIX = "tmk_"
_KEY_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KNOWN_SCOPES = frozenset(scope.value for scope in Scope)


class ApiKeyConfigError(ValueError):
    """TRIALMATCH_API_KEYS cannot be read; the message names the entry, never a hash."""


@dataclass(frozen=True, slots=True)
class ApiKeyEntry:
    key_id: str
    sha256_hex: str
    scopes: frozenset[str]

    def line(self) -> str:
        return f"{self.key_id}:sha256:{self.sha256_hex}:{' '.join(sorted(self.scopes))}"


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key(key_id: str, scopes: Iterable[str]) -> tuple[str, ApiKeyEntry]:
    """A fresh key to hand to the client, and the entry to add to TRIALMATCH_API_KEYS."""
    if not _KEY_ID.fullmatch(key_id):
        raise ApiKeyConfigError("A key id is 1 to 64 letters, digits or '-'.")
    wanted = frozenset(scopes)
    _check_scopes(key_id, wanted)
    key = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    return key, ApiKeyEntry(key_id=key_id, sha256_hex=hash_api_key(key), scopes=wanted)


def _check_scopes(key_id: str, scopes: frozenset[str]) -> None:
    if not scopes:
        raise ApiKeyConfigError(f"API key {key_id!r} has no scope.")
    unknown = scopes - _KNOWN_SCOPES
    if unknown:
        raise ApiKeyConfigError(
            f"API key {key_id!r} names unknown scopes {sorted(unknown)}; "
            f"known: {sorted(_KNOWN_SCOPES)}."
        )


def parse_api_keys(text: str) -> dict[str, ApiKeyEntry]:
    entries: dict[str, ApiKeyEntry] = {}
    for number, raw in enumerate(re.split(r"[;\n]", text), start=1):
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split(":", 3)
        if len(parts) != 4 or parts[1] != "sha256":
            raise ApiKeyConfigError(
                f"TRIALMATCH_API_KEYS entry {number} is not '<key id>:sha256:<hex>:<scopes>'."
            )
        key_id, _, digest, scope_text = parts
        if not _KEY_ID.fullmatch(key_id):
            raise ApiKeyConfigError(f"TRIALMATCH_API_KEYS entry {number} has a bad key id.")
        if not _HEX64.fullmatch(digest):
            raise ApiKeyConfigError(
                f"API key {key_id!r}: the hash must be 64 lowercase hex digits (sha256)."
            )
        if key_id in entries:
            raise ApiKeyConfigError(f"API key {key_id!r} is listed twice.")
        scopes = frozenset(re.split(r"[\s,]+", scope_text.strip())) - {""}
        _check_scopes(key_id, scopes)
        entries[key_id] = ApiKeyEntry(key_id=key_id, sha256_hex=digest, scopes=scopes)
    if not entries:
        raise ApiKeyConfigError("TRIALMATCH_API_KEYS is set but holds no entry.")
    return entries


class ApiKeyVerifier:
    """Checks a presented key against the configured hashes."""

    def __init__(self, entries: dict[str, ApiKeyEntry]) -> None:
        self._entries = entries

    def verify(self, key: str) -> Principal | None:
        """The key's principal, or None when the key is unknown or wrong."""
        if not key.startswith(PREFIX) or len(key) > 256:
            return None
        key_id, sep, _ = key[len(PREFIX) :].partition("_")
        entry = self._entries.get(key_id) if sep else None
        # Hash even when the id is unknown so timing does not tell which ids exist.
        presented = hash_api_key(key)
        expected = entry.sha256_hex if entry else "0" * 64
        if not hmac.compare_digest(presented, expected) or entry is None:
            return None
        return Principal(client_id=f"apikey:{entry.key_id}", scopes=entry.scopes, method="api_key")
