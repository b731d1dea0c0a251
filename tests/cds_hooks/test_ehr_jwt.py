"""The EHR's JWT: signed by an allow-listed issuer's key, `aud` the hook's URL, not expired,
`jti` used once. Every refusal is a 401 in the API's error body.

The EHR's key is made here; its JWK Set is served through an httpx transport that stands
in for the EHR's JWKS endpoint (and counts the fetches).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from app.cds_hooks.replay import ReplayCache
from app.store.jwt_replay import StoreReplayGuard
from app.store.migrate import upgrade
from app.store.session import make_engine, make_session_factory
from tests.cds_hooks.conftest import (
    HOOK_URL,
    audit_rows,
    example,
    hook_call,
    patient_of,
    prefetch_of,
    service,
)

ISSUER = "https://ehr.example.org"
JWKS_URL = "https://ehr.example.org/.well-known/jwks.json"
BASE = "https://match.example.org"
AUDIENCE = f"{BASE}/cds-services/trialmatch-patient-view"
KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-2026", "alg": "RS384", "use": "sig"})
OTHER_KEY = RSAKey.generate_key(2048, parameters={"kid": "ehr-2026", "alg": "RS384"})
# The spec's other recommended algorithm, under a kid of its own in the same JWK Set.
EC_KEY = ECKey.generate_key("P-384", parameters={"kid": "ehr-ec-2026", "alg": "ES384"})
REMOTE = ("198.51.100.7", 41000)  # not loopback: only the JWT admits it


class Jwks(httpx.MockTransport):
    def __init__(self) -> None:
        self.fetches = 0

        def handler(request: httpx.Request) -> httpx.Response:
            assert str(request.url) == JWKS_URL
            self.fetches += 1
            return httpx.Response(
                200, json={"keys": [KEY.as_dict(private=False), EC_KEY.as_dict(private=False)]}
            )

        super().__init__(handler)


def token(key: RSAKey | ECKey = KEY, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": now + 300,
        "iat": now,
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    claims = {name: value for name, value in claims.items() if value is not None}
    alg = "ES384" if isinstance(key, ECKey) else "RS384"
    header = {"alg": alg, "kid": key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, key, algorithms=[alg])


@pytest.fixture
def jwks() -> Jwks:
    return Jwks()


@pytest.fixture
def client(tmp_path: Path, jwks: Jwks) -> Iterator[TestClient]:
    with service(
        tmp_path,
        transport=jwks,
        client=REMOTE,
        cds_issuers={ISSUER: JWKS_URL},
        cds_base_url=BASE,
    ) as test_client:
        yield test_client


BUNDLE = example("rectal_missing_staging_and_performance")
PATIENT_ID = patient_of(BUNDLE)["id"]


def call(client: TestClient, bearer: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return client.post(HOOK_URL, json=hook_call(PATIENT_ID, prefetch_of(BUNDLE)), headers=headers)


def refused(response: httpx.Response, reason: str) -> None:
    assert response.status_code == 401, response.text[:300]
    [error] = response.json()["detail"]
    assert error["type"] == "auth.invalid_token"
    assert reason in error["msg"]


def test_a_valid_ehr_jwt_is_served_and_audited(client: TestClient, jwks: Jwks) -> None:
    response = call(client, token())
    assert response.status_code == 200, response.text[:300]
    assert response.json()["cards"]
    [row] = audit_rows(client, f"Patient/{PATIENT_ID}")
    assert (row.client_id, row.auth_method, row.status) == (ISSUER, "jwt", 200)
    assert jwks.fetches == 1


def test_an_es384_jwt_is_served(client: TestClient) -> None:
    assert call(client, token(EC_KEY)).status_code == 200


def test_no_jwt_is_401(client: TestClient) -> None:
    response = call(client, None)
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "auth.required"
    assert audit_rows(client, f"Patient/{PATIENT_ID}") == []


def test_an_issuer_not_allowed_is_401_and_no_keys_are_fetched(
    client: TestClient, jwks: Jwks
) -> None:
    refused(call(client, token(iss="https://evil.example.net")), "issuer not allowed")
    assert jwks.fetches == 0


def test_a_wrong_audience_is_401(client: TestClient) -> None:
    refused(call(client, token(aud=f"{BASE}/cds-services")), "wrong audience")
    refused(call(client, token(aud="https://elsewhere.example.org/cds-services/x")), "audience")


def test_an_expired_jwt_is_401(client: TestClient) -> None:
    past = int(time.time()) - 3600
    refused(call(client, token(exp=past, iat=past - 300)), "expired")


def test_a_replayed_jti_is_401(client: TestClient) -> None:
    once = token()
    assert call(client, once).status_code == 200
    refused(call(client, once), "already used")


def test_a_jti_used_with_one_worker_is_refused_by_another(tmp_path: Path, jwks: Jwks) -> None:
    """Two services on one store stand for two workers of `trialmatch serve`: the replay
    guard is the store's, so the second worker refuses the token the first accepted."""
    settings: dict[str, Any] = {"cds_issuers": {ISSUER: JWKS_URL}, "cds_base_url": BASE}
    with (
        service(tmp_path, transport=jwks, client=REMOTE, **settings) as first,
        service(tmp_path, transport=jwks, client=REMOTE, **settings) as second,
    ):
        once = token()
        assert call(first, once).status_code == 200
        refused(call(second, once), "already used")
        assert call(second, token()).status_code == 200  # a new jti is served


