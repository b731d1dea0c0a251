"""`trialmatch criteria check` and `export`."""

import shutil
from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.config import REPO_ROOT

runner = CliRunner()


def test_check_passes_on_the_library() -> None:
    result = runner.invoke(cli, ["criteria", "check", "--dir", str(REPO_ROOT / "criteria")])
    assert result.exit_code == 0, result.output
    assert "3 trials valid" in result.output


def test_check_fails_with_file_and_line_on_a_bad_file(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "criteria", tmp_path, dirs_exist_ok=True)
    bad = tmp_path / "NCT06949098.yaml"
    bad.write_text(bad.read_text().replace("scale: ecog, lte: 1", "scale: ecog, lte: one"))
    result = runner.invoke(cli, ["criteria", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "NCT06949098.yaml:" in result.output


def test_check_fails_when_an_example_disagrees(tmp_path: Path) -> None:
    shutil.copytree(REPO_ROOT / "criteria", tmp_path, dirs_exist_ok=True)
    examples = tmp_path / "NCT06949098.examples.yaml"
    text = examples.read_text().replace("      inc-2: fail\n", "      inc-2: pass\n", 1)
    examples.write_text(text)
    result = runner.invoke(cli, ["criteria", "check", "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "expected pass, got fail" in result.output.replace("\n", " ")


def test_export_writes_the_generated_files(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["criteria", "export", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    assert (tmp_path / "schema.json").exists()
    assert (tmp_path / "VOCABULARY.md").exists()
