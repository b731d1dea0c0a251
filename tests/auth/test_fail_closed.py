"""Guarded routes never run unauthenticated, and credentials never reach the log."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from joserfc.jwk import RSAKey

from app.auth import TrialsReadPrincipal
from tests.auth.conftest import JwksServer, guarded_app, jwt_settings, mint


def test_a_guarded_route_without_install_security_does_not_run() -> None:
    app = FastAPI()
    ran = []

    @app.get("/v1/trials")
    async def trials(principal: TrialsReadPrincipal) -> dict[str, str]:
        ran.append(principal)
        return {}

    with pytest.raises(RuntimeError, match="install_security"):
        TestClient(app, client=("127.0.0.1", 1)).get("/v1/trials")
    assert ran == []


def test_refused_credentials_are_not_logged(
    jwks: JwksServer, rsa_key: RSAKey, caplog: pytest.LogCaptureFixture
) -> None:
    jwks.publish(rsa_key)
    client = TestClient(guarded_app(jwt_settings(jwks)), client=("10.1.2.3", 1))
    expired = mint(rsa_key, exp=1_000_000, iat=999_000)
    api_key = "tmk_lab-engine_SECRETSECRETSECRET"
    with caplog.at_level(logging.DEBUG):
        client.get("/v1/trials", headers={"Authorization": f"Bearer {expired}"})
        client.get("/v1/trials", headers={"X-API-Key": api_key})
    assert caplog.records, "refusals are logged, by error type"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "auth.invalid_token" in logged
    for secret in (expired, expired.split(".")[1], api_key, "SECRETSECRETSECRET"):
        assert secret not in logged
