"""Alembic migrations applied from code: `trialmatch db upgrade` and the service start.

Example::

    upgrade(make_engine(settings.database_url))     # to head; a no-op when already there
    current_revision(engine)                        # "0001", or None for a new database

The migration scripts live in ``migrations/`` at the repo root; ``alembic.ini`` there lets
developers use the ``alembic`` command itself (``alembic revision -m ...``).
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine

from app.config import REPO_ROOT

MIGRATIONS_DIR = REPO_ROOT / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
