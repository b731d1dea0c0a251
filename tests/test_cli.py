"""The command line: db upgrade, trials load, openapi export."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app
from app.store.migrate import current_revision
from app.store.session import make_engine
from tests.conftest import TRIAL_FIXTURES

runner = CliRunner()


@pytest.fixture
def store_env(
    database_url: str, monkeypatch: pytest.MonkeyPatch, clean_settings_cache: None
) -> str:
    monkeypatch.setenv("TRIALMATCH_DATABASE_URL", database_url)
    monkeypatch.setenv("TRIALMATCH_CRITERIA_DIR", str(TRIAL_FIXTURES))
    return database_url


def test_db_upgrade_creates_a_new_database(store_env: str) -> None:
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = make_engine(store_env)
    try:
        revision = current_revision(engine)
    finally:
        engine.dispose()
    assert revision is not None
    assert f"database at revision {revision}" in result.output


def test_trials_load_is_idempotent(store_env: str) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0

    first = runner.invoke(cli, ["trials", "load"])  # TRIALMATCH_CRITERIA_DIR by default
    second = runner.invoke(cli, ["trials", "load", str(TRIAL_FIXTURES)])

    assert first.exit_code == 0, first.output
    assert "2 created, 0 updated, 0 unchanged, 0 problems" in first.output
    assert second.exit_code == 0, second.output
    assert "0 created, 0 updated, 2 unchanged, 0 problems" in second.output


def test_trials_load_reports_a_bad_file_and_exits_1(store_env: str, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    shutil.copy(TRIAL_FIXTURES / "NCT90000002.yaml", tmp_path / "NCT90000002.yaml")
    bad = tmp_path / "NCT90000005.yaml"
    bad.write_text("nct_id: NCT5\ntitle: T\nconditions: []\nstatus: RECRUITING\ncriteria: []\n")

    result = runner.invoke(cli, ["trials", "load", str(tmp_path)])

    assert result.exit_code == 1
    assert f"error: {bad}:1: trial.string_pattern_mismatch" in result.output
    assert "1 created, 0 updated, 0 unchanged, 1 problems" in result.output


def test_trials_load_refuses_a_missing_folder(store_env: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["trials", "load", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert "is not a folder" in result.output


def test_openapi_export_writes_the_apps_document(tmp_path: Path) -> None:
    output = tmp_path / "openapi.json"
    result = runner.invoke(cli, ["openapi", "export", "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8")) == create_app().openapi()


def test_trials_load_asks_for_db_upgrade_on_a_new_database(store_env: str) -> None:
    result = runner.invoke(cli, ["trials", "load"])
    assert result.exit_code == 2
    assert "run `trialmatch db upgrade`" in result.output
