"""`trialmatch screen` end to end on a generated export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from bench.population import write_population


@pytest.fixture
def export(tmp_path: Path) -> Path:
    folder = tmp_path / "export"
    write_population(folder, patients=40, seed=9)
    return folder


def test_screen_writes_every_row_and_a_summary(
    export: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "results.csv"
    result = CliRunner().invoke(
        cli, ["screen", str(export), "--as-of", "2026-11-23", "--workers", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    with out.open() as written:
        rows = list(csv.DictReader(written))
    assert len({r["patient"] for r in rows}) == 40
    assert {r["trial"] for r in rows} == {"NCT06043999", "NCT06122493", "NCT06949098"}
    assert "40 patients screened" in result.output
    assert "skipped lines" in result.output


def test_screen_one_trial_to_parquet(export: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "results.parquet"
    result = CliRunner().invoke(
        cli,
        [
            "screen",
            str(export),
            "--trial",
            "NCT06949098",
            "--as-of",
            "2026-11-23",
            "--workers",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert set(table.column("trial").to_pylist()) == {"NCT06949098"}
    assert table.num_rows == 40


def test_an_unknown_trial_or_no_files_is_exit_2(export: Path, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(cli, ["screen", str(export), "--trial", "NCT00000000"])
    assert unknown.exit_code == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(cli, ["screen", str(empty)]).exit_code == 2
