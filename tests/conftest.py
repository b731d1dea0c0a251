"""Shared fixtures: a fresh, empty database on each backend.

`database_url` runs a test once on SQLite (a file in the test's tmp folder) and once on
PostgreSQL (a new schema in the database at TRIALMATCH_TEST_POSTGRES_URL, dropped after the
test), so every test starts from an empty store and runs are repeatable. Without that
variable the PostgreSQL cases skip, unless CI=true or TRIALMATCH_REQUIRE_POSTGRES=1: then
they fail, so CI can never pass on SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from app.config import get_settings
from app.store.migrate import upgrade
from app.store.session import make_engine, make_session_factory

POSTGRES_URL_ENV = "TRIALMATCH_TEST_POSTGRES_URL"
FIXTURES = Path(__file__).parent / "fixtures"
TRIAL_FIXTURES = FIXTURES / "trials"


def postgres_required() -> bool:
    return (
        os.environ.get("CI", "").lower() == "true"
        or os.environ.get("TRIALMATCH_REQUIRE_POSTGRES") == "1"
    )


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        if postgres_required():
            pytest.fail(f"{POSTGRES_URL_ENV} is not set, and PostgreSQL is required here")
        pytest.skip(f"{POSTGRES_URL_ENV} is not set")
    return url


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A URL whose connections see only a new, empty schema."""
    schema = f"tm_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(postgres_base_url).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'trialmatch.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    """A session factory on a store migrated to head."""
    upgrade(engine)
    return make_session_factory(engine)


@pytest.fixture
def clean_settings_cache() -> Iterator[None]:
    """For code that reads `get_settings()`: forget settings before and after the test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def cli_store(
    database_url: str,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
    clean_settings_cache: None,
) -> sessionmaker[Session]:
    """Sessions on a migrated store, which TRIALMATCH_DATABASE_URL names for the CLI."""
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("COLUMNS", "250")  # rich's width: keep each line whole
    return sessions
