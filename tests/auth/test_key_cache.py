"""The JWKS cache on its own, with a clock the test moves, against the real JWKS server."""

from __future__ import annotations

import asyncio

import pytest
from joserfc.jwk import ECKey, RSAKey

from app.auth.jwks import KeyCache, KeysUnavailable, UnknownKey, UrlJwks
from tests.auth.conftest import JwksServer


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _cache(jwks: JwksServer, clock: Clock) -> KeyCache:
    return KeyCache(UrlJwks(jwks.url), max_age=3600, min_refresh=30, clock=clock)


def test_unknown_kid_refetches_once_per_interval(
    jwks: JwksServer, rsa_key: RSAKey, rsa_key_rotated: RSAKey
) -> None:
    jwks.publish(rsa_key)
    clock = Clock()
    cache = _cache(jwks, clock)

    async def scenario() -> None:
        assert (await cache.key_for(kid="rsa-1", alg="RS256")).kid == "rsa-1"
        jwks.publish(rsa_key, rsa_key_rotated)
        clock.now += 5
        with pytest.raises(UnknownKey):  # too soon after the last fetch to fetch again
            await cache.key_for(kid="rsa-2", alg="RS256")
        assert jwks.hits == 1
        clock.now += 30
        assert (await cache.key_for(kid="rsa-2", alg="RS256")).kid == "rsa-2"
        assert jwks.hits == 2

    asyncio.run(scenario())


def test_keys_are_refetched_after_max_age_and_removed_keys_stop_working(
    jwks: JwksServer, rsa_key: RSAKey, rsa_key_rotated: RSAKey
) -> None:
    jwks.publish(rsa_key)
    clock = Clock()
    cache = _cache(jwks, clock)

    async def scenario() -> None:
        await cache.key_for(kid="rsa-1", alg="RS256")
        jwks.publish(rsa_key_rotated)  # the issuer retires rsa-1
        clock.now += 3601
        with pytest.raises(UnknownKey):
            await cache.key_for(kid="rsa-1", alg="RS256")
        assert jwks.hits == 2

    asyncio.run(scenario())


def test_key_must_fit_the_algorithm(jwks: JwksServer, rsa_key: RSAKey, ec_key: ECKey) -> None:
    jwks.publish(rsa_key, ec_key)
    cache = _cache(jwks, Clock())

    async def scenario() -> None:
        with pytest.raises(UnknownKey):  # an RSA key named by an EC algorithm
            await cache.key_for(kid="rsa-1", alg="ES256")
        with pytest.raises(UnknownKey):  # a P-256 key named by ES384
            await cache.key_for(kid="ec-1", alg="ES384")
        with pytest.raises(UnknownKey):
            await cache.key_for(kid="rsa-1", alg="HS256")
        assert (await cache.key_for(kid="ec-1", alg="ES256")).kid == "ec-1"

    asyncio.run(scenario())


def test_no_keys_at_all_is_unavailable(jwks: JwksServer) -> None:
    jwks.document = {"not": "a jwks"}
    cache = _cache(jwks, Clock())

    async def scenario() -> None:
        with pytest.raises(KeysUnavailable):
            await cache.key_for(kid="rsa-1", alg="RS256")

    asyncio.run(scenario())
