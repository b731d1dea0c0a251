"""Migrations from an empty database, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from app.store.migrate import MIGRATIONS_DIR, alembic_config, current_revision, downgrade, upgrade
from app.store.models import Base

STORE_TABLES = {"trials", "trial_conditions", "trial_sites", "trial_arms", "trial_criteria"}


def head(engine: Engine) -> str:
    revision = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert revision is not None
    return revision


def test_the_first_migration_is_0001() -> None:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    bases = ScriptDirectory.from_config(config).get_bases()
    assert bases == ["0001"]


def test_upgrade_from_empty_creates_the_store(engine: Engine) -> None:
    assert current_revision(engine) is None
    assert STORE_TABLES.isdisjoint(inspect(engine).get_table_names())

    upgrade(engine)

    assert current_revision(engine) == head(engine)
    assert set(inspect(engine).get_table_names()) >= STORE_TABLES


def test_upgrade_again_is_a_no_op(engine: Engine) -> None:
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head(engine)
    assert set(inspect(engine).get_table_names()) == tables


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    upgrade(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_downgrade_to_empty_and_up_again(engine: Engine) -> None:
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    assert STORE_TABLES.isdisjoint(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= STORE_TABLES
