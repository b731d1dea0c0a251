from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.config import REPO_ROOT, Settings
from app.eligibility.library import Library, load_library
from app.main import create_app
from app.screening.library_source import LibrarySource

AS_OF = date(2026, 11, 23)  # the day the example records were written (README)
CRITERIA = REPO_ROOT / "criteria"
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(CRITERIA)


@pytest.fixture(scope="session")
def source() -> LibrarySource:
    return LibrarySource(criteria_dir=CRITERIA)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The service on a new store, loaded with the bundled library on start-up."""
    db = tmp_path_factory.mktemp("screen") / "store.db"
    settings = Settings(database_url=f"sqlite:///{db}", rate_limit_per_minute=0)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client


def post_match(client: TestClient, bundle: dict[str, Any]) -> dict[str, Any]:
    response = client.post(
        f"/v1/match?as_of={AS_OF}&include_ineligible=true",
        json=bundle,
        headers={"content-type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.status_code
    result: dict[str, Any] = response.json()
    return result
