"""API keys: stored as hashes, presented as X-API-Key or as a bearer token."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.auth.api_keys import (
    ApiKeyConfigError,
    ApiKeyVerifier,
    hash_api_key,
    new_api_key,
    parse_api_keys,
)
from app.config import Settings
from tests.auth.conftest import error_type, guarded_app


@pytest.fixture(scope="module")
def keys() -> tuple[str, str, str]:
    engine_key, engine = new_api_key("lab-engine", ["trialmatch/match"])
    reader_key, reader = new_api_key("library-viewer", ["trialmatch/trials.read"])
    return engine_key, reader_key, f"{engine.line()};\n {reader.line()}"


def _client(config: str) -> TestClient:
    settings = Settings(api_keys=config, rate_limit_per_minute=0)
    return TestClient(guarded_app(settings), client=("10.1.2.3", 40000))


def test_the_configuration_holds_only_the_hash(keys: tuple[str, str, str]) -> None:
    engine_key, _, config = keys
    assert engine_key not in config
    assert engine_key.split("_", 2)[2] not in config
    assert hash_api_key(engine_key) in config


def test_good_key_in_x_api_key(keys: tuple[str, str, str]) -> None:
    engine_key, _, config = keys
    response = _client(config).post("/v1/match", json={}, headers={"X-API-Key": engine_key})
    assert response.status_code == 200
    assert response.json()["client"] == "apikey:lab-engine"
    assert response.json()["method"] == "api_key"


def test_good_key_as_bearer_token(keys: tuple[str, str, str]) -> None:
    engine_key, _, config = keys
    headers = {"Authorization": f"Bearer {engine_key}"}
    assert _client(config).post("/v1/match", json={}, headers=headers).status_code == 200


@pytest.mark.parametrize(
    "presented",
    [
        "tmk_lab-engine_wrongsecret",
        "tmk_nobody_abcdef",
        "tmk_lab-engine",
        "plainly-wrong",
    ],
)
def test_bad_key_is_401(keys: tuple[str, str, str], presented: str) -> None:
    _, _, config = keys
    response = _client(config).post("/v1/match", json={}, headers={"X-API-Key": presented})
    assert response.status_code == 401
    assert error_type(response) == "auth.invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer ")
    assert presented not in response.text


def test_one_key_cannot_pass_as_another(keys: tuple[str, str, str]) -> None:
    _, reader_key, config = keys
    # The reader's secret under the engine's id: right format, wrong hash.
    forged = "tmk_lab-engine_" + reader_key.split("_", 2)[2]
    response = _client(config).post("/v1/match", json={}, headers={"X-API-Key": forged})
    assert response.status_code == 401


def test_key_without_the_scope_is_403(keys: tuple[str, str, str]) -> None:
    _, reader_key, config = keys
    client = _client(config)
    response = client.post("/v1/match", json={}, headers={"X-API-Key": reader_key})
    assert response.status_code == 403
    assert error_type(response) == "auth.insufficient_scope"
    assert client.get("/v1/trials", headers={"X-API-Key": reader_key}).status_code == 200


def test_two_credentials_at_once_are_refused(keys: tuple[str, str, str]) -> None:
    engine_key, _, config = keys
    headers = {"X-API-Key": engine_key, "Authorization": f"Bearer {engine_key}"}
    response = _client(config).post("/v1/match", json={}, headers=headers)
    assert response.status_code == 401


def test_api_keys_only_refuses_jwts(keys: tuple[str, str, str]) -> None:
    _, _, config = keys
    headers = {"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}
    response = _client(config).get("/v1/trials", headers=headers)
    assert response.status_code == 401
    assert "bearer tokens are not accepted" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    ("config", "complaint"),
    [
        ("lab-engine:" + "a" * 64 + ":trialmatch/match", "is not"),
        ("lab-engine:sha256:" + "a" * 63 + ":trialmatch/match", "64 lowercase hex"),
        ("lab-engine:sha256:" + "a" * 64 + ":", "has no scope"),
        ("lab-engine:sha256:" + "a" * 64 + ":trialmatch/everything", "unknown scopes"),
        ("bad id:sha256:" + "a" * 64 + ":trialmatch/match", "bad key id"),
        (
            "x:sha256:" + "a" * 64 + ":trialmatch/match;x:sha256:" + "b" * 64 + ":trialmatch/match",
            "twice",
        ),
        (" ; ", "no entry"),
    ],
)
def test_bad_configuration_is_refused_saying_why(config: str, complaint: str) -> None:
    with pytest.raises(ApiKeyConfigError, match=complaint):
        parse_api_keys(config)


def test_parsed_entries_verify_their_own_keys() -> None:
    key, entry = new_api_key("engine-2", ["trialmatch/match", "trialmatch/patient.read"])
    verifier = ApiKeyVerifier(parse_api_keys(entry.line()))
    principal = verifier.verify(key)
    assert principal is not None
    assert principal.scopes == frozenset({"trialmatch/match", "trialmatch/patient.read"})
    assert verifier.verify(key + "x") is None
