"""SMART Backend Services details that a real token server does not show: the assertion's
claims, token caching and refresh, and token endpoints that fail."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from pydantic import ValidationError

from app.config import Settings
from app.errors import ApiError
from app.fhir.client import FhirClient
from app.fhir.smart import ASSERTION_TYPE, BearerAuth, NoAuth, SmartBackendAuth, auth_from_settings

BASE = "https://ehr.test/fhir"
TOKEN_URL = "https://auth.ehr.test/token"
KEY = RSAKey.generate_key(2048)


class FakeEhr:
    """A FHIR server behind a token endpoint; counts what it is asked."""

    def __init__(self, *, expires_in: int = 300, token_status: int = 200) -> None:
        self.expires_in = expires_in
        self.token_status = token_status
        self.assertions: list[str] = []
        self.issued = 0
        self.revoked: set[str] = set()
        self.discovery = {"token_endpoint": TOKEN_URL}
        self.revoke_after_patient_read = False

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != "/fhir/Patient/p1" and self.revoke_after_patient_read:
            # Every search is sent before any answer; Observation is refused last, after the
            # others have renewed the token.
            await asyncio.sleep(0.05 if request.url.path == "/fhir/Observation" else 0.01)
        return self.answer(request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/fhir/.well-known/smart-configuration":
            return httpx.Response(200, json=self.discovery)
        if str(request.url) == TOKEN_URL:
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            assert form["client_assertion_type"] == [ASSERTION_TYPE]
            self.assertions.append(form["client_assertion"][0])
            if self.token_status != 200:
                return httpx.Response(self.token_status, json={"error": "invalid_client"})
            self.issued += 1
            return httpx.Response(
                200,
                json={"access_token": f"tok-{self.issued}", "expires_in": self.expires_in},
            )
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not token.startswith("tok-") or token in self.revoked:
            return httpx.Response(401)
        if request.url.path == "/fhir/Patient/p1":
            if self.revoke_after_patient_read:
                self.revoked.add(token)
            return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset"})


def smart(key: RSAKey | ECKey = KEY, alg: Any = "RS384", **kwargs: Any) -> SmartBackendAuth:
    return SmartBackendAuth(
        client_id="tm",
        private_key=key,
        alg=alg,
        scope="system/*.read",
        fhir_base_url=BASE,
        **kwargs,
    )


def pull(ehr: FakeEhr, auth: SmartBackendAuth, times: int = 1) -> None:
    async def run() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(ehr)) as http:
            client = FhirClient(http, BASE, auth=auth)
            for _ in range(times):
                await client.fetch_record("p1")

    asyncio.run(run())


@pytest.mark.parametrize(("key", "alg"), [(KEY, "RS384"), (ECKey.generate_key("P-384"), "ES384")])
def test_assertion_claims_follow_the_smart_spec(key: RSAKey | ECKey, alg: str) -> None:
    auth = smart(key, alg)
    first, second = auth.assertion(TOKEN_URL), auth.assertion(TOKEN_URL)
    token = jwt.decode(first, key, algorithms=[alg])
    claims = token.claims
    assert token.header["alg"] == alg
    assert token.header["kid"] == key.thumbprint()
    assert claims["iss"] == claims["sub"] == "tm"
    assert claims["aud"] == TOKEN_URL
    assert 0 < claims["exp"] - time.time() <= 300
    assert claims["jti"] != jwt.decode(second, key, algorithms=[alg]).claims["jti"]


def test_wrong_key_type_for_the_algorithm_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="RS384"):
        smart(ECKey.generate_key("P-384"), "RS384")


def test_token_is_discovered_once_and_cached_over_concurrent_searches() -> None:
    ehr = FakeEhr()
    pull(ehr, smart(), times=3)
    assert ehr.issued == 1
    assert len(ehr.assertions) == 1
    decoded = jwt.decode(ehr.assertions[0], KEY, algorithms=["RS384"])
    assert decoded.claims["aud"] == TOKEN_URL


def test_token_is_renewed_when_it_is_about_to_expire() -> None:
    ehr = FakeEhr(expires_in=10)  # inside the refresh margin: renewed on every use
    pull(ehr, smart(), times=2)
    assert ehr.issued >= 2


def test_a_revoked_token_is_replaced_once() -> None:
    ehr = FakeEhr()
    auth = smart()
    pull(ehr, auth)
    ehr.revoked.add("tok-1")
    pull(ehr, auth)
    assert ehr.issued == 2


def test_searches_refused_together_share_one_new_token() -> None:
    ehr = FakeEhr()
    ehr.revoke_after_patient_read = True  # the four concurrent searches all get a 401
    pull(ehr, smart())
    assert ehr.issued == 2


def test_token_endpoint_refusing_the_client_is_fhir_unauthorized() -> None:
    with pytest.raises(ApiError) as caught:
        pull(FakeEhr(token_status=401), smart())
    assert (caught.value.status_code, caught.value.details[0].type) == (502, "fhir.unauthorized")


def test_failing_token_endpoint_is_fhir_unavailable() -> None:
    with pytest.raises(ApiError) as caught:
        pull(FakeEhr(token_status=500), smart())
    assert caught.value.details[0].type == "fhir.unavailable"


def test_discovered_plain_http_token_endpoint_elsewhere_is_not_trusted() -> None:
    ehr = FakeEhr()
    ehr.discovery = {"token_endpoint": "http://elsewhere.test/token"}
    with pytest.raises(ApiError) as caught:
        pull(ehr, smart())
    assert caught.value.details[0].type == "fhir.unavailable"
    assert ehr.assertions == []  # the signed assertion was never sent there


def test_configured_token_url_skips_discovery() -> None:
    ehr = FakeEhr()
    ehr.discovery = {}
    pull(ehr, smart(token_url=TOKEN_URL))
    assert ehr.issued == 1


def test_settings_choose_the_auth(tmp_path: Any) -> None:
    assert isinstance(auth_from_settings(Settings()), NoAuth)
    bearer = Settings(fhir_base_url=BASE, fhir_auth="bearer", fhir_bearer_token="s3cret")
    assert isinstance(auth_from_settings(bearer), BearerAuth)
    assert "s3cret" not in repr(bearer)
    pem = tmp_path / "k.pem"
    pem.write_bytes(KEY.as_pem(private=True))
    config = Settings(
        fhir_base_url=BASE,
        fhir_auth="smart",
        fhir_smart_client_id="tm",
        fhir_smart_private_key_path=pem,
    )
    assert isinstance(auth_from_settings(config), SmartBackendAuth)


@pytest.mark.parametrize(
    "incomplete",
    [{"fhir_auth": "bearer"}, {"fhir_auth": "smart", "fhir_smart_client_id": "tm"}],
)
def test_incomplete_auth_settings_fail_at_start(incomplete: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        Settings(fhir_base_url=BASE, **incomplete)
