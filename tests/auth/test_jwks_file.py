"""A JWKS file instead of a URL, for deployments with no route to the issuer's endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from joserfc.errors import SecurityWarning
from joserfc.jwk import RSAKey

from app.config import Settings
from tests.auth.conftest import AUDIENCE, ISSUER, guarded_app, mint


def test_token_verified_against_a_jwks_file(tmp_path: Path, rsa_key: RSAKey) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [rsa_key.as_dict(private=False)]}))
    settings = Settings(
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
        auth_jwks_file=path,
        rate_limit_per_minute=0,
    )
    client = TestClient(guarded_app(settings), client=("10.1.2.3", 1))
    good = client.get("/v1/trials", headers={"Authorization": f"Bearer {mint(rsa_key)}"})
    assert good.status_code == 200
    other = RSAKey.generate_key(2048, parameters={"kid": "elsewhere"})
    bad = client.get("/v1/trials", headers={"Authorization": f"Bearer {mint(other)}"})
    assert bad.status_code == 401


def test_short_rsa_keys_in_the_jwks_are_ignored(tmp_path: Path) -> None:
    with pytest.warns(SecurityWarning):
        weak = RSAKey.generate_key(1024, parameters={"kid": "weak"})
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [weak.as_dict(private=False)]}))
    settings = Settings(
        auth_issuer=ISSUER, auth_audience=AUDIENCE, auth_jwks_file=path, rate_limit_per_minute=0
    )
    client = TestClient(guarded_app(settings), client=("10.1.2.3", 1))
    response = client.get("/v1/trials", headers={"Authorization": f"Bearer {mint(weak)}"})
    assert response.status_code == 503  # no usable key at all: never a pass