def test_the_store_guard_forgets_expired_tokens_and_fails_closed(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'guard.db'}")
    upgrade(engine)
    now = [1_000.0]
    guard = StoreReplayGuard(make_session_factory(engine), clock=lambda: now[0])
    assert guard.first_use("iss", "a", expires_at=1_100.0)
    assert not guard.first_use("iss", "a", expires_at=1_100.0)
    assert guard.first_use("other-iss", "a", expires_at=1_100.0)  # per issuer
    now[0] = 1_200.0  # expired: forgotten (the JWT check refuses an expired token anyway)
    assert guard.first_use("iss", "a", expires_at=1_300.0)
    engine.dispose()
    broken = StoreReplayGuard(make_session_factory(make_engine(f"sqlite:///{tmp_path}/no.db")))
    assert not broken.first_use("iss", "b", expires_at=2e9)  # no table: refused, not served


def test_a_jwt_without_jti_is_401(client: TestClient) -> None:
    refused(call(client, token(jti=None)), "missing claim")


def test_a_jwt_living_over_an_hour_is_401(client: TestClient) -> None:
    refused(call(client, token(exp=int(time.time()) + 7200)), "lives too long")


def test_a_jwt_signed_by_another_key_is_401(client: TestClient) -> None:
    refused(call(client, token(OTHER_KEY)), "bad signature")


def test_an_unsigned_jwt_is_401(client: TestClient) -> None:
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}
    good = token().split(".")
    refused(call(client, f"{header}.{good[1]}."), "algorithm not allowed")


def test_a_loopback_caller_still_needs_the_jwt_when_issuers_are_configured(
    tmp_path: Path, jwks: Jwks
) -> None:
    with service(
        tmp_path, transport=jwks, cds_issuers={ISSUER: JWKS_URL}, cds_base_url=BASE
    ) as loopback:
        assert call(loopback, None).status_code == 401


def test_without_issuers_a_remote_caller_is_refused_as_on_other_routes(tmp_path: Path) -> None:
    with service(tmp_path, client=REMOTE) as remote:
        response = call(remote, None)
    assert response.status_code == 401
    assert response.json()["detail"][0]["type"] == "auth.required"


def test_issuers_without_a_base_url_do_not_start() -> None:
    from pydantic import ValidationError

    from app.config import Settings

    with pytest.raises(ValidationError, match="TRIALMATCH_CDS_BASE_URL"):
        Settings(cds_issuers={ISSUER: JWKS_URL})


def test_the_replay_cache_forgets_expired_tokens_and_fails_closed_when_full() -> None:
    now = [1000.0]
    cache = ReplayCache(max_entries=2, clock=lambda: now[0])
    assert cache.first_use(ISSUER, "a", expires_at=1010)
    assert not cache.first_use(ISSUER, "a", expires_at=1010)
    assert cache.first_use(ISSUER, "b", expires_at=1100)
    assert not cache.first_use(ISSUER, "c", expires_at=1100)  # full: refused, not forgotten
    now[0] = 1011
    assert cache.first_use(ISSUER, "c", expires_at=1100)  # "a" expired and was dropped
    assert not cache.first_use(ISSUER, "b", expires_at=1100)
