from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES

# A loopback caller: with no authentication configured it holds every scope (the embedded
# mode). TestClient's own address, "testclient", is not loopback: it would get 401.
# tests/api/test_trials_auth.py covers the other callers.
LOOPBACK = ("127.0.0.1", 50000)


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A started service on a new database, with the fixture trials as its library."""
    settings = Settings(database_url=database_url, criteria_dir=TRIAL_FIXTURES)
    with TestClient(create_app(settings), client=LOOPBACK) as client:
        yield client
