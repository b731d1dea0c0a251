from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.conftest import TRIAL_FIXTURES


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    """A started service on a new database, with the fixture trials as its library."""
    settings = Settings(database_url=database_url, criteria_dir=TRIAL_FIXTURES)
    with TestClient(create_app(settings)) as client:
        yield client
