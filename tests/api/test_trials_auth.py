"""The trial library needs the scope trialmatch/trials.read, from any caller not on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.api_keys import new_api_key
from app.config import Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES

READER_KEY, READER = new_api_key("library-viewer", ["trialmatch/trials.read"])
MATCHER_KEY, MATCHER = new_api_key("lab-engine", ["trialmatch/match"])


@pytest.fixture
def remote(database_url: str) -> Iterator[TestClient]:
    """A started service with two API keys, called from an address that is not loopback."""
    settings = Settings(
        database_url=database_url,
        criteria_dir=TRIAL_FIXTURES,
        api_keys=f"{READER.line()};{MATCHER.line()}",
        rate_limit_per_minute=0,
    )
    with TestClient(create_app(settings), client=("10.20.30.40", 41000)) as client:
        yield client


@pytest.mark.parametrize("path", ["/v1/trials", "/v1/trials/NCT90000001"])
def test_no_credential_is_401(remote: TestClient, path: str) -> None:
    response = remote.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"][0]["type"] == "auth.required"


@pytest.mark.parametrize("path", ["/v1/trials", "/v1/trials/NCT90000001"])
def test_a_key_without_the_scope_is_403(remote: TestClient, path: str) -> None:
    response = remote.get(path, headers={"X-API-Key": MATCHER_KEY})
    assert response.status_code == 403
    assert response.json()["detail"][0]["type"] == "auth.insufficient_scope"


def test_a_key_with_the_scope_reads_the_library(remote: TestClient) -> None:
    listed = remote.get("/v1/trials", headers={"X-API-Key": READER_KEY})
    one = remote.get("/v1/trials/NCT90000001", headers={"X-API-Key": READER_KEY})
    assert listed.status_code == 200
    assert listed.json()["paging"]["total"] == 2
    assert one.status_code == 200
    assert one.json()["nct_id"] == "NCT90000001"


def test_the_probes_stay_open(remote: TestClient) -> None:
    assert remote.get("/healthz").status_code == 200
    assert remote.get("/readyz").status_code == 200


def test_the_openapi_document_names_the_refusals() -> None:
    document = create_app().openapi()
    for path in ("/v1/trials", "/v1/trials/{trial_id}"):
        responses = document["paths"][path]["get"]["responses"]
        assert {"401", "403", "429"} <= set(responses)
