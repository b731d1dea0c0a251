"""`trialmatch match`: the same answer as the API, as a table or as JSON."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import REPO_ROOT
from app.eligibility.library import load_library

EXAMPLE = REPO_ROOT / "examples" / "patients" / "rectal_ecog_3.json"
runner = CliRunner()


def test_json_output_is_the_match_response() -> None:
    result = runner.invoke(
        cli, ["match", str(EXAMPLE), "--as-of", "2026-11-23", "--include-ineligible", "--json"]
    )
    assert result.exit_code == 0, result.output
    response = json.loads(result.stdout)
    statuses = {m["trial"]: m["status"] for m in response["matches"]}
    assert statuses["NCT06949098"] == "ineligible"
    assert "inc-2" in next(m for m in response["matches"] if m["trial"] == "NCT06949098")["unmet"]
    library = load_library(REPO_ROOT / "criteria")
    assert response["library"] == {
        "software_version": version("trialmatch"),
        "trials": 3,
        "digest": library.digest,
    }
    hashes = {m["trial"]: m["content_hash"] for m in response["matches"]}
    assert hashes == library.content_hashes


def test_table_output_names_the_failing_criteria() -> None:
    result = runner.invoke(cli, ["match", str(EXAMPLE), "--include-ineligible"])
    assert result.exit_code == 0, result.output
    assert "NCT06949098" in result.stdout and "exc-5.b" in result.stdout
    digest = load_library(REPO_ROOT / "criteria").digest
    assert f"library: 3 trials, digest {digest[:12]}, trialmatch {version('trialmatch')}" in (
        " ".join(result.stdout.split())
    )


def test_a_file_that_is_not_a_bundle_fails_with_its_error_type(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient"}')
    result = runner.invoke(cli, ["match", str(bad)])
    assert result.exit_code == 1
    assert "bundle.invalid" in result.output


def test_serve_keeps_uvicorn_access_log_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Raw request paths carry patient ids (/v1/patients/{id}/matches): never logged."""
    import uvicorn

    seen: dict[str, object] = {}

    def fake_run(app: str, **kwargs: object) -> None:
        seen.update(kwargs, app=app)

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert seen["app"] == "app.main:app"
    assert seen["access_log"] is False
